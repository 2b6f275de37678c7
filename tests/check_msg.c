/*
 * check_msg.c: the message layer (proto/msg.h).
 *
 * Streams are built with wsf_encode and fed through msg_feed; a recorder
 * keeps every event (for exact assertions) and a canonical text log in
 * which consecutive DATA slices of a message are merged, so that chunk
 * schedules can be compared: any chunking must give the same log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "msg.h"
#include "wsf.h"
#include "wsp_err.h"

/* ck_assert records its location through a pipe on every call; in loops
 * that run per byte or per event only a failure should cost anything. */
#define HOT_CHECK(cond)                                            \
	do {                                                       \
		if (!(cond))                                       \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* --------------------------------------------------------------------------
 * Stream builder
 */

#define SB_MAX_FRAMES 256

struct sb {
	uint8_t *buf;
	size_t len, cap;
	size_t nframes;
	size_t start[SB_MAX_FRAMES];   /* offset of each frame */
	size_t hdr_end[SB_MAX_FRAMES]; /* offset just after its header */
	size_t end[SB_MAX_FRAMES];     /* offset just after its payload */
};

static void sb_init(struct sb *s)
{
	memset(s, 0, sizeof(*s));
	s->cap = 1024;
	s->buf = malloc(s->cap);
	ck_assert_ptr_nonnull(s->buf);
}

static void sb_free(struct sb *s)
{
	free(s->buf);
	s->buf = NULL;
}

/* Appends a frame announcing announce bytes and carrying n bytes of p. */
static void sb_frame_ex(struct sb *s, int fin, int rsv, int op, int masked,
			uint64_t announce, const void *p, size_t n)
{
	while (s->cap - s->len < n + WSF_MAX_HEADER) {
		s->cap *= 2;
		s->buf = realloc(s->buf, s->cap);
		ck_assert_ptr_nonnull(s->buf);
	}
	struct wsf_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = (uint8_t)fin;
	f.rsv = (uint8_t)rsv;
	f.opcode = (uint8_t)op;
	f.masked = (uint8_t)masked;
	f.mask_key[0] = 0x37;
	f.mask_key[1] = 0xfa;
	f.mask_key[2] = 0x21;
	f.mask_key[3] = 0x3d;
	f.len_form = WSF_LEN_AUTO;
	f.payload_len = announce;
	ssize_t r = wsf_encode(s->buf + s->len, s->cap - s->len, &f, p, n);
	ck_assert_int_gt(r, 0);
	ck_assert_uint_lt(s->nframes, SB_MAX_FRAMES);
	s->start[s->nframes] = s->len;
	s->hdr_end[s->nframes] = s->len + (size_t)r - n;
	s->len += (size_t)r;
	s->end[s->nframes] = s->len;
	s->nframes++;
}

static void sb_frame(struct sb *s, int fin, int rsv, int op, const void *p,
		     size_t n)
{
	sb_frame_ex(s, fin, rsv, op, 0, n, p, n);
}

static void sb_str(struct sb *s, int fin, int rsv, int op, const char *str)
{
	sb_frame(s, fin, rsv, op, str, strlen(str));
}

/* --------------------------------------------------------------------------
 * Event recorder
 */

#define REC_MAX 512
#define REC_DATA 256

struct rev {
	enum msg_event_type type;
	uint64_t frame, frame_pos, message, offset, size;
	uint8_t opcode, compressed, first, last, aborted, truncated;
	int code;
	const char *req;
	int has_code;
	unsigned close_code;
	size_t reason_len;
	size_t len;      /* full length reported */
	uint8_t data[REC_DATA]; /* first bytes of it */
	int data_null;
};

struct rec {
	struct rev ev[REC_MAX];
	size_t n;        /* events seen (may exceed REC_MAX) */
	char *log;       /* canonical text */
	size_t loglen, logcap;
	/* DATA being merged */
	int pend;
	uint64_t pmsg, poff, plen, phash;
	uint8_t pop, pcomp, pfirst, plast;
	size_t nviol;
	size_t ndata_bytes;
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->logcap = 4096;
	r->log = malloc(r->logcap);
	ck_assert_ptr_nonnull(r->log);
	r->log[0] = '\0';
}

static void rec_free(struct rec *r)
{
	free(r->log);
	r->log = NULL;
}

static void rec_line(struct rec *r, const char *line)
{
	size_t n = strlen(line);
	while (r->logcap - r->loglen <= n) {
		r->logcap *= 2;
		r->log = realloc(r->log, r->logcap);
		ck_assert_ptr_nonnull(r->log);
	}
	memcpy(r->log + r->loglen, line, n + 1);
	r->loglen += n;
}

static void rec_flush(struct rec *r)
{
	if (!r->pend)
		return;
	char line[200];
	snprintf(line, sizeof(line),
		 "DATA m=%llu op=%u c=%u first=%u last=%u off=%llu len=%llu "
		 "h=%016llx\n",
		 (unsigned long long)r->pmsg, r->pop, r->pcomp, r->pfirst,
		 r->plast, (unsigned long long)r->poff,
		 (unsigned long long)r->plen, (unsigned long long)r->phash);
	rec_line(r, line);
	r->pend = 0;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void rec_cb(const struct msg_event *e, void *user)
{
	struct rec *r = user;
	if (r->n < REC_MAX) {
		struct rev *v = &r->ev[r->n];
		memset(v, 0, sizeof(*v));
		v->type = e->type;
		v->frame = e->frame;
		v->frame_pos = e->frame_pos;
		v->message = e->message;
		v->offset = e->offset;
		v->size = e->size;
		v->opcode = e->opcode;
		v->compressed = e->compressed;
		v->first = e->first;
		v->last = e->last;
		v->aborted = e->aborted;
		v->truncated = e->truncated;
		v->code = e->code;
		v->req = e->req;
		v->has_code = e->close.has_code;
		v->close_code = e->close.code;
		v->reason_len = e->close.reason_len;
		v->len = e->len;
		v->data_null = e->data == NULL;
		if (e->data != NULL)
			memcpy(v->data, e->data,
			       e->len < REC_DATA ? e->len : REC_DATA);
	}
	r->n++;
	HOT_CHECK(e->hdr != NULL);
	char line[300];
	switch (e->type) {
	case MSG_EV_DATA:
		HOT_CHECK(e->len == 0 || e->data != NULL);
		r->ndata_bytes += e->len;
		if (r->pend && r->pmsg == e->message &&
		    r->poff + r->plen == e->offset && !e->first) {
			r->plen += e->len;
			r->phash = fnv(r->phash, e->data, e->len);
			r->plast = e->last;
			return;
		}
		rec_flush(r);
		r->pend = 1;
		r->pmsg = e->message;
		r->pop = e->opcode;
		r->pcomp = e->compressed;
		r->pfirst = e->first;
		r->plast = e->last;
		r->poff = e->offset;
		r->plen = e->len;
		r->phash = fnv(0xcbf29ce484222325ull, e->data, e->len);
		return;
	case MSG_EV_FRAME:
		snprintf(line, sizeof(line),
			 "FRAME %llu fin=%u rsv=%u op=%u len=%llu\n",
			 (unsigned long long)e->frame, e->hdr->fin, e->hdr->rsv,
			 e->hdr->opcode,
			 (unsigned long long)e->hdr->payload_len);
		break;
	case MSG_EV_END:
		snprintf(line, sizeof(line),
			 "END m=%llu op=%u c=%u size=%llu aborted=%u trunc=%u "
			 "reasm=%zu/%016llx\n",
			 (unsigned long long)e->message, e->opcode,
			 e->compressed, (unsigned long long)e->size,
			 e->aborted, e->truncated, e->len,
			 (unsigned long long)(e->data != NULL
						      ? fnv(1, e->data, e->len)
						      : 0));
		break;
	case MSG_EV_CONTROL:
		snprintf(line, sizeof(line),
			 "CONTROL f=%llu op=%u len=%zu size=%llu trunc=%u "
			 "code=%d close=%d/%u/%zu h=%016llx\n",
			 (unsigned long long)e->frame, e->opcode, e->len,
			 (unsigned long long)e->size, e->truncated, e->code,
			 e->close.has_code, e->close.code, e->close.reason_len,
			 (unsigned long long)fnv(1, e->data, e->len));
		break;
	case MSG_EV_VIOLATION:
		r->nviol++;
		snprintf(line, sizeof(line), "VIOL f=%llu %s %s off=%llu\n",
			 (unsigned long long)e->frame, wsp_errname(e->code),
			 e->req != NULL ? e->req : "-",
			 (unsigned long long)e->offset);
		break;
	default:
		ck_abort_msg("unknown event type %d", (int)e->type);
		return;
	}
	rec_flush(r);
	rec_line(r, line);
}

/* Compares two logs; on a difference shows the lines around it rather
 * than two long strings. */
static void assert_logs_eq(const char *a, const char *b)
{
	size_t i = 0;
	while (a[i] != '\0' && a[i] == b[i])
		i++;
	if (a[i] == b[i])
		return;
	size_t from = i > 150 ? i - 150 : 0;
	ck_abort_msg("logs differ at %zu:\n...%.300s\n---\n...%.300s", i,
		     a + from, b + from);
}

static const struct rev *rec_find(const struct rec *r,
				  enum msg_event_type t, size_t nth)
{
	for (size_t i = 0; i < r->n && i < REC_MAX; i++)
		if (r->ev[i].type == t && nth-- == 0)
			return &r->ev[i];
	return NULL;
}

static size_t rec_count(const struct rec *r, enum msg_event_type t)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n && i < REC_MAX; i++)
		k += r->ev[i].type == t;
	return k;
}

