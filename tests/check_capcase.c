/*
 * check_capcase.c: per-case captures (harness/capcase.h, issue 6 item 1).
 *
 * A synthetic wire log (opening handshake, masked client frames, unmasked
 * server frames, a write larger than one segment, a read split in two, a
 * close) is written as a capture, read back with our own reader (cap.h),
 * packet decoder (pkt.h) and dissector (dis.h), and checked exactly: the
 * TCP conversation (handshake, every sequence and acknowledgment number,
 * the bytes of each direction equal to the log's), the timestamps (start
 * plus each record's time), the frames (direction, opcode, length, mask),
 * no gap and no violation, and each way a connection ends (FIN either side
 * first, a FIN sent before the peer's last bytes, RST, none).  Also IPv6
 * endpoints, the size bound, and capcase_save's file under its final name
 * with nothing left behind.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cap.h"
#include "capcase.h"
#include "dis.h"
#include "echo.h"
#include "hs.h"
#include "lib.h"
#include "pkt.h"
#include "rep.h"
#include "res.h"
#include "run.h"
#include "sess.h"
#include "wsf.h"
#include "wsp_err.h"

/* ------------------------------------------------------------------------
 * A wire log
 */

#define MAXRECS 32

struct wlog {
	uint8_t *wire;
	size_t len, cap;
	struct sess_wire_rec recs[MAXRECS];
	size_t n;
	/* What each direction (0 wsprobe, 1 peer) carried, for comparison. */
	size_t dirlen[2];
};

static void wlog_add(struct wlog *l, int64_t t, int dir, const void *p,
		     size_t n)
{
	ck_assert_uint_lt(l->n, MAXRECS);
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2;
		l->wire = realloc(l->wire, l->cap);
		ck_assert_ptr_nonnull(l->wire);
	}
	memcpy(l->wire + l->len, p, n);
	struct sess_wire_rec *r = &l->recs[l->n++];
	r->t_ns = t;
	r->dir = (uint8_t)dir;
	r->off = l->len;
	r->len = n;
	l->len += n;
	l->dirlen[dir] += n;
}

static size_t frame(uint8_t *out, size_t cap, uint8_t opcode, int masked,
		    const void *p, size_t n)
{
	static uint8_t key; /* a fresh key per frame (R6455-5.3-02) */
	struct wsf_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = opcode;
	f.masked = (uint8_t)masked;
	key++;
	memcpy(f.mask_key, "\x11\x22\x33\x44", 4);
	f.mask_key[0] = key;
	f.payload_len = n;
	ssize_t k = wsf_encode(out, cap, &f, p, n);
	ck_assert_int_gt(k, 0);
	return (size_t)k;
}

/* The big write: more than three segments of CAPCASE_MSS. */
#define BIG ((size_t)200000)

/*
 * The session every test starts from, from wsprobe's side (dir 0): with
 * we_client, wsprobe is the client and masks; otherwise the peer is.
 *   t 1 us      request             t 2 ms    101 response
 *   t 3 ms      text "Hello"        t 4 ms    its echo
 *   t 5 ms      binary 200000 B     t 6, 6.5 ms  its echo in two reads
 *   t 7 ms      close 1000          t 7.5 ms  close 1000
 */
static void standard_log(struct wlog *l, int we_client)
{
	memset(l, 0, sizeof(*l));
	uint8_t nonce[16] = {4, 2};
	char req[512], resp[512], key[32];
	struct hs_req_desc rq;
	memset(&rq, 0, sizeof(rq));
	rq.host = "localhost";
	rq.nonce = nonce;
	int nq = hs_build_request(&rq, req, sizeof(req));
	ck_assert_int_gt(nq, 0);
	hs_key_from_nonce(nonce, key);
	struct hs_resp_desc rs;
	memset(&rs, 0, sizeof(rs));
	rs.key = key;
	int np = hs_build_response(&rs, resp, sizeof(resp));
	ck_assert_int_gt(np, 0);
	int c = we_client ? 0 : 1; /* the client's direction */
	static uint8_t big[BIG], fb[BIG + 16];
	for (size_t i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7);
	uint8_t f[64];
	size_t k;
	wlog_add(l, 1000, c, req, (size_t)nq);
	wlog_add(l, 2000000, 1 - c, resp, (size_t)np);
	k = frame(f, sizeof(f), WSP_OP_TEXT, 1, "Hello", 5);
	wlog_add(l, 3000000, c, f, k);
	k = frame(f, sizeof(f), WSP_OP_TEXT, 0, "Hello", 5);
	wlog_add(l, 4000000, 1 - c, f, k);
	k = frame(fb, sizeof(fb), WSP_OP_BINARY, 1, big, BIG);
	wlog_add(l, 5000000, c, fb, k);
	k = frame(fb, sizeof(fb), WSP_OP_BINARY, 0, big, BIG);
	wlog_add(l, 6000000, 1 - c, fb, 70000);
	wlog_add(l, 6500000, 1 - c, fb + 70000, k - 70000);
	k = frame(f, sizeof(f), WSP_OP_CLOSE, 1, "\x03\xe8", 2);
	wlog_add(l, 7000000, c, f, k);
	k = frame(f, sizeof(f), WSP_OP_CLOSE, 0, "\x03\xe8", 2);
	wlog_add(l, 7500000, 1 - c, f, k);
}

static void wlog_free(struct wlog *l)
{
	free(l->wire);
}

static void ep4(struct capw_ep *e, uint8_t last, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->family = 4;
	e->addr[0] = 127;
	e->addr[3] = last;
	e->port = port;
	e->mac[0] = 2;
	e->mac[5] = last;
}

