/*
 * check_reports.c: the report writers other than results.json (JUnit XML,
 * the Autobahn layout, the HTML page), the escaper they share, baselines,
 * rep_write_all and the excluded-case list.  What is checked: the exact
 * shape CI systems and Autobahn scripts read; that no byte a peer controls
 * adds markup or breaks well-formedness (output is valid UTF-8 with no
 * control character); byte-identical output for the same results, in any
 * locale; atomic files; and the baseline comparison, pair by pair.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib.h"
#include "rep.h"
#include "rep_int.h"
#include "res_wire.h"
#include "u8.h"
#include "wsf.h"
#include "wsp_err.h"

/* --- fixtures ------------------------------------------------------------ */

static void add_case(struct res_agent *a, const char *id, const char *title,
		     enum vd_behavior verdict, int64_t ms)
{
	struct res_case *c = res_add_case(a);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(res_set_str(&c->id, id), 0);
	ck_assert_int_eq(res_set_str(&c->title, title), 0);
	c->verdict = c->behavior = verdict;
	c->close_behavior = VDC_OK;
	c->duration_ms = ms;
	res_set_str(&c->reason, verdict == VD_FAILED ? "no echo came back"
						     : "events match");
	res_set_str(&c->close_reason, "closed as expected");
}

/* Two agents: "echo" (cases 1.1, 1.2 FAILED, 2.1 NON-STRICT, 2.10;
 * 2.2 excluded) and "other" (1.1 only). */
