/*
 * check_hs.c: the opening handshake codec (proto/hs.h) against RFC 6455
 * section 4: the RFC's own examples, every request and response violation
 * alone and together, HTTP syntax failures, every prefix ("incomplete
 * 1..N"), chunking (all at once == one byte per call == random schedules,
 * with the buffer moving between calls), the head-size cap at and one past
 * the limit, guard-page over-read checks, linear time on hostile input,
 * the builders (round trips, exact output, NOSPACE, deliberately wrong
 * messages) and the negotiation helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs.h"
#include "lib.h"
#include "wsp_err.h"

#define NHDR 32

/* A vector: bytes with an explicit length, so NULs can be written. */
#define V(s) s, sizeof(s) - 1

/* The pieces of RFC 6455 section 1.2's sample request. */
#define RL "GET /chat HTTP/1.1\r\n"
#define H_HOST "Host: server.example.com\r\n"
#define H_UP "Upgrade: websocket\r\n"
#define H_CONN "Connection: Upgrade\r\n"
#define H_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define H_VER "Sec-WebSocket-Version: 13\r\n"
#define H_ORIG "Origin: http://example.com\r\n"
#define H_PROTO "Sec-WebSocket-Protocol: chat, superchat\r\n"
#define H_EXT "Sec-WebSocket-Extensions: permessage-deflate; " \
	      "client_max_window_bits\r\n"
#define END "\r\n"
#define GOOD_REQ_H RL H_HOST H_UP H_CONN H_KEY H_VER
#define GOOD_REQ GOOD_REQ_H END

static const char rfc_request[] = RL H_HOST H_UP H_CONN H_KEY H_ORIG H_PROTO
	H_VER END;

/* The request the response vectors are judged against: the RFC sample plus
 * an extension offer. */
static const char offer_request[] = RL H_HOST H_UP H_CONN H_KEY H_ORIG H_PROTO
	H_VER H_EXT END;

#define SL "HTTP/1.1 101 Switching Protocols\r\n"
#define R_UP "Upgrade: websocket\r\n"
#define R_CONN "Connection: Upgrade\r\n"
#define R_ACC "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
#define GOOD_RESP_H SL R_UP R_CONN R_ACC
#define GOOD_RESP GOOD_RESP_H END

static const char rfc_response[] = SL R_UP R_CONN R_ACC
	"Sec-WebSocket-Protocol: chat\r\n" END;

/* ---- helpers -------------------------------------------------------- */

struct parsed {
	struct hs_header h[NHDR];
	struct hs_msg m;
	int rc;
};

static int parse(struct parsed *p, int is_req, const char *buf, size_t len)
{
	hs_msg_init(&p->m, p->h, NHDR);
	p->rc = is_req ? hs_parse_request(&p->m, buf, len, 0)
		       : hs_parse_response(&p->m, buf, len, 0);
	return p->rc;
}

/* Parses s as a complete request (it must parse) into p. */
static void parse_ok(struct parsed *p, int is_req, const char *s, size_t n)
{
	int rc = parse(p, is_req, s, n);
	ck_assert_msg(rc == (int)n, "parse of \"%.40s...\": %d (%s), want %zu",
		      s, rc, wsp_errname(rc), n);
}

/* A one-line description of a parse result with every output field, as
 * offsets into buf, so two parses of moved buffers compare as strings. */
static void describe(const struct hs_msg *m, int rc, const char *buf,
		     char *out, size_t cap)
{
	size_t o = 0;
	int w = snprintf(out, cap, "rc=%d", rc);
	o = (size_t)w;
	if (rc <= 0)
		return;
	w = snprintf(out + o, cap - o,
		     " m=%ld+%zu t=%ld+%zu s=%d r=%ld+%zu v=%ld:%d.%d f=%u hl=%zu",
		     m->method ? (long)(m->method - buf) : -1L, m->method_len,
		     m->target ? (long)(m->target - buf) : -1L, m->target_len,
		     m->status, m->reason ? (long)(m->reason - buf) : -1L,
		     m->reason_len, (long)(m->version - buf), m->http_major,
		     m->http_minor, m->flags,
		     m->head_len);
	o += (size_t)w;
	for (size_t i = 0; i < m->nheaders && o < cap; i++) {
		const struct hs_header *h = &m->headers[i];
		w = snprintf(out + o, cap - o, " [%ld+%zu:%ld+%zu]",
			     (long)(h->name - buf), h->name_len,
			     (long)(h->value - buf), h->value_len);
		o += (size_t)w;
	}
}

/*
 * Feeds in[0..n) the way a network would: chunk sizes from c, the buffer
 * reallocated to exactly the bytes received on every call (so it moves, and
 * ASan sees any read past len), last_len passed along.  Stops at the first
 * result other than INCOMPLETE and describes it.
 */
static int feed(const char *in, size_t n, int is_req, size_t max_head,
		struct tl_chunker *c, char *desc, size_t cap)
{
	struct hs_header h[NHDR];
	struct hs_msg m;
	hs_msg_init(&m, h, NHDR);
	m.max_head = max_head;
	size_t len = 0, last = 0;
	int rc = WSP_E_INCOMPLETE;
	char *buf = NULL;
	do {
		len += tl_chunk_next(c, n - len);
		char *nb = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(nb);
		memcpy(nb, in, len);
		free(buf);
		buf = nb;
		rc = is_req ? hs_parse_request(&m, buf, len, last)
			    : hs_parse_response(&m, buf, len, last);
		last = len;
	} while (rc == WSP_E_INCOMPLETE && len < n);
	describe(&m, rc, buf, desc, cap);
	free(buf);
	return rc;
}

/* Asserts that got[0..n) is exactly want (terminated by 0). */
static void assert_viol(const int *got, int n, const int *want,
			const char *what)
{
	char gs[512] = "", ws[512] = "";
	size_t o = 0;
	for (int i = 0; i < n && i < HS_MAX_VIOL; i++)
		o += (size_t)snprintf(gs + o, sizeof(gs) - o, "%s ",
				      wsp_errname(got[i]));
	o = 0;
	int nw = 0;
	for (; want[nw] != 0; nw++)
		o += (size_t)snprintf(ws + o, sizeof(ws) - o, "%s ",
				      wsp_errname(want[nw]));
	ck_assert_msg(n == nw, "%s: got [%s], want [%s]", what, gs, ws);
	for (int i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "%s: got [%s], want [%s]",
			      what, gs, ws);
}

