/*
 * wsf.c: the RFC 6455 frame codec (section 5.2) declared in wsf.h.
 *
 * The decoder is a state machine: between frames, collecting a header,
 * handing out payload.  A header is parsed from a local copy: taken from
 * the caller's buffer when the whole header is there (in one copy of
 * fixed size when the longest header would fit, the usual case), else
 * collected one call at a time into d->hbuf, so the chunking of the input
 * never changes what is reported.  The usual frame's header is judged by
 * one test (unusual), the rules one by one only when that test fails.
 * Payload is never copied: it is unmasked in place and returned as a slice
 * of the caller's buffer, with the key offset carried in d->offset, so a
 * frame announcing 2^63 bytes costs no memory at all.
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

/* For the decoder's helpers with two callers: inlined, they work on the
 * caller's locals, which need no alignment check under UBSan. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

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
	/* Without a table or a test (in the fuzzing build a table lookup
	 * costs a traced comparison): (l7 + 2) >> 7 is 1 for the markers
	 * only, and 2 << (2 * (l7 & 1)) is 2 for 126 and 8 for 127. */
	unsigned l7 = b1 & 0x7fu;
	unsigned ext = (((l7 + 2) >> 7) << 1) << ((l7 & 1) << 1);
	return 2u + ext + ((size_t)(b1 >> 7) << 2);
}

/* One header's fields as the decoder parses them: kept apart from struct
 * wsf_header, and never copied whole, so that the compiler holds them in
 * registers. */
struct fields {
	unsigned fin, rsv, op, masked;
	unsigned form;   /* WSF_LEN_7, WSF_LEN_16 or WSF_LEN_64 */
	unsigned hlen;   /* header size */
	uint64_t len;    /* payload length */
	uint32_t key;    /* the key's 4 bytes as they lie in memory; 0 without
			  * MASK */
};

/* Parses p, a copy of the header in WSF_MAX_HEADER initialised bytes (those
 * past the header are ignored).  Every read is at a fixed offset in a local
 * array, and the key is read whether or not MASK is set, then cleared
 * without a test when it is not: under UBSan each address computed from a
 * variable is a check, and under the fuzzer each check or branch a traced
 * comparison. */
static ALWAYS_INLINE void parse_header(struct fields *f,
				       const uint8_t p[WSF_MAX_HEADER])
{
	uint8_t b0 = p[0];
	uint8_t b1 = p[1];
	uint8_t l7 = b1 & 0x7f;

	f->fin = b0 >> 7;
	f->rsv = (b0 >> 4) & 7;
	f->op = b0 & 0x0f;
	f->masked = b1 >> 7;
	if (l7 < 126) {
		f->len = l7;
		f->form = WSF_LEN_7;
		memcpy(&f->key, p + 2, 4);
	} else if (l7 == 126) {
		f->len = (uint64_t)p[2] << 8 | p[3];
		f->form = WSF_LEN_16;
		memcpy(&f->key, p + 4, 4);
	} else {
		f->len = (uint64_t)p[2] << 56 | (uint64_t)p[3] << 48 |
			 (uint64_t)p[4] << 40 | (uint64_t)p[5] << 32 |
			 (uint64_t)p[6] << 24 | (uint64_t)p[7] << 16 |
			 (uint64_t)p[8] << 8 | p[9];
		f->form = WSF_LEN_64;
		memcpy(&f->key, p + 10, 4);
	}
	f->key &= 0u - (uint32_t)f->masked;
	f->hlen = (unsigned)header_size(b1);
}

/* The codes of the rules wsf_check knows, in the order it reports them;
 * bit i of a rule set stands for viol_code[i].  The table has 16 entries
 * (the last ones unused) so that an index masked with 15 needs no bounds
 * check. */
