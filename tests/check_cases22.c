/*
 * check_cases22.c: the cases of category 22 (cases/22_client_conformance.lua)
 * played for real over loopback, each against a correct peer (its verdict
 * must be OK, or the UNIMPLEMENTED / INFORMATIONAL the case documents) and
 * against a deliberately wrong one (FAILED, with the reason naming the
 * fault).
 *
 * Client-role cases run in `wsprobe server` (run_server in a thread),
 * driven like an Autobahn client driver: either by a client on
 * harness/sess.h (a real WebSocket client; its masking keys can be forced
 * to reused, counter, LCG or 31-bit values, its nonce fixed), or by a small
 * raw client written here that can do what sess.h will not: go through an
 * HTTP CONNECT proxy, leave SNI out, ignore a non-101 status and echo
 * anyway, or fail on a response accepting two RSV1 extensions.
 * Server-role cases (22.3.3, 22.3.4, 22.4.x) run with run_client against
 * wsprobe echo and against a fake server that accepts every extension.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "echo.h"
#include "lib.h"
#include "role_server.h"
#include "sess.h"
#include "wsf.h"
#include "wsp_err.h"

/* ========================================================================
 * The server role in a thread
 * ===================================================================== */

struct srv {
	pthread_t th;
	struct run_server_opts o;
	struct run_select sel;
	struct res_run results;
	char patterns[128]; /* the selection, split at commas */
	volatile int stop;
	volatile int port;
	int rc;
	char err[512];
};

static void srv_ready(uint16_t port, void *user)
{
	((struct srv *)user)->port = port;
}

static void *srv_main(void *arg)
{
	struct srv *t = arg;
	t->rc = run_server(&t->o, &t->results, t->err, sizeof(t->err));
	return NULL;
}

/* Serves the cases matching pattern, comma-separated patterns (TLS when
 * cert is not NULL). */
static void srv_start(struct srv *t, const char *pattern, const char *cert,
		      const char *key)
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(res_run_init(&t->results, "test", 7), 0);
	snprintf(t->patterns, sizeof(t->patterns), "%s", pattern);
	char *save = NULL;
	for (char *p = strtok_r(t->patterns, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save))
		t->sel.include[t->sel.ninclude++] = p;
	t->o.host = "127.0.0.1";
	t->o.sel = &t->sel;
	t->o.seed = 7;
	t->o.tls_cert = cert;
	t->o.tls_key = key;
	t->o.ready = srv_ready;
	t->o.user = t;
	t->o.stop = &t->stop;
	t->o.handshake_timeout_ms = 2000;
	ck_assert_int_eq(pthread_create(&t->th, NULL, srv_main, t), 0);
	for (int i = 0; i < 500 && t->port == 0; i++)
		usleep(10000);
	ck_assert_msg(t->port != 0, "server did not start: %s", t->err);
}

static void srv_stop(struct srv *t)
{
	t->stop = 1;
	pthread_join(t->th, NULL);
	ck_assert_int_eq(t->rc, 0);
}

/* The result of case id for agent (the server must be stopped first). */
static const struct res_case *result(const struct srv *t, const char *agent,
				     const char *id)
{
	for (size_t a = 0; a < t->results.nagents; a++) {
		if (strcmp(t->results.agents[a].agent, agent) != 0)
			continue;
		for (size_t i = 0; i < t->results.agents[a].ncases; i++) {
			const struct res_case *c = &t->results.agents[a].cases[i];
			if (c->id != NULL && strcmp(c->id, id) == 0)
				return c;
		}
	}
	ck_abort_msg("no result for case %s, agent %s", id, agent);
	return NULL;
}

/* Asserts the verdict of a case and that its reason contains part. */
static void expect_verdict(const struct srv *t, const char *agent,
			   const char *id, enum vd_behavior v, const char *part)
{
	const struct res_case *c = result(t, agent, id);
	const char *reason = c->reason ? c->reason : "";
	ck_assert_msg(c->verdict == v && strstr(reason, part) != NULL,
		      "case %s (%s): %s (%s), want %s with \"%s\"", id, agent,
		      vd_behavior_name(c->verdict), reason, vd_behavior_name(v),
		      part);
}

/* ========================================================================
 * A client on sess.h, with its masking keys chosen by a mode
 * ===================================================================== */

enum keys {
	KEYS_SESSION = 0, /* the session's generator: fresh and unpredictable */
	KEYS_CONSTANT,    /* one key for every frame */
	KEYS_COUNTER,     /* 1, 2, 3, ... */
	KEYS_STEP4,       /* k, k+4, k+8, ...: even differences */
	KEYS_LCG,         /* k' = 1103515245 k + 12345 (mod 2^32) */
	KEYS_31BIT        /* the generator's keys with bit 31 cleared */
};

struct client {
	uint64_t seed;       /* 0: a new one per connection */
	enum keys keys;
	const char *key;     /* a literal Sec-WebSocket-Key, or NULL */
	const char *host;    /* URL host (default 127.0.0.1) */
	struct net_tls *tls; /* wss when set */
	const char *const *exts;
	size_t nexts;
	const struct hs_field *add; /* extra request headers (22.6.1) */
	size_t nadd;
	uint32_t k;          /* the last forced key */
};

static uint64_t seed_counter = 1000;

static void next_key(struct client *c, struct sess *s, uint8_t out[4])
{
	uint32_t k = (uint32_t)sess_rand(s);
	switch (c->keys) {
	case KEYS_CONSTANT:
		k = 0x11223344u;
		break;
	case KEYS_COUNTER:
		k = ++c->k;
		break;
	case KEYS_STEP4:
		k = c->k += 4;
		break;
	case KEYS_LCG:
		k = c->k = c->k * 1103515245u + 12345u;
		break;
	case KEYS_31BIT:
		k &= 0x7fffffffu;
		break;
	case KEYS_SESSION:
		break;
	}
	out[0] = (uint8_t)(k >> 24);
	out[1] = (uint8_t)(k >> 16);
	out[2] = (uint8_t)(k >> 8);
	out[3] = (uint8_t)k;
}

/* Plays target as an Autobahn driver does: echo every message until the
 * server closes.  A refused handshake ends it quietly. */
static void client_play(struct client *c, uint16_t port, const char *target)
{
	struct sess s;
	struct sess_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WSP_ROLE_CLIENT;
	cfg.seed = c->seed != 0 ? c->seed : seed_counter++;
	cfg.record = 1;
	ck_assert_int_eq(sess_init(&s, &cfg), 0);
	char u[512];
	snprintf(u, sizeof(u), "%s://%s:%u%s", c->tls ? "wss" : "ws",
		 c->host ? c->host : "127.0.0.1", (unsigned)port, target);
	struct url url;
	ck_assert_int_eq(url_parse(&url, u, strlen(u)), 0);
	struct sess_open_opts o;
	memset(&o, 0, sizeof(o));
	o.req.key = c->key;
	o.req.extensions = c->exts;
	o.req.nextensions = c->nexts;
	o.req.edits.add = c->add;
	o.req.edits.nadd = c->nadd;
	if (sess_connect(&s, &url, c->tls, &o) == 0) {
		const struct sess_event *e;
		while ((e = sess_next_event(&s, clk_deadline_in_ms(5000))) !=
		       NULL) {
			if (e->type != VD_EV_MESSAGE)
				continue;
			struct sess_frame f;
			memset(&f, 0, sizeof(f));
			f.fin = 1;
			f.opcode = e->opcode;
			f.mask = 1;
			f.payload = e->data;
			f.len = e->len;
			if (c->keys != KEYS_SESSION) {
				f.has_key = 1;
				next_key(c, &s, f.key);
			}
			sess_send_frames(&s, &f, 1, NULL);
			sess_release_consumed(&s);
		}
	}
	if (s.state != SESS_CLOSED)
		sess_close(&s, 1, 1000, NULL, 0);
	sess_free(&s);
}