static void sample(struct res_run *r)
{
	ck_assert_int_eq(res_run_init(r, "9.9.9", 42), 0);
	struct res_agent *a = res_add_agent(r, "echo", "server",
					    "ws://127.0.0.1:9001/");
	ck_assert_ptr_nonnull(a);
	add_case(a, "1.1", "text, 0 bytes", VD_OK, 1234);
	add_case(a, "1.2", "text, 125 bytes", VD_FAILED, 7);
	struct res_case *c = &a->cases[1];
	c->behavior = VD_FAILED;
	c->has_remote_code = 1;
	c->remote_code = 1002;
	res_set_str(&c->remote_reason, "bad frame");
	c->events = calloc(2, sizeof(char *));
	res_set_str(&c->events[0], "message text 5 bytes \"Hello\"");
	res_set_str(&c->events[1], "pong 0 bytes");
	c->nevents = 2;
	c->reqs = calloc(2, sizeof(char *));
	res_set_str(&c->reqs[0], "R6455-5.5.2-02");
	res_set_str(&c->reqs[1], "R6455-99.9-99");
	c->nreqs = 2;
	res_set_str(&c->http_request, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	res_set_str(&c->http_response, "HTTP/1.1 101 Switching Protocols\r\n\r\n");
	add_case(a, "2.1", "ping", VD_NON_STRICT, 0);
	add_case(a, "2.10", "many pings", VD_OK, 2);
	ck_assert_int_eq(res_add_excluded(a, "2.2", "excluded one"), 0);
	res_count(a);
	struct res_agent *b = res_add_agent(r, "other", "client", NULL);
	ck_assert_ptr_nonnull(b);
	add_case(b, "1.1", "text, 0 bytes", VD_OK, 0);
	res_count(b);
}

/* Output a parser of XML or HTML takes as text: valid UTF-8, no control
 * character but tab, newline and carriage return. */
static void assert_clean_text(const char *s, size_t n)
{
	uint64_t off = 0;
	ck_assert_msg(u8_ref_validate((const uint8_t *)s, n, &off) == 0,
		      "invalid UTF-8 at offset %llu", (unsigned long long)off);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		ck_assert_msg(ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r',
			      "control byte 0x%02x at %zu", ch, i);
		ck_assert_msg(ch != 0x7f, "DEL at %zu", i);
	}
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

/* --- the escaper --------------------------------------------------------- */

static const struct {
	const char *in;
	int attr;
	const char *out;
} esc_vectors[] = {
	{"plain text", 0, "plain text"},
	{"<script>alert(\"x\")</script>", 0,
	 "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"},
	{"a & b 'c'", 0, "a &amp; b &#39;c&#39;"},
	{"&amp;", 0, "&amp;amp;"},
	{"tab\tnl\ncr\r", 0, "tab\tnl\ncr\r"},
	{"tab\tnl\ncr\r", 1, "tab&#9;nl&#10;cr&#13;"},
	{"\x01\x08\x0b\x1f", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	{"\x7f", 0, "\xef\xbf\xbd"},                  /* DEL */
	{"\xc2\x85", 0, "\xef\xbf\xbd"},              /* NEL, a C1 control */
	{"\xc2\xa0\xc3\xa9", 0, "\xc2\xa0\xc3\xa9"},  /* NBSP, e-acute */
	{"\xff", 0, "\xef\xbf\xbd"},
	{"\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd"},  /* overlong '/' */
	{"\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
	{"\xef\xbf\xbe", 0, "\xef\xbf\xbd"},          /* U+FFFE */
	{"\xef\xb7\x90", 0, "\xef\xbf\xbd"},          /* U+FDD0 */
	{"\xf0\x9f\xbf\xbf", 0, "\xef\xbf\xbd"},      /* U+1FFFF */
	{"\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80"},  /* U+1F600 */
	{"\xf4\x90\x80\x80", 0,
	 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
	{"x\xe2\x82", 0, "x\xef\xbf\xbd\xef\xbf\xbd"}, /* cut short */
	{"\xe2\x82\xac", 0, "\xe2\x82\xac"},          /* euro sign */
	{"", 0, ""},
};

START_TEST(escape_markup_controls_and_bad_utf8)
{
	struct rep_sb b = {0};
	rep__sb_esc(&b, esc_vectors[_i].in, esc_vectors[_i].attr);
	rep__sb_puts(&b, "");
	char *out;
	size_t len;
	ck_assert_int_eq(rep__sb_finish(&b, &out, &len), 0);
	ck_assert_msg(len == strlen(esc_vectors[_i].out) &&
			      memcmp(out, esc_vectors[_i].out, len) == 0,
		      "vector %d: got \"%s\"", _i, out);
	free(out);
}
END_TEST

START_TEST(escape_utf8_clean_keeps_valid_text)
{
	char *s = rep__utf8_clean("ok \xc3\xa9 \xff\xfe end");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "ok \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end");
	free(s);
	json_t *v = rep__json_str("\x80");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_string_value(v), "\xef\xbf\xbd");
	json_decref(v);
	v = rep__json_str(NULL);
	ck_assert(json_is_null(v));
	json_decref(v);
}
END_TEST

/* --- ids, categories, seconds ------------------------------------------- */

static const char *const id_order[] = {
	"", "1", "1.1", "1.1.1", "1.1.2", "1.1.10", "1.2", "1.10", "2", "2.9",
	"2.10", "9", "10.1.1", "12.1.1", "a", "a.1", "b",
};

START_TEST(ids_sort_numerically_and_totally)
{
	size_t n = sizeof(id_order) / sizeof(id_order[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;
			ck_assert_msg(rep__id_cmp(id_order[i], id_order[j]) == want,
				      "cmp(\"%s\", \"%s\") != %d", id_order[i],
				      id_order[j], want);
		}
	/* Leading zeros: not equal to the plain number, but next to it. */
	ck_assert_int_eq(rep__id_cmp("01", "1"), 1);
	ck_assert_int_eq(rep__id_cmp("1", "01"), -1);
	ck_assert_int_eq(rep__id_cmp("01", "2"), -1);
	ck_assert_int_eq(rep__id_cmp("99999999999999999999999", "1"), 1);
}
END_TEST

START_TEST(seconds_are_integer_formatted)
{
	char buf[32];
	static const struct {
		int64_t ms;
		const char *want;
	} v[] = {{0, "0.000"}, {7, "0.007"}, {1234, "1.234"},
		 {60000, "60.000"}, {-5, "0.000"},
		 {INT64_MAX, "9223372036854775.807"}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rep__seconds(buf, sizeof(buf), v[i].ms);
		ck_assert_str_eq(buf, v[i].want);
	}
	char cat[8];
	rep__category("12.1.3", cat, sizeof(cat));
	ck_assert_str_eq(cat, "12");
	rep__category("123456789.1", cat, sizeof(cat));
	ck_assert_str_eq(cat, "1234567");
}
END_TEST

/* --- JUnit ---------------------------------------------------------------- */

START_TEST(junit_suites_per_agent_and_category)
{
	struct res_run r;
	sample(&r);
	char *x;
	size_t n;
	ck_assert_int_eq(rep_junit_render(&r, &x, &n), 0);
	ck_assert_uint_eq(strlen(x), n);
	ck_assert_ptr_nonnull(strstr(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
					"<testsuites name=\"wsprobe\" tests=\"6\" "
					"failures=\"1\" errors=\"0\" skipped=\"1\" "
					"time=\"1.243\">\n"));
	ck_assert_ptr_nonnull(strstr(x, "<testsuite name=\"echo: category 1\" "
					"id=\"0\" tests=\"2\" failures=\"1\" "
					"errors=\"0\" skipped=\"0\" time=\"1.241\">"));
	ck_assert_ptr_nonnull(strstr(x, "<testsuite name=\"echo: category 2\" "
					"id=\"1\" tests=\"3\" failures=\"0\" "
					"errors=\"0\" skipped=\"1\" time=\"0.002\">"));
	ck_assert_ptr_nonnull(strstr(x, "<testsuite name=\"other: category 1\" "
					"id=\"2\" tests=\"1\""));
	ck_assert_uint_eq(count(x, "<testsuite "), 3);
	ck_assert_uint_eq(count(x, "<testcase "), 6);
	ck_assert_ptr_nonnull(strstr(x, "<testcase classname=\"1\" name=\"1.1 text, "
					"0 bytes\" time=\"1.234\"/>"));
	/* Excluded 2.2 sits between 2.1 and 2.10, skipped. */
	const char *s21 = strstr(x, "name=\"2.1 ping\"");
	const char *s22 = strstr(x, "name=\"2.2 excluded one\" time=\"0.000\">\n"
				    "      <skipped message=\"excluded from this "
				    "run\"/>");
	const char *s210 = strstr(x, "name=\"2.10 many pings\"");
	ck_assert(s21 != NULL && s22 != NULL && s210 != NULL);
	ck_assert(s21 < s22 && s22 < s210);
	ck_assert_ptr_nonnull(strstr(x, "<failure message=\"no echo came back\" "
					"type=\"FAILED\">behavior: FAILED: no echo "
					"came back\nclose: OK: closed as expected\n"
					"peer&#39;s close frame: code 1002, reason "
					"&quot;bad frame&quot;\nobserved events (2):\n"
					"  message text 5 bytes &quot;Hello&quot;\n"
					"  pong 0 bytes\n"));
	ck_assert_ptr_nonnull(strstr(x, "<system-out>NON-STRICT: events match; "
					"close: OK: closed as expected</system-out>"));
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"seed\" value=\"42\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"target\" value=\"\"/>"));
	assert_clean_text(x, n);
	free(x);
	res_free(&r);
}
END_TEST

START_TEST(junit_failure_excerpt_is_bounded)
{
	struct res_run r;
	ck_assert_int_eq(res_run_init(&r, "1", 1), 0);
	struct res_agent *a = res_add_agent(&r, "a", "server", "t");
	add_case(a, "1.1", "t", VD_FAILED, 1);
	struct res_case *c = &a->cases[0];
	c->events = calloc(1000, sizeof(char *));
	for (size_t i = 0; i < 1000; i++)
		res_set_str(&c->events[i], "message binary 125 bytes 0xfefefefefe");
	c->nevents = 1000;
	res_count(a);
	char *x;
	size_t n;
	ck_assert_int_eq(rep_junit_render(&r, &x, &n), 0);
	ck_assert_ptr_nonnull(strstr(x, "observed events (first 10 of 1000):\n"));
	ck_assert_uint_eq(count(x, "message binary 125"), 10);
	ck_assert_uint_lt(n, 3000);
	free(x);
	res_free(&r);
}
END_TEST

/* Peer-controlled text in every field a peer or user controls. */
static const char *const hostile[] = {
	"<script>alert(\"x\")</script>",
	"\"'><img src=x onerror=alert(1)>",
	"]]><!-- --><![CDATA[",
	"\x01\x02\x1b[31m\x7f\xc2\x9b",
	"\xff\xfe\xc0\xaf\xed\xa0\x80",
	"&lt; &#60; &amp;",
	"</pre></code></details></table><script>",
};

static void hostile_run(struct res_run *r, const char *evil)
{
	ck_assert_int_eq(res_run_init(r, evil, 7), 0);
	struct res_agent *a = res_add_agent(r, evil, evil, evil);
	ck_assert_ptr_nonnull(a);
	add_case(a, "1.1", evil, VD_FAILED, 3);
	struct res_case *c = &a->cases[0];
	res_set_str(&c->description, evil);
	res_set_str(&c->expectation, evil);
	res_set_str(&c->reason, evil);
	res_set_str(&c->close_reason, evil);
	res_set_str(&c->remote_reason, evil);
	res_set_str(&c->http_request, evil);
	res_set_str(&c->http_response, evil);
	c->has_remote_code = 1;
	c->remote_code = 1000;
	c->events = calloc(1, sizeof(char *));
	res_set_str(&c->events[0], evil);
	c->nevents = 1;
	c->reqs = calloc(1, sizeof(char *));
	res_set_str(&c->reqs[0], evil);
	c->nreqs = 1;
	ck_assert_int_eq(res_add_excluded(a, "2.1", evil), 0);
	res_count(a);
}

START_TEST(junit_and_html_gain_no_markup_from_hostile_text)
{
	struct res_run r;
	hostile_run(&r, hostile[_i]);
	char *x, *h;
	size_t xn, hn;
	ck_assert_int_eq(rep_junit_render(&r, &x, &xn), 0);
	ck_assert_int_eq(rep_html_render(&r, &h, &hn), 0);
	assert_clean_text(x, xn);
	assert_clean_text(h, hn);
	/* No element, comment or CDATA section comes from the text: the only
	 * '<' in the XML are the writer's own elements. */
	ck_assert_ptr_null(strstr(x, "<script"));
	ck_assert_ptr_null(strstr(x, "<img"));
	ck_assert_ptr_null(strstr(x, "<!--"));
	ck_assert_ptr_null(strstr(x, "<![CDATA["));
	ck_assert_uint_eq(count(h, "<script"), 1);
	ck_assert_ptr_null(strstr(h, "<img"));
	ck_assert_ptr_null(strstr(h, "<!--"));
	ck_assert_ptr_null(strstr(h, "</pre></code>"));
	for (const char *p = strchr(x, '<'); p != NULL; p = strchr(p + 1, '<'))
		ck_assert_msg(p[1] == '/' || p[1] == '?' ||
				      strncmp(p + 1, "test", 4) == 0 ||
				      strncmp(p + 1, "propert", 7) == 0 ||
				      strncmp(p + 1, "failure", 7) == 0 ||
				      strncmp(p + 1, "skipped", 7) == 0 ||
				      strncmp(p + 1, "system-out", 10) == 0,
			      "unexpected markup: %.20s", p);
	free(x);
	free(h);
	res_free(&r);
}
END_TEST

/* --- Autobahn ------------------------------------------------------------- */

static const struct {
	const char *agent;
	const char *form;
} name_vectors[] = {
	{"AutobahnPython/0.10.9", "autobahnpython_0_10_9"},
	{"tungstenite", "tungstenite"},
	{"  Hello  World  ", "hello__world"},
	{"ws://127.0.0.1:9001/", "ws___127_0_0_1_9001"},
	{"<>", "agent"},
	{"", "agent"},
	{"\xc3\x84pfel x", "pfel_x"},
	{"../../etc/passwd", "etc_passwd"},
};

START_TEST(autobahn_agent_names_as_autobahn_forms_them)
{
	char out[128];
	rep_autobahn_name(name_vectors[_i].agent, out, sizeof(out));
	ck_assert_str_eq(out, name_vectors[_i].form);
}
END_TEST

START_TEST(autobahn_case_files_are_unique_and_inside_the_folder)
{
	struct res_run r;
	ck_assert_int_eq(res_run_init(&r, "1", 1), 0);
	ck_assert_ptr_nonnull(res_add_agent(&r, "My Server", "server", NULL));
	ck_assert_ptr_nonnull(res_add_agent(&r, "my server", "server", NULL));
	ck_assert_ptr_nonnull(res_add_agent(&r, "MY-SERVER", "server", NULL));
	char f[256];
	rep_autobahn_case_file(&r, 0, "7.9.1", f, sizeof(f));
	ck_assert_str_eq(f, "my_server_case_7_9_1.json");
	rep_autobahn_case_file(&r, 1, "7.9.1", f, sizeof(f));
	ck_assert_str_eq(f, "my_server_2_case_7_9_1.json");
	rep_autobahn_case_file(&r, 2, "7.9.1", f, sizeof(f));
	ck_assert_str_eq(f, "my_server_3_case_7_9_1.json");
	rep_autobahn_case_file(&r, 0, "../../x/y", f, sizeof(f));
	ck_assert_str_eq(f, "my_server_case_______x_y.json");
	ck_assert_ptr_null(strchr(f, '/'));
	res_free(&r);
}
END_TEST

START_TEST(autobahn_index_and_case_documents)
{
	struct res_run r;
	sample(&r);
	char *t;
	size_t n;
	ck_assert_int_eq(rep_autobahn_render_index(&r, &t, &n), 0);
	/* Sorted keys (as strings, as Autobahn sorts them), 3-space indent. */
	ck_assert_ptr_nonnull(strstr(t, "{\n   \"echo\": {\n      \"1.1\": {\n"
					"         \"behavior\": \"OK\",\n"
					"         \"behaviorClose\": \"OK\",\n"
					"         \"duration\": 1234,\n"
					"         \"remoteCloseCode\": null,\n"
					"         \"reportfile\": \"echo_case_1_1.json\"\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"2.1\": {\n         \"behavior\": "
					"\"NON-STRICT\""));
	ck_assert(strstr(t, "\"2.1\":") < strstr(t, "\"2.10\":"));
	ck_assert(strstr(t, "\"echo\":") < strstr(t, "\"other\":"));
	json_error_t je;
	json_t *idx = json_loads(t, 0, &je);
	ck_assert_ptr_nonnull(idx);
	json_t *echo = json_object_get(idx, "echo");
	ck_assert_uint_eq(json_object_size(echo), 4); /* 2.2 excluded: absent */
	json_t *c12 = json_object_get(echo, "1.2");
	ck_assert_str_eq(json_string_value(json_object_get(c12, "behavior")),
			 "FAILED");
	ck_assert_int_eq(json_integer_value(json_object_get(c12, "remoteCloseCode")),
			 1002);
	ck_assert_str_eq(json_string_value(json_object_get(c12, "reportfile")),
			 "echo_case_1_2.json");
	ck_assert_uint_eq(json_object_size(json_object_get(idx, "other")), 1);
	json_decref(idx);
	free(t);

	ck_assert_int_eq(rep_autobahn_render_case(&r, 0, 1, &t, &n), 0);
	json_t *doc = json_loads(t, 0, &je);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(json_object_size(doc), 39); /* Autobahn's 39 keys */
	ck_assert_str_eq(json_string_value(json_object_get(doc, "agent")), "echo");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), "1.2");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "case")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "duration")), 7);
	ck_assert(json_is_false(json_object_get(doc, "isServer")));
	ck_assert(json_is_null(json_object_get(doc, "wirelog")));
	ck_assert(json_is_null(json_object_get(doc, "started")));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "result")),
			 "no echo came back");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "remoteCloseReason")),
			 "bad frame");
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "received")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "httpResponse")),
			 "HTTP/1.1 101 Switching Protocols\r\n\r\n");
	json_decref(doc);
	free(t);
	ck_assert_int_eq(rep_autobahn_render_case(&r, 1, 0, &t, &n), 0);
	ck_assert_ptr_nonnull(strstr(t, "\"isServer\": true"));
	free(t);
	res_free(&r);
}
END_TEST

