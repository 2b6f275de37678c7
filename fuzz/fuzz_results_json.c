/*
 * fuzz_results_json.c: libFuzzer target for the two JSON documents wsprobe
 * reads back, results.json (rep_json_parse) and baselines
 * (rep_baseline_parse), and for every writer fed from what they accept.
 *
 * Checks, beyond "no crash, no over-read, no leak" (the input is copied
 * into an exactly-sized buffer):
 *   - results.json round trip: a document that parses renders to text that
 *     parses again and renders to the same bytes;
 *   - the wire logs it carries are decoded by every writer (index.html has
 *     one wire-log table per case with a non-empty log);
 *   - the writers never fail on parsed results, and their output gains no
 *     markup from the strings in the input: junit.xml holds no "<script",
 *     comment or CDATA section, index.html exactly one "<script" (its own);
 *     both are valid UTF-8 without control characters; index.json and the
 *     first case documents are JSON again;
 *   - a baseline made from parsed results parses, and compared with those
 *     results finds no regression, nothing new and nothing missing (when
 *     no agent name and no case id of an agent appears twice);
 *   - the same input as a baseline parses or fails with a one-line error,
 *     and comparing it with the results never crashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "rep.h"
#include "u8.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

static void clean_text(const char *s, size_t n)
{
	check(u8_ref_validate((const uint8_t *)s, n, NULL) == 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		check(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		check(c != 0x7f);
	}
}

/* 1 when two agents share a name or an agent lists a case id twice: the
 * baseline then merges or drops entries, and a comparison may differ. */
static int has_duplicates(const struct res_run *r)
{
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		for (size_t k = i + 1; k < r->nagents; k++)
			if (strcmp(a->agent, r->agents[k].agent) == 0)
				return 1;
		for (size_t x = 0; x < a->ncases; x++)
			for (size_t y = x + 1; y < a->ncases; y++)
				if (strcmp(a->cases[x].id, a->cases[y].id) == 0)
					return 1;
	}
	return 0;
}

static void writers(const struct res_run *r)
{
	char *t, *t2;
	size_t n, n2;
	char err[256];

	/* results.json: same bytes after a round trip. */
	check(rep_json_render(r, &t, &n) == 0);
	struct res_run back;
	check(rep_json_parse(&back, t, n, err, sizeof(err)) == 0);
	check(rep_json_render(&back, &t2, &n2) == 0);
	check(n == n2 && memcmp(t, t2, n) == 0);
	free(t2);
	res_free(&back);
	free(t);

	check(rep_junit_render(r, &t, &n) == 0);
	clean_text(t, n);
	check(strstr(t, "<script") == NULL);
	check(strstr(t, "<!--") == NULL);
	check(strstr(t, "<![CDATA[") == NULL);
	free(t);

	check(rep_html_render(r, &t, &n) == 0);
	clean_text(t, n);
	check(count(t, "<script") == 1);
	size_t logs = 0;
	for (size_t i = 0; i < r->nagents; i++)
		for (size_t k = 0; k < r->agents[i].ncases; k++)
			logs += r->agents[i].cases[k].wire.present &&
				r->agents[i].cases[k].wire.nrecs > 0;
	check(count(t, "<table class=\"wl\">") == logs);
	check(strstr(t, "<!--") == NULL);
	free(t);

	check(rep_autobahn_render_index(r, &t, &n) == 0);
	json_t *j = json_loadb(t, n, 0, NULL);
	check(j != NULL);
	json_decref(j);
	free(t);
	for (size_t i = 0; i < r->nagents && i < 2; i++)
		for (size_t k = 0; k < r->agents[i].ncases && k < 2; k++) {
			check(rep_autobahn_render_case(r, i, k, &t, &n) == 0);
			j = json_loadb(t, n, 0, NULL);
			check(j != NULL);
			json_decref(j);
			free(t);
		}

	/* A baseline of these results: readable, and nothing regressed. */
	check(rep_baseline_render(r, &t, &n) == 0);
	struct rep_baseline b;
	check(rep_baseline_parse(&b, "b", t, n, err, sizeof(err)) == 0);
	struct rep_cmp cmp;
	unsigned reg = rep_baseline_compare(&b, r, NULL, &cmp);
	if (!has_duplicates(r))
		check(reg == 0 && cmp.added == 0 && cmp.not_run == 0);
	rep_baseline_free(&b);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	char err[256];

	struct res_run r;
	int rc = rep_json_parse(&r, buf, size, err, sizeof(err));
	check(rc == 0 || strchr(err, '\n') == NULL);
	if (rc == 0)
		writers(&r);

	struct rep_baseline b;
	err[0] = '\0';
	int brc = rep_baseline_parse(&b, "in", buf, size, err, sizeof(err));
	check(brc == 0 || (err[0] != '\0' && strchr(err, '\n') == NULL));
	if (brc == 0 && rc == 0) {
		struct rep_cmp cmp;
		unsigned reg = rep_baseline_compare(&b, &r, NULL, &cmp);
		check(reg == cmp.regressions);
	}
	rep_baseline_free(&b);
	res_free(&r);
	free(buf);
	return 0;
}
