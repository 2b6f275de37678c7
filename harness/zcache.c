/*
 * zcache.c: compressed messages kept for reuse (zcache.h).
 *
 * A fixed array of bucket chains under one mutex: a run stores at most a
 * few tens of thousands of entries, and a lookup is a hash of the key, not
 * of the message, so the lock is held for well under a microsecond.
 */
#include "zcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef WSP_HAVE_ISAL
#include <isa-l/crc64.h>
#endif

#define NBUCKETS 65536u

struct entry {
	struct entry *next;
	uint64_t hash;
	char name[ZC_NAME_MAX];
	size_t name_len;
	uint64_t from;
	size_t len;
	uint64_t check;
	int engine, level, window_bits, mem_level, strategy;
	size_t zlen;
	uint8_t z[]; /* the compressed bytes */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **buckets;
static size_t budget = ZC_DEFAULT_BUDGET;
static struct zc_stats stats;

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ULL; /* FNV-1a's prime, over 64-bit words */
	return h ^ (h >> 29);
}

static uint64_t key_hash(const struct zc_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < k->name_len; i++)
		h = mix(h, (unsigned char)k->name[i]);
	h = mix(h, k->from);
	h = mix(h, k->len);
	h = mix(h, k->check);
	h = mix(h, (uint64_t)(unsigned)k->engine << 32 | (unsigned)k->level);
	h = mix(h, (uint64_t)(unsigned)k->window_bits << 32 |
			   (unsigned)k->mem_level);
	return mix(h, (unsigned)k->strategy);
}

static int same(const struct entry *e, uint64_t h, const struct zc_key *k)
{
	return e->hash == h && e->name_len == k->name_len &&
	       memcmp(e->name, k->name, k->name_len) == 0 &&
	       e->from == k->from && e->len == k->len &&
	       e->check == k->check &&
	       e->engine == k->engine && e->level == k->level &&
	       e->window_bits == k->window_bits &&
	       e->mem_level == k->mem_level && e->strategy == k->strategy;
}

uint64_t zc_checksum(const uint8_t *p, size_t n)
{
#ifdef WSP_HAVE_ISAL
	return crc64_ecma_refl(0, p, (uint64_t)n);
#else
	uLong crc = crc32(0L, Z_NULL, 0);
	size_t left = n;
	while (left > 0) { /* crc32 takes a uInt length */
		uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
		crc = crc32(crc, p, chunk);
		p += chunk;
		left -= chunk;
	}
	return (uint64_t)crc << 32 ^ (uint64_t)n;
#endif
}

void zc_set_budget(size_t bytes)
{
	pthread_mutex_lock(&lock);
	budget = bytes;
	pthread_mutex_unlock(&lock);
}

size_t zc_budget(void)
{
	pthread_mutex_lock(&lock);
	size_t b = budget;
	pthread_mutex_unlock(&lock);
	return b;
}

const uint8_t *zc_find(const struct zc_key *k, size_t *zlen)
{
	uint64_t h = key_hash(k);
	const uint8_t *found = NULL;
	pthread_mutex_lock(&lock);
	if (buckets != NULL) {
		for (struct entry *e = buckets[h % NBUCKETS]; e; e = e->next) {
			if (same(e, h, k)) {
				found = e->z;
				*zlen = e->zlen;
				break;
			}
		}
	}
	if (found != NULL)
		stats.hits++;
	else
		stats.misses++;
	pthread_mutex_unlock(&lock);
	return found;
}

int zc_put(const struct zc_key *k, const uint8_t *z, size_t zlen)
{
	if (k->name_len > ZC_NAME_MAX)
		return -1;
	uint64_t h = key_hash(k);
	int rc = -1;
	pthread_mutex_lock(&lock);
	if (zlen > budget || stats.stored_bytes > budget - zlen)
		goto out;
	if (buckets == NULL) {
		buckets = calloc(NBUCKETS, sizeof(*buckets));
		if (buckets == NULL)
			goto out;
	}
	struct entry **head = &buckets[h % NBUCKETS];
	for (struct entry *e = *head; e; e = e->next) {
		if (same(e, h, k)) {
			rc = 0; /* another thread stored it first */
			goto out;
		}
	}
	struct entry *e = malloc(sizeof(*e) + zlen);
	if (e == NULL)
		goto out;
	e->hash = h;
	memcpy(e->name, k->name, k->name_len);
	e->name_len = k->name_len;
	e->from = k->from;
	e->len = k->len;
	e->check = k->check;
	e->engine = k->engine;
	e->level = k->level;
	e->window_bits = k->window_bits;
	e->mem_level = k->mem_level;
	e->strategy = k->strategy;
	e->zlen = zlen;
	if (zlen != 0)
		memcpy(e->z, z, zlen);
	e->next = *head;
	*head = e;
	stats.stored_bytes += zlen;
	stats.entries++;
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

void zc_get_stats(struct zc_stats *st)
{
	pthread_mutex_lock(&lock);
	*st = stats;
	pthread_mutex_unlock(&lock);
}

void zc_clear(void)
{
	pthread_mutex_lock(&lock);
	if (buckets != NULL) {
		for (size_t i = 0; i < NBUCKETS; i++) {
			struct entry *e = buckets[i];
			while (e != NULL) {
				struct entry *next = e->next;
				free(e);
				e = next;
			}
		}
		free(buckets);
		buckets = NULL;
	}
	memset(&stats, 0, sizeof(stats));
	pthread_mutex_unlock(&lock);
}
