/*
 * check_live.c: what `wsprobe capture` does that needs no privileges: the
 * BPF filter built from FILTER words and --port, the filter check against a
 * dead handle, the capture's option parsing (shared with dissect), the
 * writer of -w (FILE.part renamed to FILE, read back by our own reader),
 * and the one-line errors with their codes for an interface that does not
 * exist.  Capturing for real is tested on lo by
 * tests/integration/tshark.sh (it needs root).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capf.h"
#include "cli_capture.h"
#include "lib.h"
#include "live.h"
#include "wsp_err.h"

/* --- the filter text ---------------------------------------------------- */

struct filter_vec {
	const char *words[4];
	size_t nwords;
	uint16_t port;
	const char *want;
};

static const struct filter_vec filter_vecs[] = {
	{{NULL}, 0, 0, ""},
	{{NULL}, 0, 9001, "tcp port 9001"},
	{{"host", "10.0.0.1"}, 2, 0, "host 10.0.0.1"},
	/* The port clause stays ANDed whatever the words say. */
	{{"host", "a", "or", "host b"}, 4, 80, "tcp port 80 and (host a or host b)"},
	{{"not tcp"}, 1, 65535, "tcp port 65535 and (not tcp)"},
	{{"udp"}, 1, 1, "tcp port 1 and (udp)"},
};

START_TEST(live_filter_build_joins_words_and_ands_port)
{
	const struct filter_vec *v = &filter_vecs[_i];
	char out[256];
	int n = live_filter_build(out, sizeof(out), v->words, v->nwords,
				  v->port);
	ck_assert_int_eq(n, (int)strlen(v->want));
	ck_assert_str_eq(out, v->want);
}
END_TEST

/* Every buffer too small by at least one byte is refused and left empty;
 * the exact size (text plus NUL) works. */
START_TEST(live_filter_build_every_short_buffer_is_nospace)
{
	const struct filter_vec *v = &filter_vecs[3];
	size_t need = strlen(v->want) + 1;
	for (size_t cap = 0; cap < need; cap++) {
		char out[64];
		memset(out, 'X', sizeof(out));
		ck_assert_int_eq(live_filter_build(out, cap, v->words,
						   v->nwords, v->port),
				 WSP_E_NOSPACE);
		if (cap > 0)
			ck_assert_int_eq(out[0], '\0');
	}
	char out[64];
	ck_assert_int_eq(live_filter_build(out, need, v->words, v->nwords,
					   v->port),
			 (int)need - 1);
	ck_assert_str_eq(out, v->want);
}
END_TEST

static const char *const good_filters[] = {
	"tcp port 9001",
	"tcp port 80 and (host 127.0.0.1 or host ::1)",
	"",
	"tcp[tcpflags] & tcp-syn != 0 or ip6",
};

START_TEST(live_filter_check_accepts_valid)
{
	char err[LIVE_ERR_LEN] = "";
	ck_assert_int_eq(live_filter_check(good_filters[_i], 1, err,
					   sizeof(err)),
			 0);
}
END_TEST

static const char *const bad_filters[] = {
	"tcp port",
	"tcp port 70000",
	"host",
	"tcp port 80 and (",
	"no such primitive",
};

START_TEST(live_filter_check_refuses_invalid_with_reason)
{
	char err[LIVE_ERR_LEN] = "";
	ck_assert_int_eq(live_filter_check(bad_filters[_i], 1, err,
					   sizeof(err)),
			 WSP_E_PCAP_LIVE_BAD_FILTER);
	/* One line naming the filter, then libpcap's reason. */
	char want[128];
	snprintf(want, sizeof(want), "bad filter \"%s\": ", bad_filters[_i]);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "err '%s'", err);
	ck_assert_uint_gt(strlen(err), strlen(want));
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* --- option parsing ----------------------------------------------------- */

/* argv arrays end with NULL, which argc does not count. */
#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

static int parse(char **argv, int argc, struct cli_capture_args *a,
		 char *err)
{
	err[0] = '\0';
	return cli_capture_parse(argc, argv, a, err, 256);
}