static void ep6(struct capw_ep *e, uint8_t last, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->family = 6;
	e->addr[0] = 0xfd;
	e->addr[15] = last;
	e->port = port;
	e->mac[0] = 2;
	e->mac[5] = last;
}

static void conn_std(struct capcase_conn *c, int we_client)
{
	memset(c, 0, sizeof(*c));
	c->start.sec = 1700000000;
	c->start.nsec = 999999000; /* +1 us carries into the next second */
	ep4(&c->client, 1, 40001);
	ep4(&c->server, 2, 9201);
	c->we_client = we_client;
	c->isn_client = 0xFFFFFF00u; /* wraps during the session */
	c->isn_server = 77;
	c->end.our_fin_ns = 8000000;
	c->end.peer_end = 1;
	c->end.peer_end_ns = 8000000;
	c->end.peer_first = 1;
}

/* ------------------------------------------------------------------------
 * Reading a capture back
 */

struct pk {
	struct cap_time ts;
	int dir;               /* 0 from the client, 1 from the server */
	uint8_t flags;
	uint32_t seq, ack, len;
	uint8_t family;
};

struct fr {
	int dir;               /* DIS_C2S / DIS_S2C */
	uint8_t opcode, masked;
	uint64_t len, received;
	struct cap_time t;
	uint64_t packet;
};

struct back {
	struct pk *p;
	size_t n;
	struct fr fr[32];
	size_t nfr;
	uint8_t *data[2];      /* the payload bytes of each direction */
	size_t dlen[2];
	uint64_t gaps, violations, sessions;
	int end_rc;
	uint32_t linktype, snaplen;
	int nsec;
};

static void on_ev(const struct dis_event *ev, void *user)
{
	struct back *b = user;
	if (ev->type != DIS_EV_FRAME)
		return;
	ck_assert_uint_lt(b->nfr, 32);
	struct fr *f = &b->fr[b->nfr++];
	f->dir = ev->dir;
	f->opcode = ev->frame.hdr.opcode;
	f->masked = ev->frame.hdr.masked;
	f->len = ev->frame.hdr.payload_len;
	f->received = ev->frame.received;
	f->t = ev->time;
	f->packet = ev->packet;
}

struct back_read {
	struct back *b;
	const struct capw_ep *client; /* tells the directions apart */
	struct dis *d;
	size_t cap; /* of b->p */
};

/* One packet into b->p and the stream data, then to the dissector. */
static void back_packet(struct cap_pkt *p, void *user)
{
	struct back_read *x = user;
	struct back *b = x->b;
	struct pkt_tcp t;
	ck_assert_int_eq(pkt_decode(p->linktype, p->data, p->caplen,
				    p->origlen, &t), PKT_TCP);
	ck_assert_uint_eq(p->caplen, p->origlen);
	if (b->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		b->p = realloc(b->p, x->cap * sizeof(*b->p));
		ck_assert_ptr_nonnull(b->p);
	}
	struct pk *k = &b->p[b->n++];
	k->ts = p->ts;
	k->dir = !(t.sport == x->client->port &&
		   memcmp(t.src, x->client->addr, 16) == 0);
	k->flags = t.flags;
	k->seq = t.seq;
	k->ack = t.ack;
	k->len = t.len;
	k->family = t.family;
	if (t.len > 0) {
		uint8_t **dp = &b->data[k->dir];
		*dp = realloc(*dp, b->dlen[k->dir] + t.len);
		ck_assert_ptr_nonnull(*dp);
		memcpy(*dp + b->dlen[k->dir], t.payload, t.len);
		b->dlen[k->dir] += t.len;
	}
	ck_assert_int_eq(dis_packet(x->d, p, on_ev, b), 0);
}

/* Reads buf[0..len) (modified: the dissector unmasks in place).  client
 * is the client's endpoint, to tell the directions apart. */
static void read_back(struct back *b, uint8_t *buf, size_t len,
		      const struct capw_ep *client)
{
	memset(b, 0, sizeof(*b));
	struct dis d;
	struct dis_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.stream = -1;
	ck_assert_int_eq(dis_init(&d, &cfg), 0);
	struct cap_reader rd;
	cap_reader_init(&rd);
	struct back_read x = {b, client, &d, 0};
	b->end_rc = tl_cap_each(&rd, buf, len, back_packet, &x);
	dis_finish(&d, on_ev, b);
	b->gaps = d.gaps;
	b->violations = d.violations;
	b->sessions = d.sessions;
	b->linktype = rd.linktype;
	b->snaplen = rd.snaplen;
	b->nsec = rd.nsec;
	dis_free(&d);
}

static void back_free(struct back *b)
{
	free(b->p);
	free(b->data[0]);
	free(b->data[1]);
}

/* Every segment's sequence number is where its side is, every ACK is
 * everything the other side sent; SYN and FIN count one.  Returns the
 * index of the first packet after the handshake. */
