/*
 * wsmut.c: the structure-aware frame mutator (see wsmut.h).
 *
 * Each call copies the input into a scratch arena, parses it into at most
 * WSMUT_MAX_FRAMES frames whose payloads are kept unmasked in the arena,
 * applies one to four field-level mutations, and writes the frames back
 * with wsf_encode.  A payload is never edited in place: an edit allocates
 * a fresh copy in the arena, so frames may share bytes (a duplicated frame,
 * two halves of a split) without one edit showing up in another frame.
 * The arena is sized so that every growth can be checked against max_size
 * before it happens; a mutation that would not fit is skipped.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "wsf.h"
#include "wsmut.h"

struct mframe {
	struct wsf_frame f;
	const uint8_t *p; /* unmasked payload, len bytes */
	size_t len;
};

struct seq {
	struct mframe fr[WSMUT_MAX_FRAMES];
	size_t n;
	size_t maxn;
	const uint8_t *tail; /* unparsed bytes after the last frame */
	size_t tail_len;
	uint8_t *arena;
	size_t cap, used;
	size_t max_size;
	uint64_t rng;
};

/* splitmix64: small, fast, and the whole state is the caller's. */
uint64_t wsmut_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

size_t wsmut_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(wsmut_next(s) % n) : 0;
}

static uint8_t *arena_alloc(struct seq *q, size_t n)
{
	if (n > q->cap - q->used)
		return NULL;
	uint8_t *p = q->arena + q->used;
	q->used += n;
	return p;
}

/* Reads one whole frame at p[0..avail).  Returns 1 and fills *f, *hlen and
 * *plen when header and payload are all there, else 0. */
