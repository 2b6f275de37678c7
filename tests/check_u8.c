/*
 * check_u8.c: the streaming UTF-8 validator (proto/u8.h).
 *
 * Every invalid class with its exact fail-fast offset, Markus Kuhn-style
 * boundary code points and every prefix of them, every split of a vector
 * between two and three feeds, chunk schedules, the fast path against the
 * scalar reference on random buffers with random corruptions, exhaustive
 * short sequences, and a guard page behind the input.
 */
#include <string.h>

#include "lib.h"
#include "u8.h"
#include "wsp_err.h"

/* ck_assert records its location through a pipe on every call; in loops
 * over thousands of inputs only a failure should cost anything. */
#define HOT_CHECK(cond)                                                  \
	do {                                                             \
		if (!(cond))                                             \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* Runs the fast validator over p[0..n) in the chunks c hands out and
 * returns the final result, with the error offset in *off (n if valid). */
static int fast_chunked(const uint8_t *p, size_t n, struct tl_chunker *c,
			uint64_t *off)
{
	struct u8_validator v;
	u8_init(&v);
	size_t i = 0;
	int rc = 0;
	while (i < n && rc == 0) {
		size_t k = tl_chunk_next(c, n - i);
		rc = u8_feed(&v, p + i, k);
		i += k;
	}
	if (rc == 0)
		rc = u8_finish(&v);
	*off = rc == 0 ? n : v.error_offset;
	if (rc == 0)
		HOT_CHECK(v.offset == n);
	else
		HOT_CHECK(v.error == rc);
	return rc;
}

static int fast_all(const uint8_t *p, size_t n, uint64_t *off)
{
	struct tl_chunker c;
	tl_chunker_init(&c, TL_CHUNK_ALL, 0);
	return fast_chunked(p, n, &c, off);
}

/* Encodes cp (any value up to 0x1FFFFF, surrogates included) in the
 * shortest UTF-8 form, written out from RFC 3629 section 3. */
static size_t enc(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* --------------------------------------------------------------------------
 * Vectors: input, result, offset of the first invalid byte (or length).
 */

struct vec {
	const char *hex;
	int rc;
	uint64_t off;
	const char *what;
};

static const struct vec vecs[] = {
	{"", 0, 0, "empty message"},
	{"41", 0, 1, "ASCII"},
	{"00 7F", 0, 2, "U+0000 and U+007F"},
	{"CE BA E1 BD B9 CF 83 CE BC CE B5", 0, 11, "kosme (Kuhn 1)"},
	{"E2 82 AC", 0, 3, "euro sign"},
	{"F0 9F 98 80", 0, 4, "U+1F600"},
	/* Overlong forms. */
	{"C0 80", WSP_E_U8_OVERLONG, 0, "C0 80: overlong U+0000"},
	{"C1 BF", WSP_E_U8_OVERLONG, 0, "C1 BF: overlong U+007F"},
	{"C0", WSP_E_U8_OVERLONG, 0, "C0 alone fails at once"},
	{"E0 80 80", WSP_E_U8_OVERLONG, 1, "E0 80 80: overlong U+0000"},
	{"E0 9F BF", WSP_E_U8_OVERLONG, 1, "E0 9F BF: overlong U+07FF"},
	{"E0 9F", WSP_E_U8_OVERLONG, 1, "overlong even when cut off"},
	{"F0 80 80 80", WSP_E_U8_OVERLONG, 1, "F0 80 80 80: overlong U+0000"},
	{"F0 8F BF BF", WSP_E_U8_OVERLONG, 1, "F0 8F BF BF: overlong U+FFFF"},
	{"41 42 C0 AF", WSP_E_U8_OVERLONG, 2, "overlong '/' after ASCII"},
	/* Surrogates. */
	{"ED A0 80", WSP_E_U8_SURROGATE, 1, "ED A0 80: U+D800"},
	{"ED BF BF", WSP_E_U8_SURROGATE, 1, "ED BF BF: U+DFFF"},
	{"ED AD BF", WSP_E_U8_SURROGATE, 1, "ED AD BF: U+DB7F"},
	{"ED A0 80 ED B0 80", WSP_E_U8_SURROGATE, 1, "surrogate pair"},
	{"ED 9F BF", 0, 3, "ED 9F BF: U+D7FF is valid"},
	{"EE 80 80", 0, 3, "EE 80 80: U+E000 is valid"},
	/* Above U+10FFFF. */
	{"F4 90 80 80", WSP_E_U8_TOO_LARGE, 1, "F4 90 80 80: U+110000"},
	{"F4 BF BF BF", WSP_E_U8_TOO_LARGE, 1, "F4 BF BF BF"},
	{"F4 8F BF BF", 0, 4, "F4 8F BF BF: U+10FFFF is valid"},
	{"F5 80 80 80", WSP_E_U8_TOO_LARGE, 0, "F5 lead"},
	{"F6", WSP_E_U8_TOO_LARGE, 0, "F6 lead"},
	{"F7 BF BF BF", WSP_E_U8_TOO_LARGE, 0, "F7 lead"},
	/* Bytes with no UTF-8 form. */
	{"F8 88 80 80 80", WSP_E_U8_INVALID_BYTE, 0, "F8 (old 5-byte form)"},
	{"FC 84 80 80 80 80", WSP_E_U8_INVALID_BYTE, 0, "FC (old 6-byte)"},
	{"FE", WSP_E_U8_INVALID_BYTE, 0, "FE"},
	{"FF", WSP_E_U8_INVALID_BYTE, 0, "FF"},
	{"61 FF 62", WSP_E_U8_INVALID_BYTE, 1, "FF after ASCII"},
	/* Stray continuation bytes. */
	{"80", WSP_E_U8_UNEXPECTED_CONT, 0, "stray 80"},
	{"BF", WSP_E_U8_UNEXPECTED_CONT, 0, "stray BF"},
	{"41 80", WSP_E_U8_UNEXPECTED_CONT, 1, "80 after ASCII"},
	{"E2 82 AC 80", WSP_E_U8_UNEXPECTED_CONT, 3, "one continuation too many"},
	{"C2 80 80", WSP_E_U8_UNEXPECTED_CONT, 2, "C2 80 then stray 80"},
	/* Sequences interrupted by a non-continuation byte. */
	{"E2 82 41", WSP_E_U8_SHORT_SEQ, 2, "E2 82 41"},
	{"C2 41", WSP_E_U8_SHORT_SEQ, 1, "C2 41"},
	{"C2 C2 80", WSP_E_U8_SHORT_SEQ, 1, "lead byte inside a sequence"},
	{"E0 C0", WSP_E_U8_SHORT_SEQ, 1, "E0 then C0"},
	{"F0 90 80 FF", WSP_E_U8_SHORT_SEQ, 3, "FF inside a sequence"},
	{"F4 8F BF 7F", WSP_E_U8_SHORT_SEQ, 3, "ASCII as the fourth byte"},
	{"ED 41", WSP_E_U8_SHORT_SEQ, 1, "ED then ASCII"},
	/* Ends inside a sequence: reported at the message length. */
	{"E2 82", WSP_E_U8_TRUNCATED, 2, "E2 82 at the end"},
	{"C2", WSP_E_U8_TRUNCATED, 1, "C2 at the end"},
	{"F0 9F 98", WSP_E_U8_TRUNCATED, 3, "three of four bytes"},
	{"41 42 43 F4 8F", WSP_E_U8_TRUNCATED, 5, "F4 8F at the end"},
	{"ED 9F", WSP_E_U8_TRUNCATED, 2, "ED 9F at the end"},
};

#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

START_TEST(rfc3629_vector_class_and_offset)
{
	const struct vec *t = &vecs[_i];
	uint8_t buf[64];
	size_t n = tl_hex(t->hex, buf, sizeof(buf));
	uint64_t off = 12345;
	int rc = fast_all(buf, n, &off);
	ck_assert_msg(rc == t->rc && off == t->off,
		      "%s: fast got %s at %llu, want %s at %llu", t->what,
		      wsp_errname(rc), (unsigned long long)off,
		      wsp_errname(t->rc), (unsigned long long)t->off);
	off = 12345;
	rc = u8_ref_validate(buf, n, &off);
	ck_assert_msg(rc == t->rc && off == t->off,
		      "%s: ref got %s at %llu, want %s at %llu", t->what,
		      wsp_errname(rc), (unsigned long long)off,
		      wsp_errname(t->rc), (unsigned long long)t->off);
	ck_assert_int_eq(u8_ref_validate(buf, n, NULL), t->rc);
	if (rc != 0)
		ck_assert_str_eq(wsp_errreq(rc), "R6455-8.1-01");
}
END_TEST

/* The same vector behind 200 ASCII bytes, so the fast path runs first and
 * the offset counts across its blocks. */
START_TEST(rfc3629_vector_after_ascii_blocks)
{
	const struct vec *t = &vecs[_i];
	uint8_t buf[320];
	memset(buf, 'a', 200);
	size_t n = 200 + tl_hex(t->hex, buf + 200, sizeof(buf) - 200);
	uint64_t off;
	int rc = fast_all(buf, n, &off);
	ck_assert_int_eq(rc, t->rc);
	ck_assert_uint_eq(off, 200 + t->off);
	/* And followed by ASCII: only a truncation turns into a short
	 * sequence, and valid stays valid. */
	memset(buf + n, 'b', 90);
	rc = fast_all(buf, n + 90, &off);
	int want = t->rc == WSP_E_U8_TRUNCATED ? WSP_E_U8_SHORT_SEQ : t->rc;
	uint64_t want_off = t->rc == 0 ? n + 90 : 200 + t->off;
	ck_assert_int_eq(rc, want);
	ck_assert_uint_eq(off, want_off);
	ck_assert_int_eq(u8_ref_validate(buf, n + 90, &off), want);
	ck_assert_uint_eq(off, want_off);
}
END_TEST

/* Every split of the vector between two feeds, and every split between
 * three, gives the same class and offset: code points may straddle
 * fragments (R6455-5.6-01). */
START_TEST(r6455_5_6_every_split_point)
{
	const struct vec *t = &vecs[_i];
	uint8_t buf[64];
	size_t n = tl_hex(t->hex, buf, sizeof(buf));
	for (size_t a = 0; a <= n; a++) {
		for (size_t b = a; b <= n; b++) {
			struct u8_validator v;
			u8_init(&v);
			int rc = u8_feed(&v, buf, a);
			if (rc == 0)
				rc = u8_feed(&v, buf + a, b - a);
			if (rc == 0)
				rc = u8_feed(&v, buf + b, n - b);
			if (rc == 0)
				rc = u8_finish(&v);
			if (rc != t->rc || (rc != 0 && v.error_offset != t->off))
				ck_abort_msg("%s split %zu/%zu: %s at %llu",
					     t->what, a, b, wsp_errname(rc),
					     (unsigned long long)v.error_offset);
		}
	}
}
END_TEST

START_TEST(r6455_8_1_every_single_byte)
{
	/* Each byte alone: ASCII valid, 80..BF stray, C0 C1 overlong,
	 * C2..F4 cut off, F5..F7 too large, F8..FF never valid. */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t x = (uint8_t)b;
		int want;
		uint64_t want_off = 0;
		if (b < 0x80) {
			want = 0;
			want_off = 1;
		} else if (b < 0xC0) {
			want = WSP_E_U8_UNEXPECTED_CONT;
		} else if (b < 0xC2) {
			want = WSP_E_U8_OVERLONG;
		} else if (b < 0xF5) {
			want = WSP_E_U8_TRUNCATED;
			want_off = 1;
		} else if (b < 0xF8) {
			want = WSP_E_U8_TOO_LARGE;
		} else {
			want = WSP_E_U8_INVALID_BYTE;
		}
		uint64_t off;
		ck_assert_int_eq(fast_all(&x, 1, &off), want);
		ck_assert_uint_eq(off, want_off);
		ck_assert_int_eq(u8_ref_validate(&x, 1, &off), want);
		ck_assert_uint_eq(off, want_off);
	}
}
END_TEST

START_TEST(r6455_8_1_error_is_sticky)
{
	uint8_t bad[] = {0x41, 0xC0, 0x80};
	uint8_t good[] = {0x41, 0x42};
	struct u8_validator v;
	u8_init(&v);
	ck_assert_int_eq(u8_feed(&v, good, 2), 0);
	ck_assert_uint_eq(v.offset, 2);
	ck_assert_int_eq(u8_feed(&v, bad, 3), WSP_E_U8_OVERLONG);
	ck_assert_uint_eq(v.error_offset, 3);
	ck_assert_uint_eq(v.offset, 3);
	ck_assert_int_eq(u8_feed(&v, good, 2), WSP_E_U8_OVERLONG);
	ck_assert_int_eq(u8_feed(&v, NULL, 0), WSP_E_U8_OVERLONG);
	ck_assert_int_eq(u8_finish(&v), WSP_E_U8_OVERLONG);
	ck_assert_uint_eq(v.error_offset, 3);
	/* u8_init starts over. */
	u8_init(&v);
	ck_assert_int_eq(u8_feed(&v, good, 2), 0);
	ck_assert_int_eq(u8_finish(&v), 0);
	/* A truncation found by u8_finish sticks too. */
	uint8_t lead = 0xE2;
	u8_init(&v);
	ck_assert_int_eq(u8_feed(&v, good, 2), 0);
	ck_assert_int_eq(u8_feed(&v, &lead, 1), 0);
	ck_assert_int_eq(u8_finish(&v), WSP_E_U8_TRUNCATED);
	ck_assert_uint_eq(v.error_offset, 3);
	ck_assert_int_eq(u8_finish(&v), WSP_E_U8_TRUNCATED);
	ck_assert_int_eq(u8_feed(&v, good, 2), WSP_E_U8_TRUNCATED);
	ck_assert_uint_eq(v.error_offset, 3);
}
END_TEST

/* --------------------------------------------------------------------------
 * Boundary code points (Markus Kuhn's test file, section 2) and every prefix
 */

static const uint32_t bounds[] = {
	0x0000, 0x007F, 0x0080, 0x07FF, 0x0800, 0x0FFF, 0x1000, 0xCFFF,
	0xD000, 0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x3FFFF,
	0x40000, 0xFFFFF, 0x100000, 0x10FFFF,
};

START_TEST(kuhn_boundary_code_point_and_prefixes)
{
	uint8_t buf[8];
	size_t n = enc(bounds[_i], buf);
	uint64_t off;
	ck_assert_int_eq(fast_all(buf, n, &off), 0);
	ck_assert_uint_eq(off, n);
	ck_assert_int_eq(u8_ref_validate(buf, n, &off), 0);
	/* "incomplete k": every proper prefix ends inside the sequence. */
	for (size_t k = 1; k < n; k++) {
		ck_assert_int_eq(fast_all(buf, k, &off), WSP_E_U8_TRUNCATED);
		ck_assert_uint_eq(off, k);
		ck_assert_int_eq(u8_ref_validate(buf, k, &off),
				 WSP_E_U8_TRUNCATED);
		ck_assert_uint_eq(off, k);
	}
	/* One byte past each boundary form: the overlong or out-of-range
	 * neighbour is caught where the table says (checked exhaustively
	 * below); here: the same code point twice is still valid. */
	uint8_t two[16];
	memcpy(two, buf, n);
	memcpy(two + n, buf, n);
	ck_assert_int_eq(fast_all(two, 2 * n, &off), 0);
}
END_TEST

START_TEST(rfc3629_every_code_point)
{
	/* All of U+0000..U+10FFFF in their shortest form: valid except the
	 * surrogates, which fail at their second byte. */
	uint8_t buf[4];
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		size_t n = enc(cp, buf);
		int want = cp >= 0xD800 && cp <= 0xDFFF ? WSP_E_U8_SURROGATE
							: 0;
		struct u8_validator v;
		u8_init(&v);
		int rc = u8_feed(&v, buf, n);
		if (rc == 0)
			rc = u8_finish(&v);
		if (rc != want)
			ck_abort_msg("U+%04X: %s", (unsigned)cp,
				     wsp_errname(rc));
		if (want != 0)
			ck_assert_uint_eq(v.error_offset, 1);
	}
}
END_TEST