/* --------------------------------------------------------------------------
 * Running a stream
 */

struct run {
	int rc;          /* the first non-zero return, or msg_finish's */
	size_t consumed; /* bytes consumed in all */
	int finish_rc;
};

/* Feeds a copy of s->buf[0..n) in the chunks c hands out; stops at the
 * first non-zero return.  Calls msg_finish when finish is set. */
static struct run run_chunked(const struct msg_config *cfg, const uint8_t *p,
			      size_t n, struct tl_chunker *c, struct rec *r,
			      int finish)
{
	struct run out = {0, 0, 0};
	struct msg_decoder m;
	ck_assert_int_eq(msg_init(&m, cfg), 0);
	uint8_t *copy = malloc(n > 0 ? n : 1);
	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	size_t i = 0;
	while (i < n) {
		size_t k = tl_chunk_next(c, n - i);
		size_t used = 12345;
		int rc = msg_feed(&m, copy + i, k, &used, rec_cb, r);
		HOT_CHECK(used <= k);
		out.consumed += used;
		if (rc != 0) {
			HOT_CHECK(m.failed == rc);
			out.rc = rc;
			break;
		}
		HOT_CHECK(used == k);
		i += k;
	}
	if (finish)
		out.finish_rc = msg_finish(&m, rec_cb, r);
	rec_flush(r);
	msg_free(&m);
	free(copy);
	return out;
}

static struct run run_all(const struct msg_config *cfg, const struct sb *s,
			  struct rec *r)
{
	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_ALL, 0);
	return run_chunked(cfg, s->buf, s->len, &c, r, 1);
}

static struct msg_config cfg_lenient(void)
{
	struct msg_config c;
	memset(&c, 0, sizeof(c));
	c.policy.sender = WSP_ROLE_ANY;
	return c;
}

static struct msg_config cfg_strict(void)
{
	struct msg_config c = cfg_lenient();
	c.strict = 1;
	return c;
}

/* --------------------------------------------------------------------------
 * RFC 6455 section 5.4 and 5.7 examples
 */

START_TEST(rfc6455_5_4_fragmented_with_control_interleaved)
{
	/* Text "Hel" FIN=0, a Ping inside, "lo" FIN=1, masked by a client:
	 * control frames may be interleaved (R6455-5.4-08). */
	struct sb s;
	sb_init(&s);
	sb_frame_ex(&s, 0, 0, WSP_OP_TEXT, 1, 3, "Hel", 3);
	sb_frame_ex(&s, 1, 0, WSP_OP_PING, 1, 5, "Hello", 5);
	sb_frame_ex(&s, 1, 0, WSP_OP_CONT, 1, 2, "lo", 2);
	uint8_t rbuf[64];
	struct msg_config cfg = cfg_strict();
	cfg.policy.sender = WSP_ROLE_CLIENT;
	cfg.reasm_buf = rbuf;
	cfg.reasm_max = sizeof(rbuf);
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_int_eq(res.finish_rc, 0);
	ck_assert_uint_eq(res.consumed, s.len);
	ck_assert_uint_eq(r.n, 7);
	static const enum msg_event_type want[] = {
		MSG_EV_FRAME, MSG_EV_DATA,    MSG_EV_FRAME, MSG_EV_CONTROL,
		MSG_EV_FRAME, MSG_EV_DATA,    MSG_EV_END};
	for (size_t i = 0; i < 7; i++)
		ck_assert_int_eq(r.ev[i].type, want[i]);
	ck_assert_uint_eq(r.ev[0].frame_pos, 0);
	ck_assert_uint_eq(r.ev[2].frame_pos, s.start[1]);
	ck_assert_uint_eq(r.ev[4].frame_pos, s.start[2]);
	const struct rev *d = &r.ev[1];
	ck_assert_uint_eq(d->len, 3);
	ck_assert_mem_eq(d->data, "Hel", 3);
	ck_assert(d->first && !d->last);
	ck_assert_uint_eq(d->opcode, WSP_OP_TEXT);
	ck_assert_uint_eq(d->offset, 0);
	const struct rev *ping = &r.ev[3];
	ck_assert_uint_eq(ping->opcode, WSP_OP_PING);
	ck_assert_uint_eq(ping->frame, 1);
	ck_assert_uint_eq(ping->len, 5);
	ck_assert_mem_eq(ping->data, "Hello", 5);
	d = &r.ev[5];
	ck_assert_mem_eq(d->data, "lo", 2);
	ck_assert(!d->first && d->last);
	ck_assert_uint_eq(d->offset, 3);
	ck_assert_uint_eq(d->frame, 2);
	const struct rev *end = &r.ev[6];
	ck_assert_uint_eq(end->size, 5);
	ck_assert_uint_eq(end->len, 5);
	ck_assert_mem_eq(end->data, "Hello", 5);
	ck_assert_uint_eq(end->message, 0);
	ck_assert(!end->aborted && !end->truncated);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

struct rfc_vec {
	const char *hex;
	enum wsp_role sender;
	int fragmented;
};

/* RFC 6455 section 5.7, byte for byte. */
static const struct rfc_vec rfc_vecs[] = {
	{"81 05 48 65 6c 6c 6f", WSP_ROLE_SERVER, 0},
	{"81 85 37 fa 21 3d 7f 9f 4d 51 58", WSP_ROLE_CLIENT, 0},
	/* Fragmented: the FRAME line between the slices keeps them apart in
	 * the log, so this one is checked event by event. */
	{"01 03 48 65 6c 80 02 6c 6f", WSP_ROLE_SERVER, 1},
};

START_TEST(rfc6455_5_7_examples)
{
	const struct rfc_vec *t = &rfc_vecs[_i];
	uint8_t buf[64];
	size_t n = tl_hex(t->hex, buf, sizeof(buf));
	struct msg_config cfg = cfg_strict();
	cfg.policy.sender = t->sender;
	char hash[32], want[1024];
	snprintf(hash, sizeof(hash), "%016llx",
		 (unsigned long long)fnv(0xcbf29ce484222325ull,
					 (const uint8_t *)"Hello", 5));
	snprintf(want, sizeof(want),
		 "FRAME 0 fin=1 rsv=0 op=1 len=5\n"
		 "DATA m=0 op=1 c=0 first=1 last=1 off=0 len=5 h=%s\n"
		 "END m=0 op=1 c=0 size=5 aborted=0 trunc=0 "
		 "reasm=0/0000000000000000\n",
		 hash);
	for (int mode = 0; mode < 2; mode++) {
		struct tl_chunker c;
		tl_chunker_init(&c, mode ? TL_CHUNK_ONE : TL_CHUNK_ALL, 0);
		struct rec r;
		rec_init(&r);
		struct run res = run_chunked(&cfg, buf, n, &c, &r, 1);
		ck_assert_int_eq(res.rc, 0);
		ck_assert_int_eq(res.finish_rc, 0);
		/* The FRAME line of the fragmented example comes between the
		 * slices, which the log merges only when adjacent. */
		if (t->fragmented) {
			ck_assert_uint_eq(rec_count(&r, MSG_EV_DATA),
					  2 + 3 * (size_t)mode);
			const struct rev *end = rec_find(&r, MSG_EV_END, 0);
			ck_assert_uint_eq(end->size, 5);
			ck_assert_uint_eq(end->opcode, WSP_OP_TEXT);
			ck_assert_uint_eq(rec_count(&r, MSG_EV_FRAME), 2);
		} else {
			ck_assert_str_eq(r.log, want);
		}
		rec_free(&r);
	}
}
END_TEST

START_TEST(rfc6455_5_7_ping_pong_and_long_binary)
{
	uint8_t buf[80000];
	size_t n = tl_hex("89 05 48 65 6c 6c 6f 8a 85 37 fa 21 3d 7f 9f 4d 51 58"
			  " 82 7E 01 00",
			  buf, sizeof(buf));
	memset(buf + n, 0xAB, 256);
	n += 256;
	n += tl_hex("82 7F 00 00 00 00 00 01 00 00", buf + n, 10);
	memset(buf + n, 0xCD, 65536);
	n += 65536;
	struct msg_config cfg = cfg_lenient();
	struct rec r;
	rec_init(&r);
	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_ALL, 0);
	struct run res = run_chunked(&cfg, buf, n, &c, &r, 1);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_int_eq(res.finish_rc, 0);
	ck_assert_uint_eq(r.nviol, 0);
	const struct rev *ping = rec_find(&r, MSG_EV_CONTROL, 0);
	const struct rev *pong = rec_find(&r, MSG_EV_CONTROL, 1);
	ck_assert_uint_eq(ping->opcode, WSP_OP_PING);
	ck_assert_uint_eq(pong->opcode, WSP_OP_PONG);
	ck_assert_mem_eq(ping->data, "Hello", 5);
	ck_assert_mem_eq(pong->data, "Hello", 5);
	const struct rev *e0 = rec_find(&r, MSG_EV_END, 0);
	const struct rev *e1 = rec_find(&r, MSG_EV_END, 1);
	ck_assert_uint_eq(e0->size, 256);
	ck_assert_uint_eq(e0->opcode, WSP_OP_BINARY);
	ck_assert_uint_eq(e1->size, 65536);
	ck_assert_uint_eq(e1->message, 1);
	ck_assert(e1->data_null); /* no reassembly configured */
	rec_free(&r);
}
END_TEST

