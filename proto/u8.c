/*
 * u8.c: the streaming UTF-8 validator of u8.h (RFC 3629; RFC 6455 section
 * 8.1, R6455-8.1-01, and R6455-5.6-01 for text messages).
 *
 * u8_feed has two fast paths in front of a table-driven DFA.  Between code
 * points it tests 64 bytes per step for a set top bit (SSE2 when the
 * compiler targets it, else eight 64-bit words) and skips all-ASCII blocks;
 * then it steps over whole, plainly valid multi-byte sequences.  Only what
 * stops both (an invalid sequence, one cut by the end of the input, or the
 * rest of one begun in the previous call) goes through the DFA.
 * The DFA has a state per "what the next continuation byte may be" and an
 * error state per class, so an error is always found at the byte that makes
 * the sequence hopeless (fail fast), never later.
 *
 * u8_ref_validate shares nothing with the DFA: it decodes one code point at
 * a time and, after each byte, works out the range of code points the bytes
 * so far could still become; the first byte after which that whole range is
 * overlong, a surrogate or above U+10FFFF is the error.  That gives the same
 * fail-fast offsets by a different route, which is what makes it a useful
 * reference for the tests and fuzz/fuzz_u8_diff.c.
 *
 *   bytes  code points        lead       second     third/fourth
 *   1      U+0000..U+007F     00..7F
 *   2      U+0080..U+07FF     C2..DF     80..BF
 *   3      U+0800..U+0FFF     E0         A0..BF     80..BF
 *          U+1000..U+CFFF     E1..EC     80..BF     80..BF
 *          U+D000..U+D7FF     ED         80..9F     80..BF
 *          U+E000..U+FFFF     EE..EF     80..BF     80..BF
 *   4      U+10000..U+3FFFF   F0         90..BF     80..BF 80..BF
 *          U+40000..U+FFFFF   F1..F3     80..BF     80..BF 80..BF
 *          U+100000..U+10FFFF F4         80..8F     80..BF 80..BF
 */
#include <string.h>

#include "u8.h"
#include "wsp_err.h"

#if defined(__SSE2__) && !defined(U8_NO_SIMD)
#include <emmintrin.h>
#endif

/* The vector path needs SSSE3's byte shuffle, which x86-64's baseline does
 * not promise: the functions using it are compiled for SSSE3 alone and
 * chosen at run time (u8_vector_available). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(U8_NO_SIMD)
#define U8_VECTOR 1
#include <tmmintrin.h>
#else
#define U8_VECTOR 0
#endif

/* --------------------------------------------------------------------------
 * The DFA
 */

/* Byte classes: which bytes behave alike in every state. */
enum {
	C_ASCII = 0, /* 00..7F */
	C_CONT_LO,   /* 80..8F */
	C_CONT_MID,  /* 90..9F */
	C_CONT_HI,   /* A0..BF */
	C_C0C1,      /* C0 C1: lead bytes of overlong 2-byte forms only */
	C_LEAD2,     /* C2..DF */
	C_E0,        /* E0: second byte A0..BF */
	C_LEAD3,     /* E1..EC, EE, EF */
	C_ED,        /* ED: second byte 80..9F */
	C_F0,        /* F0: second byte 90..BF */
	C_LEAD4,     /* F1..F3 */
	C_F4,        /* F4: second byte 80..8F */
	C_F5F7,      /* F5..F7: lead bytes of code points above U+10FFFF */
	C_F8FF,      /* F8..FF: no UTF-8 form */
	C_COUNT
};

#define R4(c) c, c, c, c
#define R16(c) R4(c), R4(c), R4(c), R4(c)