static double cpu_seconds(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

/* ---- RFC 6455 section 1.3 / 4.2.2: key and accept ------------------- */

START_TEST(rfc6455_1_3_accept_example)
{
	char acc[HS_ACCEPT_LEN + 1];
	ck_assert_int_eq(hs_accept_compute(V("dGhlIHNhbXBsZSBub25jZQ=="), acc),
			 HS_ACCEPT_LEN);
	ck_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* The nonce behind the sample key is the ASCII "the sample nonce". */
	char key[HS_KEY_LEN + 1];
	ck_assert_int_eq(
		hs_key_from_nonce((const uint8_t *)"the sample nonce", key),
		HS_KEY_LEN);
	ck_assert_str_eq(key, "dGhlIHNhbXBsZSBub25jZQ==");
	/* The key is hashed as sent, not trimmed or decoded. */
	ck_assert_int_eq(hs_accept_compute(V(" dGhlIHNhbXBsZSBub25jZQ=="), acc),
			 HS_ACCEPT_LEN);
	ck_assert_str_ne(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(hs_accept_compute("", 0, acc), HS_ACCEPT_LEN);
}
END_TEST

START_TEST(rfc6455_1_2_sample_handshake_parses_clean)
{
	struct parsed q, r;
	int viol[HS_MAX_VIOL];
	parse_ok(&q, 1, V(rfc_request));
	ck_assert_int_eq((int)q.m.method_len, 3);
	ck_assert(memcmp(q.m.method, "GET", 3) == 0);
	ck_assert_int_eq((int)q.m.target_len, 5);
	ck_assert(memcmp(q.m.target, "/chat", 5) == 0);
	ck_assert_int_eq(q.m.http_major, 1);
	ck_assert_int_eq(q.m.http_minor, 1);
	ck_assert_int_eq((int)q.m.version_len, 8);
	ck_assert(memcmp(q.m.version, "HTTP/1.1", 8) == 0);
	ck_assert_int_eq((int)q.m.nheaders, 7);
	ck_assert_uint_eq(q.m.flags, 0);
	const struct hs_header *h = hs_find(&q.m, "sec-websocket-key");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq((int)h->value_len, 24);
	ck_assert(memcmp(h->value, "dGhlIHNhbXBsZSBub25jZQ==", 24) == 0);
	ck_assert_int_eq(hs_check_request(&q.m, viol, HS_MAX_VIOL), 0);
	ck_assert_int_eq(hs_reject_status(viol, 0), 101);

	parse_ok(&r, 0, V(rfc_response));
	ck_assert_int_eq(r.m.status, 101);
	ck_assert_int_eq((int)r.m.reason_len, 19);
	ck_assert(memcmp(r.m.reason, "Switching Protocols", 19) == 0);
	ck_assert_int_eq((int)r.m.nheaders, 4);
	ck_assert_int_eq(hs_check_response(&r.m, &q.m, viol, HS_MAX_VIOL), 0);
}
END_TEST

/* Bytes after the head (the first frames) are not part of it. */
START_TEST(rfc6455_4_1_head_length_excludes_following_frames)
{
	static const char in[] = GOOD_RESP "\x81\x05Hello";
	struct parsed r;
	ck_assert_int_eq(parse(&r, 0, V(in)), (int)sizeof(GOOD_RESP) - 1);
	ck_assert_int_eq((int)r.m.head_len, (int)sizeof(GOOD_RESP) - 1);
}
END_TEST

/* ---- base64 --------------------------------------------------------- */

static const struct {
	const char *plain, *b64;
} b64_vec[] = {
	/* RFC 4648 section 10. */
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
	{"\xff\xfe\xfd", "//79"},
	{"\xfb\xff", "+/8="},
};

START_TEST(rfc4648_base64_vectors_round_trip)
{
	const char *p = b64_vec[_i].plain, *e = b64_vec[_i].b64;
	char enc[64];
	uint8_t dec[64];
	ck_assert_int_eq(hs_b64_encode((const uint8_t *)p, strlen(p), enc,
				       sizeof(enc)),
			 (int)strlen(e));
	ck_assert_str_eq(enc, e);
	ck_assert_int_eq(hs_b64_decode(e, strlen(e), dec, sizeof(dec)),
			 (int)strlen(p));
	ck_assert(memcmp(dec, p, strlen(p)) == 0);
	/* Exactly enough room works; one byte less is NOSPACE. */
	ck_assert_int_eq(hs_b64_encode((const uint8_t *)p, strlen(p), enc,
				       strlen(e) + 1),
			 (int)strlen(e));
	ck_assert_int_eq(hs_b64_encode((const uint8_t *)p, strlen(p), enc,
				       strlen(e)),
			 WSP_E_NOSPACE);
	if (strlen(p) > 0)
		ck_assert_int_eq(hs_b64_decode(e, strlen(e), dec,
					       strlen(p) - 1),
				 WSP_E_NOSPACE);
}
END_TEST

static const char *const b64_bad[] = {
	"AQIDBAUGBwgJCgsMDQ4PEC==", /* RFC 6455's erroneous example */
	"Zh==",                     /* padding bits set */
	"Zm9=",                     /* padding bits set */
	"dGhlIHNhbXBsZSBub25jZQ",   /* padding missing */
	"Zg=",
	"Zg",
	"Z===",
	"====",
	"=Zg=",
	"Zg==Zg==", /* padding in the middle */
	"Zm 9v",
	"Zm9v\r\n",
	"Zm-v", /* base64url alphabet */
	"Zm_v",
	"Zm9v====",
};

START_TEST(rfc4648_base64_strict_decoding_rejects)
{
	uint8_t dec[64];
	const char *s = b64_bad[_i];
	ck_assert_msg(hs_b64_decode(s, strlen(s), dec, sizeof(dec)) ==
			      WSP_E_HS_BASE64,
		      "\"%s\" accepted", s);
	/* Validation comes before the room check. */
	ck_assert_int_eq(hs_b64_decode(s, strlen(s), NULL, 0),
			 WSP_E_HS_BASE64);
}
END_TEST

START_TEST(rfc4648_base64_canonical_16_bytes)
{
	uint8_t dec[16];
	ck_assert_int_eq(hs_b64_decode(V("AQIDBAUGBwgJCgsMDQ4PEA=="), dec, 16),
			 16);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(dec[i], i + 1);
}
END_TEST

/* ---- request violations (a server judging a client) ----------------- */

struct viol_vec {
	const char *name;
	const char *text;
	size_t len;
	int want[16];
};

#define VV(name, s, ...) {name, V(s), {__VA_ARGS__}}

static const struct viol_vec req_vec[] = {
	VV("valid", GOOD_REQ, 0),
	VV("rfc sample", RL H_HOST H_UP H_CONN H_KEY H_ORIG H_PROTO H_VER END,
	   0),
	VV("keep-alive, Upgrade",
	   RL H_HOST H_UP "Connection: keep-alive, Upgrade\r\n" H_KEY H_VER END,
	   0),
	VV("odd case names and tokens",
	   RL "hOST: a\r\nUPGRADE: WebSocket\r\nconnection: UPGRADE\r\n"
	      "SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	      "sec-websocket-version: 13\r\n" END,
	   0),
	VV("OWS around commas",
	   RL H_HOST "Upgrade: foo/2 ,\twebsocket \r\n"
		     "Connection: keep-alive ,Upgrade,  close\r\n" H_KEY H_VER
		     "Sec-WebSocket-Protocol:  chat ,superchat,, \r\n" END,
	   0),
	VV("absolute http target",
	   "GET http://server.example.com/chat HTTP/1.1\r\n" H_HOST H_UP H_CONN
		   H_KEY H_VER END,
	   0),
	VV("HTTP/2.0 is 1.1 or higher",
	   "GET /chat HTTP/2.0\r\n" H_HOST H_UP H_CONN H_KEY H_VER END, 0),
	VV("canonical 16-byte key",
	   RL H_HOST H_UP H_CONN "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"
		   H_VER END,
	   0),
	VV("extension offers over two headers",
	   RL H_HOST H_UP H_CONN H_KEY H_VER H_EXT
	      "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n" END,
	   0),
	VV("bare LF", "GET /chat HTTP/1.1\nHost: a\nUpgrade: websocket\n"
		      "Connection: Upgrade\n"
		      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
		      "Sec-WebSocket-Version: 13\n\n",
	   WSP_E_HS_REQ_BARE_LF, 0),
	VV("POST", "POST /chat HTTP/1.1\r\n" H_HOST H_UP H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_NOT_GET, 0),
	VV("get (methods are case-sensitive)",
	   "get /chat HTTP/1.1\r\n" H_HOST H_UP H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_NOT_GET, 0),
	VV("HTTP/1.0", "GET /chat HTTP/1.0\r\n" H_HOST H_UP H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_OLD_HTTP, 0),
	VV("HTTP/0.9", "GET /chat HTTP/0.9\r\n" H_HOST H_UP H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_OLD_HTTP, 0),
	VV("relative target", "GET chat HTTP/1.1\r\n" H_HOST H_UP H_CONN H_KEY
				      H_VER END,
	   WSP_E_HS_REQ_BAD_TARGET, 0),
	VV("ws:// target", "GET ws://a/chat HTTP/1.1\r\n" H_HOST H_UP H_CONN H_KEY
				   H_VER END,
	   WSP_E_HS_REQ_BAD_TARGET, 0),
	VV("fragment", "GET /chat#x HTTP/1.1\r\n" H_HOST H_UP H_CONN H_KEY H_VER
			       END,
	   WSP_E_HS_REQ_BAD_TARGET, 0),
	VV("no Host", RL H_UP H_CONN H_KEY H_VER END, WSP_E_HS_REQ_NO_HOST, 0),
	VV("two Hosts", RL H_HOST H_HOST H_UP H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_REPEATED_HOST, 0),
	VV("no Upgrade", RL H_HOST H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_NO_UPGRADE, 0),
	VV("Upgrade: h2c", RL H_HOST "Upgrade: h2c\r\n" H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_UPGRADE_NOT_WS, 0),
	VV("Upgrade: websockets",
	   RL H_HOST "Upgrade: websockets\r\n" H_CONN H_KEY H_VER END,
	   WSP_E_HS_REQ_UPGRADE_NOT_WS, 0),
	VV("no Connection", RL H_HOST H_UP H_KEY H_VER END,
	   WSP_E_HS_REQ_NO_CONNECTION, 0),
	VV("Connection: keep-alive",
	   RL H_HOST H_UP "Connection: keep-alive\r\n" H_KEY H_VER END,
	   WSP_E_HS_REQ_CONNECTION_NO_UPGRADE, 0),
	VV("Connection: Upgraded",
	   RL H_HOST H_UP "Connection: Upgraded\r\n" H_KEY H_VER END,
	   WSP_E_HS_REQ_CONNECTION_NO_UPGRADE, 0),
	VV("no key", RL H_HOST H_UP H_CONN H_VER END, WSP_E_HS_REQ_NO_KEY, 0),
	VV("key without padding",
	   RL H_HOST H_UP H_CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n"
		   H_VER END,
	   WSP_E_HS_REQ_KEY_NOT_BASE64, 0),
	VV("key with padding bits (RFC 6455 erratum)",
	   RL H_HOST H_UP H_CONN "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEC==\r\n"
		   H_VER END,
	   WSP_E_HS_REQ_KEY_NOT_BASE64, 0),
	VV("key of 15 bytes",
	   RL H_HOST H_UP H_CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0O\r\n"
		   H_VER END,
	   WSP_E_HS_REQ_KEY_NOT_16, 0),
	VV("key of 17 bytes",
	   RL H_HOST H_UP H_CONN
	      "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxA=\r\n" H_VER END,
	   WSP_E_HS_REQ_KEY_NOT_16, 0),
	VV("empty key", RL H_HOST H_UP H_CONN "Sec-WebSocket-Key:\r\n" H_VER END,
	   WSP_E_HS_REQ_KEY_NOT_16, 0),
	VV("two keys", RL H_HOST H_UP H_CONN H_KEY H_KEY H_VER END,
	   WSP_E_HS_REQ_REPEATED_KEY, 0),
	VV("no version", RL H_HOST H_UP H_CONN H_KEY END,
	   WSP_E_HS_REQ_NO_VERSION, 0),
	VV("version 8",
	   RL H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 8\r\n" END,
	   WSP_E_HS_REQ_VERSION_NOT_13, 0),
	VV("version 13, 8",
	   RL H_HOST H_UP H_CONN H_KEY "Sec-WebSocket-Version: 13, 8\r\n" END,
	   WSP_E_HS_REQ_VERSION_NOT_13, 0),
	VV("two versions", RL H_HOST H_UP H_CONN H_KEY H_VER H_VER END,
	   WSP_E_HS_REQ_REPEATED_VERSION, 0),
	VV("subprotocol not a token",
	   RL H_HOST H_UP H_CONN H_KEY H_VER
	      "Sec-WebSocket-Protocol: chat, chat/1\r\n" END,
	   WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN, 0),
	VV("subprotocol with a space",
	   RL H_HOST H_UP H_CONN H_KEY H_VER
	      "Sec-WebSocket-Protocol: ch at\r\n" END,
	   WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN, 0),
	VV("empty subprotocol header",
	   RL H_HOST H_UP H_CONN H_KEY H_VER "Sec-WebSocket-Protocol: \r\n" END,
	   WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN, 0),
	VV("duplicate subprotocol",
	   RL H_HOST H_UP H_CONN H_KEY H_VER
	      "Sec-WebSocket-Protocol: chat, superchat, chat\r\n" END,
	   WSP_E_HS_REQ_PROTOCOL_DUPLICATE, 0),
	VV("duplicate subprotocol across headers",
	   RL H_HOST H_UP H_CONN H_KEY H_VER "Sec-WebSocket-Protocol: chat\r\n"
	      "Sec-WebSocket-Protocol: chat\r\n" END,
	   WSP_E_HS_REQ_PROTOCOL_DUPLICATE, 0),
	VV("extensions do not parse",
	   RL H_HOST H_UP H_CONN H_KEY H_VER
	      "Sec-WebSocket-Extensions: @@@\r\n" END,
	   WSP_E_HS_REQ_EXT_SYNTAX, 0),
	VV("second extension header does not parse",
	   RL H_HOST H_UP H_CONN H_KEY H_VER H_EXT
	      "Sec-WebSocket-Extensions: foo; =bar\r\n" END,
	   WSP_E_HS_REQ_EXT_SYNTAX, 0),
	VV("several at once",
	   "POST chat HTTP/1.0\r\nUpgrade: h2c\r\n"
	   "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEC==\r\n"
	   "Sec-WebSocket-Key: AAAA\r\n"
	   "Sec-WebSocket-Version: 8\r\n"
	   "Sec-WebSocket-Protocol: a b, c, c\r\n"
	   "Sec-WebSocket-Extensions: ;\r\n" END,
	   WSP_E_HS_REQ_NOT_GET, WSP_E_HS_REQ_OLD_HTTP, WSP_E_HS_REQ_BAD_TARGET,
	   WSP_E_HS_REQ_NO_HOST, WSP_E_HS_REQ_UPGRADE_NOT_WS,
	   WSP_E_HS_REQ_NO_CONNECTION, WSP_E_HS_REQ_KEY_NOT_BASE64,
	   WSP_E_HS_REQ_KEY_NOT_16, WSP_E_HS_REQ_REPEATED_KEY,
	   WSP_E_HS_REQ_VERSION_NOT_13, WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN,
	   WSP_E_HS_REQ_PROTOCOL_DUPLICATE, WSP_E_HS_REQ_EXT_SYNTAX, 0),
	VV("bare request line only", "GET / HTTP/1.1\r\n\r\n",
	   WSP_E_HS_REQ_NO_HOST, WSP_E_HS_REQ_NO_UPGRADE,
	   WSP_E_HS_REQ_NO_CONNECTION, WSP_E_HS_REQ_NO_KEY,
	   WSP_E_HS_REQ_NO_VERSION, 0),
};

START_TEST(rfc6455_4_2_1_request_violations_listed)
{
	const struct viol_vec *v = &req_vec[_i];
	struct parsed q;
	int viol[HS_MAX_VIOL];
	parse_ok(&q, 1, v->text, v->len);
	int n = hs_check_request(&q.m, viol, HS_MAX_VIOL);
	assert_viol(viol, n, v->want, v->name);
	/* Every code names the requirement it stands for. */
	for (int i = 0; i < n; i++)
		ck_assert_ptr_nonnull(wsp_errreq(viol[i]));
	/* A short array still gets the full count and the first codes. */
	if (n > 1) {
		int few[1];
		ck_assert_int_eq(hs_check_request(&q.m, few, 1), n);
		ck_assert_int_eq(few[0], v->want[0]);
	}
}
END_TEST

START_TEST(rfc6455_4_2_2_reject_status)
{
	const int ver[] = {WSP_E_HS_REQ_NO_HOST, WSP_E_HS_REQ_VERSION_NOT_13};
	const int nover[] = {WSP_E_HS_REQ_NO_VERSION};
	const int other[] = {WSP_E_HS_REQ_NO_HOST, WSP_E_HS_REQ_NO_KEY};
	ck_assert_int_eq(hs_reject_status(ver, 2), 426);
	ck_assert_int_eq(hs_reject_status(nover, 1), 426);
	ck_assert_int_eq(hs_reject_status(other, 2), 400);
	ck_assert_int_eq(hs_reject_status(NULL, 0), 101);
}
END_TEST

/* ---- response violations (a client judging a server) ---------------- */

static const struct viol_vec resp_vec[] = {
	VV("valid", GOOD_RESP, 0),
	VV("rfc sample with chat", SL R_UP R_CONN R_ACC
					   "Sec-WebSocket-Protocol: chat\r\n" END,
	   0),
	VV("odd case, keep-alive, accept with OWS",
	   "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\n"
	   "CONNECTION: keep-alive, upgrade\r\n"
	   "sec-websocket-accept: \t s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \t\r\n" END,
	   0),
	VV("offered extension with a parameter",
	   GOOD_RESP_H "Sec-WebSocket-Extensions: permessage-deflate; "
		       "server_no_context_takeover\r\n" END,
	   0),
	VV("200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	   WSP_E_HS_RESP_NOT_101, 0),
	VV("426 without anything else", "HTTP/1.1 426 Upgrade Required\r\n\r\n",
	   WSP_E_HS_RESP_NOT_101, 0),
	VV("HTTP/1.0 101", "HTTP/1.0 101 Switching Protocols\r\n" R_UP R_CONN
				   R_ACC END,
	   WSP_E_HS_RESP_OLD_HTTP, 0),
	VV("no reason SP", "HTTP/1.1 101\r\n" R_UP R_CONN R_ACC END,
	   WSP_E_HS_RESP_NO_REASON_SP, 0),
	VV("bare LF", "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n"
		      "Connection: Upgrade\n"
		      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n",
	   WSP_E_HS_RESP_BARE_LF, 0),
	VV("no Upgrade", SL R_CONN R_ACC END, WSP_E_HS_RESP_NO_UPGRADE, 0),
	VV("Upgrade list", SL "Upgrade: websocket, h2c\r\n" R_CONN R_ACC END,
	   WSP_E_HS_RESP_UPGRADE_NOT_WS, 0),
	VV("two Upgrade headers", SL R_UP R_UP R_CONN R_ACC END,
	   WSP_E_HS_RESP_UPGRADE_NOT_WS, 0),
	VV("no Connection", SL R_UP R_ACC END, WSP_E_HS_RESP_NO_CONNECTION, 0),
	VV("Connection: close", SL R_UP "Connection: close\r\n" R_ACC END,
	   WSP_E_HS_RESP_CONNECTION_NO_UPGRADE, 0),
	VV("no accept", SL R_UP R_CONN END, WSP_E_HS_RESP_NO_ACCEPT, 0),
	VV("wrong accept",
	   SL R_UP R_CONN
	      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n" END,
	   WSP_E_HS_RESP_BAD_ACCEPT, 0),
	VV("accept in other case (base64 is case-sensitive)",
	   SL R_UP R_CONN
	      "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n" END,
	   WSP_E_HS_RESP_BAD_ACCEPT, 0),
	VV("accept of the key itself",
	   SL R_UP R_CONN "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		   END,
	   WSP_E_HS_RESP_BAD_ACCEPT, 0),
	VV("two accepts", SL R_UP R_CONN R_ACC R_ACC END,
	   WSP_E_HS_RESP_REPEATED_ACCEPT, 0),
	VV("subprotocol not offered",
	   GOOD_RESP_H "Sec-WebSocket-Protocol: mqtt\r\n" END,
	   WSP_E_HS_RESP_PROTOCOL_NOT_OFFERED, 0),
	VV("subprotocol in other case",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Protocol: Chat\r\n" END,
	   WSP_E_HS_RESP_PROTOCOL_NOT_OFFERED, 0),
	VV("two subprotocols selected",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Protocol: chat, superchat\r\n" END,
	   WSP_E_HS_RESP_PROTOCOL_NOT_ONE, 0),
	VV("empty subprotocol",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Protocol:\r\n" END,
	   WSP_E_HS_RESP_PROTOCOL_EMPTY, 0),
	VV("subprotocol header twice",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Protocol: chat\r\n"
				"Sec-WebSocket-Protocol: chat\r\n" END,
	   WSP_E_HS_RESP_REPEATED_PROTOCOL, 0),
	VV("extension not offered",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Extensions: x-webkit-deflate-frame"
				"\r\n" END,
	   WSP_E_HS_RESP_EXT_NOT_OFFERED, 0),
	VV("extensions do not parse",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Extensions: @@\r\n" END,
	   WSP_E_HS_RESP_EXT_SYNTAX, 0),
	VV("extension header twice",
	   SL R_UP R_CONN R_ACC "Sec-WebSocket-Extensions: permessage-deflate\r\n"
				"Sec-WebSocket-Extensions: permessage-deflate\r\n"
				END,
	   WSP_E_HS_RESP_REPEATED_EXT, 0),
	VV("several at once",
	   "HTTP/1.0 101\r\nConnection: keep-alive\r\n"
	   "Sec-WebSocket-Accept: x\r\nSec-WebSocket-Accept: y\r\n"
	   "Sec-WebSocket-Protocol: mqtt\r\n"
	   "Sec-WebSocket-Extensions: foo\r\n" END,
	   WSP_E_HS_RESP_NO_REASON_SP, WSP_E_HS_RESP_OLD_HTTP,
	   WSP_E_HS_RESP_NO_UPGRADE, WSP_E_HS_RESP_CONNECTION_NO_UPGRADE,
	   WSP_E_HS_RESP_BAD_ACCEPT, WSP_E_HS_RESP_REPEATED_ACCEPT,
	   WSP_E_HS_RESP_PROTOCOL_NOT_OFFERED, WSP_E_HS_RESP_EXT_NOT_OFFERED, 0),
};

START_TEST(rfc6455_4_1_response_violations_listed)
{
	const struct viol_vec *v = &resp_vec[_i];
	struct parsed q, r;
	int viol[HS_MAX_VIOL];
	parse_ok(&q, 1, V(offer_request));
	parse_ok(&r, 0, v->text, v->len);
	int n = hs_check_response(&r.m, &q.m, viol, HS_MAX_VIOL);
	assert_viol(viol, n, v->want, v->name);
	for (int i = 0; i < n; i++)
		ck_assert_ptr_nonnull(wsp_errreq(viol[i]));
}
END_TEST

/* Without the request nothing was offered and the accept is not
 * compared. */
START_TEST(rfc6455_4_1_response_without_request)
{
	static const char in[] = SL R_UP R_CONN
		"Sec-WebSocket-Accept: anything\r\n"
		"Sec-WebSocket-Protocol: chat\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate\r\n" END;
	struct parsed r;
	int viol[HS_MAX_VIOL];
	const int want[] = {WSP_E_HS_RESP_PROTOCOL_NOT_OFFERED,
			    WSP_E_HS_RESP_EXT_NOT_OFFERED, 0};
	parse_ok(&r, 0, V(in));
	int n = hs_check_response(&r.m, NULL, viol, HS_MAX_VIOL);
	assert_viol(viol, n, want, "no request");
}
END_TEST

START_TEST(rfc6455_4_4_version_refusal)
{
	struct parsed r;
	int viol[HS_MAX_VIOL];
	const int none[] = {0};
	const int nover[] = {WSP_E_HS_RESP_REJECT_NO_VERSION, 0};
	const int acc[] = {WSP_E_HS_RESP_ACCEPTED_BAD_VERSION, 0};
	parse_ok(&r, 0,
		 V("HTTP/1.1 426 Upgrade Required\r\n"
		   "Sec-WebSocket-Version: 13, 8, 7\r\n\r\n"));
	assert_viol(viol, hs_check_version_reject(&r.m, viol, HS_MAX_VIOL),
		    none, "426 + version");
	parse_ok(&r, 0, V("HTTP/1.1 400 Bad Request\r\n\r\n"));
	assert_viol(viol, hs_check_version_reject(&r.m, viol, HS_MAX_VIOL),
		    nover, "400 without version");
	parse_ok(&r, 0, V(GOOD_RESP));
	assert_viol(viol, hs_check_version_reject(&r.m, viol, HS_MAX_VIOL),
		    acc, "101");
}
END_TEST

/* ---- HTTP syntax ---------------------------------------------------- */

struct syn_vec {
	const char *name;
	int is_req;
	const char *text;
	size_t len;
	int want; /* > 0: the head length is the whole text */
};

#define SV(name, req, s, want) {name, req, V(s), want}
#define OK_ 1

static const struct syn_vec syn_vec[] = {
	SV("good request", 1, GOOD_REQ, OK_),
	SV("good response", 0, GOOD_RESP, OK_),
	SV("minimal request", 1, "GET / HTTP/1.1\r\n\r\n", OK_),
	SV("minimal response", 0, "HTTP/1.1 101 \r\n\r\n", OK_),
	SV("bare LF request", 1, "GET / HTTP/1.1\nHost: a\n\n", OK_),
	SV("mixed line ends", 1, "GET / HTTP/1.1\r\nHost: a\n\r\n", OK_),
	SV("empty header value", 1, "GET / HTTP/1.1\r\nX:\r\n\r\n", OK_),
	SV("obs-text in value", 1, "GET / HTTP/1.1\r\nX: \xe9t\xe9\r\n\r\n", OK_),
	SV("obs-text in reason", 0, "HTTP/1.1 101 \xc3\xa9\r\n\r\n", OK_),
	SV("HT in value", 1, "GET / HTTP/1.1\r\nX: a\tb\r\n\r\n", OK_),
	SV("NUL in value", 1, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n",
	   WSP_E_HS_REQ_CTL),
	SV("NUL in name", 1, "GET / HTTP/1.1\r\nX\0: ab\r\n\r\n",
	   WSP_E_HS_REQ_CTL),
	SV("NUL in method", 1, "G\0T / HTTP/1.1\r\n\r\n", WSP_E_HS_REQ_CTL),
	SV("ESC in target", 1, "GET /\x1b HTTP/1.1\r\n\r\n", WSP_E_HS_REQ_CTL),
	SV("DEL in value", 1, "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n",
	   WSP_E_HS_REQ_CTL),
	SV("VT in value", 1, "GET / HTTP/1.1\r\nX: a\vb\r\n\r\n",
	   WSP_E_HS_REQ_CTL),
	SV("CTL in reason", 0, "HTTP/1.1 101 Sw\x01tching\r\n\r\n",
	   WSP_E_HS_RESP_CTL),
	SV("TLS alert instead of HTTP", 0, "\x15\x03\x01\x00\x02\x02\x50",
	   WSP_E_HS_RESP_CTL),
	SV("bare CR in value", 1, "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
	   WSP_E_HS_REQ_BARE_CR),
	SV("CR CR LF", 1, "GET / HTTP/1.1\r\r\nX: a\r\n\r\n",
	   WSP_E_HS_REQ_BARE_CR),
	SV("bare CR in response", 0, "HTTP/1.1 101 OK\r\nX: \r\r\n\r\n",
	   WSP_E_HS_RESP_BARE_CR),
	SV("obs-fold", 1, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
	   WSP_E_HS_REQ_OBS_FOLD),
	SV("obs-fold with HT", 0, "HTTP/1.1 101 OK\r\nX: a\r\n\tb\r\n\r\n",
	   WSP_E_HS_RESP_OBS_FOLD),
	SV("space before the first header", 1, "GET / HTTP/1.1\r\n X: a\r\n\r\n",
	   WSP_E_HS_REQ_OBS_FOLD),
	SV("no colon", 1, "GET / HTTP/1.1\r\nHost a\r\n\r\n",
	   WSP_E_HS_REQ_HDR_SYNTAX),
	SV("space before colon", 1, "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	   WSP_E_HS_REQ_HDR_SYNTAX),
	SV("empty name", 1, "GET / HTTP/1.1\r\n: a\r\n\r\n",
	   WSP_E_HS_REQ_HDR_SYNTAX),
	SV("separator in name", 1, "GET / HTTP/1.1\r\nX(y): a\r\n\r\n",
	   WSP_E_HS_REQ_HDR_SYNTAX),
	SV("obs-text in name", 0, "HTTP/1.1 101 OK\r\nX\xe9: a\r\n\r\n",
	   WSP_E_HS_RESP_HDR_SYNTAX),
	SV("leading empty line", 1, "\r\nGET / HTTP/1.1\r\n\r\n",
	   WSP_E_HS_REQ_START_LINE),
	SV("leading LF", 0, "\nHTTP/1.1 101 OK\r\n\r\n", WSP_E_HS_RESP_START_LINE),
	SV("two spaces", 1, "GET  / HTTP/1.1\r\n\r\n", WSP_E_HS_REQ_START_LINE),
	SV("HT as separator", 1, "GET\t/ HTTP/1.1\r\n\r\n",
	   WSP_E_HS_REQ_START_LINE),
	SV("no version", 1, "GET /\r\n\r\n", WSP_E_HS_REQ_START_LINE),
	SV("trailing space", 1, "GET / HTTP/1.1 \r\n\r\n",
	   WSP_E_HS_REQ_START_LINE),
	SV("method not a token", 1, "G(T / HTTP/1.1\r\n\r\n",
	   WSP_E_HS_REQ_START_LINE),
	SV("empty method", 1, " / HTTP/1.1\r\n\r\n", WSP_E_HS_REQ_START_LINE),
	SV("8-bit target", 1, "GET /\xe9 HTTP/1.1\r\n\r\n",
	   WSP_E_HS_REQ_START_LINE),
	SV("version HTTP/11", 1, "GET / HTTP/11\r\n\r\n",
	   WSP_E_HS_REQ_HTTP_VERSION),
	SV("version http/1.1", 1, "GET / http/1.1\r\n\r\n",
	   WSP_E_HS_REQ_HTTP_VERSION),
	SV("version HTTP/1.10", 1, "GET / HTTP/1.10\r\n\r\n",
	   WSP_E_HS_REQ_HTTP_VERSION),
	SV("response version ICY", 0, "ICY 200 OK\r\n\r\n",
	   WSP_E_HS_RESP_HTTP_VERSION),
	SV("response without SP", 0, "HTTP/1.1\r\n\r\n",
	   WSP_E_HS_RESP_START_LINE),
	SV("status 1O1", 0, "HTTP/1.1 1O1 OK\r\n\r\n", WSP_E_HS_RESP_STATUS),
	SV("status 1011", 0, "HTTP/1.1 1011 OK\r\n\r\n", WSP_E_HS_RESP_STATUS),
	SV("status 10", 0, "HTTP/1.1 10 OK\r\n\r\n", WSP_E_HS_RESP_STATUS),
	SV("two spaces before status", 0, "HTTP/1.1  101 OK\r\n\r\n",
	   WSP_E_HS_RESP_STATUS),
	SV("request line as response", 0, "GET / HTTP/1.1\r\n\r\n",
	   WSP_E_HS_RESP_HTTP_VERSION),
	SV("status line as request", 1, "HTTP/1.1 101 OK\r\n\r\n",
	   WSP_E_HS_REQ_START_LINE),
};

START_TEST(rfc7230_syntax_vectors)
{
	const struct syn_vec *v = &syn_vec[_i];
	struct parsed p;
	int want = v->want == OK_ ? (int)v->len : v->want;
	struct tl_guard g;
	tl_guard_init(&g, v->text, v->len);
	int rc = parse(&p, v->is_req, (const char *)g.data, g.n);
	tl_guard_free(&g);
	ck_assert_msg(rc == want, "%s: got %s (%d), want %s (%d)", v->name,
		      wsp_errname(rc), rc, wsp_errname(want), want);
	if (want < 0)
		ck_assert_ptr_nonnull(wsp_errreq(want));
}
END_TEST

START_TEST(rfc7230_bare_lf_flagged)
{
	struct parsed p;
	parse_ok(&p, 1, V("GET / HTTP/1.1\r\nHost: a\n\r\n"));
	ck_assert_uint_eq(p.m.flags, HS_F_BARE_LF);
	parse_ok(&p, 1, V("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	ck_assert_uint_eq(p.m.flags, 0);
	parse_ok(&p, 0, V("HTTP/1.1 101\r\n\r\n"));
	ck_assert_uint_eq(p.m.flags, HS_F_NO_REASON_SP);
	ck_assert_int_eq(p.m.status, 101);
	ck_assert_int_eq((int)p.m.reason_len, 0);
}
END_TEST

START_TEST(rfc7230_header_values_trimmed)
{
	struct parsed p;
	parse_ok(&p, 1, V("GET / HTTP/1.1\r\nA: \t x y \t\r\nB:z\r\nC:   \r\n\r\n"));
	ck_assert_int_eq((int)p.m.nheaders, 3);
	ck_assert_int_eq((int)p.m.headers[0].value_len, 3);
	ck_assert(memcmp(p.m.headers[0].value, "x y", 3) == 0);
	ck_assert_int_eq((int)p.m.headers[1].value_len, 1);
	ck_assert_int_eq(p.m.headers[1].value[0], 'z');
	ck_assert_int_eq((int)p.m.headers[2].value_len, 0);
}
END_TEST

START_TEST(hs_too_many_headers)
{
	static const char in[] = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	struct hs_header h[3];
	struct hs_msg m;
	hs_msg_init(&m, h, 3);
	ck_assert_int_eq(hs_parse_request(&m, V(in), 0), (int)sizeof(in) - 1);
	ck_assert_int_eq((int)m.nheaders, 3);
	hs_msg_init(&m, h, 2);
	ck_assert_int_eq(hs_parse_request(&m, V(in), 0),
			 WSP_E_HS_TOO_MANY_HEADERS);
	hs_msg_init(&m, NULL, 0);
	ck_assert_int_eq(hs_parse_request(&m, V("GET / HTTP/1.1\r\n\r\n"), 0),
			 18);
	ck_assert_int_eq(hs_parse_request(&m, V(in), 0),
			 WSP_E_HS_TOO_MANY_HEADERS);
}
END_TEST

START_TEST(hs_parse_bad_arguments)
{
	struct parsed p;
	hs_msg_init(&p.m, p.h, NHDR);
	ck_assert_int_eq(hs_parse_request(&p.m, V(GOOD_REQ), 1000),
			 WSP_E_INVAL);
	ck_assert_int_eq(hs_parse_request(NULL, V(GOOD_REQ), 0), WSP_E_INVAL);
	ck_assert_int_eq(hs_parse_response(&p.m, NULL, 5, 0), WSP_E_INVAL);
	ck_assert_int_eq(hs_parse_response(&p.m, NULL, 0, 0), WSP_E_INCOMPLETE);
}
END_TEST

/* ---- incomplete 1..N, chunking, guard page -------------------------- */

static const char *const prefix_vec[] = {GOOD_REQ, rfc_request, GOOD_RESP,
					 rfc_response};

/* Every proper prefix is incomplete, fresh and as a continuation; the whole
 * is complete; each prefix sits right before a guard page. */
START_TEST(rfc7230_every_prefix_incomplete)
{
	const char *in = prefix_vec[_i];
	int is_req = in[0] == 'G';
	size_t n = strlen(in);
	for (size_t k = 0; k < n; k++) {
		struct tl_guard g;
		struct parsed p;
		tl_guard_init(&g, in, k);
		int rc = parse(&p, is_req, (const char *)g.data, k);
		ck_assert_msg(rc == WSP_E_INCOMPLETE,
			      "prefix %zu of %zu: %s", k, n, wsp_errname(rc));
		if (k > 0) {
			rc = is_req ? hs_parse_request(&p.m,
						       (const char *)g.data,
						       k, k - 1)
				    : hs_parse_response(&p.m,
							(const char *)g.data,
							k, k - 1);
			ck_assert_int_eq(rc, WSP_E_INCOMPLETE);
		}
		tl_guard_free(&g);
	}
	struct tl_guard g;
	struct parsed p;
	tl_guard_init(&g, in, n);
	ck_assert_int_eq(parse(&p, is_req, (const char *)g.data, n), (int)n);
	tl_guard_free(&g);
}
END_TEST

/* For every syntax vector and every violation vector: all at once, one
 * byte per call and 20 random schedules give the same description. */
static void chunk_case(const char *text, size_t len, int is_req)
{
	char base[4096], got[4096];
	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_ALL, 0);
	feed(text, len, is_req, 0, &c, base, sizeof(base));
	tl_chunker_init(&c, TL_CHUNK_ONE, 0);
	feed(text, len, is_req, 0, &c, got, sizeof(got));
	ck_assert_str_eq(got, base);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tl_chunker_init(&c, TL_CHUNK_RANDOM, seed);
		feed(text, len, is_req, 0, &c, got, sizeof(got));
		ck_assert_msg(strcmp(got, base) == 0, "seed %llu: %s vs %s",
			      (unsigned long long)seed, got, base);
	}
}

START_TEST(rfc7230_chunking_syntax_vectors)
{
	chunk_case(syn_vec[_i].text, syn_vec[_i].len, syn_vec[_i].is_req);
}
END_TEST

START_TEST(rfc7230_chunking_violation_vectors)
{
	if ((size_t)_i < sizeof(req_vec) / sizeof(req_vec[0]))
		chunk_case(req_vec[_i].text, req_vec[_i].len, 1);
	if ((size_t)_i < sizeof(resp_vec) / sizeof(resp_vec[0]))
		chunk_case(resp_vec[_i].text, resp_vec[_i].len, 0);
}
END_TEST

/* ---- the head-size cap and linear time ------------------------------ */

/* A request of exactly total bytes, padded with an X-Pad header. */
static char *padded_request(size_t total)
{
	static const char head[] = "GET / HTTP/1.1\r\nX-Pad: ";
	static const char tail[] = "\r\n\r\n";
	size_t fixed = sizeof(head) - 1 + sizeof(tail) - 1;
	ck_assert(total > fixed);
	char *s = malloc(total + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'a', total - fixed);
	memcpy(s + total - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	s[total] = '\0';
	return s;
}

START_TEST(hs_head_cap_exact_and_one_over)
{
	const size_t caps[] = {HS_DEFAULT_MAX_HEAD, 100, 4096};
	for (size_t i = 0; i < 3; i++) {
		size_t cap = caps[i];
		char *s = padded_request(cap);
		char *t = padded_request(cap + 1);
		char desc[4096];
		struct tl_chunker c;
		for (int mode = 0; mode < 3; mode++) {
			tl_chunker_init(&c, (enum tl_chunk_mode)mode, 7);
			ck_assert_int_eq(feed(s, cap, 1,
					      i == 0 ? 0 : cap, &c, desc,
					      sizeof(desc)),
					 (int)cap);
			tl_chunker_init(&c, (enum tl_chunk_mode)mode, 7);
			ck_assert_int_eq(feed(t, cap + 1, 1,
					      i == 0 ? 0 : cap, &c, desc,
					      sizeof(desc)),
					 WSP_E_HS_HEAD_TOO_BIG);
		}
		/* Reaching the cap without a blank line is already too big;
		 * one byte less is still incomplete. */
		struct parsed p;
		hs_msg_init(&p.m, p.h, NHDR);
		p.m.max_head = cap;
		ck_assert_int_eq(hs_parse_request(&p.m, t, cap, 0),
				 WSP_E_HS_HEAD_TOO_BIG);
		ck_assert_int_eq(hs_parse_request(&p.m, t, cap - 1, 0),
				 WSP_E_INCOMPLETE);
		free(s);
		free(t);
	}
}
END_TEST

START_TEST(hs_one_mib_header_rejected_fast)
{
	size_t n = 1u << 20;
	char *s = padded_request(n);
	double t0 = cpu_seconds();
	struct parsed p;
	/* All at once with the default cap. */
	ck_assert_int_eq(parse(&p, 1, s, n), WSP_E_HS_HEAD_TOO_BIG);
	/* Arriving 1 KiB at a time: rejected at the cap. */
	hs_msg_init(&p.m, p.h, NHDR);
	size_t len = 0, last = 0;
	int rc = WSP_E_INCOMPLETE;
	while (rc == WSP_E_INCOMPLETE && len < n) {
		len += 1024;
		rc = hs_parse_request(&p.m, s, len, last);
		last = len;
	}
	ck_assert_int_eq(rc, WSP_E_HS_HEAD_TOO_BIG);
	ck_assert_int_le((long)len, (long)HS_DEFAULT_MAX_HEAD + 1024);
	/* With a cap above it, one byte per call is still linear: a
	 * quadratic rescan would take about 5e11 steps here. */
	hs_msg_init(&p.m, p.h, NHDR);
	p.m.max_head = 2u << 20;
	rc = WSP_E_INCOMPLETE;
	for (len = 1; len <= n && rc == WSP_E_INCOMPLETE; len++)
		rc = hs_parse_request(&p.m, s, len, len - 1);
	ck_assert_int_eq(rc, (int)n);
	double dt = cpu_seconds() - t0;
	ck_assert_msg(dt < 2.0, "1 MiB took %.3f s", dt);
	free(s);
}
END_TEST

START_TEST(hs_30k_spaces_in_protocol_linear)
{
	static const char head[] = GOOD_REQ;
	size_t sp = 30000;
	size_t cap = sizeof(head) + 2 * sp + 200;
	char *s = malloc(cap);
	ck_assert_ptr_nonnull(s);
	/* GOOD_REQ without its blank line, then the long header. */
	size_t o = sizeof(head) - 1 - 2;
	memcpy(s, head, o);
	o += (size_t)snprintf(s + o, cap - o, "Sec-WebSocket-Protocol: chat");
	memset(s + o, ' ', sp);
	o += sp;
	o += (size_t)snprintf(s + o, cap - o, ",");
	memset(s + o, ' ', sp);
	o += sp;
	o += (size_t)snprintf(s + o, cap - o, "superchat\r\n\r\n");
	double t0 = cpu_seconds();
	struct parsed p, r;
	int viol[HS_MAX_VIOL];
	hs_msg_init(&p.m, p.h, NHDR);
	p.m.max_head = cap;
	for (size_t len = 1; len < o; len++)
		ck_assert_int_eq(hs_parse_request(&p.m, s, len, len - 1),
				 WSP_E_INCOMPLETE);
	ck_assert_int_eq(hs_parse_request(&p.m, s, o, o - 1), (int)o);
	ck_assert_int_eq(hs_check_request(&p.m, viol, HS_MAX_VIOL), 0);
	const char *sel;
	size_t sel_len;
	const char *const sup[] = {"superchat"};
	ck_assert_int_eq(hs_select_protocol(&p.m, sup, 1, &sel, &sel_len), 1);
	ck_assert_int_eq((int)sel_len, 9);
	/* The same spaces in a response's protocol header. */
	static const char rhead[] = SL R_UP R_CONN R_ACC;
	char *t = malloc(cap);
	ck_assert_ptr_nonnull(t);
	size_t ro = sizeof(rhead) - 1;
	memcpy(t, rhead, ro);
	ro += (size_t)snprintf(t + ro, cap - ro, "Sec-WebSocket-Protocol:");
	memset(t + ro, ' ', 2 * sp);
	ro += 2 * sp;
	ro += (size_t)snprintf(t + ro, cap - ro, "chat\r\n\r\n");
	hs_msg_init(&r.m, r.h, NHDR);
	r.m.max_head = cap;
	ck_assert_int_eq(hs_parse_response(&r.m, t, ro, 0), (int)ro);
	ck_assert_int_eq(hs_check_response(&r.m, &p.m, viol, HS_MAX_VIOL), 0);
	double dt = cpu_seconds() - t0;
	ck_assert_msg(dt < 1.0, "30k spaces took %.3f s", dt);
	free(s);
	free(t);
}
END_TEST

/* Thousands of offered subprotocols: duplicates are looked for among the
 * first HS_MAX_DUP_CHECK, tokens in all, in bounded time. */
START_TEST(hs_many_subprotocols_bounded)
{
	size_t cap = 70000;
	char *s = malloc(cap);
	ck_assert_ptr_nonnull(s);
	size_t o = sizeof(GOOD_REQ) - 1 - 2;
	memcpy(s, GOOD_REQ, o);
	o += (size_t)snprintf(s + o, cap - o, "Sec-WebSocket-Protocol: ");
	for (int i = 0; i < 6000; i++)
		o += (size_t)snprintf(s + o, cap - o, "p%d,", i);
	o += (size_t)snprintf(s + o, cap - o, "p5\r\n\r\n");
	struct parsed p;
	int viol[HS_MAX_VIOL];
	const int want[] = {WSP_E_HS_REQ_PROTOCOL_DUPLICATE, 0};
	const int none[] = {0};
	hs_msg_init(&p.m, p.h, NHDR);
	p.m.max_head = cap;
	double t0 = cpu_seconds();
	ck_assert_int_eq(hs_parse_request(&p.m, s, o, 0), (int)o);
	/* p5 is among the first 256 and repeated at the end, but the
	 * repeat comes after the bound: not seen. */
	assert_viol(viol, hs_check_request(&p.m, viol, HS_MAX_VIOL), none,
		    "6000 protocols");
	/* A repeat within the bound is seen. */
	o = sizeof(GOOD_REQ) - 1 - 2;
	o += (size_t)snprintf(s + o, cap - o,
			      "Sec-WebSocket-Protocol: p1, p1\r\n\r\n");
	ck_assert_int_eq(hs_parse_request(&p.m, s, o, 0), (int)o);
	assert_viol(viol, hs_check_request(&p.m, viol, HS_MAX_VIOL), want,
		    "p1, p1");
	ck_assert_msg(cpu_seconds() - t0 < 1.0, "too slow");
	free(s);
}
END_TEST

/* ---- header helpers ------------------------------------------------- */

START_TEST(rfc7230_list_elements)
{
	static const char s[] = "  , a ,, b\t ,c , ";
	const char *want[] = {"a", "b", "c"};
	size_t pos = 0, el;
	const char *e;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(hs_list_next(s, sizeof(s) - 1, &pos, &e, &el),
				 1);
		ck_assert_int_eq((int)el, 1);
		ck_assert_int_eq(e[0], want[i][0]);
	}
	ck_assert_int_eq(hs_list_next(s, sizeof(s) - 1, &pos, &e, &el), 0);
	pos = 0;
	ck_assert_int_eq(hs_list_next("", 0, &pos, &e, &el), 0);
	pos = 0;
	ck_assert_int_eq(hs_list_next(V(" ,\t, "), &pos, &e, &el), 0);
}
END_TEST

START_TEST(rfc7230_header_lookup)
{
	struct parsed p;
	parse_ok(&p, 1,
		 V("GET / HTTP/1.1\r\nX-A: 1\r\nx-b: 2\r\nX-a: 3\r\n"
		   "Connection: keep-alive, Upgrade\r\n\r\n"));
	ck_assert_int_eq((int)hs_count(&p.m, "x-a"), 2);
	ck_assert_int_eq((int)hs_count(&p.m, "X-B"), 1);
	ck_assert_int_eq((int)hs_count(&p.m, "X-C"), 0);
	ck_assert_int_eq((int)hs_count(&p.m, "X-"), 0);
	const struct hs_header *h = hs_find(&p.m, "X-A");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->value[0], '1');
	h = hs_find_next(&p.m, "X-A", h);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->value[0], '3');
	ck_assert_ptr_null(hs_find_next(&p.m, "X-A", h));
	ck_assert_int_eq(hs_has_token(&p.m, "connection", "UPGRADE"), 1);
	ck_assert_int_eq(hs_has_token(&p.m, "connection", "keep-alive"), 1);
	ck_assert_int_eq(hs_has_token(&p.m, "connection", "close"), 0);
	ck_assert_int_eq(hs_has_token(&p.m, "Upgrade", "websocket"), 0);
}
END_TEST

/* ---- negotiation ---------------------------------------------------- */

START_TEST(rfc6455_4_2_2_select_protocol)
{
	struct parsed q;
	const char *sel = NULL;
	size_t n = 0;
	parse_ok(&q, 1, V(rfc_request));
	const char *const both[] = {"superchat", "chat"};
	const char *const super[] = {"superchat"};
	const char *const other[] = {"mqtt", "Chat"};
	/* The client's order of preference wins. */
	ck_assert_int_eq(hs_select_protocol(&q.m, both, 2, &sel, &n), 1);
	ck_assert_int_eq((int)n, 4);
	ck_assert(memcmp(sel, "chat", 4) == 0);
	ck_assert_int_eq(hs_select_protocol(&q.m, super, 1, &sel, &n), 1);
	ck_assert_int_eq((int)n, 9);
	ck_assert_int_eq(hs_select_protocol(&q.m, other, 2, &sel, &n), 0);
	ck_assert_int_eq(hs_select_protocol(&q.m, NULL, 0, &sel, &n), 0);
	parse_ok(&q, 1, V(GOOD_REQ));
	ck_assert_int_eq(hs_select_protocol(&q.m, both, 2, &sel, &n), 0);
}
END_TEST

START_TEST(rfc6455_9_1_extension_offered)
{
	struct parsed q;
	parse_ok(&q, 1,
		 V(GOOD_REQ_H "Sec-WebSocket-Extensions: permessage-deflate; "
			      "client_max_window_bits, x-webkit-deflate-frame\r\n"
			      "Sec-WebSocket-Extensions: foo; bar=\"baz\"\r\n"
			      "Sec-WebSocket-Extensions: @@\r\n" END));
	ck_assert_int_eq(hs_ext_offered(&q.m, V("permessage-deflate")), 1);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("x-webkit-deflate-frame")), 1);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("foo")), 1);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("bar")), 0);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("client_max_window_bits")), 0);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("Permessage-Deflate")), 0);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("@@")), 0);
}
END_TEST

