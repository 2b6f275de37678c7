/*
 * res_wire.c: splitting a wire log into HTTP heads, frames and raw bytes
 * (contract in res_wire.h).
 *
 * Each direction is a small state machine: START looks at the first bytes
 * ("GET " or "HTTP/" begins a head, anything else is frames from the first
 * byte), HEAD collects up to CRLF CRLF, then FRAMES (wsf_decode) or RAW
 * when the head was an HTTP answer other than 101 (what follows is a body,
 * not WebSocket).  wsf_decode unmasks in place, so input is copied into a
 * scratch buffer first: the log itself is never changed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "res_wire.h"

enum { ST_START, ST_HEAD, ST_FRAMES, ST_RAW };

#define MATCH_CAP 8

void rw_init(struct rw_scan *s, int we_client, uint8_t rsv_allowed,
	     size_t keep_max, rw_cb cb, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->keep_max = keep_max;
	s->cb = cb;
	s->ctx = ctx;
	for (int dir = 0; dir < 2; dir++) {
		/* Direction 0 is what wsprobe sent: the sender's role judges
		 * the mask bit (R6455-5.1-01, R6455-5.1-04). */
		int sender_client = dir == 0 ? we_client : !we_client;
		struct wsf_policy p = {
			rsv_allowed,
			sender_client ? WSP_ROLE_CLIENT : WSP_ROLE_SERVER,
		};
		wsf_decoder_init(&s->d[dir].dec, &p);
		s->d[dir].state = ST_START;
	}
}

static void keep(struct rw_scan *s, struct rw_dir *d, const uint8_t *p,
		 size_t n)
{
	d->cur.total += n;
	if (d->cur.len >= s->keep_max || n == 0)
		return;
	if (n > s->keep_max - d->cur.len)
		n = s->keep_max - d->cur.len;
	if (d->cur.len + n > d->cap) {
		size_t ncap = d->cap ? d->cap : 256;
		while (ncap < d->cur.len + n)
			ncap *= 2;
		uint8_t *nb = realloc(d->buf, ncap);
		if (nb == NULL) {
			s->oom = 1;
			return;
		}
		d->buf = nb;
		d->cap = ncap;
	}
	memcpy(d->buf + d->cur.len, p, n);
	d->cur.len += n;
}

static void begin(struct rw_dir *d, enum rw_kind kind, int dir, size_t rec)
{
	memset(&d->cur, 0, sizeof(d->cur));
	d->cur.kind = kind;
	d->cur.dir = dir;
	d->cur.first_rec = rec;
	d->cur.last_rec = rec;
	d->active = 1;
}

static void emit(struct rw_scan *s, struct rw_dir *d, int complete)
{
	d->cur.complete = complete;
	d->cur.data = d->buf;
	s->cb(s->ctx, &d->cur);
	d->active = 0;
	memset(&d->cur, 0, sizeof(d->cur));
}

/* After a complete head: frames, unless it is an HTTP answer other than
 * 101 ("HTTP/1.1 101 ..."), whose body is not WebSocket.  The head's first
 * bytes are in d->start whatever keep_max is. */
static int after_head(const struct rw_dir *d)
{
	const uint8_t *h = d->start;
	size_t n = d->nstart;
	if (n < 5 || memcmp(h, "HTTP/", 5) != 0)
		return ST_FRAMES;
	size_t i = 0;
	while (i < n && h[i] != ' ')
		i++;
	if (n - i >= 4 && memcmp(h + i + 1, "101", 3) == 0)
		return ST_FRAMES;
	return ST_RAW;
}

static void head_start(struct rw_dir *d, const uint8_t *p, size_t n)
{
	size_t room = sizeof(d->start) - d->nstart;
	if (n > room)
		n = room;
	memcpy(d->start + d->nstart, p, n);
	d->nstart += n;
}

static void feed_frames(struct rw_scan *s, struct rw_dir *d, int dir,
			size_t rec, const uint8_t *p, size_t n)
{
	uint8_t tmp[4096];
	while (n > 0) {
		/* Payload past what is kept is only counted: no copy, no
		 * unmasking (a case's statistics see every byte of 9.x's
		 * 16 MiB messages). */
		if (d->active && d->cur.kind == RW_FRAME &&
		    d->cur.len >= s->keep_max) {
			size_t k = wsf_skip(&d->dec, n);
			d->cur.total += k;
			if (k > 0)
				d->cur.last_rec = rec;
			p += k;
			n -= k;
			if (n == 0)
				break;
		}
		size_t chunk = n < sizeof(tmp) ? n : sizeof(tmp);
		memcpy(tmp, p, chunk);
		size_t off = 0;
		while (off < chunk) {
			if (!d->active && wsf_decoder_idle(&d->dec)) {
				/* A new frame starts here; until its header is
				 * complete it is kept as raw bytes, so a log
				 * that ends inside a header still shows them. */
				begin(d, RW_RAW, dir, rec);
			}
			struct wsf_event ev;
			ssize_t used = wsf_decode(&d->dec, tmp + off, chunk - off,
						  &ev);
			if (used < 0)
				return; /* cannot happen: the decoder never fails */
			if (ev.flags & WSF_EV_HEADER) {
				size_t first = d->cur.first_rec;
				begin(d, RW_FRAME, dir, first);
				d->cur.hdr = *ev.hdr;
				d->cur.nviol = ev.nviol < WSF_MAX_VIOL ? ev.nviol
								       : WSF_MAX_VIOL;
				memcpy(d->cur.viol, ev.viol,
				       d->cur.nviol * sizeof(int));
			} else if (d->cur.kind == RW_RAW && d->active) {
				/* Header bytes still being collected. */
				keep(s, d, tmp + off, (size_t)used);
			}
			d->cur.last_rec = rec;
			if (d->cur.kind == RW_FRAME)
				keep(s, d, ev.data, ev.len);
			if (ev.flags & WSF_EV_END)
				emit(s, d, 1);
			off += (size_t)used;
			if (used == 0 && ev.flags == 0 && ev.len == 0)
				break;
		}
		p += chunk;
		n -= chunk;
	}
}

