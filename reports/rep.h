/*
 * rep.h: report files.  Every writer renders into memory, then
 * rep_write_atomic writes DIR/NAME.tmp, flushes it to disk and renames it
 * into place, so an interrupted run never leaves a half-written report and
 * earlier reports stay intact until the new one is complete.  Output never
 * depends on the locale or the clock: the same results give byte-identical
 * files.
 */
#ifndef REP_H
#define REP_H

#include <stddef.h>
#include <stdio.h>

#include "res.h"

/* Creates dir (and its parents) if missing.  Returns 0 or WSP_E_INVAL with
 * a one-line reason in err. */
int rep_mkdir_p(const char *dir, char *err, size_t errlen);

/* Atomically replaces dir/name with data[0..len).  Returns 0 or WSP_E_INVAL
 * with a one-line reason (path and system error) in err. */
int rep_write_atomic(const char *dir, const char *name, const char *data,
		     size_t len, char *err, size_t errlen);

/* results.json: the native results (docs/report-format.md). */
int rep_json_render(const struct res_run *r, char **out, size_t *len);
int rep_json_write(const struct res_run *r, const char *dir, char *err,
		   size_t errlen);

/* Reads a results.json document (text[0..len)) back into *r.  Returns 0,
 * or WSP_E_INVAL with "line:column: what is wrong" in err.  *r must be
 * freed with res_free either way. */
int rep_json_parse(struct res_run *r, const char *text, size_t len,
		   char *err, size_t errlen);

/* The largest results.json rep_json_load reads. */
#define REP_JSON_MAX_BYTES ((size_t)1 << 30)

/* Reads and parses the results.json at path.  Returns 0, WSP_E_NOMEM, or
 * WSP_E_INVAL with one line in err: "PATH: reason" when the file cannot be
 * read, "PATH:LINE:COLUMN: ..." or "PATH: where: what" when it is not a
 * valid results document.  *r must be freed with res_free either way. */
int rep_json_load(struct res_run *r, const char *path, char *err,
		  size_t errlen);

/* The text summary: counts per category, then each FAILED case with its
 * reason.  colour adds ANSI colours. */
void rep_text_print(FILE *out, const struct res_run *r, int colour);

/* ------------------------------------------------------------------------
 * Every format at once, and the format table (`wsprobe report --format`).
 * Each writer renders the whole file in memory and replaces it with
 * rep_write_atomic; numbers are formatted by integer arithmetic only, so
 * the bytes depend on the results alone (not on locale, clock or order of
 * hash tables).  The layout of each file: docs/report-format.md.
 */

struct rep_format {
	const char *name;   /* as --format takes it: "json", "junit", ... */
	const char *files;  /* what it writes, for messages */
	/* Writes the format's files into dir (created if missing).  Returns
	 * 0, WSP_E_NOMEM, or WSP_E_INVAL with one line (path and reason) in
	 * err. */
	int (*write)(const struct res_run *r, const char *dir, char *err,
		     size_t errlen);
};

/* json, junit, autobahn, html: the formats written into a report folder
 * (the text summary goes to stdout and is not in the table). */
extern const struct rep_format rep_formats[];
extern const size_t rep_nformats;

/* The format called name, or NULL. */
const struct rep_format *rep_format_find(const char *name);

/*
 * Writes every format of rep_formats into dir: results.json first, then
 * junit.xml, the Autobahn layout (index.json and one file per case) and
 * index.html.  Each file is replaced atomically; when one cannot be
 * written the others are still attempted, and the first error is returned
 * (0, WSP_E_NOMEM, or WSP_E_INVAL with one line in err).  This is the
 * function every run (client, run, server) calls.
 */
int rep_write_all(const struct res_run *r, const char *dir, char *err,
		  size_t errlen);

/* junit.xml: a <testsuite> per agent and category, a <testcase> per case
 * (classname = category, name = "id title"), <failure> for FAILED with
 * the reason and an excerpt of the observed events, <skipped/> for
 * excluded cases, times in seconds. */
int rep_junit_render(const struct res_run *r, char **out, size_t *len);
int rep_junit_write(const struct res_run *r, const char *dir, char *err,
		    size_t errlen);

/* The Autobahn|Testsuite layout: index.json ({agent: {case id: {behavior,
 * behaviorClose, duration, remoteCloseCode, reportfile}}}, sorted keys,
 * three-space indent) and <agent>_case_<X_Y_Z>.json per case.  The case
 * files are written first and index.json last, so index.json never names a
 * file that is not there. */