START_TEST(rfc6455_9_1_extension_offer_longer_than_bound)
{
	char buf[2048];
	size_t o = sizeof(GOOD_REQ) - 1 - 2;
	memcpy(buf, GOOD_REQ, o);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			      "Sec-WebSocket-Extensions: ");
	for (int i = 0; i < HS_MAX_EXT + 4; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%se%d",
				      i ? ", " : "", i);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\r\n\r\n");
	struct parsed q;
	parse_ok(&q, 1, buf, o);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("e0")), 1);
	ck_assert_int_eq(hs_ext_offered(&q.m, V("e15")), 1);
	/* Past the bound: unknown, so never reported as not offered. */
	ck_assert_int_eq(hs_ext_offered(&q.m, V("e17")), WSP_E_LIMIT);
	int viol[HS_MAX_VIOL];
	struct parsed r;
	parse_ok(&r, 0, V(GOOD_RESP_H "Sec-WebSocket-Extensions: e17\r\n" END));
	ck_assert_int_eq(hs_check_response(&r.m, &q.m, viol, HS_MAX_VIOL), 0);
}
END_TEST

/* ---- builders ------------------------------------------------------- */

static const uint8_t sample_nonce[16] = "the sample nonce";

static void base_req_desc(struct hs_req_desc *d)
{
	static const char *const protos[] = {"chat", "superchat"};
	static const char *const exts[] = {
		"permessage-deflate; client_max_window_bits"};
	memset(d, 0, sizeof(*d));
	d->host = "server.example.com";
	d->target = "/chat";
	d->nonce = sample_nonce;
	d->protocols = protos;
	d->nprotocols = 2;
	d->extensions = exts;
	d->nextensions = 1;
	d->origin = "http://example.com";
}

