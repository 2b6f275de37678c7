/*
 * fuzz_msg.c: a byte stream through the message layer (msg_feed), lenient
 * and strict, each fed all at once, in chunks taken from the input, and (for
 * short inputs) one byte at a time.  The runs must yield identical events
 * (DATA slices merged, since only their slicing may differ), the same
 * return code, the same consumed count and the same msg_finish result.  The
 * events must also
 * hang together: DATA offsets contiguous, END size equal to the bytes
 * reported, a reassembled message equal to its slices, control payloads at
 * most 125 bytes, and in strict mode nothing after a violation.
 *
 * Input: byte 0 selects the configuration, byte 1 the chunk schedule, the
 * rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "msg.h"
#include "wsp_err.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
	return h * 0x100000001B3ull;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001B3ull;
	return h;
}

/* A digest of the canonical event sequence, plus consistency state. */
struct dig {
	int strict;
	uint64_t h;
	uint64_t nev;
	int nviol;
	/* DATA run being merged */
	int pend;
	uint64_t pmsg, poff, plen, ph;
	uint8_t pop, pcomp, pfirst, plast;
	/* the message whose DATA is flowing */
	int have_msg;
	uint64_t cur_msg, next_off, msg_hash;
};

static void flush(struct dig *d)
{
	if (!d->pend)
		return;
	uint64_t h = mix(d->h, MSG_EV_DATA);
	h = mix(h, d->pmsg);
	h = mix(h, d->pop);
	h = mix(h, d->pcomp);
	h = mix(h, d->pfirst);
	h = mix(h, d->plast);
	h = mix(h, d->poff);
	h = mix(h, d->plen);
	d->h = mix(h, d->ph);
	d->nev++;
	d->pend = 0;
}

static void on_event(const struct msg_event *e, void *user)
{
	struct dig *d = user;
	/* Strict: the violation is the last event ever. */
	REQUIRE(!(d->strict && d->nviol > 0));
	REQUIRE(e->hdr != NULL);
	if (e->type == MSG_EV_DATA) {
		REQUIRE(e->len == 0 || e->data != NULL);
		REQUIRE(e->first == (e->offset == 0 &&
				   !(d->have_msg && d->cur_msg == e->message)));
		if (!d->have_msg || d->cur_msg != e->message) {
			REQUIRE(e->first);
			d->have_msg = 1;
			d->cur_msg = e->message;
			d->next_off = 0;
			d->msg_hash = 0xcbf29ce484222325ull;
		}
		REQUIRE(e->offset == d->next_off);
		d->next_off += e->len;
		d->msg_hash = fnv(d->msg_hash, e->data, e->len);
		if (d->pend && d->pmsg == e->message) {
			d->plen += e->len;
			d->ph = fnv(d->ph, e->data, e->len);
			d->plast = e->last;
			return;
		}
		flush(d);
		d->pend = 1;
		d->pmsg = e->message;
		d->pop = e->opcode;
		d->pcomp = e->compressed;
		d->pfirst = e->first;
		d->plast = e->last;
		d->poff = e->offset;
		d->plen = e->len;
		d->ph = fnv(0xcbf29ce484222325ull, e->data, e->len);
		return;
	}
	flush(d);
	uint64_t h = mix(d->h, (uint64_t)e->type);
	h = mix(h, e->frame);
	h = mix(h, e->frame_pos);
	switch (e->type) {
	case MSG_EV_FRAME:
		h = mix(h, e->hdr->fin);
		h = mix(h, e->hdr->rsv);
		h = mix(h, e->hdr->opcode);
		h = mix(h, e->hdr->masked);
		h = mix(h, e->hdr->payload_len);
		break;
	case MSG_EV_END: {
		uint64_t got = d->have_msg && d->cur_msg == e->message
				       ? d->next_off
				       : 0;
		uint64_t hh = d->have_msg && d->cur_msg == e->message
				      ? d->msg_hash
				      : 0xcbf29ce484222325ull;
		REQUIRE(e->size == got);
		if (e->data != NULL) {
			REQUIRE(e->len == e->size && !e->truncated &&
			      !e->aborted);
			REQUIRE(fnv(0xcbf29ce484222325ull, e->data, e->len) == hh);
		}
		d->have_msg = 0;
		h = mix(h, e->message);
		h = mix(h, e->opcode);
		h = mix(h, e->compressed);
		h = mix(h, e->size);
		h = mix(h, e->aborted);
		h = mix(h, e->truncated);
		h = mix(h, e->len);
		break;
	}
	case MSG_EV_CONTROL:
		REQUIRE(e->len <= MSG_CTRL_MAX);
		REQUIRE(e->truncated == (e->size > MSG_CTRL_MAX));
		REQUIRE(e->len == (e->truncated ? MSG_CTRL_MAX : e->size));
		h = mix(h, e->opcode);
		h = mix(h, e->code);
		h = mix(h, (uint64_t)e->close.has_code);
		h = mix(h, e->close.code);
		h = mix(h, fnv(1, e->data, e->len));
		break;
	case MSG_EV_VIOLATION:
		REQUIRE(e->code < 0 && e->req != NULL);
		d->nviol++;
		h = mix(h, (uint64_t)(int64_t)e->code);
		h = mix(h, e->offset);
		break;
	default:
		abort();
	}
	d->h = h;
	d->nev++;
}

