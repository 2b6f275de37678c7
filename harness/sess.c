/*
 * sess.c: one live WebSocket connection played by wsprobe (contract in
 * sess.h).
 *
 * Input path: net_read into rbuf, msg_feed in strict mode, events handled
 * in on_msg_event.  Replies the protocol requires (Pongs, the Close reply)
 * are queued while the decoder runs and written once it returns, so that a
 * write, which reads between its pieces, never re-enters the decoder.
 *
 * Closing is a small state machine driven from sess_pump: once both Close
 * frames have crossed, a server closes TCP at once and a client waits for
 * the server to do so (drop_timeout); a Close we sent that is not answered
 * within close_timeout, or a violation by the peer, ends in dropping TCP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capcase.h"
#include "ext.h"
#include "sess.h"
#include "zcache.h"
#include "wsp_err.h"

#define DEFAULT_MAX_MESSAGE ((uint64_t)64 << 20)
#define DEFAULT_WIRELOG ((size_t)64 << 20)
#define WRITE_TIMEOUT_MS 30000
#define HEAD_MAX 16384
#define MAX_HEADERS 64

/* ------------------------------------------------------------------------
 * Small helpers
 */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t sess_rand(struct sess *s)
{
	return splitmix(&s->rng);
}

int64_t sess_scaled_ms(const struct sess *s, double seconds)
{
	double ms = seconds * 1000.0 * s->cfg.timeout_scale;
	if (ms > 1e12)
		ms = 1e12;
	return (int64_t)(ms + 0.5);
}

static int64_t scaled(const struct sess *s, int64_t ms)
{
	return (int64_t)((double)ms * s->cfg.timeout_scale + 0.5);
}

static char *dup_n(const char *p, size_t n)
{
	char *c = malloc(n + 1);
	if (c != NULL) {
		memcpy(c, p, n);
		c[n] = '\0';
	}
	return c;
}

/* Makes room for want more bytes after the len in use of *buf (capacity
 * *cap), doubling the capacity; an empty buffer starts at first (or more,
 * doubled).  Returns 0 or WSP_E_NOMEM (*buf unchanged).  The bound on
 * len + want is the caller's. */
static int grow_bytes(uint8_t **buf, size_t *cap, size_t len, size_t want,
		      size_t first)
{
	if (want <= *cap - len)
		return 0;
	size_t ncap = *cap ? *cap : first;
	while (ncap < len + want)
		ncap *= 2;
	uint8_t *nb = realloc(*buf, ncap);
	if (nb == NULL)
		return WSP_E_NOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Keeps n bytes in the wire log; 0 when the log is cut (its bound, or out
 * of memory), and from then on. */
static int wire_keep(struct sess *s, int64_t t_ns, int dir, const uint8_t *p,
		     size_t n)
{
	if (s->wire_truncated)
		return 0;
	if (n > s->cfg.wirelog_max - s->wire_len) {
		s->wire_truncated = 1;
		return 0;
	}
	if (grow_bytes(&s->wire, &s->wire_cap, s->wire_len, n, 65536) != 0) {
		s->wire_truncated = 1;
		return 0;
	}
	if (s->nrecs == s->caprecs) {
		size_t ncap = s->caprecs ? s->caprecs * 2 : 256;
		struct sess_wire_rec *nr = realloc(s->recs, ncap * sizeof(*nr));
		if (nr == NULL) {
			s->wire_truncated = 1;
			return 0;
		}
		s->recs = nr;
		s->caprecs = ncap;
	}
	memcpy(s->wire + s->wire_len, p, n);
	struct sess_wire_rec *r = &s->recs[s->nrecs++];
	r->t_ns = t_ns;
	r->dir = (uint8_t)dir;
	r->off = s->wire_len;
	r->len = n;
	s->wire_len += n;
	return 1;
}

static void wire_add(struct sess *s, int dir, const uint8_t *p, size_t n)
{
	if (dir == 0)
		s->bytes_out += n;
	else
		s->bytes_in += n;
	/* Per-case captures (capcase.h): the socket's real addresses, taken
	 * once while it is open. */
	if (!s->tcp.known && s->conn.fd >= 0)
		capcase_take_endpoints(s->conn.fd, &s->tcp);
	if (n == 0 || (s->wire_truncated && s->wire_tap == NULL))
		return;
	int64_t t_ns = clk_now_ns() - s->t0_ns;
	int kept = wire_keep(s, t_ns, dir, p, n);
	if (s->wire_tap != NULL)
		s->wire_tap(s->wire_tap_ctx, t_ns, dir, p, n, kept);
}

static int add_event(struct sess *s, enum vd_event_type type, uint8_t opcode,
		     const uint8_t *data, size_t len)
{
	if (!s->cfg.record)
		return 0;
	if (s->nevents == s->capevents) {
		size_t ncap = s->capevents ? s->capevents * 2 : 16;
		struct sess_event *ne = realloc(s->events, ncap * sizeof(*ne));
		if (ne == NULL)
			return WSP_E_NOMEM;
		s->events = ne;
		s->capevents = ncap;
	}
	struct sess_event *e = &s->events[s->nevents];
	memset(e, 0, sizeof(*e));
	e->data = malloc(len ? len : 1);
	if (e->data == NULL)
		return WSP_E_NOMEM;
	if (len)
		memcpy(e->data, data, len);
	e->type = type;
	e->opcode = opcode;
	e->len = len;
	e->t_ns = clk_now_ns() - s->t0_ns;
	s->nevents++;
	return 0;
}

/* Messages at least this long give their buffer to the event. */
#define MBUF_HANDOVER_MIN ((size_t)64 << 10)

/* Records the message assembled in mbuf.  (limits-cases helper, 9.x) A
 * large message hands its buffer over to the event instead of being
 * copied into a new one: one pass and fresh pages less per message, which
 * is most of the cost of a 16 MiB echo (9.1.6) on our side.  mbuf is then
 * grown again from nothing by the next message. */
static int add_message_event(struct sess *s)
{
	if (!s->cfg.record || s->mlen < MBUF_HANDOVER_MIN)
		return add_event(s, VD_EV_MESSAGE, s->m_opcode, s->mbuf,
				 s->mlen);
	int rc = add_event(s, VD_EV_MESSAGE, s->m_opcode, NULL, 0);
	if (rc != 0)
		return rc;
	struct sess_event *e = &s->events[s->nevents - 1];
	free(e->data);
	e->data = s->mbuf;
	e->len = s->mlen;
	s->mbuf = NULL;
	s->mcap = 0;
	return 0;
}

/* ------------------------------------------------------------------------
 * Life cycle
 */

int sess_init(struct sess *s, const struct sess_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg == NULL || (cfg->role != WSP_ROLE_CLIENT &&
			    cfg->role != WSP_ROLE_SERVER))
		return WSP_E_INVAL;
	s->cfg = *cfg;
	if (s->cfg.max_message == 0)
		s->cfg.max_message = DEFAULT_MAX_MESSAGE;
	if (!(s->cfg.timeout_scale > 0))
		s->cfg.timeout_scale = 1.0;
	if (s->cfg.open_timeout_ms <= 0)
		s->cfg.open_timeout_ms = 5000;
	if (s->cfg.close_timeout_ms <= 0)
		s->cfg.close_timeout_ms = 1000;
	if (s->cfg.drop_timeout_ms <= 0)
		s->cfg.drop_timeout_ms = 1000;
	if (s->cfg.wirelog_max == 0)
		s->cfg.wirelog_max = DEFAULT_WIRELOG;
	else if (s->cfg.wirelog_max == SIZE_MAX)
		s->cfg.wirelog_max = 0;
	s->rng = cfg->seed;
	s->t0_ns = clk_now_ns();
	s->tcp.wall0_ns = capcase_wall_now_ns();
	s->tcp.shut_ns = -1;
	s->tcp.closed_ns = -1;
	net_conn_init(&s->conn);
	return 0;
}

