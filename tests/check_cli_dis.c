/*
 * check_cli_dis.c: the dissector options `wsprobe dissect` and `wsprobe
 * capture` share (harness/cli_dis.h), and --digest: every frame's CRC-32
 * of its whole unmasked payload and of what it inflated to, which
 * tests/integration/tshark.sh compares with tshark's payloads.
 *
 * The digest is checked against zlib's crc32 of the bytes the same JSON
 * line prints with -x (whole, since these frames are under --hex-bytes),
 * on the committed golden captures: plain, fragmented with control frames
 * in between, and permessage-deflate with context takeover.  Without
 * --digest no CRC field appears (the golden outputs stay as they are).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "cli.h"
#include "cli_dis.h"
#include "lib.h"

#define DIR "tests/pcap/"

/* Runs `wsprobe dissect ARGS... FILE` in process; the output in *out. */
static int dissect(const char *file, int digest, char **out)
{
	size_t len = 0;
	FILE *o = open_memstream(out, &len);
	FILE *e = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(e);
	char *argv[] = {"dissect", "--json", "-x", "--hex-bytes", "4096",
			(char *)file, "--digest", NULL};
	int argc = digest ? 7 : 6;
	int rc = cli_dissect_io(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return rc;
}

static uint32_t hex_crc(const char *hex)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(tl_hex(hex, b, n + 1), n);
	uint32_t c = (uint32_t)crc32(0, b, (uInt)n);
	free(b);
	return c;
}

static uint32_t field_crc(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	ck_assert_msg(s != NULL, "no %s", key);
	ck_assert_uint_eq(strlen(s), 8);
	return (uint32_t)strtoul(s, NULL, 16);
}

static const char *const digest_files[] = {
	DIR "basic.pcap", DIR "fragmented.pcap", DIR "deflate.pcap",
	DIR "deflate-nct.pcap", DIR "wirelog.pcap",
};
/* Frames and compressed frames each file holds (so a dissection that
 * found nothing cannot pass). */
static const int digest_frames[] = {8, 10, 15, 15, 4};
static const int digest_compressed[] = {0, 0, 12, 12, 0};

START_TEST(digest_is_crc32_of_whole_payload_and_inflated)
{
	char *out = NULL;
	ck_assert_int_eq(dissect(digest_files[_i], 1, &out), 0);
	int frames = 0, compressed = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		ck_assert_msg(o != NULL, "bad JSON: %s", line);
		if (strcmp(json_string_value(json_object_get(o, "type")),
			   "frame") != 0) {
			json_decref(o);
			continue;
		}
		frames++;
		json_t *wire = json_object_get(o, "wire_hex");
		if (json_is_true(json_object_get(o, "payload_truncated"))) {
			/* wirelog.pcap's 70000-byte frames are one byte
			 * repeated: the whole payload is known. */
			ck_assert_ptr_null(wire);
			json_int_t len = json_integer_value(
				json_object_get(o, "length"));
			ck_assert_int_eq(len, 70000);
			uint8_t *all = malloc((size_t)len);
			ck_assert_ptr_nonnull(all);
			memset(all, '*', (size_t)len);
			const char *hx = json_string_value(
				json_object_get(o, "payload_hex"));
			ck_assert_uint_eq(strlen(hx), 8192);
			ck_assert_uint_eq(strspn(hx, "2a"), 8192);
			ck_assert_uint_eq(field_crc(o, "payload_crc32"),
					  (uint32_t)crc32(0, all, (uInt)len));
			free(all);
			json_decref(o);
			continue;
		}
		if (wire != NULL) {
			compressed++;
			ck_assert_uint_eq(field_crc(o, "payload_crc32"),
					  hex_crc(json_string_value(wire)));
			ck_assert_uint_eq(
				field_crc(o, "inflated_crc32"),
				hex_crc(json_string_value(
					json_object_get(o, "payload_hex"))));
		} else {
			ck_assert_ptr_null(json_object_get(o, "inflated_crc32"));
			ck_assert_uint_eq(
				field_crc(o, "payload_crc32"),
				hex_crc(json_string_value(
					json_object_get(o, "payload_hex"))));
		}
		json_decref(o);
	}
	ck_assert_int_eq(frames, digest_frames[_i]);
	ck_assert_int_eq(compressed, digest_compressed[_i]);
	free(out);
}
END_TEST

START_TEST(no_digest_no_crc_fields)
{
	char *out = NULL;
	ck_assert_int_eq(dissect(DIR "deflate.pcap", 0, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"type\":\"frame\""));
	ck_assert_ptr_null(strstr(out, "crc32"));
	free(out);
}
END_TEST

/* --- the shared table ---------------------------------------------------- */

START_TEST(merge_drops_skipped_and_clashing_letters)
{
	static const struct cli_opt own[] = {
		{"count", 'c', 1, "N", "h", 100},
		{"port", 'p', 1, "N", "h", 101},
	};
	static const int skip[] = {CLI_DIS_PORT};
	struct cli_opt out[32];
	size_t n = cli_dis_table_merge(out, 32, own, 2, skip, 1);
	ck_assert_uint_eq(n, 2 + cli_dis_nopts - 1);
	ck_assert_str_eq(out[0].name, "count");
	ck_assert_str_eq(out[1].name, "port");
	int ports = 0, checks = 0;
	for (size_t i = 0; i < n; i++) {
		ports += strcmp(out[i].name, "port") == 0;
		if (strcmp(out[i].name, "check") == 0) {
			checks++;
			ck_assert_int_eq(out[i].shortopt, 0);
		}
		if (strcmp(out[i].name, "json") == 0)
			ck_assert_int_eq(out[i].shortopt, 'j');
	}
	ck_assert_int_eq(ports, 1);
	ck_assert_int_eq(checks, 1);
	/* A short output table is filled, never overrun. */
	ck_assert_uint_eq(cli_dis_table_merge(out, 3, own, 2, skip, 1), 3);
}
END_TEST

START_TEST(set_values_and_refusals)
{
	struct cli_dis_args a;
	char err[256];
	cli_dis_defaults(&a);
	ck_assert_int_eq(cli_dis_set(&a, "dissect", CLI_DIS_DIGEST, NULL, err,
				     sizeof(err)),
			 0);
	ck_assert_int_eq(a.cfg.digest, 1);
	ck_assert_int_eq(a.fmt.digest, 1);
	ck_assert_int_eq(cli_dis_set(&a, "dissect", CLI_DIS_PREVIEW, "4096",
				     err, sizeof(err)),
			 0);
	ck_assert_int_eq(cli_dis_set(&a, "x", CLI_DIS_PREVIEW, "4097", err,
				     sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "x: --preview: bad value '4097' (see wsprobe x --help)");
	/* Not one of the shared ids: the caller's. */
	ck_assert_int_eq(cli_dis_set(&a, "x", CLI_DIS_LAST + 1, "1", err,
				     sizeof(err)),
			 1);
	cli_dis_finish_args(&a);
	ck_assert_uint_eq(a.cfg.keep, 4096);
}
END_TEST

Suite *cli_dis_suite(void)
{
	Suite *s = suite_create("cli_dis");
	TCase *tc = tcase_create("digest");
	tcase_add_loop_test(tc, digest_is_crc32_of_whole_payload_and_inflated,
			    0, (int)(sizeof(digest_files) / sizeof(digest_files[0])));
	tcase_add_test(tc, no_digest_no_crc_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_test(tc, merge_drops_skipped_and_clashing_letters);
	tcase_add_test(tc, set_values_and_refusals);
	suite_add_tcase(s, tc);
	return s;
}
