/*
 * check_wsmut.c: the structure-aware frame mutator (fuzz/wsmut.h).
 *
 * Proves the promises other projects rely on: the output depends only on
 * input, limit and seed; with byte_rate 0 every output decodes (wsf_decode)
 * as whole frames whose announced lengths match their payloads; max_size
 * is never exceeded, down to 1 byte; crossover splices whole frames of its
 * two parents; and over a few thousand steps the mutator really produces
 * each field-level change it advertises (reserved opcodes, RSV bits,
 * non-minimal length forms, masking both ways, control frames between
 * fragments, overlong and surrogate UTF-8, inflatable deflate payloads).
 *
 * The mutator lives in fuzz/ (linked into the fuzz targets, not into the
 * library), so it is compiled into this suite by inclusion.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "lib.h"
#include "wsf.h"
#include "wsmut.h"

/* The frames of one decoded stream. */
struct dframe {
	struct wsf_header h;
	size_t off; /* payload offset in the (unmasked) buffer */
	size_t len;
	size_t start, size; /* the frame's bytes in the original stream */
};

/* Decodes buf[0..n) (a copy is unmasked); returns the frame count, or -1
 * when the stream does not end on a frame boundary or a frame's delivered
 * payload differs from its announced length. */
static int decode_all(const uint8_t *in, size_t n, uint8_t *buf,
		      struct dframe *fr, int max)
{
	struct wsf_decoder d;
	size_t pos = 0;
	int k = -1;
	memcpy(buf, in, n);
	wsf_decoder_init(&d, NULL);
	while (pos < n) {
		struct wsf_event ev;
		ssize_t got = wsf_decode(&d, buf + pos, n - pos, &ev);
		ck_assert_int_gt(got, 0);
		if (ev.flags & WSF_EV_HEADER) {
			if (++k >= max)
				return -1;
			fr[k].h = *ev.hdr;
			fr[k].off = (size_t)(ev.data - buf);
			fr[k].len = 0;
			fr[k].start = pos;
			if (ev.len == 0)
				fr[k].off = pos + ev.hdr->header_len;
		}
		fr[k].len += ev.len;
		pos += (size_t)got;
		if (ev.flags & WSF_EV_END) {
			if (fr[k].len != fr[k].h.payload_len)
				return -1;
			fr[k].size = pos - fr[k].start;
		}
	}
	return wsf_decoder_idle(&d) ? k + 1 : -1;
}

/* Seed inputs: frame sequences as tl_hex strings. */
static const char *const seeds[] = {
	"81 85 37 fa 21 3d 7f 9f 4d 51 58",           /* masked "Hello" */
	"01 03 48 65 6c 89 00 80 02 6c 6f",           /* fragments + ping */
	"c1 07 f2 48 cd c9 c9 07 00",                 /* RFC 7692 "Hello" */
	"88 02 03 e8",                                /* close 1000 */
	"82 7e 00 05 01 02 03 04 05 8a 00",           /* 16-bit form, pong */
	"",                                           /* empty */
	"ff ff ff ff 00 01 02",                       /* garbage */
	"81 05 48 65 6c 6c 6f 81 7f 00 00 00 00 00",  /* frame + cut frame */
};
#define NSEEDS (int)(sizeof(seeds) / sizeof(seeds[0]))

#define BIG 4096

START_TEST(wsmut_same_seed_same_output)
{
	uint8_t a[BIG], b[BIG];
	size_t n = tl_hex(seeds[_i], a, sizeof(a));
	memcpy(b, a, n);
	int differ = 0;
	for (unsigned seed = 0; seed < 64; seed++) {
		uint8_t c[BIG];
		memcpy(c, a, n);
		size_t x = wsmut_mutate(NULL, a, n, sizeof(a), seed);
		size_t y = wsmut_mutate(NULL, b, n, sizeof(b), seed);
		ck_assert_uint_eq(x, y);
		ck_assert_mem_eq(a, b, x);
		size_t z = wsmut_mutate(NULL, c, n, sizeof(c), seed + 1000);
		differ |= z != x || memcmp(a, c, x) != 0;
		n = x;
	}
	ck_assert_int_eq(differ, 1);
}
END_TEST