void sess_free(struct sess *s)
{
	if (s->conn.fd >= 0)
		net_close(&s->conn);
	msg_free(&s->md);
	pmd_deflater_free(s->defl);
	pmd_inflater_free(s->infl);
	for (size_t i = 0; i < s->nevents; i++)
		free(s->events[i].data);
	free(s->events);
	free(s->mbuf);
	free(s->zbuf);
	free(s->wire);
	free(s->recs);
	free(s->http_request);
	free(s->http_response);
	memset(s, 0, sizeof(*s));
	s->conn.fd = -1;
}

static void set_open_error(struct sess *s, const char *what, int code)
{
	const char *req = code ? wsp_errreq(code) : NULL;
	if (req != NULL)
		snprintf(s->open_error, sizeof(s->open_error), "%s: %s (%s)", what,
			 wsp_strerror(code), req);
	else if (code)
		snprintf(s->open_error, sizeof(s->open_error), "%s: %s", what,
			 wsp_strerror(code));
	else
		snprintf(s->open_error, sizeof(s->open_error), "%s", what);
}

/* Sets up the decoder for what the peer sends, once the handshake is
 * done. */
static int start_decoder(struct sess *s)
{
	struct msg_config mc;
	memset(&mc, 0, sizeof(mc));
	mc.policy.sender = s->cfg.role == WSP_ROLE_CLIENT ? WSP_ROLE_SERVER
							  : WSP_ROLE_CLIENT;
	mc.policy.rsv_allowed = s->pmd_on ? WSP_RSV1 : 0;
	mc.strict = 1;
	mc.max_message = s->cfg.max_message;
	int rc = msg_init(&s->md, &mc);
	if (rc != 0)
		return rc;
	if (s->pmd_on) {
		struct pmd_deflate_cfg dc;
		struct pmd_inflate_cfg ic;
		pmd_deflate_cfg_init(&dc);
		/* (deflate-cases helper) zlib level 1: real LZ77 matches and
		 * Huffman blocks, several times faster than the default 6.
		 * Compressing dominated the 12.x/13.x round trips (1000
		 * messages of up to 128 KiB per case, in both wsprobe and the
		 * echo server); how small our output is tests nothing. */
		dc.level = 1;
		dc.engine = s->cfg.compressor != 0
				    ? s->cfg.compressor - 1
			    : pmd_engine_available(PMD_ENGINE_ISAL)
				    ? PMD_ENGINE_ISAL
				    : PMD_ENGINE_ZLIB;
		pmd_inflate_cfg_init(&ic, (size_t)s->cfg.max_message);
		ic.engine = dc.engine;
		pmd_agreed_streams(&s->pmd, s->cfg.role, &dc, &ic);
		s->defl_cfg = dc;
		if ((rc = pmd_deflater_new(&s->defl, &dc, NULL)) != 0 ||
		    (rc = pmd_inflater_new(&s->infl, &ic, NULL)) != 0)
			return rc;
	}
	s->opened = 1;
	s->state = SESS_OPEN;
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing
 */

static void poll_input(struct sess *s, struct clk_deadline dl);
static void flush_deferred(struct sess *s);

/* Processes the input that is already there, without waiting, until none
 * is left or the connection is closed. */
static void drain_input(struct sess *s)
{
	uint64_t before;
	do {
		before = s->bytes_in;
		poll_input(s, clk_deadline_in_ms(0));
	} while (s->conn.fd >= 0 && s->bytes_in != before);
}

/* Writes data with the connection's deadline rules, reading input between
 * pieces.  Returns 0 or a negative code (the connection is then closed). */
static int write_bytes_inner(struct sess *s, const uint8_t *data, size_t len,
			     const struct sess_write *w);

static int write_bytes(struct sess *s, const uint8_t *data, size_t len,
		       const struct sess_write *w)
{
	s->writing++;
	int rc = write_bytes_inner(s, data, len, w);
	s->writing--;
	if (s->writing == 0)
		flush_deferred(s);
	return rc;
}

static int write_bytes_inner(struct sess *s, const uint8_t *data, size_t len,
			     const struct sess_write *w)
{
	if (s->conn.fd < 0 || s->conn.wr_closed)
		return WSP_E_NET_CLOSED;
	size_t chop = (w != NULL && w->chop > 0) ? w->chop : len;
	struct clk_deadline total =
		clk_deadline_in_ms(scaled(s, WRITE_TIMEOUT_MS));
	size_t off = 0;
	while (off < len) {
		size_t piece = len - off < chop ? len - off : chop;
		size_t done = 0;
		while (done < piece) {
			size_t sent = 0;
			struct clk_deadline step = clk_deadline_min(
				total, clk_deadline_in_ms(20));
			int rc = net_write(&s->conn, data + off + done,
					   piece - done, &sent, step);
			wire_add(s, 0, data + off + done, sent);
			done += sent;
			if (rc == 0)
				break;
			if (rc != WSP_E_NET_TIMEOUT || clk_expired(total)) {
				/* (role_server helper) Before closing, read what
				 * the peer sent before it went away: after an RST
				 * the kernel still hands out the bytes that had
				 * arrived (an echo, its Close), and the verdict
				 * needs them.  Without this, case 3.4 played
				 * against a client that fails the connection
				 * while wsprobe still writes lost the client's
				 * echo now and then and was judged NON-STRICT. */
				if (rc != WSP_E_NET_TIMEOUT)
					drain_input(s);
				if (s->state != SESS_CLOSED) {
					snprintf(s->not_clean_reason,
						 sizeof(s->not_clean_reason),
						 "writing to the peer failed: %s",
						 wsp_strerror(rc));
					s->end = s->conn.end;
					s->tcp.closed_ns = clk_now_ns() - s->t0_ns;
					net_close(&s->conn);
					s->state = SESS_CLOSED;
				}
				return rc;
			}
			/* The peer is not reading: read what it sends so it
			 * can make progress too. */
			poll_input(s, clk_deadline_in_ms(0));
			if (s->conn.fd < 0)
				return WSP_E_NET_CLOSED;
		}
		off += piece;
		if (off < len && w != NULL && w->chop_delay_us > 0)
			poll_input(s, clk_deadline_in_ms(w->chop_delay_us / 1000));
	}
	return 0;
}

static void key_for(struct sess *s, const struct sess_frame *f, uint8_t k[4])
{
	if (f->has_key) {
		memcpy(k, f->key, 4);
		return;
	}
	uint64_t r = sess_rand(s);
	for (int i = 0; i < 4; i++)
		k[i] = (uint8_t)(r >> (8 * i));
}

static uint8_t *encode_frame(struct sess *s, const struct sess_frame *f,
			     size_t *outlen);

uint8_t *sess_encode_frame(struct sess *s, const struct sess_frame *f,
			   size_t *outlen)
{
	return encode_frame(s, f, outlen);
}

/* Encodes f into a new buffer (caller frees). */
static uint8_t *encode_frame(struct sess *s, const struct sess_frame *f,
			     size_t *outlen)
{
	struct wsf_frame wf;
	memset(&wf, 0, sizeof(wf));
	wf.fin = f->fin;
	wf.rsv = f->rsv;
	wf.opcode = f->opcode;
	wf.masked = (uint8_t)(f->mask < 0 ? s->cfg.role == WSP_ROLE_CLIENT
					  : f->mask != 0);
	if (wf.masked)
		key_for(s, f, wf.mask_key);
	wf.len_form = f->len_form;
	wf.payload_len = f->has_announced ? f->announced : f->len;
	size_t cap = WSF_MAX_HEADER + f->len;
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return NULL;
	ssize_t n = wsf_encode(buf, cap, &wf, f->payload, f->len);
	if (n < 0) {
		/* The requested form cannot hold the length: fall back to the
		 * minimal form rather than send nothing. */
		wf.len_form = WSF_LEN_AUTO;
		n = wsf_encode(buf, cap, &wf, f->payload, f->len);
	}
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*outlen = (size_t)n;
	return buf;
}

static void note_close_sent(struct sess *s)
{
	if (!s->close_sent) {
		s->close_sent = 1;
		if (!s->close_received)
			s->closed_by_me = 1;
		if (s->state == SESS_OPEN)
			s->state = SESS_CLOSING;
	}
}

int sess_send_frames(struct sess *s, const struct sess_frame *frames,
		     size_t n, const struct sess_write *w)
{
	if (s->state == SESS_CLOSED || s->conn.fd < 0)
		return WSP_E_NET_CLOSED;
	int sync = w != NULL && w->sync;
	uint8_t *all = NULL;
	size_t alllen = 0, allcap = 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t flen;
		uint8_t *fb = encode_frame(s, &frames[i], &flen);
		if (fb == NULL)
			return WSP_E_NOMEM;
		if (frames[i].opcode == WSP_OP_CLOSE && frames[i].protocol_close)
			note_close_sent(s);
		/* (limits-cases helper, 9.x) A single frame is written from
		 * its own buffer: copying it into 'all' first cost one more
		 * pass and fresh pages for nothing (16 MiB in 9.1.6). */
		if (sync || n == 1) {
			rc = write_bytes(s, fb, flen, w);
			free(fb);
			continue;
		}
		if (alllen + flen > allcap) {
			size_t ncap = allcap ? allcap : 4096;
			while (ncap < alllen + flen)
				ncap *= 2;
			uint8_t *na = realloc(all, ncap);
			if (na == NULL) {
				free(fb);
				free(all);
				return WSP_E_NOMEM;
			}
			all = na;
			allcap = ncap;
		}
		memcpy(all + alllen, fb, flen);
		alllen += flen;
		free(fb);
	}
	if (!sync && n > 1 && rc == 0)
		rc = write_bytes(s, all, alllen, w);
	free(all);
	return rc;
}

