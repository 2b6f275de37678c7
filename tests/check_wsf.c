/*
 * check_wsf.c: the frame codec (proto/wsf.h) against RFC 6455 section 5.
 *
 * The section 5.7 examples byte for byte in both directions; every payload
 * length boundary in each encoding; every rule wsf_check knows, alone and
 * combined, with the exact list and order of codes; the receiver policy;
 * chunking (all at once, one byte at a time, random schedules and every
 * two- and three-way split must give the same headers, violations and
 * payload bytes); guard pages proving the decoder reads nothing past its
 * input; the word-at-a-time unmasking against a bytewise reference; and an
 * encoder that refuses only what cannot be written.
 *
 * decode_stream() is the one driver: it feeds a byte stream to a decoder in
 * the chunks a tl_chunker gives, each chunk in its own exactly-sized heap
 * buffer (so ASan sees any over-read), checks the event invariants on every
 * call and records what came out in a struct drec for comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "wsf.h"
#include "wsp_err.h"

/* --------------------------------------------------------------------------
 * Recording decoded streams
 */

/* Check records every passing ck_assert_*, which dominates the run time of
 * the loops below; these report only on failure. */
#define FAST_CMP(a, op, b)                                                   \
	do {                                                                 \
		unsigned long long fa_ = (unsigned long long)(a);            \
		unsigned long long fb_ = (unsigned long long)(b);            \
		if (!(fa_ op fb_))                                           \
			ck_abort_msg("%s:%d: %s %s %s (%llu vs %llu)",       \
				     __FILE__, __LINE__, #a, #op, #b, fa_,   \
				     fb_);                                   \
	} while (0)
#define FAST_EQ(a, b) FAST_CMP(a, ==, b)
#define FAST_NE(a, b) FAST_CMP(a, !=, b)
#define FAST_LE(a, b) FAST_CMP(a, <=, b)
#define FAST_LT(a, b) FAST_CMP(a, <, b)
#define FAST_GE(a, b) FAST_CMP(a, >=, b)
#define FAST_GT(a, b) FAST_CMP(a, >, b)
#define FAST_MSG(c, ...)                      \
	do {                                  \
		if (!(c))                     \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)
#define FAST_MSG1(c) FAST_MSG(c, "%s:%d: %s", __FILE__, __LINE__, #c)
#define FAST_NONNULL(p) FAST_MSG1((p) != NULL)
#define FAST_MEM_EQ(a, b, n) FAST_MSG1(memcmp((a), (b), (n)) == 0)

#define MAXF 256

struct frec {
	struct wsf_header h;
	int viol[WSF_MAX_VIOL];
	size_t nviol;
	size_t pay_off; /* where this frame's payload starts in drec.pay */
	size_t pay_len;
	int ended;
};

struct drec {
	struct frec f[MAXF];
	size_t nf;
	uint8_t *pay;
	size_t npay;
	size_t paycap;
	int idle;     /* wsf_decoder_idle() after the last byte */
	size_t calls; /* wsf_decode() calls made */
};

static struct drec *drec_new(void)
{
	struct drec *r = calloc(1, sizeof(*r));
	FAST_NONNULL(r);
	return r;
}

static void drec_free(struct drec *r)
{
	if (r != NULL)
		free(r->pay);
	free(r);
}

static void drec_append(struct drec *r, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (r->paycap - r->npay < n) {
		size_t cap = r->paycap ? r->paycap : 4096;
		while (cap - r->npay < n)
			cap *= 2;
		r->pay = realloc(r->pay, cap);
		FAST_NONNULL(r->pay);
		r->paycap = cap;
	}
	memcpy(r->pay + r->npay, p, n);
	r->npay += n;
}

/* Checks one event from a call that consumed got bytes of base[0..avail)
 * and records it; *open says whether a frame's payload is in progress. */
static void record(struct drec *r, const struct wsf_event *ev,
		   const uint8_t *base, size_t avail, ssize_t got, int *open)
{
	FAST_MSG1(got >= 0);
	FAST_LE((size_t)got, avail);
	/* Progress: a call with input always consumes some. */
	FAST_MSG(got > 0 || avail == 0, "no progress");
	FAST_EQ(ev->flags & ~(WSF_EV_HEADER | WSF_EV_END), 0);
	if (ev->flags & WSF_EV_HEADER) {
		FAST_MSG(!*open, "header inside an open frame");
		FAST_LT(r->nf, MAXF);
		struct frec *f = &r->f[r->nf++];
		f->h = *ev->hdr;
		FAST_LE(ev->nviol, WSF_MAX_VIOL);
		FAST_NONNULL(ev->viol);
		memcpy(f->viol, ev->viol, ev->nviol * sizeof(int));
		f->nviol = ev->nviol;
		f->pay_off = r->npay;
		*open = 1;
	} else {
		FAST_EQ(ev->nviol, 0);
	}
	if (ev->len > 0 || (ev->flags & WSF_EV_END)) {
		FAST_MSG(*open, "payload outside a frame");
		struct frec *f = &r->f[r->nf - 1];
		if (ev->len > 0) {
			/* The slice lies inside what this call consumed. */
			FAST_MSG(ev->data >= base, "slice before input");
			size_t at = (size_t)(ev->data - base);
			FAST_LE(at, (size_t)got);
			FAST_LE(ev->len, (size_t)got - at);
			FAST_EQ(at + ev->len, (size_t)got);
		}
		FAST_EQ(ev->offset, f->pay_len);
		drec_append(r, ev->data, ev->len);
		f->pay_len += ev->len;
		FAST_LE(f->pay_len, f->h.payload_len);
		if (ev->flags & WSF_EV_END) {
			FAST_EQ(f->pay_len, f->h.payload_len);
			f->ended = 1;
			*open = 0;
		}
	} else {
		/* Nothing to report: every byte went into header collection. */
		if (!(ev->flags & WSF_EV_HEADER))
			FAST_EQ((size_t)got, avail);
	}
}

/* Decodes in[0..n) under policy p in the chunks c gives. */
static struct drec *decode_stream(const struct wsf_policy *p,
				  const uint8_t *in, size_t n,
				  struct tl_chunker *c)
{
	struct drec *r = drec_new();
	struct wsf_decoder d;
	size_t pos = 0;
	int open = 0;

	wsf_decoder_init(&d, p);
	FAST_NE(wsf_decoder_idle(&d), 0);
	while (pos < n) {
		size_t k = tl_chunk_next(c, n - pos);
		uint8_t *chunk = malloc(k);
		FAST_NONNULL(chunk);
		memcpy(chunk, in + pos, k);
		size_t cpos = 0;
		while (cpos < k) {
			struct wsf_event ev;
			ssize_t got = wsf_decode(&d, chunk + cpos, k - cpos,
						 &ev);
			r->calls++;
			record(r, &ev, chunk + cpos, k - cpos, got, &open);
			cpos += (size_t)got;
		}
		free(chunk);
		pos += k;
	}
	r->idle = wsf_decoder_idle(&d);
	if (r->idle)
		FAST_MSG(!open, "idle inside a frame");
	return r;
}

static struct drec *decode_all(const struct wsf_policy *p, const uint8_t *in,
			       size_t n)
{
	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_ALL, 0);
	return decode_stream(p, in, n, &c);
}

static void hdr_eq(const struct wsf_header *a, const struct wsf_header *b)
{
	FAST_EQ(a->fin, b->fin);
	FAST_EQ(a->rsv, b->rsv);
	FAST_EQ(a->opcode, b->opcode);
	FAST_EQ(a->masked, b->masked);
	if (a->masked)
		FAST_MEM_EQ(a->mask_key, b->mask_key, 4);
	FAST_EQ(a->len_form, b->len_form);
	FAST_EQ(a->header_len, b->header_len);
	FAST_EQ(a->payload_len, b->payload_len);
}

/* Two decodings of the same bytes must agree on everything. */
static void drec_eq(const struct drec *a, const struct drec *b)
{
	FAST_EQ(a->nf, b->nf);
	for (size_t i = 0; i < a->nf; i++) {
		const struct frec *x = &a->f[i], *y = &b->f[i];
		hdr_eq(&x->h, &y->h);
		FAST_EQ(x->nviol, y->nviol);
		for (size_t j = 0; j < x->nviol; j++)
			FAST_EQ(x->viol[j], y->viol[j]);
		FAST_EQ(x->pay_off, y->pay_off);
		FAST_EQ(x->pay_len, y->pay_len);
		FAST_EQ(x->ended, y->ended);
	}
	FAST_EQ(a->npay, b->npay);
	if (a->npay > 0)
		FAST_MEM_EQ(a->pay, b->pay, a->npay);
	FAST_EQ(a->idle, b->idle);
}

/* --------------------------------------------------------------------------
 * RFC 6455 section 5.7: the examples, decoded and encoded byte for byte
 */

