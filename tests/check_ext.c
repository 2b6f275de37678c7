/*
 * check_ext.c: the Sec-WebSocket-Extensions grammar (proto/ext.h).
 *
 * Valid lists rendered back to a canonical form and compared exactly;
 * every grammar fault with its exact code and requirement id; every prefix
 * of every vector behind a guard page; unescaping; the token alphabet byte
 * by byte; the max/scratch contract; and CVE-2020-7662's input shape at
 * megabyte size, which a backtracking parser would never finish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext.h"
#include "lib.h"
#include "wsp_err.h"

/* Renders elements as "name;p;p=v|name2" (values raw, as in the input). */
static void render(const struct ext_elem *e, size_t n, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, cap - len, "%s%.*s",
					i ? "|" : "", (int)e[i].name_len,
					e[i].name);
		for (size_t j = 0; j < e[i].nparams; j++) {
			const struct ext_param *p = &e[i].params[j];
			len += (size_t)snprintf(buf + len, cap - len, ";%.*s",
						(int)p->name_len, p->name);
			if (p->has_value)
				len += (size_t)snprintf(buf + len, cap - len,
							"=%.*s",
							(int)p->value_len,
							p->value);
		}
		ck_assert_uint_lt(len, cap);
	}
}

/* --------------------------------------------------------------------------
 * R6455-9.1-01: lists the grammar accepts.
 */

struct okvec {
	const char *in;
	int count;
	const char *canon;
};

static const struct okvec ok_vecs[] = {
	{"", 0, ""},
	{" \t ", 0, ""},
	{",", 0, ""},
	{" , ,\t,", 0, ""},
	{"permessage-deflate", 1, "permessage-deflate"},
	{"  permessage-deflate\t", 1, "permessage-deflate"},
	{"a,b", 2, "a|b"},
	{"a , b", 2, "a|b"},
	{"a, , b", 2, "a|b"},
	{", a,", 1, "a"},
	{"a;b", 1, "a;b"},
	{"a ; b", 1, "a;b"},
	{"a;b=c", 1, "a;b=c"},
	{"a; b = c ;d", 1, "a;b=c;d"},
	{"a;\tb\t=\tc\t", 1, "a;b=c"},
	{"a;b=\"c\"", 1, "a;b=\"c\""},
	{"a;b=\"\\c\"", 1, "a;b=\"\\c\""},
	{"a;b=\"c\\d\\e\"", 1, "a;b=\"c\\d\\e\""},
	{"a;b=\"10\" ; c=11", 1, "a;b=\"10\";c=11"},
	{"a;b=c,d;e=\"f\"", 2, "a;b=c|d;e=\"f\""},
	{"!#$%&'*+-.^_`|~09azAZ;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~", 1,
	 "!#$%&'*+-.^_`|~09azAZ;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~"},
	/* RFC 7692 section 7.1.3, the offer with a fallback. */
	{"permessage-deflate; client_max_window_bits; "
	 "server_max_window_bits=10, permessage-deflate; "
	 "client_max_window_bits",
	 2,
	 "permessage-deflate;client_max_window_bits;server_max_window_bits=10"
	 "|permessage-deflate;client_max_window_bits"},
	{"x;p1;p2;p3;p4;p5;p6;p7;p8;p9;p10;p11;p12;p13;p14;p15;p16", 1,
	 "x;p1;p2;p3;p4;p5;p6;p7;p8;p9;p10;p11;p12;p13;p14;p15;p16"},
	{"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t", 20,
	 "a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t"},
};

#define N_OK (sizeof(ok_vecs) / sizeof(ok_vecs[0]))

START_TEST(rfc6455_9_1_valid_lists_parse_exactly)
{
	const struct okvec *v = &ok_vecs[_i];
	struct ext_elem e[32];
	char canon[1024];
	struct tl_guard g;
	size_t n = strlen(v->in);
	tl_guard_init(&g, v->in, n);
	int rc = ext_parse((const char *)g.data, n, e, 32);
	ck_assert_int_eq(rc, v->count);
	render(e, (size_t)rc, canon, sizeof(canon));
	ck_assert_str_eq(canon, v->canon);
	/* Every name and value is a token (quoted ones once unescaped). */
	for (int i = 0; i < rc; i++) {
		ck_assert(ext_is_token(e[i].name, e[i].name_len));
		for (size_t j = 0; j < e[i].nparams; j++) {
			const struct ext_param *p = &e[i].params[j];
			char val[256];
			ck_assert(ext_is_token(p->name, p->name_len));
			if (!p->has_value)
				continue;
			int m = ext_param_value(p, val, sizeof(val));
			ck_assert_int_gt(m, 0);
			ck_assert(ext_is_token(val, (size_t)m));
			ck_assert_int_eq(p->quoted, p->value[0] == '"');
		}
	}
	tl_guard_free(&g);
}
END_TEST