int sess_send_raw(struct sess *s, const uint8_t *data, size_t len,
		  const struct sess_write *w)
{
	if (s->state == SESS_CLOSED || s->conn.fd < 0)
		return WSP_E_NET_CLOSED;
	return write_bytes(s, data, len, w);
}

/* Compresses a whole message into a new buffer. */
static int compress_message(struct sess *s, const uint8_t *data, size_t len,
			    uint8_t **out, size_t *outlen)
{
	size_t cap = len + len / 8 + 64, olen = 0, in_off = 0;
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return WSP_E_NOMEM;
	for (;;) {
		size_t consumed = 0, produced = 0;
		int rc = pmd_deflate(s->defl, data + in_off, len - in_off, 1,
				     buf + olen, cap - olen, &consumed, &produced);
		if (rc < 0) {
			free(buf);
			return rc;
		}
		in_off += consumed;
		olen += produced;
		if (rc == PMD_DONE)
			break;
		if (olen == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return WSP_E_NOMEM;
			}
			buf = nb;
			cap *= 2;
		}
	}
	*out = buf;
	*outlen = olen;
	return 0;
}

int sess_reuse_would_apply(const struct sess *s, size_t len)
{
	return s->pmd_on && s->defl != NULL &&
	       s->defl_cfg.no_context_takeover && len >= ZC_MIN_LEN &&
	       zc_budget() != 0;
}

/* The compressed form of a message: *out points at it, *zlen long.  A
 * named message (r) that sess_reuse_would_apply to comes from the
 * process's cache, or is made and stored there; any other is made.  What
 * is made is in *made for the caller to free (NULL when *out is the
 * cache's).  Only a compressor that starts each message afresh gives the
 * same bytes for the same message. */
static int compressed_form(struct sess *s, const uint8_t *data, size_t len,
			   const struct sess_reuse *r, const uint8_t **out,
			   size_t *zlen, uint8_t **made)
{
	*made = NULL;
	struct zc_key k;
	int named = r != NULL && sess_reuse_would_apply(s, len);
	if (named) {
		k = (struct zc_key){
			.name = r->name,
			.name_len = r->name_len,
			.from = r->from,
			.len = len,
			.check = zc_checksum(data, len),
			.engine = s->defl_cfg.engine,
			.level = s->defl_cfg.level,
			.window_bits = s->defl_cfg.window_bits,
			.mem_level = s->defl_cfg.mem_level,
			.strategy = s->defl_cfg.strategy,
		};
		if ((*out = zc_find(&k, zlen)) != NULL)
			return 0;
	}
	int rc = compress_message(s, data, len, made, zlen);
	if (rc != 0)
		return rc;
	if (named)
		(void)zc_put(&k, *made, *zlen); /* over budget: just not kept */
	*out = *made;
	return 0;
}

int sess_send_message(struct sess *s, uint8_t opcode, const uint8_t *data,
		      size_t len, size_t fragment, int compress,
		      const struct sess_write *w)
{
	return sess_send_message_reused(s, opcode, data, len, fragment,
					compress, w, NULL);
}

int sess_send_message_reused(struct sess *s, uint8_t opcode,
			     const uint8_t *data, size_t len, size_t fragment,
			     int compress, const struct sess_write *w,
			     const struct sess_reuse *reuse)
{
	if (s->state == SESS_CLOSED || s->conn.fd < 0)
		return WSP_E_NET_CLOSED;
	uint8_t *z = NULL;
	int deflated = s->pmd_on && s->defl != NULL && compress != 0;
	if (deflated) {
		size_t zlen;
		int rc = compressed_form(s, data, len, reuse, &data, &zlen, &z);
		if (rc != 0)
			return rc;
		len = zlen;
	}
	size_t nframes = (fragment == 0 || len == 0) ? 1
						     : (len + fragment - 1) / fragment;
	struct sess_frame *fr = calloc(nframes, sizeof(*fr));
	if (fr == NULL) {
		free(z);
		return WSP_E_NOMEM;
	}
	for (size_t i = 0; i < nframes; i++) {
		size_t off = fragment ? i * fragment : 0;
		size_t n = fragment ? (len - off < fragment ? len - off : fragment)
				    : len;
		fr[i].fin = i + 1 == nframes;
		fr[i].opcode = i == 0 ? opcode : WSP_OP_CONT;
		fr[i].rsv = (uint8_t)(i == 0 && deflated ? WSP_RSV1 : 0);
		fr[i].mask = -1;
		fr[i].payload = data + off;
		fr[i].len = n;
	}
	int rc = sess_send_frames(s, fr, nframes, w);
	free(fr);
	free(z);
	return rc;
}

/* ------------------------------------------------------------------------
 * Reading
 */

/* Replies queued while the decoder runs. */
struct pending {
	uint8_t buf[8 * (WSF_MAX_HEADER + MSG_CTRL_MAX)];
	size_t len;
	size_t last_off; /* where the last queued Pong starts */
	int close_reply;
	int fail_code; /* 0, or the close code to fail the connection with */
};

struct feed_ctx {
	struct sess *s;
	struct pending *p;
	int new_event;
};

