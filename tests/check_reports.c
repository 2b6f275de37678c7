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
#include "u8.h"
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

static void rm_rf(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

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
	rm_rf(dir);
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
	return s;
}