static void play_case(struct client *c, uint16_t port, const char *id,
		      const char *agent)
{
	char target[128];
	snprintf(target, sizeof(target), "/runCase?casetuple=%s&agent=%s", id,
		 agent);
	client_play(c, port, target);
}

/* Every case of the server's selection, in id order, then stops it. */
static void play_all(struct client *c, struct srv *t, const char *agent,
		     const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		play_case(c, (uint16_t)t->port, ids[i], agent);
	srv_stop(t);
}

/* ========================================================================
 * A raw client: what sess.h will not do
 * ===================================================================== */

struct raw {
	const char *connect;  /* CONNECT this authority first (a proxy) */
	struct net_tls *tls;  /* TLS, with SNI sni (NULL: none) */
	const char *sni;
	const char *host;     /* the Host header (default 127.0.0.1:PORT) */
	const char *exts;     /* Sec-WebSocket-Extensions offered */
	int strict_rsv1;      /* drop a 101 accepting two RSV1 extensions */
	int require_101;      /* drop any response other than 101 */
	/* When the proxy does not answer 200 (22.5.2): 0 fails the test,
	 * REFUSAL_GIVE_UP closes at once, REFUSAL_LINGER waits 3 s first,
	 * REFUSAL_GO_ON goes on as if the tunnel were open. */
	enum { REFUSAL_UNEXPECTED = 0, REFUSAL_GIVE_UP, REFUSAL_LINGER,
	       REFUSAL_GO_ON } on_refusal;
};

/* The first occurrence of needle in hay, ignoring ASCII case, or NULL. */
static const char *ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* Reads c up to the end of an HTTP head into buf (NUL-terminated); the
 * byte after it is not read.  Returns the head length or -1. */
static int read_head(struct net_conn *c, char *buf, size_t cap,
		     struct clk_deadline dl)
{
	size_t n = 0;
	while (n + 1 < cap) {
		if (net_read(c, buf + n, 1, dl) != 1)
			return -1;
		n++;
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0) {
			buf[n] = '\0';
			return (int)n;
		}
	}
	return -1;
}

static void raw_send(struct net_conn *c, uint8_t opcode, const uint8_t *p,
		     size_t len, uint64_t *rng)
{
	struct wsf_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = opcode;
	f.masked = 1;
	uint64_t r = tl_rand(rng);
	memcpy(f.mask_key, &r, 4);
	f.payload_len = len;
	uint8_t out[WSF_MAX_HEADER + 4096];
	ssize_t n = wsf_encode(out, sizeof(out), &f, p, len);
	ck_assert_int_gt(n, 0);
	net_write_all(c, out, (size_t)n, clk_deadline_in_ms(2000));
}

static uint64_t raw_rng = 77;

/* Connects c (through CONNECT, over TLS as asked) and sends a request for
 * target.  Returns 0, or -1 when the proxy refused and c is closed. */
static int raw_open(const struct raw *o, uint16_t port, const char *target,
		    struct net_conn *cp)
{
	uint64_t *rngp = &raw_rng;
	struct clk_deadline dl = clk_deadline_in_ms(8000);
	struct net_conn c;
	net_conn_init(&c);
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", port, NET_FAMILY_V4, dl),
			 0);
	char head[8192];
	if (o->connect != NULL) {
		char req[256];
		int n = snprintf(req, sizeof(req),
				 "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
				 o->connect, o->connect);
		ck_assert_int_eq(net_write_all(&c, req, (size_t)n, dl), 0);
		ck_assert_int_gt(read_head(&c, head, sizeof(head), dl), 0);
		if (strncmp(head, "HTTP/1.1 200 ", 13) != 0 &&
		    o->on_refusal != REFUSAL_GO_ON) {
			ck_assert_msg(o->on_refusal != REFUSAL_UNEXPECTED,
				      "%s", head);
			if (o->on_refusal == REFUSAL_LINGER)
				usleep(3000 * 1000);
			net_close(&c);
			return -1;
		}
	}
	if (o->tls != NULL)
		ck_assert_int_eq(net_tls_handshake(&c, o->tls, o->sni, dl), 0);
	char hostbuf[64];
	snprintf(hostbuf, sizeof(hostbuf), "127.0.0.1:%u", (unsigned)port);
	uint8_t nonce[HS_NONCE_LEN];
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)tl_rand(rngp);
	struct hs_req_desc d;
	memset(&d, 0, sizeof(d));
	d.host = o->host ? o->host : hostbuf;
	d.target = target;
	d.nonce = nonce;
	d.extensions = &o->exts;
	d.nextensions = o->exts != NULL;
	char req[2048];
	int n = hs_build_request(&d, req, sizeof(req));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(net_write_all(&c, req, (size_t)n, dl), 0);
	*cp = c;
	return 0;
}

/* Reads the response head on c, then echoes every frame whatever the
 * status was, until the server closes; closes c. */
static void raw_serve(const struct raw *o, struct net_conn *cp)
{
	uint64_t *rngp = &raw_rng;
	struct net_conn c = *cp;
	struct clk_deadline dl = clk_deadline_in_ms(8000);
	char head[8192];
	if (read_head(&c, head, sizeof(head), dl) < 0 ||
	    (o->require_101 && strncmp(head, "HTTP/1.1 101 ", 13) != 0) ||
	    (o->strict_rsv1 && ci_find(head, "permessage-deflate") &&
	     ci_find(head, "x-webkit-deflate-frame"))) {
		net_close(&c);
		return;
	}
	struct wsf_decoder dec;
	wsf_decoder_init(&dec, NULL);
	uint8_t buf[4096], msg[4096];
	size_t mlen = 0;
	for (;;) {
		int r = net_read(&c, buf, sizeof(buf), dl);
		if (r <= 0)
			break;
		size_t off = 0;
		while (off < (size_t)r) {
			struct wsf_event ev;
			ssize_t k = wsf_decode(&dec, buf + off, (size_t)r - off,
					       &ev);
			ck_assert_int_ge(k, 0);
			off += (size_t)k;
			if (ev.len > 0 && ev.len <= sizeof(msg) - mlen) {
				memcpy(msg + mlen, ev.data, ev.len);
				mlen += ev.len;
			}
			if (!(ev.flags & WSF_EV_END))
				continue;
			uint8_t op = ev.hdr->opcode;
			if (op == WSP_OP_PING)
				op = WSP_OP_PONG;
			if (op != WSP_OP_PONG || ev.hdr->opcode == WSP_OP_PING)
				raw_send(&c, op, msg, mlen, rngp);
			mlen = 0;
		}
	}
	net_close(&c);
}