static const uint8_t byte_class[] = {
	/* 00..7F */
	R16(C_ASCII), R16(C_ASCII), R16(C_ASCII), R16(C_ASCII),
	R16(C_ASCII), R16(C_ASCII), R16(C_ASCII), R16(C_ASCII),
	/* 80..8F, 90..9F, A0..BF */
	R16(C_CONT_LO), R16(C_CONT_MID), R16(C_CONT_HI), R16(C_CONT_HI),
	/* C0..CF */
	C_C0C1, C_C0C1, C_LEAD2, C_LEAD2, R4(C_LEAD2), R4(C_LEAD2),
	R4(C_LEAD2),
	/* D0..DF */
	R16(C_LEAD2),
	/* E0..EF */
	C_E0, C_LEAD3, C_LEAD3, C_LEAD3, R4(C_LEAD3), R4(C_LEAD3),
	C_LEAD3, C_ED, C_LEAD3, C_LEAD3,
	/* F0..FF */
	C_F0, C_LEAD4, C_LEAD4, C_LEAD4, C_F4, C_F5F7, C_F5F7, C_F5F7,
	R4(C_F8FF), R4(C_F8FF)
};
_Static_assert(sizeof(byte_class) == 256, "one class per byte value");

/* States.  S_ACCEPT is "between code points"; the others say how many
 * continuation bytes are still due and which range the next one must be in.
 * States from S_ERR_FIRST on are errors, one per class. */
enum {
	S_ACCEPT = 0,
	S_NEED1,    /* one more, 80..BF */
	S_NEED2,    /* two more, 80..BF first */
	S_NEED3,    /* three more, 80..BF first */
	S_E0,       /* after E0: A0..BF */
	S_ED,       /* after ED: 80..9F */
	S_F0,       /* after F0: 90..BF */
	S_F4,       /* after F4: 80..8F */
	S_ERR_FIRST,
	S_OVERLONG = S_ERR_FIRST,
	S_SURROGATE,
	S_TOO_LARGE,
	S_INVALID,
	S_UNEXP_CONT,
	S_SHORT,
	S_COUNT
};

#define NS S_SHORT /* a non-continuation byte where one is due */

