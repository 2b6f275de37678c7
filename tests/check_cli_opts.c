/*
 * check_cli_opts.c: the table-driven option parser: long and short forms,
 * "--name=value", values in the next argument, positional arguments mixed
 * with options, "--", and one-line errors for every misuse.
 */
#include <string.h>

#include "cli_opts.h"
#include "lib.h"

enum { O_JOBS, O_AGENT, O_VERBOSE, O_SCALE };

static const struct cli_opt opts[] = {
	{"jobs", 'j', 1, "N", "cases in parallel", O_JOBS},
	{"agent", 0, 1, "NAME", "agent name", O_AGENT},
	{"verbose", 'v', 0, NULL, "more output", O_VERBOSE},
	{"timeout-scale", 0, 1, "F", "multiply timers", O_SCALE},
};

struct seen {
	uint64_t jobs;
	const char *agent;
	int verbose;
	double scale;
};

static int set(void *ctx, int id, const char *val, char *err, size_t errlen)
{
	struct seen *s = ctx;
	switch (id) {
	case O_JOBS:
		if (cli_parse_u64(val, 1, 64, &s->jobs) != 0) {
			snprintf(err, errlen, "t: --jobs takes 1 to 64, not '%s'", val);
			return -1;
		}
		return 0;
	case O_AGENT:
		s->agent = val;
		return 0;
	case O_VERBOSE:
		s->verbose++;
		return 0;
	case O_SCALE:
		return cli_parse_double(val, 0.01, 100, &s->scale);
	}
	return -1;
}

static int run(int argc, char **argv, struct seen *s, char **pos, int *np,
	       char *err)
{
	memset(s, 0, sizeof(*s));
	return cli_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), set, s,
			 "t [options] URL...", pos, np, err, 256);
}

START_TEST(cli_opts_forms)
{
	char *argv[] = {"t", "ws://a", "-j", "4", "--agent=x", "-v", "ws://b",
			"--timeout-scale", "2.5", "-j3", "--", "--not-an-option"};
	struct seen s;
	char *pos[12];
	int np;
	char err[256];
	ck_assert_int_eq(run(12, argv, &s, pos, &np, err), 0);
	ck_assert_uint_eq(s.jobs, 3);
	ck_assert_str_eq(s.agent, "x");
	ck_assert_int_eq(s.verbose, 1);
	ck_assert(s.scale == 2.5);
	ck_assert_int_eq(np, 3);
	ck_assert_str_eq(pos[0], "ws://a");
	ck_assert_str_eq(pos[1], "ws://b");
	ck_assert_str_eq(pos[2], "--not-an-option");
}
END_TEST

static const struct {
	const char *args[3];
	int n;
	const char *want;
} errs[] = {
	{{"--nope"}, 1, "t: unknown option '--nope' (see wsprobe t --help)"},
	{{"-x"}, 1, "t: unknown option '-x' (see wsprobe t --help)"},
	{{"--jobs"}, 1, "t: option '--jobs' needs a value (N)"},
	{{"--verbose=1"}, 1, "t: option '--verbose' takes no value"},
	{{"--jobs", "0"}, 2, "t: --jobs takes 1 to 64, not '0'"},
	{{"--jobs", "4x"}, 2, "t: --jobs takes 1 to 64, not '4x'"},
	{{"--timeout-scale", "abc"}, 2, "t: bad value for '--timeout-scale'"},
	{{"--timeout-scale", "nan"}, 2, "t: bad value for '--timeout-scale'"},
};

START_TEST(cli_opts_errors_are_one_line)
{
	char *argv[4] = {"t"};
	for (int i = 0; i < errs[_i].n; i++)
		argv[1 + i] = (char *)errs[_i].args[i];
	struct seen s;
	char *pos[4];
	int np;
	char err[256];
	ck_assert_int_eq(run(1 + errs[_i].n, argv, &s, pos, &np, err), -1);
	ck_assert_str_eq(err, errs[_i].want);
}
END_TEST

START_TEST(cli_opts_numbers)
{
	uint64_t u;
	double d;
	ck_assert_int_eq(cli_parse_u64("18446744073709551615", 0, UINT64_MAX, &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(cli_parse_u64("18446744073709551616", 0, UINT64_MAX, &u), -1);
	ck_assert_int_eq(cli_parse_u64("-1", 0, 10, &u), -1);
	ck_assert_int_eq(cli_parse_u64("", 0, 10, &u), -1);
	ck_assert_int_eq(cli_parse_double("0.5", 0, 1, &d), 0);
	ck_assert_int_eq(cli_parse_double("inf", 0, 1e300, &d), -1);
	ck_assert_int_eq(cli_parse_double("1.5", 0, 1, &d), -1);
}
END_TEST

START_TEST(cli_opts_lists_and_listen)
{
	const char *out[3];
	size_t n = 0;
	char err[128];
	char l1[] = "1.*, 2.10,,3.1";
	ck_assert_int_eq(cli_split_list(out, &n, 3, l1, err, sizeof(err), "--cases"), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[1], "2.10");
	char l2[] = "4.*";
	ck_assert_int_eq(cli_split_list(out, &n, 3, l2, err, sizeof(err), "--cases"), -1);
	ck_assert_str_eq(err, "--cases: at most 3 patterns");
	char host[64];
	const char *hp;
	uint16_t port;
	ck_assert_int_eq(cli_parse_listen("127.0.0.1:9001", host, sizeof(host), &hp, &port), 0);
	ck_assert_str_eq(hp, "127.0.0.1");
	ck_assert_uint_eq(port, 9001);
	ck_assert_int_eq(cli_parse_listen("[::1]:0", host, sizeof(host), &hp, &port), 0);
	ck_assert_str_eq(hp, "::1");
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(cli_parse_listen(":80", host, sizeof(host), &hp, &port), 0);
	ck_assert_ptr_null(hp);
	ck_assert_int_eq(cli_parse_listen("localhost", host, sizeof(host), &hp, &port), -1);
	ck_assert_int_eq(cli_parse_listen("h:65536", host, sizeof(host), &hp, &port), -1);
}
END_TEST

Suite *cli_opts_suite(void)
{
	Suite *s = suite_create("cli_opts");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, cli_opts_forms);
	tcase_add_loop_test(tc, cli_opts_errors_are_one_line, 0,
			    (int)(sizeof(errs) / sizeof(errs[0])));
	tcase_add_test(tc, cli_opts_numbers);
	tcase_add_test(tc, cli_opts_lists_and_listen);
	suite_add_tcase(s, tc);
	return s;
}