START_TEST(rfc3629_exhaustive_short_sequences_fast_eq_ref)
{
	/* Every 2-byte string, and every 3-byte string starting with a byte
	 * from C0 up: the DFA and the reference agree on class and offset. */
	uint8_t b[3];
	for (unsigned x = 0; x < 65536; x++) {
		b[0] = (uint8_t)(x >> 8);
		b[1] = (uint8_t)x;
		uint64_t o1, o2;
		int r1 = fast_all(b, 2, &o1);
		int r2 = u8_ref_validate(b, 2, &o2);
		if (r1 != r2 || o1 != o2)
			ck_abort_msg("%02X %02X: fast %s@%llu ref %s@%llu",
				     b[0], b[1], wsp_errname(r1),
				     (unsigned long long)o1, wsp_errname(r2),
				     (unsigned long long)o2);
	}
	for (unsigned x = 0xC00000; x < 0x1000000; x++) {
		b[0] = (uint8_t)(x >> 16);
		b[1] = (uint8_t)(x >> 8);
		b[2] = (uint8_t)x;
		struct u8_validator v;
		u8_init(&v);
		int r1 = u8_feed(&v, b, 3);
		if (r1 == 0)
			r1 = u8_finish(&v);
		uint64_t o1 = r1 == 0 ? 3 : v.error_offset, o2;
		int r2 = u8_ref_validate(b, 3, &o2);
		if (r1 != r2 || o1 != o2)
			ck_abort_msg("%02X %02X %02X: fast %s@%llu ref %s@%llu",
				     b[0], b[1], b[2], wsp_errname(r1),
				     (unsigned long long)o1, wsp_errname(r2),
				     (unsigned long long)o2);
	}
}
END_TEST