static const uint8_t next_state[S_ERR_FIRST][C_COUNT] = {
	/*           ASCII     80..8F       90..9F       A0..BF
	 *           C0C1        LEAD2    E0    LEAD3    ED    F0    LEAD4
	 *           F4    F5..F7       F8..FF */
	[S_ACCEPT] = {S_ACCEPT, S_UNEXP_CONT, S_UNEXP_CONT, S_UNEXP_CONT,
		      S_OVERLONG, S_NEED1, S_E0, S_NEED2, S_ED, S_F0, S_NEED3,
		      S_F4, S_TOO_LARGE, S_INVALID},
	[S_NEED1] = {NS, S_ACCEPT, S_ACCEPT, S_ACCEPT,
		     NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
	[S_NEED2] = {NS, S_NEED1, S_NEED1, S_NEED1,
		     NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
	[S_NEED3] = {NS, S_NEED2, S_NEED2, S_NEED2,
		     NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
	/* E0 80..9F would encode U+0000..U+07FF in three bytes. */
	[S_E0] = {NS, S_OVERLONG, S_OVERLONG, S_NEED1,
		  NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
	/* ED A0..BF would encode U+D800..U+DFFF. */
	[S_ED] = {NS, S_NEED1, S_NEED1, S_SURROGATE,
		  NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
	/* F0 80..8F would encode U+0000..U+FFFF in four bytes. */
	[S_F0] = {NS, S_OVERLONG, S_NEED2, S_NEED2,
		  NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
	/* F4 90..BF would encode U+110000 and above. */
	[S_F4] = {NS, S_NEED2, S_TOO_LARGE, S_TOO_LARGE,
		  NS, NS, NS, NS, NS, NS, NS, NS, NS, NS},
};

#undef NS

static const int state_error[S_COUNT - S_ERR_FIRST] = {
	[S_OVERLONG - S_ERR_FIRST] = WSP_E_U8_OVERLONG,
	[S_SURROGATE - S_ERR_FIRST] = WSP_E_U8_SURROGATE,
	[S_TOO_LARGE - S_ERR_FIRST] = WSP_E_U8_TOO_LARGE,
	[S_INVALID - S_ERR_FIRST] = WSP_E_U8_INVALID_BYTE,
	[S_UNEXP_CONT - S_ERR_FIRST] = WSP_E_U8_UNEXPECTED_CONT,
	[S_SHORT - S_ERR_FIRST] = WSP_E_U8_SHORT_SEQ,
};

/* --------------------------------------------------------------------------
 * The ASCII fast path: is every byte of p[0..64) below 0x80?
 */

#define BLOCK 64

#if defined(__SSE2__) && !defined(U8_NO_SIMD)
static inline int block_is_ascii(const uint8_t *p)
{
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
	__m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
	__m128i o = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
	return _mm_movemask_epi8(o) == 0;
}
#else
static inline int block_is_ascii(const uint8_t *p)
{
	uint64_t w[8];
	memcpy(w, p, sizeof(w));
	uint64_t o = (w[0] | w[1]) | (w[2] | w[3]) | (w[4] | w[5]) |
		     (w[6] | w[7]);
	return (o & 0x8080808080808080ull) == 0;
}
#endif

/* How many bytes of p[0..avail) from the first, which is ASCII, are ASCII
 * before the next non-ASCII byte, up to 8 (at least 1).  Text with a
 * non-ASCII letter every few dozen bytes (names, accents) defeats the
 * 64-byte blocks; this keeps its ASCII stretches at a word per step. */
static inline size_t ascii_run(const uint8_t *p, size_t avail)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
	defined(__GNUC__)
	if (avail >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		uint64_t hi = w & 0x8080808080808080ull;
		return hi == 0 ? 8 : (size_t)__builtin_ctzll(hi) / 8;
	}
#else
	(void)p;
#endif
	(void)avail;
	return 1;
}

/* --------------------------------------------------------------------------
 * The multi-byte fast path: between code points, with at least four bytes
 * left, step over whole sequences that are plainly valid, at most about
 * BLOCK bytes (then the ASCII blocks get another chance).  It stops at the
 * first sequence it does not like, without judging it: the DFA then walks
 * that sequence and reports the exact class and offset.  A sequence cut
 * by the end of the input is also left to the DFA, which carries it over.
 */
static size_t skip_valid(const uint8_t *p, size_t i, size_t n)
{
	if (n - i < 4)
		return i;
	size_t lim = n - i - 3 > BLOCK ? i + BLOCK : n - 3;
	while (i < lim) {
		uint8_t b0 = p[i];
		if (b0 < 0x80) {
			i += ascii_run(p + i, n - i);
			continue;
		}
		uint8_t b1 = p[i + 1];
		if (b0 >= 0xC2 && b0 <= 0xDF) {
			if ((b1 & 0xC0) != 0x80)
				break;
			i += 2;
			continue;
		}
		uint8_t b2 = p[i + 2];
		if ((b0 & 0xF0) == 0xE0) {
			/* E0: A0..BF (not overlong); ED: 80..9F (no
			 * surrogates); others 80..BF. */
			uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
			uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
			if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80)
				break;
			i += 3;
			continue;
		}
		if (b0 >= 0xF0 && b0 <= 0xF4) {
			/* F0: 90..BF (not overlong); F4: 80..8F (not above
			 * U+10FFFF); others 80..BF. */
			uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
			uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
			if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80 ||
			    (p[i + 3] & 0xC0) != 0x80)
				break;
			i += 4;
			continue;
		}
		break;
	}
	return i;
}

/* --------------------------------------------------------------------------
 * The vector path: whole 64-byte blocks, sixteen bytes per step, with the
 * lookup method of Keiser and Lemire ("Validating UTF-8 in less than one
 * instruction per byte", 2021).  Every error of UTF-8 shows in a pair of
 * adjacent bytes, except a continuation byte too many or too few after a
 * 3- or 4-byte lead; so each byte is classified by three 16-entry tables
 * (the high nibble of the byte before it, that byte's low nibble, its own
 * high nibble), each entry a set of the error kinds the nibble allows, and
 * the AND of the three is the set of errors the pair commits.  Continuation
 * bytes in third and fourth position are told apart by looking two and
 * three bytes back.  The path only finds that a block is bad, not where or
 * why: the scalar code above then walks the code point that was under way
 * when the block began, and from there finds the exact class and offset.
 */
#if U8_VECTOR

/* Error kinds, one bit each (two share bit 6: their tables never overlap
 * on a lead other than F0 or F5..FF, which they tell apart by the low
 * nibble). */
#define V_TOO_SHORT  0x01 /* a lead, then no continuation */
#define V_TOO_LONG   0x02 /* ASCII, then a continuation */
#define V_OVERLONG3  0x04 /* E0 80..9F */
#define V_TOO_LARGE  0x08 /* F4 90..BF, F5..FF 90..BF */
#define V_SURROGATE  0x10 /* ED A0..BF */
#define V_OVERLONG2  0x20 /* C0, C1 then a continuation */
#define V_BIT6       0x40 /* F0 80..8F (overlong), F5..FF 80..8F */
#define V_TWO_CONTS  0x80 /* a continuation after a continuation */
/* What every low nibble of a lead allows alike. */
#define V_ANY (V_TOO_SHORT | V_TOO_LONG | V_TWO_CONTS)

#define V_TABLE(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)         \
	_mm_setr_epi8((char)(a), (char)(b), (char)(c), (char)(d),       \
		      (char)(e), (char)(f), (char)(g), (char)(h),       \
		      (char)(i), (char)(j), (char)(k), (char)(l),       \
		      (char)(m), (char)(n), (char)(o), (char)(p))

__attribute__((target("ssse3")))
static inline __m128i vec_errors(__m128i in, __m128i prev)
{
	/* By the high nibble of the byte before. */
	const __m128i t_prev_hi = V_TABLE(
		V_TOO_LONG, V_TOO_LONG, V_TOO_LONG, V_TOO_LONG,
		V_TOO_LONG, V_TOO_LONG, V_TOO_LONG, V_TOO_LONG,
		V_TWO_CONTS, V_TWO_CONTS, V_TWO_CONTS, V_TWO_CONTS,
		V_TOO_SHORT | V_OVERLONG2,
		V_TOO_SHORT,
		V_TOO_SHORT | V_OVERLONG3 | V_SURROGATE,
		V_TOO_SHORT | V_TOO_LARGE | V_BIT6);
	/* By the low nibble of the byte before. */
	const __m128i t_prev_lo = V_TABLE(
		V_ANY | V_OVERLONG3 | V_OVERLONG2 | V_BIT6,
		V_ANY | V_OVERLONG2,
		V_ANY, V_ANY,
		V_ANY | V_TOO_LARGE,
		V_ANY | V_TOO_LARGE | V_BIT6, V_ANY | V_TOO_LARGE | V_BIT6,
		V_ANY | V_TOO_LARGE | V_BIT6, V_ANY | V_TOO_LARGE | V_BIT6,
		V_ANY | V_TOO_LARGE | V_BIT6, V_ANY | V_TOO_LARGE | V_BIT6,
		V_ANY | V_TOO_LARGE | V_BIT6, V_ANY | V_TOO_LARGE | V_BIT6,
		V_ANY | V_TOO_LARGE | V_BIT6 | V_SURROGATE,
		V_ANY | V_TOO_LARGE | V_BIT6, V_ANY | V_TOO_LARGE | V_BIT6);
	/* By the byte's own high nibble. */
	const __m128i t_cur_hi = V_TABLE(
		V_TOO_SHORT, V_TOO_SHORT, V_TOO_SHORT, V_TOO_SHORT,
		V_TOO_SHORT, V_TOO_SHORT, V_TOO_SHORT, V_TOO_SHORT,
		V_TOO_LONG | V_OVERLONG2 | V_TWO_CONTS | V_OVERLONG3 | V_BIT6,
		V_TOO_LONG | V_OVERLONG2 | V_TWO_CONTS | V_OVERLONG3 |
			V_TOO_LARGE,
		V_TOO_LONG | V_OVERLONG2 | V_TWO_CONTS | V_SURROGATE |
			V_TOO_LARGE,
		V_TOO_LONG | V_OVERLONG2 | V_TWO_CONTS | V_SURROGATE |
			V_TOO_LARGE,
		V_TOO_SHORT, V_TOO_SHORT, V_TOO_SHORT, V_TOO_SHORT);
	const __m128i nib = _mm_set1_epi8(0x0F);
	__m128i prev1 = _mm_alignr_epi8(in, prev, 15);
	__m128i e = _mm_shuffle_epi8(
		t_prev_hi, _mm_and_si128(_mm_srli_epi16(prev1, 4), nib));
	e = _mm_and_si128(e, _mm_shuffle_epi8(t_prev_lo,
					      _mm_and_si128(prev1, nib)));
	e = _mm_and_si128(e, _mm_shuffle_epi8(
		t_cur_hi, _mm_and_si128(_mm_srli_epi16(in, 4), nib)));
	/* Third and fourth bytes: E0..FF two back, F0..FF three back.  There
	 * a continuation after a continuation is due (bit 7 set in e), and
	 * anywhere else it is an error: the XOR flags both mismatches. */
	__m128i prev2 = _mm_alignr_epi8(in, prev, 14);
	__m128i prev3 = _mm_alignr_epi8(in, prev, 13);
	__m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8((char)(0xE0 - 0x80)));
	__m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xF0 - 0x80)));
	__m128i due = _mm_and_si128(_mm_or_si128(third, fourth),
				    _mm_set1_epi8((char)0x80));
	return _mm_xor_si128(e, due);
}