START_TEST(hs_build_request_exact_bytes)
{
	struct hs_req_desc d;
	char out[1024];
	base_req_desc(&d);
	static const char want[] =
		"GET /chat HTTP/1.1\r\n"
		"Host: server.example.com\r\n"
		"Upgrade: websocket\r\n"
		"Connection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"Sec-WebSocket-Protocol: chat, superchat\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate; "
		"client_max_window_bits\r\n"
		"Origin: http://example.com\r\n"
		"\r\n";
	int n = hs_build_request(&d, out, sizeof(out));
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert(memcmp(out, want, sizeof(want) - 1) == 0);
	/* Every smaller buffer is NOSPACE. */
	for (int cap = 0; cap < n; cap++)
		ck_assert_int_eq(hs_build_request(&d, cap ? out : NULL,
						  (size_t)cap),
				 WSP_E_NOSPACE);
	d.port = 8080;
	d.host = "h";
	d.nprotocols = 0;
	d.nextensions = 0;
	d.origin = NULL;
	d.key = "literal key";
	n = hs_build_request(&d, out, sizeof(out));
	static const char want2[] = "GET /chat HTTP/1.1\r\nHost: h:8080\r\n"
				    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				    "Sec-WebSocket-Key: literal key\r\n"
				    "Sec-WebSocket-Version: 13\r\n\r\n";
	ck_assert_int_eq(n, (int)sizeof(want2) - 1);
	ck_assert(memcmp(out, want2, sizeof(want2) - 1) == 0);
	/* Host and key are required unless an edit replaces them. */
	d.host = NULL;
	ck_assert_int_eq(hs_build_request(&d, out, sizeof(out)), WSP_E_INVAL);
	struct hs_field nohost = {"Host", NULL};
	d.edits.set = &nohost;
	d.edits.nset = 1;
	ck_assert_int_gt(hs_build_request(&d, out, sizeof(out)), 0);
	d.key = NULL;
	d.nonce = NULL;
	ck_assert_int_eq(hs_build_request(&d, out, sizeof(out)), WSP_E_INVAL);
}
END_TEST