/* --------------------------------------------------------------------------
 * Sequence rules, table-driven
 */

enum { F_END = -1 };

struct fspec {
	int fin, rsv, op;
	const char *payload; /* NULL: none */
	int len;             /* -1: strlen(payload); else that many 'p' bytes */
};

struct seq_vec {
	const char *name;
	int pmd;
	enum wsp_role sender;
	struct fspec f[6];
	int nf;
	int viol[4];      /* every violation, lenient, in order (0-ended) */
	size_t stop_frame; /* strict: the frame whose header stops it */
	const char *req;  /* requirement id of viol[0] */
};

static const struct seq_vec seq_vecs[] = {
	{"continuation with no message", 0, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_CONT, "x", -1}}, 1,
	 {WSP_E_MSG_CONT_NO_MESSAGE}, 0, "R6455-5.4-03"},
	{"continuation after a complete message", 0, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_TEXT, "a", -1}, {1, 0, WSP_OP_CONT, "b", -1}}, 2,
	 {WSP_E_MSG_CONT_NO_MESSAGE}, 1, "R6455-5.4-03"},
	{"text inside a fragmented text", 0, WSP_ROLE_ANY,
	 {{0, 0, WSP_OP_TEXT, "a", -1}, {1, 0, WSP_OP_TEXT, "b", -1}}, 2,
	 {WSP_E_MSG_DATA_IN_FRAGMENTED}, 1, "R6455-5.4-07"},
	{"binary inside a fragmented text", 0, WSP_ROLE_ANY,
	 {{0, 0, WSP_OP_TEXT, "a", -1}, {0, 0, WSP_OP_CONT, "b", -1},
	  {1, 0, WSP_OP_BINARY, "c", -1}}, 3,
	 {WSP_E_MSG_DATA_IN_FRAGMENTED}, 2, "R6455-5.4-07"},
	{"text after close", 0, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_CLOSE, "\x03\xe8", -1}, {1, 0, WSP_OP_TEXT, "a", -1}},
	 2, {WSP_E_MSG_DATA_AFTER_CLOSE}, 1, "R6455-5.5.1-06"},
	{"continuation after close", 0, WSP_ROLE_ANY,
	 {{0, 0, WSP_OP_BINARY, "a", -1}, {1, 0, WSP_OP_CLOSE, NULL, 0},
	  {1, 0, WSP_OP_CONT, "b", -1}}, 3,
	 {WSP_E_MSG_DATA_AFTER_CLOSE}, 2, "R6455-5.5.1-06"},
	{"ping after close", 0, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_CLOSE, NULL, 0}, {1, 0, WSP_OP_PING, "p", -1}}, 2,
	 {WSP_E_MSG_CTRL_AFTER_CLOSE}, 1, "R6455-5.5.2-04"},
	{"close after close", 0, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_CLOSE, NULL, 0}, {1, 0, WSP_OP_CLOSE, NULL, 0}}, 2,
	 {WSP_E_MSG_CTRL_AFTER_CLOSE}, 1, "R6455-5.5.2-04"},
	{"RSV1 on a ping under deflate", 1, WSP_ROLE_ANY,
	 {{1, 4, WSP_OP_PING, "p", -1}}, 1,
	 {WSP_E_MSG_RSV1_CONTROL}, 0, "R7692-6.1-05"},
	{"RSV1 on a continuation under deflate", 1, WSP_ROLE_ANY,
	 {{0, 4, WSP_OP_TEXT, "a", -1}, {1, 4, WSP_OP_CONT, "b", -1}}, 2,
	 {WSP_E_MSG_RSV1_CONT}, 1, "R7692-6.1-05"},
	{"RSV1 without deflate: the frame layer's", 0, WSP_ROLE_ANY,
	 {{1, 4, WSP_OP_TEXT, "a", -1}}, 1,
	 {WSP_E_WSF_RSV1}, 0, "R6455-5.2-03"},
	{"RSV1 on a ping without deflate: reported once", 0, WSP_ROLE_ANY,
	 {{1, 4, WSP_OP_PING, NULL, 0}}, 1,
	 {WSP_E_WSF_RSV1}, 0, "R6455-5.2-03"},
	{"reserved data opcode", 0, WSP_ROLE_ANY,
	 {{1, 0, 3, "r", -1}}, 1,
	 {WSP_E_WSF_RESERVED_OPCODE}, 0, "R6455-5.2-04"},
	{"reserved control opcode inside a message", 0, WSP_ROLE_ANY,
	 {{0, 0, WSP_OP_TEXT, "a", -1}, {1, 0, 0xB, "r", -1},
	  {1, 0, WSP_OP_CONT, "b", -1}}, 3,
	 {WSP_E_WSF_RESERVED_OPCODE}, 1, "R6455-5.2-04"},
	{"fragmented ping", 0, WSP_ROLE_ANY,
	 {{0, 0, WSP_OP_PING, "p", -1}}, 1,
	 {WSP_E_WSF_CTRL_FRAGMENTED}, 0, "R6455-5.5-02"},
	{"ping of 126 bytes", 0, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_PING, NULL, 126}}, 1,
	 {WSP_E_WSF_CTRL_TOO_LONG}, 0, "R6455-5.5-01"},
	{"unmasked client frame", 0, WSP_ROLE_CLIENT,
	 {{1, 0, WSP_OP_TEXT, "a", -1}}, 1,
	 {WSP_E_WSF_CLIENT_UNMASKED}, 0, "R6455-5.1-01"},
	{"two violations in order", 1, WSP_ROLE_ANY,
	 {{1, 0, WSP_OP_CLOSE, NULL, 0}, {1, 4, WSP_OP_CONT, "b", -1}}, 2,
	 {WSP_E_MSG_DATA_AFTER_CLOSE, WSP_E_MSG_CONT_NO_MESSAGE,
	  WSP_E_MSG_RSV1_CONT}, 1,
	 "R6455-5.5.1-06"},
};