void rw_feed(struct rw_scan *s, int dir, size_t rec, const uint8_t *p,
	     size_t n)
{
	if (dir < 0 || dir > 1)
		return;
	struct rw_dir *d = &s->d[dir];
	while (n > 0) {
		switch (d->state) {
		case ST_START: {
			/* Decide on the first bytes: "GET " or "HTTP/". */
			d->match[d->nmatch++] = *p++;
			n--;
			int get = d->nmatch <= 4 &&
				  memcmp(d->match, "GET ", d->nmatch) == 0;
			int http = d->nmatch <= 5 &&
				   memcmp(d->match, "HTTP/", d->nmatch) == 0;
			if ((get && d->nmatch == 4) || (http && d->nmatch == 5)) {
				begin(d, RW_HEAD, dir, rec);
				d->state = ST_HEAD;
				d->nmatch = 0;
				/* The prefix is part of the head. */
				head_start(d, d->match, http ? 5 : 4);
				keep(s, d, d->match, http ? 5 : 4);
			} else if (!get && !http) {
				size_t have = d->nmatch;
				uint8_t saved[MATCH_CAP];
				memcpy(saved, d->match, have);
				d->state = ST_FRAMES;
				d->nmatch = 0;
				feed_frames(s, d, dir, rec, saved, have);
			}
			break;
		}
		case ST_HEAD: {
			/* Up to and including CRLF CRLF (nmatch counts the
			 * terminator bytes seen in a row). */
			static const uint8_t term[4] = {'\r', '\n', '\r', '\n'};
			size_t i = 0;
			while (i < n && d->nmatch < 4) {
				if (p[i] == term[d->nmatch])
					d->nmatch++;
				else
					d->nmatch = p[i] == '\r' ? 1 : 0;
				i++;
				if (d->cur.total + i >= RW_HEAD_MAX)
					break;
			}
			keep(s, d, p, i);
			head_start(d, p, i);
			d->cur.last_rec = rec;
			p += i;
			n -= i;
			if (d->nmatch == 4) {
				int next = after_head(d);
				emit(s, d, 1);
				d->nmatch = 0;
				d->state = next;
				if (next == ST_RAW)
					begin(d, RW_RAW, dir, rec);
			} else if (d->cur.total >= RW_HEAD_MAX) {
				/* No end in sight: not an HTTP head after all. */
				d->cur.kind = RW_RAW;
				d->state = ST_RAW;
			}
			break;
		}
		case ST_FRAMES:
			feed_frames(s, d, dir, rec, p, n);
			n = 0;
			break;
		case ST_RAW:
		default:
			if (!d->active)
				begin(d, RW_RAW, dir, rec);
			keep(s, d, p, n);
			d->cur.last_rec = rec;
			n = 0;
			break;
		}
	}
}

void rw_finish(struct rw_scan *s)
{
	for (int dir = 0; dir < 2; dir++) {
		struct rw_dir *d = &s->d[dir];
		if (d->state == ST_START && d->nmatch > 0) {
			/* A prefix of "GET " or "HTTP/" and then nothing. */
			begin(d, RW_RAW, dir, 0);
			keep(s, d, d->match, d->nmatch);
			emit(s, d, 1);
		} else if (d->active) {
			/* Raw bytes end with the log; a head or frame cut
			 * short did not. */
			emit(s, d, d->cur.kind == RW_RAW && d->state == ST_RAW);
		}
		free(d->buf);
		d->buf = NULL;
		d->cap = 0;
	}
}

uint8_t rw_rsv_from_response(const char *r)
{
	static const char ext[] = "sec-websocket-extensions:";
	if (r == NULL)
		return 0;
	for (const char *line = r; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		if (len > sizeof(ext) - 1 &&
		    strncasecmp(line, ext, sizeof(ext) - 1) == 0) {
			static const char pmd[] = "permessage-deflate";
			for (size_t i = sizeof(ext) - 1;
			     len - i >= sizeof(pmd) - 1; i++)
				if (strncasecmp(line + i, pmd, sizeof(pmd) - 1) == 0)
					return WSP_RSV1;
		}
		if (end == NULL)
			break;
		line = end + 1;
	}
	return 0;
}

const char *rw_opcode_name(unsigned opcode)
{
	switch (opcode) {
	case WSP_OP_CONT:
		return "CONT";
	case WSP_OP_TEXT:
		return "TEXT";
	case WSP_OP_BINARY:
		return "BINARY";
	case WSP_OP_CLOSE:
		return "CLOSE";
	case WSP_OP_PING:
		return "PING";
	case WSP_OP_PONG:
		return "PONG";
	default:
		return "RESERVED";
	}
}
