/*
 * fuzz_inflate.c: permessage-deflate decompression and compression
 * (proto/pmd.h) on arbitrary bytes.
 *
 * Input layout: byte 0: bit 0 no_context_takeover, bits 1-3 window bits
 * (8 + n), bits 4-5 the size limit (0, 100, 4096 or 1 MiB), bits 6-7 the
 * sender's role (any, client, server); byte 1 seeds the slicing, and when
 * ISA-L is built in its bits 5, 6 and 7 pick ISA-L instead of zlib for the
 * inflaters of 1, the deflaters of 2 and the inflater of 2; byte 2 seeds
 * where the data is cut into up to four messages; the rest is the data.
 *
 * 1. The data, as compressed messages, is decompressed once in one call
 *    per message and once in slices of input and output drawn from the
 *    seed, each slice an exactly-sized copy: same result, same bytes.  The
 *    one allowed difference is a window violation (w < 15) on zlib: it
 *    only sees a distance past the window when the caller's output buffer
 *    cut it off (see pmd.h), so the two may part there, and the comparison
 *    stops.  ISA-L: both must fail or neither, but the error's name may
 *    differ (see isal_error_swap).
 *    Differential (ISA-L built in): the same messages through a one-shot
 *    inflater of the other engine, same window, takeover, role and limit.
 *    When both succeed, the same bytes; when both hit the limit, the same
 *    bytes delivered; a limit on one side and success on the other is a
 *    bug, as is zlib reporting a window or takeover violation that ISA-L
 *    accepts.  Any other one-sided failure is allowed (the engines reject
 *    different malformed Huffman codes) and ends the comparison.
 * 2. The data, as plain messages, is compressed in slices and in one go
 *    and decompressed again: the messages come back unchanged, through the
 *    chosen inflater and through one of the other engine (ISA-L's exact
 *    window check holds both deflaters to 2^w).  The bytes are the same
 *    for zlib levels 1..9 whatever the slicing.  ISA-L (level -1 or 1) is
 *    not compared between objects: igzip's output for the same input was
 *    seen to differ between two fresh deflaters in one process (valid
 *    either way; check_pmd covers its output-slicing rule).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pmd.h"
#include "wsp_err.h"

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

static int is_takeover(int rc)
{
	return rc == WSP_E_PMD_CLIENT_TAKEOVER ||
	       rc == WSP_E_PMD_SERVER_TAKEOVER;
}

/* ISA-L only: igzip decodes ahead of a small output room and, meeting a
 * bad back-reference, first writes and counts that match's bytes, then
 * reports the error (measured, isa-l 2.30).  pmd names the error by how
 * far into the message it happened, so the name (TOO_BIG, a window or
 * takeover violation, CORRUPT) can change with the slicing.  Until pmd.c
 * no longer depends on that count, the two runs must only agree that the
 * message failed. */
static int isal_error_swap(int ra, int rb)
{
	return ra < 0 && rb < 0;
}

/* bit set in the input and ISA-L built in: ISA-L, else zlib. */
static int pick(int bit)
{
	return bit && pmd_engine_available(PMD_ENGINE_ISAL) ? PMD_ENGINE_ISAL
							    : PMD_ENGINE_ZLIB;
}

static int other(int e)
{
	return e == PMD_ENGINE_ZLIB ? PMD_ENGINE_ISAL : PMD_ENGINE_ZLIB;
}

/* The differential verdict on one message: rz and oz from zlib, ri and oi
 * from ISA-L.  Returns 1 to go on comparing the next message. */
