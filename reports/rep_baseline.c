/*
 * rep_baseline.c: baselines, the expected verdict of every case, and the
 * comparison a CI job makes against one (`--baseline FILE`: exit 1 only on
 * a regression).  Contract and definitions in rep.h; the file format in
 * docs/report-format.md.
 *
 * Three documents are read as baselines, told apart by their shape: our
 * baseline.json ({"format": "wsprobe-baseline", ...}), a results.json
 * ({"tool": ..., "agents": [...]}: an earlier run is its own baseline) and
 * Autobahn's index.json ({agent: {id: {behavior, behaviorClose, ...}}}),
 * which is what projects that moved from Autobahn have committed today.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rep.h"
#include "rep_int.h"
#include "wsp_err.h"

/* The largest baseline file read (a full run is well under 1 MiB). */
#define BASELINE_MAX_BYTES (64u << 20)

int rep_verdict_rank(enum vd_behavior v)
{
	switch (v) {
	case VD_OK:
		return 2;
	case VD_NON_STRICT:
	case VD_INFORMATIONAL:
	case VD_UNIMPLEMENTED:
		return 1;
	case VD_FAILED:
	default:
		return 0;
	}
}

/* --- writing ------------------------------------------------------------ */

struct ordered {
	const struct res_case *c;
	size_t order;
};

static int cmp_ordered(const void *x, const void *y)
{
	const struct ordered *a = x, *b = y;
	int c = rep__id_cmp(a->c->id ? a->c->id : "", b->c->id ? b->c->id : "");
	if (c != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int same_name(const struct res_agent *a, const struct res_agent *b)
{
	return strcmp(a->agent ? a->agent : "", b->agent ? b->agent : "") == 0;
}

/* One JSON string, encoded by jansson (escapes, UTF-8 clean-up). */
static int put_json_str(struct rep_sb *b, const char *s)
{
	json_t *v = rep__json_str(s ? s : "");
	char *e = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	json_decref(v);
	if (e == NULL)
		return WSP_E_NOMEM;
	rep__sb_puts(b, e);
	free(e);
	return 0;
}

/* Agents of the same name are written as one (their cases merged), and a
 * case id listed twice keeps its first verdict, the one
 * rep_baseline_compare finds: a baseline never has duplicate keys, which
 * its reader would refuse. */
int rep_baseline_render(const struct res_run *r, char **out, size_t *len)
{
	struct rep_sb b = {0};
	size_t total = 0, written = 0;
	for (size_t i = 0; i < r->nagents; i++)
		total += r->agents[i].ncases;
	struct ordered *cs = calloc(total ? total : 1, sizeof(*cs));
	if (cs == NULL)
		return WSP_E_NOMEM;
	rep__sb_puts(&b, "{\n  \"format\": \"wsprobe-baseline\",\n"
			 "  \"version\": 1,\n  \"agents\": {");
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = same_name(&r->agents[j], a);
		if (seen)
			continue;
		size_t n = 0;
		for (size_t k = i; k < r->nagents; k++) {
			if (!same_name(&r->agents[k], a))
				continue;
			for (size_t j = 0; j < r->agents[k].ncases; j++, n++) {
				cs[n].c = &r->agents[k].cases[j];
				cs[n].order = n;
			}
		}
		qsort(cs, n, sizeof(*cs), cmp_ordered);
		rep__sb_puts(&b, written++ ? ",\n    " : "\n    ");
		if (put_json_str(&b, a->agent) != 0)
			goto nomem;
		rep__sb_puts(&b, ": {");
		size_t shown = 0;
		for (size_t j = 0; j < n; j++) {
			const char *id = cs[j].c->id ? cs[j].c->id : "";
			if (j > 0 && strcmp(id, cs[j - 1].c->id ? cs[j - 1].c->id
								: "") == 0)
				continue; /* a duplicate: the first one counts */
			rep__sb_puts(&b, shown++ ? ",\n      " : "\n      ");
			if (put_json_str(&b, id) != 0)
				goto nomem;
			rep__sb_printf(&b, ": \"%s\"", vd_behavior_name(cs[j].c->verdict));
		}
		rep__sb_puts(&b, shown ? "\n    }" : "}");
	}
	rep__sb_puts(&b, written ? "\n  }\n}\n" : "}\n}\n");
	free(cs);
	return rep__sb_finish(&b, out, len);
nomem:
	free(cs);
	rep__sb_free(&b);
	return WSP_E_NOMEM;
}

/* --- reading ------------------------------------------------------------ */

void rep_baseline_free(struct rep_baseline *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].agent);
		free(b->e[i].id);
	}
	free(b->e);
	memset(b, 0, sizeof(*b));
}

static int add(struct rep_baseline *b, const char *agent, const char *id,
	       enum vd_behavior v)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct rep_base_entry *ne = realloc(b->e, ncap * sizeof(*ne));
		if (ne == NULL)
			return WSP_E_NOMEM;
		b->e = ne;
		b->cap = ncap;
	}
	struct rep_base_entry *e = &b->e[b->n];
	memset(e, 0, sizeof(*e));
	if (res_set_str(&e->agent, agent) != 0 || res_set_str(&e->id, id) != 0) {
		free(e->agent);
		free(e->id);
		return WSP_E_NOMEM;
	}
	e->verdict = v;
	b->n++;
	return 0;
}

