/*
 * check_url.c: the ws/wss URL parser and the Host header builder
 * (harness/url.c).  Tables of accepted URLs with every field expected, of
 * rejected URLs with the exact code, every prefix of a valid URL, length
 * boundaries, and a guard-page run proving the parser never reads past the
 * length it is given.
 */
#include <string.h>

#include "lib.h"
#include "url.h"
#include "wsp_err.h"

struct ok_vec {
	const char *in;
	int secure;
	enum url_host_kind kind;
	const char *host;
	unsigned port;
	int port_given;
	const char *resource;
	const char *host_header;
};

/* R6455-3-01 (default ports), section 3 resource names, R6455-4.1-23
 * (Host header: ":port" only when not the default). */
static const struct ok_vec ok_vecs[] = {
	{"ws://example.com", 0, URL_HOST_NAME, "example.com", 80, 0, "/",
	 "example.com"},
	{"wss://example.com", 1, URL_HOST_NAME, "example.com", 443, 0, "/",
	 "example.com"},
	{"ws://example.com/", 0, URL_HOST_NAME, "example.com", 80, 0, "/",
	 "example.com"},
	{"ws://example.com:80/", 0, URL_HOST_NAME, "example.com", 80, 1, "/",
	 "example.com"},
	{"wss://example.com:443/x", 1, URL_HOST_NAME, "example.com", 443, 1,
	 "/x", "example.com"},
	{"ws://example.com:443/", 0, URL_HOST_NAME, "example.com", 443, 1, "/",
	 "example.com:443"},
	{"wss://example.com:80/", 1, URL_HOST_NAME, "example.com", 80, 1, "/",
	 "example.com:80"},
	{"ws://localhost:9001/runCase?case=1&agent=wsprobe", 0, URL_HOST_NAME,
	 "localhost", 9001, 1, "/runCase?case=1&agent=wsprobe",
	 "localhost:9001"},
	{"ws://h?q", 0, URL_HOST_NAME, "h", 80, 0, "/?q", "h"},
	{"ws://h?", 0, URL_HOST_NAME, "h", 80, 0, "/?", "h"},
	{"ws://h/a/b/?x=/?y", 0, URL_HOST_NAME, "h", 80, 0, "/a/b/?x=/?y",
	 "h"},
	{"ws://h/%23not-a-fragment", 0, URL_HOST_NAME, "h", 80, 0,
	 "/%23not-a-fragment", "h"},
	{"ws://h/a%2fb%2F", 0, URL_HOST_NAME, "h", 80, 0, "/a%2fb%2F", "h"},
	{"ws://h/-._~!$&'()*+,;=:@", 0, URL_HOST_NAME, "h", 80, 0,
	 "/-._~!$&'()*+,;=:@", "h"},
	{"WS://Example.COM/", 0, URL_HOST_NAME, "Example.COM", 80, 0, "/",
	 "Example.COM"},
	{"wSs://h", 1, URL_HOST_NAME, "h", 443, 0, "/", "h"},
	{"ws://127.0.0.1:8080/chat", 0, URL_HOST_IPV4, "127.0.0.1", 8080, 1,
	 "/chat", "127.0.0.1:8080"},
	{"ws://0.0.0.0", 0, URL_HOST_IPV4, "0.0.0.0", 80, 0, "/", "0.0.0.0"},
	{"ws://[::1]:9001/", 0, URL_HOST_IPV6, "::1", 9001, 1, "/",
	 "[::1]:9001"},
	{"wss://[::1]", 1, URL_HOST_IPV6, "::1", 443, 0, "/", "[::1]"},
	{"ws://[2001:db8::7]?a", 0, URL_HOST_IPV6, "2001:db8::7", 80, 0,
	 "/?a", "[2001:db8::7]"},
	{"ws://[::ffff:192.0.2.1]:1", 0, URL_HOST_IPV6, "::ffff:192.0.2.1", 1,
	 1, "/", "[::ffff:192.0.2.1]:1"},
	{"ws://h:65535", 0, URL_HOST_NAME, "h", 65535, 1, "/", "h:65535"},
	{"ws://h:1", 0, URL_HOST_NAME, "h", 1, 1, "/", "h:1"},
	{"ws://h:00080", 0, URL_HOST_NAME, "h", 80, 1, "/", "h"},
	{"ws://my_host-1.example.", 0, URL_HOST_NAME, "my_host-1.example.",
	 80, 0, "/", "my_host-1.example."},
	{"ws://1.2.3.4a", 0, URL_HOST_NAME, "1.2.3.4a", 80, 0, "/",
	 "1.2.3.4a"},
};