/* --- HTML ------------------------------------------------------------------ */

START_TEST(html_is_self_contained_with_counts_and_requirements)
{
	struct res_run r;
	sample(&r);
	char *h;
	size_t n;
	ck_assert_int_eq(rep_html_render(&r, &h, &n), 0);
	ck_assert(strncmp(h, "<!DOCTYPE html>\n", 16) == 0);
	/* Nothing is loaded from anywhere. */
	ck_assert_ptr_null(strstr(h, " src="));
	ck_assert_ptr_null(strstr(h, "href=\"http"));
	ck_assert_ptr_null(strstr(h, "<link"));
	ck_assert_ptr_null(strstr(h, "url("));
	ck_assert_ptr_null(strstr(h, "@import"));
	/* The policy names the page's own script and style by hash. */
	const char *s0 = strstr(h, "<script>"), *s1 = strstr(h, "</script>");
	ck_assert(s0 != NULL && s1 != NULL && s0 < s1);
	s0 += strlen("<script>");
	char hash[64], want[96];
	ck_assert_int_eq(rep__sha256_b64(s0, (size_t)(s1 - s0), hash, sizeof(hash)),
			 0);
	snprintf(want, sizeof(want), "script-src 'sha256-%s'", hash);
	ck_assert_ptr_nonnull(strstr(h, want));
	const char *y0 = strstr(h, "<style>"), *y1 = strstr(h, "</style>");
	ck_assert(y0 != NULL && y1 != NULL);
	y0 += strlen("<style>");
	ck_assert_int_eq(rep__sha256_b64(y0, (size_t)(y1 - y0), hash, sizeof(hash)),
			 0);
	snprintf(want, sizeof(want), "style-src 'sha256-%s'", hash);
	ck_assert_ptr_nonnull(strstr(h, want));
	ck_assert_ptr_nonnull(strstr(h, "default-src 'none'"));
	/* Matrix: 5 case rows (1.1 1.2 2.1 2.2 2.10), 2 agents; cells by
	 * verdict; 2.2 excluded for echo, absent for other. */
	ck_assert_uint_eq(count(h, "<tr data-case="), 5);
	ck_assert_uint_eq(count(h, "data-cat-head="), 2);
	ck_assert_uint_eq(count(h, "<td class=\"v v-OK\" data-v=\"OK\">"), 3);
	ck_assert_uint_eq(count(h, "<td class=\"v v-FAILED\" data-v=\"FAILED\">"), 1);
	ck_assert_uint_eq(count(h, "data-v=\"NON-STRICT\"><a"), 1);
	ck_assert_uint_eq(count(h, "data-v=\"EXCLUDED\">excluded</td>"), 1);
	ck_assert_uint_eq(count(h, "<td class=\"v v-none\">"), 4);
	/* Details: one per played case; FAILED ones open. */
	ck_assert_uint_eq(count(h, "<details class=\"case\""), 5);
	ck_assert_uint_eq(count(h, "data-v=\"FAILED\" data-cat=\"1\" open>"), 1);
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"#r0-1\">FAILED <small>1002"
					"</small></a>"));
	ck_assert_ptr_nonnull(strstr(h, "id=\"r0-1\""));
	/* The summary of a cited requirement, from the embedded table. */
	const char *lvl, *sum;
	size_t ll, sl;
	ck_assert_int_eq(rep__req_lookup("R6455-5.5.2-02", &lvl, &ll, &sum, &sl),
			 1);
	ck_assert_uint_gt(sl, 10);
	char *summary_text = strndup(sum, sl);
	ck_assert_ptr_nonnull(strstr(h, "<code>R6455-5.5.2-02</code> <span "
					"class=\"lvl\">"));
	ck_assert_msg(strstr(h, summary_text) != NULL ||
			      strchr(summary_text, '\'') != NULL ||
			      strchr(summary_text, '"') != NULL ||
			      strchr(summary_text, '&') != NULL,
		      "summary \"%s\" missing", summary_text);
	free(summary_text);
	ck_assert_ptr_nonnull(strstr(h, "<code>R6455-99.9-99</code> <i>not in the "
					"requirements table</i>"));
	ck_assert_ptr_nonnull(strstr(h, "<pre>GET / HTTP/1.1\r\nHost: x"));
	ck_assert_ptr_nonnull(strstr(h, "<option value=\"2\">2</option>"));
	assert_clean_text(h, n);
	free(h);
	res_free(&r);
}
END_TEST

START_TEST(html_requirement_lookup)
{
	const char *lvl, *sum;
	size_t ll, sl;
	ck_assert_int_eq(rep__req_lookup("R6455-5.2-02", &lvl, &ll, &sum, &sl), 1);
	ck_assert_uint_eq(ll, 4);
	ck_assert(strncmp(lvl, "MUST", 4) == 0);
	ck_assert(strncmp(sum, "RSV1, RSV2 and RSV3 must be 0", 29) == 0);
	ck_assert_ptr_null(memchr(sum, '\t', sl));
	ck_assert_ptr_null(memchr(sum, '\n', sl));
	/* A prefix of an id, the header line, nothing: unknown. */
	ck_assert_int_eq(rep__req_lookup("R6455-5.2-0", &lvl, &ll, &sum, &sl), 0);
	ck_assert_int_eq(rep__req_lookup("id", &lvl, &ll, &sum, &sl), 0);
	ck_assert_int_eq(rep__req_lookup("", &lvl, &ll, &sum, &sl), 0);
}
END_TEST

/* --- baselines ------------------------------------------------------------- */

START_TEST(baseline_rank_order)
{
	ck_assert_int_eq(rep_verdict_rank(VD_FAILED), 0);
	ck_assert_int_eq(rep_verdict_rank(VD_NON_STRICT), 1);
	ck_assert_int_eq(rep_verdict_rank(VD_INFORMATIONAL), 1);
	ck_assert_int_eq(rep_verdict_rank(VD_UNIMPLEMENTED), 1);
	ck_assert_int_eq(rep_verdict_rank(VD_OK), 2);
}
END_TEST

/* Every (baseline, now) pair: 'R' regression, 'F' fixed, 'I' improved,
 * 'C' changed, '=' unchanged.  Order of verdicts: OK, NON-STRICT, FAILED,
 * INFORMATIONAL, UNIMPLEMENTED (the enum's). */
static const char pair_class[5][6] = {
	/* now:       OK   NS   FAIL INFO UNIMPL */
	/* OK     */ {'=', 'R', 'R', 'R', 'R'},
	/* NS     */ {'I', '=', 'R', 'C', 'C'},
	/* FAILED */ {'F', 'F', '=', 'F', 'F'},
	/* INFO   */ {'I', 'C', 'R', '=', 'C'},
	/* UNIMPL */ {'I', 'C', 'R', 'C', '='},
};

START_TEST(baseline_compare_every_pair)
{
	enum vd_behavior then = (enum vd_behavior)(_i / 5);
	enum vd_behavior now = (enum vd_behavior)(_i % 5);
	struct res_run r;
	ck_assert_int_eq(res_run_init(&r, "1", 1), 0);
	struct res_agent *a = res_add_agent(&r, "x", "server", NULL);
	add_case(a, "1.1", "t", now, 0);
	res_count(a);
	char doc[256];
	snprintf(doc, sizeof(doc), "{\"format\": \"wsprobe-baseline\", \"version\": "
				   "1, \"agents\": {\"x\": {\"1.1\": \"%s\"}}}",
		 vd_behavior_name(then));
	struct rep_baseline b;
	char err[256];
	ck_assert_int_eq(rep_baseline_parse(&b, "t", doc, strlen(doc), err,
					    sizeof(err)),
			 0);
	struct rep_cmp cmp;
	unsigned reg = rep_baseline_compare(&b, &r, NULL, &cmp);
	char want = pair_class[then][now];
	ck_assert_uint_eq(reg, want == 'R');
	ck_assert_uint_eq(cmp.regressions, want == 'R');
	ck_assert_uint_eq(cmp.fixed, want == 'F');
	ck_assert_uint_eq(cmp.improved, want == 'I');
	ck_assert_uint_eq(cmp.changed, want == 'C');
	ck_assert_uint_eq(cmp.unchanged, want == '=');
	ck_assert_uint_eq(cmp.added + cmp.not_run, 0);
	rep_baseline_free(&b);
	res_free(&r);
}
END_TEST