START_TEST(rfc3629_exhaustive_windows_fast_path_eq_ref)
{
	/* Lead bytes C0..FF, every second byte, boundary values for the
	 * third and fourth, then ASCII: long enough for the multi-byte fast
	 * path to look at the sequence before the DFA does. */
	static const uint8_t edge[] = {0x00, 0x7F, 0x80, 0x9F,
				       0xA0, 0xBF, 0xC0, 0xFF};
	uint8_t b[6] = {0, 0, 0, 0, 'A', 'A'};
	for (unsigned b0 = 0xC0; b0 < 0x100; b0++) {
		for (unsigned b1 = 0; b1 < 0x100; b1++) {
			for (unsigned k = 0; k < 64; k++) {
				b[0] = (uint8_t)b0;
				b[1] = (uint8_t)b1;
				b[2] = edge[k & 7];
				b[3] = edge[k >> 3];
				uint64_t o1, o2;
				int r1 = fast_all(b, sizeof(b), &o1);
				int r2 = u8_ref_validate(b, sizeof(b), &o2);
				if (r1 != r2 || o1 != o2)
					ck_abort_msg("%02X %02X %02X %02X: fast "
						     "%s@%llu ref %s@%llu",
						     b[0], b[1], b[2], b[3],
						     wsp_errname(r1),
						     (unsigned long long)o1,
						     wsp_errname(r2),
						     (unsigned long long)o2);
			}
		}
	}
}
END_TEST