struct example {
	const char *name;
	const char *hex; /* the frame(s) as printed in the RFC */
	uint8_t fin, opcode, masked;
	const char *key; /* hex, when masked */
	const char *payload;
};

static const struct example examples[] = {
	{"single-frame unmasked text", "81 05 48 65 6c 6c 6f", 1, 0x1, 0,
	 NULL, "Hello"},
	{"single-frame masked text", "81 85 37 fa 21 3d 7f 9f 4d 51 58", 1,
	 0x1, 1, "37 fa 21 3d", "Hello"},
	{"fragment 1 of unmasked text", "01 03 48 65 6c", 0, 0x1, 0, NULL,
	 "Hel"},
	{"fragment 2 of unmasked text", "80 02 6c 6f", 1, 0x0, 0, NULL, "lo"},
	{"unmasked ping", "89 05 48 65 6c 6c 6f", 1, 0x9, 0, NULL, "Hello"},
	{"masked pong", "8a 85 37 fa 21 3d 7f 9f 4d 51 58", 1, 0xA, 1,
	 "37 fa 21 3d", "Hello"},
};
#define NEXAMPLES (sizeof(examples) / sizeof(examples[0]))

START_TEST(rfc6455_5_7_example_decodes)
{
	const struct example *x = &examples[_i];
	uint8_t in[32], key[4];
	size_t n = tl_hex(x->hex, in, sizeof(in));
	struct drec *r = decode_all(NULL, in, n);

	ck_assert_uint_eq(r->nf, 1);
	ck_assert_uint_eq(r->calls, 1); /* one call for a whole frame */
	const struct frec *f = &r->f[0];
	ck_assert_uint_eq(f->h.fin, x->fin);
	ck_assert_uint_eq(f->h.rsv, 0);
	ck_assert_uint_eq(f->h.opcode, x->opcode);
	ck_assert_uint_eq(f->h.masked, x->masked);
	if (x->masked) {
		tl_hex(x->key, key, 4);
		ck_assert_mem_eq(f->h.mask_key, key, 4);
	}
	ck_assert_uint_eq(f->h.len_form, WSF_LEN_7);
	ck_assert_uint_eq(f->h.header_len, x->masked ? 6 : 2);
	ck_assert_uint_eq(f->h.payload_len, strlen(x->payload));
	ck_assert_uint_eq(f->nviol, 0);
	ck_assert_int_eq(f->ended, 1);
	ck_assert_uint_eq(r->npay, strlen(x->payload));
	ck_assert_mem_eq(r->pay, x->payload, r->npay);
	ck_assert_int_ne(r->idle, 0);
	drec_free(r);
}
END_TEST

START_TEST(rfc6455_5_7_example_encodes)
{
	const struct example *x = &examples[_i];
	uint8_t want[32], out[32];
	size_t n = tl_hex(x->hex, want, sizeof(want));
	struct wsf_frame f = {.fin = x->fin, .opcode = x->opcode,
			      .masked = x->masked};
	if (x->masked)
		tl_hex(x->key, f.mask_key, 4);
	f.payload_len = strlen(x->payload);

	ssize_t got = wsf_encode(out, sizeof(out), &f,
				 (const uint8_t *)x->payload,
				 strlen(x->payload));
	ck_assert_int_eq(got, (ssize_t)n);
	ck_assert_mem_eq(out, want, n);
	/* The header alone, too. */
	int hl = wsf_encode_header(out, &f);
	ck_assert_int_eq(hl, x->masked ? 6 : 2);
	ck_assert_mem_eq(out, want, (size_t)hl);
}
END_TEST

/* The fragmented example as one stream, with the masked frames, and the
 * role rule: the masked frames are a client's, the unmasked a server's. */
START_TEST(rfc6455_5_7_examples_as_one_stream)
{
	uint8_t in[128];
	size_t n = 0;
	for (size_t i = 0; i < NEXAMPLES; i++)
		n += tl_hex(examples[i].hex, in + n, sizeof(in) - n);
	struct wsf_policy srv = {0, WSP_ROLE_SERVER};
	struct drec *r = decode_all(&srv, in, n);
	ck_assert_uint_eq(r->nf, NEXAMPLES);
	ck_assert_uint_eq(r->calls, NEXAMPLES);
	for (size_t i = 0; i < NEXAMPLES; i++) {
		if (examples[i].masked) {
			ck_assert_uint_eq(r->f[i].nviol, 1);
			ck_assert_int_eq(r->f[i].viol[0],
					 WSP_E_WSF_SERVER_MASKED);
		} else {
			ck_assert_uint_eq(r->f[i].nviol, 0);
		}
	}
	ck_assert_uint_eq(r->npay, 5 + 5 + 3 + 2 + 5 + 5);
	ck_assert_mem_eq(r->pay, "HelloHelloHelloHelloHello", 25);
	drec_free(r);
}
END_TEST

/* 256 bytes in one unmasked binary frame: 82 7E 0100 [256 bytes]; and
 * 64 KiB: 82 7F 0000000000010000 [65536 bytes]. */
static void long_example(uint64_t len, const char *hdr_hex)
{
	uint8_t want[16];
	size_t hn = tl_hex(hdr_hex, want, sizeof(want));
	size_t total = hn + (size_t)len;
	uint8_t *payload = malloc((size_t)len);
	uint8_t *out = malloc(total);
	ck_assert(payload != NULL && out != NULL);
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	struct wsf_frame f = {.fin = 1, .opcode = WSP_OP_BINARY,
			      .payload_len = len};

	ck_assert_int_eq(wsf_encode(out, total, &f, payload, (size_t)len),
			 (ssize_t)total);
	ck_assert_mem_eq(out, want, hn);
	ck_assert_mem_eq(out + hn, payload, (size_t)len);

	struct drec *r = decode_all(NULL, out, total);
	ck_assert_uint_eq(r->nf, 1);
	ck_assert_uint_eq(r->calls, 1);
	ck_assert_uint_eq(r->f[0].h.opcode, WSP_OP_BINARY);
	ck_assert_uint_eq(r->f[0].h.len_form, hn == 4 ? WSF_LEN_16 : WSF_LEN_64);
	ck_assert_uint_eq(r->f[0].h.header_len, hn);
	ck_assert_uint_eq(r->f[0].h.payload_len, len);
	ck_assert_uint_eq(r->f[0].nviol, 0);
	ck_assert_uint_eq(r->npay, len);
	ck_assert_mem_eq(r->pay, payload, (size_t)len);
	drec_free(r);
	free(payload);
	free(out);
}

START_TEST(rfc6455_5_7_binary_256_and_64k)
{
	long_example(256, "82 7E 01 00");
	long_example(65536, "82 7F 00 00 00 00 00 01 00 00");
}
END_TEST

/* --------------------------------------------------------------------------
 * R6455-5.2-05/06: every length boundary in every form
 */

static const uint64_t boundaries[] = {
	0, 125, 126, 127, 65535, 65536, 0x7fffffffffffffffull,
	0x8000000000000000ull,
};
#define NBOUND (sizeof(boundaries) / sizeof(boundaries[0]))
static const uint8_t forms[] = {WSF_LEN_7, WSF_LEN_16, WSF_LEN_64,
				WSF_LEN_AUTO};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

static uint8_t minimal_form(uint64_t len)
{
	return len <= 125 ? WSF_LEN_7 : len <= 65535 ? WSF_LEN_16 : WSF_LEN_64;
}

START_TEST(rfc6455_5_2_length_boundary_each_form)
{
	uint64_t len = boundaries[_i / (NFORMS * 2)];
	uint8_t form = forms[(_i / 2) % NFORMS];
	uint8_t masked = (uint8_t)(_i % 2);
	struct wsf_frame f = {.fin = 1, .opcode = WSP_OP_BINARY,
			      .masked = masked, .mask_key = {1, 2, 3, 4},
			      .len_form = form, .payload_len = len};
	uint8_t out[WSF_MAX_HEADER + 2];
	memset(out, 0xEE, sizeof(out));
	int hl = wsf_encode_header(out, &f);

	int fits = form == WSF_LEN_AUTO || (form == WSF_LEN_7 && len <= 125) ||
		   (form == WSF_LEN_16 && len <= 65535) || form == WSF_LEN_64;
	if (!fits) {
		ck_assert_int_eq(hl, WSP_E_INVAL);
		ck_assert_uint_eq(out[0], 0xEE); /* nothing written */
		return;
	}
	uint8_t eff = form == WSF_LEN_AUTO ? minimal_form(len) : form;
	int want_hl = 2 + (eff == WSF_LEN_16 ? 2 : eff == WSF_LEN_64 ? 8 : 0) +
		      (masked ? 4 : 0);
	ck_assert_int_eq(hl, want_hl);
	ck_assert_uint_eq(out[hl], 0xEE); /* nothing written past it */
	/* The wire bytes: 7-bit value or marker, then big-endian length. */
	ck_assert_uint_eq(out[1] & 0x7f,
			  eff == WSF_LEN_7 ? len : eff == WSF_LEN_16 ? 126 : 127);
	ck_assert_uint_eq(out[1] >> 7, masked);
	if (eff == WSF_LEN_16)
		ck_assert_uint_eq((uint64_t)out[2] << 8 | out[3], len);
	if (eff == WSF_LEN_64) {
		uint64_t v = 0;
		for (int i = 2; i < 10; i++)
			v = v << 8 | out[i];
		ck_assert_uint_eq(v, len);
	}

	/* Decoded: the header alone (no payload given), then judged. */
	struct drec *r = decode_all(NULL, out, (size_t)hl);
	ck_assert_uint_eq(r->nf, 1);
	ck_assert_uint_eq(r->f[0].h.payload_len, len);
	ck_assert_uint_eq(r->f[0].h.len_form, eff);
	ck_assert_uint_eq(r->f[0].h.header_len, (unsigned)hl);
	ck_assert_uint_eq(r->f[0].h.masked, masked);
	ck_assert_int_eq(r->f[0].ended, len == 0);
	ck_assert_int_eq(r->idle, len == 0);
	size_t k = 0;
	int want[2];
	if (eff == WSF_LEN_64 && len >> 63)
		want[k++] = WSP_E_WSF_LEN_TOP_BIT;
	if (eff != minimal_form(len))
		want[k++] = WSP_E_WSF_LEN_NOT_MINIMAL;
	ck_assert_uint_eq(r->f[0].nviol, k);
	for (size_t j = 0; j < k; j++)
		ck_assert_int_eq(r->f[0].viol[j], want[j]);
	drec_free(r);
}
END_TEST