START_TEST(baseline_round_trip_new_and_not_run)
{
	struct res_run r;
	sample(&r);
	char *t;
	size_t n;
	ck_assert_int_eq(rep_baseline_render(&r, &t, &n), 0);
	ck_assert_str_eq(t, "{\n  \"format\": \"wsprobe-baseline\",\n"
			    "  \"version\": 1,\n  \"agents\": {\n"
			    "    \"echo\": {\n      \"1.1\": \"OK\",\n"
			    "      \"1.2\": \"FAILED\",\n      \"2.1\": \"NON-STRICT\",\n"
			    "      \"2.10\": \"OK\"\n    },\n"
			    "    \"other\": {\n      \"1.1\": \"OK\"\n    }\n  }\n}\n");
	struct rep_baseline b;
	char err[256];
	ck_assert_int_eq(rep_baseline_parse(&b, "t", t, n, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.n, 5);
	struct rep_cmp cmp;
	ck_assert_uint_eq(rep_baseline_compare(&b, &r, NULL, &cmp), 0);
	ck_assert_uint_eq(cmp.unchanged, 5);
	/* Now: 1.2 is fixed, 2.10 is gone, 3.1 is new and passes, 3.2 is new
	 * and fails (a regression: new cases may not fail), 2.2 stays
	 * excluded (not counted as not run). */
	struct res_agent *a = &r.agents[0];
	a->cases[1].verdict = VD_OK;
	res_case_free(&a->cases[3]);
	a->ncases--;
	add_case(a, "3.1", "new ok", VD_OK, 0);
	add_case(a, "3.2", "new failed", VD_FAILED, 0);
	res_count(a);
	FILE *out = tmpfile();
	ck_assert_uint_eq(rep_baseline_compare(&b, &r, out, &cmp), 1);
	ck_assert_uint_eq(cmp.fixed, 1);
	ck_assert_uint_eq(cmp.added, 1);
	ck_assert_uint_eq(cmp.not_run, 1);
	ck_assert_uint_eq(cmp.unchanged, 3);
	char buf[1024] = "";
	rewind(out);
	size_t got = fread(buf, 1, sizeof(buf) - 1, out);
	buf[got] = '\0';
	fclose(out);
	ck_assert_str_eq(buf, "  FIXED      echo 1.2: FAILED -> OK\n"
			      "  REGRESSION echo 3.2: (new) -> FAILED: no echo "
			      "came back\n"
			      "baseline: 1 regression, 1 fixed, 0 improved, 0 "
			      "changed, 3 unchanged, 1 new, 1 not run\n");
	rep_baseline_free(&b);
	free(t);
	res_free(&r);
}
END_TEST

START_TEST(baseline_single_agents_match_whatever_their_names)
{
	struct res_run r;
	ck_assert_int_eq(res_run_init(&r, "1", 1), 0);
	struct res_agent *a = res_add_agent(&r, "ws://127.0.0.1:4242/", "server",
					    NULL);
	add_case(a, "1.1", "t", VD_FAILED, 0);
	res_count(a);
	static const char one[] = "{\"format\": \"wsprobe-baseline\", \"version\": 1,"
				  " \"agents\": {\"ws://127.0.0.1:9001/\": "
				  "{\"1.1\": \"OK\"}}}";
	static const char two[] = "{\"format\": \"wsprobe-baseline\", \"version\": 1,"
				  " \"agents\": {\"a\": {\"1.1\": \"OK\"}, "
				  "\"b\": {\"1.1\": \"OK\"}}}";
	struct rep_baseline b;
	struct rep_cmp cmp;
	char err[256];
	ck_assert_int_eq(rep_baseline_parse(&b, "t", one, strlen(one), err,
					    sizeof(err)),
			 0);
	ck_assert_uint_eq(rep_baseline_compare(&b, &r, NULL, &cmp), 1);
	ck_assert_uint_eq(cmp.added, 0);
	rep_baseline_free(&b);
	/* Two baseline agents, neither named: the case is new (and FAILED,
	 * so still a regression). */
	ck_assert_int_eq(rep_baseline_parse(&b, "t", two, strlen(two), err,
					    sizeof(err)),
			 0);
	ck_assert_uint_eq(rep_baseline_compare(&b, &r, NULL, &cmp), 1);
	ck_assert_uint_eq(cmp.not_run, 0);
	a->cases[0].verdict = VD_OK;
	ck_assert_uint_eq(rep_baseline_compare(&b, &r, NULL, &cmp), 0);
	ck_assert_uint_eq(cmp.added, 1);
	rep_baseline_free(&b);
	res_free(&r);
}
END_TEST

START_TEST(baseline_reads_autobahn_index_and_results_json)
{
	static const char idx[] =
		"{\"tungstenite\": {"
		"\"1.1.1\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\", "
		"\"duration\": 2, \"remoteCloseCode\": 1000, \"reportfile\": \"x\"},"
		"\"7.5.1\": {\"behavior\": \"OK\", \"behaviorClose\": \"WRONG CODE\"},"
		"\"12.1.1\": {\"behavior\": \"UNIMPLEMENTED\", "
		"\"behaviorClose\": \"UNIMPLEMENTED\"},"
		"\"6.4.1\": {\"behavior\": \"NON-STRICT\", \"behaviorClose\": null}}}";
	struct rep_baseline b;
	char err[256];
	ck_assert_int_eq(rep_baseline_parse(&b, "t", idx, strlen(idx), err,
					    sizeof(err)),
			 0);
	ck_assert_uint_eq(b.n, 4);
	for (size_t i = 0; i < b.n; i++) {
		ck_assert_str_eq(b.e[i].agent, "tungstenite");
		enum vd_behavior want =
			strcmp(b.e[i].id, "1.1.1") == 0   ? VD_OK
			: strcmp(b.e[i].id, "7.5.1") == 0 ? VD_FAILED
			: strcmp(b.e[i].id, "6.4.1") == 0 ? VD_NON_STRICT
							  : VD_UNIMPLEMENTED;
		ck_assert_int_eq(b.e[i].verdict, want);
	}
	rep_baseline_free(&b);

	struct res_run r;
	sample(&r);
	char *t;
	size_t n;
	ck_assert_int_eq(rep_json_render(&r, &t, &n), 0);
	ck_assert_int_eq(rep_baseline_parse(&b, "t", t, n, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.n, 5);
	struct rep_cmp cmp;
	ck_assert_uint_eq(rep_baseline_compare(&b, &r, NULL, &cmp), 0);
	ck_assert_uint_eq(cmp.unchanged, 5);
	rep_baseline_free(&b);
	free(t);
	res_free(&r);
}
END_TEST

static const struct {
	const char *doc;
	const char *want;
} bad_baselines[] = {
	{"{", "B:1:1: "},
	{"[]", "B: a baseline must be a JSON object"},
	{"{\"format\": \"other\"}", "B: \"format\" must be \"wsprobe-baseline\""},
	{"{\"format\": \"wsprobe-baseline\", \"version\": 2, \"agents\": {}}",
	 "B: \"version\" must be 1"},
	{"{\"format\": \"wsprobe-baseline\", \"version\": 1}",
	 "B: \"agents\" must be an object"},
	{"{\"format\": \"wsprobe-baseline\", \"version\": 1, \"agents\": "
	 "{\"a\": [1]}}",
	 "B: agents.\"a\" must be an object"},
	{"{\"format\": \"wsprobe-baseline\", \"version\": 1, \"agents\": "
	 "{\"a\": {\"1.1\": \"PASS\"}}}",
	 "B: agents.\"a\".\"1.1\": must be OK, NON-STRICT"},
	{"{\"a\": {\"1.1\": {\"behaviorClose\": \"OK\"}}}",
	 "B: \"a\" case \"1.1\": needs \"behavior\""},
	{"{\"a\": 5}", "B: \"a\": must be an object of cases"},
	{"{\"tool\": \"wsprobe\", \"seed\": \"x\", \"agents\": []}",
	 "B: \"seed\" must be a decimal number"},
	{"{\"a\": {}, \"a\": {}}", "duplicate"},
};

START_TEST(baseline_bad_documents)
{
	struct rep_baseline b;
	char err[256] = "";
	ck_assert_int_eq(rep_baseline_parse(&b, "B", bad_baselines[_i].doc,
					    strlen(bad_baselines[_i].doc), err,
					    sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_msg(strstr(err, bad_baselines[_i].want) != NULL,
		      "\"%s\" lacks \"%s\"", err, bad_baselines[_i].want);
	ck_assert_ptr_null(strchr(err, '\n'));
	rep_baseline_free(&b);
}
END_TEST

/* --- files ---------------------------------------------------------------- */

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *t = NULL;
	*len = 0;
	if (rep__read_file(path, 1 << 26, &t, len, err, sizeof(err)) != 0)
		return NULL;
	return t;
}

static const char *const all_files[] = {
	"results.json", "junit.xml", "index.json", "echo_case_1_1.json",
	"echo_case_1_2.json", "echo_case_2_1.json", "echo_case_2_10.json",
	"other_case_1_1.json", "index.html",
};
#define NFILES (sizeof(all_files) / sizeof(all_files[0]))

START_TEST(write_all_is_complete_stable_and_atomic)
{
	char dir[] = "/tmp/wsprobe-reports-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct res_run r;
	sample(&r);
	char err[512] = "";
	ck_assert_msg(rep_write_all(&r, dir, err, sizeof(err)) == 0, "%s", err);
	char *first[NFILES];
	size_t flen[NFILES];
	for (size_t i = 0; i < NFILES; i++) {
		first[i] = slurp(dir, all_files[i], &flen[i]);
		ck_assert_msg(first[i] != NULL, "%s missing", all_files[i]);
	}
	/* Again: byte-identical, and no temporary file left behind. */
	ck_assert_int_eq(rep_write_all(&r, dir, err, sizeof(err)), 0);
	for (size_t i = 0; i < NFILES; i++) {
		size_t n;
		char *again = slurp(dir, all_files[i], &n);
		ck_assert_ptr_nonnull(again);
		ck_assert_msg(n == flen[i] && memcmp(again, first[i], n) == 0,
			      "%s changed", all_files[i]);
		free(again);
	}
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls -a '%s' | wc -l) -eq %zu", dir,
		 NFILES + 2);
	ck_assert_int_eq(system(cmd), 0);
	/* junit.xml cannot be replaced (a directory took its name): the error
	 * names it, the other files are still written, and nothing is
	 * half-written. */
	char jdir[300];
	snprintf(jdir, sizeof(jdir), "%s/junit.xml", dir);
	unlink(jdir);
	ck_assert_int_eq(mkdir(jdir, 0700), 0);
	r.agents[0].cases[0].verdict = VD_FAILED;
	res_count(&r.agents[0]);
	ck_assert_int_eq(rep_write_all(&r, dir, err, sizeof(err)), WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "junit.xml"));
	ck_assert_ptr_null(strchr(err, '\n'));
	size_t n;
	char *html = slurp(dir, "index.html", &n);
	ck_assert_ptr_nonnull(html);
	ck_assert_uint_eq(count(html, "data-v=\"FAILED\"><a"), 2);
	free(html);
	char *res = slurp(dir, "results.json", &n);
	ck_assert_ptr_nonnull(res);
	ck_assert_ptr_nonnull(strstr(res, "\"failed\": 2"));
	free(res);
	for (size_t i = 0; i < NFILES; i++)
		free(first[i]);
	res_free(&r);
	tl_rm_rf(dir);
}
END_TEST