static size_t check_tcp(const struct back *b, uint32_t isn_c, uint32_t isn_s)
{
	ck_assert_uint_ge(b->n, 3);
	ck_assert_int_eq(b->p[0].dir, 0);
	ck_assert_uint_eq(b->p[0].flags, PKT_SYN);
	ck_assert_uint_eq(b->p[0].seq, isn_c);
	ck_assert_int_eq(b->p[1].dir, 1);
	ck_assert_uint_eq(b->p[1].flags, PKT_SYN | PKT_ACK);
	ck_assert_uint_eq(b->p[1].seq, isn_s);
	ck_assert_uint_eq(b->p[1].ack, isn_c + 1);
	ck_assert_int_eq(b->p[2].dir, 0);
	ck_assert_uint_eq(b->p[2].flags, PKT_ACK);
	uint32_t next[2] = {isn_c, isn_s};
	int fin[2] = {0, 0}, rst = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct pk *k = &b->p[i];
		ck_assert_msg(!rst, "packet %zu after an RST", i);
		ck_assert_msg(!fin[k->dir] || (k->len == 0 && !(k->flags & PKT_FIN)),
			      "packet %zu: data or FIN after its side's FIN", i);
		ck_assert_msg(k->seq == next[k->dir], "packet %zu: seq %u, want %u",
			      i, k->seq, next[k->dir]);
		if (k->flags & PKT_ACK)
			ck_assert_msg(k->ack == next[1 - k->dir],
				      "packet %zu: ack %u, want %u", i, k->ack,
				      next[1 - k->dir]);
		ck_assert_uint_le(k->len, k->family == 4 ? CAPCASE_MSS
							 : CAPCASE_MSS6);
		next[k->dir] += k->len;
		if (k->flags & (PKT_SYN | PKT_FIN))
			next[k->dir]++;
		if (k->flags & PKT_FIN)
			fin[k->dir] = 1;
		if (k->flags & PKT_RST)
			rst = 1;
		if (i > 0)
			ck_assert_msg(k->ts.sec > b->p[i - 1].ts.sec ||
					      (k->ts.sec == b->p[i - 1].ts.sec &&
					       k->ts.nsec >= b->p[i - 1].ts.nsec),
				      "packet %zu goes back in time", i);
	}
	return 3;
}

/* The capture of c and l in memory, read back. */
static void write_read(struct back *b, const struct capcase_conn *c,
		       const struct wlog *l, uint64_t max, int *truncated,
		       uint64_t *written, size_t *filelen)
{
	char *mem = NULL;
	size_t mlen = 0;
	FILE *f = open_memstream(&mem, &mlen);
	ck_assert_ptr_nonnull(f);
	int rc = capcase_write(f, c, l->wire, l->recs, l->n, max, truncated,
			       written);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(fclose(f), 0);
	if (written != NULL)
		ck_assert_uint_eq(*written, mlen);
	if (filelen != NULL)
		*filelen = mlen;
	read_back(b, (uint8_t *)mem, mlen, &c->client);
	free(mem);
}

static struct cap_time plus(struct cap_time t, int64_t ns)
{
	int64_t total = (int64_t)t.nsec + ns;
	struct cap_time r = {t.sec + total / 1000000000,
			     (uint32_t)(total % 1000000000)};
	return r;
}

#define ck_assert_time(a, b)                                              \
	do {                                                              \
		ck_assert_int_eq((a).sec, (b).sec);                       \
		ck_assert_uint_eq((a).nsec, (b).nsec);                    \
	} while (0)

/* The frames of the standard log, in the order they complete. */
static void check_standard_frames(const struct back *b,
				  const struct capcase_conn *c)
{
	static const struct {
		int dir;
		uint8_t opcode, masked;
		uint64_t len;
		int64_t t_ns;
	} want[] = {
		{DIS_C2S, WSP_OP_TEXT, 1, 5, 3000000},
		{DIS_S2C, WSP_OP_TEXT, 0, 5, 4000000},
		{DIS_C2S, WSP_OP_BINARY, 1, BIG, 5000000},
		{DIS_S2C, WSP_OP_BINARY, 0, BIG, 6500000},
		{DIS_C2S, WSP_OP_CLOSE, 1, 2, 7000000},
		{DIS_S2C, WSP_OP_CLOSE, 0, 2, 7500000},
	};
	ck_assert_uint_eq(b->nfr, 6);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(b->fr[i].dir, want[i].dir);
		ck_assert_uint_eq(b->fr[i].opcode, want[i].opcode);
		ck_assert_uint_eq(b->fr[i].masked, want[i].masked);
		ck_assert_uint_eq(b->fr[i].len, want[i].len);
		ck_assert_uint_eq(b->fr[i].received, want[i].len);
		ck_assert_time(b->fr[i].t, plus(c->start, want[i].t_ns));
	}
	ck_assert_uint_eq(b->gaps, 0);
	ck_assert_uint_eq(b->violations, 0);
	ck_assert_uint_eq(b->sessions, 1);
}

/* Each direction's payload bytes are the log's, in order. */
static void check_bytes(const struct back *b, const struct wlog *l, int we_client)
{
	for (int side = 0; side < 2; side++) {
		/* side: 0 client, 1 server; log dir 0 is wsprobe's */
		int ldir = we_client ? side : 1 - side;
		ck_assert_uint_eq(b->dlen[side], l->dirlen[ldir]);
		size_t off = 0;
		for (size_t i = 0; i < l->n; i++) {
			if (l->recs[i].dir != ldir)
				continue;
			ck_assert(memcmp(b->data[side] + off,
					 l->wire + l->recs[i].off,
					 l->recs[i].len) == 0);
			off += l->recs[i].len;
		}
	}
}

/* ------------------------------------------------------------------------
 * Tests
 */

/* The whole session, wsprobe the client, the server closing TCP first
 * (RFC 6455 section 7.1.1): handshake, seq/ack, bytes, timestamps,
 * frames, the big write in segments, the split read, FIN both ways. */