/* --------------------------------------------------------------------------
 * wsf_check: each rule alone and combined, exact codes in the fixed order
 */

#define ANY WSP_ROLE_ANY
#define CLI WSP_ROLE_CLIENT
#define SRV WSP_ROLE_SERVER

struct viol_case {
	const char *name;
	const char *hex; /* a header, without payload */
	uint8_t rsv_allowed;
	enum wsp_role sender;
	int want[WSF_MAX_VIOL]; /* terminated by 0 */
};

static const struct viol_case viol_cases[] = {
	/* R6455-5.2-04 */
	{"opcode 3 reserved", "83 00", 0, ANY, {WSP_E_WSF_RESERVED_OPCODE}},
	{"opcode 7 reserved", "87 00", 0, ANY, {WSP_E_WSF_RESERVED_OPCODE}},
	{"opcode 0xB reserved", "8B 00", 0, ANY, {WSP_E_WSF_RESERVED_OPCODE}},
	{"opcode 0xF reserved", "8F 00", 0, ANY, {WSP_E_WSF_RESERVED_OPCODE}},
	{"opcode 0 fine", "80 00", 0, ANY, {0}},
	{"opcode 2 fine", "82 00", 0, ANY, {0}},
	{"opcode 0xA fine", "8A 00", 0, ANY, {0}},
	/* R6455-5.2-03 (ABNF R6455-5.2-09/10/11) */
	{"rsv1", "C1 00", 0, ANY, {WSP_E_WSF_RSV1}},
	{"rsv2", "A1 00", 0, ANY, {WSP_E_WSF_RSV2}},
	{"rsv3", "91 00", 0, ANY, {WSP_E_WSF_RSV3}},
	{"rsv all three", "F1 00", 0, ANY,
	 {WSP_E_WSF_RSV1, WSP_E_WSF_RSV2, WSP_E_WSF_RSV3}},
	{"rsv1 negotiated", "C1 00", WSP_RSV1, ANY, {0}},
	{"rsv1 negotiated, rsv2 not", "E1 00", WSP_RSV1, ANY, {WSP_E_WSF_RSV2}},
	{"rsv3 negotiated, rsv1 not", "D1 00", WSP_RSV3, ANY, {WSP_E_WSF_RSV1}},
	{"all negotiated", "F1 00", 7, ANY, {0}},
	/* R6455-5.5-01 */
	{"ping 125 fine", "89 7D", 0, ANY, {0}},
	{"ping 126", "89 7E 00 7E", 0, ANY, {WSP_E_WSF_CTRL_TOO_LONG}},
	{"close 65536", "88 7F 00 00 00 00 00 01 00 00", 0, ANY,
	 {WSP_E_WSF_CTRL_TOO_LONG}},
	{"reserved control 0xB, 126", "8B 7E 00 7E", 0, ANY,
	 {WSP_E_WSF_RESERVED_OPCODE, WSP_E_WSF_CTRL_TOO_LONG}},
	{"text 126 fine", "81 7E 00 7E", 0, ANY, {0}},
	/* R6455-5.5-02, R6455-5.4-05 */
	{"close FIN 0", "08 00", 0, ANY, {WSP_E_WSF_CTRL_FRAGMENTED}},
	{"ping FIN 0", "09 00", 0, ANY, {WSP_E_WSF_CTRL_FRAGMENTED}},
	{"pong FIN 0 and 126", "0A 7E 00 7E", 0, ANY,
	 {WSP_E_WSF_CTRL_TOO_LONG, WSP_E_WSF_CTRL_FRAGMENTED}},
	{"text FIN 0 fine", "01 00", 0, ANY, {0}},
	{"continuation FIN 0 fine", "00 00", 0, ANY, {0}},
	/* R6455-5.2-05 */
	{"64-bit 2^63", "82 7F 80 00 00 00 00 00 00 00", 0, ANY,
	 {WSP_E_WSF_LEN_TOP_BIT}},
	{"64-bit all ones", "82 7F FF FF FF FF FF FF FF FF", 0, ANY,
	 {WSP_E_WSF_LEN_TOP_BIT}},
	{"64-bit 2^63-1 fine", "82 7F 7F FF FF FF FF FF FF FF", 0, ANY, {0}},
	/* R6455-5.2-06 */
	{"16-bit 0", "82 7E 00 00", 0, ANY, {WSP_E_WSF_LEN_NOT_MINIMAL}},
	{"16-bit 125", "82 7E 00 7D", 0, ANY, {WSP_E_WSF_LEN_NOT_MINIMAL}},
	{"16-bit 126 fine", "82 7E 00 7E", 0, ANY, {0}},
	{"64-bit 0", "82 7F 00 00 00 00 00 00 00 00", 0, ANY,
	 {WSP_E_WSF_LEN_NOT_MINIMAL}},
	{"64-bit 125", "82 7F 00 00 00 00 00 00 00 7D", 0, ANY,
	 {WSP_E_WSF_LEN_NOT_MINIMAL}},
	{"64-bit 65535", "82 7F 00 00 00 00 00 00 FF FF", 0, ANY,
	 {WSP_E_WSF_LEN_NOT_MINIMAL}},
	{"64-bit 65536 fine", "82 7F 00 00 00 00 00 01 00 00", 0, ANY, {0}},
	{"ping 16-bit 125", "89 7E 00 7D", 0, ANY, {WSP_E_WSF_LEN_NOT_MINIMAL}},
	/* R6455-5.1-01, R6455-5.1-04 */
	{"client unmasked", "81 05", 0, CLI, {WSP_E_WSF_CLIENT_UNMASKED}},
	{"client masked fine", "81 80 01 02 03 04", 0, CLI, {0}},
	{"server masked", "81 80 01 02 03 04", 0, SRV, {WSP_E_WSF_SERVER_MASKED}},
	{"server unmasked fine", "81 00", 0, SRV, {0}},
	{"any role masked fine", "81 80 01 02 03 04", 0, ANY, {0}},
	{"any role unmasked fine", "81 00", 0, ANY, {0}},
	/* Combined, order fixed. */
	{"everything a client can break", "7B 7F 80 00 00 00 00 00 00 00", 0,
	 CLI,
	 {WSP_E_WSF_RESERVED_OPCODE, WSP_E_WSF_RSV1, WSP_E_WSF_RSV2,
	  WSP_E_WSF_RSV3, WSP_E_WSF_CTRL_TOO_LONG, WSP_E_WSF_CTRL_FRAGMENTED,
	  WSP_E_WSF_LEN_TOP_BIT, WSP_E_WSF_CLIENT_UNMASKED}},
	{"masked server ping, rsv, FIN 0, 16-bit 5", "79 FE 00 05 0A 0B 0C 0D",
	 0, SRV,
	 {WSP_E_WSF_RSV1, WSP_E_WSF_RSV2, WSP_E_WSF_RSV3,
	  WSP_E_WSF_CTRL_FRAGMENTED, WSP_E_WSF_LEN_NOT_MINIMAL,
	  WSP_E_WSF_SERVER_MASKED}},
	{"opcode 3 FIN 0 64-bit 1 unmasked client",
	 "03 7F 00 00 00 00 00 00 00 01", 0, CLI,
	 {WSP_E_WSF_RESERVED_OPCODE, WSP_E_WSF_LEN_NOT_MINIMAL,
	  WSP_E_WSF_CLIENT_UNMASKED}},
	{"close 126 masked server, rsv2 allowed", "A8 FE 00 7E 01 02 03 04",
	 WSP_RSV2, SRV, {WSP_E_WSF_CTRL_TOO_LONG, WSP_E_WSF_SERVER_MASKED}},
};
#define NVIOL_CASES (sizeof(viol_cases) / sizeof(viol_cases[0]))

