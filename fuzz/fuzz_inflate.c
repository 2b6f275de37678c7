/*
 * fuzz_inflate.c: permessage-deflate decompression and compression
 * (proto/pmd.h) on arbitrary bytes.
 *
 * Input layout: byte 0: bit 0 no_context_takeover, bits 1-3 window bits
 * (8 + n), bits 4-5 the size limit (0, 100, 4096 or 1 MiB), bits 6-7 the
 * sender's role (any, client, server); byte 1 seeds the slicing; byte 2
 * seeds where the data is cut into up to four messages; the rest is the
 * data.
 *
 * 1. The data, as compressed messages, is decompressed once in one call
 *    per message and once in slices of input and output drawn from the
 *    seed, each slice an exactly-sized copy: same result, same bytes.  The
 *    one allowed difference is a window violation (w < 15): zlib only sees
 *    a distance past the window when the caller's output buffer cut it off
 *    (see pmd.h), so the two may part there, and the comparison stops.
 * 2. The data, as plain messages, is compressed in slices and in one go
 *    (same bytes for levels 1..9) and decompressed again: the messages
 *    come back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pmd.h"
#include "wsp_err.h"

#define REQUIRE(c)               \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

#define MAX_OUT ((size_t)1 << 20)

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void reserve(struct buf *b, size_t more)
{
	if (b->cap - b->n >= more)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->n < more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	REQUIRE(b->p != NULL);
	b->cap = cap;
}

typedef int (*step_fn)(void *, const void *, size_t, int, void *, size_t,
		       size_t *, size_t *);

static int st_inflate(void *o, const void *in, size_t n, int fin, void *out,
		      size_t cap, size_t *u, size_t *m)
{
	return pmd_inflate(o, in, n, fin, out, cap, u, m);
}

static int st_deflate(void *o, const void *in, size_t n, int fin, void *out,
		      size_t cap, size_t *u, size_t *m)
{
	return pmd_deflate(o, in, n, fin, out, cap, u, m);
}

/* One message through fn.  rng == NULL: all input in one slice, output in
 * rooms of 64 KiB; else slices of 1..64 bytes (each copied to an
 * exactly-sized buffer) and rooms of 1..300. */
static int run(step_fn fn, void *obj, const uint8_t *in, size_t n,
	       uint64_t *rng, struct buf *out)
{
	size_t pos = 0;
	for (;;) {
		size_t k = n - pos;
		if (rng != NULL && k > 0) {
			size_t want = 1 + (size_t)(next(rng) % 64);
			if (want < k)
				k = want;
		}
		int fin = pos + k == n;
		/* Sometimes the last bytes go without fin, then an empty
		 * final slice follows. */
		if (fin && rng != NULL && k > 0 && next(rng) % 4 == 0)
			fin = 0;
		uint8_t *slice = malloc(k ? k : 1);
		REQUIRE(slice != NULL);
		if (k > 0)
			memcpy(slice, in + pos, k);
		size_t off = 0;
		int rc;
		for (;;) {
			size_t room = rng ? 1 + (size_t)(next(rng) % 300)
					  : (size_t)1 << 16;
			size_t u, m;
			reserve(out, room);
			rc = fn(obj, slice + off, k - off, fin,
				out->p + out->n, room, &u, &m);
			if (rc < 0)
				break;
			REQUIRE(u <= k - off && m <= room);
			off += u;
			out->n += m;
			if (rc == PMD_DONE) {
				REQUIRE(fin && off == k);
				break;
			}
			if (rc == PMD_NEED_INPUT) {
				REQUIRE(!fin && off == k);
				break;
			}
			REQUIRE(rc == PMD_NEED_OUTPUT && m == room);
		}
		free(slice);
		if (rc < 0 || rc == PMD_DONE)
			return rc;
		pos += k;
	}
}