/* --------------------------------------------------------------------------
 * Random buffers: fast path vs reference, chunk schedules, corruptions
 */

/* Fills buf with random valid UTF-8: long ASCII runs (so whole fast-path
 * blocks occur) mixed with 2-, 3- and 4-byte code points.  Returns the
 * length, at most cap. */
static size_t random_text(uint64_t *rng, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	size_t want = (size_t)(tl_rand(rng) % cap);
	while (n + 4 <= want) {
		uint64_t r = tl_rand(rng);
		switch (r % 6) {
		case 0:
		case 1: {
			size_t run = (size_t)((r >> 8) % 150);
			if (run > want - n)
				run = want - n;
			for (size_t k = 0; k < run; k++)
				buf[n++] = (uint8_t)(0x20 + (r >> 20) % 90);
			break;
		}
		case 2:
			n += enc((uint32_t)(0x80 + (r >> 8) % 0x780), buf + n);
			break;
		case 3: {
			uint32_t cp = (uint32_t)(0x800 + (r >> 8) % 0xF800);
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp -= 0x800;
			n += enc(cp, buf + n);
			break;
		}
		case 4:
			n += enc((uint32_t)(0x10000 + (r >> 8) % 0x100000),
				 buf + n);
			break;
		default:
			buf[n++] = (uint8_t)((r >> 8) % 0x80);
			break;
		}
	}
	return n;
}