static void check_viol_list(const char *name, const int *got, size_t n,
			    const int *want)
{
	size_t k = 0;
	while (k < WSF_MAX_VIOL && want[k] != 0)
		k++;
	ck_assert_msg(n == k, "%s: %zu violations, want %zu", name, n, k);
	for (size_t j = 0; j < k; j++)
		ck_assert_msg(got[j] == want[j], "%s: violation %zu is %s, want %s",
			      name, j, wsp_errname(got[j]),
			      wsp_errname(want[j]));
}

START_TEST(rfc6455_5_2_violations_exact)
{
	const struct viol_case *v = &viol_cases[_i];
	struct wsf_policy p = {v->rsv_allowed, v->sender};
	uint8_t in[WSF_MAX_HEADER];
	size_t n = tl_hex(v->hex, in, sizeof(in));

	/* Through the fast path, the collecting path, and wsf_check. */
	for (int mode = 0; mode < 2; mode++) {
		struct tl_chunker c;
		tl_chunker_init(&c, mode ? TL_CHUNK_ONE : TL_CHUNK_ALL, 0);
		struct drec *r = decode_stream(&p, in, n, &c);
		ck_assert_uint_eq(r->nf, 1);
		ck_assert_uint_eq(r->f[0].h.header_len, n);
		check_viol_list(v->name, r->f[0].viol, r->f[0].nviol, v->want);
		int viol[WSF_MAX_VIOL];
		size_t k = wsf_check(&r->f[0].h, &p, viol, WSF_MAX_VIOL);
		check_viol_list(v->name, viol, k, v->want);
		drec_free(r);
	}
}
END_TEST

/* Each code carries the requirement it stands for. */
START_TEST(rfc6455_5_2_violation_codes_cite_requirements)
{
	static const struct {
		int code;
		const char *req;
	} t[] = {
		{WSP_E_WSF_RESERVED_OPCODE, "R6455-5.2-04"},
		{WSP_E_WSF_RSV1, "R6455-5.2-03"},
		{WSP_E_WSF_RSV2, "R6455-5.2-03"},
		{WSP_E_WSF_RSV3, "R6455-5.2-03"},
		{WSP_E_WSF_CTRL_TOO_LONG, "R6455-5.5-01"},
		{WSP_E_WSF_CTRL_FRAGMENTED, "R6455-5.5-02"},
		{WSP_E_WSF_LEN_TOP_BIT, "R6455-5.2-05"},
		{WSP_E_WSF_LEN_NOT_MINIMAL, "R6455-5.2-06"},
		{WSP_E_WSF_CLIENT_UNMASKED, "R6455-5.1-01"},
		{WSP_E_WSF_SERVER_MASKED, "R6455-5.1-04"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_le(t[i].code, -100);
		ck_assert_int_ge(t[i].code, -199);
		ck_assert_str_eq(wsp_errreq(t[i].code), t[i].req);
	}
}
END_TEST

/* wsf_check counts past max but writes no more than max codes. */
START_TEST(rfc6455_5_2_check_truncates_at_max)
{
	struct wsf_header h = {.fin = 0, .rsv = 7, .opcode = 0xB,
			       .len_form = WSF_LEN_64,
			       .payload_len = 0x8000000000000000ull};
	struct wsf_policy p = {0, WSP_ROLE_CLIENT};
	int viol[4] = {1, 1, 1, 1};
	ck_assert_uint_eq(wsf_check(&h, &p, viol, 2), 8);
	ck_assert_int_eq(viol[0], WSP_E_WSF_RESERVED_OPCODE);
	ck_assert_int_eq(viol[1], WSP_E_WSF_RSV1);
	ck_assert_int_eq(viol[2], 1);
	ck_assert_uint_eq(wsf_check(&h, &p, NULL, 0), 8);
	/* No policy: no extension, role not judged. */
	ck_assert_uint_eq(wsf_check(&h, NULL, viol, 4), 7);
	ck_assert_int_eq(viol[3], WSP_E_WSF_RSV3);
}
END_TEST

/* The policy: RSV bits and sender role, NULL meaning neither. */
START_TEST(rfc6455_5_2_policy_roles_and_rsv)
{
	uint8_t masked[] = {0xC1, 0x81, 1, 2, 3, 4, 'x' ^ 1};
	uint8_t plain[] = {0xC1, 0x01, 'x'};
	static const struct {
		uint8_t allowed;
		enum wsp_role role;
		int mviol, pviol; /* extra violation for masked / plain */
	} t[] = {
		{0, WSP_ROLE_ANY, 0, 0},
		{0, WSP_ROLE_CLIENT, 0, WSP_E_WSF_CLIENT_UNMASKED},
		{0, WSP_ROLE_SERVER, WSP_E_WSF_SERVER_MASKED, 0},
		{WSP_RSV1, WSP_ROLE_CLIENT, 0, WSP_E_WSF_CLIENT_UNMASKED},
		{WSP_RSV1, WSP_ROLE_SERVER, WSP_E_WSF_SERVER_MASKED, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct wsf_policy p = {t[i].allowed, t[i].role};
		for (int m = 0; m < 2; m++) {
			uint8_t buf[8];
			size_t n = m ? sizeof(masked) : sizeof(plain);
			memcpy(buf, m ? masked : plain, n);
			struct drec *r = decode_all(&p, buf, n);
			int want[WSF_MAX_VIOL] = {0}, k = 0;
			if (!(t[i].allowed & WSP_RSV1))
				want[k++] = WSP_E_WSF_RSV1;
			int extra = m ? t[i].mviol : t[i].pviol;
			if (extra)
				want[k++] = extra;
			check_viol_list("policy", r->f[0].viol, r->f[0].nviol,
					want);
			ck_assert_uint_eq(r->npay, 1);
			ck_assert_uint_eq(r->pay[0], 'x');
			drec_free(r);
		}
	}
	struct drec *r = decode_all(NULL, masked, sizeof(masked));
	ck_assert_uint_eq(r->f[0].nviol, 1);
	ck_assert_int_eq(r->f[0].viol[0], WSP_E_WSF_RSV1);
	drec_free(r);
}
END_TEST

/* --------------------------------------------------------------------------
 * Chunking: any schedule gives the same result (R6455-5.4-01: receivers must
 * not rely on frame or segment boundaries)
 */

/* A reference stream: frames with random fields and known plaintext. */
struct stream {
	uint8_t *bytes;
	size_t n;
	uint8_t *plain; /* every payload, unmasked, concatenated */
	size_t nplain;
	size_t nframes;
	struct wsf_frame fr[64];
};

static void stream_add(struct stream *s, const struct wsf_frame *f,
		       const uint8_t *payload, size_t plen)
{
	size_t cap = s->n + WSF_MAX_HEADER + plen;
	s->bytes = realloc(s->bytes, cap);
	s->plain = realloc(s->plain, s->nplain + plen + 1);
	ck_assert(s->bytes != NULL && s->plain != NULL);
	ssize_t got = wsf_encode(s->bytes + s->n, cap - s->n, f, payload, plen);
	ck_assert_int_gt(got, 0);
	s->n += (size_t)got;
	if (plen > 0)
		memcpy(s->plain + s->nplain, payload, plen);
	s->nplain += plen;
	ck_assert_uint_lt(s->nframes, 64);
	s->fr[s->nframes++] = *f;
}

static void stream_free(struct stream *s)
{
	free(s->bytes);
	free(s->plain);
}

/* Builds a stream of 40 frames with random fields, 0..300-byte payloads
 * (masked or not, keys random), forms minimal or not, ending with a frame
 * that announces 2^63 - 1 bytes and delivers 10. */
static void stream_random(struct stream *s, uint64_t seed)
{
	uint8_t payload[300];
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 40; i++) {
		uint64_t x = tl_rand(&seed);
		size_t plen = (size_t)(x % 301);
		if (x & (1u << 20))
			plen %= 8; /* plenty of tiny frames */
		for (size_t j = 0; j < plen; j++)
			payload[j] = (uint8_t)tl_rand(&seed);
		struct wsf_frame f = {
			.fin = (uint8_t)(x >> 9 & 1),
			.rsv = (uint8_t)((x >> 10 & 7) * ((x >> 13 & 3) == 0)),
			.opcode = (uint8_t)(x >> 15 & 0xf),
			.masked = (uint8_t)(x >> 19 & 1),
			.payload_len = plen,
		};
		uint64_t k = tl_rand(&seed);
		memcpy(f.mask_key, &k, 4);
		unsigned fsel = (unsigned)(x >> 24 & 7);
		f.len_form = fsel == 1 ? WSF_LEN_64 : fsel == 2 ? WSF_LEN_16
						   : WSF_LEN_AUTO;
		if (f.len_form == WSF_LEN_16 && plen > 0xffff)
			f.len_form = WSF_LEN_AUTO;
		stream_add(s, &f, payload, plen);
	}
	struct wsf_frame big = {.fin = 1, .opcode = 2, .masked = 1,
				.mask_key = {9, 8, 7, 6}, .len_form = WSF_LEN_64,
				.payload_len = 0x7fffffffffffffffull};
	stream_add(s, &big, (const uint8_t *)"0123456789", 10);
}

/* The all-at-once decoding matches what was encoded. */
static void check_against_stream(const struct drec *r, const struct stream *s)
{
	ck_assert_uint_eq(r->nf, s->nframes);
	for (size_t i = 0; i < s->nframes; i++) {
		const struct wsf_frame *f = &s->fr[i];
		const struct wsf_header *h = &r->f[i].h;
		ck_assert_uint_eq(h->fin, f->fin);
		ck_assert_uint_eq(h->rsv, f->rsv);
		ck_assert_uint_eq(h->opcode, f->opcode);
		ck_assert_uint_eq(h->masked, f->masked);
		if (f->masked)
			ck_assert_mem_eq(h->mask_key, f->mask_key, 4);
		ck_assert_uint_eq(h->payload_len, f->payload_len);
		if (f->len_form != WSF_LEN_AUTO)
			ck_assert_uint_eq(h->len_form, f->len_form);
		ck_assert_int_eq(r->f[i].ended, i + 1 < s->nframes);
	}
	ck_assert_uint_eq(r->npay, s->nplain);
	ck_assert_mem_eq(r->pay, s->plain, s->nplain);
	ck_assert_int_eq(r->idle, 0);
}

START_TEST(rfc6455_5_4_chunking_never_changes_result)
{
	static const struct wsf_policy pols[] = {
		{0, WSP_ROLE_ANY}, {WSP_RSV1, WSP_ROLE_CLIENT},
		{0, WSP_ROLE_SERVER}};
	struct stream s;
	stream_random(&s, 0x5eed0000u + (uint64_t)_i);
	const struct wsf_policy *p = &pols[_i % 3];
	struct drec *all = decode_all(p, s.bytes, s.n);
	check_against_stream(all, &s);

	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_ONE, 0);
	struct drec *one = decode_stream(p, s.bytes, s.n, &c);
	drec_eq(all, one);
	drec_free(one);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tl_chunker_init(&c, TL_CHUNK_RANDOM, seed * 7919 + (uint64_t)_i);
		c.max_random = seed % 2 ? 17 : 300;
		struct drec *rnd = decode_stream(p, s.bytes, s.n, &c);
		drec_eq(all, rnd);
		drec_free(rnd);
	}
	drec_free(all);
	stream_free(&s);
}
END_TEST