static void check_ok(const struct ok_vec *v, const char *in, size_t len)
{
	struct url u;
	int rc = url_parse(&u, in, len);
	ck_assert_msg(rc == 0, "%s: rc %d (%s)", v->in, rc,
		      wsp_errname(rc));
	ck_assert_int_eq(u.secure, v->secure);
	ck_assert_int_eq(u.host_kind, v->kind);
	ck_assert_str_eq(u.host, v->host);
	ck_assert_uint_eq(u.host_len, strlen(v->host));
	ck_assert_uint_eq(u.port, v->port);
	ck_assert_int_eq(u.port_given, v->port_given);
	ck_assert_str_eq(u.resource, v->resource);
	ck_assert_uint_eq(u.resource_len, strlen(v->resource));
	ck_assert_str_eq(url_scheme(&u), v->secure ? "wss" : "ws");
	char hh[URL_HOST_MAX + 16];
	int n = url_host_header(&u, hh, sizeof(hh));
	ck_assert_int_eq(n, (int)strlen(v->host_header));
	ck_assert_str_eq(hh, v->host_header);
}

START_TEST(rfc6455_3_parse_valid)
{
	check_ok(&ok_vecs[_i], ok_vecs[_i].in, strlen(ok_vecs[_i].in));
}
END_TEST

/* The same inputs in a buffer that ends at a PROT_NONE page and has no NUL:
 * the parser must stay inside [0, len). */
START_TEST(url_parse_reads_only_len_bytes)
{
	struct tl_guard g;
	tl_guard_init(&g, ok_vecs[_i].in, strlen(ok_vecs[_i].in));
	check_ok(&ok_vecs[_i], (const char *)g.data, g.n);
	tl_guard_free(&g);
}
END_TEST

struct bad_vec {
	const char *in;
	int rc;
};