START_TEST(fast_path_vs_reference_random_corruptions)
{
	uint64_t rng = 0x5EED0000u + (uint64_t)_i;
	uint8_t buf[1200];
	for (int iter = 0; iter < 300; iter++) {
		size_t n = random_text(&rng, buf, sizeof(buf));
		uint64_t o1, o2;
		ck_assert_int_eq(u8_ref_validate(buf, n, &o2), 0);
		ck_assert_int_eq(fast_all(buf, n, &o1), 0);
		/* Up to three random single-byte corruptions. */
		int nc = 1 + (int)(tl_rand(&rng) % 3);
		for (int c = 0; c < nc && n > 0; c++) {
			size_t at = (size_t)(tl_rand(&rng) % n);
			buf[at] = (uint8_t)tl_rand(&rng);
		}
		int r2 = u8_ref_validate(buf, n, &o2);
		int modes[3] = {TL_CHUNK_ALL, TL_CHUNK_ONE, TL_CHUNK_RANDOM};
		for (int m = 0; m < 3; m++) {
			struct tl_chunker ch;
			tl_chunker_init(&ch, (enum tl_chunk_mode)modes[m],
					tl_rand(&rng));
			ch.max_random = 1 + (size_t)(tl_rand(&rng) % 200);
			int r1 = fast_chunked(buf, n, &ch, &o1);
			ck_assert_msg(r1 == r2 && o1 == o2,
				      "iter %d mode %d: fast %s@%llu ref "
				      "%s@%llu",
				      iter, m, wsp_errname(r1),
				      (unsigned long long)o1, wsp_errname(r2),
				      (unsigned long long)o2);
		}
	}
}
END_TEST