/* raw_open, then raw_serve. */
static void raw_play(const struct raw *o, uint16_t port, const char *target)
{
	struct net_conn c;
	if (raw_open(o, port, target, &c) == 0)
		raw_serve(o, &c);
}

static void raw_case(const struct raw *o, uint16_t port, const char *id,
		     const char *agent)
{
	char target[128];
	snprintf(target, sizeof(target), "/runCase?casetuple=%s&agent=%s", id,
		 agent);
	raw_play(o, port, target);
}

/* ========================================================================
 * Certificates
 * ===================================================================== */

/* A throwaway self-signed certificate for localhost and 127.0.0.1. */
static void make_cert(struct tl_certdir *t)
{
	tl_certdir_make(t, "DNS:localhost,IP:127.0.0.1");
}

/* The server role over TLS with a throwaway certificate, and a client TLS
 * context that trusts it. */
struct tls_srv {
	struct tl_certdir d;
	struct srv t;
	struct net_tls tls;
};

static void tls_srv_start(struct tls_srv *x, const char *pattern)
{
	char err[256];
	make_cert(&x->d);
	srv_start(&x->t, pattern, x->d.cert, x->d.key);
	ck_assert_int_eq(net_tls_client_init(&x->tls, x->d.cert, 0, err,
					     sizeof(err)),
			 0);
}

/* Stops the server (its results stay in x->t) and removes the files. */
static void tls_srv_stop(struct tls_srv *x)
{
	srv_stop(&x->t);
	net_tls_free(&x->tls);
	tl_certdir_remove(&x->d);
}

/* ========================================================================
 * Client role: masking keys and nonces (22.1.1, 22.9.x)
 * ===================================================================== */