static const struct bad_vec bad_vecs[] = {
	/* R6455-3-02: no fragment, not even an empty one; R6455-3-03: a
	 * literal '#' must be %23. */
	{"ws://h/#", WSP_E_URL_FRAGMENT},
	{"ws://h/a#b", WSP_E_URL_FRAGMENT},
	{"ws://h#", WSP_E_URL_FRAGMENT},
	{"ws://h/?q#f", WSP_E_URL_FRAGMENT},
	{"http://h/#x", WSP_E_URL_FRAGMENT},
	{"http://h/", WSP_E_URL_SCHEME},
	{"https://h/", WSP_E_URL_SCHEME},
	{"wsss://h/", WSP_E_URL_SCHEME},
	{"w://h/", WSP_E_URL_SCHEME},
	{"ftp://h", WSP_E_URL_SCHEME},
	{"", WSP_E_URL_SYNTAX},
	{"h", WSP_E_URL_SYNTAX},
	{"ws", WSP_E_URL_SYNTAX},
	{"ws:", WSP_E_URL_SYNTAX},
	{"ws:/", WSP_E_URL_SYNTAX},
	{"ws:/h/", WSP_E_URL_SYNTAX},
	{"ws:h", WSP_E_URL_SYNTAX},
	{"localhost:9001", WSP_E_URL_SYNTAX},
	{"//h/", WSP_E_URL_SYNTAX},
	{"1ws://h", WSP_E_URL_SYNTAX},
	{"ws://[::1]x/", WSP_E_URL_SYNTAX},
	{"ws://u@h/", WSP_E_URL_USERINFO},
	{"ws://u:p@h:80/", WSP_E_URL_USERINFO},
	{"ws://@h", WSP_E_URL_USERINFO},
	{"ws://h/a b", WSP_E_URL_BAD_CHAR},
	{" ws://h/", WSP_E_URL_BAD_CHAR},
	{"ws://h/\t", WSP_E_URL_BAD_CHAR},
	{"ws://h/\r\nX: y", WSP_E_URL_BAD_CHAR},
	{"ws://h/\x7f", WSP_E_URL_BAD_CHAR},
	{"ws://h/\xc3\xa9", WSP_E_URL_BAD_CHAR},
	{"ws://h/<", WSP_E_URL_BAD_CHAR},
	{"ws://h/{}", WSP_E_URL_BAD_CHAR},
	{"ws://h/a|b", WSP_E_URL_BAD_CHAR},
	{"ws://h/\"", WSP_E_URL_BAD_CHAR},
	{"ws://h/\\", WSP_E_URL_BAD_CHAR},
	{"ws://h/[x]", WSP_E_URL_BAD_CHAR},
	{"ws://h/%", WSP_E_URL_BAD_PERCENT},
	{"ws://h/%2", WSP_E_URL_BAD_PERCENT},
	{"ws://h/%g0", WSP_E_URL_BAD_PERCENT},
	{"ws://h/?%0x", WSP_E_URL_BAD_PERCENT},
	{"ws://", WSP_E_URL_BAD_HOST},
	{"ws:///", WSP_E_URL_BAD_HOST},
	{"ws://:80/", WSP_E_URL_BAD_HOST},
	{"ws://?q", WSP_E_URL_BAD_HOST},
	{"ws://::1/", WSP_E_URL_BAD_HOST},
	{"ws://[::1/", WSP_E_URL_BAD_HOST},
	{"ws://[]/", WSP_E_URL_BAD_HOST},
	{"ws://[127.0.0.1]/", WSP_E_URL_BAD_HOST},
	{"ws://[::1%25eth0]/", WSP_E_URL_BAD_HOST},
	{"ws://[v1.x]/", WSP_E_URL_BAD_HOST},
	{"ws://[::g]/", WSP_E_URL_BAD_HOST},
	{"ws://a..b/", WSP_E_URL_BAD_HOST},
	{"ws://.a/", WSP_E_URL_BAD_HOST},
	{"ws://./", WSP_E_URL_BAD_HOST},
	{"ws://h%41/", WSP_E_URL_BAD_HOST},
	{"ws://h!/", WSP_E_URL_BAD_HOST},
	{"ws://1.2.3/", WSP_E_URL_BAD_HOST},
	{"ws://256.1.1.1/", WSP_E_URL_BAD_HOST},
	{"ws://1.2.3.4./", WSP_E_URL_BAD_HOST},
	{"ws://1234567890123456/", WSP_E_URL_BAD_HOST},
	{"ws://h:/", WSP_E_URL_BAD_PORT},
	{"ws://h:0/", WSP_E_URL_BAD_PORT},
	{"ws://h:65536/", WSP_E_URL_BAD_PORT},
	{"ws://h:99999999999999999999/", WSP_E_URL_BAD_PORT},
	{"ws://h:-1/", WSP_E_URL_BAD_PORT},
	{"ws://h:+80/", WSP_E_URL_BAD_PORT},
	{"ws://h:8a/", WSP_E_URL_BAD_PORT},
	{"ws://h:80:81/", WSP_E_URL_BAD_PORT},
	{"ws://[::1]:/", WSP_E_URL_BAD_PORT},
	{"ws://[::1]:0x50/", WSP_E_URL_BAD_PORT},
};

START_TEST(url_parse_rejects)
{
	const struct bad_vec *v = &bad_vecs[_i];
	struct url u;
	memset(&u, 0xA5, sizeof(u));
	int rc = url_parse(&u, v->in, strlen(v->in));
	ck_assert_msg(rc == v->rc, "'%s': got %s, want %s", v->in,
		      wsp_errname(rc), wsp_errname(v->rc));
	/* Nothing half-parsed is left behind. */
	ck_assert_uint_eq(u.host_len, 0);
	ck_assert_uint_eq(u.port, 0);
	ck_assert_uint_eq(u.resource_len, 0);
	ck_assert_str_eq(u.host, "");
}
END_TEST

/* Only URL_FRAGMENT is a protocol rule; it carries its requirement id. */
START_TEST(rfc6455_3_fragment_code_cites_requirement)
{
	ck_assert_str_eq(wsp_errreq(WSP_E_URL_FRAGMENT), "R6455-3-02");
	ck_assert_ptr_null(wsp_errreq(WSP_E_URL_SCHEME));
	ck_assert_ptr_null(wsp_errreq(WSP_E_URL_USERINFO));
}
END_TEST