/* Chains 300 mutations from each seed: every output is whole frames and
 * each frame's announced length equals the payload it carries. */
START_TEST(rfc6455_5_2_outputs_decode_as_frames)
{
	static uint8_t d[BIG], buf[BIG];
	static struct dframe fr[WSMUT_MAX_FRAMES + 1];
	size_t n = tl_hex(seeds[_i], d, sizeof(d));
	for (unsigned seed = 0; seed < 300; seed++) {
		n = wsmut_mutate(NULL, d, n, sizeof(d), seed * 7919u + 1);
		ck_assert_uint_ge(n, 1);
		ck_assert_uint_le(n, sizeof(d));
		size_t parsed = 0;
		size_t cnt = wsmut_count_frames(d, n, &parsed);
		ck_assert_uint_eq(parsed, n);
		int k = decode_all(d, n, buf, fr, WSMUT_MAX_FRAMES + 1);
		ck_assert_int_ge(k, 1);
		ck_assert_uint_eq((size_t)k, cnt);
	}
}
END_TEST

static const size_t limits[] = {1, 2, 3, 6, 14, 20, 64, 130, 200, 1000};
#define NLIMITS (int)(sizeof(limits) / sizeof(limits[0]))

START_TEST(wsmut_max_size_respected)
{
	size_t max = limits[_i];
	uint8_t *d = malloc(max); /* exactly sized: ASan sees any overrun */
	ck_assert_ptr_nonnull(d);
	uint8_t src[64];
	for (int s = 0; s < NSEEDS; s++) {
		size_t n = tl_hex(seeds[s], src, sizeof(src));
		if (n > max)
			n = max;
		memcpy(d, src, n);
		for (unsigned seed = 0; seed < 200; seed++) {
			struct wsmut_opts o = {NULL, 2, 0};
			n = wsmut_mutate(seed & 1 ? &o : NULL, d, n, max, seed);
			ck_assert_uint_le(n, max);
		}
	}
	free(d);
}
END_TEST

START_TEST(wsmut_max_frames_respected)
{
	uint8_t d[BIG];
	size_t n = tl_hex(seeds[1], d, sizeof(d));
	struct wsmut_opts o = {NULL, 0, 3};
	for (unsigned seed = 0; seed < 500; seed++) {
		n = wsmut_mutate(&o, d, n, sizeof(d), seed);
		ck_assert_uint_le(wsmut_count_frames(d, n, NULL), 3);
	}
}
END_TEST

/* Garbage with byte_rate 0 becomes a frame; with byte_rate it stays
 * bytes, deterministic with the built-in byte mutator. */
START_TEST(wsmut_garbage_falls_back)
{
	uint8_t a[64], b[64];
	size_t n = tl_hex("ff ff ff ff ff 00 01 02 03", a, sizeof(a));
	memcpy(b, a, n);
	size_t x = wsmut_mutate(NULL, a, n, sizeof(a), 5);
	size_t parsed;
	ck_assert_uint_ge(wsmut_count_frames(a, x, &parsed), 1);
	ck_assert_uint_eq(parsed, x);
	struct wsmut_opts o = {NULL, 1, 0};
	uint8_t c[64];
	memcpy(c, b, n);
	x = wsmut_mutate(&o, b, n, sizeof(b), 9);
	size_t y = wsmut_mutate(&o, c, n, sizeof(c), 9);
	ck_assert_uint_eq(x, y);
	ck_assert_mem_eq(b, c, x);
	ck_assert_uint_ge(x, n - 3);
	ck_assert_uint_le(x, n + 3);
}
END_TEST

/* What the mutator promises to produce, each seen within 3000 steps. */
enum {
	SEEN_RESERVED_OP, SEEN_RSV1, SEEN_RSV23, SEEN_NONMIN_16,
	SEEN_NONMIN_64, SEEN_MASKED, SEEN_UNMASKED, SEEN_CTRL_IN_FRAGMENTS,
	SEEN_OVERLONG, SEEN_SURROGATE, SEEN_INFLATES, SEEN_CLOSE_CODE,
	SEEN_LEN_126, NSEEN
};