START_TEST(rfc6455_client_session_is_a_faithful_capture)
{
	struct wlog l;
	standard_log(&l, 1);
	struct capcase_conn c;
	conn_std(&c, 1);
	struct back b;
	int tr = -1;
	uint64_t written = 0;
	write_read(&b, &c, &l, 0, &tr, &written, NULL);
	ck_assert_int_eq(tr, 0);
	ck_assert_int_eq(b.end_rc, 0);
	ck_assert_uint_eq(b.linktype, CAP_LT_EN10MB);
	ck_assert_uint_eq(b.snaplen, CAPCASE_SNAPLEN);
	ck_assert_int_eq(b.nsec, 1);
	check_tcp(&b, c.isn_client, c.isn_server);
	check_bytes(&b, &l, 1);
	check_standard_frames(&b, &c);
	/* The handshake at the first byte's time: start + 1 us. */
	ck_assert_time(b.p[0].ts, plus(c.start, 1000));
	ck_assert_int_eq(b.p[0].ts.sec, 1700000001);
	ck_assert_uint_eq(b.p[0].ts.nsec, 0);
	/* The packets: 3 handshake; per record its segments and one ACK:
	 * 1 + 1 + 1 + 1 + 4 (200014 bytes) + 2 (70000) + 2 (130010) + 1 + 1
	 * segments and 9 ACKs; then FIN, FIN, ACK. */
	ck_assert_uint_eq(b.n, 3 + 14 + 9 + 3);
	/* The 200014-byte write: 3 full segments and the rest, same time. */
	size_t i = 3 + 2 * 4; /* after the request, response, texts + ACKs */
	ck_assert_int_eq(b.p[i].dir, 0);
	ck_assert_uint_eq(b.p[i].len, CAPCASE_MSS);
	ck_assert_uint_eq(b.p[i + 3].len, BIG + 14 - 3 * CAPCASE_MSS);
	ck_assert_uint_eq(b.p[i + 3].flags, PKT_ACK | PKT_PSH);
	ck_assert_time(b.p[i + 3].ts, plus(c.start, 5000000));
	ck_assert_int_eq(b.p[i + 4].dir, 1);
	ck_assert_uint_eq(b.p[i + 4].len, 0);
	/* The ending: the server's FIN, ours, the server's ACK. */
	const struct pk *e = &b.p[b.n - 3];
	ck_assert_int_eq(e[0].dir, 1);
	ck_assert_uint_eq(e[0].flags, PKT_FIN | PKT_ACK);
	ck_assert_int_eq(e[1].dir, 0);
	ck_assert_uint_eq(e[1].flags, PKT_FIN | PKT_ACK);
	ck_assert_int_eq(e[2].dir, 1);
	ck_assert_uint_eq(e[2].flags, PKT_ACK);
	ck_assert_time(e[0].ts, plus(c.start, 8000000));
	back_free(&b);
	wlog_free(&l);
}
END_TEST

/* wsprobe the server with a lingering close (sess.c finish_tcp): its FIN
 * goes out at 7.2 ms, before the client's Close at 7.5 ms, which then
 * acknowledges the FIN; the client's FIN comes last. */
START_TEST(rfc6455_7_1_1_server_fin_before_the_peers_last_bytes)
{
	struct wlog l;
	standard_log(&l, 0);
	/* wsprobe (the server) sends the first Close here, at 7 ms, and the
	 * client answers at 7.5 ms: swap the last two records. */
	struct sess_wire_rec t = l.recs[l.n - 2];
	l.recs[l.n - 2] = l.recs[l.n - 1];
	l.recs[l.n - 1] = t;
	l.recs[l.n - 2].t_ns = 7000000;
	l.recs[l.n - 1].t_ns = 7500000;
	struct capcase_conn c;
	conn_std(&c, 0);
	c.end.peer_first = 0;
	c.end.our_fin_ns = 7200000;
	c.end.peer_end_ns = 8000000;
	struct back b;
	int tr = -1;
	write_read(&b, &c, &l, 0, &tr, NULL, NULL);
	ck_assert_int_eq(tr, 0);
	check_tcp(&b, c.isn_client, c.isn_server);
	check_bytes(&b, &l, 0);
	/* The server (wsprobe) FIN comes right after its Close, at 7.2 ms. */
	size_t fin = b.n;
	for (size_t i = 0; i < b.n && fin == b.n; i++)
		if (b.p[i].flags & PKT_FIN)
			fin = i;
	ck_assert_uint_lt(fin, b.n);
	ck_assert_int_eq(b.p[fin].dir, 1);
	ck_assert_time(b.p[fin].ts, plus(c.start, 7200000));
	/* Then the client's ACK of it, then its Close frame (data after
	 * the server's FIN is the client's), its FIN, our ACK. */
	ck_assert_int_eq(b.p[fin + 1].dir, 0);
	ck_assert_uint_eq(b.p[fin + 1].len, 0);
	ck_assert_int_eq(b.p[fin + 2].dir, 0);
	ck_assert_uint_gt(b.p[fin + 2].len, 0);
	ck_assert_time(b.p[fin + 2].ts, plus(c.start, 7500000));
	ck_assert_uint_eq(b.n, fin + 6);
	ck_assert_uint_eq(b.p[fin + 4].flags, PKT_FIN | PKT_ACK);
	ck_assert_int_eq(b.p[fin + 4].dir, 0);
	ck_assert_int_eq(b.p[fin + 5].dir, 1);
	ck_assert_uint_eq(b.p[fin + 5].flags, PKT_ACK);
	/* The frames: the client's are masked, in both roles. */
	ck_assert_uint_eq(b.nfr, 6);
	ck_assert_uint_eq(b.fr[0].masked, 1);
	ck_assert_uint_eq(b.fr[1].masked, 0);
	ck_assert_uint_eq(b.gaps, 0);
	ck_assert_uint_eq(b.violations, 0);
	back_free(&b);
	wlog_free(&l);
}
END_TEST