#define NSEQ (sizeof(seq_vecs) / sizeof(seq_vecs[0]))

static void build_seq(const struct seq_vec *t, struct sb *s)
{
	sb_init(s);
	uint8_t pad[200];
	memset(pad, 'p', sizeof(pad));
	for (int i = 0; i < t->nf; i++) {
		const struct fspec *f = &t->f[i];
		if (f->payload != NULL)
			sb_str(s, f->fin, f->rsv, f->op, f->payload);
		else
			sb_frame(s, f->fin, f->rsv, f->op, pad,
				 (size_t)f->len);
	}
}

static struct msg_config seq_cfg(const struct seq_vec *t, int strict)
{
	struct msg_config c = strict ? cfg_strict() : cfg_lenient();
	c.policy.sender = t->sender;
	if (t->pmd)
		c.policy.rsv_allowed = WSP_RSV1;
	return c;
}

START_TEST(rfc6455_5_4_sequence_rule_lenient)
{
	const struct seq_vec *t = &seq_vecs[_i];
	struct sb s;
	build_seq(t, &s);
	struct msg_config cfg = seq_cfg(t, 0);
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_uint_eq(res.consumed, s.len);
	size_t nv = 0;
	while (nv < 4 && t->viol[nv] != 0)
		nv++;
	ck_assert_msg(r.nviol == nv, "%s: %zu violations, want %zu:\n%s",
		      t->name, r.nviol, nv, r.log);
	for (size_t i = 0; i < nv; i++) {
		const struct rev *v = rec_find(&r, MSG_EV_VIOLATION, i);
		ck_assert_msg(v->code == t->viol[i], "%s: got %s want %s",
			      t->name, wsp_errname(v->code),
			      wsp_errname(t->viol[i]));
		ck_assert_ptr_nonnull(v->req);
		ck_assert_str_eq(v->req, wsp_errreq(t->viol[i]));
	}
	ck_assert_str_eq(rec_find(&r, MSG_EV_VIOLATION, 0)->req, t->req);
	/* Lenient goes on: every frame was seen, every byte consumed. */
	ck_assert_uint_eq(rec_count(&r, MSG_EV_FRAME), (size_t)t->nf);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

START_TEST(rfc6455_5_4_sequence_rule_strict_stops_at_header)
{
	const struct seq_vec *t = &seq_vecs[_i];
	struct sb s;
	build_seq(t, &s);
	struct msg_config cfg = seq_cfg(t, 1);
	for (int mode = 0; mode < 3; mode++) {
		struct rec r;
		rec_init(&r);
		struct tl_chunker c;
		tl_chunker_init(&c, (enum tl_chunk_mode)mode, 99);
		struct run res = run_chunked(&cfg, s.buf, s.len, &c, &r, 1);
		ck_assert_int_eq(res.rc, t->viol[0]);
		ck_assert_int_eq(res.finish_rc, t->viol[0]);
		ck_assert_msg(res.consumed == s.hdr_end[t->stop_frame],
			      "%s: consumed %zu, header ends at %zu", t->name,
			      res.consumed, s.hdr_end[t->stop_frame]);
		ck_assert_uint_eq(r.nviol, 1);
		/* The violation is the last event. */
		ck_assert_uint_eq(r.ev[r.n - 1].type, MSG_EV_VIOLATION);
		ck_assert_uint_eq(r.ev[r.n - 1].frame, t->stop_frame);
		ck_assert_uint_eq(r.ev[r.n - 1].frame_pos,
				  s.start[t->stop_frame]);
		ck_assert_uint_eq(rec_count(&r, MSG_EV_FRAME),
				  t->stop_frame + 1);
		rec_free(&r);
	}
	sb_free(&s);
}
END_TEST

START_TEST(rfc6455_5_4_lenient_recovery_shapes)
{
	/* An orphan continuation becomes message 0 of opcode 0; a text
	 * inside a fragmented message ends that one (aborted) and starts
	 * its own. */
	struct sb s;
	sb_init(&s);
	sb_str(&s, 1, 0, WSP_OP_CONT, "orphan");
	sb_str(&s, 0, 0, WSP_OP_TEXT, "one");
	sb_str(&s, 1, 0, WSP_OP_BINARY, "two");
	struct msg_config cfg = cfg_lenient();
	struct rec r;
	rec_init(&r);
	run_all(&cfg, &s, &r);
	const struct rev *e0 = rec_find(&r, MSG_EV_END, 0);
	const struct rev *e1 = rec_find(&r, MSG_EV_END, 1);
	const struct rev *e2 = rec_find(&r, MSG_EV_END, 2);
	ck_assert_uint_eq(e0->opcode, WSP_OP_CONT);
	ck_assert_uint_eq(e0->size, 6);
	ck_assert(!e0->aborted);
	ck_assert_uint_eq(e1->opcode, WSP_OP_TEXT);
	ck_assert_uint_eq(e1->message, 1);
	ck_assert(e1->aborted);
	ck_assert_uint_eq(e1->size, 3);
	ck_assert_uint_eq(e2->opcode, WSP_OP_BINARY);
	ck_assert_uint_eq(e2->message, 2);
	ck_assert(!e2->aborted);
	ck_assert_uint_eq(rec_count(&r, MSG_EV_END), 3);
	/* The aborted message had no last slice. */
	const struct rev *d1 = rec_find(&r, MSG_EV_DATA, 1);
	ck_assert_uint_eq(d1->message, 1);
	ck_assert(d1->first && !d1->last);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

/* --------------------------------------------------------------------------
 * Size limits (R6455-10.4-01)
 */

START_TEST(rfc6455_10_4_announced_2_63_minus_1_costs_nothing)
{
	/* A binary frame announcing 2^63-1 bytes, followed by a few: the
	 * violation comes from the header, nothing after it is consumed. */
	struct sb s;
	sb_init(&s);
	uint8_t some[100];
	memset(some, 'z', sizeof(some));
	sb_frame_ex(&s, 1, 0, WSP_OP_BINARY, 0, 0x7FFFFFFFFFFFFFFFull, some,
		    sizeof(some));
	ck_assert_uint_eq(s.hdr_end[0], 10);
	struct msg_config cfg = cfg_strict();
	cfg.max_message = 1u << 20;
	for (int mode = 0; mode < 3; mode++) {
		struct rec r;
		rec_init(&r);
		struct tl_chunker c;
		tl_chunker_init(&c, (enum tl_chunk_mode)mode, 5);
		struct run res = run_chunked(&cfg, s.buf, s.len, &c, &r, 0);
		ck_assert_int_eq(res.rc, WSP_E_MSG_TOO_BIG);
		ck_assert_uint_eq(res.consumed, 10);
		ck_assert_uint_eq(rec_count(&r, MSG_EV_DATA), 0);
		ck_assert_uint_eq(r.nviol, 1);
		ck_assert_str_eq(rec_find(&r, MSG_EV_VIOLATION, 0)->req,
				 "R6455-10.4-01");
		rec_free(&r);
	}
	/* Lenient: reported, and the 100 bytes still come as data. */
	cfg.strict = 0;
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_int_eq(res.finish_rc, WSP_E_INCOMPLETE);
	ck_assert_uint_eq(r.nviol, 1);
	ck_assert_uint_eq(r.ndata_bytes, 100);
	ck_assert(rec_find(&r, MSG_EV_END, 0)->aborted);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

START_TEST(rfc6455_10_4_cumulative_message_size)
{
	uint8_t big[1001];
	memset(big, 'b', sizeof(big));
	for (int over = 0; over < 2; over++) {
		/* 600 + 400 == the limit is fine; 600 + 401 is not, and it
		 * is known at the second header. */
		struct sb s;
		sb_init(&s);
		sb_frame(&s, 0, 0, WSP_OP_BINARY, big, 600);
		sb_frame(&s, 0, 0, WSP_OP_CONT, big, 400 + (size_t)over);
		sb_frame(&s, 1, 0, WSP_OP_CONT, big, 0);
		sb_frame(&s, 1, 0, WSP_OP_BINARY, big, 1000);
		struct msg_config cfg = cfg_strict();
		cfg.max_message = 1000;
		struct rec r;
		rec_init(&r);
		struct run res = run_all(&cfg, &s, &r);
		if (over) {
			ck_assert_int_eq(res.rc, WSP_E_MSG_TOO_BIG);
			ck_assert_uint_eq(res.consumed, s.hdr_end[1]);
			ck_assert_uint_eq(r.ndata_bytes, 600);
		} else {
			ck_assert_int_eq(res.rc, 0);
			ck_assert_uint_eq(r.nviol, 0);
			ck_assert_uint_eq(rec_count(&r, MSG_EV_END), 2);
		}
		rec_free(&r);
		sb_free(&s);
	}
}
END_TEST

START_TEST(rfc6455_10_4_fragment_cap)
{
	struct sb s;
	sb_init(&s);
	sb_str(&s, 0, 0, WSP_OP_TEXT, "a");
	sb_str(&s, 0, 0, WSP_OP_CONT, "b");
	sb_str(&s, 1, 0, WSP_OP_PING, "c"); /* control frames do not count */
	sb_str(&s, 1, 0, WSP_OP_CONT, "d");
	sb_str(&s, 0, 0, WSP_OP_TEXT, "e");
	sb_str(&s, 0, 0, WSP_OP_CONT, "f");
	sb_str(&s, 0, 0, WSP_OP_CONT, "g");
	sb_str(&s, 1, 0, WSP_OP_CONT, "h");
	struct msg_config cfg = cfg_strict();
	cfg.max_fragments = 3;
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, WSP_E_MSG_TOO_MANY_FRAGMENTS);
	ck_assert_uint_eq(res.consumed, s.hdr_end[7]);
	ck_assert_uint_eq(rec_count(&r, MSG_EV_END), 1);
	rec_free(&r);
	/* Lenient: reported once per message. */
	cfg.strict = 0;
	cfg.max_fragments = 1;
	rec_init(&r);
	run_all(&cfg, &s, &r);
	ck_assert_uint_eq(r.nviol, 2);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_VIOLATION, 0)->frame, 1);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_VIOLATION, 1)->frame, 5);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