START_TEST(capture_parse_every_option)
{
	static struct cli_capture_args a;
	char err[256];
	char *v[] = {"capture", "-i", "lo", "-w", "out.pcap", "-c", "12", "--duration",
			"2.5", "--port", "9250", "--snaplen", "1500", "-B",
			"1048576", "--promisc", "-q", "--json", "--messages",
			"-x", "--hex-bytes", "1024", "--preview", "8",
			"--check", "-s", "3", "host", "127.0.0.1", NULL};
	ck_assert_int_eq(parse(v, ARGC(v), &a, err), 0);
	ck_assert_str_eq(a.iface, "lo");
	ck_assert_str_eq(a.write, "out.pcap");
	ck_assert_uint_eq(a.count, 12);
	ck_assert(a.duration == 2.5);
	ck_assert_uint_eq(a.dis.cfg.port, 9250);
	ck_assert_int_eq(a.snaplen, 1500);
	ck_assert_int_eq(a.buffer_size, 1048576);
	ck_assert_int_eq(a.promisc, 1);
	ck_assert_int_eq(a.quiet, 1);
	ck_assert_int_eq(a.dis.fmt.json, 1);
	ck_assert_int_eq(a.dis.fmt.messages, 1);
	ck_assert_int_eq(a.dis.fmt.hex, 1);
	ck_assert_int_eq(a.dis.fmt.check, 1);
	ck_assert_int_eq(a.dis.cfg.stream, 3);
	ck_assert_uint_eq(a.dis.fmt.preview, 8);
	/* The dissector keeps what -x shows. */
	ck_assert_uint_eq(a.dis.cfg.keep, 1024);
	ck_assert_str_eq(a.filter, "tcp port 9250 and (host 127.0.0.1)");
}
END_TEST

START_TEST(capture_parse_defaults)
{
	static struct cli_capture_args a;
	char err[256];
	char *v[] = {"capture", "tcp", "port", "80", NULL};
	ck_assert_int_eq(parse(v, ARGC(v), &a, err), 0);
	ck_assert_ptr_null(a.iface);
	ck_assert_ptr_null(a.write);
	ck_assert_uint_eq(a.count, 0);
	ck_assert(a.duration == 0);
	ck_assert_uint_eq(a.dis.cfg.port, 0);
	ck_assert_int_eq(a.dis.cfg.stream, -1);
	ck_assert_uint_eq(a.dis.fmt.preview, 32);
	ck_assert_uint_eq(a.dis.cfg.keep, 32);
	ck_assert_int_eq(a.dis.fmt.check, 0);
	ck_assert_str_eq(a.filter, "tcp port 80");
}
END_TEST

/* -c is --count in capture (tcpdump's letter), so --check is long-only
 * there, while dissect keeps -c for --check. */
START_TEST(capture_parse_c_is_count_not_check)
{
	static struct cli_capture_args a;
	char err[256];
	char *v[] = {"capture", "-c", "5", NULL};
	ck_assert_int_eq(parse(v, ARGC(v), &a, err), 0);
	ck_assert_uint_eq(a.count, 5);
	ck_assert_int_eq(a.dis.fmt.check, 0);
	char *w[] = {"capture", "-p", "8080", "--", "-not-an-option", NULL};
	ck_assert_int_eq(parse(w, ARGC(w), &a, err), 0);
	ck_assert_str_eq(a.filter, "tcp port 8080 and (-not-an-option)");
}
END_TEST

struct bad_vec {
	const char *args[4];
	const char *err;
};

static const struct bad_vec bad_vecs[] = {
	{{"-c", "0"}, "capture: --count: bad value '0' (see wsprobe capture --help)"},
	{{"--port", "0"}, "capture: --port: bad value '0' (see wsprobe capture --help)"},
	{{"--port", "65536"}, "capture: --port: bad value '65536' (see wsprobe capture --help)"},
	{{"--duration", "0"}, "capture: --duration: bad value '0' (see wsprobe capture --help)"},
	{{"--snaplen", "63"}, "capture: --snaplen: bad value '63' (see wsprobe capture --help)"},
	{{"--snaplen", "262145"}, "capture: --snaplen: bad value '262145' (see wsprobe capture --help)"},
	{{"-B", "65535"}, "capture: --buffer-size: bad value '65535' (see wsprobe capture --help)"},
	{{"--preview", "4097"}, "capture: --preview: bad value '4097' (see wsprobe capture --help)"},
	{{"-w", "-"}, "capture: -w -: writing the capture to standard output is not supported (give a FILE)"},
	{{"--bogus"}, "capture: unknown option '--bogus' (see wsprobe capture --help)"},
};

