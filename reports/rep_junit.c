/*
 * rep_junit.c: junit.xml, the report CI systems read (GitHub Actions
 * through the JUnit reporter actions, GitLab's artifacts:reports:junit,
 * Jenkins' junit step).  They agree on a small common subset, which is all
 * this writes:
 *
 *   <testsuites name tests failures errors skipped time>
 *     <testsuite name="AGENT: category N" id tests failures errors skipped
 *                time>
 *       <properties> agent, role, target, seed, tool version </properties>
 *       <testcase classname="N" name="ID TITLE" time="S.mmm">
 *         <failure message="REASON" type="FAILED">details</failure>  (FAILED)
 *         <skipped message="excluded"/>                          (excluded)
 *         <system-out>VERDICT: reason</system-out>   (NON-STRICT and others)
 *       </testcase>
 *
 * One suite per agent and category (the first component of the case id),
 * in id order; times are seconds with three decimals made from the
 * recorded milliseconds by integer arithmetic.  All text goes through
 * rep__sb_escn (rep_int.h), so peer-controlled bytes can neither add
 * markup nor make the document ill-formed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep.h"
#include "rep_int.h"
#include "wsp_err.h"

/* Observed events shown in a failure, and the bytes of failure text. */
#define EXCERPT_EVENTS 10
#define EXCERPT_MAX 4000
/* Lines of the decoded wire log in a failure: the first few (the opening)
 * and the last ones (where a failure usually shows). */
#define EXCERPT_WIRE_FIRST 3
#define EXCERPT_WIRE_LAST 8

struct counts {
	unsigned tests, failures, skipped;
	int64_t ms;
};

static void count_item(struct counts *k, const struct rep_item *it)
{
	k->tests++;
	if (it->x != NULL) {
		k->skipped++;
		return;
	}
	if (it->c->verdict == VD_FAILED)
		k->failures++;
	if (it->c->duration_ms > 0)
		k->ms += it->c->duration_ms;
}

static void attr_counts(struct rep_sb *b, const struct counts *k)
{
	char secs[32];
	rep__seconds(secs, sizeof(secs), k->ms);
	rep__sb_printf(b, " tests=\"%u\" failures=\"%u\" errors=\"0\" "
			  "skipped=\"%u\" time=\"%s\"",
		       k->tests, k->failures, k->skipped, secs);
}

static void property(struct rep_sb *b, const char *name, const char *value)
{
	rep__sb_printf(b, "      <property name=\"%s\" value=\"", name);
	rep__sb_esc(b, value ? value : "", 1);
	rep__sb_puts(b, "\"/>\n");
}

/* The body of a <failure>: both verdict fields with their reasons, the
 * peer's close frame, and the first observed events. */
static void failure_text(struct rep_sb *b, const struct res_case *c,
			 const char *role)
{
	struct rep_sb t = {0};
	rep__sb_printf(&t, "behavior: %s: %s\n", vd_behavior_name(c->behavior),
		       c->reason ? c->reason : "-");
	rep__sb_printf(&t, "close: %s: %s\n", vd_close_name(c->close_behavior),
		       c->close_reason ? c->close_reason : "-");
	if (c->has_remote_code)
		rep__sb_printf(&t, "peer's close frame: code %u, reason \"%s\"\n",
			       c->remote_code,
			       c->remote_reason ? c->remote_reason : "");
	else
		rep__sb_puts(&t, "peer's close frame: none, or without a code\n");
	if (c->nevents == 0) {
		rep__sb_puts(&t, "observed events: none\n");
	} else {
		size_t show = c->nevents < EXCERPT_EVENTS ? c->nevents
							  : EXCERPT_EVENTS;
		if (show < c->nevents)
			rep__sb_printf(&t, "observed events (first %zu of %zu):\n",
				       show, c->nevents);
		else
			rep__sb_printf(&t, "observed events (%zu):\n", c->nevents);
		for (size_t i = 0; i < show; i++)
			rep__sb_printf(&t, "  %s\n", c->events[i]);
	}
	rep__wire_excerpt(&t, c, role, EXCERPT_WIRE_FIRST, EXCERPT_WIRE_LAST);
	rep__sb_puts(&t, "full details: index.html, results.json");
	if (t.oom) {
		b->oom = 1;
		rep__sb_free(&t);
		return;
	}
	size_t n = t.len;
	if (n > EXCERPT_MAX) {
		/* Cut on a character boundary: back up over continuation
		 * bytes so no UTF-8 sequence is split. */
		n = EXCERPT_MAX;
		while (n > 0 && ((unsigned char)t.p[n] & 0xc0) == 0x80)
			n--;
	}
	rep__sb_escn(b, t.p, n, 0);
	if (n < t.len)
		rep__sb_puts(b, " ...");
	rep__sb_free(&t);
}