#define NRULES 10
static const int viol_code[16] = {
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

/* The header fields the rules read, reduced to what each rule needs:
 * fin and masked are 0 or 1, op is 0..15, f16 and f64 say which extended
 * length form was used, role is 0 (not judged), 1 (sent by a client) or 2
 * (sent by a server). */
struct rule_in {
	unsigned fin, rsv, op, masked, f16, f64;
	uint64_t len;
	unsigned allowed, role;
};

/* The set of rules a header breaks.  Every rule is evaluated without
 * branching, with as few comparisons as can be (under the fuzzer each one
 * is a traced call; two remain, both on the length), and the results are
 * ORed. */
static inline unsigned rule_bits(struct rule_in r)
{
	/* Control frames are those with the opcode's top bit set, reserved
	 * control opcodes 0xB-0xF included (section 5.5). */
	unsigned ctrl = r.op >> 3;
	unsigned over = r.len > CTRL_MAX;
	unsigned bits;

	bits = (RESERVED_OPS >> r.op) & 1;
	bits |= rsv_rules[r.rsv & ~r.allowed & 7];
	bits |= (ctrl & over) << 4;
	bits |= (ctrl & ~r.fin & 1) << 5;
	bits |= (r.f64 & (unsigned)(r.len >> 63)) << 6;
	/* 16 bits for what 7 could carry, 64 for what 16 could. */
	bits |= ((r.f16 & (over ^ 1)) | (r.f64 & ((r.len >> 16) == 0))) << 7;
	bits |= (r.role & 1 & (r.masked ^ 1)) << 8;
	bits |= (r.role >> 1 & r.masked) << 9;
	return bits;
}

/* The role as rule_in wants it; any value but the two judged roles is
 * not judged (as WSP_ROLE_ANY). */
static unsigned role_code(enum wsp_role sender)
{
	return sender == WSP_ROLE_CLIENT ? 1u
	       : sender == WSP_ROLE_SERVER ? 2u : 0u;
}

/* The set of rules h breaks under (allowed, sender), for wsf_check: any
 * field values.  Only the low bits of fin, masked (1) and opcode (4) are
 * read, as the encoder writes them. */
static unsigned viol_bits(const struct wsf_header *h, uint8_t allowed,
			  enum wsp_role sender)
{
	struct rule_in r = {
		.fin = h->fin & 1u,
		.rsv = h->rsv,
		.op = h->opcode & 15u,
		.masked = h->masked & 1u,
		.f16 = h->len_form == WSF_LEN_16,
		.f64 = h->len_form == WSF_LEN_64,
		.len = h->payload_len,
		.allowed = allowed,
		.role = role_code(sender),
	};
	return rule_bits(r);
}

/* Frames whose first byte is acceptable with no extension, by FIN and
 * opcode: bit (FIN << 4 | opcode) is set for FIN=0 with 0x0-0x2 and FIN=1
 * with 0x0-0x2 and 0x8-0xA. */
#define PLAIN_OK_OPS 0x07070007u

/* The MASK bits a role forbids: bit (role << 1 | MASK) is set for a client
 * frame without MASK and a server frame with it; WSP_ROLE_ANY forbids
 * nothing. */
#define ROLE_MASK_BAD 0x24u

/* Zero when the header starting with b0 b1 is the usual frame under the
 * policy (7-bit length, known opcode, FIN set on a control frame, no RSV bit
 * but the allowed ones, MASK as the sender's role wants), for which
 * viol_bits is 0; non-zero means "ask viol_bits".  Built from the two bytes
 * with shifts and masks, so the decoder's usual frame costs one test, not
 * one per rule (under the fuzzer each test is a traced call).  A role that
 * is none of the enum's values is never taken for a stricter one: its
 * ROLE_MASK_BAD bits are 0 or those of a role viol_bits then judges
 * exactly. */
static ALWAYS_INLINE unsigned unusual(uint8_t b0, uint8_t b1,
				       uint8_t allowed, enum wsp_role sender)
{
	unsigned fin_op = (unsigned)(b0 >> 3 & 0x10) | (b0 & 0x0fu);
	unsigned bad = ((PLAIN_OK_OPS >> fin_op) & 1) ^ 1;
	bad |= (unsigned)(b0 >> 4) & 7 & (unsigned)~allowed;
	bad |= ((b1 & 0x7fu) + 2) >> 7; /* 126 and 127: a longer form */
	bad |= (ROLE_MASK_BAD >> (((unsigned)sender & 3) << 1 | b1 >> 7)) & 1;
	return bad;
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
			viol[n] = viol_code[lowest_bit(bits) & 15];
	return n;
}

/* viol_list for the decoder, whose array holds every rule at once. */
_Static_assert(WSF_MAX_VIOL >= NRULES,
	       "struct wsf_decoder must hold every violation");
static size_t viol_list_all(unsigned bits, int *viol)
{
	int *out = viol;
	for (; bits != 0; bits &= bits - 1)
		*out++ = viol_code[lowest_bit(bits) & 15];
	return (size_t)(out - viol);
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
static uint64_t mask_pattern(uint32_t k, uint64_t offset)
{
	unsigned rot = (unsigned)(offset & 3) * 8;
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
		uint8_t key[4], b[4];
		memcpy(key, &k, 4);
		for (unsigned j = 0; j < 4; j++)
			b[j] = key[(offset + j) & 3];
		memcpy(&k, b, 4);
	}
#endif
	return (uint64_t)k << 32 | k;
}

/* wsf_mask's body, static so that the decoder's call is inlined.  The key
 * comes as the word its 4 bytes make in memory (memcpy'd from them): the
 * decoder then keeps its header in registers, which it could not if the
 * key's address were taken. */
static inline void mask_words(uint8_t *data, size_t len, uint32_t key,
			      uint64_t offset)
{
	/* Bytes i and i + 4 take the same key byte, so any 8 data bytes
	 * starting a multiple of 4 from data are masked by one word. */
	uint64_t kw = mask_pattern(key, offset);
	uint8_t *p = data; /* next word to load */
	uint8_t *q = data; /* next word to store */

	/* Counted loops, and pointers that only ever step forward by a
	 * constant: no address is computed from a variable and no pointer
	 * is formed past data + len (under UBSan each computed address is a
	 * check, and under the fuzzer each check a traced comparison).  Four
	 * words per step gives the compiler room to keep several loads in
	 * flight. */
	for (size_t c = len / 32; c != 0; c--) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, p, 8);
		p += 8;
		memcpy(&w1, p, 8);
		p += 8;
		memcpy(&w2, p, 8);
		p += 8;
		memcpy(&w3, p, 8);
		p += 8;
		w0 ^= kw;
		w1 ^= kw;
		w2 ^= kw;
		w3 ^= kw;
		memcpy(q, &w0, 8);
		q += 8;
		memcpy(q, &w1, 8);
		q += 8;
		memcpy(q, &w2, 8);
		q += 8;
		memcpy(q, &w3, 8);
		q += 8;
	}
	for (size_t c = len / 8 % 4; c != 0; c--) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= kw;
		memcpy(p, &w, 8);
		p += 8;
	}
	/* The tail, under 8 bytes, one at a time (never a byte past the
	 * end), with the pattern's bytes taken in memory order. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (size_t c = len % 8; c != 0; c--, p++, kw >>= 8)
		*p ^= (uint8_t)kw;
#elif defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t c = len % 8; c != 0; c--, p++, kw <<= 8)
		*p ^= (uint8_t)(kw >> 56);
#else
	uint8_t kb[4];
	memcpy(kb, &key, 4);
	for (size_t i = len - len % 8; i < len; i++, p++)
		*p ^= kb[(offset + i) & 3];
#endif
}

void wsf_mask(uint8_t *data, size_t len, const uint8_t key[4],
	      uint64_t offset)
{
	uint32_t k;
	memcpy(&k, key, 4);
	mask_words(data, len, k, offset);
}

/* --------------------------------------------------------------------------
 * Decoder
 */