/* The whole category against a correct client on plain TCP. */
START_TEST(cases22_correct_client_plain)
{
	struct srv t;
	srv_start(&t, "22.*", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	static const char *const ids[] = {
		"22.1.1", "22.2.1", "22.2.2", "22.2.3", "22.2.4", "22.3.1",
		"22.3.2", "22.3.5", "22.4.3", "22.5.1", "22.9.1", "22.9.2"};
	play_all(&c, &t, "good", ids, sizeof(ids) / sizeof(ids[0]));
	expect_verdict(&t, "good", "22.1.1", VD_OK, "256 frames, 256 distinct");
	for (size_t i = 1; i <= 4; i++) {
		char id[24];
		snprintf(id, sizeof(id), "22.2.%zu", i);
		expect_verdict(&t, "good", id, VD_OK, "without sending a frame");
	}
	expect_verdict(&t, "good", "22.3.1", VD_UNIMPLEMENTED, "without TLS");
	expect_verdict(&t, "good", "22.3.2", VD_UNIMPLEMENTED, "without TLS");
	expect_verdict(&t, "good", "22.3.5", VD_UNIMPLEMENTED, "without TLS");
	expect_verdict(&t, "good", "22.4.3", VD_UNIMPLEMENTED, "did not offer");
	expect_verdict(&t, "good", "22.5.1", VD_UNIMPLEMENTED, "directly");
	/* Ten connections before it; seven of them carried frames (the
	 * echoes of 22.1.1, the Close of each case that opens and closes). */
	expect_verdict(&t, "good", "22.9.1", VD_OK,
		       "11 connections, 11 distinct nonces");
	expect_verdict(&t, "good", "22.9.2", VD_OK,
		       "8 connections, 8 distinct first keys");
	res_free(&t.results);
}
END_TEST

/* 22.6.1: Origin is judged for browsers only, and checked when sent. */
static const struct {
	const char *ua, *origin, *origin2;
	enum vd_behavior want;
	const char *reason;
} origin_vec[] = {
	{NULL, NULL, NULL, VD_INFORMATIONAL, "not a browser (User-Agent: none)"},
	{"Python/3.11 websockets/10.4", NULL, NULL, VD_INFORMATIONAL,
	 "no Origin; not a browser"},
	{"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", NULL, NULL,
	 VD_FAILED, "sent no Origin"},
	{"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
	 "https://example.com", NULL, VD_OK, "Origin: https://example.com"},
	{NULL, "null", NULL, VD_OK, "Origin: null"},
	{NULL, "http://localhost:8080", NULL, VD_OK, "Origin: http"},
	{NULL, "https://example.com/path", NULL, VD_FAILED,
	 "not a serialised origin"},
	{NULL, "example.com", NULL, VD_FAILED, "not a serialised origin"},
	{"Mozilla/5.0", "https://a.example", "https://b.example", VD_FAILED,
	 "2 Origin headers"},
};

START_TEST(cases22_origin)
{
	struct srv t;
	srv_start(&t, "22.6.1", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	struct hs_field add[3];
	size_t n = 0;
	if (origin_vec[_i].ua != NULL)
		add[n++] = (struct hs_field){"User-Agent", origin_vec[_i].ua};
	if (origin_vec[_i].origin != NULL)
		add[n++] = (struct hs_field){"Origin", origin_vec[_i].origin};
	if (origin_vec[_i].origin2 != NULL)
		add[n++] = (struct hs_field){"Origin", origin_vec[_i].origin2};
	c.add = add;
	c.nadd = n;
	play_case(&c, (uint16_t)t.port, "22.6.1", "origin");
	srv_stop(&t);
	expect_verdict(&t, "origin", "22.6.1", origin_vec[_i].want,
		       origin_vec[_i].reason);
	res_free(&t.results);
}
END_TEST

/* 22.1.1 against clients whose keys are reused or predictable. */
static const struct {
	enum keys keys;
	const char *reason;
} bad_keys[] = {
	{KEYS_CONSTANT, "frames 1 and 2 use the same masking key 11223344"},
	{KEYS_COUNTER, "each key is the previous one plus 00000001"},
	{KEYS_STEP4, "each key is the previous one plus 00000004"},
	{KEYS_LCG, "each key is 41c64e6d * previous + 00003039"},
	{KEYS_31BIT, "bit 31 of the masking key (bit 7 of byte 1) is always 0"},
};

START_TEST(cases22_masking_keys_predictable_fail)
{
	struct srv t;
	srv_start(&t, "22.1.1", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	c.keys = bad_keys[_i].keys;
	c.k = 0x12345678u;
	play_case(&c, (uint16_t)t.port, "22.1.1", "bad");
	srv_stop(&t);
	expect_verdict(&t, "bad", "22.1.1", VD_FAILED, bad_keys[_i].reason);
	res_free(&t.results);
}
END_TEST

/* A client that seeds its generator the same way on every connection:
 * the same nonce and the same first masking key each time. */
START_TEST(cases22_repeated_nonce_and_first_key_fail)
{
	struct srv t;
	srv_start(&t, "22.*", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	c.seed = 99;
	static const char *const ids[] = {"22.1.1", "22.9.1", "22.9.2"};
	play_all(&c, &t, "fixed", ids, 3);
	expect_verdict(&t, "fixed", "22.9.1", VD_FAILED,
		       "connections 1 and 2 of 2 use the same nonce");
	expect_verdict(&t, "fixed", "22.9.2", VD_FAILED,
		       "connections 1 and 2 use the same masking key");
	res_free(&t.results);
}
END_TEST

/* The RFC's sample nonce, and nonces that differ in one byte only. */
START_TEST(cases22_sample_or_counter_nonce_fails)
{
	struct srv t;
	srv_start(&t, "22.*", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	c.key = "dGhlIHNhbXBsZSBub25jZQ==";
	play_case(&c, (uint16_t)t.port, "22.9.1", "sample");
	static const char *const counter[] = {"AAAAAAAAAAAAAAAAAAAAAQ==",
					      "AAAAAAAAAAAAAAAAAAAAAg==",
					      "AAAAAAAAAAAAAAAAAAAAAw=="};
	for (size_t i = 0; i < 3; i++) {
		c.key = counter[i];
		play_case(&c, (uint16_t)t.port, i < 2 ? "22.1.1" : "22.9.1",
			  "counter");
	}
	srv_stop(&t);
	expect_verdict(&t, "sample", "22.9.1", VD_FAILED,
		       "connection 1 uses the RFC's sample nonce");
	expect_verdict(&t, "counter", "22.9.1", VD_FAILED,
		       "the 3 nonces share 15 of their 16 bytes");
	res_free(&t.results);
}
END_TEST

/* Three connections: the affine check needs a fourth key to be evidence,
 * so three fresh keys are OK (an affine fit through three keys always
 * exists when the first difference is odd). */
START_TEST(cases22_three_connections_ok)
{
	struct srv t;
	srv_start(&t, "22.*", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 8; i++) {
		char agent[24];
		snprintf(agent, sizeof(agent), "three%d", i);
		play_case(&c, (uint16_t)t.port, "22.1.1", agent);
		play_case(&c, (uint16_t)t.port, "22.9.1", agent);
		play_case(&c, (uint16_t)t.port, "22.9.2", agent);
	}
	srv_stop(&t);
	for (int i = 0; i < 8; i++) {
		char agent[24];
		snprintf(agent, sizeof(agent), "three%d", i);
		expect_verdict(&t, agent, "22.9.1", VD_OK,
			       "2 connections, 2 distinct nonces");
		expect_verdict(&t, agent, "22.9.2", VD_OK,
			       "3 connections, 3 distinct first keys");
	}
	res_free(&t.results);
}
END_TEST

/* Run alone, 22.9.x have nothing to compare. */
START_TEST(cases22_alone_is_informational)
{
	struct srv t;
	srv_start(&t, "22.9.*", NULL, NULL);
	struct client c;
	memset(&c, 0, sizeof(c));
	play_case(&c, (uint16_t)t.port, "22.9.2", "alone");
	srv_stop(&t);
	expect_verdict(&t, "alone", "22.9.2", VD_INFORMATIONAL,
		       "only one connection");
	res_free(&t.results);
}
END_TEST

/* ========================================================================
 * Client role: a status other than 101 (22.2.x), the proxy (22.5.1),
 * RSV1 extensions (22.4.3)
 * ===================================================================== */

/* A client that ignores the status and echoes the frame behind it. */
START_TEST(cases22_non101_ignored_fails)
{
	struct srv t;
	srv_start(&t, "22.2.*", NULL, NULL);
	struct raw r;
	memset(&r, 0, sizeof(r));
	for (int i = 1; i <= 4; i++) {
		char id[24];
		snprintf(id, sizeof(id), "22.2.%d", i);
		raw_case(&r, (uint16_t)t.port, id, "sloppy");
	}
	/* The same raw client checking the status passes. */
	r.require_101 = 1;
	raw_case(&r, (uint16_t)t.port, "22.2.1", "strict");
	srv_stop(&t);
	for (int i = 1; i <= 4; i++) {
		char id[24];
		snprintf(id, sizeof(id), "22.2.%d", i);
		expect_verdict(&t, "sloppy", id, VD_FAILED,
			       "the client sent a WebSocket frame (opcode 1");
	}
	expect_verdict(&t, "strict", "22.2.1", VD_OK, "closed without");
	res_free(&t.results);
}
END_TEST

START_TEST(cases22_proxy_connect)
{
	struct srv t;
	srv_start(&t, "22.5.1", NULL, NULL);
	struct raw r;
	memset(&r, 0, sizeof(r));
	char auth[64];
	snprintf(auth, sizeof(auth), "127.0.0.1:%d", t.port);
	r.connect = auth;
	raw_case(&r, (uint16_t)t.port, "22.5.1", "proxied");
	r.connect = "/runCase";
	raw_case(&r, (uint16_t)t.port, "22.5.1", "badproxy");
	/* A direct connection afterwards is not taken for a proxied one. */
	r.connect = NULL;
	raw_case(&r, (uint16_t)t.port, "22.5.1", "direct");
	srv_stop(&t);
	char want[80];
	snprintf(want, sizeof(want), "CONNECT %s", auth);
	expect_verdict(&t, "proxied", "22.5.1", VD_OK, want);
	expect_verdict(&t, "badproxy", "22.5.1", VD_FAILED,
		       "does not name host:port: CONNECT /runCase HTTP/1.1");
	expect_verdict(&t, "direct", "22.5.1", VD_UNIMPLEMENTED, "directly");
	res_free(&t.results);
}
END_TEST

/* 22.5.2: a driver going through the proxy in order (/getCaseCount, then
 * case 1 = 22.5.1, case 2 = 22.5.2) has the CONNECT of case 2's
 * connection refused with 502.  Giving up at once or sending nothing is
 * OK, filed under the agent of case 1; going on with the request anyway
 * is FAILED; a later /runCase for 22.5.2 does not replace the verdict; a
 * direct driver never meets the refusal (UNIMPLEMENTED), and a driver
 * that skips /getCaseCount gets its 200 (INFORMATIONAL). */
START_TEST(cases22_proxy_refused)
{
	struct srv t;
	srv_start(&t, "22.5.*", NULL, NULL);
	uint16_t port = (uint16_t)t.port;
	struct raw r;
	memset(&r, 0, sizeof(r));
	char auth[64];
	snprintf(auth, sizeof(auth), "127.0.0.1:%d", t.port);
	r.connect = auth;
	static const struct {
		const char *agent;
		int on_refusal;
	} runs[] = {
		{"gives-up", REFUSAL_GIVE_UP},
		{"lingers", REFUSAL_LINGER},
		{"goes-on", REFUSAL_GO_ON},
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char target[96];
		r.on_refusal = runs[i].on_refusal;
		raw_play(&r, port, "/getCaseCount");
		snprintf(target, sizeof(target), "/runCase?case=1&agent=%s",
			 runs[i].agent);
		raw_play(&r, port, target);
		snprintf(target, sizeof(target), "/runCase?case=2&agent=%s",
			 runs[i].agent);
		raw_play(&r, port, target);
		if (i == 0)
			raw_play(&r, port, target); /* a retry, answered 200 */
	}
	r.on_refusal = REFUSAL_UNEXPECTED;
	raw_case(&r, port, "22.5.2", "unordered");
	r.connect = NULL;
	raw_play(&r, port, "/getCaseCount");
	raw_play(&r, port, "/runCase?case=1&agent=direct");
	raw_play(&r, port, "/runCase?case=2&agent=direct");
	srv_stop(&t);
	expect_verdict(&t, "gives-up", "22.5.1", VD_OK, "CONNECT");
	expect_verdict(&t, "gives-up", "22.5.2", VD_OK,
		       "the client closed the connection after the proxy's "
		       "502 Bad Gateway");
	expect_verdict(&t, "lingers", "22.5.2", VD_OK,
		       "sent nothing in 2000 ms");
	expect_verdict(&t, "goes-on", "22.5.2", VD_FAILED,
		       "went on as if the tunnel were open");
	expect_verdict(&t, "goes-on", "22.5.2", VD_FAILED,
		       "starting with \"GET /runCase?case=2&agent=goes-on");
	expect_verdict(&t, "unordered", "22.5.2", VD_INFORMATIONAL,
		       "not judged");
	expect_verdict(&t, "direct", "22.5.2", VD_UNIMPLEMENTED, "directly");
	res_free(&t.results);
}
END_TEST

/* wss:// through the proxy: CONNECT in plaintext, then TLS in the tunnel. */
START_TEST(cases22_proxy_connect_then_tls)
{
	struct tls_srv x;
	tls_srv_start(&x, "22.3.2,22.5.1");
	struct raw r;
	memset(&r, 0, sizeof(r));
	char auth[64], host[64];
	snprintf(auth, sizeof(auth), "localhost:%d", x.t.port);
	snprintf(host, sizeof(host), "localhost:%d", x.t.port);
	r.connect = auth;
	r.tls = &x.tls;
	r.sni = "localhost";
	r.host = host;
	raw_case(&r, (uint16_t)x.t.port, "22.5.1", "tunnel");
	raw_case(&r, (uint16_t)x.t.port, "22.3.2", "tunnel");
	tls_srv_stop(&x);
	expect_verdict(&x.t, "tunnel", "22.5.1", VD_OK, "CONNECT localhost:");
	expect_verdict(&x.t, "tunnel", "22.3.2", VD_OK, "SNI \"localhost\"");
	res_free(&x.t.results);
}
END_TEST

START_TEST(cases22_two_rsv1_extensions_accepted)
{
	struct srv t;
	srv_start(&t, "22.4.3", NULL, NULL);
	struct raw r;
	memset(&r, 0, sizeof(r));
	r.exts = "permessage-deflate, x-webkit-deflate-frame";
	r.strict_rsv1 = 1;
	raw_case(&r, (uint16_t)t.port, "22.4.3", "strict");
	r.strict_rsv1 = 0;
	raw_case(&r, (uint16_t)t.port, "22.4.3", "sloppy");
	srv_stop(&t);
	const struct res_case *c = result(&t, "strict", "22.4.3");
	ck_assert_msg(c->verdict == VD_OK, "%s: %s",
		      vd_behavior_name(c->verdict), c->reason);
	expect_verdict(&t, "sloppy", "22.4.3", VD_FAILED, "");
	res_free(&t.results);
}
END_TEST

/* ========================================================================
 * Client role over TLS: 22.3.1, 22.3.2 (SNI)
 * ===================================================================== */

START_TEST(cases22_tls_and_sni)
{
	struct tls_srv x;
	tls_srv_start(&x, "22.3.1,22.3.2");
	struct client c;
	memset(&c, 0, sizeof(c));
	c.tls = &x.tls;
	c.host = "localhost";
	play_case(&c, (uint16_t)x.t.port, "22.3.1", "name");
	play_case(&c, (uint16_t)x.t.port, "22.3.2", "name");
	c.host = "127.0.0.1";
	play_case(&c, (uint16_t)x.t.port, "22.3.2", "ip");
	/* No SNI although the URL names a host. */
	struct raw r;
	memset(&r, 0, sizeof(r));
	r.tls = &x.tls;
	char host[96];
	snprintf(host, sizeof(host), "localhost:%d", x.t.port);
	r.host = host;
	raw_case(&r, (uint16_t)x.t.port, "22.3.2", "nosni");
	/* SNI for another name than the Host header's. */
	r.sni = "localhost";
	snprintf(host, sizeof(host), "example.test:%d", x.t.port);
	raw_case(&r, (uint16_t)x.t.port, "22.3.2", "othersni");
	tls_srv_stop(&x);
	expect_verdict(&x.t, "name", "22.3.1", VD_OK,
		       "request and echo over TLS");
	expect_verdict(&x.t, "name", "22.3.2", VD_OK, "SNI \"localhost\"");
	expect_verdict(&x.t, "ip", "22.3.2", VD_INFORMATIONAL,
		       "the IP address 127.0.0.1 (SNI none)");
	expect_verdict(&x.t, "nosni", "22.3.2", VD_FAILED,
		       "no SNI in the TLS handshake to localhost");
	expect_verdict(&x.t, "othersni", "22.3.2", VD_FAILED,
		       "the SNI names \"localhost\", the Host header "
		       "\"example.test\"");
	res_free(&x.t.results);
}
END_TEST

/* ========================================================================
 * Client role: 22.3.5, a certificate the client cannot verify
 * ===================================================================== */

/* Opens a TLS connection to port with ctx and closes it right after the
 * handshake, as Node.js does when its own check of the certificate fails
 * after OpenSSL's handshake. */
static void tls_connect_then_close(uint16_t port, struct net_tls *ctx)
{
	struct net_conn c;
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", port, NET_FAMILY_V4,
				     clk_deadline_in_ms(2000)),
			 0);
	ck_assert_int_eq(net_tls_handshake(&c, ctx, NULL,
					   clk_deadline_in_ms(2000)),
			 0);
	net_close(&c);
}

/* A driver runs 22.3.5 in order (/getCaseCount, /runCase?case=1): the
 * connection it opens for the case gets the untrusted certificate.  A
 * client that verifies refuses it (OK, filed under the agent of the
 * /updateReports that follows); a retry of the case over the real
 * certificate does not replace that verdict.  A client that verifies
 * nothing sends its request (FAILED).  One that closes after the
 * handshake is OK; a driver that skips /getCaseCount never has the case
 * predicted (INFORMATIONAL). */
START_TEST(cases22_untrusted_certificate)
{
	struct tls_srv x;
	tls_srv_start(&x, "22.3.5");
	uint16_t port = (uint16_t)x.t.port;
	struct client c;
	memset(&c, 0, sizeof(c));
	c.tls = &x.tls;
	c.host = "localhost";
	client_play(&c, port, "/getCaseCount");
	client_play(&c, port, "/runCase?case=1&agent=good");
	client_play(&c, port, "/runCase?case=1&agent=good"); /* a retry */
	client_play(&c, port, "/updateReports?agent=good");

	char err[256];
	struct net_tls lax;
	ck_assert_int_eq(net_tls_client_init(&lax, NULL, 1, err, sizeof(err)),
			 0);
	c.tls = &lax;
	client_play(&c, port, "/getCaseCount");
	client_play(&c, port, "/runCase?case=1&agent=lax");
	client_play(&c, port, "/updateReports?agent=lax");

	client_play(&c, port, "/getCaseCount");
	tls_connect_then_close(port, &lax);
	client_play(&c, port, "/updateReports?agent=node");

	c.tls = &x.tls;
	play_case(&c, port, "22.3.5", "unordered");
	net_tls_free(&lax);
	tls_srv_stop(&x);
	expect_verdict(&x.t, "good", "22.3.5", VD_OK,
		       "the client aborted the TLS handshake");
	expect_verdict(&x.t, "lax", "22.3.5", VD_FAILED,
		       "sent its request (GET /runCase?case=1&agent=lax)");
	ck_assert_str_eq(result(&x.t, "lax", "22.3.5")->http_request != NULL
				 ? "request kept"
				 : "none",
			 "request kept");
	expect_verdict(&x.t, "node", "22.3.5", VD_OK,
		       "then closed without a request");
	expect_verdict(&x.t, "unordered", "22.3.5", VD_INFORMATIONAL,
		       "not judged");
	res_free(&x.t.results);
}
END_TEST

/* The untrusted certificate keeps the names of the real one (only the
 * trust is wrong): a client that skips verification sees the same
 * subject; one that trusts the real certificate rejects it. */
START_TEST(cases22_untrusted_certificate_names)
{
	struct tl_certdir d;
	make_cert(&d);
	char err[256];
	struct net_tls real, fake;
	ck_assert_int_eq(net_tls_server_init(&real, d.cert, d.key, err,
					     sizeof(err)),
			 0);
	ck_assert_int_eq(net_tls_server_init_untrusted(&fake, &real, err,
						       sizeof(err)),
			 0);
	X509 *a = SSL_CTX_get0_certificate(real.ctx);
	X509 *b = SSL_CTX_get0_certificate(fake.ctx);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(a),
				       X509_get_subject_name(b)),
			 0);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(b),
				       X509_get_subject_name(b)),
			 0);
	ck_assert_int_ge(X509_get_ext_by_NID(b, NID_subject_alt_name, -1), 0);
	/* A different key: the real certificate's does not verify it. */
	ck_assert_int_ne(X509_verify(b, X509_get0_pubkey(a)), 1);
	ck_assert_int_eq(X509_verify(b, X509_get0_pubkey(b)), 1);
	/* No certificate to copy from: refused. */
	struct net_tls empty = {0}, out;
	ck_assert_int_eq(net_tls_server_init_untrusted(&out, &empty, err,
						       sizeof(err)),
			 WSP_E_INVAL);
	net_tls_free(&fake);
	net_tls_free(&real);
	tl_certdir_remove(&d);
}
END_TEST