static void queue_control(struct sess *s, struct pending *p, uint8_t opcode,
			  const uint8_t *payload, size_t len)
{
	struct sess_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = opcode;
	f.mask = -1;
	f.payload = payload;
	f.len = len;
	size_t flen;
	uint8_t *fb = encode_frame(s, &f, &flen);
	if (fb == NULL)
		return;
	/* Helper, issue 4 (case 18.4.3): when the queue is full, the Pongs
	 * queued so far are dropped rather than this one, so the most recent
	 * Ping is always answered (R6455-5.5.3-02 allows skipping earlier
	 * ones, not the last); dropping the newest left a flood's last Ping
	 * unanswered. */
	if (flen > sizeof(p->buf) - p->len)
		p->len = 0;
	if (flen <= sizeof(p->buf) - p->len) {
		p->last_off = p->len;
		memcpy(p->buf + p->len, fb, flen);
		p->len += flen;
	}
	free(fb);
}

static void record_violation(struct sess *s, int code, const char *what)
{
	if (s->violation != 0)
		return;
	s->violation = code;
	const char *req = wsp_errreq(code);
	snprintf(s->violation_text, sizeof(s->violation_text),
		 "the peer %s: %s%s%s%s", what, wsp_strerror(code),
		 req ? " (" : "", req ? req : "", req ? ")" : "");
}

static uint16_t fail_code_for(int code)
{
	if (code <= -300 && code > -400) /* u8 */
		return 1007;
	if (code == WSP_E_PMD_TOO_BIG || code == WSP_E_MSG_TOO_BIG)
		return 1009;
	return 1002;
}

/* Makes room for at least want more bytes in mbuf, doubling it (an empty
 * one gets what is asked, in 4 KiB units).  The limit is the caller's. */
static int mbuf_grow(struct sess *s, size_t want)
{
	return grow_bytes(&s->mbuf, &s->mcap, s->mlen, want,
			  (want + 4095) / 4096 * 4096);
}

static int mbuf_append(struct sess *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (n > s->cfg.max_message - s->mlen)
		return WSP_E_MSG_TOO_BIG;
	int rc = mbuf_grow(s, n);
	if (rc != 0)
		return rc;
	memcpy(s->mbuf + s->mlen, p, n);
	s->mlen += n;
	return 0;
}

/* Inflates one slice of a compressed message straight into mbuf,
 * validating text as it comes out (so invalid UTF-8 is found as early as
 * possible).  The room offered grows with the message (16 KiB, then as
 * much as is already there, or the size of the last compressed message
 * at the start): fewer, longer inflate calls, and no copy through a
 * bounce buffer.  It reaches at most one byte past the limit: the
 * inflater has the same limit and reports WSP_E_PMD_TOO_BIG on that
 * byte. */
static int inflate_slice(struct sess *s, const uint8_t *p, size_t n, int fin)
{
	size_t off = 0;
	for (;;) {
		size_t left = s->cfg.max_message - s->mlen;
		size_t limit_room = left < SIZE_MAX ? left + 1 : left;
		size_t want = s->mlen < 16384 ? 16384 : s->mlen;
		/* Messages of a stream tend to be alike: room for one like
		 * the last (and a little more, so that an exact fit does not
		 * take a doubling) saves growing from 4 KiB every time. */
		if (s->mlen == 0 && s->mhint > want - 64)
			want = s->mhint + 64;
		if (want > limit_room)
			want = limit_room;
		int rc = mbuf_grow(s, want);
		if (rc != 0)
			return rc;
		size_t room = s->mcap - s->mlen;
		if (room > limit_room)
			room = limit_room;
		size_t consumed = 0, produced = 0;
		rc = pmd_inflate(s->infl, p + off, n - off, fin,
				 s->mbuf + s->mlen, room, &consumed, &produced);
		if (rc < 0)
			return rc;
		off += consumed;
		if (produced > left)
			return WSP_E_MSG_TOO_BIG;
		if (produced > 0 && s->m_opcode == WSP_OP_TEXT) {
			int u = u8_feed(&s->m_u8, s->mbuf + s->mlen, produced);
			if (u < 0)
				return u;
		}
		s->mlen += produced;
		if (rc == PMD_DONE || (rc == PMD_NEED_INPUT && off == n))
			return 0;
	}
}

/* Compressed fragments are inflated together: those of one read are
 * gathered in zbuf and inflated at the message's end, when ZBUF_MAX is
 * reached, or when the read has been processed (flush_fragments), so
 * nothing received waits for more input.  Each inflate call has a fixed
 * cost (ISA-L saves 32 KiB of history per call), which 256-byte
 * fragments (Autobahn's 12.x.11-15) would otherwise pay 100 times per
 * message.  A single-frame message is inflated in place. */
#define ZBUF_MAX ((size_t)256 << 10)

static int inflate_gathered(struct sess *s, int fin)
{
	size_t n = s->zlen;
	s->zlen = 0;
	return inflate_slice(s, s->zbuf, n, fin);
}

static int inflate_fragment(struct sess *s, const uint8_t *p, size_t n,
			    int fin)
{
	if (s->zlen == 0 && (fin || n >= ZBUF_MAX))
		return inflate_slice(s, p, n, fin);
	int rc = grow_bytes(&s->zbuf, &s->zcap, s->zlen, n, 4096);
	if (rc != 0)
		return rc;
	memcpy(s->zbuf + s->zlen, p, n);
	s->zlen += n;
	if (fin || s->zlen >= ZBUF_MAX)
		return inflate_gathered(s, fin);
	return 0;
}

/* After a read was processed: inflates the fragments it left gathered. */
static void flush_fragments(struct sess *s, struct pending *p)
{
	if (s->zlen == 0)
		return;
	if (s->violation != 0) {
		s->zlen = 0;
		return;
	}
	int rc = inflate_gathered(s, 0);
	if (rc < 0) {
		record_violation(s, rc, "sent a message that breaks a rule");
		p->fail_code = fail_code_for(rc);
	}
}

static void on_msg_event(const struct msg_event *ev, void *user)
{
	struct feed_ctx *fc = user;
	struct sess *s = fc->s;
	if (s->violation != 0)
		return;
	switch (ev->type) {
	case MSG_EV_FRAME:
		break;
	case MSG_EV_DATA: {
		if (ev->first) {
			s->mlen = 0;
			s->m_opcode = ev->opcode;
			s->m_compressed = ev->compressed;
			u8_init(&s->m_u8);
		}
		if (ev->first)
			s->zlen = 0;
		int rc;
		if (s->m_compressed)
			rc = inflate_fragment(s, ev->data, ev->len, ev->last);
		else
			rc = mbuf_append(s, ev->data, ev->len);
		if (rc == 0 && s->m_compressed && ev->last &&
		    s->m_opcode == WSP_OP_TEXT)
			rc = u8_finish(&s->m_u8);
		if (rc < 0) {
			record_violation(s, rc, "sent a message that breaks a rule");
			fc->p->fail_code = fail_code_for(rc);
		}
		break;
	}
	case MSG_EV_END:
		if (!ev->aborted) {
			s->messages_in++;
			if (s->m_compressed)
				s->mhint = s->mlen < ((size_t)64 << 20)
						   ? s->mlen
						   : (size_t)64 << 20;
			if (add_message_event(s) == 0)
				fc->new_event = 1;
		}
		s->mlen = 0;
		s->zlen = 0;
		break;
	case MSG_EV_CONTROL:
		if (ev->opcode == WSP_OP_PING) {
			s->pings_in++;
			/* Answer unless a Close was received (R6455-5.5.2-02)
			 * or sent (no frames after our Close). */
			if (!s->close_received && !s->close_sent)
				queue_control(s, fc->p, WSP_OP_PONG, ev->data,
					      ev->len);
		} else if (ev->opcode == WSP_OP_PONG) {
			s->pongs_in++;
			if (add_event(s, VD_EV_PONG, 0, ev->data, ev->len) == 0)
				fc->new_event = 1;
		} else if (ev->opcode == WSP_OP_CLOSE) {
			s->close_received = 1;
			if (s->state == SESS_OPEN)
				s->state = SESS_CLOSING;
			if (ev->close.has_code) {
				s->has_remote_code = 1;
				s->remote_code = ev->close.code;
				size_t rl = ev->close.reason_len;
				if (rl >= sizeof(s->remote_reason))
					rl = sizeof(s->remote_reason) - 1;
				if (rl)
					memcpy(s->remote_reason, ev->close.reason, rl);
				s->remote_reason[rl] = '\0';
			}
			/* A valid Close is answered; an invalid one is a
			 * violation, handled when its event follows. */
			if (ev->code == 0 && !s->close_sent)
				fc->p->close_reply = 1;
		}
		break;
	case MSG_EV_VIOLATION:
		record_violation(s, ev->code, "sent a frame that breaks a rule");
		fc->p->fail_code = fail_code_for(ev->code);
		break;
	}
}