START_TEST(chunking_all_one_random_identical)
{
	/* Every vector, concatenated behind a valid prefix of mixed text,
	 * gives the same result and offset in every chunk schedule. */
	uint64_t rng = 77;
	uint8_t buf[700];
	for (size_t t = 0; t < NVECS; t++) {
		size_t n = random_text(&rng, buf, 600);
		n += tl_hex(vecs[t].hex, buf + n, sizeof(buf) - n);
		uint64_t o_all, o;
		int r_all = fast_all(buf, n, &o_all);
		for (uint64_t seed = 1; seed <= 20; seed++) {
			struct tl_chunker c;
			tl_chunker_init(&c, seed == 1 ? TL_CHUNK_ONE
						      : TL_CHUNK_RANDOM,
					seed);
			ck_assert_int_eq(fast_chunked(buf, n, &c, &o), r_all);
			ck_assert_uint_eq(o, o_all);
		}
	}
}
END_TEST

START_TEST(guard_page_no_overread)
{
	/* Inputs of every length 0..300 ending right at a guard page: all
	 * ASCII, ASCII ending in a lead byte, and each vector at the end. */
	uint8_t src[400];
	for (size_t n = 0; n <= 300; n++) {
		memset(src, 'x', n);
		for (int variant = 0; variant < 2; variant++) {
			if (variant == 1 && n > 0)
				src[n - 1] = 0xE2;
			struct tl_guard g;
			tl_guard_init(&g, src, n);
			uint64_t o1, o2;
			int r1 = fast_all(g.data, n, &o1);
			int r2 = u8_ref_validate(g.data, n, &o2);
			ck_assert_int_eq(r1, r2);
			ck_assert_uint_eq(o1, o2);
			ck_assert_int_eq(r1, variant == 1 && n > 0
						     ? WSP_E_U8_TRUNCATED
						     : 0);
			tl_guard_free(&g);
		}
	}
	for (size_t t = 0; t < NVECS; t++) {
		memset(src, 'y', 130);
		size_t n = 130 + tl_hex(vecs[t].hex, src + 130, 64);
		struct tl_guard g;
		tl_guard_init(&g, src, n);
		uint64_t o;
		ck_assert_int_eq(fast_all(g.data, n, &o), vecs[t].rc);
		ck_assert_int_eq(u8_ref_validate(g.data, n, &o), vecs[t].rc);
		tl_guard_free(&g);
	}
}
END_TEST