static int frame_at(const uint8_t *p, size_t avail, struct wsf_frame *f,
		    size_t *hlen, size_t *plen)
{
	if (avail < 2)
		return 0;
	memset(f, 0, sizeof(*f));
	f->fin = p[0] >> 7;
	f->rsv = (p[0] >> 4) & 7;
	f->opcode = p[0] & 15;
	f->masked = p[1] >> 7;
	uint64_t len = p[1] & 0x7f;
	size_t h = 2;
	f->len_form = WSF_LEN_7;
	if (len == 126) {
		if (avail < 4)
			return 0;
		len = (uint64_t)p[2] << 8 | p[3];
		h = 4;
		f->len_form = WSF_LEN_16;
	} else if (len == 127) {
		if (avail < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
		h = 10;
		f->len_form = WSF_LEN_64;
	}
	if (f->masked) {
		if (4 > avail - h)
			return 0;
		memcpy(f->mask_key, p + h, 4);
		h += 4;
	}
	if (len > avail - h)
		return 0;
	f->payload_len = len;
	*hlen = h;
	*plen = (size_t)len;
	return 1;
}

size_t wsmut_frame_len(const uint8_t *p, size_t avail)
{
	struct wsf_frame f;
	size_t h, l;
	return frame_at(p, avail, &f, &h, &l) ? h + l : 0;
}

size_t wsmut_count_frames(const uint8_t *data, size_t size, size_t *parsed)
{
	size_t pos = 0, n = 0;
	while (n < WSMUT_MAX_FRAMES && pos < size) {
		struct wsf_frame f;
		size_t h, l;
		if (!frame_at(data + pos, size - pos, &f, &h, &l))
			break;
		pos += h + l;
		n++;
	}
	if (parsed)
		*parsed = pos;
	return n;
}

/* Parses buf[0..size) (a writable copy in the arena) into q, unmasking
 * payloads in place. */
static void parse(struct seq *q, uint8_t *buf, size_t size)
{
	size_t pos = 0;
	q->n = 0;
	while (q->n < q->maxn && pos < size) {
		struct mframe *m = &q->fr[q->n];
		size_t h, l;
		if (!frame_at(buf + pos, size - pos, &m->f, &h, &l))
			break;
		uint8_t *pl = buf + pos + h;
		if (m->f.masked)
			wsf_mask(pl, l, m->f.mask_key, 0);
		m->p = pl;
		m->len = l;
		pos += h + l;
		q->n++;
	}
	q->tail = buf + pos;
	q->tail_len = size - pos;
}

/* The form to write: the one asked for when it can hold the length. */
static void fix_form(struct wsf_frame *f, size_t len)
{
	f->payload_len = len;
	if ((f->len_form == WSF_LEN_7 && len > 125) ||
	    (f->len_form == WSF_LEN_16 && len > 65535) ||
	    (f->len_form != WSF_LEN_7 && f->len_form != WSF_LEN_16 &&
	     f->len_form != WSF_LEN_64))
		f->len_form = WSF_LEN_AUTO;
}

static size_t frame_size(const struct mframe *m)
{
	uint8_t tmp[WSF_MAX_HEADER];
	struct wsf_frame f = m->f;
	fix_form(&f, m->len);
	int h = wsf_encode_header(tmp, &f);
	return (h > 0 ? (size_t)h : WSF_MAX_HEADER) + m->len;
}

static size_t seq_size(const struct seq *q)
{
	size_t t = q->tail_len;
	for (size_t i = 0; i < q->n; i++)
		t += frame_size(&q->fr[i]);
	return t;
}

/* Room left under max_size for extra bytes. */
static size_t budget(const struct seq *q)
{
	size_t t = seq_size(q);
	return t < q->max_size ? q->max_size - t : 0;
}

/* Writes the frames (and the tail) into out[0..cap); frames that do not fit
 * are dropped.  Returns the size written. */
static size_t serialise(const struct seq *q, uint8_t *out, size_t cap)
{
	size_t pos = 0;
	for (size_t i = 0; i < q->n; i++) {
		struct wsf_frame f = q->fr[i].f;
		fix_form(&f, q->fr[i].len);
		if (frame_size(&q->fr[i]) > cap - pos)
			break;
		ssize_t w = wsf_encode(out + pos, cap - pos, &f, q->fr[i].p,
				       q->fr[i].len);
		if (w < 0)
			break;
		pos += (size_t)w;
	}
	if (q->tail_len && q->tail_len <= cap - pos) {
		memcpy(out + pos, q->tail, q->tail_len);
		pos += q->tail_len;
	}
	return pos;
}

/* Replaces m's payload by p[0..off) + ins[0..ilen) + p[off+del..len), in a
 * fresh arena copy.  ins may be NULL (ilen bytes of the rng then).
 * Returns 0, or -1 when it does not fit (nothing changed). */
static int splice(struct seq *q, struct mframe *m, size_t off, size_t del,
		  const uint8_t *ins, size_t ilen)
{
	if (off > m->len)
		off = m->len;
	if (del > m->len - off)
		del = m->len - off;
	if (ilen > del && ilen - del > budget(q))
		return -1;
	size_t nlen = m->len - del + ilen;
	uint8_t *np = arena_alloc(q, nlen ? nlen : 1);
	if (np == NULL)
		return -1;
	if (off)
		memcpy(np, m->p, off);
	for (size_t i = 0; i < ilen; i++)
		np[off + i] = ins ? ins[i] : (uint8_t)wsmut_next(&q->rng);
	if (m->len - off - del)
		memcpy(np + off + ilen, m->p + off + del, m->len - off - del);
	m->p = np;
	m->len = nlen;
	return 0;
}

static void new_key(struct seq *q, struct wsf_frame *f)
{
	static const uint8_t keys[3][4] = {
		{0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff}, {0x37, 0xfa, 0x21, 0x3d}};
	size_t k = wsmut_below(&q->rng, 6);
	if (k < 3) {
		memcpy(f->mask_key, keys[k], 4);
	} else {
		uint64_t r = wsmut_next(&q->rng);
		memcpy(f->mask_key, &r, 4);
	}
}

/* Inserts a frame at index at (0..n); returns it or NULL when full. */
static struct mframe *insert_at(struct seq *q, size_t at)
{
	if (q->n >= q->maxn)
		return NULL;
	memmove(&q->fr[at + 1], &q->fr[at], (q->n - at) * sizeof(q->fr[0]));
	q->n++;
	memset(&q->fr[at], 0, sizeof(q->fr[0]));
	return &q->fr[at];
}

/* UTF-8 snippets that validators get wrong (RFC 3629 section 3 and 10). */
static const struct {
	uint8_t b[4];
	uint8_t n;
} u8_snips[] = {
	{{0xC0, 0x80}, 2},             /* overlong NUL */
	{{0xC1, 0xBF}, 2},             /* overlong */
	{{0xE0, 0x80, 0x80}, 3},       /* overlong 3-byte */
	{{0xE0, 0x9F, 0xBF}, 3},       /* overlong, last */
	{{0xF0, 0x80, 0x80, 0x80}, 4}, /* overlong 4-byte */
	{{0xF0, 0x8F, 0xBF, 0xBF}, 4}, /* overlong, last */
	{{0xED, 0xA0, 0x80}, 3},       /* U+D800 */
	{{0xED, 0xBF, 0xBF}, 3},       /* U+DFFF */
	{{0xF4, 0x90, 0x80, 0x80}, 4}, /* U+110000 */
	{{0xF5, 0x80, 0x80, 0x80}, 4}, /* lead byte never valid */
	{{0xFE}, 1},
	{{0xFF}, 1},
	{{0x80}, 1},                   /* lone continuation */
	{{0xE2, 0x82}, 2},             /* truncated U+20AC */
	{{0xF0, 0x9D, 0x84}, 3},       /* truncated U+1D11E */
	{{0xC3}, 1},                   /* truncated 2-byte */
	{{0xE2, 0x82, 0xAC}, 3},       /* U+20AC, valid */
	{{0xF0, 0x9D, 0x84, 0x9E}, 4}, /* U+1D11E, valid */
	{{0xEF, 0xBF, 0xBF}, 3},       /* U+FFFF, valid */
	{{0xF4, 0x8F, 0xBF, 0xBF}, 4}, /* U+10FFFF, valid */
	{{0xED, 0x9F, 0xBF}, 3},       /* U+D7FF, valid */
	{{0x00}, 1},
};

static int mut_utf8(struct seq *q, struct mframe *m)
{
	size_t k = wsmut_below(&q->rng, sizeof(u8_snips) / sizeof(u8_snips[0]));
	size_t how = wsmut_below(&q->rng, 4);
	if (wsmut_below(&q->rng, 2) && m->f.opcode != WSP_OP_CONT)
		m->f.opcode = WSP_OP_TEXT;
	if (how == 0) /* at the very end: the sequence may be cut by the end */
		return splice(q, m, m->len, 0, u8_snips[k].b, u8_snips[k].n);
	if (how == 1 && m->len > 0) /* replace bytes */
		return splice(q, m, wsmut_below(&q->rng, m->len), u8_snips[k].n,
			      u8_snips[k].b, u8_snips[k].n);
	if (how == 2 && m->len > 1) /* truncate, likely inside a sequence */
		return splice(q, m, m->len - 1 - wsmut_below(&q->rng, 3),
			      SIZE_MAX, NULL, 0);
	return splice(q, m, wsmut_below(&q->rng, m->len + 1), 0, u8_snips[k].b,
		      u8_snips[k].n);
}

/* Compresses m's payload as a permessage-deflate message (RFC 7692 7.2.1:
 * raw deflate, usually flushed with Z_SYNC_FLUSH and the trailing
 * 00 00 FF FF removed) and sets RSV1. */
static int mut_deflate(struct seq *q, struct mframe *m)
{
	int level = (int)wsmut_below(&q->rng, 10);
	int wbits = 8 + (int)wsmut_below(&q->rng, 8);
	int finish = wsmut_below(&q->rng, 4) == 0;
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, -(wbits < 9 ? 9 : wbits), 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t bound = (size_t)deflateBound(&z, (uLong)m->len) + 16;
	uint8_t *out = arena_alloc(q, bound);
	if (out == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)m->p;
	z.avail_in = (uInt)m->len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, finish ? Z_FINISH : Z_SYNC_FLUSH);
	size_t olen = bound - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_OK && rc != Z_STREAM_END)
		return -1;
	if (!finish && olen >= 4 && wsmut_below(&q->rng, 8) != 0 &&
	    memcmp(out + olen - 4, "\x00\x00\xff\xff", 4) == 0)
		olen -= 4;
	if (olen > m->len && olen - m->len > budget(q))
		return -1;
	m->p = out;
	m->len = olen;
	m->f.rsv |= WSP_RSV1;
	if (m->f.opcode == WSP_OP_CONT && wsmut_below(&q->rng, 2))
		m->f.opcode = WSP_OP_BINARY;
	return 0;
}

