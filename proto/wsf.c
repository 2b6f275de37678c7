/*
 * wsf.c: the RFC 6455 frame codec (section 5.2) declared in wsf.h.
 *
 * The decoder is a two-state machine: collecting a header, then handing out
 * payload.  A header that lies wholly inside the caller's buffer is parsed
 * straight from it (the fast path); otherwise its bytes are collected one
 * call at a time into d->hbuf and parsed from there once complete, so the
 * chunking of the input never changes what is reported.  Payload is never
 * copied: it is unmasked in place and returned as a slice of the caller's
 * buffer, with the key offset carried in d->offset, so a frame announcing
 * 2^63 bytes costs no memory at all.
 *
 * Unmasking works a 64-bit word at a time: the 4-byte key, rotated by the
 * payload offset, is repeated into an 8-byte pattern and XORed over the
 * data.  Words move through memcpy, which the compiler turns into plain
 * loads and stores without alignment or aliasing undefined behaviour, and
 * the tail shorter than a word is done byte by byte, so no byte outside
 * [data, data + len) is ever read or written.
 *
 * The encoder writes whatever fields it is given: the conformance tool
 * needs to send the frames a peer must reject.  wsf_check is the separate
 * judgement of one header.
 */
#include <assert.h>
#include <limits.h>
#include <string.h>

#include "wsf.h"
#include "wsp_err.h"

/* Decoder states.  ST_IDLE sits between frames (no header byte kept), so
 * the common case, a new frame at the start of the buffer, costs one test. */
enum {
	ST_IDLE = 0,    /* between frames: d->hlen is 0 */
	ST_HEADER = 1,  /* d->hlen (1..13) header bytes collected in d->hbuf */
	ST_PAYLOAD = 2  /* d->remaining payload bytes still to come */
};

/* The largest payload a control frame may carry (R6455-5.5-01). */
#define CTRL_MAX 125u

/* --------------------------------------------------------------------------
 * Header parsing and judgement
 */

/* The header size announced by its second byte: 2, plus 2 or 8 bytes of
 * extended length for the 7-bit markers 126 and 127, plus 4 bytes of key
 * when MASK is set. */
static size_t header_size(uint8_t b1)
{
	static const uint8_t ext[128] = {[126] = 2, [127] = 8};
	return 2u + ext[b1 & 0x7f] + (size_t)((b1 >> 7) << 2);
}

/* Fills h from p, which holds at least header_size(p[1]) bytes.  (Fields
 * are stored one by one: assembling the struct in a local and copying it
 * whole would reload narrow stores as wide words, which the CPU cannot
 * forward, and costs more than the whole decode of a small frame.) */
static void parse_header(struct wsf_header *h, const uint8_t *p)
{
	uint8_t b0 = p[0];
	uint8_t b1 = p[1];
	uint8_t l7 = b1 & 0x7f;
	size_t k;

	h->fin = b0 >> 7;
	h->rsv = (b0 >> 4) & 7;
	h->opcode = b0 & 0x0f;
	h->masked = b1 >> 7;
	if (l7 < 126) {
		h->payload_len = l7;
		h->len_form = WSF_LEN_7;
		k = 2;
	} else if (l7 == 126) {
		h->payload_len = (uint64_t)p[2] << 8 | p[3];
		h->len_form = WSF_LEN_16;
		k = 4;
	} else {
		h->payload_len = (uint64_t)p[2] << 56 | (uint64_t)p[3] << 48 |
				 (uint64_t)p[4] << 40 | (uint64_t)p[5] << 32 |
				 (uint64_t)p[6] << 24 | (uint64_t)p[7] << 16 |
				 (uint64_t)p[8] << 8 | p[9];
		h->len_form = WSF_LEN_64;
		k = 10;
	}
	if (b1 & 0x80) {
		memcpy(h->mask_key, p + k, 4);
		k += 4;
	} else {
		memset(h->mask_key, 0, 4);
	}
	h->header_len = (uint8_t)k;
}

/* The codes of the rules wsf_check knows, in the order it reports them;
 * bit i of a rule set stands for viol_code[i]. */
static const int viol_code[] = {
	WSP_E_WSF_RESERVED_OPCODE, /* R6455-5.2-04 */
	WSP_E_WSF_RSV1,            /* R6455-5.2-03 (ABNF R6455-5.2-09) */
	WSP_E_WSF_RSV2,            /* R6455-5.2-03 (ABNF R6455-5.2-10) */
	WSP_E_WSF_RSV3,            /* R6455-5.2-03 (ABNF R6455-5.2-11) */
	WSP_E_WSF_CTRL_TOO_LONG,   /* R6455-5.5-01 */
	WSP_E_WSF_CTRL_FRAGMENTED, /* R6455-5.5-02, R6455-5.4-05 */
	WSP_E_WSF_LEN_TOP_BIT,     /* R6455-5.2-05 */
	WSP_E_WSF_LEN_NOT_MINIMAL, /* R6455-5.2-06 */
	WSP_E_WSF_CLIENT_UNMASKED, /* R6455-5.1-01 */
	WSP_E_WSF_SERVER_MASKED,   /* R6455-5.1-04 */
};

