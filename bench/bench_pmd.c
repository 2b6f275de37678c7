/*
 * bench_pmd.c: permessage-deflate (proto/pmd.h) against raw zlib at the
 * same settings on the same data: a 128 KiB JSON-like message compressed
 * (window 15, zlib's default level, memLevel 8, default strategy, no context
 * takeover: deflateReset before each message, sync flush, 00 00 ff ff
 * dropped) and decompressed (window 15, 00 00 ff ff appended).  The target
 * is pmd's overhead under 10%: ratio >= 0.9.
 *
 * When ISA-L is built in, its engine (igzip level 1, same window and
 * takeover) is timed in the same run on the same message, and again on
 * 128 KiB of random bytes: compression
 * against raw zlib at level 1 (the nearest zlib setting) and against
 * memcpy, decompression of its own output against raw zlib inflating those
 * same bytes and against memcpy.  These rows have no target: they measure
 * the engine choice, not pmd's overhead.  A note line gives the sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "bench.h"
#include "pmd.h"
#include "zcache.h"

#define MSG_SIZE (128u * 1024u)
#define PER_RUN 4 /* messages per timed run */
#define PMD_REPS (3 * BENCH_REPS) /* short runs, many: see bench.h */

static void die(const char *what)
{
	fprintf(stderr, "wsprobe-bench: %s\n", what);
	exit(1);
}

/* A JSON-like message: an array of records with varying numbers. */
static size_t make_json(char *buf, size_t cap)
{
	static const char *const names[] = {"alice", "bob", "carol", "dave",
					    "erin", "frank", "grace"};
	size_t n = 0;
	uint64_t x = 88172645463325252ull;
	buf[n++] = '[';
	for (unsigned i = 0;; i++) {
		char rec[256];
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int k = snprintf(rec, sizeof(rec),
				 "%s{\"id\":%u,\"user\":\"%s\",\"score\":%llu,"
				 "\"active\":%s,\"tags\":[\"t%llu\",\"ws\"],"
				 "\"ts\":\"2024-%02llu-%02lluT12:%02llu:00Z\"}",
				 i ? "," : "", i, names[x % 7],
				 (unsigned long long)(x >> 40),
				 (x & 1) ? "true" : "false",
				 (unsigned long long)(x >> 20 & 255),
				 (unsigned long long)(x % 12 + 1),
				 (unsigned long long)(x % 28 + 1),
				 (unsigned long long)(x % 60));
		if (k < 0 || (size_t)k + 2 > cap - n)
			break;
		memcpy(buf + n, rec, (size_t)k);
		n += (size_t)k;
	}
	while (n < cap - 1)
		buf[n++] = ' ';
	buf[n++] = ']';
	return n;
}

static size_t zlib_deflate_msg(z_stream *z, const uint8_t *in, size_t n,
			       uint8_t *out, size_t cap)
{
	if (deflateReset(z) != Z_OK)
		die("deflateReset failed");
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)n;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	if (deflate(z, Z_SYNC_FLUSH) != Z_OK || z->avail_in != 0 ||
	    z->avail_out == 0)
		die("zlib deflate failed");
	size_t len = cap - z->avail_out;
	return len - 4; /* drop 00 00 ff ff */
}

static size_t zlib_inflate_msg(z_stream *z, const uint8_t *in, size_t n,
			       uint8_t *out, size_t cap)
{
	if (inflateReset(z) != Z_OK)
		die("inflateReset failed");
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)n;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	int rc = inflate(z, Z_SYNC_FLUSH);
	if ((rc != Z_OK && rc != Z_BUF_ERROR) || z->avail_in != 0)
		die("zlib inflate failed");
	return cap - z->avail_out;
}

static size_t pmd_deflate_msg(struct pmd_deflater *c, const uint8_t *in,
			      size_t n, uint8_t *out, size_t cap)
{
	size_t consumed, produced;
	int rc = pmd_deflate(c, in, n, 1, out, cap, &consumed, &produced);
	if (rc != PMD_DONE || consumed != n)
		die("pmd_deflate failed");
	return produced;
}

static size_t pmd_inflate_msg(struct pmd_inflater *d, const uint8_t *in,
			      size_t n, uint8_t *out, size_t cap)
{
	size_t consumed, produced;
	int rc = pmd_inflate(d, in, n, 1, out, cap, &consumed, &produced);
	if (rc != PMD_DONE || consumed != n)
		die("pmd_inflate failed");
	return produced;
}

static double mbps(double bytes, double *t, size_t n)
{
	return bytes / 1e6 / bench_best(t, n);
}