/* Makes m a Close frame with a code from the interesting list. */
static int mut_close(struct seq *q, struct mframe *m)
{
	static const uint16_t codes[] = {1000, 1001, 1002, 1003, 1004, 1005,
					 1006, 1007, 1008, 1009, 1010, 1011,
					 1012, 1015, 999,  0,    2999, 3000,
					 4999, 5000, 65535};
	uint8_t b[2 + 8];
	size_t n = 0;
	size_t shape = wsmut_below(&q->rng, 8);
	if (shape != 0) {
		uint16_t c = codes[wsmut_below(&q->rng, sizeof(codes) /
							    sizeof(codes[0]))];
		b[0] = (uint8_t)(c >> 8);
		b[1] = (uint8_t)c;
		n = shape == 1 ? 1 : 2; /* 1: a one-byte body */
	}
	m->f.opcode = WSP_OP_CLOSE;
	m->f.fin = 1;
	if (splice(q, m, 0, m->len > 123 ? SIZE_MAX : 0, b, n) < 0)
		return -1;
	if (wsmut_below(&q->rng, 3) == 0)
		return mut_utf8(q, m);
	return 0;
}

/* Sizes at the length-form boundaries. */
static int mut_resize(struct seq *q, struct mframe *m)
{
	static const size_t sizes[] = {0, 1, 124, 125, 126, 127, 128, 65535,
				       65536};
	size_t want =
	    sizes[wsmut_below(&q->rng, sizeof(sizes) / sizeof(sizes[0]))];
	if (want <= m->len)
		return splice(q, m, want, SIZE_MAX, NULL, 0);
	return splice(q, m, m->len, 0, NULL, want - m->len);
}