static void finish_tcp(struct sess *s, int clean, const char *why)
{
	if (s->state == SESS_CLOSED)
		return;
	/* (role_server helper) A client that fails the connection on a
	 * violation lingers too: the server is often still sending (case 3.4
	 * writes a Ping one byte at a time after the bad frame), and the RST
	 * of a plain close threw away the echo and the Close 1002 still in
	 * our send queue, so wsprobe's server role judged its own test
	 * client NON-STRICT now and then. */
	if ((s->cfg.role == WSP_ROLE_SERVER || s->violation != 0) &&
	    s->conn.fd >= 0 && s->conn.end == NET_END_OPEN) {
		/* Lingering close: send FIN, then read until the peer closes
		 * too (bounded).  Closing a socket with unread input makes the
		 * kernel send RST, and an RST can destroy the Close frame we
		 * just sent before the peer reads it. */
		struct clk_deadline dl =
			clk_deadline_in_ms(scaled(s, s->cfg.close_timeout_ms));
		if (net_shutdown_write(&s->conn, dl) == 0) {
			s->tcp.shut_ns = clk_now_ns() - s->t0_ns;
			/* Large reads: a peer refused in the middle of a
			 * 64 MiB frame (18.1) must be drained within the
			 * close timeout even on a loaded machine, or our
			 * close turns into an RST that destroys the Close
			 * frame it has not read yet. */
			static _Thread_local uint8_t scratch[65536];
			for (;;) {
				int n = net_read(&s->conn, scratch, sizeof(scratch),
						 dl);
				if (n <= 0)
					break;
				wire_add(s, 1, scratch, (size_t)n);
			}
		}
	}
	s->end = s->conn.end;
	s->tcp.closed_ns = clk_now_ns() - s->t0_ns;
	net_close(&s->conn);
	s->state = SESS_CLOSED;
	s->was_clean = clean && s->violation == 0;
	if (!clean && why != NULL && s->not_clean_reason[0] == '\0')
		snprintf(s->not_clean_reason, sizeof(s->not_clean_reason),
			 "%.150s", why);
}

static void send_close_frame(struct sess *s, int has_code, uint16_t code,
			     const char *reason, size_t rlen)
{
	uint8_t payload[WSC_MAX_PAYLOAD + 2];
	if (rlen > WSC_MAX_PAYLOAD - 2)
		rlen = WSC_MAX_PAYLOAD - 2;
	int n = wsc_build(payload, sizeof(payload), has_code, code,
			  (const uint8_t *)reason, rlen);
	struct sess_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = WSP_OP_CLOSE;
	f.mask = -1;
	f.payload = payload;
	f.len = n > 0 ? (size_t)n : 0;
	f.protocol_close = 1;
	sess_send_frames(s, &f, 1, NULL);
}

/* After the decoder ran: send queued replies, fail on a violation, and
 * move the closing state machine on. */
static void after_feed(struct sess *s, struct pending *p)
{
	if (s->writing > 0) {
		/* One of our frames is half written: answer after it. */
		if (p->len <= sizeof(s->deferred) - s->deferred_len) {
			memcpy(s->deferred + s->deferred_len, p->buf, p->len);
			s->deferred_len += p->len;
		} else {
			/* Extra Pongs are dropped, R6455-5.5.3-02, but never
			 * the one for the most recent Ping (helper, issue 4):
			 * keep p's Pongs, or at least its last one. */
			size_t from = p->len <= sizeof(s->deferred) ? 0
								     : p->last_off;
			memcpy(s->deferred, p->buf + from, p->len - from);
			s->deferred_len = p->len - from;
		}
		s->deferred_close_reply |= p->close_reply;
		if (p->fail_code != 0 && s->deferred_fail == 0)
			s->deferred_fail = p->fail_code;
		return;
	}
	if (p->len > 0 && s->conn.fd >= 0 && !s->conn.wr_closed)
		write_bytes(s, p->buf, p->len, NULL);
	/* Cases 7.1.2-7.1.6 (helper, issue 4): a valid Close from the peer
	 * followed, in the same read, by more frames.  The strict decoder
	 * stops at the first frame after the Close (a violation by the
	 * sender, kept in s->violation for the verdict), but the receiver
	 * still answers the Close as usual, echoing its code (R6455-5.5.1-07),
	 * and discards what follows (RFC 6455 section 1.4); failing with
	 * 1002 instead made the reference echo server close 7.1.4/7.1.5 with
	 * the wrong code.  close_reply is only set for a valid Close that
	 * came before the violation. */
	if (p->fail_code != 0 && (p->close_reply || s->pending_close))
		p->fail_code = 0;
	/* The echo server (deliver_before_fail) answers the Close once the
	 * messages that arrived before it have been handed out and echoed
	 * (R6455-5.5.1-09 allows finishing the current message first), so
	 * its answer to 7.1.6 does not depend on how TCP split the input, and
	 * the reply is never written in the middle of an echo in progress. */
	if (p->close_reply && s->cfg.deliver_before_fail &&
	    s->next_unconsumed < s->nevents) {
		s->pending_close = 1;
		return;
	}
	if (p->fail_code != 0 && s->cfg.deliver_before_fail &&
	    s->next_unconsumed < s->nevents) {
		s->pending_fail = p->fail_code;
		return;
	}
	if (p->fail_code != 0) {
		if (!s->close_sent) {
			s->failed_by_me = 1;
			send_close_frame(s, 1, (uint16_t)p->fail_code, NULL, 0);
		}
		finish_tcp(s, 0, s->violation_text);
		return;
	}
	if (p->close_reply) {
		/* Echo the peer's code, as Autobahn's fuzzer does. */
		if (s->has_remote_code)
			send_close_frame(s, 1, s->remote_code, NULL, 0);
		else
			send_close_frame(s, 0, 0, NULL, 0);
	}
	if (s->close_sent && s->close_received && s->state != SESS_CLOSED &&
	    s->cfg.role == WSP_ROLE_SERVER)
		finish_tcp(s, 1, NULL); /* R6455-5.5.1-12 */
}

static void flush_deferred(struct sess *s)
{
	if (s->deferred_len == 0 && !s->deferred_close_reply &&
	    s->deferred_fail == 0)
		return;
	struct pending p;
	memset(&p, 0, sizeof(p));
	size_t n = s->deferred_len < sizeof(p.buf) ? s->deferred_len
						   : sizeof(p.buf);
	memcpy(p.buf, s->deferred, n);
	p.len = n;
	p.close_reply = s->deferred_close_reply;
	p.fail_code = s->deferred_fail;
	s->deferred_len = 0;
	s->deferred_close_reply = 0;
	s->deferred_fail = 0;
	after_feed(s, &p);
}