/* --------------------------------------------------------------------------
 * R6455-9.1-01 / -02: faults, each with its exact code.
 */

struct badvec {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int rc;
};

static const struct badvec bad_vecs[] = {
	{";", 0, WSP_E_EXT_BAD_NAME},
	{"=", 0, WSP_E_EXT_BAD_NAME},
	{"\"a\"", 0, WSP_E_EXT_BAD_NAME},
	{"\x80", 0, WSP_E_EXT_BAD_NAME},
	{"a,;", 0, WSP_E_EXT_BAD_NAME},
	{"a;", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a; ", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a;;b", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a;=c", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a;b=c;", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a,b;", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a;\"b\"", 0, WSP_E_EXT_BAD_PARAM_NAME},
	{"a;b=", 0, WSP_E_EXT_BAD_VALUE},
	{"a;b= ", 0, WSP_E_EXT_BAD_VALUE},
	{"a;b= ;c", 0, WSP_E_EXT_BAD_VALUE},
	{"a;b=@", 0, WSP_E_EXT_BAD_VALUE},
	{"a;b==c", 0, WSP_E_EXT_BAD_VALUE},
	{"a;b=,", 0, WSP_E_EXT_BAD_VALUE},
	{"a;b=\"c", 0, WSP_E_EXT_UNCLOSED_QUOTE},
	{"a;b=\"", 0, WSP_E_EXT_UNCLOSED_QUOTE},
	{"a;b=\"c\\", 0, WSP_E_EXT_UNCLOSED_QUOTE},
	{"a;b=\"c\\\"", 0, WSP_E_EXT_UNCLOSED_QUOTE},
	{"a;b=\"c\x01\"", 0, WSP_E_EXT_BAD_QUOTED_CHAR},
	{"a;b=\"c\x7f\"", 0, WSP_E_EXT_BAD_QUOTED_CHAR},
	{"a;b=\"c\r\n\"", 0, WSP_E_EXT_BAD_QUOTED_CHAR},
	{"a;b=\"c\\\x80\"", 0, WSP_E_EXT_BAD_QUOTED_CHAR},
	{"a;b=\"c\0\"", 8, WSP_E_EXT_BAD_QUOTED_CHAR},
	{"a;b=\"\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c d\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c\td\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c\x80\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c\\\"\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c\\\x01\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c,d\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"c=d\"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"\\ \"", 0, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a b", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a=b", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a;b=c d", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a;b=c\"d\"", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a;b=\"c\"d", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a;b c", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a\x80", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a\r\n b", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a\0", 2, WSP_E_EXT_EXPECTED_SEP},
	{"a:b", 0, WSP_E_EXT_EXPECTED_SEP},
	{"a/b", 0, WSP_E_EXT_EXPECTED_SEP},
	{"x;p1;p2;p3;p4;p5;p6;p7;p8;p9;p10;p11;p12;p13;p14;p15;p16;p17", 0,
	 WSP_E_EXT_TOO_MANY_PARAMS},
};

#define N_BAD (sizeof(bad_vecs) / sizeof(bad_vecs[0]))

START_TEST(rfc6455_9_1_faults_have_exact_codes)
{
	const struct badvec *v = &bad_vecs[_i];
	size_t n = v->len ? v->len : strlen(v->in);
	struct ext_elem e[4];
	struct tl_guard g;
	tl_guard_init(&g, v->in, n);
	ck_assert_int_eq(ext_parse((const char *)g.data, n, e, 4), v->rc);
	/* Also when nothing is stored: elements past max are checked too. */
	ck_assert_int_eq(ext_parse((const char *)g.data, n, NULL, 0), v->rc);
	const char *req = wsp_errreq(v->rc);
	if (v->rc == WSP_E_EXT_TOO_MANY_PARAMS)
		ck_assert_ptr_null(req);
	else if (v->rc == WSP_E_EXT_QUOTED_NOT_TOKEN)
		ck_assert_str_eq(req, "R6455-9.1-02");
	else
		ck_assert_str_eq(req, "R6455-9.1-01");
	tl_guard_free(&g);
}
END_TEST

/* The same fault in the second element of a list is still found, and a
 * valid element before it does not hide it. */
START_TEST(rfc6455_9_1_fault_after_valid_element)
{
	char buf[128];
	const struct badvec *v = &bad_vecs[_i];
	size_t n = v->len ? v->len : strlen(v->in);
	struct ext_elem e[4];
	memcpy(buf, "ok;x=1, ", 8);
	memcpy(buf + 8, v->in, n);
	struct tl_guard g;
	tl_guard_init(&g, buf, n + 8);
	ck_assert_int_eq(ext_parse((const char *)g.data, n + 8, e, 4), v->rc);
	tl_guard_free(&g);
}
END_TEST