/* A chunker that cuts at fixed offsets, for exhaustive splits; p is the
 * policy (NULL: none). */
static struct drec *decode_cuts(const struct wsf_policy *p,
				const uint8_t *in, size_t n, size_t a,
				size_t b)
{
	struct drec *r = drec_new();
	struct wsf_decoder d;
	size_t cuts[4] = {0, a, b, n};
	int open = 0;

	wsf_decoder_init(&d, p);
	for (int i = 0; i < 3; i++) {
		size_t k = cuts[i + 1] - cuts[i];
		uint8_t *chunk = malloc(k ? k : 1);
		ck_assert_ptr_nonnull(chunk);
		if (k > 0)
			memcpy(chunk, in + cuts[i], k);
		size_t cpos = 0;
		do {
			struct wsf_event ev;
			ssize_t got = wsf_decode(&d, chunk + cpos, k - cpos,
						 &ev);
			record(r, &ev, chunk + cpos, k - cpos, got, &open);
			cpos += (size_t)got;
		} while (cpos < k);
		free(chunk);
	}
	r->idle = wsf_decoder_idle(&d);
	return r;
}

/* Masked frames split at every pair of points: each payload byte lands at
 * every key offset mod 4 relative to a cut, across header and payload. */
START_TEST(rfc6455_5_3_masked_split_at_every_offset)
{
	uint8_t in[160];
	size_t n = 0;
	static const char *const frames[] = {
		"81 85 37 fa 21 3d 7f 9f 4d 51 58", /* masked "Hello" */
		"8a 85 37 fa 21 3d 7f 9f 4d 51 58",
		"82 FE 00 0D 01 02 03 04 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d",
		"89 80 AA BB CC DD", /* empty masked ping */
		"02 FF 00 00 00 00 00 00 00 07 F0 0F 55 AA 01 02 03 04 05 06 07",
		"80 03 78 79 7a",
	};
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		n += tl_hex(frames[i], in + n, sizeof(in) - n);
	struct drec *all = decode_all(NULL, in, n);
	ck_assert_uint_eq(all->nf, 6);
	ck_assert_uint_eq(all->npay, 5 + 5 + 13 + 0 + 7 + 3);
	ck_assert_mem_eq(all->pay, "HelloHello", 10);
	for (int j = 0; j < 13; j++)
		ck_assert_uint_eq(all->pay[10 + j],
				  (uint8_t)((0x61 + j) ^ (j % 4 + 1)));
	ck_assert_mem_eq(all->pay + 30, "xyz", 3);
	for (size_t a = 0; a <= n; a++) {
		for (size_t b = a; b <= n; b++) {
			struct drec *r = decode_cuts(NULL, in, n, a, b);
			drec_eq(all, r);
			drec_free(r);
		}
	}
	drec_free(all);
}
END_TEST

START_TEST(rfc6455_5_3_skip_keeps_offset_and_mask_phase)
{
	/* A masked 1000-byte frame, then an unmasked 3-byte one.  Whatever
	 * wsf_skip passes over, the bytes decoded after it are unmasked with
	 * the right key byte, the frame ends on its last byte with
	 * WSF_EV_END from wsf_decode, and the next frame decodes. */
	uint8_t plain[1000];
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7 + 3);
	struct wsf_frame f = {.fin = 1, .opcode = WSP_OP_BINARY, .masked = 1,
			      .mask_key = {0x11, 0x22, 0x44, 0x88},
			      .payload_len = sizeof(plain)};
	uint8_t wire[1024];
	ssize_t hl = wsf_encode(wire, sizeof(wire), &f, plain, sizeof(plain));
	ck_assert_int_eq(hl, 8 + 1000);
	size_t n = (size_t)hl + tl_hex("82 03 78 79 7a", wire + hl,
				       sizeof(wire) - (size_t)hl);
	static const size_t first[] = {0, 1, 2, 3, 5, 999};
	static const size_t skip[] = {0, 1, 2, 3, 4, 7, 500, 998, 999, 5000};
	for (size_t a = 0; a < sizeof(first) / sizeof(first[0]); a++) {
		for (size_t b = 0; b < sizeof(skip) / sizeof(skip[0]); b++) {
			uint8_t buf[1024];
			memcpy(buf, wire, n);
			struct wsf_decoder d;
			wsf_decoder_init(&d, NULL);
			/* Nothing to pass over between frames or in a
			 * header. */
			ck_assert_uint_eq(wsf_skip(&d, 10), 0);
			struct wsf_event ev;
			ck_assert_int_eq(wsf_decode(&d, buf, 3, &ev), 3);
			ck_assert_uint_eq(wsf_skip(&d, 10), 0);
			size_t pos = 3;
			ssize_t used = wsf_decode(&d, buf + pos,
						  5 + first[a], &ev);
			ck_assert_int_eq(used, (ssize_t)(5 + first[a]));
			ck_assert(ev.flags & WSF_EV_HEADER);
			ck_assert_mem_eq(ev.data, plain, first[a]);
			pos += (size_t)used;
			size_t left = 1000 - first[a];
			size_t k = wsf_skip(&d, skip[b]);
			size_t want = skip[b] < left - 1 ? skip[b] : left - 1;
			ck_assert_uint_eq(k, want);
			ck_assert_uint_eq(d.remaining, left - k);
			pos += k;
			used = wsf_decode(&d, buf + pos, n - pos, &ev);
			ck_assert_int_eq(used, (ssize_t)(left - k));
			ck_assert_uint_eq(ev.offset, first[a] + k);
			ck_assert_mem_eq(ev.data, plain + first[a] + k, left - k);
			ck_assert_uint_eq(ev.flags, WSF_EV_END);
			/* The last byte is never passed over. */
			pos += (size_t)used;
			used = wsf_decode(&d, buf + pos, n - pos, &ev);
			ck_assert_int_eq(used, 5);
			ck_assert_uint_eq(ev.flags, WSF_EV_HEADER | WSF_EV_END);
			ck_assert_mem_eq(ev.data, "xyz", 3);
			ck_assert_uint_eq(wsf_skip(&d, 10), 0);
		}
	}
	/* A one-byte payload: nothing to pass over. */
	uint8_t one[] = {0x82, 0x01, 0x41};
	struct wsf_decoder d;
	wsf_decoder_init(&d, NULL);
	struct wsf_event ev;
	ck_assert_int_eq(wsf_decode(&d, one, 2, &ev), 2);
	ck_assert_uint_eq(wsf_skip(&d, 1), 0);
	ck_assert_int_eq(wsf_decode(&d, one + 2, 1, &ev), 1);
	ck_assert_uint_eq(ev.flags, WSF_EV_END);
}
END_TEST