void wsf_decoder_init(struct wsf_decoder *d, const struct wsf_policy *p)
{
	assert(d != NULL);
	memset(d, 0, sizeof(*d));
	/* The role is kept as a judged role or WSP_ROLE_ANY, so the decoder
	 * reads it as rule_in's role code without a test. */
	if (p != NULL) {
		d->policy.rsv_allowed = p->rsv_allowed;
		d->policy.sender = (enum wsp_role)role_code(p->sender);
	} else {
		d->policy.sender = WSP_ROLE_ANY;
	}
	d->state = ST_IDLE;
}

int wsf_decoder_idle(const struct wsf_decoder *d)
{
	return d->state == ST_IDLE;
}

size_t wsf_skip(struct wsf_decoder *d, size_t len)
{
	if (d->state != ST_PAYLOAD || d->remaining <= 1)
		return 0;
	if (len > d->remaining - 1)
		len = (size_t)(d->remaining - 1);
	d->offset += len;
	d->remaining -= len;
	return len;
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

/* Parses the header copied into hb (see parse_header) into *f, judges it,
 * stores it and its violations in d and reports them in *e. */
static ALWAYS_INLINE void begin_frame(struct wsf_decoder *d,
				      const uint8_t hb[WSF_MAX_HEADER],
				      struct fields *f, struct wsf_event *e)
{
	struct wsf_policy pol = d->policy;
	size_t nviol = 0;
	uint8_t k[4];

	parse_header(f, hb);
	if (unusual(hb[0], hb[1], pol.rsv_allowed, pol.sender) != 0) {
		struct rule_in r = {
			.fin = f->fin,
			.rsv = f->rsv,
			.op = f->op,
			.masked = f->masked,
			.f16 = f->form == WSF_LEN_16,
			.f64 = f->form == WSF_LEN_64,
			.len = f->len,
			.allowed = pol.rsv_allowed,
			.role = (unsigned)pol.sender,
		};
		nviol = viol_list_all(rule_bits(r), d->viol);
	}
	/* Stored in one assignment from registers: a struct assembled in
	 * memory with narrow stores and copied with wide loads cannot have
	 * those loads forwarded, which costs more than decoding a small
	 * frame (and under UBSan each field stored through d is a check). */
	memcpy(k, &f->key, 4);
	d->hdr = (struct wsf_header){
		.fin = (uint8_t)f->fin,
		.rsv = (uint8_t)f->rsv,
		.opcode = (uint8_t)f->op,
		.masked = (uint8_t)f->masked,
		.mask_key = {k[0], k[1], k[2], k[3]},
		.len_form = (uint8_t)f->form,
		.header_len = (uint8_t)f->hlen,
		.payload_len = f->len,
	};
	d->nviol = nviol;
	e->nviol = nviol;
	e->flags = WSF_EV_HEADER;
}

/*
 * The usual call (a new frame whose header lies wholly in buf) takes five
 * tests besides unmasking: the state, len against the longest header, the
 * rules (unusual), the payload's size against len, MASK.  The decoder's
 * fields are read and written as few times as can be: under UBSan every
 * access through d is an alignment check, and under the fuzzer every check
 * a traced comparison, so the header is parsed from a local copy into
 * locals and stored once, and the payload's position is only stored when
 * the frame goes on.
 */
ssize_t wsf_decode(struct wsf_decoder *d, uint8_t *buf, size_t len,
		   struct wsf_event *ev)
{
	struct wsf_event e;
	struct fields f;
	uint8_t hb[WSF_MAX_HEADER];
	unsigned state = d->state;
	unsigned masked;
	uint32_t key;
	uint64_t off, rem;
	size_t pos;

	e.flags = 0;
	e.hdr = &d->hdr;
	e.viol = d->viol;
	e.nviol = 0;
	if (state == ST_IDLE && len >= WSF_MAX_HEADER) {
		/* Fast path: a new frame with room for the longest header,
		 * copied as two overlapping words (plain loads; a 14-byte
		 * copy is a call under ASan). */
		memcpy(hb, buf, 8);
		memcpy(hb + WSF_MAX_HEADER - 8, buf + WSF_MAX_HEADER - 8, 8);
		begin_frame(d, hb, &f, &e);
		pos = f.hlen;
		masked = f.masked;
		key = f.key;
		off = 0;
		rem = f.len;
	} else if (state != ST_PAYLOAD) {
		memset(hb, 0, sizeof(hb));
		if (state == ST_IDLE && len >= 2 &&
		    len >= header_size(buf[1])) {
			/* A whole header near the end of buf. */
			pos = header_size(buf[1]);
			memcpy(hb, buf, pos);
		} else {
			/* Split header: collected in d->hbuf, parsed from
			 * there once complete, by the same code. */
			int done;
			pos = collect_header(d, buf, len, &done);
			if (!done) {
				/* An empty buf leaves an idle decoder idle. */
				d->state = d->hlen != 0 ? ST_HEADER : ST_IDLE;
				e.data = buf + pos;
				e.len = 0;
				e.offset = 0;
				*ev = e;
				return (ssize_t)pos;
			}
			/* pos: the header's last bytes, taken from buf. */
			memcpy(hb, d->hbuf, d->hlen);
			d->hlen = 0;
		}
		begin_frame(d, hb, &f, &e);
		masked = f.masked;
		key = f.key;
		off = 0;
		rem = f.len;
	} else {
		/* Payload of a frame begun in an earlier call (for an empty
		 * buf: no byte, no end, since rem > 0). */
		masked = d->hdr.masked;
		memcpy(&key, d->hdr.mask_key, 4);
		off = d->offset;
		rem = d->remaining;
		pos = 0;
	}

	/* Payload: as much of the frame as buf holds.  The decoder is
	 * updated before unmasking, which writes through a uint8_t pointer
	 * that may alias it. */
	size_t n = len - pos;
	uint8_t *data = buf + pos;
	if (n >= rem) {
		n = (size_t)rem;
		e.flags |= WSF_EV_END;
		d->state = ST_IDLE;
	} else {
		d->state = ST_PAYLOAD;
		d->offset = off + n;
		d->remaining = rem - n;
	}
	if (masked)
		mask_words(data, n, key, off);
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