START_TEST(hs_build_round_trip)
{
	struct hs_req_desc d;
	char rq[1024], rs[1024];
	base_req_desc(&d);
	int n = hs_build_request(&d, rq, sizeof(rq));
	ck_assert_int_gt(n, 0);
	struct parsed q, r;
	int viol[HS_MAX_VIOL];
	parse_ok(&q, 1, rq, (size_t)n);
	ck_assert_int_eq(hs_check_request(&q.m, viol, HS_MAX_VIOL), 0);

	/* The server side: select, build, and the client judges it. */
	const char *const sup[] = {"superchat"};
	const char *sel;
	size_t sel_len;
	ck_assert_int_eq(hs_select_protocol(&q.m, sup, 1, &sel, &sel_len), 1);
	char proto[32], key[64];
	memcpy(proto, sel, sel_len);
	proto[sel_len] = '\0';
	const struct hs_header *k = hs_find(&q.m, "Sec-WebSocket-Key");
	memcpy(key, k->value, k->value_len);
	key[k->value_len] = '\0';
	struct hs_resp_desc rd;
	memset(&rd, 0, sizeof(rd));
	rd.key = key;
	rd.protocol = proto;
	rd.extensions = "permessage-deflate";
	int m = hs_build_response(&rd, rs, sizeof(rs));
	static const char want[] =
		"HTTP/1.1 101 Switching Protocols\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		"Sec-WebSocket-Protocol: superchat\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
	ck_assert_int_eq(m, (int)sizeof(want) - 1);
	ck_assert(memcmp(rs, want, sizeof(want) - 1) == 0);
	parse_ok(&r, 0, rs, (size_t)m);
	ck_assert_int_eq(hs_check_response(&r.m, &q.m, viol, HS_MAX_VIOL), 0);
	for (int cap = 0; cap < m; cap++)
		ck_assert_int_eq(hs_build_response(&rd, rs, (size_t)cap),
				 WSP_E_NOSPACE);
	rd.key = NULL;
	ck_assert_int_eq(hs_build_response(&rd, rs, sizeof(rs)), WSP_E_INVAL);
	rd.status = 1000;
	ck_assert_int_eq(hs_build_response(&rd, rs, sizeof(rs)), WSP_E_INVAL);
}
END_TEST