/* --------------------------------------------------------------------------
 * The decoder's three ways into a header (a new frame with room for the
 * longest header, a whole header in fewer than WSF_MAX_HEADER bytes, a header
 * collected across calls) and its shortcut for the usual frame
 */

/* Extended length bytes (16-bit, then 64-bit) around the rule boundaries:
 * 125 and 126 for the 16-bit form, 2^16 - 1 and 2^16 and the top bit for
 * the 64-bit form. */
static const char *const ext16[4] = {"00 7D", "00 7E", "FF FF", "00 00"};
static const char *const ext64[4] = {
	"00 00 00 00 00 00 FF FF", "00 00 00 00 00 01 00 00",
	"80 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 05"};

/* Writes a header starting b0 b1 into out (WSF_MAX_HEADER bytes at least),
 * with extended length pattern pat (0..3) and key 0A 0B 0C 0D when MASK is
 * set; fills *want with the fields it holds.  Returns its size. */
static size_t make_header(uint8_t *out, uint8_t b0, uint8_t b1, unsigned pat,
			  struct wsf_header *want)
{
	static const uint8_t key[4] = {0x0A, 0x0B, 0x0C, 0x0D};
	size_t k = 2;
	out[0] = b0;
	out[1] = b1;
	memset(want, 0, sizeof(*want));
	want->fin = b0 >> 7;
	want->rsv = (b0 >> 4) & 7;
	want->opcode = b0 & 15;
	want->masked = b1 >> 7;
	switch (b1 & 0x7f) {
	case 126:
		k += tl_hex(ext16[pat], out + 2, 2);
		want->len_form = WSF_LEN_16;
		for (size_t i = 2; i < k; i++)
			want->payload_len = want->payload_len << 8 | out[i];
		break;
	case 127:
		k += tl_hex(ext64[pat], out + 2, 8);
		want->len_form = WSF_LEN_64;
		for (size_t i = 2; i < k; i++)
			want->payload_len = want->payload_len << 8 | out[i];
		break;
	default:
		want->len_form = WSF_LEN_7;
		want->payload_len = b1 & 0x7f;
	}
	if (b1 & 0x80) {
		memcpy(out + k, key, 4);
		memcpy(want->mask_key, key, 4);
		k += 4;
	}
	want->header_len = (uint8_t)k;
	return k;
}

/* The policies the two tests below run under, the last with a role that
 * is none of the enum's (judged as WSP_ROLE_ANY). */
static const struct wsf_policy path_pols[] = {
	{0, WSP_ROLE_ANY},        {0, WSP_ROLE_CLIENT},
	{0, WSP_ROLE_SERVER},     {WSP_RSV1, WSP_ROLE_ANY},
	{WSP_RSV1, WSP_ROLE_CLIENT}, {WSP_RSV1, WSP_ROLE_SERVER},
	{7, WSP_ROLE_CLIENT},     {7, WSP_ROLE_SERVER},
	{WSP_RSV2, WSP_ROLE_ANY}, {0, (enum wsp_role)7},
};
#define NPATH_POLS (sizeof(path_pols) / sizeof(path_pols[0]))

/* Every first and second header byte, under each policy: the header found
 * is the one written and its violations are exactly wsf_check's, whether
 * the decoder's shortcut for the usual frame takes it or not.  Counts the
 * 7-bit headers without violation (the shortcut's) to prove both outcomes
 * were seen. */
START_TEST(rfc6455_5_2_usual_frame_shortcut_matches_check)
{
	const struct wsf_policy *p = &path_pols[_i];
	size_t clean = 0;
	for (unsigned b0 = 0; b0 < 256; b0++) {
		for (unsigned b1 = 0; b1 < 256; b1++) {
			uint8_t in[WSF_MAX_HEADER + 2] = {0};
			struct wsf_header want;
			size_t hl = make_header(in, (uint8_t)b0, (uint8_t)b1,
						(b0 + b1) & 3, &want);
			struct wsf_decoder d;
			struct wsf_event ev;
			wsf_decoder_init(&d, p);
			ssize_t got = wsf_decode(&d, in, sizeof(in), &ev);
			FAST_GE(got, (ssize_t)hl);
			FAST_EQ(ev.flags & WSF_EV_HEADER, WSF_EV_HEADER);
			hdr_eq(ev.hdr, &want);
			int viol[WSF_MAX_VIOL];
			size_t nv = wsf_check(&want, p, viol, WSF_MAX_VIOL);
			FAST_EQ(ev.nviol, nv);
			for (size_t j = 0; j < nv; j++)
				FAST_EQ(ev.viol[j], viol[j]);
			clean += nv == 0 && (b1 & 0x7f) < 126;
		}
	}
	/* Usual frames: 7-bit length (126 of 128 values), MASK as the role
	 * wants (both for no role), and a first byte with a known opcode
	 * (FIN 0: 3 opcodes, FIN 1: 6) and no RSV bit but the allowed ones
	 * (2^popcount(allowed) combinations). */
	unsigned allowed = p->rsv_allowed & 7;
	size_t rsv_ok = (size_t)1 << ((allowed & 1) + (allowed >> 1 & 1) +
				      (allowed >> 2 & 1));
	size_t masks = p->sender == WSP_ROLE_CLIENT ||
				       p->sender == WSP_ROLE_SERVER
			       ? 1
			       : 2;
	ck_assert_uint_eq(clean, 126 * masks * 9 * rsv_ok);
}
END_TEST

/* A header at the start of a stream, cut at every point: before it is
 * whole (collected across calls), once it is whole but fewer than
 * WSF_MAX_HEADER bytes are at hand, and with all of it at hand (the first
 * call of the uncut stream).  Every way gives the same events; the cut
 * stream also passes through an empty call. */
START_TEST(rfc6455_5_2_header_paths_agree)
{
	static const uint8_t firsts[] = {0x81, 0x02, 0xF9, 0x88, 0x0A, 0xC2};
	const struct wsf_policy *p = &path_pols[_i % NPATH_POLS];
	for (size_t f = 0; f < sizeof(firsts); f++) {
		for (unsigned b1 = 0; b1 < 256; b1++) {
			uint8_t in[WSF_MAX_HEADER + 3 + 16];
			struct wsf_header want;
			size_t n = make_header(in, firsts[f], (uint8_t)b1,
					       (f + b1 + (unsigned)_i) & 3,
					       &want);
			/* Three payload bytes, then empty Pongs. */
			memcpy(in + n, "xyz", 3);
			n += 3;
			for (int j = 0; j < 8; j++) {
				in[n++] = 0x8A;
				in[n++] = 0x00;
			}
			struct drec *all = decode_all(p, in, n);
			FAST_GE(all->nf, 1);
			hdr_eq(&all->f[0].h, &want);
			for (size_t cut = 1; cut < n; cut++) {
				struct drec *r = decode_cuts(p, in, n, cut, cut);
				drec_eq(all, r);
				drec_free(r);
			}
			drec_free(all);
		}
	}
}
END_TEST

/* --------------------------------------------------------------------------
 * Guard pages: nothing is read past the input
 */

static const char *const guard_frames[] = {
	"81 05 48 65 6c 6c 6f",
	"81 85 37 fa 21 3d 7f 9f 4d 51 58",
	"89 00",
	"89 80 01 02 03 04",
	"82 7E 00 7E",
	"82 FE 00 7E 01 02 03 04",
	"82 7F 00 00 00 00 00 01 00 00",
	"82 FF 00 00 00 00 00 01 00 00 01 02 03 04",
	"82 FF 7F FF FF FF FF FF FF FF 01 02 03 04 AA BB CC",
};
#define NGUARD (sizeof(guard_frames) / sizeof(guard_frames[0]))