/* The ISA-L rows for one kind of message (what: "JSON", "random").
 * msg[0..n) is the message, cap the size of every buffer; zn is zlib's
 * level-6 output size (for the note). */
static void bench_isal(const char *what, const uint8_t *msg, size_t n,
		       size_t cap, size_t zn)
{
	char w_comp[64], w_decomp[64];
	snprintf(w_comp, sizeof(w_comp), "pmd isa-l compress, 128 KiB %s",
		 what);
	snprintf(w_decomp, sizeof(w_decomp),
		 "pmd isa-l decompress, 128 KiB %s", what);
	uint8_t *ibuf = malloc(cap), *zbuf = malloc(cap), *zin = malloc(cap);
	uint8_t *out = malloc(cap), *copy = malloc(cap);
	if (ibuf == NULL || zbuf == NULL || zin == NULL || out == NULL ||
	    copy == NULL)
		die("out of memory");
	struct pmd_deflate_cfg dc;
	struct pmd_inflate_cfg ic;
	pmd_deflate_cfg_init(&dc);
	dc.no_context_takeover = 1;
	dc.engine = PMD_ENGINE_ISAL;
	dc.level = 1;
	pmd_inflate_cfg_init(&ic, SIZE_MAX);
	ic.no_context_takeover = 1;
	ic.engine = PMD_ENGINE_ISAL;
	struct pmd_deflater *pc = NULL;
	struct pmd_inflater *pd = NULL;
	if (pmd_deflater_new(&pc, &dc, NULL) != 0 ||
	    pmd_inflater_new(&pd, &ic, NULL) != 0)
		die("pmd isa-l init failed");
	z_stream zd, zi;
	memset(&zd, 0, sizeof(zd));
	memset(&zi, 0, sizeof(zi));
	if (deflateInit2(&zd, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
		    Z_OK ||
	    inflateInit2(&zi, -15) != Z_OK)
		die("zlib init failed");

	/* Check once before timing: ISA-L's payload is read back by both
	 * inflaters. */
	size_t in_ = pmd_deflate_msg(pc, msg, n, ibuf, cap);
	size_t z1n = zlib_deflate_msg(&zd, msg, n, zbuf, cap);
	memcpy(zin, ibuf, in_);
	memcpy(zin + in_, "\x00\x00\xff\xff", 4);
	if (zlib_inflate_msg(&zi, zin, in_ + 4, out, cap) != n ||
	    memcmp(out, msg, n) != 0)
		die("zlib cannot read isa-l's payload");
	if (pmd_inflate_msg(pd, ibuf, in_, out, cap) != n ||
	    memcmp(out, msg, n) != 0)
		die("pmd isa-l inflate mismatch");

	double t_ours[PMD_REPS], t_z[PMD_REPS], t_mc[PMD_REPS];
	for (int r = 0; r < PMD_REPS; r++) {
		double t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			pmd_deflate_msg(pc, msg, n, ibuf, cap);
		t_ours[r] = bench_now() - t0;
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			zlib_deflate_msg(&zd, msg, n, zbuf, cap);
		t_z[r] = bench_now() - t0;
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			bench_memcpy(copy, msg, n);
		t_mc[r] = bench_now() - t0;
		bench_consume(ibuf, in_);
		bench_consume(zbuf, z1n);
		bench_consume(copy, n);
	}
	double bytes = (double)n * PER_RUN;
	struct bench_row row = {
		.workload = w_comp,
		.ours = mbps(bytes, t_ours, PMD_REPS),
		.baseline = "zlib deflate -1 raw",
		.base = mbps(bytes, t_z, PMD_REPS),
		.unit = "MB/s",
		.target = 0,
	};
	bench_print(&row);
	row.baseline = "memcpy";
	row.base = mbps(bytes, t_mc, PMD_REPS);
	bench_print(&row);

	for (int r = 0; r < PMD_REPS; r++) {
		double t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			pmd_inflate_msg(pd, ibuf, in_, out, cap);
		t_ours[r] = bench_now() - t0;
		bench_consume(out, n);
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			zlib_inflate_msg(&zi, zin, in_ + 4, out, cap);
		t_z[r] = bench_now() - t0;
		bench_consume(out, n);
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			bench_memcpy(copy, msg, n);
		t_mc[r] = bench_now() - t0;
		bench_consume(copy, n);
	}
	row.workload = w_decomp;
	row.ours = mbps(bytes, t_ours, PMD_REPS);
	row.baseline = "zlib inflate (raw)";
	row.base = mbps(bytes, t_z, PMD_REPS);
	bench_print(&row);
	row.baseline = "memcpy";
	row.base = mbps(bytes, t_mc, PMD_REPS);
	bench_print(&row);
	printf("  pmd: %zu-byte %s message compresses to %zu (zlib -1: %zu, "
	       "isa-l: %zu)\n",
	       n, what, zn, z1n, in_);

	pmd_deflater_free(pc);
	pmd_inflater_free(pd);
	deflateEnd(&zd);
	inflateEnd(&zi);
	free(ibuf);
	free(zbuf);
	free(zin);
	free(out);
	free(copy);
}

/* What a cached message costs (harness/zcache.h) against compressing it
 * anew as the session would (the default engine at level 1, no context
 * takeover): a lookup by name and CRC-64 (12.x/13.x in wsprobe client),
 * and by SHA-256 and CRC-64 of the message (wsprobe echo, which hashes
 * every message it may look up).  The rows measure the claim that a hit is far cheaper. */
static void bench_zcache(const uint8_t *msg, size_t n, size_t cap)
{
	uint8_t *zbuf = malloc(cap);
	if (zbuf == NULL)
		die("out of memory");
	struct pmd_deflate_cfg dc;
	pmd_deflate_cfg_init(&dc);
	dc.no_context_takeover = 1;
	dc.level = 1;
	dc.engine = pmd_engine_available(PMD_ENGINE_ISAL) ? PMD_ENGINE_ISAL
							  : PMD_ENGINE_ZLIB;
	struct pmd_deflater *pc = NULL;
	if (pmd_deflater_new(&pc, &dc, NULL) != 0)
		die("pmd init failed");
	size_t zn = pmd_deflate_msg(pc, msg, n, zbuf, cap);
	zc_clear();
	zc_set_budget(ZC_DEFAULT_BUDGET);
	uint8_t name[7 + SHA256_DIGEST_LENGTH];
	memcpy(name, "sha256:", 7);
	if (EVP_Digest(msg, n, name + 7, NULL, EVP_sha256(), NULL) != 1)
		die("SHA-256 failed");
	struct zc_key byname = {
		.name = "deflate_data set 1", .name_len = 18, .from = 1,
		.len = n, .check = zc_checksum(msg, n),
		.engine = dc.engine, .level = dc.level,
		.window_bits = dc.window_bits, .mem_level = dc.mem_level,
		.strategy = dc.strategy,
	};
	struct zc_key bydigest = byname;
	bydigest.name = (const char *)name;
	bydigest.name_len = sizeof(name);
	if (zc_put(&byname, zbuf, zn) != 0 || zc_put(&bydigest, zbuf, zn) != 0)
		die("zc_put failed");

	double t_name[PMD_REPS], t_sha[PMD_REPS], t_new[PMD_REPS];
	for (int r = 0; r < PMD_REPS; r++) {
		size_t got = 0;
		double t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++) {
			/* As the session does: the CRC-64 of the message
			 * is part of the key. */
			byname.check = zc_checksum(msg, n);
			const uint8_t *z = zc_find(&byname, &got);
			if (z == NULL || got != zn)
				die("zc_find missed");
			bench_consume(z, 8);
		}
		t_name[r] = bench_now() - t0;
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++) {
			EVP_Digest(msg, n, name + 7, NULL, EVP_sha256(), NULL);
			bydigest.check = zc_checksum(msg, n);
			const uint8_t *z = zc_find(&bydigest, &got);
			if (z == NULL || got != zn)
				die("zc_find missed");
			bench_consume(z, 8);
		}
		t_sha[r] = bench_now() - t0;
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			pmd_deflate_msg(pc, msg, n, zbuf, cap);
		t_new[r] = bench_now() - t0;
		bench_consume(zbuf, zn);
	}
	double bytes = (double)n * PER_RUN;
	struct bench_row row = {
		.workload = "zcache hit by name + CRC-64, 128 KiB JSON",
		.ours = mbps(bytes, t_name, PMD_REPS),
		.baseline = "pmd compress anew (level 1)",
		.base = mbps(bytes, t_new, PMD_REPS),
		.unit = "MB/s",
		.target = 0,
	};
	bench_print(&row);
	row.workload = "zcache hit by SHA-256 + CRC-64, 128 KiB JSON";
	row.ours = mbps(bytes, t_sha, PMD_REPS);
	bench_print(&row);
	zc_clear();
	pmd_deflater_free(pc);
	free(zbuf);
}

