/*
 * lib.h: helpers shared by every Check suite (tests/check_<module>.c).
 *
 * - tl_hex: hex literals ("81 05 48 65") into bytes, so RFC examples can be
 *   written as they appear in the text.
 * - tl_guard_*: a copy of the input that ends exactly at a PROT_NONE page,
 *   so reading one byte past it crashes the test (picohttpparser's trick).
 * - tl_chunk_*: chunk schedules (all at once, one byte at a time, random
 *   sizes from a seed) for proving that chunking never changes a result.
 * - tl_failmem: a struct wsp_mem whose N-th allocation fails.
 * - tl_cert_write, tl_certdir_*: a throwaway self-signed certificate and key
 *   for the TLS tests.
 * - tl_echo_*: wsprobe's echo server in a thread, for the end-to-end tests.
 * - tl_cap_each: every packet of a capture file, and how the file ended.
 *
 * Every suite exports Suite *<module>_suite(void) from tests/check_<module>.c;
 * the Makefile lists them for check_main.c, so adding a suite needs no edit
 * anywhere else.
 */
#ifndef TESTS_LIB_H
#define TESTS_LIB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "cap.h"
#include "echo.h"
#include "res.h"
#include "wsp_mem.h"

/* Every suite factory, one per tests/check_<module>.c (suites.h is generated
 * by the Makefile). */
#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

/* Parses hex digit pairs from hex, skipping spaces, into out[0..cap).
 * Returns the number of bytes; aborts the test on a bad digit or overflow. */
size_t tl_hex(const char *hex, uint8_t *out, size_t cap);

/* A buffer whose last byte sits right before an inaccessible page. */
struct tl_guard {
	uint8_t *data; /* n bytes ending at the guard page */
	size_t n;
	void *map;     /* private */
	size_t maplen; /* private */
};

/* Copies src[0..n) into a guarded buffer (n may be 0; data then points at
 * the guard page itself).  The copy is writable. */
void tl_guard_init(struct tl_guard *g, const void *src, size_t n);
void tl_guard_free(struct tl_guard *g);

/* Chunk schedules. */
enum tl_chunk_mode {
	TL_CHUNK_ALL = 0, /* everything in one call */
	TL_CHUNK_ONE = 1, /* one byte per call */
	TL_CHUNK_RANDOM = 2 /* 1..max_random bytes per call, from a seed */
};

struct tl_chunker {
	enum tl_chunk_mode mode;
	uint64_t rng;
	size_t max_random;
};

void tl_chunker_init(struct tl_chunker *c, enum tl_chunk_mode mode,
		     uint64_t seed);
/* The size of the next chunk, at most remaining (and at least 1 when
 * remaining > 0). */
size_t tl_chunk_next(struct tl_chunker *c, size_t remaining);

/* A deterministic xorshift generator for test data. */
uint64_t tl_rand(uint64_t *state);

/* The count under key in a results statistic (frames per opcode, reads or
 * writes per size), 0 when the key is absent. */
uint64_t tl_stat_count(const struct res_stats *st, uint64_t key);

/* An allocator whose allocation number fail_at (counting from 0) and every
 * later one fail; fail_at < 0 never fails.  tl_failmem_count tells how many
 * allocations were attempted. */
struct tl_failmem {
	struct wsp_mem mem;
	long fail_at;
	long count;
};
void tl_failmem_init(struct tl_failmem *f, long fail_at);

/* Writes a throwaway self-signed certificate (P-256, CA:TRUE, valid from an
 * hour ago for a day, subject CN=cn, subjectAltName san such as
 * "DNS:localhost,IP:127.0.0.1") and its private key as PEM files
 * dir/cert.pem and dir/key.pem; their paths go into cert[0..cap) and
 * key[0..cap).  dir must exist; the caller removes the files.  Fails the
 * test on any error. */
void tl_cert_write(const char *dir, const char *cn, const char *san,
		   char *cert, char *key, size_t cap);

/* A temporary folder holding a tl_cert_write certificate for "localhost"
 * (subjectAltName san) and its key. */
struct tl_certdir {
	char dir[64];
	char cert[128]; /* dir/cert.pem */
	char key[128];  /* dir/key.pem */
};

/* Creates the folder under /tmp and writes the files; fails the test on
 * any error.  tl_certdir_remove removes them. */
void tl_certdir_make(struct tl_certdir *cd, const char *san);
void tl_certdir_remove(const struct tl_certdir *cd);

/* Removes the folder dir and everything in it (rm -rf); dir must be under
 * /tmp/ (a test's own mkdtemp folder).  Fails the test otherwise. */
void tl_rm_rf(const char *dir);

/* wsprobe's echo server (echo_serve) in a thread on 127.0.0.1, any free
 * port: port is set once it listens. */
struct tl_echo {
	pthread_t th;
	struct echo_opts o;
	volatile int stop;
	volatile int port;
	char err[256];
};

/* Starts e, TLS with cert and key (both NULL: plain TCP); fails the test
 * when it is not listening within 5 s.  Stop it with tl_echo_stop. */
void tl_echo_start(struct tl_echo *e, const char *cert, const char *key);
void tl_echo_stop(struct tl_echo *e);

/* Reads the capture file buf[0..len) with rd (cap_reader_init'ed by the
 * caller, which may read its header fields afterwards) record by record,
 * calling fn(p, user) for every packet (records without one, such as
 * interface blocks, are skipped).  Returns 0 at a clean end, else the error
 * the reader stopped with: cap_next's, or cap_end's when the data ends
 * inside a record.  buf is the caller's; fn may modify the packet bytes. */
int tl_cap_each(struct cap_reader *rd, uint8_t *buf, size_t len,
		void (*fn)(struct cap_pkt *p, void *user), void *user);

#endif
