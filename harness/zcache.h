/*
 * zcache.h: compressed messages kept for reuse within one run.
 *
 * A compressor that starts every message afresh (permessage-deflate
 * without context takeover on our side) turns the same bytes into the
 * same compressed bytes every time.  The deflate cases send the same
 * windows of the same data set again and again: 12.1 and 13.1-13.7 each
 * send the same 18,000 JSON windows, and compressing them was the largest
 * single cost of the parity run.  This cache lets such a message be
 * compressed once per process and its bytes sent again unchanged: what
 * the peer receives is byte for byte what compressing it anew would give.
 *
 * The caller names the source of the bytes (a data set) and the offset of
 * the message in it; the key also holds the message's length, a CRC-64 of
 * its bytes (zc_checksum: a case that gives two different messages one
 * name gets two entries, not the wrong bytes) and the compressor's
 * parameters.  The CRC guards against mistakes, not attacks: a peer's
 * message (the echo server's) is named by its SHA-256.
 *
 * Memory is bounded: once the stored bytes reach the budget nothing more
 * is stored (what is stored stays; the first data set wins).  Thread-safe;
 * a stored entry never changes or moves until zc_clear, so a pointer
 * zc_find returns stays valid until then.
 */
#ifndef ZC_ZCACHE_H
#define ZC_ZCACHE_H

#include <stddef.h>
#include <stdint.h>

#define ZC_DEFAULT_BUDGET ((size_t)256 << 20)
#define ZC_NAME_MAX 64
/* Smaller messages are not worth an entry: compressing them costs about
 * what looking them up does. */
#define ZC_MIN_LEN 1024

struct zc_key {
	const char *name;    /* the source of the bytes, at most ZC_NAME_MAX */
	size_t name_len;
	uint64_t from;       /* offset of the message in the source */
	size_t len;          /* the message's (uncompressed) length */
	uint64_t check;      /* zc_checksum of the message */
	int engine, level, window_bits, mem_level, strategy;
};

/* A CRC-64 of n bytes (ISA-L's, when built in; else zlib's CRC-32 with
 * the length): about 10 GB/s, a few per cent of compressing them. */
uint64_t zc_checksum(const uint8_t *p, size_t n);

/* Sets the budget in bytes of compressed data (0: store nothing). */
void zc_set_budget(size_t bytes);
size_t zc_budget(void);

/* The stored compressed bytes for k, or NULL. */
const uint8_t *zc_find(const struct zc_key *k, size_t *zlen);

/* Stores a copy of z under k.  0 stored (or already there); -1 when the
 * budget or memory ran out or the name is too long: nothing stored. */
int zc_put(const struct zc_key *k, const uint8_t *z, size_t zlen);

/* Counters since the last zc_clear. */
struct zc_stats {
	uint64_t hits, misses, stored_bytes, entries;
};
void zc_get_stats(struct zc_stats *st);

/* Frees every entry; pointers from zc_find are invalid afterwards. */
void zc_clear(void);

#endif
