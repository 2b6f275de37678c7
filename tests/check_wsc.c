/*
 * check_wsc.c: Close frame payloads (proto/wsc.h): every status code
 * classified, the boundaries of each range, payload shapes (empty, one
 * byte, code, code + reason, 125 vs 126 bytes), reason UTF-8, every prefix,
 * build/parse round trips and NOSPACE.
 */
#include <string.h>

#include "lib.h"
#include "wsc.h"
#include "wsp_err.h"

/* ck_assert records its location through a pipe on every call; in loops
 * over thousands of inputs only a failure should cost anything. */
#define HOT_CHECK(cond)                                                  \
	do {                                                             \
		if (!(cond))                                             \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* The expected verdict for a code, written from RFC 6455 sections 7.4.1 and
 * 7.4.2 and the IANA registry independently of wsc.c's if-chain. */
static int expected_code_rc(unsigned code)
{
	static const struct {
		unsigned lo, hi;
		int rc;
	} ranges[] = {
		{0, 999, WSP_E_WSC_CODE_UNUSED},
		{1000, 1003, 0},
		{1004, 1004, WSP_E_WSC_CODE_RESERVED},
		{1005, 1005, WSP_E_WSC_CODE_1005},
		{1006, 1006, WSP_E_WSC_CODE_1006},
		{1007, 1011, 0},
		{1012, 1014, 0}, /* IANA after RFC 6455 */
		{1015, 1015, WSP_E_WSC_CODE_1015},
		{1016, 2999, WSP_E_WSC_CODE_RESERVED},
		{3000, 4999, 0},
		{5000, 65535, WSP_E_WSC_CODE_UNDEFINED},
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (code >= ranges[i].lo && code <= ranges[i].hi)
			return ranges[i].rc;
	ck_abort_msg("code %u outside the table", code);
	return 0;
}

START_TEST(r6455_7_4_every_code_classified)
{
	uint8_t p[2];
	for (unsigned code = 0; code <= 65535; code++) {
		int want = expected_code_rc(code);
		HOT_CHECK(wsc_code_check(code) == want);
		HOT_CHECK(wsc_code_valid(code) == (want == 0));
		p[0] = (uint8_t)(code >> 8);
		p[1] = (uint8_t)code;
		struct wsc_close c;
		HOT_CHECK(wsc_parse(p, 2, &c) == want);
		HOT_CHECK(c.has_code == 1);
		HOT_CHECK(c.code == code);
		HOT_CHECK(c.reason_len == 0);
		HOT_CHECK(c.reason == NULL);
	}
}
END_TEST

struct code_vec {
	unsigned code;
	int rc;
	const char *req;
};

static const struct code_vec code_vecs[] = {
	{0, WSP_E_WSC_CODE_UNUSED, "R6455-7.4.2-01"},
	{999, WSP_E_WSC_CODE_UNUSED, "R6455-7.4.2-01"},
	{1000, 0, NULL},
	{1003, 0, NULL},
	{1004, WSP_E_WSC_CODE_RESERVED, "R6455-7.4.2-02"},
	{1005, WSP_E_WSC_CODE_1005, "R6455-7.4.1-03"},
	{1006, WSP_E_WSC_CODE_1006, "R6455-7.4.1-04"},
	{1007, 0, NULL},
	{1011, 0, NULL},
	{1012, 0, NULL},
	{1013, 0, NULL},
	{1014, 0, NULL},
	{1015, WSP_E_WSC_CODE_1015, "R6455-7.4.1-06"},
	{1016, WSP_E_WSC_CODE_RESERVED, "R6455-7.4.2-02"},
	{2999, WSP_E_WSC_CODE_RESERVED, "R6455-7.4.2-02"},
	{3000, 0, NULL},
	{3999, 0, NULL},
	{4000, 0, NULL},
	{4999, 0, NULL},
	{5000, WSP_E_WSC_CODE_UNDEFINED, "R6455-7.4.2-01"},
	{65535, WSP_E_WSC_CODE_UNDEFINED, "R6455-7.4.2-01"},
};

START_TEST(r6455_7_4_code_boundaries)
{
	const struct code_vec *t = &code_vecs[_i];
	ck_assert_int_eq(wsc_code_check(t->code), t->rc);
	ck_assert_int_eq(wsc_code_valid(t->code), t->rc == 0);
	if (t->req == NULL)
		ck_assert_int_eq(t->rc, 0);
	else
		ck_assert_str_eq(wsp_errreq(t->rc), t->req);
}
END_TEST

/* --------------------------------------------------------------------------
 * Payload shapes
 */

struct payload_vec {
	const char *hex;
	int rc;
	int has_code;
	unsigned code;
	size_t reason_len;
	int reason_u8;
	size_t reason_u8_off;
};

static const struct payload_vec payload_vecs[] = {
	{"", 0, 0, 0, 0, 0, 0},
	{"03", WSP_E_WSC_ONE_BYTE, 0, 0, 0, 0, 0},
	{"E8", WSP_E_WSC_ONE_BYTE, 0, 0, 0, 0, 0},
	{"03 E8", 0, 1, 1000, 0, 0, 0},
	{"03 E8 62 79 65", 0, 1, 1000, 3, 0, 0},
	{"0F A0 CE BA E1 BD B9 CF 83 CE BC CE B5", 0, 1, 4000, 11, 0, 0},
	{"03 F1 F4 8F BF BF", 0, 1, 1009, 4, 0, 0},
	/* Reasons that are not UTF-8 (R6455-8.1-01). */
	{"03 E8 C0 80", WSP_E_WSC_REASON_UTF8, 1, 1000, 2, WSP_E_U8_OVERLONG,
	 0},
	{"03 E8 41 ED A0 80", WSP_E_WSC_REASON_UTF8, 1, 1000, 4,
	 WSP_E_U8_SURROGATE, 2},
	{"03 E8 41 42 E2 82", WSP_E_WSC_REASON_UTF8, 1, 1000, 4,
	 WSP_E_U8_TRUNCATED, 4},
	{"03 E8 80", WSP_E_WSC_REASON_UTF8, 1, 1000, 1,
	 WSP_E_U8_UNEXPECTED_CONT, 0},
	{"03 E8 FF", WSP_E_WSC_REASON_UTF8, 1, 1000, 1, WSP_E_U8_INVALID_BYTE,
	 0},
	/* The code is judged before the reason. */
	{"03 ED C0 80", WSP_E_WSC_CODE_1005, 1, 1005, 2, 0, 0},
	{"00 00", WSP_E_WSC_CODE_UNUSED, 1, 0, 0, 0, 0},
	{"FF FF 41", WSP_E_WSC_CODE_UNDEFINED, 1, 65535, 1, 0, 0},
};

START_TEST(r6455_5_5_1_payload_shapes)
{
	const struct payload_vec *t = &payload_vecs[_i];
	uint8_t buf[64];
	size_t n = tl_hex(t->hex, buf, sizeof(buf));
	struct tl_guard g;
	tl_guard_init(&g, buf, n);
	struct wsc_close c;
	memset(&c, 0xA5, sizeof(c));
	ck_assert_int_eq(wsc_parse(g.data, n, &c), t->rc);
	ck_assert_int_eq(c.has_code, t->has_code);
	if (t->has_code)
		ck_assert_uint_eq(c.code, t->code);
	ck_assert_uint_eq(c.reason_len, t->reason_len);
	if (t->reason_len > 0)
		ck_assert_ptr_eq(c.reason, g.data + 2);
	else
		ck_assert_ptr_null(c.reason);
	ck_assert_int_eq(c.reason_u8, t->reason_u8);
	if (t->reason_u8 != 0)
		ck_assert_uint_eq(c.reason_u8_off, t->reason_u8_off);
	tl_guard_free(&g);
}
END_TEST

START_TEST(r6455_5_5_1_empty_payload_null_pointer)
{
	struct wsc_close c;
	ck_assert_int_eq(wsc_parse(NULL, 0, &c), 0);
	ck_assert_int_eq(c.has_code, 0);
	ck_assert_uint_eq(c.reason_len, 0);
}
END_TEST

START_TEST(r6455_5_5_1_every_prefix)
{
	/* Prefixes of "1001 + going away": 0 bytes valid, 1 byte invalid,
	 * then valid at every length (the reason is ASCII). */
	static const char text[] = "\x03\xE9going away";
	size_t n = sizeof(text) - 1;
	for (size_t k = 0; k <= n; k++) {
		struct tl_guard g;
		tl_guard_init(&g, text, k);
		struct wsc_close c;
		int rc = wsc_parse(g.data, k, &c);
		ck_assert_int_eq(rc, k == 1 ? WSP_E_WSC_ONE_BYTE : 0);
		ck_assert_int_eq(c.has_code, k >= 2);
		if (k >= 2) {
			ck_assert_uint_eq(c.code, 1001);
			ck_assert_uint_eq(c.reason_len, k - 2);
		}
		tl_guard_free(&g);
	}
}
END_TEST

START_TEST(r6455_5_5_payload_125_vs_126)
{
	uint8_t buf[200];
	buf[0] = 0x03;
	buf[1] = 0xE8;
	memset(buf + 2, 'r', sizeof(buf) - 2);
	struct wsc_close c;
	ck_assert_int_eq(wsc_parse(buf, 125, &c), 0);
	ck_assert_uint_eq(c.reason_len, 123);
	ck_assert_int_eq(wsc_parse(buf, 126, &c), WSP_E_WSC_TOO_LONG);
	ck_assert_str_eq(wsp_errreq(WSP_E_WSC_TOO_LONG), "R6455-5.5-01");
	/* Still filled in for the caller's report. */
	ck_assert_int_eq(c.has_code, 1);
	ck_assert_uint_eq(c.code, 1000);
	ck_assert_uint_eq(c.reason_len, 124);
	ck_assert_int_eq(wsc_parse(buf, 200, &c), WSP_E_WSC_TOO_LONG);
	/* Too long is reported before a bad code. */
	buf[1] = 0xED;
	ck_assert_int_eq(wsc_parse(buf, 126, &c), WSP_E_WSC_TOO_LONG);
	ck_assert_int_eq(wsc_parse(buf, 125, &c), WSP_E_WSC_CODE_1005);
}
END_TEST

START_TEST(r6455_5_5_1_reason_split_code_point_at_125)
{
	/* A 3-byte code point whose last byte would be byte 126. */
	uint8_t buf[126];
	buf[0] = 0x03;
	buf[1] = 0xE8;
	memset(buf + 2, 'a', 121);
	buf[123] = 0xE2;
	buf[124] = 0x82;
	buf[125] = 0xAC;
	struct wsc_close c;
	ck_assert_int_eq(wsc_parse(buf, 125, &c), WSP_E_WSC_REASON_UTF8);
	ck_assert_int_eq(c.reason_u8, WSP_E_U8_TRUNCATED);
	ck_assert_uint_eq(c.reason_u8_off, 123);
	ck_assert_int_eq(wsc_parse(buf + 1, 125, &c), WSP_E_WSC_CODE_UNDEFINED);
}
END_TEST

/* --------------------------------------------------------------------------
 * Building
 */

START_TEST(wsc_build_round_trip)
{
	static const unsigned codes[] = {0, 999, 1000, 1005, 1012, 2999, 3000,
					 4999, 5000, 65535};
	static const char *reasons[] = {"", "x", "normal closure",
					"\xCE\xBA\xE1\xBD\xB9", "\xC0\x80"};
	uint8_t out[200];
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		for (size_t j = 0; j < sizeof(reasons) / sizeof(reasons[0]);
		     j++) {
			size_t rl = strlen(reasons[j]);
			int n = wsc_build(out, sizeof(out), 1, codes[i],
					  (const uint8_t *)reasons[j], rl);
			ck_assert_int_eq(n, (int)(rl + 2));
			struct wsc_close c;
			int rc = wsc_parse(out, (size_t)n, &c);
			int want = wsc_code_check(codes[i]);
			if (want == 0 && j == 4)
				want = WSP_E_WSC_REASON_UTF8;
			ck_assert_int_eq(rc, want);
			ck_assert_int_eq(c.has_code, 1);
			ck_assert_uint_eq(c.code, codes[i]);
			ck_assert_uint_eq(c.reason_len, rl);
			if (rl > 0)
				ck_assert_mem_eq(c.reason, reasons[j], rl);
		}
	}
	/* Network byte order, written out. */
	ck_assert_int_eq(wsc_build(out, sizeof(out), 1, 1002, NULL, 0), 2);
	ck_assert_uint_eq(out[0], 0x03);
	ck_assert_uint_eq(out[1], 0xEA);
	/* No code: an empty payload, whatever the other arguments say. */
	ck_assert_int_eq(wsc_build(out, sizeof(out), 0, 1000,
				   (const uint8_t *)"x", 1),
			 0);
	ck_assert_int_eq(wsc_build(NULL, 0, 0, 0, NULL, 0), 0);
}
END_TEST

START_TEST(wsc_build_oversized_is_written_as_asked)
{
	/* The builder obeys: a 124-byte reason gives an invalid 126-byte
	 * payload that wsc_parse then rejects. */
	uint8_t reason[124], out[126];
	memset(reason, 'z', sizeof(reason));
	ck_assert_int_eq(wsc_build(out, sizeof(out), 1, 1000, reason,
				   sizeof(reason)),
			 126);
	struct wsc_close c;
	ck_assert_int_eq(wsc_parse(out, 126, &c), WSP_E_WSC_TOO_LONG);
}
END_TEST

START_TEST(wsc_build_nospace_and_inval)
{
	uint8_t reason[10];
	memset(reason, 'q', sizeof(reason));
	/* Every capacity below 12 fails without writing; exactly 12 fits
	 * into a buffer ending at a guard page. */
	for (size_t cap = 0; cap < 12; cap++) {
		uint8_t out[12];
		memset(out, 0xEE, sizeof(out));
		ck_assert_int_eq(wsc_build(out, cap, 1, 1000, reason, 10),
				 WSP_E_NOSPACE);
		for (size_t k = 0; k < sizeof(out); k++)
			ck_assert_uint_eq(out[k], 0xEE);
	}
	struct tl_guard g;
	uint8_t zero[12] = {0};
	tl_guard_init(&g, zero, 12);
	ck_assert_int_eq(wsc_build(g.data, 12, 1, 1000, reason, 10), 12);
	ck_assert_mem_eq(g.data + 2, reason, 10);
	tl_guard_free(&g);
	ck_assert_int_eq(wsc_build(zero, 12, 1, 65536, NULL, 0), WSP_E_INVAL);
}
END_TEST

Suite *wsc_suite(void)
{
	Suite *s = suite_create("wsc");
	TCase *tc = tcase_create("R6455-7.4 status codes");
	tcase_add_test(tc, r6455_7_4_every_code_classified);
	tcase_add_loop_test(tc, r6455_7_4_code_boundaries, 0,
			    (int)(sizeof(code_vecs) / sizeof(code_vecs[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.5.1 payloads");
	tcase_add_loop_test(tc, r6455_5_5_1_payload_shapes, 0,
			    (int)(sizeof(payload_vecs) /
				  sizeof(payload_vecs[0])));
	tcase_add_test(tc, r6455_5_5_1_empty_payload_null_pointer);
	tcase_add_test(tc, r6455_5_5_1_every_prefix);
	tcase_add_test(tc, r6455_5_5_payload_125_vs_126);
	tcase_add_test(tc, r6455_5_5_1_reason_split_code_point_at_125);
	suite_add_tcase(s, tc);

	tc = tcase_create("wsc_build");
	tcase_add_test(tc, wsc_build_round_trip);
	tcase_add_test(tc, wsc_build_oversized_is_written_as_asked);
	tcase_add_test(tc, wsc_build_nospace_and_inval);
	suite_add_tcase(s, tc);
	return s;
}