static int mut_bytes(struct seq *q, struct mframe *m)
{
	size_t op = wsmut_below(&q->rng, 5);
	uint8_t b = (uint8_t)wsmut_next(&q->rng);
	if (m->len == 0 || op == 0)
		return splice(q, m, wsmut_below(&q->rng, m->len + 1), 0, NULL,
			      1 + wsmut_below(&q->rng, 8));
	size_t at = wsmut_below(&q->rng, m->len);
	if (op == 1)
		return splice(q, m, at, 1 + wsmut_below(&q->rng, 8), NULL, 0);
	if (op == 2)
		b = m->p[at] ^ (uint8_t)(1u << wsmut_below(&q->rng, 8));
	if (op == 3) {
		static const uint8_t magic[] = {0, 0x7e, 0x7f, 0x80, 0xff,
						0x03, 0xe8};
		b = magic[wsmut_below(&q->rng, sizeof(magic))];
	}
	return splice(q, m, at, 1, &b, 1);
}

/* Splits m (index i) into two fragments at a random point. */
static int mut_split(struct seq *q, size_t i)
{
	if (budget(q) < WSF_MAX_HEADER) /* room for the extra header */
		return -1;
	struct mframe *b = insert_at(q, i + 1);
	if (b == NULL)
		return -1;
	struct mframe *a = &q->fr[i];
	size_t cut = wsmut_below(&q->rng, a->len + 1);
	*b = *a;
	b->p = a->p + cut;
	b->len = a->len - cut;
	a->len = cut;
	a->f.fin = wsmut_below(&q->rng, 8) == 0; /* rarely leave FIN set */
	b->f.opcode = wsmut_below(&q->rng, 8) == 0 ? a->f.opcode : WSP_OP_CONT;
	b->f.rsv = wsmut_below(&q->rng, 8) == 0 ? a->f.rsv : 0;
	b->f.len_form = WSF_LEN_AUTO;
	if (b->f.masked)
		new_key(q, &b->f);
	return 0;
}