/* How the connection ended, each way capcase_conn describes. */
static const struct {
	const char *name;
	int64_t our_fin_ns;
	int peer_end, peer_first;
	/* The packets after the last data ACK: side (0 wsprobe) and flags. */
	size_t n;
	int side[4];
	uint8_t flags[4];
} endings[] = {
	{"peer FIN first", 8000000, 1, 1, 3, {1, 0, 1},
	 {PKT_FIN | PKT_ACK, PKT_FIN | PKT_ACK, PKT_ACK}},
	{"our FIN first", 8000000, 1, 0, 4, {0, 1, 1, 0},
	 {PKT_FIN | PKT_ACK, PKT_ACK, PKT_FIN | PKT_ACK, PKT_ACK}},
	{"peer RST", -1, 2, 1, 1, {1}, {PKT_RST | PKT_ACK}},
	{"our FIN, then peer RST", 8000000, 2, 0, 2, {0, 1},
	 {PKT_FIN | PKT_ACK, PKT_RST | PKT_ACK}},
	{"our FIN, peer silent", 8000000, 0, 0, 1, {0}, {PKT_FIN | PKT_ACK}},
	{"still open", -1, 0, 0, 0, {0}, {0}},
};

START_TEST(rfc9293_every_ending_as_it_happened)
{
	struct wlog l;
	standard_log(&l, 1);
	struct capcase_conn c;
	conn_std(&c, 1);
	c.end.our_fin_ns = endings[_i].our_fin_ns;
	c.end.peer_end = endings[_i].peer_end;
	c.end.peer_first = endings[_i].peer_first;
	c.end.peer_end_ns = 9000000;
	struct back b;
	int tr = -1;
	write_read(&b, &c, &l, 0, &tr, NULL, NULL);
	ck_assert_int_eq(tr, 0);
	check_tcp(&b, c.isn_client, c.isn_server);
	check_standard_frames(&b, &c);
	size_t data_end = 3 + 14 + 9;
	ck_assert_msg(b.n == data_end + endings[_i].n, "%s: %zu packets",
		      endings[_i].name, b.n);
	for (size_t k = 0; k < endings[_i].n; k++) {
		const struct pk *p = &b.p[data_end + k];
		ck_assert_msg(p->dir == endings[_i].side[k] &&
				      p->flags == endings[_i].flags[k],
			      "%s: packet %zu: side %d flags %#x", endings[_i].name,
			      k, p->dir, p->flags);
	}
	back_free(&b);
	wlog_free(&l);
}
END_TEST

/* IPv6 endpoints are drawn as IPv6, and everything else holds. */
START_TEST(ipv6_endpoints)
{
	struct wlog l;
	standard_log(&l, 1);
	struct capcase_conn c;
	conn_std(&c, 1);
	ep6(&c.client, 1, 50000);
	ep6(&c.server, 2, 443);
	struct back b;
	int tr = -1;
	write_read(&b, &c, &l, 0, &tr, NULL, NULL);
	for (size_t i = 0; i < b.n; i++)
		ck_assert_uint_eq(b.p[i].family, 6);
	check_tcp(&b, c.isn_client, c.isn_server);
	check_bytes(&b, &l, 1);
	check_standard_frames(&b, &c);
	back_free(&b);
	/* Families that differ, or an empty log, are refused. */
	ep4(&c.server, 2, 80);
	FILE *f = fopen("/dev/null", "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(capcase_write(f, &c, l.wire, l.recs, l.n, 0, &tr, NULL),
			 WSP_E_INVAL);
	ep6(&c.server, 2, 443);
	ck_assert_int_eq(capcase_write(f, &c, l.wire, l.recs, 0, 0, &tr, NULL),
			 WSP_E_INVAL);
	fclose(f);
	wlog_free(&l);
}
END_TEST

/* The bound: the file never exceeds it, the cut is a whole segment (the
 * file reads to a clean end), nothing follows the cut (no FIN), and a
 * bound the file fits exactly is no cut. */
static const uint64_t bounds[] = {24, 100, 1000, 70000, 150000, 300000};

START_TEST(capture_bound_cuts_between_segments)
{
	struct wlog l;
	standard_log(&l, 1);
	struct capcase_conn c;
	conn_std(&c, 1);
	struct back b;
	int tr = 0;
	uint64_t full = 0;
	write_read(&b, &c, &l, 0, &tr, &full, NULL);
	size_t nfull = b.n;
	back_free(&b);
	uint64_t max = bounds[_i];
	size_t flen = 0;
	write_read(&b, &c, &l, max, &tr, NULL, &flen);
	ck_assert_int_eq(tr, 1);
	ck_assert_uint_le(flen, max);
	ck_assert_uint_ge(flen, 24);
	ck_assert_int_eq(b.end_rc, 0);
	ck_assert_uint_lt(b.n, nfull);
	for (size_t i = 0; i < b.n; i++)
		ck_assert_uint_eq(b.p[i].flags & (PKT_FIN | PKT_RST), 0);
	if (b.n >= 3)
		check_tcp(&b, c.isn_client, c.isn_server);
	ck_assert_uint_eq(b.gaps, 0);
	back_free(&b);
	/* Exactly the full size: not cut. */
	write_read(&b, &c, &l, full, &tr, NULL, &flen);
	ck_assert_int_eq(tr, 0);
	ck_assert_uint_eq(flen, full);
	ck_assert_uint_eq(b.n, nfull);
	back_free(&b);
	write_read(&b, &c, &l, full - 1, &tr, NULL, &flen);
	ck_assert_int_eq(tr, 1);
	back_free(&b);
	wlog_free(&l);
}
END_TEST

/* capcase_conn_from_sess: what sess.c recorded becomes the ending. */
static const struct {
	enum net_end end;
	int64_t shut_ns, closed_ns;
	int64_t want_our_fin;
	int want_peer_end, want_peer_first;
} from_sess[] = {
	{NET_END_FIN, -1, 900, 900, 1, 1},        /* peer closed, we followed */
	{NET_END_TLS_CLOSE_NOTIFY, -1, 900, 900, 1, 1},
	{NET_END_TLS_EOF, -1, 900, 900, 1, 1},
	{NET_END_FIN, 800, 900, 800, 1, 0},       /* lingering close */
	{NET_END_RESET, -1, 900, -1, 2, 1},       /* peer reset */
	{NET_END_RESET, 800, 900, 800, 2, 0},     /* our FIN, then RST */
	{NET_END_OPEN, -1, 900, 900, 0, 0},       /* we dropped it */
	{NET_END_OPEN, 800, 900, 800, 0, 0},      /* lingered in vain */
	{NET_END_TLS_ERROR, -1, 900, 900, 0, 0},
};