/* ========================================================================
 * Server role: 22.3.3, 22.3.4, 22.4.1, 22.4.2
 * ===================================================================== */

/* Plays the cases matching pattern against url; fills r. */
static void client_run(const char *url, const char *pattern,
		       const char *cacert, struct res_run *r)
{
	struct run_client_opts o;
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.agent = "test";
	o.jobs = 1;
	o.seed = 5;
	o.cacert = cacert;
	struct run_select sel;
	memset(&sel, 0, sizeof(sel));
	sel.include[sel.ninclude++] = pattern;
	o.sel = &sel;
	ck_assert_int_eq(res_run_init(r, "test", 5), 0);
	char err[256] = "";
	ck_assert_msg(run_client(&o, r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(r->nagents, 1);
}

static const struct res_case *run_result(const struct res_run *r,
					 const char *id)
{
	for (size_t i = 0; i < r->agents[0].ncases; i++)
		if (strcmp(r->agents[0].cases[i].id, id) == 0)
			return &r->agents[0].cases[i];
	ck_abort_msg("no result for %s", id);
	return NULL;
}

static void expect_run(const struct res_run *r, const char *id,
		       enum vd_behavior v, const char *part)
{
	const struct res_case *c = run_result(r, id);
	const char *reason = c->reason ? c->reason : "";
	ck_assert_msg(c->verdict == v && strstr(reason, part) != NULL,
		      "case %s: %s (%s), want %s with \"%s\"", id,
		      vd_behavior_name(c->verdict), reason, vd_behavior_name(v),
		      part);
}

START_TEST(cases22_server_role_against_echo)
{
	struct tl_certdir d;
	make_cert(&d);
	struct tl_echo plain, tls;
	tl_echo_start(&plain, NULL, NULL);
	tl_echo_start(&tls, d.cert, d.key);
	char url[64];
	struct res_run r;
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", plain.port);
	client_run(url, "22.*", NULL, &r);
	ck_assert_uint_eq(r.agents[0].ncases, 4);
	expect_run(&r, "22.3.3", VD_INFORMATIONAL, "not a wss:// URL");
	expect_run(&r, "22.3.4", VD_INFORMATIONAL, "not a wss:// URL");
	expect_run(&r, "22.4.1", VD_OK, "permessage-deflate alone");
	expect_run(&r, "22.4.2", VD_OK, "permessage-deflate alone");
	res_free(&r);
	snprintf(url, sizeof(url), "wss://localhost:%d/", tls.port);
	client_run(url, "22.3.*", d.cert, &r);
	expect_run(&r, "22.3.3", VD_OK, "101 and echo over TLS");
	expect_run(&r, "22.3.4", VD_OK, "closed after");
	res_free(&r);
	tl_echo_stop(&plain);
	tl_echo_stop(&tls);
	tl_certdir_remove(&d);
}
END_TEST

/* A fake server: answers every request with a 101 that accepts both
 * permessage-deflate and x-webkit-deflate-frame when both were offered
 * (nothing otherwise), then waits for the
 * client to go.  With tls set, a connection that starts with a TLS record
 * gets TLS first, and one that does not is served in plaintext all the
 * same (a server that ignores TLS failures, for 22.3.4).  Each connection
 * has its own thread, so a probe is answered while another is open. */
#define FAKE_MAX 16

struct fake {
	pthread_t th;
	struct net_listener l;
	struct net_tls *tls;
	volatile int stop;
	pthread_t conns[FAKE_MAX];
	struct net_conn c[FAKE_MAX];
	size_t n;
};

struct fake_conn {
	struct fake *f;
	size_t i;
};

static void *fake_conn_main(void *arg)
{
	struct fake_conn *fc = arg;
	struct fake *f = fc->f;
	struct net_conn *c = &f->c[fc->i];
	free(fc);
	struct clk_deadline dl = clk_deadline_in_ms(4000);
	if (f->tls != NULL && net_wait_readable(c, dl) == 0) {
		unsigned char b0 = 0;
		if (recv(c->fd, &b0, 1, MSG_PEEK) == 1 && b0 == 0x16 &&
		    net_tls_handshake(c, f->tls, NULL, dl) != 0) {
			net_close(c);
			return NULL;
		}
	}
	char head[8192];
	if (read_head(c, head, sizeof(head), dl) > 0) {
		const char *k = ci_find(head, "Sec-WebSocket-Key:");
		char key[64] = "";
		if (k != NULL) {
			k += 18;
			k += strspn(k, " ");
			size_t kl = strcspn(k, "\r\n ");
			if (kl < sizeof(key)) {
				memcpy(key, k, kl);
				key[kl] = '\0';
			}
		}
		struct hs_resp_desc rd;
		memset(&rd, 0, sizeof(rd));
		rd.status = 101;
		rd.key = key;
		if (ci_find(head, "x-webkit-deflate-frame") != NULL)
			rd.extensions =
				"permessage-deflate, x-webkit-deflate-frame";
		char resp[1024];
		int n = hs_build_response(&rd, resp, sizeof(resp));
		if (n > 0)
			net_write_all(c, resp, (size_t)n, dl);
		/* Plaintext on the TLS port: answered, then closed at once so
		 * that the probe does not wait for its deadline. */
		char b[256];
		while (!(f->tls != NULL && c->ssl == NULL) &&
		       net_read(c, b, sizeof(b), dl) > 0)
			;
	}
	net_close(c);
	return NULL;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	while (!f->stop && f->n < FAKE_MAX) {
		struct net_conn *c = &f->c[f->n];
		net_conn_init(c);
		if (net_accept(&f->l, c, clk_deadline_in_ms(100)) != 0)
			continue;
		struct fake_conn *fc = malloc(sizeof(*fc));
		ck_assert_ptr_nonnull(fc);
		fc->f = f;
		fc->i = f->n;
		ck_assert_int_eq(pthread_create(&f->conns[f->n], NULL,
						fake_conn_main, fc),
				 0);
		f->n++;
	}
	return NULL;
}

static void fake_start(struct fake *f, struct net_tls *tls)
{
	memset(f, 0, sizeof(*f));
	f->tls = tls;
	ck_assert_int_eq(net_listen(&f->l, "127.0.0.1", 0, 8), 0);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->th, NULL);
	for (size_t i = 0; i < f->n; i++)
		pthread_join(f->conns[i], NULL);
	net_listener_close(&f->l);
}

START_TEST(cases22_server_accepting_two_rsv1_extensions_fails)
{
	struct fake f;
	fake_start(&f, NULL);
	char url[64];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%u/",
		 (unsigned)net_listener_port(&f.l));
	struct res_run r;
	client_run(url, "22.4.*", NULL, &r);
	expect_run(&r, "22.4.1", VD_FAILED,
		   "accepted permessage-deflate together with "
		   "x-webkit-deflate-frame");
	expect_run(&r, "22.4.2", VD_FAILED,
		   "accepted permessage-deflate together with "
		   "x-webkit-deflate-frame");
	res_free(&r);
	fake_stop(&f);
}
END_TEST