START_TEST(rfc6455_5_2_no_read_past_input)
{
	uint8_t in[WSF_MAX_HEADER + 16];
	size_t n = tl_hex(guard_frames[_i], in, sizeof(in));
	struct wsf_header full;

	/* The whole input, ending at the guard page. */
	struct tl_guard g;
	tl_guard_init(&g, in, n);
	struct wsf_decoder d;
	struct wsf_event ev;
	wsf_decoder_init(&d, NULL);
	ssize_t got = wsf_decode(&d, g.data, g.n, &ev);
	ck_assert_int_eq(got, (ssize_t)n);
	ck_assert(ev.flags & WSF_EV_HEADER);
	full = *ev.hdr;
	size_t hl = full.header_len;
	ck_assert_uint_eq(ev.len, n - hl);
	ck_assert_int_eq(!!(ev.flags & WSF_EV_END),
			 full.payload_len == n - hl);
	tl_guard_free(&g);

	/* Every prefix, ending at the guard page: consumed whole, header
	 * only once all of it is there, never an end before the payload. */
	for (size_t k = 0; k < n; k++) {
		tl_guard_init(&g, in, k);
		wsf_decoder_init(&d, NULL);
		got = wsf_decode(&d, g.data, g.n, &ev);
		ck_assert_int_eq(got, (ssize_t)k);
		if (k < hl) {
			ck_assert_uint_eq(ev.flags, 0);
			ck_assert_uint_eq(ev.len, 0);
		} else {
			ck_assert_uint_eq(ev.flags, WSF_EV_HEADER);
			hdr_eq(ev.hdr, &full);
			ck_assert_uint_eq(ev.len, k - hl);
		}
		ck_assert_int_eq(wsf_decoder_idle(&d), k == 0);
		/* The rest in a second guarded buffer completes the frame. */
		struct tl_guard g2;
		tl_guard_init(&g2, in + k, n - k);
		got = wsf_decode(&d, g2.data, g2.n, &ev);
		ck_assert_int_eq(got, (ssize_t)(n - k));
		ck_assert_int_eq(!!(ev.flags & WSF_EV_HEADER), k < hl);
		hdr_eq(ev.hdr, &full);
		tl_guard_free(&g2);
		tl_guard_free(&g);
	}
}
END_TEST

/* A masked frame whose payload ends exactly at the guard page, with every
 * length 0..64 so the unmasking tail meets the page at each alignment. */
START_TEST(rfc6455_5_3_unmask_ends_at_guard_page)
{
	uint8_t in[WSF_MAX_HEADER + 64], plain[64];
	for (size_t len = 0; len <= 64; len++) {
		struct wsf_frame f = {.fin = 1, .opcode = 2, .masked = 1,
				      .mask_key = {0x11, 0x22, 0x33, 0x44},
				      .payload_len = len};
		for (size_t j = 0; j < len; j++)
			plain[j] = (uint8_t)(j + len);
		ssize_t n = wsf_encode(in, sizeof(in), &f, plain, len);
		ck_assert_int_eq(n, (ssize_t)(6 + len));
		struct tl_guard g;
		tl_guard_init(&g, in, (size_t)n);
		struct wsf_decoder d;
		struct wsf_event ev;
		wsf_decoder_init(&d, NULL);
		ck_assert_int_eq(wsf_decode(&d, g.data, g.n, &ev), n);
		ck_assert_uint_eq(ev.flags, WSF_EV_HEADER | WSF_EV_END);
		ck_assert_uint_eq(ev.len, len);
		if (len > 0)
			ck_assert_mem_eq(ev.data, plain, len);
		tl_guard_free(&g);
	}
}
END_TEST

/* --------------------------------------------------------------------------
 * R6455-5.3-05: unmasking, word-at-a-time against bytewise
 */

static void mask_ref(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= key[(off + i) % 4];
}

/* wsf_mask over len bytes, at every key offset and buffer alignment, equals
 * the bytewise reference and touches nothing around the data. */
static void mask_vs_ref(size_t len)
{
	uint64_t rng = 0xC0FFEEu + len;
	uint8_t key[4];
	uint64_t kx = tl_rand(&rng);
	memcpy(key, &kx, 4);
	uint8_t *src = malloc(len + 64);
	FAST_NONNULL(src);
	for (size_t j = 0; j < len + 64; j++)
		src[j] = (uint8_t)tl_rand(&rng);

	for (uint64_t off = 0; off < 4; off++) {
		for (size_t start = 0; start < 8; start++) {
			/* The data sits at every alignment inside a bigger
			 * buffer whose other bytes must not change. */
			uint8_t *a = malloc(len + 16), *b = malloc(len + 16);
			FAST_MSG1(a != NULL && b != NULL);
			memcpy(a, src, len + 16);
			memcpy(b, src, len + 16);
			wsf_mask(a + start, len, key, off);
			mask_ref(b + start, len, key, off);
			FAST_MEM_EQ(a, b, len + 16);
			/* The offset counts modulo 4, however large. */
			wsf_mask(a + start, len, key, off + 0x100000000ull * 4);
			FAST_MEM_EQ(a, src, len + 16);
			free(a);
			free(b);
		}
		/* Exactly sized, so ASan sees any byte past the end. */
		uint8_t *e = malloc(len ? len : 1);
		FAST_NONNULL(e);
		memcpy(e, src, len);
		wsf_mask(e, len, key, off);
		uint8_t *r = malloc(len ? len : 1);
		FAST_NONNULL(r);
		memcpy(r, src, len);
		mask_ref(r, len, key, off);
		if (len > 0)
			FAST_MEM_EQ(e, r, len);
		free(e);
		free(r);
	}
	free(src);
}

START_TEST(rfc6455_5_3_mask_matches_bytewise_reference)
{
	/* _i: lengths 10 * _i .. 10 * _i + 9, up to 300 */
	for (size_t len = (size_t)_i * 10; len < (size_t)_i * 10 + 10; len++)
		if (len <= 300)
			mask_vs_ref(len);
}
END_TEST

/* Unmasking split anywhere continues the key where it stopped. */
START_TEST(rfc6455_5_3_mask_split_continues_key)
{
	uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
	uint8_t src[100], a[100], b[100];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13);
	memcpy(b, src, sizeof(b));
	mask_ref(b, sizeof(b), key, 0);
	for (size_t cut = 0; cut <= sizeof(src); cut++) {
		memcpy(a, src, sizeof(a));
		wsf_mask(a, cut, key, 0);
		wsf_mask(a + cut, sizeof(a) - cut, key, cut);
		FAST_MEM_EQ(a, b, sizeof(a));
	}
	wsf_mask(NULL, 0, key, 3); /* nothing to do, nothing touched */
}
END_TEST

/* --------------------------------------------------------------------------
 * The encoder obeys the caller: refuses only impossible forms
 */

struct enc_case {
	const char *name;
	struct wsf_frame f;
	const char *payload; /* bytes given (may differ from payload_len) */
	const char *want;    /* hex of the whole output */
};

static const struct enc_case enc_cases[] = {
	{"126-byte ping header", {1, 0, 0x9, 0, {0}, WSF_LEN_AUTO, 126}, "",
	 "89 7E 00 7E"},
	{"non-minimal 16-bit", {1, 0, 0x1, 0, {0}, WSF_LEN_16, 2}, "hi",
	 "81 7E 00 02 68 69"},
	{"non-minimal 64-bit", {1, 0, 0x1, 0, {0}, WSF_LEN_64, 1}, "h",
	 "81 7F 00 00 00 00 00 00 00 01 68"},
	{"unmasked client frame, reserved opcode, rsv",
	 {0, 7, 0xB, 0, {0}, WSF_LEN_AUTO, 0}, "", "7B 00"},
	{"top-bit 64-bit length", {1, 0, 0x2, 1, {1, 2, 3, 4}, WSF_LEN_64,
				   0xFFFFFFFFFFFFFFFFull},
	 "", "82 FF FF FF FF FF FF FF FF FF 01 02 03 04"},
	{"announces 10, carries 3", {1, 0, 0x1, 0, {0}, WSF_LEN_AUTO, 10},
	 "abc", "81 0A 61 62 63"},
	{"announces 0, carries 2, masked",
	 {1, 0, 0x1, 1, {0xFF, 0, 0xFF, 0}, WSF_LEN_AUTO, 0}, "ab",
	 "81 80 FF 00 FF 00 9E 62"},
	{"high bits of fields ignored", {0xFF, 0xFF, 0xFF, 0xFF, {5, 6, 7, 8},
					 WSF_LEN_7, 125},
	 "", "FF FD 05 06 07 08"},
	{"16-bit max", {1, 0, 2, 0, {0}, WSF_LEN_16, 65535}, "",
	 "82 7E FF FF"},
};
#define NENC (sizeof(enc_cases) / sizeof(enc_cases[0]))

START_TEST(rfc6455_5_2_encoder_writes_any_fields)
{
	const struct enc_case *c = &enc_cases[_i];
	uint8_t want[32], out[32];
	size_t n = tl_hex(c->want, want, sizeof(want));
	size_t plen = strlen(c->payload);
	ssize_t got = wsf_encode(out, sizeof(out), &c->f,
				 (const uint8_t *)c->payload, plen);
	ck_assert_msg(got == (ssize_t)n, "%s: %zd bytes, want %zu", c->name,
		      got, n);
	ck_assert_mem_eq(out, want, n);
	/* Exactly enough room works, one byte less does not. */
	ck_assert_int_eq(wsf_encode(out, n, &c->f, (const uint8_t *)c->payload,
				    plen),
			 (ssize_t)n);
	ck_assert_int_eq(wsf_encode(out, n - 1, &c->f,
				    (const uint8_t *)c->payload, plen),
			 WSP_E_NOSPACE);
}
END_TEST