/* Does the vector end inside a sequence (a lead in its last byte, a 3- or
 * 4-byte lead in the last two, a 4-byte lead in the last three)? */
__attribute__((target("ssse3")))
static inline int vec_open_at_end(__m128i v)
{
	const __m128i lim = _mm_setr_epi8(
		(char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF,
		(char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF,
		(char)0xFF, (char)0xFF, (char)0xFF, (char)(0xF0 - 1),
		(char)(0xE0 - 1), (char)(0xC0 - 1));
	__m128i over = _mm_subs_epu8(v, lim);
	return _mm_movemask_epi8(_mm_cmpeq_epi8(over, _mm_setzero_si128())) !=
	       0xFFFF;
}

/* From i, a code point boundary, with at least 64 bytes left: the end of
 * the valid stretch of whole blocks that ends on a code point boundary
 * (i itself when the first block is bad).  Whatever follows, an error or
 * a sequence the blocks cut, is left to the scalar code. */
__attribute__((target("ssse3")))
static size_t vec_skip(const uint8_t *p, size_t i, size_t n)
{
	__m128i prev = _mm_setzero_si128();
	size_t b = i;
	while (n - b >= BLOCK) {
		__m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(p + b));
		__m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(p + b + 16));
		__m128i a2 = _mm_loadu_si128((const __m128i *)(const void *)(p + b + 32));
		__m128i a3 = _mm_loadu_si128((const __m128i *)(const void *)(p + b + 48));
		__m128i any = _mm_or_si128(_mm_or_si128(a0, a1),
					   _mm_or_si128(a2, a3));
		if (_mm_movemask_epi8(any) == 0) {
			/* All ASCII: wrong only when a sequence was open. */
			if (vec_open_at_end(prev))
				break;
		} else {
			__m128i e = vec_errors(a0, prev);
			e = _mm_or_si128(e, vec_errors(a1, a0));
			e = _mm_or_si128(e, vec_errors(a2, a1));
			e = _mm_or_si128(e, vec_errors(a3, a2));
			if (_mm_movemask_epi8(_mm_cmpeq_epi8(
				    e, _mm_setzero_si128())) != 0xFFFF)
				break;
		}
		prev = a3;
		b += BLOCK;
	}
	/* Back to the start of a sequence the last block left open: its
	 * lead is valid (the blocks were), so its value says how far. */
	if (b - i >= 3) {
		if (p[b - 1] >= 0xC0)
			b -= 1;
		else if (p[b - 2] >= 0xE0)
			b -= 2;
		else if (p[b - 3] >= 0xF0)
			b -= 3;
	}
	return b;
}

