/*
 * check_cli_opts.c: the table-driven option parser: long and short forms,
 * "--name=value", values in the next argument, positional arguments mixed
 * with options, "--", and one-line errors for every misuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_opts.h"
#include "lib.h"
#include "pmd.h"

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

/* The setters the subcommands share: each value, a prefix, the exact
 * message (empty: accepted). */
enum { SH_SEED, SH_SCALE, SH_MAXMSG, SH_PCAPMAX, SH_LISTEN };

struct shared_vec {
	int which;
	const char *val;
	const char *pre;
	const char *want;
};

static const struct shared_vec shared_vecs[] = {
	{SH_SEED, "0", "", ""},
	{SH_SEED, "18446744073709551615", "", ""},
	{SH_SEED, "18446744073709551616", "",
	 "--seed takes a number from 0 to 2^64-1, not '18446744073709551616'"},
	{SH_SEED, "-1", "server: ",
	 "server: --seed takes a number from 0 to 2^64-1, not '-1'"},
	{SH_SCALE, "0.05", "", ""},
	{SH_SCALE, "1000", "", ""},
	{SH_SCALE, "0.049", "", "--timeout-scale takes 0.05 to 1000, not '0.049'"},
	{SH_SCALE, "nan", "server: ",
	 "server: --timeout-scale takes 0.05 to 1000, not 'nan'"},
	{SH_MAXMSG, "1", "", ""},
	{SH_MAXMSG, "1099511627776", "", ""},
	{SH_MAXMSG, "0", "echo: ", "echo: --max-message takes 1 to 2^40 bytes, not '0'"},
	{SH_MAXMSG, "1099511627777", "",
	 "--max-message takes 1 to 2^40 bytes, not '1099511627777'"},
	{SH_PCAPMAX, "4096", "", ""},
	{SH_PCAPMAX, "4095", "server: ",
	 "server: --pcap-max takes 4096 to 2^40 bytes, not '4095'"},
	{SH_PCAPMAX, "1099511627777", "",
	 "--pcap-max takes 4096 to 2^40 bytes, not '1099511627777'"},
	{SH_LISTEN, "127.0.0.1:9001", "", ""},
	{SH_LISTEN, "nope", "echo: ", "echo: --listen takes HOST:PORT, not 'nope'"},
	{SH_LISTEN, "h:65536", "server: ",
	 "server: --listen takes HOST:PORT, not 'h:65536'"},
};

START_TEST(cli_opts_shared_setters_word_errors_exactly)
{
	const struct shared_vec *v = &shared_vecs[_i];
	char err[160] = "";
	uint64_t u = 7;
	double d = 7;
	int flag = 0, rc = -2;
	char host[64];
	const char *hp = NULL;
	uint16_t port = 7;
	switch (v->which) {
	case SH_SEED:
		rc = cli_set_seed(v->val, &u, &flag, v->pre, err, sizeof(err));
		break;
	case SH_SCALE:
		rc = cli_set_scale(v->val, &d, v->pre, err, sizeof(err));
		break;
	case SH_MAXMSG:
		rc = cli_set_max_message(v->val, &u, v->pre, err, sizeof(err));
		break;
	case SH_PCAPMAX:
		rc = cli_set_pcap_max(v->val, &u, &flag, v->pre, err, sizeof(err));
		break;
	case SH_LISTEN:
		rc = cli_set_listen(v->val, host, sizeof(host), &hp, &port, v->pre,
				    err, sizeof(err));
		break;
	}
	ck_assert_str_eq(err, v->want);
	if (v->want[0] != '\0') {
		ck_assert_int_eq(rc, -1);
		/* A refused value changes nothing. */
		ck_assert_int_eq(flag, 0);
		if (v->which == SH_SCALE)
			ck_assert(d == 7);
		else if (v->which != SH_LISTEN)
			ck_assert_uint_eq(u, 7);
		return;
	}
	ck_assert_int_eq(rc, 0);
	switch (v->which) {
	case SH_SEED:
		ck_assert_uint_eq(u, strtoull(v->val, NULL, 10));
		ck_assert_int_eq(flag, 1); /* seed given */
		break;
	case SH_SCALE:
		ck_assert(d == strtod(v->val, NULL));
		break;
	case SH_MAXMSG:
		ck_assert_uint_eq(u, strtoull(v->val, NULL, 10));
		break;
	case SH_PCAPMAX:
		ck_assert_uint_eq(u, 4096);
		ck_assert_int_eq(flag, 1); /* implies --pcap */
		break;
	case SH_LISTEN:
		ck_assert_str_eq(hp, "127.0.0.1");
		ck_assert_uint_eq(port, 9001);
		break;
	}
}
END_TEST