/* --------------------------------------------------------------------------
 * UTF-8 across fragments (R6455-5.6-01, R6455-8.1-01)
 */

START_TEST(rfc6455_5_6_code_point_split_across_fragments)
{
	/* "a€𝄞b" split into two fragments at every point, and into one
	 * fragment per byte: always valid. */
	static const uint8_t text[] = {'a', 0xE2, 0x82, 0xAC, 0xF0,
				       0x9D, 0x84, 0x9E, 'b'};
	size_t n = sizeof(text);
	struct msg_config cfg = cfg_strict();
	for (size_t k = 0; k <= n; k++) {
		struct sb s;
		sb_init(&s);
		sb_frame(&s, 0, 0, WSP_OP_TEXT, text, k);
		sb_frame(&s, 1, 0, WSP_OP_CONT, text + k, n - k);
		struct rec r;
		rec_init(&r);
		struct run res = run_all(&cfg, &s, &r);
		ck_assert_int_eq(res.rc, 0);
		ck_assert_uint_eq(r.nviol, 0);
		ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 0)->size, n);
		rec_free(&r);
		sb_free(&s);
	}
	struct sb s;
	sb_init(&s);
	for (size_t k = 0; k < n; k++)
		sb_frame(&s, k + 1 == n, 0, k == 0 ? WSP_OP_TEXT : WSP_OP_CONT,
			 text + k, 1);
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_uint_eq(r.nviol, 0);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

START_TEST(rfc6455_8_1_invalid_utf8_in_the_fragment_where_it_occurs)
{
	/* "hello" | "ab" C0 80 "cd" | "!" : overlong at message offset 7,
	 * found in frame 1, at stream offset hdr_end[1] + 2. */
	struct sb s;
	sb_init(&s);
	sb_str(&s, 0, 0, WSP_OP_TEXT, "hello");
	sb_str(&s, 0, 0, WSP_OP_CONT, "ab\xC0\x80" "cd");
	sb_str(&s, 1, 0, WSP_OP_CONT, "!");
	for (int mode = 0; mode < 3; mode++) {
		struct msg_config cfg = cfg_strict();
		struct rec r;
		rec_init(&r);
		struct tl_chunker c;
		tl_chunker_init(&c, (enum tl_chunk_mode)mode, 3);
		struct run res = run_chunked(&cfg, s.buf, s.len, &c, &r, 0);
		ck_assert_int_eq(res.rc, WSP_E_U8_OVERLONG);
		ck_assert_uint_eq(res.consumed, s.hdr_end[1] + 3);
		const struct rev *v = rec_find(&r, MSG_EV_VIOLATION, 0);
		ck_assert_uint_eq(v->frame, 1);
		ck_assert_uint_eq(v->offset, 7);
		ck_assert_str_eq(v->req, "R6455-8.1-01");
		/* Everything before the bad byte was reported, nothing
		 * after it. */
		ck_assert_uint_eq(r.ndata_bytes, 7);
		ck_assert_uint_eq(r.ev[r.n - 1].type, MSG_EV_VIOLATION);
		rec_free(&r);
	}
	/* Lenient: one violation, the rest of the message still comes. */
	struct msg_config cfg = cfg_lenient();
	struct rec r;
	rec_init(&r);
	run_all(&cfg, &s, &r);
	ck_assert_uint_eq(r.nviol, 1);
	ck_assert_uint_eq(r.ndata_bytes, 12);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 0)->size, 12);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

START_TEST(rfc6455_8_1_text_ends_inside_a_code_point)
{
	struct sb s;
	sb_init(&s);
	sb_str(&s, 0, 0, WSP_OP_TEXT, "a\xE2");
	sb_str(&s, 1, 0, WSP_OP_CONT, "\x82");
	sb_str(&s, 1, 0, WSP_OP_TEXT, "ok");
	struct msg_config cfg = cfg_strict();
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, WSP_E_U8_TRUNCATED);
	ck_assert_uint_eq(res.consumed, s.end[1]);
	const struct rev *v = rec_find(&r, MSG_EV_VIOLATION, 0);
	ck_assert_uint_eq(v->offset, 3);
	ck_assert_uint_eq(v->frame, 1);
	ck_assert_uint_eq(rec_count(&r, MSG_EV_END), 0);
	rec_free(&r);
	cfg.strict = 0;
	rec_init(&r);
	run_all(&cfg, &s, &r);
	ck_assert_uint_eq(r.nviol, 1);
	ck_assert_uint_eq(rec_count(&r, MSG_EV_END), 2);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