START_TEST(capture_parse_errors_one_line)
{
	static struct cli_capture_args a;
	char err[256];
	char *argv[6] = {"capture"};
	int argc = 1;
	for (int k = 0; k < 4 && bad_vecs[_i].args[k] != NULL; k++)
		argv[argc++] = (char *)bad_vecs[_i].args[k];
	ck_assert_int_eq(parse(argv, argc, &a, err), -1);
	ck_assert_str_eq(err, bad_vecs[_i].err);
}
END_TEST

START_TEST(capture_parse_filter_too_long)
{
	static struct cli_capture_args a;
	char err[256];
	/* 2048 words of "ab" make 6143 bytes: over the 4095 allowed. */
	enum { N = 2048 };
	char **argv = calloc(N + 2, sizeof(char *));
	ck_assert_ptr_nonnull(argv);
	argv[0] = "capture";
	for (int k = 1; k <= N; k++)
		argv[k] = "ab";
	ck_assert_int_eq(parse(argv, N + 1, &a, err), -1);
	ck_assert_str_eq(err, "capture: the filter is longer than 4095 bytes");
	/* 1365 words make 1365 * 3 - 1 = 4094 bytes: fits. */
	ck_assert_int_eq(parse(argv, 1366, &a, err), 0);
	ck_assert_uint_eq(strlen(a.filter), 4094);
	free(argv);
}
END_TEST

/* --- the -w writer ------------------------------------------------------ */

static char tmpdir[64];

static void mktmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_live.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rmtmp(const char *path)
{
	char part[160];
	snprintf(part, sizeof(part), "%s.part", path);
	unlink(path);
	unlink(part);
	rmdir(tmpdir);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Packets written with nanosecond (_i = 1) and microsecond (_i = 0)
 * precision come back from our reader with their bytes, lengths and
 * times (microseconds: the nanoseconds cut). */
START_TEST(live_dump_roundtrip_part_renamed)
{
	int nsec = _i;
	mktmp();
	char path[128], part[140];
	snprintf(path, sizeof(path), "%s/out.pcap", tmpdir);
	snprintf(part, sizeof(part), "%s.part", path);
	struct live_dump w;
	ck_assert_int_eq(live_dump_open(&w, path, 1, 1500, nsec), 0);
	ck_assert(exists(part));
	ck_assert(!exists(path));
	uint8_t data[3][60];
	for (int k = 0; k < 3; k++) {
		for (int b = 0; b < 60; b++)
			data[k][b] = (uint8_t)(k * 60 + b);
		struct cap_pkt pkt;
		memset(&pkt, 0, sizeof(pkt));
		pkt.ts.sec = 1700000000 + k;
		pkt.ts.nsec = 123456789u + (uint32_t)k;
		pkt.data = data[k];
		pkt.caplen = (uint32_t)(20 + 20 * k);
		pkt.origlen = 100;
		ck_assert_int_eq(live_dump_write(&w, &pkt), 0);
	}
	ck_assert_int_eq(live_dump_flush(&w), 0);
	ck_assert_uint_eq(w.packets, 3);
	ck_assert_int_eq(live_dump_close(&w), 0);
	ck_assert(!exists(part));
	ck_assert(exists(path));
	/* Closing again is harmless. */
	ck_assert_int_eq(live_dump_close(&w), 0);

	struct capf f;
	ck_assert_int_eq(capf_open(&f, path, NULL), 0);
	ck_assert_uint_eq(f.rd.linktype, 1);
	ck_assert_uint_eq(f.rd.snaplen, 1500);
	ck_assert_uint_eq(f.rd.nsec, (unsigned)nsec);
	struct cap_pkt pkt;
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(capf_next(&f, &pkt), 1);
		ck_assert_uint_eq(pkt.number, (unsigned)k + 1);
		ck_assert_int_eq(pkt.ts.sec, 1700000000 + k);
		ck_assert_uint_eq(pkt.ts.nsec, nsec ? 123456789u + (unsigned)k
						    : 123456000u);
		ck_assert_uint_eq(pkt.caplen, (unsigned)(20 + 20 * k));
		ck_assert_uint_eq(pkt.origlen, 100);
		ck_assert_mem_eq(pkt.data, data[k], pkt.caplen);
	}
	ck_assert_int_eq(capf_next(&f, &pkt), 0);
	capf_close(&f);
	rmtmp(path);
}
END_TEST

