/*
 * disfmt.c: text and JSON lines for dissector events (disfmt.h).
 *
 * Text frame line (one per frame):
 *
 *   packet  time(rel)  stream dir flags opcode mask length  preview [notes]
 *        5   0.000300      0 c2s F---  text   M          5  "Hello"
 *
 * flags: F = FIN, then RSV1..3 as 1, 2, 3 or '-'; mask: M when masked.
 * The preview is the payload as a quoted, escaped string (text, close
 * reason, ping, pong) or hex (binary); for compressed messages the
 * inflated bytes.  Everything is formatted by hand into a bounded buffer:
 * nothing here can write past cap, and nothing depends on the locale.
 */
#include <string.h>

#include "disfmt.h"
#include "pkt.h"
#include "u8.h"
#include "wsp.h"
#include "wsp_err.h"

struct sb {
	char *p;
	size_t len, cap; /* cap keeps one byte for the final newline */
};

static void put(struct sb *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void str(struct sb *b, const char *s)
{
	put(b, s, strlen(s));
}

static void ch(struct sb *b, char c)
{
	put(b, &c, 1);
}

static void u64w(struct sb *b, uint64_t v, int width)
{
	char t[24];
	int n = 0;
	do {
		t[sizeof(t) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (int i = n; i < width; i++)
		ch(b, ' ');
	put(b, t + sizeof(t) - n, (size_t)n);
}

static void u64(struct sb *b, uint64_t v)
{
	u64w(b, v, 0);
}

/* v with exactly digits digits, zero-padded. */
static void frac(struct sb *b, uint64_t v, int digits)
{
	char t[20];
	for (int i = digits - 1; i >= 0; i--) {
		t[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put(b, t, (size_t)digits);
}

static void padto(struct sb *b, size_t start, size_t width)
{
	while (b->len - start < width && b->len < b->cap)
		ch(b, ' ');
}

static const char hexd[] = "0123456789abcdef";

static void hexbytes(struct sb *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ch(b, hexd[p[i] >> 4]);
		ch(b, hexd[p[i] & 15]);
	}
}

/* Length of a valid UTF-8 sequence of 2..4 bytes at p[0..n), or 0. */
static size_t u8seq(const uint8_t *p, size_t n)
{
	size_t l = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	if (l == 0 || l > n)
		return 0;
	return u8_ref_validate(p, l, NULL) == 0 ? l : 0;
}

/* p[0..n) as the inside of a double-quoted string: C-style escapes for
 * text, JSON escapes (invalid UTF-8 as U+FFFD) for json. */
static void esc(struct sb *b, const uint8_t *p, size_t n, int json)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		if (c >= 0x80) {
			size_t l = u8seq(p + i, n - i);
			if (l > 0) {
				put(b, (const char *)p + i, l);
				i += l;
			} else if (json) {
				str(b, "\\ufffd");
				i++;
			} else {
				str(b, "\\x");
				ch(b, hexd[c >> 4]);
				ch(b, hexd[c & 15]);
				i++;
			}
			continue;
		}
		i++;
		if (c == '"' || c == '\\') {
			ch(b, '\\');
			ch(b, (char)c);
		} else if (c == '\n') {
			str(b, "\\n");
		} else if (c == '\r') {
			str(b, "\\r");
		} else if (c == '\t') {
			str(b, "\\t");
		} else if (c < 0x20 || c == 0x7F) {
			str(b, json ? "\\u00" : "\\x");
			ch(b, hexd[c >> 4]);
			ch(b, hexd[c & 15]);
		} else {
			ch(b, (char)c);
		}
	}
}

static void qstr(struct sb *b, const uint8_t *p, size_t n, int json)
{
	ch(b, '"');
	esc(b, p, n, json);
	ch(b, '"');
}

/* Seconds.nanoseconds since the epoch, for JSON. */
static void abstime(struct sb *b, struct cap_time t)
{
	int64_t s = t.sec;
	uint32_t ns = t.nsec;
	if (s < 0) {
		/* -2 s + 0.5 s is -1.5: one whole second fewer. */
		ch(b, '-');
		uint64_t whole = (uint64_t)(-(s + 1));
		if (ns > 0)
			ns = 1000000000u - ns;
		else
			whole += 1;
		u64(b, whole);
	} else {
		u64(b, (uint64_t)s);
	}
	ch(b, '.');
	frac(b, ns, 9);
}

/* Seconds since t0 with microseconds, right-aligned in 11 columns.  A
 * capture's times can be any int64_t seconds (pcapng resolutions and
 * offsets; damaged files), so the difference is taken in uint64_t from
 * the later time, never as a signed product that could overflow.  An
 * earlier time shows its magnitude rounded up to the microsecond (the
 * signed value rounded down, as for a later one). */
static void reltime(struct sb *b, struct cap_time t, struct cap_time t0)
{
	int neg = t.sec < t0.sec || (t.sec == t0.sec && t.nsec < t0.nsec);
	struct cap_time hi = neg ? t0 : t, lo = neg ? t : t0;
	uint64_t ds = (uint64_t)hi.sec - (uint64_t)lo.sec;
	int64_t dn = (int64_t)hi.nsec - (int64_t)lo.nsec;
	if (dn < 0) {
		dn += 1000000000;
		ds -= 1;
	}
	uint64_t us = (uint64_t)dn / 1000;
	/* (The one magnitude that cannot be rounded up, 2^64 s, shows as
	 * the largest value below it.) */
	if (neg && (uint64_t)dn % 1000 != 0 &&
	    (us < 999999 || ds < UINT64_MAX) && ++us == 1000000) {
		us = 0;
		ds += 1;
	}
	char tmp[40];
	struct sb tb = {tmp, 0, sizeof(tmp)};
	if (neg)
		ch(&tb, '-');
	u64(&tb, ds);
	ch(&tb, '.');
	frac(&tb, us, 6);
	for (size_t i = tb.len; i < 11; i++)
		ch(b, ' ');
	put(b, tmp, tb.len);
}

static void text_prefix(struct sb *b, const struct disfmt_opts *o,
			const struct dis_event *e)
{
	u64w(b, e->packet, 7);
	ch(b, ' ');
	reltime(b, e->time, o->t0);
	ch(b, ' ');
	if (e->stream >= 0)
		u64w(b, (uint64_t)e->stream, 4);
	else
		str(b, "   -");
	ch(b, ' ');
	str(b, e->dir >= 0 ? dis_dir_name(e->dir) : "  -");
	ch(b, ' ');
}

static void json_prefix(struct sb *b, const struct dis_event *e,
			const char *type)
{
	str(b, "{\"type\":\"");
	str(b, type);
	str(b, "\",\"packet\":");
	u64(b, e->packet);
	str(b, ",\"time\":");
	abstime(b, e->time);
	if (e->stream >= 0) {
		str(b, ",\"stream\":");
		u64(b, (uint64_t)e->stream);
	}
	if (e->dir >= 0) {
		str(b, ",\"dir\":\"");
		str(b, dis_dir_name(e->dir));
		ch(b, '"');
	}
}

static void jkey(struct sb *b, const char *k)
{
	str(b, ",\"");
	str(b, k);
	str(b, "\":");
}

static void jbool(struct sb *b, const char *k, int v)
{
	jkey(b, k);
	str(b, v ? "true" : "false");
}

static void ju64(struct sb *b, const char *k, uint64_t v)
{
	jkey(b, k);
	u64(b, v);
}

/* Whether a payload of message type op reads as text (a close payload
 * starts with a binary status code: JSON gives it as hex, with the code
 * and reason in their own fields). */
static int textual(unsigned op)
{
	return op == WSP_OP_TEXT || op == WSP_OP_PING || op == WSP_OP_PONG;
}

/* The preview of a payload: quoted text or hex, "..." when cut. */
static void preview_text(struct sb *b, const struct disfmt_opts *o,
			 const uint8_t *p, size_t n, uint64_t total,
			 unsigned op)
{
	size_t k = n < o->preview ? n : o->preview;
	if (textual(op)) {
		qstr(b, p, k, 0);
	} else if (k > 0) {
		hexbytes(b, p, k);
	} else {
		str(b, "\"\"");
	}
	if (total > k)
		str(b, "...");
}

/* -x: a hex dump of the kept bytes, 16 per line, indented. */
static void hexdump(struct sb *b, const char *label, const uint8_t *p,
		    size_t n, uint64_t total)
{
	ch(b, '\n');
	str(b, "        ");
	str(b, label);
	str(b, " (");
	u64(b, n);
	str(b, " of ");
	u64(b, total);
	str(b, " bytes)");
	for (size_t i = 0; i < n; i += 16) {
		str(b, "\n        ");
		char off[5] = {hexd[(i >> 12) & 15], hexd[(i >> 8) & 15],
			       hexd[(i >> 4) & 15], hexd[i & 15], 0};
		str(b, off);
		str(b, "  ");
		size_t m = n - i < 16 ? n - i : 16;
		for (size_t j = 0; j < 16; j++) {
			if (j < m) {
				ch(b, hexd[p[i + j] >> 4]);
				ch(b, hexd[p[i + j] & 15]);
				ch(b, ' ');
			} else {
				str(b, "   ");
			}
			if (j == 7)
				ch(b, ' ');
		}
		ch(b, ' ');
		for (size_t j = 0; j < m; j++) {
			uint8_t c = p[i + j];
			ch(b, c >= 0x20 && c < 0x7F ? (char)c : '.');
		}
	}
}

static const char *viol_id(int code)
{
	const char *r = wsp_errreq(code);
	return r != NULL ? r : wsp_errname(code);
}

/* ------------------------------------------------------------------------
 * Frames
 */

static void frame_text(struct sb *b, const struct disfmt_opts *o,
		       const struct dis_event *e)
{
	const struct dis_frame *f = &e->frame;
	const struct wsf_header *h = &f->hdr;
	text_prefix(b, o, e);
	char flags[5] = {h->fin ? 'F' : '-', (h->rsv & WSP_RSV1) ? '1' : '-',
			 (h->rsv & WSP_RSV2) ? '2' : '-',
			 (h->rsv & WSP_RSV3) ? '3' : '-', 0};
	str(b, flags);
	ch(b, ' ');
	size_t at = b->len;
	str(b, dis_opcode_name(h->opcode));
	padto(b, at, 6);
	str(b, h->masked ? " M " : " - ");
	u64w(b, h->payload_len, 10);
	str(b, "  ");
	if (f->has_close) {
		if (f->has_code) {
			str(b, "code=");
			u64(b, f->close_code);
			str(b, " reason=");
			qstr(b, f->close_reason, f->close_reason_len, 0);
		} else {
			str(b, "(no status code)");
		}
	} else if (f->compressed && !f->inflate_failed) {
		preview_text(b, o, f->inflated, f->inflated_len,
			     f->inflated_total, f->msg_opcode);
		str(b, " (inflated ");
		u64(b, f->inflated_total);
		str(b, " B)");
	} else if (f->compressed) {
		str(b, "(compressed, not inflated)");
	} else {
		preview_text(b, o, f->data, f->len, f->received,
			     f->msg_opcode);
	}
	if (f->incomplete) {
		str(b, " [incomplete: ");
		u64(b, f->received);
		str(b, " of ");
		u64(b, h->payload_len);
		str(b, " bytes]");
	}
	if (f->missing > 0) {
		str(b, " [");
		u64(b, f->missing);
		str(b, " bytes missing]");
	}
	if (f->uncertain)
		str(b, " [after a gap]");
	for (size_t i = 0; i < f->nviol; i++) {
		str(b, " !");
		str(b, viol_id(f->viol[i]));
	}
	if (o->hex) {
		hexdump(b, "payload", f->data, f->len, f->received);
		if (f->compressed && !f->inflate_failed)
			hexdump(b, "inflated", f->inflated, f->inflated_len,
				f->inflated_total);
	}
}

static void json_payload(struct sb *b, const uint8_t *p, size_t n,
			 uint64_t total, unsigned op, int hex)
{
	if (textual(op)) {
		jkey(b, "payload");
		qstr(b, p, n, 1);
	}
	if (!textual(op) || hex) {
		jkey(b, "payload_hex");
		ch(b, '"');
		hexbytes(b, p, n);
		ch(b, '"');
	}
	jbool(b, "payload_truncated", total > n);
}

/* A CRC-32 as 8 lowercase hex digits, the way `crc32` tools print it. */
static void json_crc(struct sb *b, const char *key, uint32_t crc)
{
	uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
			 (uint8_t)(crc >> 8), (uint8_t)crc};
	jkey(b, key);
	ch(b, '"');
	hexbytes(b, be, 4);
	ch(b, '"');
}

static void frame_json(struct sb *b, const struct disfmt_opts *o,
		       const struct dis_event *e)
{
	const struct dis_frame *f = &e->frame;
	const struct wsf_header *h = &f->hdr;
	json_prefix(b, e, "frame");
	ju64(b, "frame", f->index);
	jbool(b, "fin", h->fin);
	ju64(b, "rsv", h->rsv);
	ju64(b, "opcode", h->opcode);
	jkey(b, "opname");
	ch(b, '"');
	str(b, dis_opcode_name(h->opcode));
	ch(b, '"');
	jbool(b, "masked", h->masked);
	if (h->masked) {
		jkey(b, "mask_key");
		ch(b, '"');
		hexbytes(b, h->mask_key, 4);
		ch(b, '"');
	}
	ju64(b, "length", h->payload_len);
	if (!WSP_IS_CONTROL(h->opcode))
		ju64(b, "message", f->message);
	if (f->compressed) {
		jbool(b, "compressed", 1);
		ju64(b, "inflated_length", f->inflated_total);
		if (f->inflate_failed)
			jbool(b, "inflate_failed", 1);
		else
			json_payload(b, f->inflated, f->inflated_len,
				     f->inflated_total, f->msg_opcode, o->hex);
		if (o->hex) {
			jkey(b, "wire_hex");
			ch(b, '"');
			hexbytes(b, f->data, f->len);
			ch(b, '"');
		}
	} else {
		json_payload(b, f->data, f->len, f->received, f->msg_opcode,
			     o->hex);
	}
	if (o->digest) {
		json_crc(b, "payload_crc32", f->crc32);
		if (f->compressed && !f->inflate_failed)
			json_crc(b, "inflated_crc32", f->inflated_crc32);
	}
	if (f->has_close && f->has_code) {
		ju64(b, "close_code", f->close_code);
		jkey(b, "close_reason");
		qstr(b, f->close_reason, f->close_reason_len, 1);
	}
	if (f->incomplete) {
		jbool(b, "incomplete", 1);
		ju64(b, "received", f->received);
	}
	if (f->missing > 0)
		ju64(b, "missing", f->missing);
	if (f->uncertain)
		jbool(b, "uncertain", 1);
	if (f->nviol > 0) {
		jkey(b, "violations");
		ch(b, '[');
		for (size_t i = 0; i < f->nviol; i++) {
			if (i > 0)
				ch(b, ',');
			ch(b, '"');
			str(b, viol_id(f->viol[i]));
			ch(b, '"');
		}
		ch(b, ']');
	}
	ch(b, '}');
}

/* ------------------------------------------------------------------------
 * Other events
 */

static void message_text(struct sb *b, const struct disfmt_opts *o,
			 const struct dis_event *e)
{
	const struct dis_message *m = &e->msg;
	text_prefix(b, o, e);
	str(b, "MSG  ");
	size_t at = b->len;
	str(b, dis_opcode_name(m->opcode));
	padto(b, at, 6);
	str(b, "   ");
	u64w(b, m->compressed ? m->inflated : m->size, 10);
	str(b, "  ");
	uint64_t total = m->compressed ? m->inflated : m->size;
	if (m->compressed && m->inflate_failed)
		str(b, "(compressed, not inflated)");
	else
		preview_text(b, o, m->data, m->len, total, m->opcode);
	str(b, " [");
	u64(b, m->frames);
	str(b, m->frames == 1 ? " frame" : " frames");
	if (m->compressed) {
		str(b, ", ");
		u64(b, m->size);
		str(b, " B compressed");
	}
	ch(b, ']');
	if (m->aborted)
		str(b, " [incomplete]");
	if (m->hole)
		str(b, " [bytes missing]");
	if (o->hex)
		hexdump(b, m->compressed ? "inflated" : "payload", m->data,
			m->len, total);
}

static void message_json(struct sb *b, const struct disfmt_opts *o,
			 const struct dis_event *e)
{
	const struct dis_message *m = &e->msg;
	json_prefix(b, e, "message");
	ju64(b, "message", m->index);
	ju64(b, "opcode", m->opcode);
	jkey(b, "opname");
	ch(b, '"');
	str(b, dis_opcode_name(m->opcode));
	ch(b, '"');
	ju64(b, "frames", m->frames);
	ju64(b, "length", m->size);
	jbool(b, "compressed", m->compressed);
	if (m->compressed) {
		ju64(b, "inflated_length", m->inflated);
		jbool(b, "inflate_failed", m->inflate_failed);
	}
	json_payload(b, m->data, m->len, m->compressed ? m->inflated : m->size,
		     m->opcode, o->hex);
	if (m->aborted)
		jbool(b, "incomplete", 1);
	if (m->hole)
		jbool(b, "bytes_missing", 1);
	ch(b, '}');
}

static void violation_text(struct sb *b, const struct disfmt_opts *o,
			   const struct dis_event *e)
{
	const struct dis_violation *v = &e->viol;
	text_prefix(b, o, e);
	str(b, "VIOLATION ");
	str(b, v->side);
	ch(b, ' ');
	str(b, viol_id(v->code));
	str(b, ": ");
	str(b, wsp_strerror(v->code));
	if (v->frame != UINT64_MAX) {
		str(b, " (frame ");
		u64(b, v->frame);
		if (v->offset != 0) {
			str(b, ", byte ");
			u64(b, v->offset);
		}
		ch(b, ')');
	}
}

static void violation_json(struct sb *b, const struct dis_event *e)
{
	const struct dis_violation *v = &e->viol;
	json_prefix(b, e, "violation");
	jkey(b, "side");
	ch(b, '"');
	str(b, v->side);
	ch(b, '"');
	jkey(b, "id");
	ch(b, '"');
	str(b, viol_id(v->code));
	ch(b, '"');
	jkey(b, "code");
	ch(b, '"');
	str(b, wsp_errname(v->code));
	ch(b, '"');
	jkey(b, "message");
	qstr(b, (const uint8_t *)wsp_strerror(v->code),
	     strlen(wsp_strerror(v->code)), 1);
	if (v->frame != UINT64_MAX)
		ju64(b, "frame", v->frame);
	if (v->offset != 0)
		ju64(b, "offset", v->offset);
	ch(b, '}');
}

/* "addr:port" of direction d's sender. */
static void endpoint(struct sb *b, const struct tcpr_conn *c, int d)
{
	char a[64];
	if (pkt_addr_str(c->family, c->addr[d], a, sizeof(a)) < 0)
		a[0] = '\0';
	if (c->family == 6)
		ch(b, '[');
	str(b, a);
	if (c->family == 6)
		ch(b, ']');
	ch(b, ':');
	u64(b, c->port[d]);
}

static void session_text(struct sb *b, const struct disfmt_opts *o,
			 const struct dis_event *e)
{
	const struct dis_session *s = &e->sess;
	text_prefix(b, o, e);
	str(b, "SESSION ");
	if (e->conn != NULL) {
		int cd = e->client_dir >= 0 ? e->client_dir : 0;
		endpoint(b, e->conn, cd);
		str(b, " -> ");
		endpoint(b, e->conn, 1 - cd);
		ch(b, ' ');
	}
	str(b, s->handshake ? "(handshake)" : "(assumed from the port)");
	if (s->pmd && s->handshake) {
		str(b, " permessage-deflate server_max_window_bits=");
		u64(b, (uint64_t)s->server_bits);
		str(b, " client_max_window_bits=");
		u64(b, (uint64_t)s->client_bits);
		if (s->server_nct)
			str(b, " server_no_context_takeover");
		if (s->client_nct)
			str(b, " client_no_context_takeover");
	}
	if (s->protocol != NULL) {
		str(b, " protocol=");
		qstr(b, (const uint8_t *)s->protocol, s->protocol_len, 0);
	}
}

static void session_json(struct sb *b, const struct dis_event *e)
{
	const struct dis_session *s = &e->sess;
	json_prefix(b, e, "session");
	if (e->conn != NULL) {
		int cd = e->client_dir >= 0 ? e->client_dir : 0;
		jkey(b, "client");
		ch(b, '"');
		endpoint(b, e->conn, cd);
		ch(b, '"');
		jkey(b, "server");
		ch(b, '"');
		endpoint(b, e->conn, 1 - cd);
		ch(b, '"');
	}
	jbool(b, "handshake", s->handshake);
	jbool(b, "permessage_deflate", s->pmd);
	if (s->pmd && s->handshake) {
		ju64(b, "server_max_window_bits", (uint64_t)s->server_bits);
		ju64(b, "client_max_window_bits", (uint64_t)s->client_bits);
		jbool(b, "server_no_context_takeover", s->server_nct);
		jbool(b, "client_no_context_takeover", s->client_nct);
	}
	if (s->protocol != NULL) {
		jkey(b, "protocol");
		qstr(b, (const uint8_t *)s->protocol, s->protocol_len, 1);
	}
	ch(b, '}');
}

size_t disfmt_event(const struct disfmt_opts *o, const struct dis_event *e,
		    char *out, size_t cap)
{
	if (cap < 2)
		return 0;
	struct sb b = {out, 0, cap - 1};
	int j = o->json;
	if (o->check && e->type != DIS_EV_VIOLATION)
		return 0;
	switch (e->type) {
	case DIS_EV_FRAME:
		if (o->messages)
			return 0;
		if (j)
			frame_json(&b, o, e);
		else
			frame_text(&b, o, e);
		break;
	case DIS_EV_MESSAGE:
		if (!o->messages)
			return 0;
		if (j)
			message_json(&b, o, e);
		else
			message_text(&b, o, e);
		break;
	case DIS_EV_VIOLATION:
		/* In the frame table a frame's violations are on its line. */
		if (!o->check && !o->messages && e->viol.frame != UINT64_MAX)
			return 0;
		if (j)
			violation_json(&b, e);
		else
			violation_text(&b, o, e);
		break;
	case DIS_EV_HTTP:
		if (j) {
			json_prefix(&b, e, "http");
			jbool(&b, "request", e->http.request);
			if (!e->http.request)
				ju64(&b, "status", (uint64_t)e->http.status);
			jkey(&b, "line");
			qstr(&b, (const uint8_t *)e->http.line,
			     e->http.line_len, 1);
			ch(&b, '}');
		} else {
			text_prefix(&b, o, e);
			str(&b, "HTTP ");
			esc(&b, (const uint8_t *)e->http.line, e->http.line_len,
			    0);
		}
		break;
	case DIS_EV_SESSION:
		if (j)
			session_json(&b, e);
		else
			session_text(&b, o, e);
		break;
	case DIS_EV_GAP:
		if (j) {
			json_prefix(&b, e, "gap");
			ju64(&b, "offset", e->gap.offset);
			ju64(&b, "length", e->gap.len);
			jkey(&b, "reason");
			ch(&b, '"');
			str(&b, dis_gap_reason(e->gap.reason));
			ch(&b, '"');
			ch(&b, '}');
		} else {
			text_prefix(&b, o, e);
			str(&b, "GAP ");
			u64(&b, e->gap.len);
			str(&b, " bytes at stream offset ");
			u64(&b, e->gap.offset);
			str(&b, " (");
			str(&b, dis_gap_reason(e->gap.reason));
			ch(&b, ')');
		}
		break;
	case DIS_EV_NOTE:
		if (j) {
			json_prefix(&b, e, "note");
			jkey(&b, "note");
			qstr(&b, (const uint8_t *)e->note, strlen(e->note), 1);
			if (e->note_value != 0)
				ju64(&b, "value", e->note_value);
			ch(&b, '}');
		} else {
			text_prefix(&b, o, e);
			str(&b, "NOTE ");
			str(&b, e->note);
			if (e->note_value != 0) {
				str(&b, ": ");
				u64(&b, e->note_value);
			}
		}
		break;
	}
	out[b.len++] = '\n';
	return b.len;
}