struct result {
	int rc, finish_rc;
	size_t consumed;
	uint64_t h, nev;
};

/* mode 0: all at once; 1: chunks from sched; 2: one byte per call. */
static struct result run(const struct msg_config *cfg0, const uint8_t *in,
			 size_t n, int mode, uint8_t sched)
{
	struct result r = {0, 0, 0, 0, 0};
	struct msg_config cfg = *cfg0;
	uint8_t rbuf[64];
	if (cfg.reasm_buf != NULL)
		cfg.reasm_buf = rbuf;
	uint8_t *p = malloc(n > 0 ? n : 1);
	REQUIRE(p != NULL);
	if (n > 0)
		memcpy(p, in, n);
	struct msg_decoder m;
	REQUIRE(msg_init(&m, &cfg) == 0);
	struct dig d;
	memset(&d, 0, sizeof(d));
	d.strict = cfg.strict;
	d.h = 1;
	uint32_t x = 0x9E3779B9u ^ sched;
	size_t i = 0;
	while (i < n) {
		size_t k = n - i;
		if (mode == 2) {
			k = 1;
		} else if (mode == 1) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			size_t c = 1 + x % ((unsigned)(sched & 31) * 8 + 1);
			if (c < k)
				k = c;
		}
		size_t used = 0;
		int rc = msg_feed(&m, p + i, k, &used, on_event, &d);
		REQUIRE(used <= k);
		r.consumed += used;
		if (rc != 0) {
			REQUIRE(cfg.strict || rc == WSP_E_NOMEM);
			r.rc = rc;
			/* Stopped: nothing more is taken or reported. */
			uint64_t nev = d.nev;
			REQUIRE(msg_feed(&m, p + i, k, &used, on_event, &d) == rc);
			REQUIRE(used == 0 && d.nev == nev);
			break;
		}
		REQUIRE(used == k);
		i += k;
	}
	r.finish_rc = msg_finish(&m, on_event, &d);
	flush(&d);
	REQUIRE(r.rc == 0 || d.nviol == 1 || r.rc == WSP_E_NOMEM);
	r.h = d.h;
	r.nev = d.nev;
	msg_free(&m);
	free(p);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t flags = data[0];
	uint8_t sched = data[1];
	const uint8_t *in = data + 2;
	size_t n = size - 2;

	struct msg_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (flags & 1)
		cfg.policy.rsv_allowed = WSP_RSV1;
	cfg.policy.sender = (enum wsp_role)((flags >> 1) & 3) == 3
				    ? WSP_ROLE_ANY
				    : (enum wsp_role)((flags >> 1) & 3);
	if (flags & 8)
		cfg.max_message = 300;
	if (flags & 16)
		cfg.max_fragments = 4;
	if (flags & 32) {
		cfg.reasm_max = 500;
	} else if (flags & 64) {
		static uint8_t marker;
		cfg.reasm_buf = &marker; /* run() swaps in its own 64 bytes */
		cfg.reasm_max = 64;
	}
	for (int strict = 0; strict < 2; strict++) {
		cfg.strict = strict;
		struct result a = run(&cfg, in, n, 0, sched);
		struct result b = run(&cfg, in, n, 1, sched);
		REQUIRE(a.rc == b.rc && a.finish_rc == b.finish_rc &&
		      a.consumed == b.consumed && a.h == b.h && a.nev == b.nev);
		if (n <= 256) {
			struct result c = run(&cfg, in, n, 2, sched);
			REQUIRE(a.rc == c.rc && a.finish_rc == c.finish_rc &&
			      a.consumed == c.consumed && a.h == c.h &&
			      a.nev == c.nev);
		}
		if (!strict)
			REQUIRE(a.rc == 0 && a.consumed == n);
	}
	return 0;
}