START_TEST(sess_facts_become_the_ending)
{
	static struct sess s; /* large: not on the stack */
	memset(&s, 0, sizeof(s));
	struct sess_wire_rec r = {500, 0, 0, 1};
	uint8_t byte = 'x';
	s.wire = &byte;
	s.recs = &r;
	s.nrecs = 1;
	s.cfg.role = WSP_ROLE_SERVER;
	s.cfg.seed = 0x1122334455667788ull;
	s.end = from_sess[_i].end;
	s.tcp.known = 1;
	s.tcp.family = 6;
	s.tcp.local[15] = 1;
	s.tcp.peer[15] = 2;
	s.tcp.local_port = 9201;
	s.tcp.peer_port = 40000;
	s.tcp.wall0_ns = 1700000000123456789;
	s.tcp.shut_ns = from_sess[_i].shut_ns;
	s.tcp.closed_ns = from_sess[_i].closed_ns;
	struct capcase_conn c;
	ck_assert_int_eq(capcase_conn_from_sess(&c, &s), 0);
	ck_assert_int_eq(c.end.our_fin_ns, from_sess[_i].want_our_fin);
	ck_assert_int_eq(c.end.peer_end, from_sess[_i].want_peer_end);
	ck_assert_int_eq(c.end.peer_first, from_sess[_i].want_peer_first);
	ck_assert_int_eq(c.end.peer_end_ns, 900);
	/* A server: the peer is the client. */
	ck_assert_int_eq(c.we_client, 0);
	ck_assert_uint_eq(c.client.port, 40000);
	ck_assert_uint_eq(c.client.addr[15], 2);
	ck_assert_uint_eq(c.server.port, 9201);
	ck_assert_uint_eq(c.server.family, 6);
	ck_assert_int_eq(c.start.sec, 1700000000);
	ck_assert_uint_eq(c.start.nsec, 123456789);
	ck_assert_uint_eq(c.isn_client, 0x55667788u);
	ck_assert_uint_eq(c.isn_server, 0x11223344u);
	/* No endpoints: nothing to draw. */
	s.tcp.known = 0;
	ck_assert_int_eq(capcase_conn_from_sess(&c, &s), WSP_E_INVAL);
}
END_TEST

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* capcase_save: DIR/pcap/[SUBDIR/]ID.pcap with a safe name, the result
 * fields set, no temporary file left, a second save replacing the
 * first, and a session that never connected writing nothing. */
START_TEST(save_writes_the_file_under_its_final_name)
{
	char dir[] = "/tmp/check_capcase.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct wlog l;
	standard_log(&l, 1);
	static struct sess s;
	memset(&s, 0, sizeof(s));
	s.wire = l.wire;
	s.recs = l.recs;
	s.nrecs = l.n;
	s.cfg.role = WSP_ROLE_CLIENT;
	s.end = NET_END_FIN;
	s.tcp.known = 1;
	s.tcp.family = 4;
	s.tcp.local[0] = 127;
	s.tcp.local[3] = 1;
	s.tcp.peer[0] = 127;
	s.tcp.peer[3] = 1;
	s.tcp.local_port = 40000;
	s.tcp.peer_port = 9201;
	s.tcp.wall0_ns = 1700000000000000000;
	s.tcp.shut_ns = -1;
	s.tcp.closed_ns = 8000000;
	struct capcase_opts o;
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	struct res_case out;
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(capcase_save(&o, "1.2/../x y", &s, &out), 0);
	ck_assert_str_eq(out.pcap, "pcap/1.2_.._x_y.pcap");
	ck_assert_int_eq(out.pcap_truncated, 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/pcap", dir);
	ck_assert_uint_eq(count_entries(path), 1);
	snprintf(path, sizeof(path), "%s/%s", dir, out.pcap);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct back b;
	struct capw_ep client;
	ep4(&client, 1, 40000);
	read_back(&b, buf, n, &client);
	ck_assert_int_eq(b.end_rc, 0);
	struct capcase_conn c;
	ck_assert_int_eq(capcase_conn_from_sess(&c, &s), 0);
	check_tcp(&b, c.isn_client, c.isn_server);
	check_bytes(&b, &l, 1);
	check_standard_frames(&b, &c);
	back_free(&b);
	/* Again, with a bound and an agent folder: replaced, cut, marked. */
	o.subdir = "ws://a";
	o.max_bytes = 2000;
	res_case_free(&out);
	ck_assert_int_eq(capcase_save(&o, "1.1.1", &s, &out), 0);
	ck_assert_str_eq(out.pcap, "pcap/ws___a/1.1.1.pcap");
	ck_assert_int_eq(out.pcap_truncated, 1);
	ck_assert_int_eq(atomic_load(&o.warned), 1);
	snprintf(path, sizeof(path), "%s/%s", dir, out.pcap);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, 2000);
	snprintf(path, sizeof(path), "%s/pcap/ws___a", dir);
	ck_assert_uint_eq(count_entries(path), 1);
	/* Server role: the first agent's captures in pcap/, a later
	 * agent's in pcap/AGENT/, the first one's again in pcap/. */
	struct capcase_opts so;
	memset(&so, 0, sizeof(so));
	so.dir = dir;
	static const struct {
		const char *agent, *want;
	} agents[] = {
		{"ws", "pcap/3.1.pcap"},
		{"py websockets", "pcap/py_websockets/3.1.pcap"},
		{"ws", "pcap/3.1.pcap"},
	};
	for (size_t i = 0; i < 3; i++) {
		so.agent = agents[i].agent;
		res_case_free(&out);
		ck_assert_int_eq(capcase_save(&so, "3.1", &s, &out), 0);
		ck_assert_str_eq(out.pcap, agents[i].want);
		snprintf(path, sizeof(path), "%s/%s", dir, out.pcap);
		ck_assert_int_eq(stat(path, &st), 0);
	}
	/* A session that never carried a byte: nothing. */
	snprintf(path, sizeof(path), "%s/pcap/ws___a", dir);
	res_case_free(&out);
	s.tcp.known = 0;
	ck_assert_int_eq(capcase_save(&o, "2.1", &s, &out), 0);
	ck_assert_ptr_null(out.pcap);
	ck_assert_uint_eq(count_entries(path), 1);
	/* An unwritable folder: an error, no field. */
	s.tcp.known = 1;
	o.dir = "/proc/version";
	ck_assert_int_eq(capcase_save(&o, "2.1", &s, &out), WSP_E_PCAP_IO);
	ck_assert_ptr_null(out.pcap);
	res_case_free(&out);
	/* Clean up. */
	tl_rm_rf(dir);
	wlog_free(&l);
}
END_TEST