/* A server that answers a plaintext handshake on its TLS port. */
START_TEST(cases22_plaintext_on_tls_port_fails)
{
	struct tl_certdir d;
	make_cert(&d);
	struct net_tls tls;
	char err[256];
	ck_assert_int_eq(net_tls_server_init(&tls, d.cert, d.key, err,
					     sizeof(err)),
			 0);
	struct fake f;
	fake_start(&f, &tls);
	char url[64];
	snprintf(url, sizeof(url), "wss://localhost:%u/",
		 (unsigned)net_listener_port(&f.l));
	struct res_run r;
	client_run(url, "22.3.4", d.cert, &r);
	expect_run(&r, "22.3.4", VD_FAILED,
		   "accepted the handshake in plaintext on its TLS port");
	res_free(&r);
	fake_stop(&f);
	net_tls_free(&tls);
	tl_certdir_remove(&d);
}
END_TEST

/* ========================================================================
 * 22.7 and 22.8: wsprobe's /getCaseInfo extension
 * ===================================================================== */

/* The first text message the server sends on target (a sess.h client). */
static void fetch_text(uint16_t port, const char *target, char *out,
		       size_t cap)
{
	struct sess s;
	struct sess_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WSP_ROLE_CLIENT;
	cfg.seed = seed_counter++;
	cfg.record = 1;
	ck_assert_int_eq(sess_init(&s, &cfg), 0);
	char u[512];
	snprintf(u, sizeof(u), "ws://127.0.0.1:%u%s", (unsigned)port, target);
	struct url url;
	ck_assert_int_eq(url_parse(&url, u, strlen(u)), 0);
	struct sess_open_opts o;
	memset(&o, 0, sizeof(o));
	out[0] = '\0';
	ck_assert_int_eq(sess_connect(&s, &url, NULL, &o), 0);
	const struct sess_event *e;
	while ((e = sess_next_event(&s, clk_deadline_in_ms(5000))) != NULL)
		if (e->type == VD_EV_MESSAGE && out[0] == '\0') {
			ck_assert_uint_lt(e->len, cap);
			memcpy(out, e->data, e->len);
			out[e->len] = '\0';
		}
	if (s.state != SESS_CLOSED)
		sess_close(&s, 1, 1000, NULL, 0);
	sess_free(&s);
}