/* Opcodes 0x3-0x7 and 0xB-0xF are reserved (R6455-5.2-04): bit op set. */
#define RESERVED_OPS 0xF8F8u

/* RSV bits (RSV1 = 4, RSV2 = 2, RSV3 = 1) to their rules, bits 1-3. */
static const uint8_t rsv_rules[8] = {0, 8, 4, 12, 2, 10, 6, 14};

/* The set of rules h breaks.  Every rule is evaluated without branching,
 * with as few comparisons as can be (under the fuzzer each one is a
 * traced call), and the results are ORed.  Only the low bits of fin,
 * masked (1) and opcode (4) are read, as the encoder writes them. */
static unsigned viol_bits(const struct wsf_header *h, uint8_t allowed,
			  enum wsp_role sender)
{
	unsigned op = h->opcode & 15;
	/* Control frames are those with the opcode's top bit set, reserved
	 * control opcodes 0xB-0xF included (section 5.5). */
	unsigned ctrl = op >> 3;
	uint64_t len = h->payload_len;
	unsigned over = len > CTRL_MAX;
	unsigned f16 = h->len_form == WSF_LEN_16;
	unsigned f64 = h->len_form == WSF_LEN_64;
	unsigned masked = h->masked & 1u;
	unsigned bits;

	bits = (RESERVED_OPS >> op) & 1;
	bits |= rsv_rules[h->rsv & (unsigned)~allowed & 7];
	bits |= (ctrl & over) << 4;
	bits |= (ctrl & ~(unsigned)h->fin & 1) << 5;
	bits |= (f64 & (unsigned)(len >> 63)) << 6;
	/* 16 bits for what 7 could carry, 64 for what 16 could. */
	bits |= ((f16 & (over ^ 1)) | (f64 & ((len >> 16) == 0))) << 7;
	bits |= ((sender == WSP_ROLE_CLIENT) & (masked ^ 1)) << 8;
	bits |= ((sender == WSP_ROLE_SERVER) & masked) << 9;
	return bits;
}

/* Frames whose first byte is acceptable with no extension, by FIN and
 * opcode: bit (FIN << 4 | opcode) is set for FIN=0 with 0x0-0x2 and FIN=1
 * with 0x0-0x2 and 0x8-0xA. */
#define PLAIN_OK_OPS 0x07070007u

/* viol_bits for the decoder, with the usual frame (7-bit length, known
 * opcode, FIN set on a control frame, no stray RSV bit, mask bit as the
 * role wants) accepted by a few well-predicted tests first. */
static unsigned judge(const struct wsf_header *h, const struct wsf_policy *p)
{
	enum wsp_role s = p->sender;
	if (h->len_form == WSF_LEN_7 && (h->rsv & ~p->rsv_allowed) == 0 &&
	    ((PLAIN_OK_OPS >> (h->fin << 4 | h->opcode)) & 1) &&
	    (s == WSP_ROLE_ANY || h->masked == (s == WSP_ROLE_CLIENT)))
		return 0;
	return viol_bits(h, p->rsv_allowed, s);
}

/* The index of the lowest set bit of x (x != 0). */
static unsigned lowest_bit(unsigned x)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctz(x);
#else
	unsigned i = 0;
	while (!(x & 1)) {
		x >>= 1;
		i++;
	}
	return i;
#endif
}

/* Writes the codes of rule set bits, in order, at most max of them into
 * viol; returns how many rules the set holds. */
static size_t viol_list(unsigned bits, int *viol, size_t max)
{
	size_t n = 0;
	for (; bits != 0; bits &= bits - 1, n++)
		if (n < max)
			viol[n] = viol_code[lowest_bit(bits)];
	return n;
}

/* viol_list for the decoder, whose array holds every rule at once. */
_Static_assert(WSF_MAX_VIOL >= sizeof(viol_code) / sizeof(viol_code[0]),
	       "struct wsf_decoder must hold every violation");
static size_t viol_list_all(unsigned bits, int *viol)
{
	size_t n = 0;
	for (; bits != 0; bits &= bits - 1)
		viol[n++] = viol_code[lowest_bit(bits)];
	return n;
}