/* Reads once (waiting until dl) and processes what arrived. */
static void read_once(struct sess *s, struct clk_deadline dl, int *new_event)
{
	if (s->conn.fd < 0)
		return;
	int n = net_read(&s->conn, s->rbuf, sizeof(s->rbuf), dl);
	if (n == WSP_E_NET_TIMEOUT)
		return;
	if (n <= 0) {
		const char *why;
		/* Integration tests (tests/integration/hostile.sh): say when the
		 * stream ended inside a frame, so a peer that resets or closes
		 * mid-frame is named as such in the verdict's reasons. */
		int mid = s->opened && s->violation == 0 &&
			  (s->md.in_frame || !wsf_decoder_idle(&s->md.dec));
		if (n == 0)
			why = mid ? "the peer closed TCP in the middle of a frame"
				  : "the peer closed TCP before the closing "
				    "handshake completed";
		else if (n == WSP_E_NET_RESET)
			why = mid ? "the peer reset the TCP connection in the "
				    "middle of a frame"
				  : "the peer reset the TCP connection";
		else
			why = "reading from the peer failed";
		int clean = n == 0 && s->close_sent && s->close_received;
		finish_tcp(s, clean, why);
		return;
	}
	wire_add(s, 1, s->rbuf, (size_t)n);
	if (s->state == SESS_NEW) {
		/* Bytes before the handshake completed are the handshake's:
		 * never reached (sess_connect reads them itself). */
		return;
	}
	if (s->violation != 0)
		return; /* failing: nothing more is processed (R6455-7.1.7-07) */
	struct pending p;
	memset(&p, 0, sizeof(p));
	struct feed_ctx fc = {s, &p, 0};
	size_t consumed = 0;
	msg_feed(&s->md, s->rbuf, (size_t)n, &consumed, on_msg_event, &fc);
	flush_fragments(s, &p);
	after_feed(s, &p);
	if (fc.new_event)
		*new_event = 1;
}

static void poll_input(struct sess *s, struct clk_deadline dl)
{
	int ignored = 0;
	read_once(s, dl, &ignored);
}

/* Feeds bytes that arrived together with the handshake head. */
static void feed_leftover(struct sess *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	uint8_t *copy = malloc(n);
	if (copy == NULL)
		return;
	memcpy(copy, p, n);
	struct pending pd;
	memset(&pd, 0, sizeof(pd));
	struct feed_ctx fc = {s, &pd, 0};
	size_t consumed = 0;
	msg_feed(&s->md, copy, n, &consumed, on_msg_event, &fc);
	free(copy);
	flush_fragments(s, &pd);
	after_feed(s, &pd);
}

/* The closing state machine's deadlines. */
static struct clk_deadline close_deadline(struct sess *s, int64_t *since)
{
	if (*since == 0)
		*since = clk_now_ns();
	int64_t ms = s->close_sent && s->close_received
			     ? scaled(s, s->cfg.drop_timeout_ms)
			     : scaled(s, s->cfg.close_timeout_ms);
	struct clk_deadline d = {*since + ms * 1000000};
	return d;
}

int sess_pump(struct sess *s, struct clk_deadline dl, int until_event)
{
	int64_t closing_since = 0;
	int phase = 0;
	while (s->state != SESS_CLOSED) {
		struct clk_deadline step = dl;
		int waiting_close = s->close_sent || s->close_received;
		if (waiting_close) {
			int ph = s->close_sent && s->close_received ? 2 : 1;
			if (ph != phase) {
				phase = ph;
				closing_since = 0;
			}
			step = clk_deadline_min(step,
						close_deadline(s, &closing_since));
		}
		int new_event = 0;
		read_once(s, step, &new_event);
		if (new_event && until_event)
			return 1;
		if (s->state == SESS_CLOSED)
			break;
		if (waiting_close && clk_expired(close_deadline(s, &closing_since))) {
			if (s->close_sent && s->close_received) {
				/* Only a client waits here: the server did not
				 * close TCP in time (R6455-5.5.1-12). */
				s->dropped_by_me = 1;
				finish_tcp(s, 0, "the server did not close the TCP "
						 "connection after the closing "
						 "handshake");
			} else if (s->close_sent) {
				finish_tcp(s, 0, "the peer did not answer the Close "
						 "frame in time");
			} else {
				finish_tcp(s, 0, "the Close reply could not be "
						 "completed");
			}
			break;
		}
		if (clk_expired(dl))
			return 0;
	}
	return 0;
}

void sess_mark_timeout(struct sess *s, const char *tag, size_t len)
{
	if (s->state != SESS_CLOSED)
		add_event(s, VD_EV_TIMEOUT, 0, (const uint8_t *)tag, len);
}

const struct sess_event *sess_next_event(struct sess *s,
					 struct clk_deadline dl)
{
	for (;;) {
		while (s->next_unconsumed < s->nevents) {
			struct sess_event *e = &s->events[s->next_unconsumed++];
			if (!e->consumed && e->type != VD_EV_TIMEOUT) {
				e->consumed = 1;
				return e;
			}
		}
		if (s->pending_close && s->state != SESS_CLOSED) {
			struct pending p;
			memset(&p, 0, sizeof(p));
			p.close_reply = 1;
			s->pending_close = 0;
			after_feed(s, &p);
		}
		if (s->pending_fail != 0 && s->state != SESS_CLOSED) {
			struct pending p;
			memset(&p, 0, sizeof(p));
			p.fail_code = s->pending_fail;
			s->pending_fail = 0;
			after_feed(s, &p);
		}
		if (s->state == SESS_CLOSED || clk_expired(dl))
			return NULL;
		sess_pump(s, dl, 1);
		if (s->next_unconsumed >= s->nevents &&
		    (s->state == SESS_CLOSED || clk_expired(dl)))
			return NULL;
	}
}

void sess_release_consumed(struct sess *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->nevents; i++) {
		if (s->events[i].consumed)
			free(s->events[i].data);
		else
			s->events[k++] = s->events[i];
	}
	s->nevents = k;
	s->next_unconsumed = 0;
}

void sess_close(struct sess *s, int has_code, uint16_t code,
		const char *reason, size_t reason_len)
{
	if (s->state == SESS_CLOSED)
		return;
	if (!s->close_sent)
		send_close_frame(s, has_code, code, reason, reason_len);
	if (s->close_sent && s->close_received && s->cfg.role == WSP_ROLE_SERVER)
		finish_tcp(s, 1, NULL);
	/* The pump's closing state machine bounds the wait. */
	sess_pump(s, clk_never(), 0);
}

void sess_fail(struct sess *s, uint16_t code, const char *reason)
{
	if (s->state == SESS_CLOSED)
		return;
	s->failed_by_me = 1;
	if (!s->close_sent)
		send_close_frame(s, 1, code, reason, reason ? strlen(reason) : 0);
	struct clk_deadline dl =
		clk_deadline_in_ms(scaled(s, s->cfg.close_timeout_ms));
	while (s->state != SESS_CLOSED && !s->close_received && !clk_expired(dl))
		sess_pump(s, dl, 1);
	finish_tcp(s, 0, "wsprobe failed the connection");
}

void sess_set_wire_tap(struct sess *s, sess_wire_tap_fn fn, void *ctx)
{
	s->wire_tap = fn;
	s->wire_tap_ctx = fn != NULL ? ctx : NULL;
}

void sess_drop(struct sess *s)
{
	if (!s->close_received)
		s->closed_by_me = 1;
	finish_tcp(s, 0, "wsprobe dropped the TCP connection");
}