/* Sends a request head written out byte for byte (what hs_build_request
 * refuses to write: raw non-ASCII in the target), then serves the
 * answer. */
static void raw_literal(uint16_t port, const char *target, const char *host)
{
	struct clk_deadline dl = clk_deadline_in_ms(8000);
	struct net_conn c;
	net_conn_init(&c);
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", port, NET_FAMILY_V4, dl),
			 0);
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n",
			 target, host);
	ck_assert_int_eq(net_write_all(&c, req, (size_t)n, dl), 0);
	struct raw r;
	memset(&r, 0, sizeof(r));
	raw_serve(&r, &c);
}

/* /getCaseInfo hands each 22.7 case's target, with the agent
 * percent-encoded and the host the driver used; a driver that opens it
 * the way RFC 6455 3 and 11.1 want gets OK, one that sends raw bytes,
 * another name, a different encoding or an unescaped "#" gets FAILED, one
 * that opens /runCase instead UNIMPLEMENTED and one whose library refused
 * the target INFORMATIONAL. */
START_TEST(cases22_uri_targets)
{
	struct srv t;
	srv_start(&t, "22.7.*", NULL, NULL);
	uint16_t port = (uint16_t)t.port;
	char text[1024], want[512];
	fetch_text(port, "/getCaseInfo?case=1&agent=a%20b", text,
		   sizeof(text));
	snprintf(want, sizeof(want), "\"target\": \"ws://b\xc3\xbc" "cher.example:"
		 "%u/runCase?case=1&agent=a%%20b&via=target\"", (unsigned)port);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	fetch_text(port, "/getCaseInfo?case=2&agent=good", text, sizeof(text));
	snprintf(want, sizeof(want), "\"target\": \"ws://127.0.0.1:%u/runCase?"
		 "case=2&agent=good&via=target&text=Gr\xc3\xbc\xc3\x9f" "e\xe2\x82\xac\"",
		 (unsigned)port);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"id\": \"22.7.2\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "connections") == NULL, "%s", text);
	/* An agent of 80 spaces is 240 bytes encoded, whole in the target
	 * (else its results would go to a shorter name). */
	char q[300], spaces[241];
	for (int i = 0; i < 80; i++)
		memcpy(spaces + 3 * i, "%20", 3);
	spaces[240] = '\0';
	snprintf(q, sizeof(q), "/getCaseInfo?case=2&agent=%s", spaces);
	fetch_text(port, q, text, sizeof(text));
	snprintf(want, sizeof(want), "&agent=%s&via=target", spaces);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	fetch_text(port, "/getCaseInfo?case=3", text, sizeof(text));
	ck_assert_msg(strstr(text, "agent=unknown&via=target&tag=%23wsprobe\"")
			      != NULL, "%s", text);

	struct raw r;
	memset(&r, 0, sizeof(r));
	char host[96];
	snprintf(host, sizeof(host), "xn--bcher-kva.example:%u", (unsigned)port);
	r.host = host;
	raw_play(&r, port, "/runCase?case=1&agent=good&via=target");
	r.host = NULL;
	raw_play(&r, port, "/runCase?case=2&agent=good&via=target&"
			   "text=Gr%c3%bc%C3%9Fe%E2%82%AC");
	raw_play(&r, port, "/runCase?case=3&agent=good&via=target&"
			   "tag=%23wsprobe");

	snprintf(host, sizeof(host), "b\xc3\xbc" "cher.example:%u",
		 (unsigned)port);
	raw_literal(port, "/runCase?case=1&agent=bad&via=target", host);
	snprintf(host, sizeof(host), "127.0.0.1:%u", (unsigned)port);
	raw_literal(port, "/runCase?case=2&agent=bad&via=target&text=Gr"
			  "\xc3\xbc\xc3\x9f" "e\xe2\x82\xac", host);
	/* A driver that then reports a refusal does not replace that. */
	raw_play(&r, port, "/runCase?case=2&agent=bad&refused=400");
	raw_play(&r, port, "/runCase?case=3&agent=bad&via=target&tag=#wsprobe");

	snprintf(host, sizeof(host), "bucher.example:%u", (unsigned)port);
	r.host = host;
	raw_play(&r, port, "/runCase?case=1&agent=other&via=target");
	r.host = NULL;
	raw_play(&r, port, "/runCase?case=2&agent=other&via=target&"
			   "text=Gr%FC%DFe%80");
	raw_play(&r, port, "/runCase?case=3&agent=other&via=target&tag=x");

	raw_play(&r, port, "/runCase?case=1&agent=plain");
	raw_play(&r, port, "/runCase?case=2&agent=refuser&refused="
			   "InvalidURI%3A%20not%20a%20URI");
	srv_stop(&t);

	expect_verdict(&t, "good", "22.7.1", VD_OK,
		       "Host: xn--bcher-kva.example:");
	expect_verdict(&t, "good", "22.7.2", VD_OK,
		       "text=Gr%c3%bc%C3%9Fe%E2%82%AC");
	expect_verdict(&t, "good", "22.7.3", VD_OK, "tag=%23wsprobe");
	expect_verdict(&t, "bad", "22.7.1", VD_FAILED, "raw bytes (\\xC3)");
	expect_verdict(&t, "bad", "22.7.2", VD_FAILED,
		       "raw non-ASCII bytes, not percent-encoded UTF-8 "
		       "(answered 400): GET /runCase?case=2&agent=bad&"
		       "via=target&text=Gr\\xC3\\xBC\\xC3\\x9Fe\\xE2\\x82\\xAC");
	expect_verdict(&t, "bad", "22.7.3", VD_FAILED,
		       "a raw \"#\" in the request target");
	expect_verdict(&t, "other", "22.7.1", VD_FAILED,
		       "Host names \"bucher.example\"");
	expect_verdict(&t, "other", "22.7.2", VD_FAILED,
		       "text=Gr%FC%DFe%80 is not");
	expect_verdict(&t, "other", "22.7.3", VD_FAILED,
		       "tag=%23wsprobe is not in");
	expect_verdict(&t, "plain", "22.7.1", VD_UNIMPLEMENTED,
		       "not the target /getCaseInfo names");
	expect_verdict(&t, "refuser", "22.7.2", VD_INFORMATIONAL,
		       "refused to open the target: InvalidURI: not a URI");
	res_free(&t.results);
}
END_TEST