int rep_autobahn_write(const struct res_run *r, const char *dir, char *err,
		       size_t errlen);
int rep_autobahn_render_index(const struct res_run *r, char **out,
			      size_t *len);
/* The per-case document of case ci of agent ai (both in range). */
int rep_autobahn_render_case(const struct res_run *r, size_t ai, size_t ci,
			     char **out, size_t *len);
/* Autobahn's file-name form of an agent name: lower-cased, every byte
 * outside [a-z0-9] a space, trimmed, spaces to '_' ("AutobahnPython/0.10.9"
 * gives "autobahnpython_0_10_9"); "agent" when nothing is left.  Writes
 * at most cap - 1 bytes and a NUL. */
void rep_autobahn_name(const char *agent, char *out, size_t cap);
/* The case file name for agent ai of r: "<name>_case_<X_Y_Z>.json", where
 * two agents with the same name form get "_2", "_3"... appended to the
 * later ones' names, and bytes of the id outside [A-Za-z0-9-] become '_'
 * (a results.json from elsewhere can never name a path outside dir). */
void rep_autobahn_case_file(const struct res_run *r, size_t ai,
			    const char *id, char *out, size_t cap);

/* index.html: one self-contained page (no external resource, a
 * Content-Security-Policy that allows only its own inline script and
 * style): a matrix of cases by agents coloured by verdict, filters by
 * verdict and category, and every case in full (description, expectation,
 * verdict reasons, close details, observed events, requirements with their
 * summaries, the opening handshake). */
int rep_html_render(const struct res_run *r, char **out, size_t *len);
int rep_html_write(const struct res_run *r, const char *dir, char *err,
		   size_t errlen);

/* ------------------------------------------------------------------------
 * Baselines: the expected verdict of each case, so the CI of an
 * implementation with known failures fails only when something gets worse.
 */

/* The order a baseline compares in: FAILED (0) < NON-STRICT,
 * INFORMATIONAL, UNIMPLEMENTED (1) < OK (2).  A case is a regression when
 * its rank is lower than its baseline's. */
int rep_verdict_rank(enum vd_behavior v);

struct rep_base_entry {
	char *agent;
	char *id;
	enum vd_behavior verdict;
};

struct rep_baseline {
	struct rep_base_entry *e;
	size_t n, cap;
};

/* baseline.json for r: {"format": "wsprobe-baseline", "version": 1,
 * "agents": {agent: {case id: verdict}}}, agents in run order, cases in id
 * order, one case per line. */
int rep_baseline_render(const struct res_run *r, char **out, size_t *len);

/*
 * Reads a baseline from text[0..len): a baseline.json, a results.json, or
 * an Autobahn index.json (verdict = FAILED when behavior is FAILED or
 * behaviorClose is FAILED, WRONG CODE, UNCLEAN or FAILED BY CLIENT, else
 * behavior).  name prefixes messages.  Returns 0, WSP_E_NOMEM, or
 * WSP_E_INVAL with one line "NAME: what is wrong" in err; *b must be
 * freed with rep_baseline_free either way.
 */
int rep_baseline_parse(struct rep_baseline *b, const char *name,
		       const char *text, size_t len, char *err, size_t errlen);
/* Reads the file path and parses it (an unreadable file is WSP_E_INVAL). */
int rep_baseline_load(struct rep_baseline *b, const char *path, char *err,
		      size_t errlen);
void rep_baseline_free(struct rep_baseline *b);

struct rep_cmp {
	unsigned regressions; /* worse than the baseline, or a FAILED case
			       * the baseline does not list */
	unsigned fixed;       /* FAILED in the baseline, better now */
	unsigned improved;    /* better, from a verdict other than FAILED */
	unsigned changed;     /* another verdict of the same rank */
	unsigned unchanged;
	unsigned added;       /* not in the baseline, not FAILED */
	unsigned not_run;     /* in the baseline, neither played nor
			       * excluded now */
};

/*
 * Compares r with b and prints, to out (may be NULL), one line per
 * regression, fixed, improved, changed and FAILED-new case, then a count
 * line.  Agents are matched by name; when the baseline and the run have
 * one agent each, those two are compared whatever their names (the
 * default agent name is the URL, whose port may differ between runs).
 * Excluded cases are not compared.  Returns the number of regressions.
 */
unsigned rep_baseline_compare(const struct rep_baseline *b,
			      const struct res_run *r, FILE *out,
			      struct rep_cmp *cmp);

#endif