static void testcase(struct rep_sb *b, const struct rep_item *it,
		     const char *cat, const char *role)
{
	char secs[32];
	rep__seconds(secs, sizeof(secs), it->c ? it->c->duration_ms : 0);
	rep__sb_puts(b, "    <testcase classname=\"");
	rep__sb_esc(b, cat, 1);
	rep__sb_puts(b, "\" name=\"");
	rep__sb_esc(b, it->id, 1);
	if (it->title != NULL && it->title[0] != '\0') {
		rep__sb_puts(b, " ");
		rep__sb_esc(b, it->title, 1);
	}
	rep__sb_printf(b, "\" time=\"%s\"", secs);
	if (it->x != NULL) {
		rep__sb_puts(b, ">\n      <skipped message=\"excluded from "
				"this run\"/>\n    </testcase>\n");
		return;
	}
	const struct res_case *c = it->c;
	if (c->verdict == VD_OK) {
		rep__sb_puts(b, "/>\n");
		return;
	}
	if (c->verdict == VD_FAILED) {
		rep__sb_puts(b, ">\n      <failure message=\"");
		rep__sb_esc(b, rep__why(c), 1);
		rep__sb_puts(b, "\" type=\"FAILED\">");
		failure_text(b, c, role);
		rep__sb_puts(b, "</failure>\n    </testcase>\n");
		return;
	}
	/* NON-STRICT, INFORMATIONAL, UNIMPLEMENTED: not failures, but worth
	 * a line where CI shows a test's output. */
	rep__sb_printf(b, ">\n      <system-out>%s: ", vd_behavior_name(c->verdict));
	rep__sb_esc(b, c->reason ? c->reason : "-", 0);
	rep__sb_puts(b, "; close: ");
	rep__sb_esc(b, vd_close_name(c->close_behavior), 0);
	rep__sb_puts(b, ": ");
	rep__sb_esc(b, c->close_reason ? c->close_reason : "-", 0);
	rep__sb_puts(b, "</system-out>\n    </testcase>\n");
}

/* The suites of agent a; *suite_id numbers the suites of the document
 * from 0 (JUnit's schema wants an integer id). */
static int agent_suites(struct rep_sb *b, const struct res_run *r,
			const struct res_agent *a, unsigned *suite_id)
{
	struct rep_item *items;
	int n = rep__items(a, &items);
	if (n < 0)
		return n;
	char seed[24];
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	size_t i = 0;
	while (i < (size_t)n) {
		char cat[64], other[64];
		rep__category(items[i].id, cat, sizeof(cat));
		size_t j = i;
		struct counts k = {0};
		for (; j < (size_t)n; j++) {
			rep__category(items[j].id, other, sizeof(other));
			if (strcmp(cat, other) != 0)
				break;
			count_item(&k, &items[j]);
		}
		rep__sb_puts(b, "  <testsuite name=\"");
		rep__sb_esc(b, a->agent, 1);
		rep__sb_puts(b, ": category ");
		rep__sb_esc(b, cat, 1);
		rep__sb_printf(b, "\" id=\"%u\"", (*suite_id)++);
		attr_counts(b, &k);
		rep__sb_puts(b, ">\n    <properties>\n");
		property(b, "agent", a->agent);
		property(b, "role", a->role);
		property(b, "target", a->target);
		property(b, "seed", seed);
		property(b, "wsprobe", r->version);
		rep__sb_puts(b, "    </properties>\n");
		for (; i < j; i++)
			testcase(b, &items[i], cat, a->role);
		rep__sb_puts(b, "  </testsuite>\n");
	}
	free(items);
	return 0;
}

int rep_junit_render(const struct res_run *r, char **out, size_t *len)
{
	struct rep_sb b = {0};
	struct counts all = {0};
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		for (size_t j = 0; j < a->ncases; j++) {
			struct rep_item it = {&a->cases[j], NULL, "", NULL, 0};
			count_item(&all, &it);
		}
		for (size_t j = 0; j < a->nexcluded; j++) {
			struct rep_item it = {NULL, &a->excluded[j], "", NULL, 0};
			count_item(&all, &it);
		}
	}
	rep__sb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	rep__sb_puts(&b, "<testsuites name=\"wsprobe\"");
	attr_counts(&b, &all);
	rep__sb_puts(&b, ">\n");
	unsigned suite_id = 0;
	for (size_t i = 0; i < r->nagents; i++) {
		int rc = agent_suites(&b, r, &r->agents[i], &suite_id);
		if (rc != 0) {
			rep__sb_free(&b);
			return rc;
		}
	}
	rep__sb_puts(&b, "</testsuites>\n");
	return rep__sb_finish(&b, out, len);
}

int rep_junit_write(const struct res_run *r, const char *dir, char *err,
		    size_t errlen)
{
	char *text;
	size_t len;
	if (rep_junit_render(r, &text, &len) != 0) {
		snprintf(err, errlen, "junit.xml: out of memory");
		return WSP_E_NOMEM;
	}
	int rc = rep_mkdir_p(dir, err, errlen);
	if (rc == 0)
		rc = rep_write_atomic(dir, "junit.xml", text, len, err, errlen);
	free(text);
	return rc;
}