size_t wsf_check(const struct wsf_header *h, const struct wsf_policy *p,
		 int *viol, size_t max)
{
	uint8_t allowed = p != NULL ? p->rsv_allowed : 0;
	enum wsp_role sender = p != NULL ? p->sender : WSP_ROLE_ANY;
	return viol_list(viol_bits(h, allowed, sender), viol, max);
}

/* --------------------------------------------------------------------------
 * Masking (section 5.3)
 */

/* The 8-byte masking pattern for data starting at key byte (offset % 4),
 * as a word whose bytes IN MEMORY are key[o], key[o+1], ..., twice over.
 * Built in registers: assembling it with byte stores and reloading it as a
 * word defeats store-to-load forwarding and costs more than masking a
 * small frame. */
static uint64_t mask_pattern(const uint8_t key[4], uint64_t offset)
{
	unsigned rot = (unsigned)(offset & 3) * 8;
	uint32_t k;
	memcpy(&k, key, 4);
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Memory byte i is bits 8i..8i+7: start o bytes in.  The "& 31"
	 * keeps the shift defined when rot is 0 (both halves are then k). */
	k = k >> rot | k << ((32 - rot) & 31);
#elif defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	k = k << rot | k >> ((32 - rot) & 31);
#else
	{
		uint8_t b[4];
		for (unsigned j = 0; j < 4; j++)
			b[j] = key[(offset + j) & 3];
		memcpy(&k, b, 4);
	}
#endif
	return (uint64_t)k << 32 | k;
}

/* wsf_mask's body, static so that the decoder's call is inlined. */
static inline void mask_words(uint8_t *data, size_t len,
			      const uint8_t key[4], uint64_t offset)
{
	/* Bytes i and i + 4 take the same key byte, so any 8 data bytes
	 * starting a multiple of 4 from data are masked by one word. */
	uint64_t kw = mask_pattern(key, offset);
	size_t i = 0;

	/* Four words per step gives the compiler room to keep several loads
	 * in flight; the loop condition never forms a pointer past the end. */
	while (len - i >= 32) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, data + i, 8);
		memcpy(&w1, data + i + 8, 8);
		memcpy(&w2, data + i + 16, 8);
		memcpy(&w3, data + i + 24, 8);
		w0 ^= kw;
		w1 ^= kw;
		w2 ^= kw;
		w3 ^= kw;
		memcpy(data + i, &w0, 8);
		memcpy(data + i + 8, &w1, 8);
		memcpy(data + i + 16, &w2, 8);
		memcpy(data + i + 24, &w3, 8);
		i += 32;
	}
	while (len - i >= 8) {
		uint64_t w;
		memcpy(&w, data + i, 8);
		w ^= kw;
		memcpy(data + i, &w, 8);
		i += 8;
	}
	/* The tail, under 8 bytes, one at a time: never a byte past len. */
	for (; i < len; i++)
		data[i] ^= key[(offset + i) & 3];
}

void wsf_mask(uint8_t *data, size_t len, const uint8_t key[4],
	      uint64_t offset)
{
	mask_words(data, len, key, offset);
}

/* --------------------------------------------------------------------------
 * Decoder
 */

void wsf_decoder_init(struct wsf_decoder *d, const struct wsf_policy *p)
{
	assert(d != NULL);
	memset(d, 0, sizeof(*d));
	if (p != NULL)
		d->policy = *p;
	else
		d->policy.sender = WSP_ROLE_ANY;
	d->state = ST_HEADER;
}

int wsf_decoder_idle(const struct wsf_decoder *d)
{
	return d->state == ST_HEADER && d->hlen == 0;
}

/* Slow path: adds header bytes from buf[0..len) to d->hbuf.  Returns how
 * many were taken; *done says whether the header is now complete. */
static size_t collect_header(struct wsf_decoder *d, const uint8_t *buf,
			     size_t len, int *done)
{
	size_t pos = 0;
	for (;;) {
		/* The size is known once the first two bytes are in. */
		size_t need = d->hlen < 2 ? 2 : header_size(d->hbuf[1]);
		if (d->hlen >= 2 && d->hlen == need) {
			*done = 1;
			return pos;
		}
		if (pos == len) {
			*done = 0;
			return pos;
		}
		size_t take = need - d->hlen;
		if (take > len - pos)
			take = len - pos;
		memcpy(d->hbuf + d->hlen, buf + pos, take);
		d->hlen = (uint8_t)(d->hlen + take);
		pos += take;
	}
}

ssize_t wsf_decode(struct wsf_decoder *d, uint8_t *buf, size_t len,
		   struct wsf_event *ev)
{
	struct wsf_event e;
	size_t pos = 0;