/* Autobahn's two fields to one verdict: FAILED when either is a failure
 * (the rule verdict.h applies to our own cases). */
static int autobahn_verdict(json_t *co, enum vd_behavior *v)
{
	json_t *beh = json_object_get(co, "behavior");
	json_t *cl = json_object_get(co, "behaviorClose");
	if (!json_is_string(beh))
		return -1;
	int bv = vd_behavior_parse(json_string_value(beh));
	if (bv < 0)
		return -1;
	*v = (enum vd_behavior)bv;
	if (json_is_string(cl)) {
		const char *s = json_string_value(cl);
		for (int k = VDC_OK; k <= VDC_INFORMATIONAL; k++)
			if (strcmp(s, vd_close_name((enum vd_close)k)) == 0 &&
			    vd_close_is_failure((enum vd_close)k))
				*v = VD_FAILED;
	} else if (cl != NULL && !json_is_null(cl)) {
		return -1;
	}
	return 0;
}

static int parse_autobahn(struct rep_baseline *b, json_t *root,
			  const char *name, char *err, size_t errlen)
{
	const char *agent;
	json_t *ao;
	json_object_foreach(root, agent, ao) {
		if (!json_is_object(ao)) {
			snprintf(err, errlen, "%s: \"%.60s\": must be an object of "
					      "cases", name, agent);
			return WSP_E_INVAL;
		}
		const char *id;
		json_t *co;
		json_object_foreach(ao, id, co) {
			enum vd_behavior v;
			if (!json_is_object(co) || autobahn_verdict(co, &v) != 0) {
				snprintf(err, errlen, "%s: \"%.60s\" case \"%.32s\": "
						      "needs \"behavior\" (OK, "
						      "NON-STRICT, FAILED, "
						      "INFORMATIONAL or "
						      "UNIMPLEMENTED)",
					 name, agent, id);
				return WSP_E_INVAL;
			}
			if (add(b, agent, id, v) != 0)
				return WSP_E_NOMEM;
		}
	}
	return 0;
}

static int parse_ours(struct rep_baseline *b, json_t *root, const char *name,
		      char *err, size_t errlen)
{
	json_t *ver = json_object_get(root, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		snprintf(err, errlen, "%s: \"version\" must be 1 (this wsprobe "
				      "reads baseline version 1)", name);
		return WSP_E_INVAL;
	}
	json_t *agents = json_object_get(root, "agents");
	if (!json_is_object(agents)) {
		snprintf(err, errlen, "%s: \"agents\" must be an object", name);
		return WSP_E_INVAL;
	}
	const char *agent;
	json_t *ao;
	json_object_foreach(agents, agent, ao) {
		if (!json_is_object(ao)) {
			snprintf(err, errlen, "%s: agents.\"%.60s\" must be an "
					      "object {case id: verdict}", name, agent);
			return WSP_E_INVAL;
		}
		const char *id;
		json_t *v;
		json_object_foreach(ao, id, v) {
			int bv = json_is_string(v)
					 ? vd_behavior_parse(json_string_value(v))
					 : -1;
			if (bv < 0) {
				snprintf(err, errlen, "%s: agents.\"%.60s\".\"%.32s\": "
						      "must be OK, NON-STRICT, FAILED, "
						      "INFORMATIONAL or UNIMPLEMENTED",
					 name, agent, id);
				return WSP_E_INVAL;
			}
			if (add(b, agent, id, (enum vd_behavior)bv) != 0)
				return WSP_E_NOMEM;
		}
	}
	return 0;
}

int rep_baseline_parse(struct rep_baseline *b, const char *name,
		       const char *text, size_t len, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column,
			 je.text);
		rep__oneline(err); /* je.text quotes the input */
		return WSP_E_INVAL;
	}
	int rc;
	json_t *format = json_object_get(root, "format");
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: a baseline must be a JSON object", name);
		rc = WSP_E_INVAL;
	} else if (format != NULL) {
		if (!json_is_string(format) ||
		    strcmp(json_string_value(format), "wsprobe-baseline") != 0) {
			snprintf(err, errlen, "%s: \"format\" must be "
					      "\"wsprobe-baseline\"", name);
			rc = WSP_E_INVAL;
		} else {
			rc = parse_ours(b, root, name, err, errlen);
		}
	} else if (json_is_array(json_object_get(root, "agents"))) {
		/* A results.json: its verdicts are the baseline. */
		struct res_run r;
		char e2[256] = "";
		rc = rep_json_parse(&r, text, len, e2, sizeof(e2));
		if (rc != 0)
			snprintf(err, errlen, "%s: %s", name, e2);
		for (size_t i = 0; rc == 0 && i < r.nagents; i++)
			for (size_t j = 0; rc == 0 && j < r.agents[i].ncases; j++)
				rc = add(b, r.agents[i].agent, r.agents[i].cases[j].id,
					 r.agents[i].cases[j].verdict);
		if (rc == WSP_E_NOMEM)
			snprintf(err, errlen, "%s: out of memory", name);
		res_free(&r);
	} else {
		rc = parse_autobahn(b, root, name, err, errlen);
	}
	json_decref(root);
	if (rc != 0) /* agent names and ids in messages are the input's */
		rep__oneline(err);
	return rc;
}