/* A NUL byte inside the length is a control byte, not an end. */
START_TEST(url_parse_embedded_nul_rejected)
{
	struct url u;
	ck_assert_int_eq(url_parse(&u, "ws://h/\0x", 9), WSP_E_URL_BAD_CHAR);
	ck_assert_int_eq(url_parse(&u, "ws://h\0/", 8), WSP_E_URL_BAD_CHAR);
	/* ...while a length that stops before it sees a valid URL. */
	ck_assert_int_eq(url_parse(&u, "ws://h/\0x", 7), 0);
	ck_assert_str_eq(u.resource, "/");
}
END_TEST

/* Every proper prefix of a full URL either parses to something consistent
 * or fails with a code; none crashes, and the complete one succeeds.  The
 * expected outcome per prefix length is spelled out. */
START_TEST(url_parse_every_prefix)
{
	static const char full[] = "wss://[::1]:9443/p?q";
	static const int want[] = {
		WSP_E_URL_SYNTAX,   /* "" */
		WSP_E_URL_SYNTAX,   /* "w" */
		WSP_E_URL_SYNTAX,   /* "ws" */
		WSP_E_URL_SYNTAX,   /* "wss" */
		WSP_E_URL_SYNTAX,   /* "wss:" */
		WSP_E_URL_SYNTAX,   /* "wss:/" */
		WSP_E_URL_BAD_HOST, /* "wss://" */
		WSP_E_URL_BAD_HOST, /* "wss://[" */
		WSP_E_URL_BAD_HOST, /* "wss://[:" */
		WSP_E_URL_BAD_HOST, /* "wss://[::" */
		WSP_E_URL_BAD_HOST, /* "wss://[::1" */
		0,                  /* "wss://[::1]" */
		WSP_E_URL_BAD_PORT, /* "wss://[::1]:" */
		0, 0, 0, 0,         /* ports 9, 94, 944, 9443 */
		0, 0, 0, 0          /* "/", "/p", "/p?", "/p?q" */
	};
	ck_assert_uint_eq(sizeof(want) / sizeof(want[0]), sizeof(full));
	for (size_t n = 0; n < sizeof(full); n++) {
		struct tl_guard g;
		tl_guard_init(&g, full, n);
		struct url u;
		int rc = url_parse(&u, (const char *)g.data, n);
		ck_assert_msg(rc == want[n], "prefix %zu: got %s want %s", n,
			      wsp_errname(rc), wsp_errname(want[n]));
		if (rc == 0) {
			ck_assert_str_eq(u.host, "::1");
			ck_assert_int_eq(u.secure, 1);
		}
		tl_guard_free(&g);
	}
	struct url u;
	ck_assert_int_eq(url_parse(&u, full, sizeof(full) - 1), 0);
	ck_assert_uint_eq(u.port, 9443);
	ck_assert_str_eq(u.resource, "/p?q");
}
END_TEST

static void fill_url(char *buf, size_t *len, const char *pre, size_t nrep,
		     char rep, const char *post)
{
	size_t n = 0;
	memcpy(buf, pre, strlen(pre));
	n += strlen(pre);
	memset(buf + n, rep, nrep);
	n += nrep;
	memcpy(buf + n, post, strlen(post));
	n += strlen(post);
	*len = n;
}

/* Host: 63-byte labels and 253 bytes in all are the limits. */
START_TEST(url_host_length_boundaries)
{
	static char buf[URL_RESOURCE_MAX + 64];
	size_t len;
	struct url u;

	fill_url(buf, &len, "ws://", 63, 'a', "/");
	ck_assert_int_eq(url_parse(&u, buf, len), 0);
	fill_url(buf, &len, "ws://", 64, 'a', "/");
	ck_assert_int_eq(url_parse(&u, buf, len), WSP_E_URL_BAD_HOST);

	/* 253 = 3 labels of 63 + 1 of 61 + 3 dots. */
	char host[300];
	size_t h = 0;
	for (int l = 0; l < 4; l++) {
		size_t ll = l < 3 ? 63 : 61;
		memset(host + h, 'a' + l, ll);
		h += ll;
		if (l < 3)
			host[h++] = '.';
	}
	host[h] = '\0';
	ck_assert_uint_eq(h, 253);
	fill_url(buf, &len, "ws://", 0, 'x', host);
	ck_assert_int_eq(url_parse(&u, buf, len), 0);
	ck_assert_uint_eq(u.host_len, 253);
	char hh[URL_HOST_MAX + 16];
	ck_assert_int_eq(url_host_header(&u, hh, sizeof(hh)), 253);
	host[h++] = 'b';
	host[h] = '\0';
	fill_url(buf, &len, "ws://", 0, 'x', host);
	ck_assert_int_eq(url_parse(&u, buf, len), WSP_E_URL_TOO_LONG);
}
END_TEST