void bench_pmd(void)
{
	size_t cap = 2 * MSG_SIZE + 1024;
	char *json = malloc(MSG_SIZE);
	uint8_t *zbuf = malloc(cap), *pbuf = malloc(cap);
	uint8_t *zin = malloc(cap), *out = malloc(cap);
	if (json == NULL || zbuf == NULL || pbuf == NULL || zin == NULL ||
	    out == NULL)
		die("out of memory");
	size_t n = make_json(json, MSG_SIZE);
	const uint8_t *msg = (const uint8_t *)json;

	struct pmd_deflate_cfg dc;
	struct pmd_inflate_cfg ic;
	pmd_deflate_cfg_init(&dc);
	dc.no_context_takeover = 1;
	pmd_inflate_cfg_init(&ic, SIZE_MAX);
	ic.no_context_takeover = 1;
	struct pmd_deflater *pc = NULL;
	struct pmd_inflater *pd = NULL;
	if (pmd_deflater_new(&pc, &dc, NULL) != 0 ||
	    pmd_inflater_new(&pd, &ic, NULL) != 0)
		die("pmd init failed");
	z_stream zd, zi;
	memset(&zd, 0, sizeof(zd));
	memset(&zi, 0, sizeof(zi));
	if (deflateInit2(&zd, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK ||
	    inflateInit2(&zi, -15) != Z_OK)
		die("zlib init failed");

	/* Same settings, same bytes out: check once before timing. */
	size_t zn = zlib_deflate_msg(&zd, msg, n, zbuf, cap);
	size_t pn = pmd_deflate_msg(pc, msg, n, pbuf, cap);
	if (zn != pn || memcmp(zbuf, pbuf, zn) != 0)
		die("pmd and zlib compress differently");
	memcpy(zin, pbuf, pn);
	memcpy(zin + pn, "\x00\x00\xff\xff", 4);
	if (zlib_inflate_msg(&zi, zin, pn + 4, out, cap) != n ||
	    memcmp(out, msg, n) != 0)
		die("zlib inflate mismatch");
	if (pmd_inflate_msg(pd, pbuf, pn, out, cap) != n ||
	    memcmp(out, msg, n) != 0)
		die("pmd inflate mismatch");

	double t_ours[PMD_REPS], t_base[PMD_REPS];
	for (int r = 0; r < PMD_REPS; r++) {
		double t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			pmd_deflate_msg(pc, msg, n, pbuf, cap);
		t_ours[r] = bench_now() - t0;
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			zlib_deflate_msg(&zd, msg, n, zbuf, cap);
		t_base[r] = bench_now() - t0;
		bench_consume(pbuf, pn);
		bench_consume(zbuf, zn);
	}
	double mb = (double)n * PER_RUN / 1e6;
	struct bench_row row = {
		.workload = "pmd compress, 128 KiB JSON",
		.ours = mb / bench_best(t_ours, PMD_REPS),
		.baseline = "zlib deflate (raw)",
		.base = mb / bench_best(t_base, PMD_REPS),
		.unit = "MB/s",
		.target = 0.9,
	};
	bench_print(&row);

	for (int r = 0; r < PMD_REPS; r++) {
		double t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			pmd_inflate_msg(pd, pbuf, pn, out, cap);
		t_ours[r] = bench_now() - t0;
		bench_consume(out, n);
		t0 = bench_now();
		for (int i = 0; i < PER_RUN; i++)
			zlib_inflate_msg(&zi, zin, pn + 4, out, cap);
		t_base[r] = bench_now() - t0;
		bench_consume(out, n);
	}
	row.workload = "pmd decompress, 128 KiB JSON";
	row.ours = mb / bench_best(t_ours, PMD_REPS);
	row.baseline = "zlib inflate (raw)";
	row.base = mb / bench_best(t_base, PMD_REPS);
	bench_print(&row);

	if (pmd_engine_available(PMD_ENGINE_ISAL)) {
		bench_isal("JSON", msg, n, cap, zn);
		/* Bytes that do not compress (an LCG's top bytes), like the
		 * PDF-like data set of 12.5.x: igzip stores such a block only
		 * when its output room holds all of it (proto/pmd.c). */
		uint8_t *rnd = malloc(MSG_SIZE);
		if (rnd == NULL)
			die("out of memory");
		uint64_t x = 1;
		for (size_t i = 0; i < MSG_SIZE; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			rnd[i] = (uint8_t)(x >> 56);
		}
		size_t rzn = zlib_deflate_msg(&zd, rnd, MSG_SIZE, zbuf, cap);
		bench_isal("random", rnd, MSG_SIZE, cap, rzn);
		free(rnd);
	} else
		printf("  pmd: ISA-L not built in (ISAL=0): no isa-l rows\n");
	bench_zcache(msg, n, cap);

	pmd_deflater_free(pc);
	pmd_inflater_free(pd);
	deflateEnd(&zd);
	inflateEnd(&zi);
	free(json);
	free(zbuf);
	free(pbuf);
	free(zin);
	free(out);
}