static int vector_usable(void)
{
	static int usable = -1; /* a race here only repeats the answer */
	if (usable < 0) {
		__builtin_cpu_init();
		usable = __builtin_cpu_supports("ssse3") ? 1 : 0;
	}
	return usable;
}
#endif /* U8_VECTOR */

int u8_vector_available(void)
{
#if U8_VECTOR
	return vector_usable();
#else
	return 0;
#endif
}

/* --------------------------------------------------------------------------
 * Public functions
 */

void u8_init(struct u8_validator *v)
{
	v->vector = u8_vector_available();
	v->state = S_ACCEPT;
	v->offset = 0;
	v->error = 0;
	v->error_offset = 0;
}

int u8_feed(struct u8_validator *v, const uint8_t *p, size_t n)
{
	if (v->error != 0)
		return v->error;
	uint32_t s = v->state;
	size_t i = 0;
	while (i < n) {
		/* Between code points: whole ASCII blocks, then plainly
		 * valid sequences, are skipped. */
		if (s == S_ACCEPT) {
#if U8_VECTOR
			if (n - i >= BLOCK && v->vector) {
				size_t j = vec_skip(p, i, n);
				if (j != i) {
					i = j;
					continue;
				}
			}
#endif
			while (n - i >= BLOCK && block_is_ascii(p + i))
				i += BLOCK;
			size_t j = skip_valid(p, i, n);
			if (j != i) {
				i = j;
				continue;
			}
			if (i == n)
				break;
		}
		/* The DFA takes one code point (or the rest of one begun in
		 * an earlier call): whatever stopped the fast paths. */
		do {
			s = next_state[s][byte_class[p[i]]];
			if (s >= S_ERR_FIRST) {
				v->error = state_error[s - S_ERR_FIRST];
				v->error_offset = v->offset + i;
				v->offset = v->error_offset;
				v->state = s;
				return v->error;
			}
			i++;
		} while (i < n && s != S_ACCEPT);
	}
	v->state = s;
	v->offset += n;
	return 0;
}