/* 22.8.1 (R6455-4.1-05/06/07), judged by the server: a client that waits
 * for the first connection's 101 before it opens the second is OK; one
 * that opens both at once is FAILED, whichever request comes first; a
 * driver that opens one connection only is UNIMPLEMENTED.  /getCaseInfo
 * asks for the two connections. */
START_TEST(cases22_one_connecting_at_a_time)
{
	struct srv t;
	srv_start(&t, "22.8.1", NULL, NULL);
	uint16_t port = (uint16_t)t.port;
	char text[1024];
	fetch_text(port, "/getCaseInfo?case=1&agent=x", text, sizeof(text));
	ck_assert_msg(strstr(text, "\"connections\": 2") != NULL &&
			      strstr(text, "target") == NULL, "%s", text);

	struct raw r;
	memset(&r, 0, sizeof(r));
	const char *target = "/runCase?case=1&agent=serial";
	struct net_conn c1, c2;
	ck_assert_int_eq(raw_open(&r, port, target, &c1), 0);
	char head[4096];
	int64_t t0 = clk_now_ns();
	ck_assert_int_gt(read_head(&c1, head, sizeof(head),
				   clk_deadline_in_ms(5000)), 0);
	ck_assert_msg(strncmp(head, "HTTP/1.1 101 ", 13) == 0, "%s", head);
	/* The first 101 was held for about a second. */
	ck_assert_int_ge((clk_now_ns() - t0) / 1000000, 900);
	ck_assert_int_eq(raw_open(&r, port, target, &c2), 0);
	raw_serve(&r, &c2);
	raw_serve(&r, &c1); /* its head was read: it sees frames only */

	target = "/runCase?case=1&agent=eager";
	ck_assert_int_eq(raw_open(&r, port, target, &c1), 0);
	ck_assert_int_eq(raw_open(&r, port, target, &c2), 0);
	raw_serve(&r, &c1);
	raw_serve(&r, &c2);

	raw_play(&r, port, "/runCase?case=1&agent=single");
	srv_stop(&t);
	expect_verdict(&t, "serial", "22.8.1", VD_OK,
		       "after the first was OPEN, none while it was "
		       "CONNECTING (its 101 held for 1000 ms): GET "
		       "/runCase?case=1&agent=serial");
	expect_verdict(&t, "eager", "22.8.1", VD_FAILED,
		       "a second connection to the same host and port came "
		       "while the first was CONNECTING");
	expect_verdict(&t, "single", "22.8.1", VD_UNIMPLEMENTED,
		       "one connection only, none other in 4000 ms");
	res_free(&t.results);
}
END_TEST

Suite *cases22_suite(void)
{
	Suite *s = suite_create("cases22");
	TCase *tc = tcase_create("R6455-5.3-02_masking_keys");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_correct_client_plain);
	tcase_add_loop_test(tc, cases22_masking_keys_predictable_fail, 0,
			    sizeof(bad_keys) / sizeof(bad_keys[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-30_nonce");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_repeated_nonce_and_first_key_fail);
	tcase_add_test(tc, cases22_sample_or_counter_nonce_fails);
	tcase_add_test(tc, cases22_three_connections_ok);
	tcase_add_test(tc, cases22_alone_is_informational);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-42_non101");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_non101_ignored_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-31_origin");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, cases22_origin, 0,
			    (int)(sizeof(origin_vec) / sizeof(origin_vec[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-10_proxy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_proxy_connect);
	tcase_add_test(tc, cases22_proxy_connect_then_tls);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-13_proxy_refused");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_proxy_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-17_tls");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_tls_and_sni);
	tcase_add_test(tc, cases22_server_role_against_echo);
	tcase_add_test(tc, cases22_plaintext_on_tls_port_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-15_untrusted_certificate");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_untrusted_certificate);
	tcase_add_test(tc, cases22_untrusted_certificate_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-11.1.1-02_uri_targets");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_uri_targets);
	suite_add_tcase(s, tc);
	tc = tcase_create("R6455-4.1-06_one_connecting");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_one_connecting_at_a_time);
	suite_add_tcase(s, tc);
	tc = tcase_create("R7692-5-07_rsv1_extensions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cases22_two_rsv1_extensions_accepted);
	tcase_add_test(tc, cases22_server_accepting_two_rsv1_extensions_fails);
	suite_add_tcase(s, tc);
	return s;
}