static int is_window(int rc)
{
	return rc == WSP_E_PMD_CLIENT_WINDOW || rc == WSP_E_PMD_SERVER_WINDOW;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {0, 100, 4096, MAX_OUT};
	static const enum wsp_role roles[] = {WSP_ROLE_ANY, WSP_ROLE_CLIENT,
					      WSP_ROLE_SERVER, WSP_ROLE_CLIENT};
	if (size < 3)
		return 0;
	int nt = data[0] & 1;
	int wbits = 8 + ((data[0] >> 1) & 7);
	size_t limit = limits[(data[0] >> 4) & 3];
	enum wsp_role peer = roles[data[0] >> 6];
	uint64_t seed = data[1] + 1;
	uint64_t cut = data[2] + 1;
	data += 3;
	size -= 3;

	/* Up to four messages. */
	size_t cuts[5] = {0};
	size_t nmsg = 1 + (size_t)(cut % 4);
	for (size_t i = 1; i < nmsg; i++)
		cuts[i] = size ? (size_t)(next(&cut) % (size + 1)) : 0;
	cuts[nmsg] = size;
	for (size_t i = 1; i < nmsg; i++) /* sort the few cut points */
		for (size_t j = i + 1; j < nmsg; j++)
			if (cuts[j] < cuts[i]) {
				size_t t = cuts[i];
				cuts[i] = cuts[j];
				cuts[j] = t;
			}

	/* 1. Decompression: one shot against slices. */
	struct pmd_inflate_cfg ic;
	struct pmd_inflater *a = NULL, *b = NULL;
	pmd_inflate_cfg_init(&ic, limit);
	/* Without a role a window violation reads as WSP_E_PMD_CORRUPT,
	 * which could not be told from real corruption below. */
	ic.window_bits = peer == WSP_ROLE_ANY ? 15 : wbits;
	ic.no_context_takeover = nt;
	ic.peer = peer;
	REQUIRE(pmd_inflater_new(&a, &ic, NULL) == 0);
	REQUIRE(pmd_inflater_new(&b, &ic, NULL) == 0);
	/* Kept across runs: reallocating them each time made the target
	 * spend most of its time in page faults. */
	static struct buf oa, ob, z1, z2;
	uint64_t rng = seed;
	for (size_t i = 0; i < nmsg; i++) {
		const uint8_t *m = data + cuts[i];
		size_t mn = cuts[i + 1] - cuts[i];
		oa.n = 0;
		ob.n = 0;
		int ra = run(st_inflate, a, m, mn, NULL, &oa);
		int rb = run(st_inflate, b, m, mn, &rng, &ob);
		if (ra != rb) {
			REQUIRE(ic.window_bits < 15 &&
				(is_window(ra) || is_window(rb)));
			break;
		}
		if (ra < 0)
			break;
		REQUIRE(oa.n == ob.n && oa.n <= limit);
		REQUIRE(oa.n == 0 || memcmp(oa.p, ob.p, oa.n) == 0);
	}
	pmd_inflater_free(a);
	pmd_inflater_free(b);

	/* 2. Round trip: compress in slices and in one go, decompress. */
	struct pmd_deflate_cfg dc;
	struct pmd_deflater *c1 = NULL, *c2 = NULL;
	struct pmd_inflater *d = NULL;
	pmd_deflate_cfg_init(&dc);
	dc.window_bits = wbits;
	dc.no_context_takeover = nt;
	dc.level = (int)(seed % 11) - 1;
	dc.mem_level = 1 + (int)(seed % 9);
	REQUIRE(pmd_deflater_new(&c1, &dc, NULL) == 0);
	REQUIRE(pmd_deflater_new(&c2, &dc, NULL) == 0);
	pmd_inflate_cfg_init(&ic, MAX_OUT);
	ic.window_bits = wbits;
	ic.no_context_takeover = nt;
	ic.peer = WSP_ROLE_CLIENT;
	REQUIRE(pmd_inflater_new(&d, &ic, NULL) == 0);
	for (size_t i = 0; i < nmsg; i++) {
		const uint8_t *m = data + cuts[i];
		size_t mn = cuts[i + 1] - cuts[i];
		z1.n = 0;
		z2.n = 0;
		oa.n = 0;
		REQUIRE(run(st_deflate, c1, m, mn, &rng, &z1) == PMD_DONE);
		REQUIRE(run(st_deflate, c2, m, mn, NULL, &z2) == PMD_DONE);
		if (dc.level != 0)
			REQUIRE(z1.n == z2.n && memcmp(z1.p, z2.p, z1.n) == 0);
		REQUIRE(run(st_inflate, d, z1.p, z1.n, &rng, &oa) == PMD_DONE);
		REQUIRE(oa.n == mn);
		REQUIRE(mn == 0 || memcmp(oa.p, m, mn) == 0);
	}
	pmd_deflater_free(c1);
	pmd_deflater_free(c2);
	pmd_inflater_free(d);
	return 0;
}
