/*
 * cli_report.c: `wsprobe report DIR`: renders DIR/results.json again into
 * DIR (every format, or the one --format names), writes a baseline from it
 * (--make-baseline), or compares it with one (--baseline FILE).  Parsing
 * only; the writers are in reports/ (rep.h).
 *
 * Exit codes: 0 done; 1 a regression against --baseline; 2 usage; 3 bad
 * input (DIR/results.json or the baseline missing or invalid); 5 a file
 * could not be written.  Every error is one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "rep.h"
#include "wsp_err.h"

enum { R_FORMAT, R_MAKE_BASELINE, R_BASELINE, R_QUIET };

static const struct cli_opt report_table[] = {
	{"format", 'f', 1, "FORMAT", "only this one: text (the summary on stdout), json, junit, autobahn or html", R_FORMAT},
	{"make-baseline", 0, 0, NULL, "write DIR/baseline.json, the expected verdicts for --baseline, and nothing else", R_MAKE_BASELINE},
	{"baseline", 'b', 1, "FILE", "compare with FILE; exit 1 only when a case is worse than there", R_BASELINE},
	{"quiet", 'q', 0, NULL, "no summary on stdout", R_QUIET},
};

struct report_args {
	const char *format;
	const char *baseline;
	int make_baseline;
	int quiet;
};

static int report_set(void *ctx, int id, const char *val, char *err,
		      size_t errlen)
{
	struct report_args *a = ctx;
	switch (id) {
	case R_FORMAT:
		if (strcmp(val, "text") != 0 && rep_format_find(val) == NULL) {
			snprintf(err, errlen, "report: --format takes text, json, "
					      "junit, autobahn or html, not '%s'",
				 val);
			return -1;
		}
		a->format = val;
		return 0;
	case R_MAKE_BASELINE:
		a->make_baseline = 1;
		return 0;
	case R_BASELINE:
		a->baseline = val;
		return 0;
	case R_QUIET:
		a->quiet = 1;
		return 0;
	}
	return -1;
}

static int make_baseline(const struct res_run *r, const char *dir, int quiet)
{
	char *text, err[512];
	size_t len;
	if (rep_baseline_render(r, &text, &len) != 0) {
		fprintf(stderr, "wsprobe report: out of memory\n");
		return CLI_EXIT_INTERNAL;
	}
	int rc = rep_write_atomic(dir, "baseline.json", text, len, err,
				  sizeof(err));
	free(text);
	if (rc != 0) {
		fprintf(stderr, "wsprobe report: %s\n", err);
		return CLI_EXIT_INTERNAL;
	}
	if (!quiet) {
		size_t n = 0;
		for (size_t i = 0; i < r->nagents; i++)
			n += r->agents[i].ncases;
		printf("baseline: %s/baseline.json (%zu cases); commit it and "
		       "pass it to --baseline\n",
		       dir, n);
	}
	return CLI_EXIT_OK;
}

int cli_report(int argc, char **argv)
{
	struct report_args a;
	memset(&a, 0, sizeof(a));
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0;
	char err[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	int rc = cli_parse(argc, argv, report_table,
			   sizeof(report_table) / sizeof(report_table[0]),
			   report_set, &a,
			   "wsprobe report DIR [--format FORMAT] [--make-baseline] "
			   "[--baseline FILE]",
			   pos, &npos, err, sizeof(err));
	const char *dir = npos == 1 ? pos[0] : NULL;
	free(pos);
	if (rc == 1)
		return CLI_EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "wsprobe %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (dir == NULL) {
		fprintf(stderr, "wsprobe report: give one report folder (see "
				"wsprobe report --help)\n");
		return CLI_EXIT_USAGE;
	}
	if (a.make_baseline && a.format != NULL) {
		fprintf(stderr, "wsprobe report: --make-baseline writes only the "
				"baseline; leave out --format\n");
		return CLI_EXIT_USAGE;
	}

	/* Everything that can be bad input is read before anything is
	 * written. */
	char path[4200];
	snprintf(path, sizeof(path), "%s/results.json", dir);
	struct res_run r;
	if (rep_json_load(&r, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "wsprobe report: %s\n", err);
		res_free(&r);
		return CLI_EXIT_INPUT;
	}
	struct rep_baseline base;
	memset(&base, 0, sizeof(base));
	if (a.baseline != NULL &&
	    rep_baseline_load(&base, a.baseline, err, sizeof(err)) != 0) {
		fprintf(stderr, "wsprobe report: %s\n", err);
		rep_baseline_free(&base);
		res_free(&r);
		return CLI_EXIT_INPUT;
	}

	int exit_code = CLI_EXIT_OK;
	if (a.make_baseline) {
		exit_code = make_baseline(&r, dir, a.quiet);
	} else {
		int text = a.format == NULL || strcmp(a.format, "text") == 0;
		const struct rep_format *only =
			a.format != NULL ? rep_format_find(a.format) : NULL;
		if (text && !a.quiet)
			rep_text_print(stdout, &r,
				       isatty(1) && getenv("NO_COLOR") == NULL);
		if (a.format == NULL)
			rc = rep_write_all(&r, dir, err, sizeof(err));
		else if (only != NULL)
			rc = only->write(&r, dir, err, sizeof(err));
		else
			rc = 0;
		if (rc != 0) {
			fprintf(stderr, "wsprobe report: %s\n", err);
			exit_code = CLI_EXIT_INTERNAL;
		} else if (!a.quiet && (a.format == NULL || only != NULL)) {
			printf("report: %s/%s\n", dir,
			       only != NULL ? only->files
					    : "index.html, junit.xml, index.json, "
					      "results.json");
		}
	}
	if (a.baseline != NULL && exit_code == CLI_EXIT_OK) {
		struct rep_cmp cmp;
		if (rep_baseline_compare(&base, &r, stdout, &cmp) > 0)
			exit_code = CLI_EXIT_FAILED;
	}
	rep_baseline_free(&base);
	res_free(&r);
	return exit_code;
}