/* Resource name: URL_RESOURCE_MAX bytes fit, one more does not; the "/"
 * added for an empty path counts. */
START_TEST(url_resource_length_boundaries)
{
	static char buf[URL_RESOURCE_MAX + 64];
	size_t len;
	struct url u;

	fill_url(buf, &len, "ws://h/", URL_RESOURCE_MAX - 1, 'r', "");
	ck_assert_int_eq(url_parse(&u, buf, len), 0);
	ck_assert_uint_eq(u.resource_len, URL_RESOURCE_MAX);
	ck_assert_uint_eq(strlen(u.resource), URL_RESOURCE_MAX);
	fill_url(buf, &len, "ws://h/", URL_RESOURCE_MAX, 'r', "");
	ck_assert_int_eq(url_parse(&u, buf, len), WSP_E_URL_TOO_LONG);

	fill_url(buf, &len, "ws://h?", URL_RESOURCE_MAX - 2, 'q', "");
	ck_assert_int_eq(url_parse(&u, buf, len), 0);
	ck_assert_uint_eq(u.resource_len, URL_RESOURCE_MAX);
	ck_assert_int_eq(u.resource[0], '/');
	ck_assert_int_eq(u.resource[1], '?');
	fill_url(buf, &len, "ws://h?", URL_RESOURCE_MAX - 1, 'q', "");
	ck_assert_int_eq(url_parse(&u, buf, len), WSP_E_URL_TOO_LONG);
}
END_TEST

/* R6455-4.1-23: the Host value must fit; the exact size works, one less is
 * NOSPACE and leaves an empty string. */
START_TEST(rfc6455_4_1_host_header_buffer_boundaries)
{
	struct url u;
	ck_assert_int_eq(url_parse(&u, "ws://[::1]:8080/", 16), 0);
	char out[16];
	ck_assert_int_eq(url_host_header(&u, out, 12), 10);
	ck_assert_str_eq(out, "[::1]:8080");
	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(url_host_header(&u, out, 10), WSP_E_NOSPACE);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(url_host_header(&u, out, 0), WSP_E_NOSPACE);
	ck_assert_int_eq(url_host_header(NULL, out, sizeof(out)),
			 WSP_E_INVAL);
	ck_assert_int_eq(url_host_header(&u, NULL, 4), WSP_E_INVAL);
	struct url empty;
	memset(&empty, 0, sizeof(empty));
	ck_assert_int_eq(url_host_header(&empty, out, sizeof(out)),
			 WSP_E_INVAL);
}
END_TEST

START_TEST(url_null_arguments)
{
	struct url u;
	ck_assert_int_eq(url_parse(NULL, "ws://h", 6), WSP_E_INVAL);
	ck_assert_int_eq(url_parse(&u, NULL, 0), WSP_E_INVAL);
	ck_assert_uint_eq(url_default_port(0), 80);
	ck_assert_uint_eq(url_default_port(1), 443);
}
END_TEST

Suite *url_suite(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("R6455-3");
	tcase_add_loop_test(tc, rfc6455_3_parse_valid, 0,
			    (int)(sizeof(ok_vecs) / sizeof(ok_vecs[0])));
	tcase_add_loop_test(tc, url_parse_reads_only_len_bytes, 0,
			    (int)(sizeof(ok_vecs) / sizeof(ok_vecs[0])));
	tcase_add_loop_test(tc, url_parse_rejects, 0,
			    (int)(sizeof(bad_vecs) / sizeof(bad_vecs[0])));
	tcase_add_test(tc, rfc6455_3_fragment_code_cites_requirement);
	tcase_add_test(tc, url_parse_embedded_nul_rejected);
	tcase_add_test(tc, url_parse_every_prefix);
	tcase_add_test(tc, url_host_length_boundaries);
	tcase_add_test(tc, url_resource_length_boundaries);
	tcase_add_test(tc, url_null_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-23");
	tcase_add_test(tc, rfc6455_4_1_host_header_buffer_boundaries);
	suite_add_tcase(s, tc);
	return s;
}