START_TEST(write_all_formats_table)
{
	ck_assert_uint_eq(rep_nformats, 4);
	ck_assert_str_eq(rep_formats[0].name, "json");
	ck_assert_ptr_nonnull(rep_format_find("junit"));
	ck_assert_ptr_nonnull(rep_format_find("autobahn"));
	ck_assert_ptr_nonnull(rep_format_find("html"));
	ck_assert_ptr_null(rep_format_find("text"));
	ck_assert_ptr_null(rep_format_find("JSON"));
}
END_TEST

/* Renders every format of r into one buffer. */
static char *render_all(const struct res_run *r, size_t *len)
{
	struct rep_sb b = {0};
	char *t;
	size_t n;
	ck_assert_int_eq(rep_json_render(r, &t, &n), 0);
	rep__sb_put(&b, t, n);
	free(t);
	ck_assert_int_eq(rep_junit_render(r, &t, &n), 0);
	rep__sb_put(&b, t, n);
	free(t);
	ck_assert_int_eq(rep_autobahn_render_index(r, &t, &n), 0);
	rep__sb_put(&b, t, n);
	free(t);
	ck_assert_int_eq(rep_autobahn_render_case(r, 0, 0, &t, &n), 0);
	rep__sb_put(&b, t, n);
	free(t);
	ck_assert_int_eq(rep_html_render(r, &t, &n), 0);
	rep__sb_put(&b, t, n);
	free(t);
	ck_assert_int_eq(rep_baseline_render(r, &t, &n), 0);
	rep__sb_put(&b, t, n);
	free(t);
	ck_assert_int_eq(rep__sb_finish(&b, &t, len), 0);
	return t;
}

START_TEST(locale_does_not_change_any_byte)
{
	struct res_run r;
	sample(&r);
	r.agents[0].cases[0].duration_ms = 1234567;
	size_t n1, n2;
	char *c_text = render_all(&r, &n1);
	/* A locale with a decimal comma and digit grouping when the system
	 * has one (tests/reports/formats.sh builds de_DE for the binary),
	 * else C.UTF-8. */
	const char *loc = setlocale(LC_ALL, "de_DE.UTF-8");
	if (loc == NULL)
		loc = setlocale(LC_ALL, "C.UTF-8");
	ck_assert_ptr_nonnull(loc);
	char *l_text = render_all(&r, &n2);
	setlocale(LC_ALL, "C");
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(c_text, l_text, n1), 0);
	ck_assert_ptr_nonnull(strstr(c_text, "time=\"1234.567\""));
	free(c_text);
	free(l_text);
	res_free(&r);
}
END_TEST

/* --- results.json: excluded cases and peer bytes --------------------------- */