static int mut_merge(struct seq *q, size_t i)
{
	if (i + 1 >= q->n)
		return -1;
	struct mframe *a = &q->fr[i], *b = &q->fr[i + 1];
	uint8_t fin = b->f.fin;
	if (splice(q, a, a->len, 0, b->p, b->len) < 0)
		return -1;
	a->f.fin = fin;
	memmove(&q->fr[i + 1], &q->fr[i + 2],
		(q->n - i - 2) * sizeof(q->fr[0]));
	q->n--;
	return 0;
}

/* Inserts a control frame, often between two fragments. */
static int mut_insert_ctrl(struct seq *q)
{
	static const uint8_t ops[] = {WSP_OP_PING, WSP_OP_PING, WSP_OP_PONG,
				      WSP_OP_PONG, WSP_OP_CLOSE, 0xB, 0xF};
	size_t at = wsmut_below(&q->rng, q->n + 1);
	for (size_t i = 0; i < q->n; i++) /* prefer after an unfinished one */
		if (!q->fr[i].f.fin && wsmut_below(&q->rng, 2)) {
			at = i + 1;
			break;
		}
	size_t len =
	    wsmut_below(&q->rng, 8) == 0 ? 126 : wsmut_below(&q->rng, 20);
	if (len + 6 > budget(q))
		return -1;
	uint8_t role = q->n ? q->fr[at < q->n ? at : at - 1].f.masked : 1;
	struct mframe *m = insert_at(q, at);
	if (m == NULL)
		return -1;
	m->f.fin = wsmut_below(&q->rng, 8) != 0;
	m->f.opcode = ops[wsmut_below(&q->rng, sizeof(ops))];
	m->f.masked = role;
	if (role)
		new_key(q, &m->f);
	m->f.len_form = WSF_LEN_AUTO;
	m->p = q->arena; /* any valid pointer for a zero length */
	m->len = 0;
	if (m->f.opcode == WSP_OP_CLOSE)
		return mut_close(q, m);
	return splice(q, m, 0, 0, NULL, len);
}

/* One mutation of q; returns 0 when something changed. */
static int mutate_once(struct seq *q)
{
	if (q->n == 0) {
		struct mframe *m = insert_at(q, 0);
		if (m == NULL || budget(q) < 6)
			return -1;
		m->f.fin = 1;
		m->f.opcode = (uint8_t)(1 + wsmut_below(&q->rng, 2));
		m->f.masked = (uint8_t)wsmut_below(&q->rng, 2);
		new_key(q, &m->f);
		m->p = q->arena;
		return splice(q, m, 0, 0, NULL, wsmut_below(&q->rng, 16));
	}
	size_t i = wsmut_below(&q->rng, q->n);
	struct mframe *m = &q->fr[i];
	switch (wsmut_below(&q->rng, 18)) {
	case 0:
		m->f.fin ^= 1;
		return 0;
	case 1: {
		static const uint8_t valid[] = {0, 1, 2, 8, 9, 10};
		m->f.opcode = wsmut_below(&q->rng, 3)
				  ? valid[wsmut_below(&q->rng, sizeof(valid))]
				  : (uint8_t)wsmut_below(&q->rng, 16);
		return 0;
	}
	case 2:
		m->f.rsv ^= (uint8_t)(1u << wsmut_below(&q->rng, 3));
		return 0;
	case 3: {
		/* length form: minimal, or a longer one than needed */
		static const uint8_t forms[] = {WSF_LEN_AUTO, WSF_LEN_7,
						WSF_LEN_16, WSF_LEN_64};
		uint8_t form = forms[wsmut_below(&q->rng, 4)];
		size_t grow = form == WSF_LEN_64 ? 8 : form == WSF_LEN_16 ? 2 : 0;
		if (grow > budget(q))
			return -1;
		m->f.len_form = form;
		return 0;
	}
	case 4:
		if (!m->f.masked && budget(q) < 4)
			return -1;
		m->f.masked ^= 1;
		new_key(q, &m->f);
		return 0;
	case 5:
		new_key(q, &m->f);
		return 0;
	case 6:
	case 7:
		return mut_split(q, i);
	case 8:
		return mut_merge(q, i);
	case 9:
	case 10:
		return mut_insert_ctrl(q);
	case 11:
		if (q->n < 2)
			return -1;
		memmove(&q->fr[i], &q->fr[i + 1],
			(q->n - i - 1) * sizeof(q->fr[0]));
		q->n--;
		return 0;
	case 12: {
		if (frame_size(m) > budget(q))
			return -1;
		struct mframe copy = *m;
		struct mframe *d = insert_at(q, i + 1);
		if (d == NULL)
			return -1;
		*d = copy;
		return 0;
	}
	case 13: {
		size_t j = wsmut_below(&q->rng, q->n);
		struct mframe t = q->fr[i];
		q->fr[i] = q->fr[j];
		q->fr[j] = t;
		return 0;
	}
	case 14:
		return mut_utf8(q, m);
	case 15:
		return mut_deflate(q, m);
	case 16:
		return wsmut_below(&q->rng, 2) ? mut_close(q, m)
					       : mut_resize(q, m);
	default:
		return mut_bytes(q, m);
	}
}