/* --deflate-engine: the names pmd_engine_name gives, the sess_cfg
 * encoding (1 + engine), and one-line refusals that leave the value. */
START_TEST(cli_opts_deflate_engine)
{
	char err[200] = "";
	int e = 7;
	ck_assert_int_eq(cli_set_deflate_engine("zlib", &e, "", err,
						sizeof(err)), 0);
	ck_assert_int_eq(e, 1 + PMD_ENGINE_ZLIB);
	ck_assert_str_eq(err, "");
	e = 7;
	ck_assert_int_eq(cli_set_deflate_engine("gzip", &e, "echo: ", err,
						sizeof(err)), -1);
	ck_assert_str_eq(err, "echo: --deflate-engine takes zlib or isa-l, "
			      "not 'gzip'");
	ck_assert_int_eq(e, 7);
	err[0] = '\0';
	int rc = cli_set_deflate_engine("isa-l", &e, "", err, sizeof(err));
	if (pmd_engine_available(PMD_ENGINE_ISAL)) {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(e, 1 + PMD_ENGINE_ISAL);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e, 7);
		ck_assert_str_eq(err, "--deflate-engine: isa-l is not built "
				      "into this wsprobe (it needs "
				      "libisal-dev at build time)");
	}
	/* Case matters, as for every other word-valued option. */
	ck_assert_int_eq(cli_set_deflate_engine("ZLIB", &e, "", err,
						sizeof(err)), -1);
}
END_TEST

START_TEST(cli_opts_patterns_keep_their_values)
{
	struct cli_keep k;
	memset(&k, 0, sizeof(k));
	const char *inc[4], *exc[4];
	size_t ninc = 0, nexc = 0;
	char err[128] = "";
	ck_assert_int_eq(cli_set_patterns(&k, 0, inc, &ninc, 4, "1.*,2.1", "",
					  err, sizeof(err)), 0);
	ck_assert_int_eq(cli_set_patterns(&k, 1, exc, &nexc, 4, "1.2", "", err,
					  sizeof(err)), 0);
	ck_assert_uint_eq(ninc, 2);
	ck_assert_uint_eq(nexc, 1);
	ck_assert_str_eq(inc[1], "2.1");
	ck_assert_str_eq(exc[0], "1.2");
	ck_assert_uint_eq(k.n, 2);
	/* The patterns point into the kept copies, not into the values. */
	ck_assert_ptr_eq(inc[0], k.v[0]);
	ck_assert_int_eq(cli_set_patterns(&k, 1, exc, &nexc, 4, "3,4,5,6", "",
					  err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--exclude: at most 4 patterns");
	/* Empty lists add no pattern but still count as options. */
	while (k.n < sizeof(k.v) / sizeof(k.v[0]))
		ck_assert_int_eq(cli_set_patterns(&k, 0, inc, &ninc, 4, ",",
						  "", err, sizeof(err)), 0);
	ck_assert_uint_eq(ninc, 2);
	err[0] = '\0';
	ck_assert_int_eq(cli_set_patterns(&k, 0, inc, &ninc, 4, "9", "server: ",
					  err, sizeof(err)), -1);
	ck_assert_str_eq(err, "server: too many --cases/--exclude options");
	cli_keep_free(&k);
	ck_assert_uint_eq(k.n, 0);
}
END_TEST

START_TEST(cli_opts_port_file_holds_the_port)
{
	char dir[] = "/tmp/wsprobe-portfile-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64], tmp[80], line[16] = "";
	snprintf(path, sizeof(path), "%s/port", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cli_write_port_file(path, 65535);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "65535\n");
	ck_assert_int_ne(access(tmp, F_OK), 0); /* renamed into place */
	unlink(path);
	rmdir(dir);
	/* An unwritable place is left out silently. */
	cli_write_port_file("/nonexistent/dir/port", 1);
	ck_assert_int_ne(access("/nonexistent/dir/port", F_OK), 0);
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
	tc = tcase_create("shared_setters");
	tcase_add_test(tc, cli_opts_deflate_engine);
	tcase_add_loop_test(tc, cli_opts_shared_setters_word_errors_exactly, 0,
			    (int)(sizeof(shared_vecs) / sizeof(shared_vecs[0])));
	tcase_add_test(tc, cli_opts_patterns_keep_their_values);
	tcase_add_test(tc, cli_opts_port_file_holds_the_port);
	suite_add_tcase(s, tc);
	return s;
}