START_TEST(results_json_keeps_excluded_and_cleans_bad_utf8)
{
	struct res_run r, back;
	sample(&r);
	res_set_str(&r.agents[0].cases[1].remote_reason, "bye \xff\xc0");
	res_set_str(&r.agents[0].cases[1].http_response, "X-A: \xe9t\xe9\r\n");
	char *t;
	size_t n;
	ck_assert_int_eq(rep_json_render(&r, &t, &n), 0);
	ck_assert_ptr_nonnull(strstr(t, "\"remote_close_reason\": \"bye "
					"\\uFFFD\\uFFFD\""));
	ck_assert_ptr_nonnull(strstr(t, "\"http_response\": \"X-A: \\uFFFDt"
					"\\uFFFD\\r\\n\""));
	ck_assert_ptr_nonnull(strstr(t, "\"excluded\": [\n        {\n"
					"          \"id\": \"2.2\",\n"
					"          \"title\": \"excluded one\"\n"));
	char err[256];
	ck_assert_msg(rep_json_parse(&back, t, n, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_uint_eq(back.agents[0].nexcluded, 1);
	ck_assert_str_eq(back.agents[0].excluded[0].id, "2.2");
	ck_assert_str_eq(back.agents[0].excluded[0].title, "excluded one");
	ck_assert_uint_eq(back.agents[0].summary.total, 4);
	ck_assert_uint_eq(back.agents[1].nexcluded, 0);
	res_free(&back);
	free(t);
	static const char bad[] =
		"{\"seed\": \"1\", \"agents\": [{\"agent\": \"a\", \"role\": "
		"\"server\", \"cases\": [], \"excluded\": [{\"title\": \"x\"}]}]}";
	ck_assert_int_eq(rep_json_parse(&back, bad, strlen(bad), err, sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "agents[0].excluded[0]: \"id\" must be "
					  "a string"));
	res_free(&back);
	res_free(&r);
}
END_TEST

START_TEST(results_json_load_names_the_file)
{
	struct res_run r;
	char err[512];
	ck_assert_int_eq(rep_json_load(&r, "/nonexistent/results.json", err,
				       sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_str_eq(err, "/nonexistent/results.json: cannot read: No such "
			      "file or directory");
	res_free(&r);
	char path[] = "/tmp/wsprobe-results-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"seed\": 1,\n \"agents\": 3}", 25), 25);
	close(fd);
	ck_assert_int_eq(rep_json_load(&r, path, err, sizeof(err)), WSP_E_INVAL);
	char want[600];
	snprintf(want, sizeof(want), "%s: \"agents\" is missing or not a list",
		 path);
	ck_assert_str_eq(err, want);
	res_free(&r);
	unlink(path);
}
END_TEST


/* --- the wire log --------------------------------------------------------- */

/* Appends one encoded frame to buf at *n. */
static void put_frame(uint8_t *buf, size_t cap, size_t *n, uint8_t opcode,
		      int masked, const char *payload, size_t len)
{
	struct wsf_frame f = {1, 0, opcode, (uint8_t)masked, {1, 2, 3, 4},
			      WSF_LEN_AUTO, len};
	ssize_t k = wsf_encode(buf + *n, cap - *n, &f, (const uint8_t *)payload,
			       len);
	ck_assert_int_gt(k, 0);
	*n += (size_t)k;
}

/* The wire of a short session in which wsprobe is the client: the
 * handshake, a text echo whose payload is markup, a masked binary frame
 * from the server (a violation), both Close frames, the last one split
 * over two reads.  Fills out[0..5) with the record boundaries. */
struct wire_fix {
	uint8_t bytes[512];
	size_t len;
	size_t off[6];  /* record i is bytes[off[i]..off[i+1]) */
	int dir[5];
};

static void wire_fixture(struct wire_fix *w)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
	size_t n = 0;
	memset(w, 0, sizeof(*w));
	memcpy(w->bytes, req, sizeof(req) - 1);
	n = sizeof(req) - 1;
	w->off[1] = n;
	w->dir[0] = 0;
	memcpy(w->bytes + n, resp, sizeof(resp) - 1);
	n += sizeof(resp) - 1;
	put_frame(w->bytes, sizeof(w->bytes), &n, WSP_OP_TEXT, 0,
		  "<b>\"hi'</b>", 11);
	w->off[2] = n;
	w->dir[1] = 1;
	put_frame(w->bytes, sizeof(w->bytes), &n, WSP_OP_TEXT, 1, "Hello", 5);
	put_frame(w->bytes, sizeof(w->bytes), &n, WSP_OP_CLOSE, 1,
		  "\x03\xe8" "bye", 5);
	w->off[3] = n;
	w->dir[2] = 0;
	put_frame(w->bytes, sizeof(w->bytes), &n, WSP_OP_BINARY, 1, "\x00\xff\x10",
		  3);
	size_t close_at = n;
	put_frame(w->bytes, sizeof(w->bytes), &n, WSP_OP_CLOSE, 0,
		  "\x03\xea" "x", 3);
	w->off[4] = close_at + 3; /* inside the Close frame */
	w->dir[3] = 1;
	w->off[5] = n;
	w->dir[4] = 1;
	w->len = n;
}

static void add_wire(struct res_case *c, const struct wire_fix *w, size_t cap)
{
	struct res_wire_build *b = res_wire_begin(c, 1, cap);
	ck_assert_ptr_nonnull(b);
	uint64_t sent = 0, recv = 0;
	for (size_t i = 0; i < 5; i++) {
		size_t len = w->off[i + 1] - w->off[i];
		res_wire_add(b, (int64_t)(i + 1) * 1500000, w->dir[i],
			     w->bytes + w->off[i], len);
		*(w->dir[i] ? &recv : &sent) += len;
	}
	ck_assert_int_eq(res_wire_end(b, sent, recv), 0);
	c->has_facts = 1;
	c->closed_by_me = 1;
	c->was_clean = 0;
	res_set_str(&c->not_clean_reason, "peer reset <tcp>");
}

START_TEST(wire_build_counts_frames_octets_and_local_close)
{
	struct res_run r;
	sample(&r);
	struct res_case *c = &r.agents[0].cases[1];
	struct wire_fix w;
	wire_fixture(&w);
	add_wire(c, &w, RES_WIRE_CAP);
	ck_assert(c->wire.present);
	ck_assert(!c->wire.truncated);
	ck_assert_uint_eq(c->wire.len, w.len);
	ck_assert_uint_eq(c->wire.nrecs, 5);
	ck_assert_int_eq(memcmp(c->wire.data, w.bytes, w.len), 0);
	ck_assert_int_eq(c->wire.recs[2].t_us, 4500);
	ck_assert_uint_eq(c->tx_frames.n, 2);
	ck_assert_uint_eq(tl_stat_count(&c->tx_frames, WSP_OP_TEXT), 1);
	ck_assert_uint_eq(tl_stat_count(&c->tx_frames, WSP_OP_CLOSE), 1);
	ck_assert_uint_eq(c->rx_frames.n, 3);
	ck_assert_uint_eq(tl_stat_count(&c->rx_frames, WSP_OP_BINARY), 1);
	ck_assert_uint_eq(tl_stat_count(&c->rx_frames, WSP_OP_CLOSE), 1);
	ck_assert_uint_eq(c->tx_octets.n, 2);
	ck_assert_uint_eq(tl_stat_count(&c->rx_octets, w.off[5] - w.off[4]), 1);
	ck_assert(c->has_local_code);
	ck_assert_uint_eq(c->local_code, 1000);
	ck_assert_str_eq(c->local_reason, "bye");
	res_free(&r);
}
END_TEST

/* Caps: a record that does not fit ends what is kept (the log is a
 * prefix, marked truncated); statistics still cover everything. */
START_TEST(wire_build_truncates_at_the_cap_never_silently)
{
	struct wire_fix w;
	wire_fixture(&w);
	size_t caps[] = {0, w.off[1], w.off[2] + 1, w.len - 1};
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct res_case c;
		memset(&c, 0, sizeof(c));
		add_wire(&c, &w, caps[k]);
		ck_assert(c.wire.truncated);
		ck_assert_uint_le(c.wire.len, caps[k]);
		size_t sum = 0;
		for (size_t i = 0; i < c.wire.nrecs; i++)
			sum += c.wire.recs[i].len;
		ck_assert_uint_eq(sum, c.wire.len);
		ck_assert(c.wire.len == 0 ||
			  memcmp(c.wire.data, w.bytes, c.wire.len) == 0);
		ck_assert_uint_eq(c.wire.bytes_sent + c.wire.bytes_received, w.len);
		ck_assert_uint_eq(tl_stat_count(&c.rx_frames, WSP_OP_CLOSE), 1);
		ck_assert_uint_eq(c.local_code, 1000);
		res_case_free(&c);
	}
	/* Bytes the session's own log lost are counted, not kept, and the
	 * log is marked truncated, even far under the cap. */
	struct res_case c;
	memset(&c, 0, sizeof(c));
	struct res_wire_build *b = res_wire_begin(&c, 1, RES_WIRE_CAP);
	res_wire_add(b, 0, 0, w.bytes, 4);
	res_wire_count(b, 0, w.bytes + 4, 3);
	res_wire_add(b, 0, 0, w.bytes + 7, 2);
	ck_assert_int_eq(res_wire_end(b, 9, 0), 0);
	ck_assert(c.wire.truncated);
	ck_assert_uint_eq(c.wire.len, 4);
	ck_assert_uint_eq(tl_stat_count(&c.tx_octets, 4), 1);
	ck_assert_uint_eq(tl_stat_count(&c.tx_octets, 3), 1);
	ck_assert_uint_eq(tl_stat_count(&c.tx_octets, 2), 1);
	res_case_free(&c);
}
END_TEST

struct items_text {
	struct rep_sb sb;
};

static void describe_item(void *ctx, const struct rw_item *it)
{
	struct items_text *t = ctx;
	rep__sb_printf(&t->sb, "%d/%d/%u/%llu/%zu/%d/%zu[", (int)it->kind,
		       it->dir, it->kind == RW_FRAME ? it->hdr.opcode : 99,
		       (unsigned long long)it->total, it->len, it->complete,
		       it->nviol);
	for (size_t i = 0; i < it->len; i++)
		rep__sb_printf(&t->sb, "%02x", it->data[i]);
	rep__sb_puts(&t->sb, "]\n");
}

/* rw_* splits the same bytes the same way whatever the records' sizes:
 * all at once, a byte at a time, random chunks; with a small keep_max, the
 * payload it passes over (wsf_skip) is counted the same way too. */
static char *scan_chunked_keep(const struct wire_fix *w, int mode,
			       uint64_t seed, size_t upto, size_t keep_max)
{
	struct items_text t = {{0}};
	struct rw_scan s;
	rw_init(&s, 1, 0, keep_max, describe_item, &t);
	struct tl_chunker ch;
	tl_chunker_init(&ch, (enum tl_chunk_mode)mode, seed);
	size_t rec = 0;
	for (size_t i = 0; i < 5; i++) {
		size_t a = w->off[i], e = w->off[i + 1] < upto ? w->off[i + 1] : upto;
		while (a < e) {
			size_t k = tl_chunk_next(&ch, e - a);
			rw_feed(&s, w->dir[i], rec++, w->bytes + a, k);
			a += k;
		}
	}
	rw_finish(&s);
	ck_assert(!s.oom);
	char *out;
	size_t n;
	ck_assert_int_eq(rep__sb_finish(&t.sb, &out, &n), 0);
	return out;
}

static char *scan_chunked(const struct wire_fix *w, int mode, uint64_t seed,
			  size_t upto)
{
	return scan_chunked_keep(w, mode, seed, upto, SIZE_MAX);
}

START_TEST(wire_scan_chunking_does_not_change_items)
{
	struct wire_fix w;
	wire_fixture(&w);
	/* Every prefix of the log, so logs that end inside a head, a
	 * header or a payload are covered too. */
	for (size_t upto = 0; upto <= w.len; upto++) {
		char *all = scan_chunked(&w, TL_CHUNK_ALL, 0, upto);
		char *one = scan_chunked(&w, TL_CHUNK_ONE, 0, upto);
		char *rnd = scan_chunked(&w, TL_CHUNK_RANDOM, upto + 1, upto);
		ck_assert_str_eq(all, one);
		ck_assert_str_eq(all, rnd);
		free(all);
		free(one);
		free(rnd);
	}
	char *all = scan_chunked(&w, TL_CHUNK_ALL, 0, w.len);
	/* Two heads, then the frames in wire order (kind/dir/opcode/...). */
	ck_assert_ptr_nonnull(strstr(all, "0/0/99/27/27/1/0["));
	ck_assert_ptr_nonnull(strstr(all, "1/1/1/11/11/1/0[3c623e"));
	ck_assert_ptr_nonnull(strstr(all, "1/0/1/5/5/1/0[48656c6c6f]"));
	ck_assert_ptr_nonnull(strstr(all, "1/1/2/3/3/1/1[00ff10]"));
	ck_assert_ptr_nonnull(strstr(all, "1/1/8/3/3/1/0[03ea78]\n"));
	free(all);
	/* Keeping 2 payload bytes: the rest of each payload is passed over,
	 * still counted in total, in every chunking and prefix. */
	for (size_t upto = 0; upto <= w.len; upto++) {
		char *a2 = scan_chunked_keep(&w, TL_CHUNK_ALL, 0, upto, 2);
		char *o2 = scan_chunked_keep(&w, TL_CHUNK_ONE, 0, upto, 2);
		char *r2 = scan_chunked_keep(&w, TL_CHUNK_RANDOM, upto + 7,
					     upto, 2);
		ck_assert_str_eq(a2, o2);
		ck_assert_str_eq(a2, r2);
		free(a2);
		free(o2);
		free(r2);
	}
	all = scan_chunked_keep(&w, TL_CHUNK_ALL, 0, w.len, 2);
	ck_assert_ptr_nonnull(strstr(all, "1/0/1/5/2/1/0[4865]"));
	ck_assert_ptr_nonnull(strstr(all, "1/1/8/3/2/1/0[03ea]\n"));
	free(all);
}
END_TEST