/* The built-in byte-level mutator: a few bit flips, byte sets, inserts and
 * erases, from the rng. */
static size_t bytes_builtin(uint64_t *rng, uint8_t *d, size_t size,
			    size_t max)
{
	size_t rounds = 1 + wsmut_below(rng, 3);
	for (size_t r = 0; r < rounds; r++) {
		size_t op = wsmut_below(rng, 4);
		if (size == 0 || (op == 2 && size < max)) {
			if (size >= max)
				break;
			size_t at = wsmut_below(rng, size + 1);
			memmove(d + at + 1, d + at, size - at);
			d[at] = (uint8_t)wsmut_next(rng);
			size++;
		} else if (op == 3 && size > 1) {
			size_t at = wsmut_below(rng, size);
			memmove(d + at, d + at + 1, size - at - 1);
			size--;
		} else if (op == 0) {
			d[wsmut_below(rng, size)] ^=
			    (uint8_t)(1u << wsmut_below(rng, 8));
		} else {
			d[wsmut_below(rng, size)] = (uint8_t)wsmut_next(rng);
		}
	}
	return size;
}

static size_t byte_mutate(const struct wsmut_opts *o, uint64_t *rng,
			  uint8_t *d, size_t size, size_t max)
{
	if (o && o->bytes)
		return o->bytes(d, size, max);
	return bytes_builtin(rng, d, size, max);
}

static int seq_init(struct seq *q, const struct wsmut_opts *o, size_t size,
		    size_t max_size, unsigned int seed)
{
	memset(q, 0, sizeof(*q));
	q->maxn = (o && o->max_frames && o->max_frames < WSMUT_MAX_FRAMES)
			  ? o->max_frames
			  : WSMUT_MAX_FRAMES;
	q->max_size = max_size;
	q->rng = (uint64_t)seed * 0x2545F4914F6CDD1Dull + 0x1234567;
	/* The copy, then growth up to max_size for edits, twice over, plus
	 * deflate's worst case overhead. */
	q->cap = size + 2 * max_size + 4096;
	q->arena = malloc(q->cap);
	return q->arena ? 0 : -1;
}