	/* No assert here: d and ev are dereferenced at once anyway, and
	 * under the fuzzer every comparison on this path is a traced call. */
	e.flags = 0;
	e.hdr = &d->hdr;
	e.viol = d->viol;
	e.nviol = 0;
	e.offset = 0;
	if (len == 0) {
		/* Nothing can happen without a byte: a completed header
		 * never waits for a call (an empty payload ends with it). */
		e.data = buf;
		e.len = 0;
		e.offset = d->state == ST_PAYLOAD ? d->offset : 0;
		*ev = e;
		return 0;
	}

	if (d->state == ST_HEADER) {
		if (d->hlen == 0 && len >= 2 && len >= header_size(buf[1])) {
			/* Fast path: the whole header is in buf. */
			parse_header(&d->hdr, buf);
			pos = d->hdr.header_len;
		} else {
			int done;
			pos = collect_header(d, buf, len, &done);
			if (!done) {
				e.data = buf + pos;
				e.len = 0;
				*ev = e;
				return (ssize_t)pos;
			}
			parse_header(&d->hdr, d->hbuf);
			d->hlen = 0;
		}
		unsigned bits = judge(&d->hdr, &d->policy);
		d->nviol = viol_list_all(bits, d->viol);
		e.nviol = d->nviol;
		e.flags = WSF_EV_HEADER;
		d->offset = 0;
		d->remaining = d->hdr.payload_len;
		d->state = ST_PAYLOAD;
	}

	/* Payload: as much of the frame as buf holds.  Locals, because the
	 * unmasking writes through a uint8_t pointer that may alias d. */
	uint64_t off = d->offset, rem = d->remaining;
	size_t n = len - pos;
	if (n > rem)
		n = (size_t)rem;
	uint8_t *data = buf + pos;
	if (d->hdr.masked)
		mask_words(data, n, d->hdr.mask_key, off);
	d->offset = off + n;
	d->remaining = rem - n;
	if (rem == n) {
		e.flags |= WSF_EV_END;
		d->state = ST_HEADER;
	}
	e.data = data;
	e.len = n;
	e.offset = off;
	*ev = e;
	return (ssize_t)(pos + n);
}

/* --------------------------------------------------------------------------
 * Encoder
 */

int wsf_encode_header(uint8_t *out, const struct wsf_frame *f)
{
	uint64_t len = f->payload_len;
	unsigned form = f->len_form;
	uint8_t *p = out;

	if (form == WSF_LEN_AUTO)
		form = len <= CTRL_MAX ? WSF_LEN_7
		       : len <= 0xffff ? WSF_LEN_16
				       : WSF_LEN_64;
	switch (form) {
	case WSF_LEN_7:
		if (len > CTRL_MAX)
			return WSP_E_INVAL;
		break;
	case WSF_LEN_16:
		if (len > 0xffff)
			return WSP_E_INVAL;
		break;
	case WSF_LEN_64:
		break;
	default:
		return WSP_E_INVAL;
	}

	uint8_t mbit = (f->masked & 1) ? 0x80 : 0;
	*p++ = (uint8_t)((f->fin & 1) << 7 | (f->rsv & 7) << 4 |
			 (f->opcode & 0x0f));
	if (form == WSF_LEN_7) {
		*p++ = (uint8_t)(mbit | len);
	} else if (form == WSF_LEN_16) {
		*p++ = mbit | 126;
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
	} else {
		*p++ = mbit | 127;
		for (int shift = 56; shift >= 0; shift -= 8)
			*p++ = (uint8_t)(len >> shift);
	}
	if (mbit) {
		memcpy(p, f->mask_key, 4);
		p += 4;
	}
	return (int)(p - out);
}

ssize_t wsf_encode(uint8_t *out, size_t cap, const struct wsf_frame *f,
		   const uint8_t *payload, size_t payload_len)
{
	uint8_t hdr[WSF_MAX_HEADER];
	int hl = wsf_encode_header(hdr, f);

	if (hl < 0)
		return hl;
	if (payload_len > (size_t)SSIZE_MAX - (size_t)hl)
		return WSP_E_INVAL; /* the size could not be returned */
	if ((size_t)hl > cap || payload_len > cap - (size_t)hl)
		return WSP_E_NOSPACE;
	memcpy(out, hdr, (size_t)hl);
	if (payload_len != 0) {
		memcpy(out + hl, payload, payload_len);
		if (f->masked & 1)
			wsf_mask(out + hl, payload_len, f->mask_key, 0);
	}
	return (ssize_t)((size_t)hl + payload_len);
}