static void count_items(void *ctx, const struct rw_item *it)
{
	size_t *n = ctx;
	n[it->kind]++;
}

/* An answer other than 101 is followed by a body, not frames; a stream
 * that does not begin with HTTP is frames from the first byte. */
START_TEST(wire_scan_non_101_body_is_raw)
{
	static const char resp[] = "HTTP/1.1 404 Not Found\r\n\r\n\x81\x05Hello";
	size_t n[3] = {0, 0, 0};
	struct rw_scan s;
	rw_init(&s, 1, 0, SIZE_MAX, count_items, n);
	rw_feed(&s, 1, 0, (const uint8_t *)resp, sizeof(resp) - 1);
	rw_finish(&s);
	ck_assert_uint_eq(n[RW_HEAD], 1);
	ck_assert_uint_eq(n[RW_FRAME], 0);
	ck_assert_uint_eq(n[RW_RAW], 1);
	memset(n, 0, sizeof(n));
	rw_init(&s, 1, 0, SIZE_MAX, count_items, n);
	rw_feed(&s, 1, 0, (const uint8_t *)resp + 26, 7);
	rw_finish(&s);
	ck_assert_uint_eq(n[RW_FRAME], 1);
	ck_assert_uint_eq(n[RW_HEAD] + n[RW_RAW], 0);
	ck_assert_uint_eq(rw_rsv_from_response("HTTP/1.1 101 x\r\n"
					       "sec-websocket-extensions: "
					       "permessage-deflate\r\n\r\n"),
			  WSP_RSV1);
	ck_assert_uint_eq(rw_rsv_from_response("HTTP/1.1 101 x\r\nX-A: "
					       "permessage-deflate\r\n\r\n"),
			  0);
}
END_TEST

START_TEST(wire_json_round_trip_is_identical)
{
	struct res_run r, back;
	sample(&r);
	struct wire_fix w;
	wire_fixture(&w);
	add_wire(&r.agents[0].cases[1], &w, RES_WIRE_CAP);
	add_wire(&r.agents[0].cases[0], &w, w.off[2]);
	char *t, *t2;
	size_t n, n2;
	ck_assert_int_eq(rep_json_render(&r, &t, &n), 0);
	ck_assert_ptr_nonnull(strstr(t, "\"closed_by_me\": true,\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"local_close_code\": 1000,\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"tx_frame_stats\": {\n"
					"            \"1\": 1,\n"
					"            \"8\": 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"data\": \"R0VUIC8gSFRUUC8xLjEN"));
	ck_assert_ptr_nonnull(strstr(t, "\"truncated\": true"));
	/* A case without a log (and an older results.json): nulls. */
	ck_assert_ptr_nonnull(strstr(t, "\"wirelog\": null"));
	char err[256];
	ck_assert_msg(rep_json_parse(&back, t, n, err, sizeof(err)) == 0, "%s",
		      err);
	const struct res_case *c = &back.agents[0].cases[1];
	ck_assert_uint_eq(c->wire.len, w.len);
	ck_assert_int_eq(memcmp(c->wire.data, w.bytes, w.len), 0);
	ck_assert_uint_eq(c->wire.nrecs, 5);
	ck_assert_int_eq(c->wire.recs[4].t_us, 7500);
	ck_assert_str_eq(c->local_reason, "bye");
	ck_assert(back.agents[0].cases[0].wire.truncated);
	ck_assert(!back.agents[0].cases[2].wire.present);
	ck_assert(!back.agents[0].cases[2].has_facts);
	ck_assert_int_eq(rep_json_render(&back, &t2, &n2), 0);
	ck_assert_uint_eq(n, n2);
	ck_assert_int_eq(memcmp(t, t2, n), 0);
	free(t);
	free(t2);
	res_free(&back);
	res_free(&r);
}
END_TEST

static const struct {
	const char *fields; /* added to a valid case */
	const char *err;
} bad_wire_docs[] = {
	{"\"closed_by_me\": 1", "\"closed_by_me\" must be true, false or null"},
	{"\"local_close_code\": 70000", "\"local_close_code\" must be"},
	{"\"rx_frame_stats\": {\"x\": 1}", "must map decimal numbers"},
	{"\"rx_frame_stats\": {\"1\": -1}", "must map decimal numbers"},
	{"\"rx_frame_stats\": {\"01\": 1}", "must map decimal numbers"},
	{"\"rx_frame_stats\": {\"18446744073709551616\": 1}",
	 "must map decimal numbers"},
	{"\"tx_octet_stats\": []", "must be an object or null"},
	{"\"wirelog\": 3", "must be an object or null"},
	{"\"wirelog\": {\"data\": \"QUJD\", \"records\": []}", "needs \"data\""},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJ\", \"records\": "
	 "[[0, 0, 3]]}", "not base64"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[0, 0, 2]]}", "do not add up"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[0, 0, 2], [0, 1, 2]]}", "each record is"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[0, 2, 3]]}", "each record is"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[0, 0, 0], [0, 0, 3]]}", "each record is"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[-1, 0, 3]]}", "each record is"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]]}", "more records than"},
	{"\"wirelog\": {\"truncated\": false, \"data\": \"QUJD\", \"records\": "
	 "[[0, 0, 3]], \"bytes_sent\": -3}", "byte totals"},
};