/* Every prefix of every vector: never a read past the end, and the result
 * is a count or one of this module's codes. */
static void check_prefixes(const char *s, size_t n)
{
	for (size_t k = 0; k <= n; k++) {
		struct ext_elem e[4];
		struct tl_guard g;
		tl_guard_init(&g, s, k);
		int rc = ext_parse((const char *)g.data, k, e, 4);
		ck_assert_msg(rc >= 0 || (rc <= -701 && rc >= -708),
			      "prefix %zu of \"%s\": %d", k, s, rc);
		tl_guard_free(&g);
	}
}

START_TEST(rfc6455_9_1_every_prefix_stays_in_bounds)
{
	for (size_t i = 0; i < N_OK; i++)
		check_prefixes(ok_vecs[i].in, strlen(ok_vecs[i].in));
	for (size_t i = 0; i < N_BAD; i++)
		check_prefixes(bad_vecs[i].in, bad_vecs[i].len
						       ? bad_vecs[i].len
						       : strlen(bad_vecs[i].in));
}
END_TEST

/* Prefixes with a known answer: cutting a quoted value open. */
START_TEST(rfc6455_9_1_cut_quoted_value)
{
	const char *s = "a;b=\"c\\\"d\"";
	static const int want[] = {
		0, 1, WSP_E_EXT_BAD_PARAM_NAME, 1, WSP_E_EXT_BAD_VALUE,
		WSP_E_EXT_UNCLOSED_QUOTE, WSP_E_EXT_UNCLOSED_QUOTE,
		WSP_E_EXT_UNCLOSED_QUOTE, WSP_E_EXT_UNCLOSED_QUOTE,
		WSP_E_EXT_UNCLOSED_QUOTE, WSP_E_EXT_QUOTED_NOT_TOKEN,
	};
	ck_assert_uint_eq(strlen(s) + 1, sizeof(want) / sizeof(want[0]));
	for (size_t k = 0; k <= strlen(s); k++)
		ck_assert_int_eq(ext_parse(s, k, NULL, 0), want[k]);
}
END_TEST

/* --------------------------------------------------------------------------
 * The max contract.
 */