/* --------------------------------------------------------------------------
 * The vector path (64-byte blocks, SSSE3): the same results as the scalar
 * paths and the reference wherever a sequence sits in the blocks
 */

/* u8_feed over p[0..n) in one call, on the vector path or not. */
static int feed_path(const uint8_t *p, size_t n, int vector, uint64_t *off)
{
	struct u8_validator v;
	u8_init(&v);
	v.vector = vector;
	int rc = u8_feed(&v, p, n);
	if (rc == 0)
		rc = u8_finish(&v);
	*off = rc == 0 ? n : v.error_offset;
	return rc;
}

START_TEST(vector_path_is_used_on_x86_64)
{
	/* Without it every test below compares the scalar path with itself. */
#if defined(__x86_64__) && !defined(U8_NO_SIMD)
	ck_assert_int_eq(u8_vector_available(), 1);
#else
	ck_assert_int_eq(u8_vector_available(), 0);
#endif
}
END_TEST

START_TEST(vector_windows_at_lane_and_block_edges_eq_ref)
{
	/* Every lead C0..FF with a second byte from each class edge and
	 * boundary third and fourth bytes, placed so the sequence starts
	 * at, straddles or ends at a 16-byte lane and a 64-byte block edge
	 * (and the input's end), in 160 bytes of ASCII: vector path, scalar
	 * path and reference agree on class and offset. */
	static const uint8_t edge[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
				       0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
				       0xE0, 0xEF, 0xF0, 0xFF};
	static const uint8_t edge34[] = {0x41, 0x80, 0xBF, 0xC2};
	static const size_t at[] = {0, 13, 14, 15, 16, 29, 47, 60, 61, 62,
				    63, 64, 125, 126, 127, 128, 156, 157, 158,
				    159};
	uint8_t b[160];
	for (size_t a = 0; a < sizeof(at) / sizeof(at[0]); a++) {
		for (unsigned b0 = 0xC0; b0 < 0x100; b0++) {
			for (unsigned k = 0; k < 16 * 16; k++) {
				memset(b, 'a', sizeof(b));
				uint8_t w[4] = {(uint8_t)b0, edge[k & 15],
						edge34[(k >> 4) & 3],
						edge34[k >> 6]};
				size_t m = sizeof(b) - at[a] < 4
						   ? sizeof(b) - at[a]
						   : 4;
				memcpy(b + at[a], w, m);
				uint64_t ov, os, orf;
				int rv = feed_path(b, sizeof(b), 1, &ov);
				int rs = feed_path(b, sizeof(b), 0, &os);
				int rr = u8_ref_validate(b, sizeof(b), &orf);
				if (rv != rr || ov != orf || rs != rr ||
				    os != orf)
					ck_abort_msg("at %zu: %02X %02X %02X "
						     "%02X: vector %s@%llu "
						     "scalar %s@%llu ref "
						     "%s@%llu",
						     at[a], w[0], w[1], w[2],
						     w[3], wsp_errname(rv),
						     (unsigned long long)ov,
						     wsp_errname(rs),
						     (unsigned long long)os,
						     wsp_errname(rr),
						     (unsigned long long)orf);
			}
		}
	}
}
END_TEST