START_TEST(r7692_6_1_compressed_and_binary_not_checked)
{
	/* RSV1 text under deflate is compressed: not UTF-8 checked here
	 * (R7692-6.1-08); binary never is; uncompressed text is. */
	struct sb s;
	sb_init(&s);
	sb_str(&s, 1, 4, WSP_OP_TEXT, "\xC0\x80\xFF");
	sb_str(&s, 0, 4, WSP_OP_TEXT, "\xFF");
	sb_str(&s, 1, 0, WSP_OP_CONT, "\xFE");
	sb_str(&s, 1, 0, WSP_OP_BINARY, "\xC0\x80\xFF");
	sb_str(&s, 1, 0, WSP_OP_TEXT, "\xFF");
	struct msg_config cfg = cfg_lenient();
	cfg.policy.rsv_allowed = WSP_RSV1;
	struct rec r;
	rec_init(&r);
	run_all(&cfg, &s, &r);
	ck_assert_uint_eq(r.nviol, 1);
	const struct rev *v = rec_find(&r, MSG_EV_VIOLATION, 0);
	ck_assert_int_eq(v->code, WSP_E_U8_INVALID_BYTE);
	ck_assert_uint_eq(v->frame, 4);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 0)->compressed, 1);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 1)->compressed, 1);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 2)->compressed, 0);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_DATA, 0)->compressed, 1);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

/* --------------------------------------------------------------------------
 * Close frames
 */

struct close_vec {
	const char *hex;   /* the payload */
	int code;          /* the CONTROL event's code */
	int has_code;
	unsigned close_code;
	int viol;          /* expected violation (0: none) */
};

static const struct close_vec close_vecs[] = {
	{"", 0, 0, 0, 0},
	{"03 E8", 0, 1, 1000, 0},
	{"03 E9 62 79 65", 0, 1, 1001, 0},
	{"0B B8", 0, 1, 3000, 0},
	{"03 ED", WSP_E_WSC_CODE_1005, 1, 1005, WSP_E_WSC_CODE_1005},
	{"03 EE", WSP_E_WSC_CODE_1006, 1, 1006, WSP_E_WSC_CODE_1006},
	{"03 EC", WSP_E_WSC_CODE_RESERVED, 1, 1004, WSP_E_WSC_CODE_RESERVED},
	{"00 00", WSP_E_WSC_CODE_UNUSED, 1, 0, WSP_E_WSC_CODE_UNUSED},
	{"13 88", WSP_E_WSC_CODE_UNDEFINED, 1, 5000, WSP_E_WSC_CODE_UNDEFINED},
	{"03", WSP_E_WSC_ONE_BYTE, 0, 0, WSP_E_WSC_ONE_BYTE},
	{"03 E8 C0 AF", WSP_E_WSC_REASON_UTF8, 1, 1000, WSP_E_WSC_REASON_UTF8},
	{"03 E8 E2 82", WSP_E_WSC_REASON_UTF8, 1, 1000, WSP_E_WSC_REASON_UTF8},
};

START_TEST(rfc6455_5_5_1_close_parsed)
{
	const struct close_vec *t = &close_vecs[_i];
	uint8_t pl[64];
	size_t n = tl_hex(t->hex, pl, sizeof(pl));
	struct sb s;
	sb_init(&s);
	sb_frame(&s, 0, 0, WSP_OP_TEXT, "x", 1); /* close mid-message is fine */
	sb_frame(&s, 1, 0, WSP_OP_CLOSE, pl, n);
	for (int strict = 0; strict < 2; strict++) {
		struct msg_config cfg = strict ? cfg_strict() : cfg_lenient();
		struct rec r;
		rec_init(&r);
		struct run res = run_all(&cfg, &s, &r);
		const struct rev *c = rec_find(&r, MSG_EV_CONTROL, 0);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->opcode, WSP_OP_CLOSE);
		ck_assert_int_eq(c->code, t->code);
		ck_assert_int_eq(c->has_code, t->has_code);
		if (t->has_code)
			ck_assert_uint_eq(c->close_code, t->close_code);
		ck_assert_uint_eq(c->len, n);
		if (n > 0)
			ck_assert_mem_eq(c->data, pl, n);
		ck_assert_uint_eq(r.nviol, t->viol != 0);
		if (t->viol != 0) {
			const struct rev *v = rec_find(&r, MSG_EV_VIOLATION, 0);
			ck_assert_int_eq(v->code, t->viol);
			ck_assert_uint_eq(v->frame, 1);
			if (strict) {
				ck_assert_int_eq(res.rc, t->viol);
				ck_assert_uint_eq(res.consumed, s.len);
			}
		} else {
			ck_assert_int_eq(res.rc, 0);
		}
		rec_free(&r);
	}
	sb_free(&s);
}
END_TEST

START_TEST(rfc6455_5_5_close_over_125_not_buffered_beyond)
{
	/* A close announcing 130 bytes: the frame layer's violation, the
	 * first 125 bytes kept, WSC_TOO_LONG in the event, no second
	 * violation. */
	uint8_t pl[130];
	pl[0] = 0x03;
	pl[1] = 0xE8;
	memset(pl + 2, 'r', sizeof(pl) - 2);
	pl[129] = 'X';
	struct sb s;
	sb_init(&s);
	sb_frame(&s, 1, 0, WSP_OP_CLOSE, pl, sizeof(pl));
	struct msg_config cfg = cfg_lenient();
	for (int mode = 0; mode < 3; mode++) {
		struct rec r;
		rec_init(&r);
		struct tl_chunker c;
		tl_chunker_init(&c, (enum tl_chunk_mode)mode, 8);
		run_chunked(&cfg, s.buf, s.len, &c, &r, 1);
		ck_assert_uint_eq(r.nviol, 1);
		ck_assert_int_eq(rec_find(&r, MSG_EV_VIOLATION, 0)->code,
				 WSP_E_WSF_CTRL_TOO_LONG);
		const struct rev *ctl = rec_find(&r, MSG_EV_CONTROL, 0);
		ck_assert(ctl->truncated);
		ck_assert_uint_eq(ctl->len, 125);
		ck_assert_uint_eq(ctl->size, 130);
		ck_assert_mem_eq(ctl->data, pl, 125);
		ck_assert_int_eq(ctl->code, WSP_E_WSC_TOO_LONG);
		ck_assert_uint_eq(ctl->close_code, 1000);
		rec_free(&r);
	}
	sb_free(&s);
}
END_TEST

/* --------------------------------------------------------------------------
 * Strict vs lenient, finishing, reassembly
 */