static int inflates(const uint8_t *p, size_t n)
{
	uint8_t in[BIG + 4], out[8192];
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return 0;
	memcpy(in, p, n);
	memcpy(in + n, "\x00\x00\xff\xff", 4);
	z.next_in = in;
	z.avail_in = (uInt)n + 4;
	z.next_out = out;
	z.avail_out = sizeof(out);
	int rc = inflate(&z, Z_SYNC_FLUSH);
	inflateEnd(&z);
	return n > 0 && (rc == Z_OK || rc == Z_STREAM_END ||
			 (rc == Z_BUF_ERROR && z.avail_out > 0));
}

static int has(const uint8_t *p, size_t n, const char *pat, size_t pn)
{
	for (size_t i = 0; i + pn <= n; i++)
		if (memcmp(p + i, pat, pn) == 0)
			return 1;
	return 0;
}

START_TEST(rfc6455_5_2_mutates_every_field)
{
	static uint8_t d[BIG], buf[BIG];
	static struct dframe fr[WSMUT_MAX_FRAMES + 1];
	int seen[NSEEN] = {0};
	size_t n = 0;
	for (unsigned seed = 0; seed < 3000; seed++) {
		if (seed % 50 == 0) /* restart now and then from a seed */
			n = tl_hex(seeds[(seed / 50) % 5], d, sizeof(d));
		n = wsmut_mutate(NULL, d, n, sizeof(d), seed);
		int k = decode_all(d, n, buf, fr, WSMUT_MAX_FRAMES + 1);
		ck_assert_int_ge(k, 1);
		int open = 0;
		for (int i = 0; i < k; i++) {
			const struct wsf_header *h = &fr[i].h;
			const uint8_t *p = buf + fr[i].off;
			int ctl = h->opcode >= 8;
			seen[SEEN_RESERVED_OP] |= (h->opcode >= 3 &&
						   h->opcode <= 7) ||
						  h->opcode >= 11;
			seen[SEEN_RSV23] |= (h->rsv & 3) != 0;
			seen[SEEN_NONMIN_16] |= h->len_form == WSF_LEN_16 &&
						h->payload_len < 126;
			seen[SEEN_NONMIN_64] |= h->len_form == WSF_LEN_64 &&
						h->payload_len < 65536;
			seen[SEEN_LEN_126] |= h->payload_len == 126;
			seen[h->masked ? SEEN_MASKED : SEEN_UNMASKED] = 1;
			seen[SEEN_CTRL_IN_FRAGMENTS] |= ctl && open;
			if (!ctl)
				open = !h->fin;
			seen[SEEN_OVERLONG] |= has(p, fr[i].len, "\xc0\x80", 2);
			seen[SEEN_SURROGATE] |=
				has(p, fr[i].len, "\xed\xa0\x80", 3);
			if (h->rsv & WSP_RSV1) {
				seen[SEEN_RSV1] = 1;
				if (!seen[SEEN_INFLATES] && h->opcode != 8)
					seen[SEEN_INFLATES] =
						inflates(p, fr[i].len);
			}
			seen[SEEN_CLOSE_CODE] |= h->opcode == 8 &&
						 fr[i].len >= 2 && p[0] == 3 &&
						 p[1] == 0xf1; /* 1009 */
		}
	}
	for (int i = 0; i < NSEEN; i++)
		ck_assert_msg(seen[i], "never produced: #%d", i);
}
END_TEST