START_TEST(live_dump_open_in_missing_dir_fails)
{
	struct live_dump w;
	const char *path = "/nonexistent-wsprobe-dir/out.pcap";
	ck_assert_int_eq(live_dump_open(&w, path, 1, 1500, 1),
			 WSP_E_PCAP_LIVE_DUMP);
	ck_assert_ptr_nonnull(strstr(w.err, "/nonexistent-wsprobe-dir/out.pcap.part"));
	ck_assert_ptr_null(strchr(w.err, '\n'));
	ck_assert_int_eq(live_dump_close(&w), 0);
}
END_TEST

/* --- opening an interface ----------------------------------------------- */

START_TEST(live_open_missing_interface_one_line)
{
	struct live l;
	struct live_config cfg = {"wsprobe-nosuch0", 0, 0, 0, "tcp port 1"};
	int rc = live_open(&l, &cfg);
	if (geteuid() == 0)
		ck_assert_int_eq(rc, WSP_E_PCAP_LIVE_NO_DEVICE);
	else /* libpcap may refuse the socket before it looks the name up */
		ck_assert(rc == WSP_E_PCAP_LIVE_NO_DEVICE ||
			  rc == WSP_E_PCAP_LIVE_PERM);
	ck_assert_msg(strncmp(l.err, "wsprobe-nosuch0: ", 17) == 0, "%s", l.err);
	ck_assert_ptr_null(strchr(l.err, '\n'));
	ck_assert_ptr_null(l.p);
	live_close(&l);
}
END_TEST

START_TEST(live_open_name_too_long)
{
	struct live l;
	char name[200];
	memset(name, 'e', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	struct live_config cfg = {name, 0, 0, 0, NULL};
	ck_assert_int_eq(live_open(&l, &cfg), WSP_E_PCAP_LIVE_NO_DEVICE);
	ck_assert_str_eq(l.err, "interface name too long");
	live_close(&l);
}
END_TEST

/* The command maps each failure to its exit code and one stderr line. */
START_TEST(capture_exit_codes)
{
	char *out_buf = NULL, *err_buf = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *out = open_memstream(&out_buf, &out_len);
	FILE *err = open_memstream(&err_buf, &err_len);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	char *v1[] = {"capture", "-c", "x", NULL};
	ck_assert_int_eq(cli_capture_io(ARGC(v1), v1, out, err), 2);
	char *v2[] = {"capture", "-i", "wsprobe-nosuch0", "--port", "9250", NULL};
	ck_assert_int_eq(cli_capture_io(ARGC(v2), v2, out, err), 4);
	fclose(out);
	fclose(err);
	ck_assert_uint_eq(out_len, 0);
	const char *want1 = "wsprobe capture: --count: bad value 'x' (see wsprobe capture --help)\n";
	ck_assert_msg(strncmp(err_buf, want1, strlen(want1)) == 0, "%s", err_buf);
	const char *second = err_buf + strlen(want1);
	ck_assert_msg(strncmp(second, "wsprobe: capture: wsprobe-nosuch0: ", 35) == 0,
		      "%s", second);
	/* Exactly two lines. */
	size_t lines = 0;
	for (const char *p = err_buf; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 2);
	free(out_buf);
	free(err_buf);
}
END_TEST

Suite *live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("filter");
	tcase_add_loop_test(tc, live_filter_build_joins_words_and_ands_port, 0,
			    (int)(sizeof(filter_vecs) / sizeof(filter_vecs[0])));
	tcase_add_test(tc, live_filter_build_every_short_buffer_is_nospace);
	tcase_add_loop_test(tc, live_filter_check_accepts_valid, 0,
			    (int)(sizeof(good_filters) / sizeof(good_filters[0])));
	tcase_add_loop_test(tc, live_filter_check_refuses_invalid_with_reason, 0,
			    (int)(sizeof(bad_filters) / sizeof(bad_filters[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_test(tc, capture_parse_every_option);
	tcase_add_test(tc, capture_parse_defaults);
	tcase_add_test(tc, capture_parse_c_is_count_not_check);
	tcase_add_loop_test(tc, capture_parse_errors_one_line, 0,
			    (int)(sizeof(bad_vecs) / sizeof(bad_vecs[0])));
	tcase_add_test(tc, capture_parse_filter_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_loop_test(tc, live_dump_roundtrip_part_renamed, 0, 2);
	tcase_add_test(tc, live_dump_open_in_missing_dir_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_test(tc, live_open_missing_interface_one_line);
	tcase_add_test(tc, live_open_name_too_long);
	tcase_add_test(tc, capture_exit_codes);
	suite_add_tcase(s, tc);
	return s;
}