static int agree(int rz, const struct buf *oz, int ri, const struct buf *oi)
{
	if (rz == PMD_DONE && ri == PMD_DONE) {
		REQUIRE(oz->n == oi->n);
		REQUIRE(oz->n == 0 || memcmp(oz->p, oi->p, oz->n) == 0);
		return 1;
	}
	if (rz == WSP_E_PMD_TOO_BIG || ri == WSP_E_PMD_TOO_BIG) {
		/* The limit is the same rule on both: never success on one
		 * side only; both stop after the same bytes. */
		REQUIRE(rz != PMD_DONE && ri != PMD_DONE);
		if (rz == ri) {
			REQUIRE(oz->n == oi->n);
			REQUIRE(oz->n == 0 ||
				memcmp(oz->p, oi->p, oz->n) == 0);
		}
		return 0;
	}
	/* ISA-L checks distances exactly: what zlib catches, it catches. */
	if (is_window(rz) || is_takeover(rz))
		REQUIRE(ri < 0);
	return 0;
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
	int e_pair = pick(data[1] & 0x20);
	int e_defl = pick(data[1] & 0x40);
	int e_infl = pick(data[1] & 0x80);
	int isal = pmd_engine_available(PMD_ENGINE_ISAL);
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
	ic.engine = e_pair;
	REQUIRE(pmd_inflater_new(&a, &ic, NULL) == 0);
	REQUIRE(pmd_inflater_new(&b, &ic, NULL) == 0);
	struct pmd_inflater *x = NULL;
	if (isal) {
		ic.engine = other(e_pair);
		REQUIRE(pmd_inflater_new(&x, &ic, NULL) == 0);
	}
	/* Kept across runs: reallocating them each time made the target
	 * spend most of its time in page faults. */
	static struct buf oa, ob, ox, z1, z2;
	uint64_t rng = seed;
	int same = 1, differ = x != NULL;
	for (size_t i = 0; i < nmsg && (same || differ); i++) {
		const uint8_t *m = data + cuts[i];
		size_t mn = cuts[i + 1] - cuts[i];
		oa.n = 0;
		ob.n = 0;
		ox.n = 0;
		int ra = run(st_inflate, a, m, mn, NULL, &oa);
		if (same) {
			int rb = run(st_inflate, b, m, mn, &rng, &ob);
			if (ra != rb) {
				REQUIRE(e_pair == PMD_ENGINE_ZLIB
						? ic.window_bits < 15 &&
							  (is_window(ra) ||
							   is_window(rb))
						: isal_error_swap(ra, rb));
				same = 0;
			} else if (ra < 0) {
				same = 0;
			} else {
				REQUIRE(oa.n == ob.n && oa.n <= limit);
				REQUIRE(oa.n == 0 ||
					memcmp(oa.p, ob.p, oa.n) == 0);
			}
		}
		if (differ) {
			int rx = run(st_inflate, x, m, mn, NULL, &ox);
			differ = e_pair == PMD_ENGINE_ZLIB
					 ? agree(ra, &oa, rx, &ox)
					 : agree(rx, &ox, ra, &oa);
		}
	}
	pmd_inflater_free(a);
	pmd_inflater_free(b);
	pmd_inflater_free(x);

	/* 2. Round trip: compress in slices and in one go, decompress. */
	struct pmd_deflate_cfg dc;
	struct pmd_deflater *c1 = NULL, *c2 = NULL;
	struct pmd_inflater *d = NULL, *d2 = NULL;
	pmd_deflate_cfg_init(&dc);
	dc.window_bits = wbits;
	dc.no_context_takeover = nt;
	dc.engine = e_defl;
	if (e_defl == PMD_ENGINE_ISAL)
		dc.level = seed & 1 ? 1 : -1; /* its only levels */
	else
		dc.level = (int)(seed % 11) - 1;
	dc.mem_level = 1 + (int)(seed % 9);
	REQUIRE(pmd_deflater_new(&c1, &dc, NULL) == 0);
	REQUIRE(pmd_deflater_new(&c2, &dc, NULL) == 0);
	pmd_inflate_cfg_init(&ic, MAX_OUT);
	ic.window_bits = wbits;
	ic.no_context_takeover = nt;
	ic.peer = WSP_ROLE_CLIENT;
	ic.engine = e_infl;
	REQUIRE(pmd_inflater_new(&d, &ic, NULL) == 0);
	if (isal) {
		ic.engine = other(e_infl);
		REQUIRE(pmd_inflater_new(&d2, &ic, NULL) == 0);
	}
	for (size_t i = 0; i < nmsg; i++) {
		const uint8_t *m = data + cuts[i];
		size_t mn = cuts[i + 1] - cuts[i];
		z1.n = 0;
		z2.n = 0;
		oa.n = 0;
		REQUIRE(run(st_deflate, c1, m, mn, &rng, &z1) == PMD_DONE);
		REQUIRE(run(st_deflate, c2, m, mn, NULL, &z2) == PMD_DONE);
		if (e_defl == PMD_ENGINE_ZLIB && dc.level != 0) {
			REQUIRE(z1.n == z2.n && memcmp(z1.p, z2.p, z1.n) == 0);
		}
		REQUIRE(run(st_inflate, d, z1.p, z1.n, &rng, &oa) == PMD_DONE);
		REQUIRE(oa.n == mn);
		REQUIRE(mn == 0 || memcmp(oa.p, m, mn) == 0);
		if (d2 != NULL) {
			ob.n = 0;
			REQUIRE(run(st_inflate, d2, z1.p, z1.n, &rng, &ob) ==
				PMD_DONE);
			REQUIRE(ob.n == mn);
			REQUIRE(mn == 0 || memcmp(ob.p, m, mn) == 0);
		}
	}
	pmd_deflater_free(c1);
	pmd_deflater_free(c2);
	pmd_inflater_free(d);
	pmd_inflater_free(d2);
	return 0;
}