START_TEST(vector_vs_scalar_random_text_and_corruptions)
{
	/* Mixed text of up to 4 KiB (many whole blocks, sequences across
	 * every edge), valid and then with one to three bytes changed: the
	 * two paths and the reference agree, whole and fed in chunks. */
	uint64_t rng = 0xB10C0000u + (uint64_t)_i;
	static uint8_t buf[4096];
	for (int iter = 0; iter < 200; iter++) {
		size_t n = random_text(&rng, buf, sizeof(buf));
		uint64_t ov, os, orf;
		ck_assert_int_eq(feed_path(buf, n, 1, &ov), 0);
		ck_assert_uint_eq(ov, n);
		int nc = 1 + (int)(tl_rand(&rng) % 3);
		for (int c = 0; c < nc && n > 0; c++) {
			size_t at = (size_t)(tl_rand(&rng) % n);
			buf[at] = (uint8_t)tl_rand(&rng);
		}
		int rr = u8_ref_validate(buf, n, &orf);
		int rv = feed_path(buf, n, 1, &ov);
		int rs = feed_path(buf, n, 0, &os);
		ck_assert_msg(rv == rr && ov == orf && rs == rr && os == orf,
			      "iter %d: vector %s@%llu scalar %s@%llu ref "
			      "%s@%llu", iter, wsp_errname(rv),
			      (unsigned long long)ov, wsp_errname(rs),
			      (unsigned long long)os, wsp_errname(rr),
			      (unsigned long long)orf);
		struct tl_chunker ch;
		tl_chunker_init(&ch, TL_CHUNK_RANDOM, tl_rand(&rng));
		ch.max_random = 60 + (size_t)(tl_rand(&rng) % 300);
		ck_assert_int_eq(fast_chunked(buf, n, &ch, &ov), rr);
		ck_assert_uint_eq(ov, orf);
	}
}
END_TEST

Suite *u8_suite(void)
{
	Suite *s = suite_create("u8");
	TCase *tc = tcase_create("R6455-8.1-01 classes");
	tcase_add_loop_test(tc, rfc3629_vector_class_and_offset, 0,
			    (int)NVECS);
	tcase_add_loop_test(tc, rfc3629_vector_after_ascii_blocks, 0,
			    (int)NVECS);
	tcase_add_test(tc, r6455_8_1_every_single_byte);
	tcase_add_test(tc, r6455_8_1_error_is_sticky);
	suite_add_tcase(s, tc);

	tc = tcase_create("R6455-5.6-01 split code points");
	tcase_add_loop_test(tc, r6455_5_6_every_split_point, 0, (int)NVECS);
	tcase_add_test(tc, chunking_all_one_random_identical);
	suite_add_tcase(s, tc);

	tc = tcase_create("RFC3629 boundaries");
	tcase_add_loop_test(tc, kuhn_boundary_code_point_and_prefixes, 0,
			    (int)(sizeof(bounds) / sizeof(bounds[0])));
	tcase_add_test(tc, rfc3629_every_code_point);
	tcase_add_test(tc, rfc3629_exhaustive_short_sequences_fast_eq_ref);
	tcase_add_test(tc, rfc3629_exhaustive_windows_fast_path_eq_ref);
	suite_add_tcase(s, tc);

	tc = tcase_create("fast path vs reference");
	tcase_add_loop_test(tc, fast_path_vs_reference_random_corruptions, 0,
			    8);
	tcase_add_test(tc, guard_page_no_overread);
	tcase_add_test(tc, vector_path_is_used_on_x86_64);
	tcase_add_test(tc, vector_windows_at_lane_and_block_edges_eq_ref);
	tcase_add_loop_test(tc, vector_vs_scalar_random_text_and_corruptions,
			    0, 8);
	suite_add_tcase(s, tc);
	return s;
}