int u8_finish(struct u8_validator *v)
{
	if (v->error != 0)
		return v->error;
	if (v->state != S_ACCEPT) {
		v->error = WSP_E_U8_TRUNCATED;
		v->error_offset = v->offset;
	}
	return v->error;
}

/* --------------------------------------------------------------------------
 * The reference decoder
 */

static int ref_fail(int code, size_t at, uint64_t *err_off)
{
	if (err_off != NULL)
		*err_off = at;
	return code;
}

int u8_ref_validate(const uint8_t *p, size_t n, uint64_t *err_off)
{
	size_t i = 0;
	while (i < n) {
		uint8_t lead = p[i];
		uint32_t cp;     /* the bits of the code point read so far */
		unsigned len;    /* bytes in the sequence */
		uint32_t min;    /* the smallest code point of that length */
		if (lead < 0x80) {
			i++;
			continue;
		} else if (lead < 0xC0) {
			return ref_fail(WSP_E_U8_UNEXPECTED_CONT, i, err_off);
		} else if (lead < 0xE0) {
			cp = lead & 0x1Fu;
			len = 2;
			min = 0x80;
		} else if (lead < 0xF0) {
			cp = lead & 0x0Fu;
			len = 3;
			min = 0x800;
		} else if (lead < 0xF8) {
			cp = lead & 0x07u;
			len = 4;
			min = 0x10000;
		} else {
			return ref_fail(WSP_E_U8_INVALID_BYTE, i, err_off);
		}
		for (unsigned k = 0;; k++) {
			/* Bytes 0..k are read; "left" continuation bytes of
			 * 6 bits each remain, so the code point lies in
			 * [lo, hi].  It is hopeless once all of it is bad. */
			unsigned left = len - 1 - k;
			uint32_t lo = cp << (6 * left);
			uint32_t hi = lo | ((1u << (6 * left)) - 1);
			if (hi < min)
				return ref_fail(WSP_E_U8_OVERLONG, i + k,
						err_off);
			if (lo > 0x10FFFF)
				return ref_fail(WSP_E_U8_TOO_LARGE, i + k,
						err_off);
			if (lo >= 0xD800 && hi <= 0xDFFF)
				return ref_fail(WSP_E_U8_SURROGATE, i + k,
						err_off);
			if (left == 0)
				break;
			if (k + 1 >= n - i)
				return ref_fail(WSP_E_U8_TRUNCATED, n, err_off);
			uint8_t b = p[i + k + 1];
			if ((b & 0xC0) != 0x80)
				return ref_fail(WSP_E_U8_SHORT_SEQ, i + k + 1,
						err_off);
			cp = (cp << 6) | (b & 0x3Fu);
		}
		i += len;
	}
	return ref_fail(0, n, err_off);
}