START_TEST(ext_count_beyond_max_fills_only_max)
{
	struct ext_elem e[3];
	memset(e, 0xA5, sizeof(e));
	ck_assert_int_eq(ext_parse("a;x=1, b, c;y", 13, e, 2), 3);
	ck_assert_uint_eq(e[0].name_len, 1);
	ck_assert_int_eq(e[0].name[0], 'a');
	ck_assert_uint_eq(e[0].nparams, 1);
	ck_assert_int_eq(e[1].name[0], 'b');
	ck_assert_uint_eq(e[1].nparams, 0);
	/* e[2] untouched. */
	const unsigned char *raw = (const unsigned char *)&e[2];
	for (size_t i = 0; i < sizeof(e[2]); i++)
		ck_assert_uint_eq(raw[i], 0xA5);
	ck_assert_int_eq(ext_parse("a, b, c", 7, NULL, 0), 3);
	ck_assert_int_eq(ext_parse(NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(ext_parse(NULL, 1, NULL, 0), WSP_E_INVAL);
	ck_assert_int_eq(ext_parse("a", 1, NULL, 1), WSP_E_INVAL);
}
END_TEST

START_TEST(ext_pointers_point_into_input)
{
	const char *s = "permessage-deflate; client_max_window_bits=\"1\\0\"";
	struct ext_elem e[1];
	ck_assert_int_eq(ext_parse(s, strlen(s), e, 1), 1);
	ck_assert_ptr_eq(e[0].name, s);
	ck_assert_uint_eq(e[0].name_len, 18);
	ck_assert_ptr_eq(e[0].params[0].name, s + 20);
	ck_assert_uint_eq(e[0].params[0].name_len, 22);
	ck_assert_ptr_eq(e[0].params[0].value, s + 43);
	ck_assert_uint_eq(e[0].params[0].value_len, 5);
	ck_assert_int_eq(e[0].params[0].quoted, 1);
	char v[8];
	ck_assert_int_eq(ext_param_value(&e[0].params[0], v, sizeof(v)), 2);
	ck_assert_int_eq(memcmp(v, "10", 2), 0);
}
END_TEST

/* --------------------------------------------------------------------------
 * ext_param_value and ext_is_token.
 */

struct valvec {
	const char *in;
	const char *want; /* NULL: expect rc */
	size_t cap;
	int rc;
};

static const struct valvec val_vecs[] = {
	{"a;b=c", "c", 8, 1},
	{"a;b=token", "token", 5, 5},
	{"a;b=token", NULL, 4, WSP_E_NOSPACE},
	{"a;b=\"c\"", "c", 1, 1},
	{"a;b=\"\\c\"", "c", 1, 1},
	{"a;b=\"\\\\\"", NULL, 8, WSP_E_EXT_QUOTED_NOT_TOKEN},
	{"a;b=\"x\\y\\z\"", "xyz", 3, 3},
	{"a;b=\"x\\y\\z\"", NULL, 2, WSP_E_NOSPACE},
	{"a;b=\"15\"", "15", 2, 2},
	{"a;b", NULL, 8, WSP_E_INVAL},
};

START_TEST(ext_param_value_unescapes)
{
	const struct valvec *v = &val_vecs[_i];
	struct ext_elem e[1];
	char buf[16];
	int rc = ext_parse(v->in, strlen(v->in), e, 1);
	if (rc < 0) {
		ck_assert_int_eq(rc, v->rc);
		return;
	}
	ck_assert_int_eq(rc, 1);
	rc = ext_param_value(&e[0].params[0], buf, v->cap);
	ck_assert_int_eq(rc, v->rc);
	if (v->want != NULL)
		ck_assert_int_eq(memcmp(buf, v->want, strlen(v->want)), 0);
}
END_TEST

START_TEST(ext_token_alphabet_byte_by_byte)
{
	const char *seps = "()<>@,;:\\\"/[]?={} \t";
	for (int b = 0; b < 256; b++) {
		char c = (char)b;
		int want = b > 0x20 && b < 0x7f && strchr(seps, b) == NULL;
		ck_assert_msg(ext_is_token(&c, 1) == want, "byte 0x%02x", b);
		char s[3] = {'a', c, 'a'};
		ck_assert_int_eq(ext_is_token(s, 3), want);
	}
	ck_assert_int_eq(ext_is_token("", 0), 0);
	ck_assert_int_eq(ext_is_token("permessage-deflate", 18), 1);
}
END_TEST

/* --------------------------------------------------------------------------
 * CVE-2020-7662: linear time on hostile quoting.  A backtracking parser
 * takes exponential time on an unclosed value made of backslash pairs; at
 * megabytes this would never finish within the test timeout.
 */

static void run_big(const char *head, const char *unit, size_t reps,
		    const char *tail, int want)
{
	size_t hn = strlen(head), un = strlen(unit), tn = strlen(tail);
	size_t n = hn + un * reps + tn;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	memcpy(s, head, hn);
	for (size_t i = 0; i < reps; i++)
		memcpy(s + hn + i * un, unit, un);
	memcpy(s + hn + un * reps, tail, tn);
	struct tl_guard g;
	tl_guard_init(&g, s, n);
	ck_assert_int_eq(ext_parse((const char *)g.data, n, NULL, 0), want);
	tl_guard_free(&g);
	free(s);
}

START_TEST(cve_2020_7662_backslash_pairs_linear)
{
	run_big("a;b=\"", "\\\\", 1u << 20, "", WSP_E_EXT_UNCLOSED_QUOTE);
	run_big("a;b=\"", "\\a", 1u << 20, "", WSP_E_EXT_UNCLOSED_QUOTE);
	run_big("a;b=\"", "\\a", 1u << 20, "\"", 1);
	run_big("a;b=\"", "\\\"", 1u << 20, "", WSP_E_EXT_UNCLOSED_QUOTE);
	run_big("a", ";b=\"c\"", 1u << 18, "", WSP_E_EXT_TOO_MANY_PARAMS);
	run_big("a", ", ", 1u << 20, "b", 2);
	run_big("a", " ", 1u << 21, ";", WSP_E_EXT_BAD_PARAM_NAME);
}
END_TEST

Suite *ext_suite(void)
{
	Suite *s = suite_create("ext");
	TCase *tc = tcase_create("R6455-9.1-01");
	tcase_add_loop_test(tc, rfc6455_9_1_valid_lists_parse_exactly, 0,
			    (int)N_OK);
	tcase_add_loop_test(tc, rfc6455_9_1_faults_have_exact_codes, 0,
			    (int)N_BAD);
	tcase_add_loop_test(tc, rfc6455_9_1_fault_after_valid_element, 0,
			    (int)N_BAD);
	tcase_add_test(tc, rfc6455_9_1_every_prefix_stays_in_bounds);
	tcase_add_test(tc, rfc6455_9_1_cut_quoted_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, ext_count_beyond_max_fills_only_max);
	tcase_add_test(tc, ext_pointers_point_into_input);
	tcase_add_loop_test(tc, ext_param_value_unescapes, 0,
			    (int)(sizeof(val_vecs) / sizeof(val_vecs[0])));
	tcase_add_test(tc, ext_token_alphabet_byte_by_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("CVE-2020-7662");
	tcase_add_test(tc, cve_2020_7662_backslash_pairs_linear);
	suite_add_tcase(s, tc);
	return s;
}
