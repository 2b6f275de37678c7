/*
 * fuzz_rw_scan.c: the wire-log scan of reports/res_wire.h (rw_*), which
 * reads the bytes a case recorded back into heads, frames and raw bytes
 * for the statistics, index.html, the JUnit excerpt and Autobahn's
 * wirelog.  Peer bytes reach it unchecked, so it must stay in bounds and
 * give the same items however the bytes were recorded.
 *
 * Input layout: byte 0 is the set-up: bit 0 "wsprobe was the client",
 * bit 1 RSV1 allowed (permessage-deflate agreed), bits 2-3 pick the payload
 * bytes kept per item for the third scan (0, 2, 125 or all).  Then records:
 * one byte (bit 7 the direction, bits 0-6 the length, clipped to what is
 * left) and that many bytes.  At most 4096 bytes (max_len in
 * fuzz/oss-fuzz/build.sh): scan 2 feeds every byte alone.
 *
 * Three scans of the same records, each folding every item (kind,
 * direction, records, header fields, violations, totals, completeness) into
 * a digest:
 *   1. each record fed whole, every payload byte kept;
 *   2. each record fed one byte at a time (same record numbers): the same
 *      items, byte for byte;
 *   3. as 1 with the kept bytes capped: the same items, each keeping
 *      exactly the first min(cap, len) bytes of what scan 1 kept (wsf_skip
 *      passes over the rest of a payload).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "res_wire.h"
#include "wsp.h"

#define MAX_ITEMS 4096

struct fold {
	uint64_t h;                  /* FNV-1a over the items but kept data */
	uint64_t hd;                 /* the same with the kept data */
	size_t n;                    /* items seen */
	/* Scan 1 keeps each item's data here for scan 3 to compare. */
	uint8_t *data[MAX_ITEMS];
	size_t len[MAX_ITEMS];
	const struct fold *ref;      /* scan 3: scan 1's fold */
	size_t cap;                  /* scan 3: the bytes kept per item */
	int save;
};

static void mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ull;
	}
}

static void mix_u64(struct fold *f, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	mix(&f->h, b, 8);
}

static void on_item(void *ctx, const struct rw_item *it)
{
	struct fold *f = ctx;
	mix_u64(f, (uint64_t)it->kind);
	mix_u64(f, (uint64_t)it->dir);
	mix_u64(f, it->first_rec);
	mix_u64(f, it->last_rec);
	mix_u64(f, it->total);
	mix_u64(f, (uint64_t)it->complete);
	if (it->kind == RW_FRAME) {
		const struct wsf_header *hd = &it->hdr;
		mix_u64(f, hd->fin);
		mix_u64(f, hd->rsv);
		mix_u64(f, hd->opcode);
		mix_u64(f, hd->masked);
		if (hd->masked)
			mix(&f->h, hd->mask_key, 4);
		mix_u64(f, hd->len_form);
		mix_u64(f, hd->header_len);
		mix_u64(f, hd->payload_len);
		mix_u64(f, it->nviol);
		for (size_t i = 0; i < it->nviol && i < WSF_MAX_VIOL; i++)
			mix_u64(f, (uint64_t)it->viol[i]);
	}
	/* Never more than was seen, and never a pointer without bytes. */
	REQUIRE(it->len <= it->total);
	REQUIRE(it->len == 0 || it->data != NULL);
	uint64_t hd = f->h;
	mix(&hd, it->data, it->len);
	f->hd ^= hd + f->n;
	if (f->n < MAX_ITEMS) {
		if (f->save) {
			f->data[f->n] = it->len ? malloc(it->len) : NULL;
			REQUIRE(it->len == 0 || f->data[f->n] != NULL);
			if (it->len)
				memcpy(f->data[f->n], it->data, it->len);
			f->len[f->n] = it->len;
		} else if (f->ref != NULL && f->n < f->ref->n) {
			/* Scan 3: the first cap bytes of what scan 1
			 * kept. */
			size_t want = f->ref->len[f->n];
			REQUIRE(it->len == (want < f->cap ? want : f->cap));
			REQUIRE(it->len == 0 ||
				memcmp(it->data, f->ref->data[f->n], it->len) ==
					0);
		}
	}
	f->n++;
}

struct rec {
	int dir;
	const uint8_t *p;
	size_t n;
};

static void scan(const struct rec *r, size_t nr, int we_client, uint8_t rsv,
		 size_t keep, int bytewise, struct fold *f)
{
	struct rw_scan s;
	rw_init(&s, we_client, rsv, keep, on_item, f);
	for (size_t i = 0; i < nr; i++) {
		/* Each record from an exactly-sized copy: a read past it is
		 * caught. */
		uint8_t *copy = malloc(r[i].n ? r[i].n : 1);
		REQUIRE(copy != NULL);
		if (r[i].n)
			memcpy(copy, r[i].p, r[i].n);
		if (!bytewise)
			rw_feed(&s, r[i].dir, i, copy, r[i].n);
		for (size_t k = 0; bytewise && k < r[i].n; k++)
			rw_feed(&s, r[i].dir, i, copy + k, 1);
		free(copy);
	}
	REQUIRE(!s.oom);
	rw_finish(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[4] = {0, 2, 125, SIZE_MAX};
	if (size < 1 || size > 4096)
		return 0;
	int we_client = data[0] & 1;
	uint8_t rsv = (data[0] & 2) ? WSP_RSV1 : 0;
	size_t cap = caps[(data[0] >> 2) & 3];
	struct rec *r = malloc(sizeof(*r) * size);
	REQUIRE(r != NULL);
	size_t nr = 0;
	for (size_t at = 1; at < size;) {
		size_t n = data[at] & 0x7f;
		int dir = data[at] >> 7;
		at++;
		if (n > size - at)
			n = size - at;
		r[nr++] = (struct rec){dir, data + at, n};
		at += n;
	}

	static struct fold a, b, c;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.save = 1;
	scan(r, nr, we_client, rsv, SIZE_MAX, 0, &a);
	scan(r, nr, we_client, rsv, SIZE_MAX, 1, &b);
	REQUIRE(a.n == b.n && a.h == b.h && a.hd == b.hd);
	c.ref = &a;
	c.cap = cap;
	scan(r, nr, we_client, rsv, cap, 0, &c);
	REQUIRE(a.n == c.n && a.h == c.h);
	if (cap == SIZE_MAX)
		REQUIRE(a.hd == c.hd);
	for (size_t i = 0; i < a.n && i < MAX_ITEMS; i++)
		free(a.data[i]);
	free(r);
	return 0;
}