/* The wire log bound a --pcap run asks the session for. */
START_TEST(wirelog_keeps_what_the_capture_may_hold)
{
	struct capcase_opts o;
	memset(&o, 0, sizeof(o));
	ck_assert_uint_eq(capcase_wirelog_max(&o), (size_t)256 << 20);
	o.max_bytes = 4096;
	ck_assert_uint_eq(capcase_wirelog_max(&o), (size_t)64 << 20);
	o.max_bytes = (uint64_t)1 << 30;
	ck_assert_uint_eq(capcase_wirelog_max(&o), (size_t)1 << 30);
}
END_TEST

/* results.json: "pcap" and "pcap_truncated" written only with a capture,
 * read back, and index.html links it. */
static void one_case_run(struct res_run *r, const char *pcap, int truncated)
{
	ck_assert_int_eq(res_run_init(r, "0.1.0", 7), 0);
	struct res_agent *a = res_add_agent(r, "x", "server", "ws://h/");
	ck_assert_ptr_nonnull(a);
	struct res_case *c = res_add_case(a);
	ck_assert_ptr_nonnull(c);
	res_set_str(&c->id, "1.1.1");
	res_set_str(&c->pcap, pcap);
	c->pcap_truncated = truncated;
	res_count(a);
}

START_TEST(results_json_and_html_carry_the_capture)
{
	struct res_run r, back;
	char *text, *html, err[256];
	size_t len, hlen;
	one_case_run(&r, "pcap/1.1.1.pcap", 1);
	ck_assert_int_eq(rep_json_render(&r, &text, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"pcap\": \"pcap/1.1.1.pcap\""));
	ck_assert_ptr_nonnull(strstr(text, "\"pcap_truncated\": true"));
	ck_assert_int_eq(rep_json_parse(&back, text, len, err, sizeof(err)), 0);
	ck_assert_str_eq(back.agents[0].cases[0].pcap, "pcap/1.1.1.pcap");
	ck_assert_int_eq(back.agents[0].cases[0].pcap_truncated, 1);
	ck_assert_int_eq(rep_html_render(&back, &html, &hlen), 0);
	ck_assert_ptr_nonnull(strstr(html, "<a href=\"pcap/1.1.1.pcap\" download>"));
	free(html);
	res_free(&back);
	free(text);
	res_free(&r);
	/* Without a capture: neither key, and no link. */
	one_case_run(&r, NULL, 0);
	ck_assert_int_eq(rep_json_render(&r, &text, &len), 0);
	ck_assert_ptr_null(strstr(text, "\"pcap"));
	ck_assert_int_eq(rep_html_render(&r, &html, &hlen), 0);
	ck_assert_ptr_null(strstr(html, "href=\"pcap/"));
	free(html);
	free(text);
	res_free(&r);
}
END_TEST

/* A results.json from elsewhere cannot make index.html link outside the
 * report folder or to another scheme. */
static const struct {
	const char *path;
	int ok;
} paths[] = {
	{"pcap/1.1.1.pcap", 1},
	{"pcap/agent-1/9.1.6.pcap", 1},
	{"pcap/_../x.pcap", 1},
	{"pcap/../x.pcap", 0},
	{"pcap/./x.pcap", 0},
	{"pcap/a/b/x.pcap", 0},
	{"pcap//x.pcap", 0},
	{"pcap/x.txt", 0},
	{"pcap/.pcap", 0},
	{"javascript:alert(1)//pcap/x.pcap", 0},
	{"/etc/pcap/x.pcap", 0},
	{"pcap/x y.pcap", 0},
	{"pcap/x\".pcap", 0},
	{"pcap/x.pcap/", 0},
};

START_TEST(results_json_pcap_path_is_checked)
{
	struct res_run r, back;
	char *text, err[256];
	size_t len;
	one_case_run(&r, paths[_i].path, 0);
	ck_assert_int_eq(rep_json_render(&r, &text, &len), 0);
	int rc = rep_json_parse(&back, text, len, err, sizeof(err));
	if (paths[_i].ok) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(back.agents[0].cases[0].pcap, paths[_i].path);
	} else {
		ck_assert_int_eq(rc, WSP_E_INVAL);
		ck_assert_ptr_nonnull(strstr(err, "\"pcap\" must be a path"));
	}
	res_free(&back);
	free(text);
	res_free(&r);
}
END_TEST