START_TEST(rfc6455_4_4_build_426)
{
	struct hs_resp_desc rd;
	char out[256];
	memset(&rd, 0, sizeof(rd));
	rd.status = 426;
	static const char want[] = "HTTP/1.1 426 Upgrade Required\r\n"
				   "Sec-WebSocket-Version: 13\r\n"
				   "Content-Length: 0\r\n\r\n";
	int n = hs_build_response(&rd, out, sizeof(out));
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert(memcmp(out, want, sizeof(want) - 1) == 0);
	struct parsed r;
	int viol[HS_MAX_VIOL];
	const int want_v[] = {WSP_E_HS_RESP_NOT_101, 0};
	parse_ok(&r, 0, out, (size_t)n);
	ck_assert_int_eq(r.m.status, 426);
	ck_assert_int_eq(hs_check_version_reject(&r.m, viol, HS_MAX_VIOL), 0);
	assert_viol(viol, hs_check_response(&r.m, NULL, viol, HS_MAX_VIOL),
		    want_v, "426");
	/* Any status, with the usual or a given reason. */
	rd.status = 404;
	rd.reason = "Gone Fishing";
	n = hs_build_response(&rd, out, sizeof(out));
	static const char want404[] = "HTTP/1.1 404 Gone Fishing\r\n"
				      "Content-Length: 0\r\n\r\n";
	ck_assert_int_eq(n, (int)sizeof(want404) - 1);
	ck_assert(memcmp(out, want404, sizeof(want404) - 1) == 0);
	rd.status = 7;
	rd.reason = NULL;
	n = hs_build_response(&rd, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert(memcmp(out, "HTTP/1.1 007 Unknown\r\n\r\n", 24) == 0);
}
END_TEST

/* Deliberately wrong requests: each produces exactly its violation. */
struct wrong_req {
	const char *name;
	void (*edit)(struct hs_req_desc *d);
	int parse_rc; /* 0: parses; else the parse error */
	int want[4];
};

static void w_none(struct hs_req_desc *d)
{
	(void)d;
}
static void w_post(struct hs_req_desc *d)
{
	d->method = "POST";
}
static void w_http10(struct hs_req_desc *d)
{
	d->http_version = "HTTP/1.0";
}
static void w_target(struct hs_req_desc *d)
{
	d->target = "chat";
}
static const struct hs_field f_nohost = {"Host", NULL};
static void w_nohost(struct hs_req_desc *d)
{
	d->edits.set = &f_nohost;
	d->edits.nset = 1;
}
static const struct hs_field f_host2 = {"Host", "other"};
static void w_host2(struct hs_req_desc *d)
{
	d->edits.add = &f_host2;
	d->edits.nadd = 1;
}
static const struct hs_field f_noup = {"upgrade", NULL};
static void w_noup(struct hs_req_desc *d)
{
	d->edits.set = &f_noup;
	d->edits.nset = 1;
}
static const struct hs_field f_h2c = {"Upgrade", "h2c"};
static void w_h2c(struct hs_req_desc *d)
{
	d->edits.set = &f_h2c;
	d->edits.nset = 1;
}
static const struct hs_field f_noconn = {"Connection", NULL};
static void w_noconn(struct hs_req_desc *d)
{
	d->edits.set = &f_noconn;
	d->edits.nset = 1;
}
static const struct hs_field f_close = {"Connection", "close"};
static void w_close(struct hs_req_desc *d)
{
	d->edits.set = &f_close;
	d->edits.nset = 1;
}
static const struct hs_field f_nokey = {"Sec-WebSocket-Key", NULL};
static void w_nokey(struct hs_req_desc *d)
{
	d->edits.set = &f_nokey;
	d->edits.nset = 1;
}
static void w_badkey(struct hs_req_desc *d)
{
	d->key = "AQIDBAUGBwgJCgsMDQ4PEC==";
}
static void w_shortkey(struct hs_req_desc *d)
{
	d->key = "AAAA";
}
static const struct hs_field f_key2 = {"Sec-WebSocket-Key",
				       "AQIDBAUGBwgJCgsMDQ4PEA=="};
static void w_key2(struct hs_req_desc *d)
{
	d->edits.add = &f_key2;
	d->edits.nadd = 1;
}
static const struct hs_field f_nover = {"Sec-WebSocket-Version", NULL};
static void w_nover(struct hs_req_desc *d)
{
	d->edits.set = &f_nover;
	d->edits.nset = 1;
}
static void w_ver8(struct hs_req_desc *d)
{
	d->ws_version = "8";
}
static const struct hs_field f_ver2 = {"Sec-WebSocket-Version", "13"};
static void w_ver2(struct hs_req_desc *d)
{
	d->edits.add = &f_ver2;
	d->edits.nadd = 1;
}
static const char *const dup_protos[] = {"chat", "chat"};
static void w_dupproto(struct hs_req_desc *d)
{
	d->protocols = dup_protos;
	d->nprotocols = 2;
}
static const char *const bad_protos[] = {"a b"};
static void w_badproto(struct hs_req_desc *d)
{
	d->protocols = bad_protos;
	d->nprotocols = 1;
}
static const char *const bad_exts[] = {"@@"};
static void w_badext(struct hs_req_desc *d)
{
	d->extensions = bad_exts;
	d->nextensions = 1;
}
static void w_lf(struct hs_req_desc *d)
{
	d->edits.eol = "\n";
}
static void w_fold(struct hs_req_desc *d)
{
	d->edits.raw = "X: a\r\n folded\r\n";
	d->edits.raw_len = strlen(d->edits.raw);
}
static void w_nocolon(struct hs_req_desc *d)
{
	d->edits.raw = "Bad Header\r\n";
	d->edits.raw_len = strlen(d->edits.raw);
}
static const struct hs_field f_proto_set = {"Sec-WebSocket-Protocol", "x,x"};
static void w_proto_set(struct hs_req_desc *d)
{
	d->nprotocols = 0; /* set writes it even when no list is given */
	d->edits.set = &f_proto_set;
	d->edits.nset = 1;
}
static const struct hs_field f_custom[] = {{"X-Custom", "1"},
					   {"Host", "case.example"}};
static void w_custom(struct hs_req_desc *d)
{
	d->edits.set = f_custom;
	d->edits.nset = 2;
}

static const struct wrong_req wrong_req[] = {
	{"none", w_none, 0, {0}},
	{"POST", w_post, 0, {WSP_E_HS_REQ_NOT_GET, 0}},
	{"HTTP/1.0", w_http10, 0, {WSP_E_HS_REQ_OLD_HTTP, 0}},
	{"target", w_target, 0, {WSP_E_HS_REQ_BAD_TARGET, 0}},
	{"no Host", w_nohost, 0, {WSP_E_HS_REQ_NO_HOST, 0}},
	{"two Hosts", w_host2, 0, {WSP_E_HS_REQ_REPEATED_HOST, 0}},
	{"no Upgrade", w_noup, 0, {WSP_E_HS_REQ_NO_UPGRADE, 0}},
	{"h2c", w_h2c, 0, {WSP_E_HS_REQ_UPGRADE_NOT_WS, 0}},
	{"no Connection", w_noconn, 0, {WSP_E_HS_REQ_NO_CONNECTION, 0}},
	{"Connection: close", w_close, 0,
	 {WSP_E_HS_REQ_CONNECTION_NO_UPGRADE, 0}},
	{"no key", w_nokey, 0, {WSP_E_HS_REQ_NO_KEY, 0}},
	{"bad key", w_badkey, 0, {WSP_E_HS_REQ_KEY_NOT_BASE64, 0}},
	{"short key", w_shortkey, 0, {WSP_E_HS_REQ_KEY_NOT_16, 0}},
	{"two keys", w_key2, 0, {WSP_E_HS_REQ_REPEATED_KEY, 0}},
	{"no version", w_nover, 0, {WSP_E_HS_REQ_NO_VERSION, 0}},
	{"version 8", w_ver8, 0, {WSP_E_HS_REQ_VERSION_NOT_13, 0}},
	{"two versions", w_ver2, 0, {WSP_E_HS_REQ_REPEATED_VERSION, 0}},
	{"duplicate protocol", w_dupproto, 0,
	 {WSP_E_HS_REQ_PROTOCOL_DUPLICATE, 0}},
	{"bad protocol", w_badproto, 0, {WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN, 0}},
	{"bad extension", w_badext, 0, {WSP_E_HS_REQ_EXT_SYNTAX, 0}},
	{"bare LF", w_lf, 0, {WSP_E_HS_REQ_BARE_LF, 0}},
	{"protocol via set", w_proto_set, 0,
	 {WSP_E_HS_REQ_PROTOCOL_DUPLICATE, 0}},
	{"custom header and Host value", w_custom, 0, {0}},
	{"obs-fold", w_fold, WSP_E_HS_REQ_OBS_FOLD, {0}},
	{"no colon", w_nocolon, WSP_E_HS_REQ_HDR_SYNTAX, {0}},
};

START_TEST(hs_build_wrong_request_exact_violation)
{
	const struct wrong_req *w = &wrong_req[_i];
	struct hs_req_desc d;
	char out[1024];
	base_req_desc(&d);
	w->edit(&d);
	int n = hs_build_request(&d, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	struct parsed q;
	int rc = parse(&q, 1, out, (size_t)n);
	if (w->parse_rc != 0) {
		ck_assert_msg(rc == w->parse_rc, "%s: parse %s", w->name,
			      wsp_errname(rc));
		return;
	}
	ck_assert_int_eq(rc, n);
	int viol[HS_MAX_VIOL];
	assert_viol(viol, hs_check_request(&q.m, viol, HS_MAX_VIOL), w->want,
		    w->name);
}
END_TEST

START_TEST(hs_build_set_replaces_in_place)
{
	struct hs_req_desc d;
	char out[1024];
	base_req_desc(&d);
	w_custom(&d);
	int n = hs_build_request(&d, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	struct parsed q;
	parse_ok(&q, 1, out, (size_t)n);
	/* Host stays first, with the new value; X-Custom comes after the
	 * standard headers. */
	ck_assert_int_eq((int)q.m.headers[0].value_len, 12);
	ck_assert(memcmp(q.m.headers[0].value, "case.example", 12) == 0);
	ck_assert(memcmp(q.m.headers[q.m.nheaders - 1].name, "X-Custom", 8) ==
		  0);
}
END_TEST

/* Deliberately wrong responses, judged against the base request. */
struct wrong_resp {
	const char *name;
	struct hs_resp_desc d; /* key filled in by the test */
	int want[4];
};

static const struct hs_field f_rnoup = {"Upgrade", NULL};
static const struct hs_field f_rclose = {"Connection", "close"};
static const struct hs_field f_rnoacc = {"Sec-WebSocket-Accept", NULL};
static const struct hs_field f_racc2 = {"Sec-WebSocket-Accept",
					"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="};
static const struct hs_field f_rproto2 = {"Sec-WebSocket-Protocol", "chat"};
static const struct hs_field f_rext2 = {"Sec-WebSocket-Extensions",
					"permessage-deflate"};

static const struct wrong_resp wrong_resp[] = {
	{"none", {0}, {0}},
	{"200", {.status = 200}, {WSP_E_HS_RESP_NOT_101, 0}},
	{"HTTP/1.0", {.http_version = "HTTP/1.0"}, {WSP_E_HS_RESP_OLD_HTTP, 0}},
	{"no reason SP", {.status_line = "HTTP/1.1 101"},
	 {WSP_E_HS_RESP_NO_REASON_SP, 0}},
	{"bare LF", {.edits = {.eol = "\n"}}, {WSP_E_HS_RESP_BARE_LF, 0}},
	{"no Upgrade", {.edits = {.set = &f_rnoup, .nset = 1}},
	 {WSP_E_HS_RESP_NO_UPGRADE, 0}},
	{"Connection: close", {.edits = {.set = &f_rclose, .nset = 1}},
	 {WSP_E_HS_RESP_CONNECTION_NO_UPGRADE, 0}},
	{"no accept", {.edits = {.set = &f_rnoacc, .nset = 1}},
	 {WSP_E_HS_RESP_NO_ACCEPT, 0}},
	{"wrong accept", {.accept = "AAAA"}, {WSP_E_HS_RESP_BAD_ACCEPT, 0}},
	{"two accepts", {.edits = {.add = &f_racc2, .nadd = 1}},
	 {WSP_E_HS_RESP_REPEATED_ACCEPT, 0}},
	{"two protocols",
	 {.protocol = "chat", .edits = {.add = &f_rproto2, .nadd = 1}},
	 {WSP_E_HS_RESP_REPEATED_PROTOCOL, 0}},
	{"empty protocol", {.protocol = ""}, {WSP_E_HS_RESP_PROTOCOL_EMPTY, 0}},
	{"protocol list", {.protocol = "chat, superchat"},
	 {WSP_E_HS_RESP_PROTOCOL_NOT_ONE, 0}},
	{"protocol not offered", {.protocol = "mqtt"},
	 {WSP_E_HS_RESP_PROTOCOL_NOT_OFFERED, 0}},
	{"two extension headers",
	 {.extensions = "permessage-deflate",
	  .edits = {.add = &f_rext2, .nadd = 1}},
	 {WSP_E_HS_RESP_REPEATED_EXT, 0}},
	{"extension syntax", {.extensions = "a;;"},
	 {WSP_E_HS_RESP_EXT_SYNTAX, 0}},
	{"extension not offered", {.extensions = "x-webkit-deflate-frame"},
	 {WSP_E_HS_RESP_EXT_NOT_OFFERED, 0}},
};

START_TEST(hs_build_wrong_response_exact_violation)
{
	const struct wrong_resp *w = &wrong_resp[_i];
	struct hs_req_desc d;
	char rq[1024], rs[1024];
	base_req_desc(&d);
	int n = hs_build_request(&d, rq, sizeof(rq));
	struct parsed q, r;
	parse_ok(&q, 1, rq, (size_t)n);
	struct hs_resp_desc rd = w->d;
	rd.key = "dGhlIHNhbXBsZSBub25jZQ==";
	int m = hs_build_response(&rd, rs, sizeof(rs));
	ck_assert_int_gt(m, 0);
	parse_ok(&r, 0, rs, (size_t)m);
	int viol[HS_MAX_VIOL];
	assert_viol(viol, hs_check_response(&r.m, &q.m, viol, HS_MAX_VIOL),
		    w->want, w->name);
}
END_TEST

START_TEST(hs_check_bad_arguments)
{
	struct parsed q;
	parse_ok(&q, 1, V(GOOD_REQ));
	ck_assert_int_eq(hs_check_request(NULL, NULL, 0), WSP_E_INVAL);
	ck_assert_int_eq(hs_check_request(&q.m, NULL, 3), WSP_E_INVAL);
	ck_assert_int_eq(hs_check_request(&q.m, NULL, 0), 0);
	ck_assert_int_eq(hs_check_response(NULL, NULL, NULL, 0), WSP_E_INVAL);
	ck_assert_int_eq(hs_check_version_reject(NULL, NULL, 0), WSP_E_INVAL);
	ck_assert_int_eq(hs_build_request(NULL, NULL, 0), WSP_E_INVAL);
	ck_assert_int_eq(hs_build_response(NULL, NULL, 0), WSP_E_INVAL);
	ck_assert_str_eq(hs_reason_phrase(101), "Switching Protocols");
	ck_assert_str_eq(hs_reason_phrase(426), "Upgrade Required");
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *hs_suite(void)
{
	Suite *s = suite_create("hs");
	TCase *tc;

	tc = tcase_create("rfc6455_1_3_key_accept");
	tcase_add_test(tc, rfc6455_1_3_accept_example);
	tcase_add_test(tc, rfc6455_1_2_sample_handshake_parses_clean);
	tcase_add_test(tc, rfc6455_4_1_head_length_excludes_following_frames);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc4648_base64");
	tcase_add_loop_test(tc, rfc4648_base64_vectors_round_trip, 0,
			    NELEM(b64_vec));
	tcase_add_loop_test(tc, rfc4648_base64_strict_decoding_rejects, 0,
			    NELEM(b64_bad));
	tcase_add_test(tc, rfc4648_base64_canonical_16_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-4.2.1_request");
	tcase_add_loop_test(tc, rfc6455_4_2_1_request_violations_listed, 0,
			    NELEM(req_vec));
	tcase_add_test(tc, rfc6455_4_2_2_reject_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-4.1_response");
	tcase_add_loop_test(tc, rfc6455_4_1_response_violations_listed, 0,
			    NELEM(resp_vec));
	tcase_add_test(tc, rfc6455_4_1_response_without_request);
	tcase_add_test(tc, rfc6455_4_4_version_refusal);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7230_syntax");
	tcase_add_loop_test(tc, rfc7230_syntax_vectors, 0, NELEM(syn_vec));
	tcase_add_test(tc, rfc7230_bare_lf_flagged);
	tcase_add_test(tc, rfc7230_header_values_trimmed);
	tcase_add_test(tc, hs_too_many_headers);
	tcase_add_test(tc, hs_parse_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7230_chunking");
	tcase_add_loop_test(tc, rfc7230_every_prefix_incomplete, 0,
			    NELEM(prefix_vec));
	tcase_add_loop_test(tc, rfc7230_chunking_syntax_vectors, 0,
			    NELEM(syn_vec));
	tcase_add_loop_test(tc, rfc7230_chunking_violation_vectors, 0,
			    NELEM(req_vec) > NELEM(resp_vec) ? NELEM(req_vec)
							     : NELEM(resp_vec));
	suite_add_tcase(s, tc);

	tc = tcase_create("hs_limits");
	tcase_add_test(tc, hs_head_cap_exact_and_one_over);
	tcase_add_test(tc, hs_one_mib_header_rejected_fast);
	tcase_add_test(tc, hs_30k_spaces_in_protocol_linear);
	tcase_add_test(tc, hs_many_subprotocols_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc7230_header_helpers");
	tcase_add_test(tc, rfc7230_list_elements);
	tcase_add_test(tc, rfc7230_header_lookup);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc6455_negotiation");
	tcase_add_test(tc, rfc6455_4_2_2_select_protocol);
	tcase_add_test(tc, rfc6455_9_1_extension_offered);
	tcase_add_test(tc, rfc6455_9_1_extension_offer_longer_than_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("hs_builders");
	tcase_add_test(tc, hs_build_request_exact_bytes);
	tcase_add_test(tc, hs_build_round_trip);
	tcase_add_test(tc, rfc6455_4_4_build_426);
	tcase_add_loop_test(tc, hs_build_wrong_request_exact_violation, 0,
			    NELEM(wrong_req));
	tcase_add_test(tc, hs_build_set_replaces_in_place);
	tcase_add_loop_test(tc, hs_build_wrong_response_exact_violation, 0,
			    NELEM(wrong_resp));
	tcase_add_test(tc, hs_check_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}