START_TEST(strictness_lenient_goes_on_strict_stays_stopped)
{
	struct sb s;
	sb_init(&s);
	sb_str(&s, 1, 0, WSP_OP_CONT, "x");        /* violation 1 */
	sb_str(&s, 1, 0, WSP_OP_TEXT, "\xED\xA0\x80"); /* violation 2 */
	sb_str(&s, 1, 0, WSP_OP_BINARY, "fine");
	struct msg_config cfg = cfg_lenient();
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_int_eq(res.finish_rc, 0);
	ck_assert_uint_eq(r.nviol, 2);
	ck_assert_uint_eq(rec_count(&r, MSG_EV_END), 3);
	rec_free(&r);

	cfg = cfg_strict();
	struct msg_decoder m;
	ck_assert_int_eq(msg_init(&m, &cfg), 0);
	rec_init(&r);
	size_t used;
	ck_assert_int_eq(msg_feed(&m, s.buf, s.len, &used, rec_cb, &r),
			 WSP_E_MSG_CONT_NO_MESSAGE);
	ck_assert_uint_eq(used, 2);
	size_t n = r.n;
	/* Stopped: same code, nothing consumed, nothing reported. */
	ck_assert_int_eq(msg_feed(&m, s.buf + 2, s.len - 2, &used, rec_cb, &r),
			 WSP_E_MSG_CONT_NO_MESSAGE);
	ck_assert_uint_eq(used, 0);
	struct wsf_event ev;
	memset(&ev, 0, sizeof(ev));
	ck_assert_int_eq(msg_frame(&m, &ev, rec_cb, &r),
			 WSP_E_MSG_CONT_NO_MESSAGE);
	ck_assert_int_eq(msg_finish(&m, rec_cb, &r),
			 WSP_E_MSG_CONT_NO_MESSAGE);
	ck_assert_uint_eq(r.n, n);
	msg_free(&m);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

START_TEST(msg_finish_reports_where_the_stream_ended)
{
	struct sb s;
	sb_init(&s);
	sb_str(&s, 0, 0, WSP_OP_TEXT, "abc");
	sb_str(&s, 1, 0, WSP_OP_PING, "p");
	sb_str(&s, 1, 0, WSP_OP_CONT, "de");
	sb_str(&s, 1, 0, WSP_OP_BINARY, "fgh");
	/* Every prefix: INCOMPLETE unless it ends at a frame boundary outside
	 * a message; never a violation; an open message ends aborted. */
	for (size_t k = 0; k <= s.len; k++) {
		int at_rest = k == 0 || k == s.end[2] || k == s.end[3];
		int in_msg = (k >= s.hdr_end[0] && k < s.end[2]) ||
			     (k >= s.hdr_end[3] && k < s.end[3]);
		for (int strict = 0; strict < 2; strict++) {
			struct msg_config cfg =
				strict ? cfg_strict() : cfg_lenient();
			struct tl_chunker c;
			tl_chunker_init(&c, TL_CHUNK_ALL, 0);
			struct rec r;
			rec_init(&r);
			struct run res = run_chunked(&cfg, s.buf, k, &c, &r, 1);
			ck_assert_int_eq(res.rc, 0);
			ck_assert_int_eq(res.finish_rc,
					 at_rest ? 0 : WSP_E_INCOMPLETE);
			ck_assert_uint_eq(r.nviol, 0);
			const struct rev *last =
				r.n > 0 ? &r.ev[r.n - 1] : NULL;
			if (in_msg) {
				ck_assert_int_eq(last->type, MSG_EV_END);
				ck_assert(last->aborted);
			}
			rec_free(&r);
		}
	}
	sb_free(&s);
}
END_TEST

START_TEST(reassembly_caller_buffer_ceiling)
{
	uint8_t rbuf[8];
	struct sb s;
	sb_init(&s);
	sb_str(&s, 0, 0, WSP_OP_TEXT, "1234");
	sb_str(&s, 1, 0, WSP_OP_CONT, "5678"); /* exactly 8: fits */
	sb_str(&s, 0, 0, WSP_OP_BINARY, "12345");
	sb_str(&s, 1, 0, WSP_OP_CONT, "6789"); /* 9: does not */
	sb_str(&s, 1, 0, WSP_OP_TEXT, "again"); /* fits again */
	struct msg_config cfg = cfg_strict();
	cfg.reasm_buf = rbuf;
	cfg.reasm_max = sizeof(rbuf);
	struct rec r;
	rec_init(&r);
	struct run res = run_all(&cfg, &s, &r);
	ck_assert_int_eq(res.rc, 0);
	const struct rev *e0 = rec_find(&r, MSG_EV_END, 0);
	const struct rev *e1 = rec_find(&r, MSG_EV_END, 1);
	const struct rev *e2 = rec_find(&r, MSG_EV_END, 2);
	ck_assert_uint_eq(e0->len, 8);
	ck_assert_mem_eq(e0->data, "12345678", 8);
	ck_assert(!e0->truncated);
	ck_assert(e1->data_null);
	ck_assert(e1->truncated);
	ck_assert_uint_eq(e1->size, 9);
	ck_assert_uint_eq(e2->len, 5);
	ck_assert_mem_eq(e2->data, "again", 5);
	/* All slices came anyway. */
	ck_assert_uint_eq(r.ndata_bytes, 22);
	rec_free(&r);
	sb_free(&s);
	/* A caller buffer needs a size. */
	struct msg_decoder m;
	cfg.reasm_max = 0;
	ck_assert_int_eq(msg_init(&m, &cfg), WSP_E_INVAL);
}
END_TEST

START_TEST(reassembly_allocated_grows_to_ceiling_and_fails_cleanly)
{
	/* A 70000-byte message in 7 frames, reassembled through wsp_mem
	 * with a ceiling of 100000; then every allocation failure point. */
	static uint8_t big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	struct sb s;
	sb_init(&s);
	for (int i = 0; i < 7; i++)
		sb_frame(&s, i == 6, 0, i == 0 ? WSP_OP_BINARY : WSP_OP_CONT,
			 big, sizeof(big));
	sb_frame(&s, 1, 0, WSP_OP_BINARY, big, 50); /* reuses the buffer */
	long allocs = -1;
	for (long fail_at = -1;; fail_at++) {
		struct tl_failmem fm;
		tl_failmem_init(&fm, fail_at);
		struct msg_config cfg = cfg_lenient();
		cfg.mem = &fm.mem;
		cfg.reasm_max = 100000;
		struct rec r;
		rec_init(&r);
		struct tl_chunker c;
		tl_chunker_init(&c, TL_CHUNK_RANDOM, 11);
		c.max_random = 5000;
		struct run res = run_chunked(&cfg, s.buf, s.len, &c, &r, 0);
		if (fail_at < 0) {
			ck_assert_int_eq(res.rc, 0);
			const struct rev *e = rec_find(&r, MSG_EV_END, 0);
			ck_assert_uint_eq(e->len, 70000);
			ck_assert_mem_eq(e->data, big, REC_DATA);
			ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 1)->len, 50);
			allocs = fm.count;
			ck_assert_int_gt(allocs, 0);
			ck_assert_int_lt(allocs, 20);
		} else if (fail_at < allocs) {
			ck_assert_int_eq(res.rc, WSP_E_NOMEM);
			ck_assert(wsp_is_fatal(res.rc));
		} else {
			ck_assert_int_eq(res.rc, 0);
			rec_free(&r);
			break;
		}
		rec_free(&r);
	}
	/* Over the ceiling: slices only, END truncated. */
	struct msg_config cfg = cfg_lenient();
	cfg.reasm_max = 69999;
	struct rec r;
	rec_init(&r);
	run_all(&cfg, &s, &r);
	ck_assert(rec_find(&r, MSG_EV_END, 0)->truncated);
	ck_assert(rec_find(&r, MSG_EV_END, 0)->data_null);
	ck_assert_uint_eq(rec_find(&r, MSG_EV_END, 1)->len, 50);
	rec_free(&r);
	sb_free(&s);
}
END_TEST

/* --------------------------------------------------------------------------
 * Chunking and the msg_frame path
 */

/* A long stream of many messages: fragmented text and binary, control
 * frames inside, multi-byte text split anywhere, now and then a broken
 * rule (lenient runs report them; strict runs stop at the first). */
static void build_long(struct sb *s, uint64_t seed, int with_errors)
{
	sb_init(s);
	uint64_t rng = seed;
	static const char *words[] = {"hello ", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
				      "\xCE\xBA\xE1\xBD\xB9", "x", ""};
	uint8_t msgbuf[2000];
	for (int m = 0; m < 40 && s->nframes < SB_MAX_FRAMES - 12; m++) {
		int text = tl_rand(&rng) % 2;
		size_t n = 0;
		size_t want = (size_t)(tl_rand(&rng) % 1500);
		while (n < want) {
			if (text) {
				const char *w = words[tl_rand(&rng) % 6];
				memcpy(msgbuf + n, w, strlen(w));
				n += strlen(w);
			} else {
				msgbuf[n++] = (uint8_t)tl_rand(&rng);
			}
		}
		int nfrag = 1 + (int)(tl_rand(&rng) % 5);
		size_t at = 0;
		for (int f = 0; f < nfrag; f++) {
			size_t part = f + 1 == nfrag
					      ? n - at
					      : (size_t)(tl_rand(&rng) %
							 (n - at + 1));
			int op = f == 0 ? (text ? WSP_OP_TEXT : WSP_OP_BINARY)
					: WSP_OP_CONT;
			if (with_errors && tl_rand(&rng) % 25 == 0)
				op = WSP_OP_BINARY; /* interleaving error */
			sb_frame_ex(s, f + 1 == nfrag, 0, op,
				    (int)(tl_rand(&rng) % 2), part,
				    msgbuf + at, part);
			at += part;
			if (tl_rand(&rng) % 4 == 0)
				sb_str(s, 1, 0, WSP_OP_PING, "ping!");
			if (with_errors && tl_rand(&rng) % 30 == 0)
				sb_str(s, 1, 0, WSP_OP_TEXT, "\xC3\x28");
		}
	}
	sb_str(s, 1, 0, WSP_OP_CLOSE, "\x03\xE8" "bye");
}