/* --- live: run_client --pcap against the echo server in a thread ---- */

/* The whole path: sess.c takes the socket's endpoints and its closing
 * times, run_play saves the capture, results name it.  Against the echo
 * server wsprobe is the client and the server closes TCP first
 * (R6455-5.5.1-12): its FIN, then ours. */
START_TEST(live_run_writes_real_endpoints_times_and_ending)
{
	struct tl_echo e;
	tl_echo_start(&e, NULL, NULL);
	char dir[] = "/tmp/check_capcase_live.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char url[64], err[256];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", e.port);
	struct capcase_opts pc;
	memset(&pc, 0, sizeof(pc));
	pc.dir = dir;
	static struct run_select sel = {.include = {"1.1.1"}, .ninclude = 1};
	struct run_client_opts o;
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.jobs = 1;
	o.seed = 42;
	o.sel = &sel;
	o.pcap = &pc;
	struct res_run r;
	ck_assert_int_eq(res_run_init(&r, "test", 42), 0);
	int64_t before = capcase_wall_now_ns();
	ck_assert_int_eq(run_client(&o, &r, err, sizeof(err)), 0);
	int64_t after = capcase_wall_now_ns();
	tl_echo_stop(&e);
	ck_assert_uint_eq(r.agents[0].ncases, 1);
	const struct res_case *c = &r.agents[0].cases[0];
	ck_assert_int_eq(c->verdict, VD_OK);
	ck_assert_str_eq(c->pcap, "pcap/1.1.1.pcap");
	ck_assert_int_eq(c->pcap_truncated, 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, c->pcap);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* The first packet, the client's SYN: the real endpoints. */
	static uint8_t copy[sizeof(buf)];
	memcpy(copy, buf, n);
	struct cap_reader rd;
	cap_reader_init(&rd);
	size_t off = 0, need;
	struct cap_pkt p;
	p.data = NULL;
	while (p.data == NULL) {
		int rc = cap_next(&rd, copy + off, n - off, &p, &need);
		ck_assert_int_gt(rc, 0);
		off += (size_t)rc;
	}
	struct pkt_tcp t;
	ck_assert_int_eq(pkt_decode(p.linktype, p.data, p.caplen, p.origlen, &t),
			 PKT_TCP);
	ck_assert_uint_eq(t.dport, e.port);
	ck_assert_uint_ne(t.sport, 0);
	ck_assert_uint_eq(t.family, 4);
	ck_assert(memcmp(t.src, "\x7f\0\0\1", 4) == 0);
	ck_assert(memcmp(t.dst, "\x7f\0\0\1", 4) == 0);
	struct capw_ep client;
	ep4(&client, 1, t.sport);
	struct back b;
	read_back(&b, buf, n, &client);
	ck_assert_int_eq(b.end_rc, 0);
	check_tcp(&b, (uint32_t)run_case_seed(42, "1.1.1"),
		  (uint32_t)(run_case_seed(42, "1.1.1") >> 32));
	/* Every packet at a real time, within the run. */
	for (size_t i = 0; i < b.n; i++) {
		int64_t ns = b.p[i].ts.sec * 1000000000 + b.p[i].ts.nsec;
		ck_assert(ns >= before && ns <= after);
	}
	/* 1.1.1: an empty text message and its echo, then the closes. */
	ck_assert_uint_eq(b.nfr, 4);
	ck_assert_uint_eq(b.fr[0].opcode, WSP_OP_TEXT);
	ck_assert_uint_eq(b.fr[0].masked, 1);
	ck_assert_uint_eq(b.fr[1].opcode, WSP_OP_TEXT);
	ck_assert_uint_eq(b.fr[3].opcode, WSP_OP_CLOSE);
	ck_assert_uint_eq(b.violations, 0);
	ck_assert_uint_eq(b.gaps, 0);
	/* The server's FIN, ours, its ACK. */
	ck_assert_int_eq(b.p[b.n - 3].dir, 1);
	ck_assert_uint_eq(b.p[b.n - 3].flags, PKT_FIN | PKT_ACK);
	ck_assert_int_eq(b.p[b.n - 2].dir, 0);
	ck_assert_uint_eq(b.p[b.n - 2].flags, PKT_FIN | PKT_ACK);
	back_free(&b);
	res_free(&r);
	tl_rm_rf(dir);
}
END_TEST

Suite *capcase_suite(void)
{
	Suite *s = suite_create("capcase");
	TCase *tc = tcase_create("issue6_1_per_case_captures");
	tcase_add_test(tc, rfc6455_client_session_is_a_faithful_capture);
	tcase_add_test(tc, rfc6455_7_1_1_server_fin_before_the_peers_last_bytes);
	tcase_add_loop_test(tc, rfc9293_every_ending_as_it_happened, 0,
			    (int)(sizeof(endings) / sizeof(endings[0])));
	tcase_add_test(tc, ipv6_endpoints);
	tcase_add_loop_test(tc, capture_bound_cuts_between_segments, 0,
			    (int)(sizeof(bounds) / sizeof(bounds[0])));
	tcase_add_loop_test(tc, sess_facts_become_the_ending, 0,
			    (int)(sizeof(from_sess) / sizeof(from_sess[0])));
	tcase_add_test(tc, save_writes_the_file_under_its_final_name);
	tcase_add_test(tc, wirelog_keeps_what_the_capture_may_hold);
	tcase_add_test(tc, results_json_and_html_carry_the_capture);
	tcase_add_loop_test(tc, results_json_pcap_path_is_checked, 0,
			    (int)(sizeof(paths) / sizeof(paths[0])));
	tcase_add_test(tc, live_run_writes_real_endpoints_times_and_ending);
	suite_add_tcase(s, tc);
	return s;
}