void sess_observed_close(const struct sess *s, struct vd_observed_close *oc)
{
	memset(oc, 0, sizeof(*oc));
	oc->opened = s->opened;
	oc->open_error = s->open_error[0] ? s->open_error : NULL;
	oc->closed_by_me = s->closed_by_me;
	oc->has_remote_code = s->has_remote_code;
	oc->remote_code = s->remote_code;
	oc->was_clean = s->was_clean;
	oc->not_clean_reason = s->not_clean_reason[0] ? s->not_clean_reason
						      : NULL;
	oc->dropped_by_me = s->dropped_by_me;
	oc->is_client = s->cfg.role == WSP_ROLE_CLIENT;
}

/* ------------------------------------------------------------------------
 * Opening handshake
 */

/* Reads until a complete head is in buf; returns its length or a code. */
static int read_head(struct sess *s, char *buf, size_t cap, size_t *have,
		     int is_request, struct hs_msg *m, struct clk_deadline dl)
{
	size_t last = 0;
	for (;;) {
		if (*have > 0) {
			int rc = is_request ? hs_parse_request(m, buf, *have, last)
					    : hs_parse_response(m, buf, *have, last);
			if (rc != WSP_E_INCOMPLETE)
				return rc;
			last = *have;
		}
		if (*have == cap)
			return WSP_E_HS_HEAD_TOO_BIG;
		int n = net_read(&s->conn, buf + *have, cap - *have, dl);
		if (n <= 0)
			return n == 0 ? WSP_E_NET_CLOSED : n;
		wire_add(s, 1, (const uint8_t *)buf + *have, (size_t)n);
		*have += (size_t)n;
	}
}

static int parse_offers(const struct hs_req_desc *d, struct pmd_params *offers,
			size_t *noffers, size_t max)
{
	*noffers = 0;
	for (size_t i = 0; i < d->nextensions; i++) {
		struct ext_elem el[8];
		int n = ext_parse(d->extensions[i], strlen(d->extensions[i]), el, 8);
		for (int j = 0; j < n && j < 8; j++) {
			if (!pmd_is_pmd(&el[j]) || *noffers == max)
				continue;
			if (pmd_parse_offer(&el[j], &offers[*noffers]) == 0)
				(*noffers)++;
		}
	}
	return 0;
}

int sess_connect(struct sess *s, const struct url *u, struct net_tls *t,
		 const struct sess_open_opts *o)
{
	struct clk_deadline dl =
		clk_deadline_in_ms(scaled(s, s->cfg.open_timeout_ms));
	int rc = net_connect(&s->conn, u->host, u->port, NET_FAMILY_ANY, dl);
	if (rc != 0) {
		set_open_error(s, s->conn.errmsg[0] ? s->conn.errmsg
						     : "cannot connect", 0);
		s->state = SESS_CLOSED;
		return rc;
	}
	if (u->secure) {
		/* The host is passed for IP literals too: net_tls_handshake
		 * then sends no SNI (RFC 6066) but still checks the address
		 * against the certificate's iPAddress names.  Passing NULL
		 * for them skipped the check (found by
		 * tests/integration/wsprobe.sh). */
		rc = net_tls_handshake(&s->conn, t, u->host, dl);
		if (rc != 0) {
			set_open_error(s, s->conn.errmsg, 0);
			finish_tcp(s, 0, "TLS handshake failed");
			return rc;
		}
	}
	struct hs_req_desc d;
	static const struct sess_open_opts none;
	if (o == NULL)
		o = &none;
	d = o->req;
	char hostbuf[URL_HOST_MAX + 3];
	if (d.host == NULL) {
		if (u->host_kind == URL_HOST_IPV6)
			snprintf(hostbuf, sizeof(hostbuf), "[%s]", u->host);
		else
			snprintf(hostbuf, sizeof(hostbuf), "%s", u->host);
		d.host = hostbuf;
		if (d.port == 0 && u->port != url_default_port(u->secure))
			d.port = u->port;
	}
	if (d.target == NULL)
		d.target = u->resource;
	uint8_t nonce[HS_NONCE_LEN];
	if (d.nonce == NULL && d.key == NULL) {
		for (int i = 0; i < HS_NONCE_LEN; i += 8) {
			uint64_t r = sess_rand(s);
			memcpy(nonce + i, &r, 8);
		}
		d.nonce = nonce;
	}
	char req[HEAD_MAX];
	int n = hs_build_request(&d, req, sizeof(req));
	if (n < 0) {
		set_open_error(s, "cannot build the request", n);
		finish_tcp(s, 0, NULL);
		return n;
	}
	s->http_request = dup_n(req, (size_t)n);
	rc = net_write_all(&s->conn, req, (size_t)n, dl);
	wire_add(s, 0, (const uint8_t *)req, rc == 0 ? (size_t)n : 0);
	if (rc != 0) {
		set_open_error(s, "sending the opening handshake failed", rc);
		finish_tcp(s, 0, NULL);
		return rc;
	}
	char resp[HEAD_MAX];
	size_t have = 0;
	struct hs_header hdrs[MAX_HEADERS];
	struct hs_msg m;
	hs_msg_init(&m, hdrs, MAX_HEADERS);
	m.max_head = sizeof(resp);
	int head = read_head(s, resp, sizeof(resp), &have, 0, &m, dl);
	if (head < 0) {
		const char *what = head == WSP_E_NET_TIMEOUT
					   ? "no opening handshake response in time"
				   : head == WSP_E_NET_CLOSED
					   ? "the server closed the connection "
					     "before answering the handshake"
					   : "bad opening handshake response";
		set_open_error(s, what, head == WSP_E_NET_TIMEOUT ||
						head == WSP_E_NET_CLOSED
					? 0
					: head);
		finish_tcp(s, 0, NULL);
		return head;
	}
	s->http_response = dup_n(resp, (size_t)head);
	/* Judge the response against the request we sent. */
	struct hs_header rq_hdrs[MAX_HEADERS];
	struct hs_msg rq;
	hs_msg_init(&rq, rq_hdrs, MAX_HEADERS);
	rq.max_head = sizeof(req);
	int viol[HS_MAX_VIOL];
	int nv = 0;
	if (hs_parse_request(&rq, req, (size_t)n, 0) > 0)
		nv = hs_check_response(&m, &rq, viol, HS_MAX_VIOL);
	else
		nv = hs_check_response(&m, NULL, viol, HS_MAX_VIOL);
	if (nv > 0) {
		char what[64];
		snprintf(what, sizeof(what), "the server answered status %d",
			 m.status);
		set_open_error(s, what, viol[0]);
		finish_tcp(s, 0, NULL);
		return viol[0];
	}
	/* permessage-deflate: judge the response against our offers. */
	struct pmd_params offers[8];
	size_t noffers;
	parse_offers(&d, offers, &noffers, 8);
	struct ext_elem resp_ext[HS_MAX_EXT];
	size_t nresp = 0;
	const struct hs_header *eh = hs_find(&m, "Sec-WebSocket-Extensions");
	if (eh != NULL) {
		int ne = ext_parse(eh->value, eh->value_len, resp_ext, HS_MAX_EXT);
		nresp = ne > 0 ? (size_t)(ne < HS_MAX_EXT ? ne : HS_MAX_EXT) : 0;
	}
	int pr = pmd_client_check(offers, noffers, resp_ext, nresp, NULL, &s->pmd);
	if (pr < 0) {
		set_open_error(s, "bad permessage-deflate response", pr);
		finish_tcp(s, 0, NULL);
		return pr;
	}
	s->pmd_on = pr == 1;
	rc = start_decoder(s);
	if (rc != 0) {
		set_open_error(s, "internal error", rc);
		finish_tcp(s, 0, NULL);
		return rc;
	}
	feed_leftover(s, (const uint8_t *)resp + head, have - (size_t)head);
	return 0;
}