START_TEST(wire_json_reader_refuses_bad_fields)
{
	char doc[1024];
	snprintf(doc, sizeof(doc),
		 "{\"seed\": \"1\", \"agents\": [{\"agent\": \"a\", \"role\": "
		 "\"server\", \"cases\": [{\"id\": \"1.1\", \"verdict\": \"OK\", "
		 "\"behavior\": \"OK\", \"close_behavior\": \"OK\", %s}]}]}",
		 bad_wire_docs[_i].fields);
	struct res_run r;
	char err[256];
	ck_assert_int_eq(rep_json_parse(&r, doc, strlen(doc), err, sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_msg(strstr(err, bad_wire_docs[_i].err) != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "agents[0].cases[0]: "));
	res_free(&r);
}
END_TEST

START_TEST(html_decodes_the_wire_log_frame_by_frame)
{
	struct res_run r;
	sample(&r);
	struct wire_fix w;
	wire_fixture(&w);
	add_wire(&r.agents[0].cases[1], &w, RES_WIRE_CAP);
	add_wire(&r.agents[0].cases[0], &w, w.off[4]);
	char *t;
	size_t n;
	ck_assert_int_eq(rep_html_render(&r, &t, &n), 0);
	assert_clean_text(t, n);
	ck_assert_uint_eq(count(t, "<table class=\"wl\">"), 2);
	/* Case 1.2: 2 heads and 5 frames; case 1.1 the same, its last frame
	 * cut by the cap. */
	ck_assert_uint_eq(count(t, "<tr class=\"tx\">") +
				  count(t, "<tr class=\"rx\">"),
			  7 + 7);
	ck_assert_ptr_nonnull(strstr(t, "<b>TEXT</b> <small>opcode 1</small> "
					"FIN=1 RSV=000 MASK=1 key=01020304 len=5"));
	ck_assert_ptr_nonnull(strstr(t, "<pre class=\"hx\">48656c6c 6f</pre>"
					"<pre>Hello</pre>"));
	/* The peer's markup is text. */
	ck_assert_ptr_nonnull(strstr(t, "<pre>&lt;b&gt;&quot;hi&#39;&lt;/b&gt;"
					"</pre>"));
	ck_assert_ptr_null(strstr(t, "<b>\"hi"));
	ck_assert_ptr_nonnull(strstr(t, "close code 1002"));
	ck_assert_ptr_nonnull(strstr(t, "<pre>bye</pre>"));
	/* The masked server frame: its violation with its requirement id;
	 * binary payload as hex only. */
	struct wsf_header h = {1, 0, 2, 1, {1, 2, 3, 4}, 7, 6, 3};
	struct wsf_policy pol = {0, WSP_ROLE_SERVER};
	int v;
	ck_assert_uint_eq(wsf_check(&h, &pol, &v, 1), 1);
	char want[128];
	snprintf(want, sizeof(want), "<li><code>%s</code> ", wsp_errreq(v));
	ck_assert_ptr_nonnull(strstr(t, want));
	ck_assert_ptr_nonnull(strstr(t, "<pre class=\"hx\">00ff10</pre></td>"));
	/* Closing facts. */
	ck_assert_ptr_nonnull(strstr(t, "closedByMe (wsprobe sent the first "
					"Close): yes; failedByMe (wsprobe failed "
					"the connection): no; droppedByMe (wsprobe "
					"closed TCP first): no; wasClean: no, peer "
					"reset &lt;tcp&gt;<br>"));
	ck_assert_ptr_nonnull(strstr(t, "wsprobe's close frame: code 1000, "
					"reason bye"));
	/* Case 1.1 was cut: said twice (above and below its table), and
	 * the frame the cap cut shows as incomplete. */
	ck_assert_uint_eq(count(t, "class=\"trunc\""), 2);
	ck_assert_ptr_nonnull(strstr(t, "(the log ends after 1 payload bytes)"));
	free(t);
	res_free(&r);
}
END_TEST

START_TEST(junit_failure_carries_a_wire_excerpt)
{
	struct res_run r;
	sample(&r);
	struct wire_fix w;
	wire_fixture(&w);
	add_wire(&r.agents[0].cases[1], &w, RES_WIRE_CAP);
	char *t;
	size_t n;
	ck_assert_int_eq(rep_junit_render(&r, &t, &n), 0);
	assert_clean_text(t, n);
	ck_assert_ptr_nonnull(strstr(t, "wire log (7 heads and frames):\n"
					"  1 sent HTTP head, 27 bytes\n"
					"  2 recv HTTP head, 36 bytes\n"
					"  3 recv TEXT fin=1 rsv=0 mask=0 len=11 "
					"&quot;&lt;b&gt;&quot;hi&#39;&lt;/b&gt;&quot;\n"
					"  4 sent TEXT fin=1 rsv=0 mask=1 len=5 "
					"&quot;Hello&quot;\n"));
	ck_assert_ptr_nonnull(strstr(t, "  6 recv BINARY fin=1 rsv=0 mask=1 "
					"len=3 0x00ff10 [R6455-"));
	ck_assert_ptr_nonnull(strstr(t, "  7 recv CLOSE fin=1 rsv=0 mask=0 len=3 "
					"code 1002 &quot;x&quot;\n"
					"full details"));
	free(t);
	res_free(&r);
}
END_TEST

START_TEST(autobahn_case_carries_closing_facts_stats_and_wirelog)
{
	struct res_run r;
	sample(&r);
	struct wire_fix w;
	wire_fixture(&w);
	add_wire(&r.agents[0].cases[1], &w, w.off[4]);
	char *t;
	size_t n;
	ck_assert_int_eq(rep_autobahn_render_case(&r, 0, 1, &t, &n), 0);
	json_error_t je;
	json_t *doc = json_loads(t, 0, &je);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(json_object_size(doc), 39);
	ck_assert(json_is_true(json_object_get(doc, "closedByMe")));
	ck_assert(json_is_false(json_object_get(doc, "wasClean")));
	ck_assert(json_is_false(json_object_get(doc, "droppedByMe")));
	ck_assert_str_eq(json_string_value(json_object_get(doc,
							   "wasNotCleanReason")),
			 "peer reset <tcp>");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "localCloseCode")),
			 1000);
	ck_assert_str_eq(json_string_value(json_object_get(doc,
							   "localCloseReason")),
			 "bye");
	ck_assert(json_is_true(json_object_get(doc, "createWirelog")));
	ck_assert(json_is_true(json_object_get(doc, "createStats")));
	json_t *tx = json_object_get(doc, "txFrameStats");
	ck_assert_int_eq(json_integer_value(json_object_get(tx, "8")), 1);
	json_t *log = json_object_get(doc, "wirelog");
	/* TO (request), RO + RF (response and the text frame), TO + TF +
	 * TF, RO + RF (binary; the Close is cut by the cap: no entry),
	 * WLM. */
	ck_assert_uint_eq(json_array_size(log), 9);
	char *e0 = json_dumps(json_array_get(log, 0), JSON_COMPACT);
	ck_assert_str_eq(e0, "[\"TO\",[27,\"474554202f20485454502f312e310d0a"
			     "486f73743a20780d0a0d0a\"],false]");
	free(e0);
	char *e2 = json_dumps(json_array_get(log, 2), JSON_COMPACT);
	ck_assert_str_eq(e2, "[\"RF\",[11,\"<b>\\\"hi'</b>\"],1,1,0,false,null]");
	free(e2);
	char *e4 = json_dumps(json_array_get(log, 4), JSON_COMPACT);
	ck_assert_str_eq(e4, "[\"TF\",[5,\"Hello\"],1,1,0,\"01020304\",null,"
			     "null,false]");
	free(e4);
	char *e8 = json_dumps(json_array_get(log, 8), JSON_COMPACT);
	ck_assert_str_eq(e8, "[\"WLM\",false]");
	free(e8);
	json_decref(doc);
	free(t);
	res_free(&r);
}
END_TEST

/* Autobahn logs at most 64 bytes per entry, then " ...". */
START_TEST(autobahn_wirelog_entries_log_64_bytes)
{
	struct res_case c;
	memset(&c, 0, sizeof(c));
	uint8_t big[200];
	memset(big, 'a', sizeof(big));
	big[0] = 0x81;
	big[1] = 126;
	big[2] = 0;
	big[3] = 196;
	struct res_wire_build *b = res_wire_begin(&c, 1, RES_WIRE_CAP);
	res_wire_add(b, 0, 1, big, sizeof(big));
	ck_assert_int_eq(res_wire_end(b, 0, sizeof(big)), 0);
	json_t *log = rep__autobahn_wirelog(&c, "server");
	ck_assert_ptr_nonnull(log);
	ck_assert_uint_eq(json_array_size(log), 2);
	json_t *ro = json_array_get(json_array_get(log, 0), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(ro, 0)), 200);
	const char *hx = json_string_value(json_array_get(ro, 1));
	ck_assert_uint_eq(strlen(hx), 128 + 4);
	ck_assert_str_eq(hx + 128, " ...");
	json_t *rf = json_array_get(json_array_get(log, 1), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(rf, 0)), 196);
	const char *tx = json_string_value(json_array_get(rf, 1));
	ck_assert_uint_eq(strlen(tx), 64 + 4);
	json_decref(log);
	res_case_free(&c);
}
END_TEST

Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("escaping");
	tcase_add_loop_test(tc, escape_markup_controls_and_bad_utf8, 0,
			    (int)(sizeof(esc_vectors) / sizeof(esc_vectors[0])));
	tcase_add_test(tc, escape_utf8_clean_keeps_valid_text);
	tcase_add_loop_test(tc, junit_and_html_gain_no_markup_from_hostile_text, 0,
			    (int)(sizeof(hostile) / sizeof(hostile[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("ids_and_numbers");
	tcase_add_test(tc, ids_sort_numerically_and_totally);
	tcase_add_test(tc, seconds_are_integer_formatted);
	tcase_add_test(tc, locale_does_not_change_any_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("junit_xml");
	tcase_add_test(tc, junit_suites_per_agent_and_category);
	tcase_add_test(tc, junit_failure_excerpt_is_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("autobahn_layout");
	tcase_add_loop_test(tc, autobahn_agent_names_as_autobahn_forms_them, 0,
			    (int)(sizeof(name_vectors) / sizeof(name_vectors[0])));
	tcase_add_test(tc, autobahn_case_files_are_unique_and_inside_the_folder);
	tcase_add_test(tc, autobahn_index_and_case_documents);
	suite_add_tcase(s, tc);

	tc = tcase_create("index_html");
	tcase_add_test(tc, html_is_self_contained_with_counts_and_requirements);
	tcase_add_test(tc, html_requirement_lookup);
	suite_add_tcase(s, tc);

	tc = tcase_create("baseline");
	tcase_add_test(tc, baseline_rank_order);
	tcase_add_loop_test(tc, baseline_compare_every_pair, 0, 25);
	tcase_add_test(tc, baseline_round_trip_new_and_not_run);
	tcase_add_test(tc, baseline_single_agents_match_whatever_their_names);
	tcase_add_test(tc, baseline_reads_autobahn_index_and_results_json);
	tcase_add_loop_test(tc, baseline_bad_documents, 0,
			    (int)(sizeof(bad_baselines) / sizeof(bad_baselines[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, write_all_is_complete_stable_and_atomic);
	tcase_add_test(tc, write_all_formats_table);
	tcase_add_test(tc, results_json_keeps_excluded_and_cleans_bad_utf8);
	tcase_add_test(tc, results_json_load_names_the_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("wire_log");
	tcase_add_test(tc, wire_build_counts_frames_octets_and_local_close);
	tcase_add_test(tc, wire_build_truncates_at_the_cap_never_silently);
	tcase_add_test(tc, wire_scan_chunking_does_not_change_items);
	tcase_add_test(tc, wire_scan_non_101_body_is_raw);
	tcase_add_test(tc, wire_json_round_trip_is_identical);
	tcase_add_loop_test(tc, wire_json_reader_refuses_bad_fields, 0,
			    (int)(sizeof(bad_wire_docs) / sizeof(bad_wire_docs[0])));
	tcase_add_test(tc, html_decodes_the_wire_log_frame_by_frame);
	tcase_add_test(tc, junit_failure_carries_a_wire_excerpt);
	tcase_add_test(tc, autobahn_case_carries_closing_facts_stats_and_wirelog);
	tcase_add_test(tc, autobahn_wirelog_entries_log_64_bytes);
	suite_add_tcase(s, tc);
	return s;
}