/* Distinct frames in a and b, so each output frame's origin is known. */
START_TEST(wsmut_crossover_splices_whole_frames)
{
	uint8_t a[64], b[64], out[256];
	size_t na = tl_hex("81 01 61 81 01 62 81 01 63 81 01 64", a, sizeof(a));
	size_t nb = tl_hex("82 02 41 41 82 02 42 42 82 02 43 43", b, sizeof(b));
	int mixed = 0, interleaved = 0;
	for (unsigned seed = 0; seed < 100; seed++) {
		size_t n = wsmut_crossover(a, na, b, nb, out, sizeof(out),
					   seed);
		size_t parsed;
		size_t k = wsmut_count_frames(out, n, &parsed);
		ck_assert_uint_eq(parsed, n);
		ck_assert_uint_ge(k, 1);
		/* starts with a's first frame */
		ck_assert_mem_eq(out, a, 3);
		int from_b = 0, back_to_a = 0;
		for (size_t pos = 0; pos < n;) {
			if (out[pos] == 0x81) {
				ck_assert(has(a, na, (const char *)out + pos, 3));
				back_to_a |= from_b;
				pos += 3;
			} else {
				ck_assert_uint_eq(out[pos], 0x82);
				ck_assert(has(b, nb, (const char *)out + pos, 4));
				from_b = 1;
				pos += 4;
			}
		}
		mixed |= from_b;
		interleaved |= back_to_a;
		/* the same seed, the same splice */
		uint8_t again[256];
		ck_assert_uint_eq(wsmut_crossover(a, na, b, nb, again,
						  sizeof(again), seed),
				  n);
		ck_assert_mem_eq(again, out, n);
	}
	ck_assert_int_eq(mixed, 1);
	ck_assert_int_eq(interleaved, 1);
}
END_TEST

START_TEST(wsmut_crossover_respects_max_out)
{
	uint8_t a[64], b[64], out[7];
	size_t na = tl_hex("81 01 61 81 01 62 81 01 63", a, sizeof(a));
	size_t nb = tl_hex("82 02 41 41 82 02 42 42", b, sizeof(b));
	for (unsigned seed = 0; seed < 100; seed++) {
		size_t max = seed % sizeof(out);
		size_t n = wsmut_crossover(a, na, b, nb, out, max, seed);
		ck_assert_uint_le(n, max);
		size_t parsed;
		wsmut_count_frames(out, n, &parsed);
		ck_assert_uint_eq(parsed, n);
	}
	/* bytes, not frames: a byte splice within the limit */
	for (unsigned seed = 0; seed < 50; seed++)
		ck_assert_uint_le(wsmut_crossover((const uint8_t *)"xyzzy", 5,
						  (const uint8_t *)"plugh", 5,
						  out, 4, seed),
				  4);
}
END_TEST

START_TEST(wsmut_count_frames_stops_at_partial)
{
	uint8_t d[64];
	size_t parsed;
	size_t n = tl_hex(seeds[7], d, sizeof(d));
	ck_assert_uint_eq(wsmut_count_frames(d, n, &parsed), 1);
	ck_assert_uint_eq(parsed, 7);
	ck_assert_uint_eq(wsmut_count_frames(d, 0, NULL), 0);
	n = tl_hex("81 fe 00 80", d, sizeof(d)); /* header cut in its key */
	ck_assert_uint_eq(wsmut_count_frames(d, n, &parsed), 0);
	ck_assert_uint_eq(parsed, 0);
}
END_TEST

Suite *wsmut_suite(void)
{
	Suite *s = suite_create("wsmut");
	TCase *tc = tcase_create("wsmut-determinism");
	tcase_add_loop_test(tc, wsmut_same_seed_same_output, 0, NSEEDS);
	tcase_add_test(tc, wsmut_garbage_falls_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("RFC6455-5.2-structure");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, rfc6455_5_2_outputs_decode_as_frames, 0,
			    NSEEDS);
	tcase_add_test(tc, rfc6455_5_2_mutates_every_field);
	tcase_add_test(tc, wsmut_count_frames_stops_at_partial);
	suite_add_tcase(s, tc);

	tc = tcase_create("wsmut-limits");
	tcase_add_loop_test(tc, wsmut_max_size_respected, 0, NLIMITS);
	tcase_add_test(tc, wsmut_max_frames_respected);
	suite_add_tcase(s, tc);

	tc = tcase_create("wsmut-crossover");
	tcase_add_test(tc, wsmut_crossover_splices_whole_frames);
	tcase_add_test(tc, wsmut_crossover_respects_max_out);
	suite_add_tcase(s, tc);
	return s;
}