int rep_baseline_load(struct rep_baseline *b, const char *path, char *err,
		      size_t errlen)
{
	memset(b, 0, sizeof(*b));
	char *text;
	size_t len;
	int rc = rep__read_file(path, BASELINE_MAX_BYTES, &text, &len, err,
				errlen);
	if (rc != 0)
		return rc;
	rc = rep_baseline_parse(b, path, text, len, err, errlen);
	free(text);
	return rc;
}

/* --- comparing ---------------------------------------------------------- */

static const struct rep_base_entry *find(const struct rep_baseline *b,
					 const char *agent, const char *id)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->e[i].agent, agent) == 0 &&
		    strcmp(b->e[i].id, id) == 0)
			return &b->e[i];
	return NULL;
}

static int has_agent(const struct rep_baseline *b, const char *agent)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->e[i].agent, agent) == 0)
			return 1;
	return 0;
}

/* The one agent name in b, or NULL when b names none or several. */
static const char *only_agent(const struct rep_baseline *b)
{
	if (b->n == 0)
		return NULL;
	for (size_t i = 1; i < b->n; i++)
		if (strcmp(b->e[i].agent, b->e[0].agent) != 0)
			return NULL;
	return b->e[0].agent;
}

static int is_excluded(const struct res_agent *a, const char *id)
{
	for (size_t i = 0; i < a->nexcluded; i++)
		if (a->excluded[i].id != NULL && strcmp(a->excluded[i].id, id) == 0)
			return 1;
	return 0;
}

static int played(const struct res_agent *a, const char *id)
{
	for (size_t i = 0; i < a->ncases; i++)
		if (a->cases[i].id != NULL && strcmp(a->cases[i].id, id) == 0)
			return 1;
	return 0;
}

static void line(FILE *out, const char *tag, const struct res_agent *a,
		 const struct res_case *c, const char *from)
{
	if (out == NULL)
		return;
	fprintf(out, "  %-10s %s %s: %s -> %s", tag, a->agent, c->id, from,
		vd_behavior_name(c->verdict));
	if (c->verdict == VD_FAILED)
		fprintf(out, ": %s", rep__why(c));
	fputc('\n', out);
}

unsigned rep_baseline_compare(const struct rep_baseline *b,
			      const struct res_run *r, FILE *out,
			      struct rep_cmp *cmp)
{
	memset(cmp, 0, sizeof(*cmp));
	const char *solo = r->nagents == 1 ? only_agent(b) : NULL;
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		if (a->agent == NULL)
			continue;
		const char *bname = has_agent(b, a->agent) ? a->agent : solo;
		for (size_t j = 0; j < a->ncases; j++) {
			const struct res_case *c = &a->cases[j];
			if (c->id == NULL)
				continue;
			const struct rep_base_entry *e =
				bname ? find(b, bname, c->id) : NULL;
			if (e == NULL) {
				/* Not in the baseline: new cases may pass or be
				 * less than OK, but may not fail. */
				if (c->verdict == VD_FAILED) {
					cmp->regressions++;
					line(out, "REGRESSION", a, c, "(new)");
				} else {
					cmp->added++;
				}
				continue;
			}
			int now = rep_verdict_rank(c->verdict);
			int then = rep_verdict_rank(e->verdict);
			const char *from = vd_behavior_name(e->verdict);
			if (now < then) {
				cmp->regressions++;
				line(out, "REGRESSION", a, c, from);
			} else if (now > then && e->verdict == VD_FAILED) {
				cmp->fixed++;
				line(out, "FIXED", a, c, from);
			} else if (now > then) {
				cmp->improved++;
				line(out, "IMPROVED", a, c, from);
			} else if (c->verdict != e->verdict) {
				cmp->changed++;
				line(out, "CHANGED", a, c, from);
			} else {
				cmp->unchanged++;
			}
		}
		/* Baseline cases this run neither played nor excluded. */
		for (size_t k = 0; bname != NULL && k < b->n; k++)
			if (strcmp(b->e[k].agent, bname) == 0 &&
			    !played(a, b->e[k].id) && !is_excluded(a, b->e[k].id))
				cmp->not_run++;
	}
	if (out != NULL)
		fprintf(out, "baseline: %u regression%s, %u fixed, %u improved, "
			     "%u changed, %u unchanged, %u new, %u not run\n",
			cmp->regressions, cmp->regressions == 1 ? "" : "s",
			cmp->fixed, cmp->improved, cmp->changed, cmp->unchanged,
			cmp->added, cmp->not_run);
	return cmp->regressions;
}