START_TEST(rfc6455_5_2_encoder_refuses_impossible_forms)
{
	uint8_t out[64];
	struct wsf_frame f = {.fin = 1, .opcode = 1};
	static const struct {
		uint8_t form;
		uint64_t len;
	} bad[] = {
		{WSF_LEN_7, 126}, {WSF_LEN_7, 127}, {WSF_LEN_7, 128},
		{WSF_LEN_7, 65536}, {WSF_LEN_16, 65536},
		{WSF_LEN_16, 0xFFFFFFFFFFFFFFFFull}, {1, 0}, {8, 5}, {63, 0},
		{65, 0}, {255, 0},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.len_form = bad[i].form;
		f.payload_len = bad[i].len;
		memset(out, 0xEE, sizeof(out));
		ck_assert_int_eq(wsf_encode_header(out, &f), WSP_E_INVAL);
		ck_assert_int_eq(wsf_encode(out, sizeof(out), &f, NULL, 0),
				 WSP_E_INVAL);
		ck_assert_uint_eq(out[0], 0xEE);
	}
	/* NOSPACE: no room for the header, or for the payload. */
	f.len_form = WSF_LEN_AUTO;
	f.payload_len = 3;
	ck_assert_int_eq(wsf_encode(out, 0, &f, (const uint8_t *)"abc", 3),
			 WSP_E_NOSPACE);
	ck_assert_int_eq(wsf_encode(out, 1, &f, (const uint8_t *)"abc", 3),
			 WSP_E_NOSPACE);
	ck_assert_int_eq(wsf_encode(out, 2, &f, (const uint8_t *)"abc", 3),
			 WSP_E_NOSPACE);
	ck_assert_int_eq(wsf_encode(out, 4, &f, (const uint8_t *)"abc", 3),
			 WSP_E_NOSPACE);
	ck_assert_int_eq(wsf_encode(out, 5, &f, (const uint8_t *)"abc", 3), 5);
	/* A huge payload_len given never overflows the size check. */
	ck_assert_int_lt(wsf_encode(out, sizeof(out), &f,
				    (const uint8_t *)"abc", (size_t)-1),
			 0);
	ck_assert_int_eq(wsf_encode(out, sizeof(out), &f,
				    (const uint8_t *)"abc", (size_t)-1 / 4),
			 WSP_E_NOSPACE);
}
END_TEST

/* --------------------------------------------------------------------------
 * R6455-5.2-05: a 2^63 - 1 announced frame costs nothing
 */

START_TEST(rfc6455_5_2_huge_frame_streams_without_end)
{
	uint8_t buf[20];
	size_t hn = tl_hex("82 7F 7F FF FF FF FF FF FF FF", buf, sizeof(buf));
	for (size_t i = 0; i < 10; i++)
		buf[hn + i] = (uint8_t)('0' + i);
	struct wsf_decoder d;
	struct wsf_event ev;
	wsf_decoder_init(&d, NULL);
	ck_assert_int_eq(wsf_decode(&d, buf, sizeof(buf), &ev), 20);
	ck_assert_uint_eq(ev.flags, WSF_EV_HEADER);
	ck_assert_uint_eq(ev.nviol, 0);
	ck_assert_uint_eq(ev.hdr->payload_len, 0x7fffffffffffffffull);
	ck_assert_uint_eq(ev.len, 10);
	ck_assert_ptr_eq(ev.data, buf + hn);
	ck_assert_uint_eq(ev.offset, 0);
	ck_assert_mem_eq(ev.data, "0123456789", 10);
	ck_assert_int_eq(wsf_decoder_idle(&d), 0);
	/* More data continues the same frame, never ending it. */
	ck_assert_int_eq(wsf_decode(&d, buf, sizeof(buf), &ev), 20);
	ck_assert_uint_eq(ev.flags, 0);
	ck_assert_uint_eq(ev.offset, 10);
	ck_assert_uint_eq(ev.len, 20);
	ck_assert_ptr_eq(ev.data, buf);
	/* Empty input: nothing happens. */
	ck_assert_int_eq(wsf_decode(&d, buf, 0, &ev), 0);
	ck_assert_uint_eq(ev.flags, 0);
	ck_assert_uint_eq(ev.len, 0);
	ck_assert_int_eq(wsf_decode(&d, NULL, 0, &ev), 0);
	ck_assert_uint_eq(ev.flags, 0);
	ck_assert_uint_eq(ev.len, 0);
	ck_assert_int_eq(wsf_decoder_idle(&d), 0);
}
END_TEST

/* A buffer of whole frames takes one call per frame, and the payload
 * boundary between two frames is respected. */
START_TEST(rfc6455_5_2_one_call_per_whole_frame)
{
	uint8_t buf[64];
	size_t n = tl_hex("81 05 48 65 6c 6c 6f 89 00 81 85 37 fa 21 3d 7f 9f "
			  "4d 51 58 88 02 03 e8",
			  buf, sizeof(buf));
	static const struct {
		ssize_t got;
		uint8_t op;
		size_t len;
	} want[] = {{7, 1, 5}, {2, 9, 0}, {11, 1, 5}, {4, 8, 2}};
	struct wsf_decoder d;
	struct wsf_event ev;
	size_t pos = 0;
	wsf_decoder_init(&d, NULL);
	for (size_t i = 0; i < 4; i++) {
		ssize_t got = wsf_decode(&d, buf + pos, n - pos, &ev);
		ck_assert_int_eq(got, want[i].got);
		ck_assert_uint_eq(ev.flags, WSF_EV_HEADER | WSF_EV_END);
		ck_assert_uint_eq(ev.hdr->opcode, want[i].op);
		ck_assert_uint_eq(ev.len, want[i].len);
		ck_assert_uint_eq(ev.offset, 0);
		ck_assert_int_ne(wsf_decoder_idle(&d), 0);
		pos += (size_t)got;
	}
	ck_assert_uint_eq(pos, n);
}
END_TEST

Suite *wsf_suite(void)
{
	Suite *s = suite_create("wsf");
	TCase *tc;

	tc = tcase_create("RFC6455-5.7");
	tcase_add_loop_test(tc, rfc6455_5_7_example_decodes, 0, NEXAMPLES);
	tcase_add_loop_test(tc, rfc6455_5_7_example_encodes, 0, NEXAMPLES);
	tcase_add_test(tc, rfc6455_5_7_examples_as_one_stream);
	tcase_add_test(tc, rfc6455_5_7_binary_256_and_64k);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.2-06");
	tcase_add_loop_test(tc, rfc6455_5_2_length_boundary_each_form, 0,
			    NBOUND * NFORMS * 2);
	tcase_add_test(tc, rfc6455_5_2_huge_frame_streams_without_end);
	suite_add_tcase(s, tc);

	tc = tcase_create("RFC6455-5.2-violations");
	tcase_add_loop_test(tc, rfc6455_5_2_violations_exact, 0, NVIOL_CASES);
	tcase_add_test(tc, rfc6455_5_2_violation_codes_cite_requirements);
	tcase_add_test(tc, rfc6455_5_2_check_truncates_at_max);
	tcase_add_test(tc, rfc6455_5_2_policy_roles_and_rsv);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.4-01");
	tcase_add_loop_test(tc, rfc6455_5_4_chunking_never_changes_result, 0,
			    12);
	tcase_add_test(tc, rfc6455_5_3_masked_split_at_every_offset);
	tcase_add_test(tc, rfc6455_5_3_skip_keeps_offset_and_mask_phase);
	tcase_add_test(tc, rfc6455_5_2_one_call_per_whole_frame);
	tcase_add_loop_test(tc, rfc6455_5_2_header_paths_agree, 0, 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("RFC6455-5.2-decoder-paths");
	tcase_add_loop_test(tc, rfc6455_5_2_usual_frame_shortcut_matches_check,
			    0, NPATH_POLS);
	suite_add_tcase(s, tc);

	tc = tcase_create("RFC6455-5.2-bounds");
	tcase_add_loop_test(tc, rfc6455_5_2_no_read_past_input, 0, NGUARD);
	tcase_add_test(tc, rfc6455_5_3_unmask_ends_at_guard_page);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.3-05");
	tcase_add_loop_test(tc, rfc6455_5_3_mask_matches_bytewise_reference, 0,
			    31);
	tcase_add_test(tc, rfc6455_5_3_mask_split_continues_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("RFC6455-5.2-encoder");
	tcase_add_loop_test(tc, rfc6455_5_2_encoder_writes_any_fields, 0, NENC);
	tcase_add_test(tc, rfc6455_5_2_encoder_refuses_impossible_forms);
	suite_add_tcase(s, tc);

	return s;
}