int sess_read_request(struct sess *s, struct net_conn *c)
{
	s->conn = *c;
	net_conn_init(c); /* the session owns the connection now */
	struct clk_deadline dl =
		clk_deadline_in_ms(scaled(s, s->cfg.open_timeout_ms));
	char *buf = malloc(HEAD_MAX);
	if (buf == NULL)
		return WSP_E_NOMEM;
	size_t have = 0;
	struct hs_header hdrs[MAX_HEADERS];
	struct hs_msg m;
	hs_msg_init(&m, hdrs, MAX_HEADERS);
	m.max_head = HEAD_MAX;
	int head = read_head(s, buf, HEAD_MAX, &have, 1, &m, dl);
	if (head < 0) {
		set_open_error(s, head == WSP_E_NET_TIMEOUT
					  ? "no opening handshake request in time"
					  : "bad opening handshake request",
			       head == WSP_E_NET_TIMEOUT ? 0 : head);
		if (head != WSP_E_NET_TIMEOUT && head != WSP_E_NET_CLOSED &&
		    s->conn.fd >= 0) {
			static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
						  "Content-Length: 0\r\n\r\n";
			net_write_all(&s->conn, bad, sizeof(bad) - 1,
				      clk_deadline_in_ms(1000));
			/* What did not parse stays readable: the server role
			 * judges some cases on it (a request target with raw
			 * non-ASCII bytes, R6455-11.1.1-02). */
			s->http_request = dup_n(buf, have);
			s->http_request_len = s->http_request != NULL ? have
								      : 0;
		}
		free(buf);
		finish_tcp(s, 0, NULL);
		return head;
	}
	s->http_request = dup_n(buf, (size_t)have);
	s->http_request_len = have;
	size_t tl = m.target_len < sizeof(s->req_path) - 1
			    ? m.target_len
			    : sizeof(s->req_path) - 1;
	memcpy(s->req_path, m.target, tl);
	s->req_path[tl] = '\0';
	/* Keep the whole buffer (head and any early frames) for sess_accept:
	 * http_request holds all of it, and the head length is re-parsed. */
	free(buf);
	return 0;
}

/* (deflate-cases helper) Negotiates permessage-deflate with one struct
 * sess_pmd_answer: offers lacking a parameter it needs are left out, the
 * others go to pmd_server_negotiate.  Returns its result. */
static int negotiate_answer(const struct sess_pmd_answer *a,
			    const struct ext_elem *offers, size_t n,
			    struct pmd_agreed *agreed, char *resp, size_t cap)
{
	struct ext_elem kept[HS_MAX_EXT];
	size_t nk = 0;
	for (size_t i = 0; i < n && nk < HS_MAX_EXT; i++) {
		struct pmd_params p;
		if (pmd_is_pmd(&offers[i]) &&
		    pmd_parse_offer(&offers[i], &p) == 0 &&
		    ((a->need_client_no_context_takeover &&
		      !p.client_no_context_takeover) ||
		     (a->need_client_max_window_bits &&
		      p.client_max_window_bits == 0 &&
		      !p.client_max_window_bits_novalue)))
			continue;
		kept[nk++] = offers[i];
	}
	return pmd_server_negotiate(&a->cfg, kept, nk, agreed, NULL, resp, cap,
				    NULL, NULL);
}

int sess_accept(struct sess *s, const struct sess_open_opts *o)
{
	static const struct sess_open_opts none;
	if (o == NULL)
		o = &none;
	if (s->http_request == NULL)
		return WSP_E_INVAL;
	size_t have = s->http_request_len;
	struct hs_header hdrs[MAX_HEADERS];
	struct hs_msg m;
	hs_msg_init(&m, hdrs, MAX_HEADERS);
	m.max_head = HEAD_MAX;
	int head = hs_parse_request(&m, s->http_request, have, 0);
	if (head <= 0)
		return WSP_E_INVAL;
	struct clk_deadline dl =
		clk_deadline_in_ms(scaled(s, s->cfg.open_timeout_ms));
	char resp[HEAD_MAX];
	struct hs_resp_desc rd;
	memset(&rd, 0, sizeof(rd));
	int viol[HS_MAX_VIOL];
	int nv = hs_check_request(&m, viol, HS_MAX_VIOL);
	if (nv > 0) {
		rd.status = hs_reject_status(viol, (size_t)nv);
		int n = hs_build_response(&rd, resp, sizeof(resp));
		if (n > 0) {
			net_write_all(&s->conn, resp, (size_t)n, dl);
			wire_add(s, 0, (const uint8_t *)resp, (size_t)n);
			s->http_response = dup_n(resp, (size_t)n);
		}
		set_open_error(s, "the client's opening handshake was refused",
			       viol[0]);
		finish_tcp(s, 0, NULL);
		return viol[0];
	}
	const struct hs_header *key = hs_find(&m, "Sec-WebSocket-Key");
	char keybuf[128];
	size_t kl = key->value_len < sizeof(keybuf) - 1 ? key->value_len
							: sizeof(keybuf) - 1;
	memcpy(keybuf, key->value, kl);
	keybuf[kl] = '\0';
	rd.status = 101;
	rd.key = keybuf;
	rd.edits = o->resp_edits;
	char proto[256];
	const char *pp;
	size_t pl;
	if (o->nprotocols > 0 &&
	    hs_select_protocol(&m, o->protocols, o->nprotocols, &pp, &pl) == 1 &&
	    pl < sizeof(proto)) {
		memcpy(proto, pp, pl);
		proto[pl] = '\0';
		rd.protocol = proto;
	}
	char ext_resp[512];
	if (o->pmd != NULL || o->npmd_answers > 0) {
		struct ext_elem offers[HS_MAX_EXT];
		size_t noff = 0;
		const struct hs_header *eh = NULL;
		while ((eh = hs_find_next(&m, "Sec-WebSocket-Extensions", eh)) !=
			       NULL &&
		       noff < HS_MAX_EXT) {
			int ne = ext_parse(eh->value, eh->value_len, offers + noff,
					   HS_MAX_EXT - noff);
			if (ne > 0)
				noff += (size_t)ne < HS_MAX_EXT - noff
						? (size_t)ne
						: HS_MAX_EXT - noff;
		}
		size_t rlen = 0;
		int pr = 0;
		if (o->pmd != NULL)
			pr = pmd_server_negotiate(o->pmd, offers, noff, &s->pmd,
						  NULL, ext_resp, sizeof(ext_resp),
						  &rlen, NULL);
		for (size_t a = 0; o->pmd == NULL && a < o->npmd_answers && pr != 1;
		     a++)
			pr = negotiate_answer(&o->pmd_answers[a], offers, noff,
					      &s->pmd, ext_resp, sizeof(ext_resp));
		if (pr == 1) {
			s->pmd_on = 1;
			rd.extensions = ext_resp;
		}
	}
	int n = hs_build_response(&rd, resp, sizeof(resp));
	if (n < 0) {
		set_open_error(s, "cannot build the response", n);
		finish_tcp(s, 0, NULL);
		return n;
	}
	s->http_response = dup_n(resp, (size_t)n);
	int rc = net_write_all(&s->conn, resp, (size_t)n, dl);
	wire_add(s, 0, (const uint8_t *)resp, rc == 0 ? (size_t)n : 0);
	if (rc != 0) {
		set_open_error(s, "sending the handshake response failed", rc);
		finish_tcp(s, 0, NULL);
		return rc;
	}
	rc = start_decoder(s);
	if (rc != 0) {
		set_open_error(s, "internal error", rc);
		finish_tcp(s, 0, NULL);
		return rc;
	}
	/* Frames the client sent right behind its request. */
	feed_leftover(s, (const uint8_t *)s->http_request + head,
		      have - (size_t)head);
	s->http_request[head] = '\0';
	s->http_request_len = (size_t)head;
	return 0;
}