START_TEST(chunking_any_schedule_identical_events)
{
	for (int errors = 0; errors < 2; errors++) {
		struct sb s;
		build_long(&s, 1000 + (uint64_t)_i, errors);
		for (int strict = 0; strict < 2; strict++) {
			struct msg_config cfg =
				strict ? cfg_strict() : cfg_lenient();
			struct rec base;
			rec_init(&base);
			struct tl_chunker c;
			tl_chunker_init(&c, TL_CHUNK_ALL, 0);
			struct run rb = run_chunked(&cfg, s.buf, s.len, &c,
						    &base, 1);
			if (!errors) {
				ck_assert_int_eq(rb.rc, 0);
				ck_assert_uint_eq(base.nviol, 0);
			}
			for (int k = 0; k < 6; k++) {
				struct rec r;
				rec_init(&r);
				tl_chunker_init(&c,
						k == 0 ? TL_CHUNK_ONE
						       : TL_CHUNK_RANDOM,
						(uint64_t)k * 31 + 7);
				c.max_random = k < 3 ? 17 : 3000;
				struct run rr = run_chunked(&cfg, s.buf, s.len,
							    &c, &r, 1);
				ck_assert_int_eq(rr.rc, rb.rc);
				ck_assert_int_eq(rr.finish_rc, rb.finish_rc);
				ck_assert_uint_eq(rr.consumed, rb.consumed);
				assert_logs_eq(r.log, base.log);
				rec_free(&r);
			}
			rec_free(&base);
		}
		sb_free(&s);
	}
}
END_TEST

START_TEST(msg_frame_path_equals_msg_feed)
{
	/* Driving wsf_decode by hand and handing each event to msg_frame
	 * gives the same log as msg_feed (frame_pos aside, not in the log). */
	struct sb s;
	build_long(&s, 4242, 1);
	struct msg_config cfg = cfg_lenient();
	struct rec a, b;
	rec_init(&a);
	rec_init(&b);
	run_all(&cfg, &s, &a);

	struct msg_decoder m;
	ck_assert_int_eq(msg_init(&m, &cfg), 0);
	struct wsf_decoder d;
	wsf_decoder_init(&d, &cfg.policy);
	uint8_t *copy = malloc(s.len);
	memcpy(copy, s.buf, s.len);
	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_RANDOM, 5);
	size_t i = 0;
	while (i < s.len) {
		size_t k = tl_chunk_next(&c, s.len - i);
		size_t off = 0;
		while (off < k) {
			struct wsf_event ev;
			ssize_t r = wsf_decode(&d, copy + i + off, k - off, &ev);
			HOT_CHECK(r > 0);
			HOT_CHECK(msg_frame(&m, &ev, rec_cb, &b) == 0);
			off += (size_t)r;
		}
		i += k;
	}
	ck_assert_int_eq(msg_finish(&m, rec_cb, &b), 0);
	rec_flush(&b);
	assert_logs_eq(a.log, b.log);
	ck_assert_int_eq(msg_close_received(&m), 1);
	msg_free(&m);
	free(copy);
	rec_free(&a);
	rec_free(&b);
	sb_free(&s);
}
END_TEST

START_TEST(guard_page_no_overread)
{
	struct sb s;
	build_long(&s, 77, 1);
	for (size_t cut = s.len - 40; cut <= s.len; cut++) {
		struct tl_guard g;
		tl_guard_init(&g, s.buf, cut);
		struct msg_decoder m;
		struct msg_config cfg = cfg_lenient();
		ck_assert_int_eq(msg_init(&m, &cfg), 0);
		struct rec r;
		rec_init(&r);
		size_t used;
		ck_assert_int_eq(msg_feed(&m, g.data, cut, &used, rec_cb, &r),
				 0);
		ck_assert_uint_eq(used, cut);
		msg_free(&m);
		rec_free(&r);
		tl_guard_free(&g);
	}
	sb_free(&s);
}
END_TEST

START_TEST(msg_event_names)
{
	ck_assert_str_eq(msg_event_name(MSG_EV_FRAME), "frame");
	ck_assert_str_eq(msg_event_name(MSG_EV_DATA), "data");
	ck_assert_str_eq(msg_event_name(MSG_EV_END), "end");
	ck_assert_str_eq(msg_event_name(MSG_EV_CONTROL), "control");
	ck_assert_str_eq(msg_event_name(MSG_EV_VIOLATION), "violation");
	ck_assert_str_eq(msg_event_name((enum msg_event_type)99), "unknown");
}
END_TEST

Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("RFC6455 5.4 fragmentation");
	tcase_add_test(tc, rfc6455_5_4_fragmented_with_control_interleaved);
	tcase_add_loop_test(tc, rfc6455_5_7_examples, 0,
			    (int)(sizeof(rfc_vecs) / sizeof(rfc_vecs[0])));
	tcase_add_test(tc, rfc6455_5_7_ping_pong_and_long_binary);
	tcase_add_loop_test(tc, rfc6455_5_4_sequence_rule_lenient, 0,
			    (int)NSEQ);
	tcase_add_loop_test(tc, rfc6455_5_4_sequence_rule_strict_stops_at_header,
			    0, (int)NSEQ);
	tcase_add_test(tc, rfc6455_5_4_lenient_recovery_shapes);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-10.4-01 limits");
	tcase_add_test(tc, rfc6455_10_4_announced_2_63_minus_1_costs_nothing);
	tcase_add_test(tc, rfc6455_10_4_cumulative_message_size);
	tcase_add_test(tc, rfc6455_10_4_fragment_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.6-01 UTF-8");
	tcase_add_test(tc, rfc6455_5_6_code_point_split_across_fragments);
	tcase_add_test(tc,
		       rfc6455_8_1_invalid_utf8_in_the_fragment_where_it_occurs);
	tcase_add_test(tc, rfc6455_8_1_text_ends_inside_a_code_point);
	tcase_add_test(tc, r7692_6_1_compressed_and_binary_not_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.5.1 close");
	tcase_add_loop_test(tc, rfc6455_5_5_1_close_parsed, 0,
			    (int)(sizeof(close_vecs) / sizeof(close_vecs[0])));
	tcase_add_test(tc, rfc6455_5_5_close_over_125_not_buffered_beyond);
	suite_add_tcase(s, tc);

	tc = tcase_create("strictness, reassembly, chunking");
	tcase_add_test(tc, strictness_lenient_goes_on_strict_stays_stopped);
	tcase_add_test(tc, msg_finish_reports_where_the_stream_ended);
	tcase_add_test(tc, reassembly_caller_buffer_ceiling);
	tcase_add_test(tc,
		       reassembly_allocated_grows_to_ceiling_and_fails_cleanly);
	tcase_add_loop_test(tc, chunking_any_schedule_identical_events, 0, 4);
	tcase_add_test(tc, msg_frame_path_equals_msg_feed);
	tcase_add_test(tc, guard_page_no_overread);
	tcase_add_test(tc, msg_event_names);
	suite_add_tcase(s, tc);
	return s;
}