size_t wsmut_mutate(const struct wsmut_opts *o, uint8_t *data, size_t size,
		    size_t max_size, unsigned int seed)
{
	struct seq *q = malloc(sizeof(*q));
	if (q == NULL)
		return size;
	if (size > max_size)
		size = max_size;
	if (seq_init(q, o, size, max_size, seed) < 0) {
		free(q);
		return size;
	}
	unsigned rate = o ? o->byte_rate : 0;
	uint8_t *copy = arena_alloc(q, size);
	if (size)
		memcpy(copy, data, size);
	parse(q, copy, size);
	size_t out;
	if (q->n == 0 && size > 0 && rate != 0) {
		/* not frames at all: byte-level only */
		out = byte_mutate(o, &q->rng, data, size, max_size);
		goto done;
	}
	if (q->n == 0 && size > 0) {
		/* strict: the garbage becomes a binary frame's payload */
		struct mframe *m = &q->fr[0];
		memset(m, 0, sizeof(*m));
		m->f.fin = 1;
		m->f.opcode = WSP_OP_BINARY;
		m->f.len_form = WSF_LEN_AUTO;
		m->p = copy;
		/* room for the largest header under max_size */
		m->len = max_size > WSF_MAX_HEADER ? max_size - WSF_MAX_HEADER
						   : 0;
		if (m->len > size)
			m->len = size;
		q->n = 1;
		q->tail_len = 0;
	}
	if (rate == 0)
		q->tail_len = 0; /* strict output is whole frames only */
	size_t rounds = 1 + wsmut_below(&q->rng, 4);
	for (size_t r = 0, tries = 0; r < rounds && tries < 16; tries++)
		if (mutate_once(q) == 0)
			r++;
	out = serialise(q, data, max_size);
	if (out == 0 && size > 0) {
		/* nothing fit: keep the input, mutated byte-wise */
		memcpy(data, copy, size);
		out = size;
		if (rate != 0)
			out = byte_mutate(o, &q->rng, data, size, max_size);
	} else if (rate != 0 && wsmut_below(&q->rng, rate) == 0) {
		out = byte_mutate(o, &q->rng, data, out, max_size);
	}
done:
	free(q->arena);
	free(q);
	return out;
}

struct span {
	size_t off, len;
};

static size_t spans(const uint8_t *d, size_t size, struct span *s)
{
	size_t pos = 0, n = 0;
	while (n < WSMUT_MAX_FRAMES && pos < size) {
		struct wsf_frame f;
		size_t h, l;
		if (!frame_at(d + pos, size - pos, &f, &h, &l))
			break;
		s[n].off = pos;
		s[n].len = h + l;
		pos += h + l;
		n++;
	}
	return n;
}

static size_t put(uint8_t *out, size_t pos, size_t max, const uint8_t *src,
		  size_t n)
{
	if (n > max - pos)
		return pos;
	memcpy(out + pos, src, n);
	return pos + n;
}

size_t wsmut_crossover(const uint8_t *a, size_t asize, const uint8_t *b,
		       size_t bsize, uint8_t *out, size_t max_out,
		       unsigned int seed)
{
	struct span sa[WSMUT_MAX_FRAMES], sb[WSMUT_MAX_FRAMES];
	uint64_t rng = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 77;
	size_t na = spans(a, asize, sa), nb = spans(b, bsize, sb);
	size_t pos = 0;
	if (na == 0 || nb == 0) {
		size_t ka = wsmut_below(&rng, asize + 1),
		       kb = wsmut_below(&rng, bsize + 1);
		pos = put(out, pos, max_out, a, ka < max_out ? ka : max_out);
		size_t rest = bsize - kb;
		if (rest > max_out - pos)
			rest = max_out - pos;
		return put(out, pos, max_out, b + kb, rest);
	}
	size_t n = 0;
	if (wsmut_below(&rng, 3) != 0) {
		/* a's first frames, then b's last frames */
		size_t i = 1 + wsmut_below(&rng, na), j = wsmut_below(&rng, nb);
		for (size_t k = 0; k < i && n < WSMUT_MAX_FRAMES; k++, n++)
			pos = put(out, pos, max_out, a + sa[k].off, sa[k].len);
		for (size_t k = j; k < nb && n < WSMUT_MAX_FRAMES; k++, n++)
			pos = put(out, pos, max_out, b + sb[k].off, sb[k].len);
	} else {
		/* interleaved, frame by frame */
		for (size_t k = 0; (k < na || k < nb) && n < WSMUT_MAX_FRAMES;
		     k++) {
			if (k < na) {
				pos = put(out, pos, max_out, a + sa[k].off,
					  sa[k].len);
				n++;
			}
			if (k < nb && n < WSMUT_MAX_FRAMES) {
				pos = put(out, pos, max_out, b + sb[k].off,
					  sb[k].len);
				n++;
			}
		}
	}
	return pos;
}
