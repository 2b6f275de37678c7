/*
 * check_zcache.c: the cache of compressed messages (harness/zcache.h): a
 * stored form is found only under the same name, offset, length and
 * compressor parameters; the budget bounds what is stored and refuses the
 * rest; entries stay where they are while others are added from two
 * threads; and the premise the cache rests on, that a compressor starting
 * each message afresh gives the same bytes for the same message whatever
 * came before, holds for both engines.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib.h"
#include "pmd.h"
#include "zcache.h"

static struct zc_key key(const char *name, uint64_t from, size_t len)
{
	struct zc_key k = {
		.name = name,
		.name_len = strlen(name),
		.from = from,
		.len = len,
		.engine = 1,
		.level = 1,
		.window_bits = 15,
		.mem_level = 8,
		.strategy = 0,
	};
	return k;
}

START_TEST(zcache_finds_only_the_same_key)
{
	zc_clear();
	zc_set_budget(ZC_DEFAULT_BUDGET);
	struct zc_key k = key("set 1", 100, 4096);
	static const uint8_t z[] = { 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 };
	size_t zlen = 0;
	ck_assert_ptr_null(zc_find(&k, &zlen));
	ck_assert_int_eq(zc_put(&k, z, sizeof(z)), 0);
	const uint8_t *got = zc_find(&k, &zlen);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(zlen, sizeof(z));
	ck_assert_mem_eq(got, z, sizeof(z));
	/* Storing it again keeps the first copy where it is. */
	ck_assert_int_eq(zc_put(&k, z, sizeof(z)), 0);
	ck_assert_ptr_eq(zc_find(&k, &zlen), got);
	/* Every part of the key counts. */
	struct zc_key other[9];
	for (int i = 0; i < 9; i++)
		other[i] = k;
	other[8].check = 1;
	other[0].name = "set 2";
	other[1].name_len = 4; /* "set " */
	other[2].from = 101;
	other[3].len = 4097;
	other[4].engine = 0;
	other[5].level = 6;
	other[6].window_bits = 9;
	other[7].strategy = 1;
	for (int i = 0; i < 9; i++)
		ck_assert_msg(zc_find(&other[i], &zlen) == NULL, "key part %d", i);
	struct zc_key mem = k;
	mem.mem_level = 9;
	ck_assert_ptr_null(zc_find(&mem, &zlen));
	struct zc_stats st;
	zc_get_stats(&st);
	ck_assert_uint_eq(st.entries, 1);
	ck_assert_uint_eq(st.stored_bytes, sizeof(z));
	ck_assert_uint_eq(st.hits, 2);
	ck_assert_uint_eq(st.misses, 11);
	zc_clear();
	ck_assert_ptr_null(zc_find(&k, &zlen));
}
END_TEST

START_TEST(zcache_checksum_tells_messages_apart)
{
	static uint8_t a[4096], b[4096];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 31 + (i >> 7));
	ck_assert_uint_eq(zc_checksum(a, sizeof(a)), zc_checksum(b, sizeof(b)));
	/* One bit anywhere, or one byte more or less, changes it. */
	static const size_t at[] = { 0, 1, 2047, 4095 };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		b[at[i]] ^= 0x10;
		ck_assert_uint_ne(zc_checksum(a, sizeof(a)),
				  zc_checksum(b, sizeof(b)));
		b[at[i]] ^= 0x10;
	}
	ck_assert_uint_ne(zc_checksum(a, 100), zc_checksum(a, 101));
	static const uint8_t zeros[2] = { 0, 0 };
	ck_assert_uint_ne(zc_checksum(zeros, 1), zc_checksum(zeros, 2));
}
END_TEST

START_TEST(zcache_budget_bounds_what_is_stored)
{
	zc_clear();
	static uint8_t z[1000];
	memset(z, 0xab, sizeof(z));
	zc_set_budget(2500);
	struct zc_key a = key("b", 0, 2048), b = key("b", 1, 2048),
		      c = key("b", 2, 2048), d = key("b", 3, 2048);
	ck_assert_int_eq(zc_put(&a, z, 1000), 0);
	ck_assert_int_eq(zc_put(&b, z, 1000), 0);
	/* 3000 would pass 2500: refused, and nothing of it kept. */
	ck_assert_int_eq(zc_put(&c, z, 1000), -1);
	ck_assert_int_eq(zc_put(&d, z, 500), 0); /* exactly the budget */
	size_t zlen;
	ck_assert_ptr_nonnull(zc_find(&a, &zlen));
	ck_assert_ptr_nonnull(zc_find(&b, &zlen));
	ck_assert_ptr_null(zc_find(&c, &zlen));
	ck_assert_ptr_nonnull(zc_find(&d, &zlen));
	struct zc_stats st;
	zc_get_stats(&st);
	ck_assert_uint_eq(st.stored_bytes, 2500);
	ck_assert_uint_eq(st.entries, 3);
	/* A message larger than the whole budget, and budget 0. */
	struct zc_key e = key("b", 4, 4096);
	ck_assert_int_eq(zc_put(&e, z, sizeof(z)), -1);
	zc_clear();
	zc_set_budget(0);
	ck_assert_int_eq(zc_put(&a, z, 1), -1);
	/* A name longer than ZC_NAME_MAX is refused, not cut. */
	char longname[ZC_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	zc_set_budget(ZC_DEFAULT_BUDGET);
	struct zc_key l = key(longname, 0, 2048);
	ck_assert_int_eq(zc_put(&l, z, 10), -1);
	ck_assert_ptr_null(zc_find(&l, &zlen));
	zc_clear();
}
END_TEST

struct filler {
	int base;
	int ok;
};

static void *fill(void *arg)
{
	struct filler *f = arg;
	uint8_t z[64];
	f->ok = 1;
	for (int i = 0; i < 2000; i++) {
		/* Half the keys are shared with the other thread. */
		int n = i % 2 ? f->base + i : i;
		memset(z, n & 0xff, sizeof(z));
		struct zc_key k = key("threads", (uint64_t)n, 2048);
		if (zc_put(&k, z, sizeof(z)) != 0)
			f->ok = 0;
		size_t zlen;
		const uint8_t *got = zc_find(&k, &zlen);
		if (got == NULL || zlen != sizeof(z) || got[0] != (n & 0xff))
			f->ok = 0;
	}
	return NULL;
}

START_TEST(zcache_two_threads_store_and_find)
{
	zc_clear();
	zc_set_budget(ZC_DEFAULT_BUDGET);
	struct filler f1 = { 100000, 0 }, f2 = { 200000, 0 };
	pthread_t t1, t2;
	ck_assert_int_eq(pthread_create(&t1, NULL, fill, &f1), 0);
	ck_assert_int_eq(pthread_create(&t2, NULL, fill, &f2), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ck_assert_int_eq(f1.ok, 1);
	ck_assert_int_eq(f2.ok, 1);
	struct zc_stats st;
	zc_get_stats(&st);
	/* 1000 shared even keys, 1000 odd ones each. */
	ck_assert_uint_eq(st.entries, 3000);
	ck_assert_uint_eq(st.stored_bytes, 3000 * 64);
	zc_clear();
}
END_TEST

/* One whole message through a fresh-each-message compressor. */
static size_t squeeze(struct pmd_deflater *c, const uint8_t *m, size_t n,
		      uint8_t *out, size_t cap)
{
	size_t consumed = 0, produced = 0;
	int rc = pmd_deflate(c, m, n, 1, out, cap, &consumed, &produced);
	ck_assert_int_eq(rc, PMD_DONE);
	ck_assert_uint_eq(consumed, n);
	return produced;
}

START_TEST(zcache_premise_fresh_compressor_repeats_itself)
{
	/* What the cache relies on (R7692-7.1.1.1: without context
	 * takeover every message starts with an empty window): the same
	 * message compresses to the same bytes after different messages. */
	static uint8_t m[8192], other[8192], a[9000], b[9000];
	for (size_t i = 0; i < sizeof(m); i++) {
		m[i] = (uint8_t)("{\"k\":[1,2,3],\"v\":\"text\"}"[i % 24] + i / 997);
		other[i] = (uint8_t)(i * 7 + (i >> 5));
	}
	for (int engine = 0; engine < 2; engine++) {
		if (!pmd_engine_available((enum pmd_engine)engine))
			continue;
		struct pmd_deflate_cfg cfg;
		pmd_deflate_cfg_init(&cfg);
		cfg.no_context_takeover = 1;
		cfg.level = 1;
		cfg.engine = engine;
		struct pmd_deflater *c;
		ck_assert_int_eq(pmd_deflater_new(&c, &cfg, NULL), 0);
		size_t na = squeeze(c, m, sizeof(m), a, sizeof(a));
		(void)squeeze(c, other, sizeof(other), b, sizeof(b));
		(void)squeeze(c, m + 100, 5000, b, sizeof(b));
		size_t nb = squeeze(c, m, sizeof(m), b, sizeof(b));
		ck_assert_uint_eq(na, nb);
		ck_assert_mem_eq(a, b, na);
		ck_assert_uint_lt(na, sizeof(m) / 2); /* really compressed */
		pmd_deflater_free(c);
		/* With context takeover the second time is not the same
		 * (it refers back): the cache must not be used there. */
		cfg.no_context_takeover = 0;
		ck_assert_int_eq(pmd_deflater_new(&c, &cfg, NULL), 0);
		na = squeeze(c, m, sizeof(m), a, sizeof(a));
		nb = squeeze(c, m, sizeof(m), b, sizeof(b));
		ck_assert_msg(na != nb || memcmp(a, b, na) != 0, "engine %d",
			      engine);
		pmd_deflater_free(c);
	}
}
END_TEST

Suite *zcache_suite(void)
{
	Suite *s = suite_create("zcache");
	TCase *tc = tcase_create("zcache");
	tcase_add_test(tc, zcache_finds_only_the_same_key);
	tcase_add_test(tc, zcache_checksum_tells_messages_apart);
	tcase_add_test(tc, zcache_budget_bounds_what_is_stored);
	tcase_add_test(tc, zcache_two_threads_store_and_find);
	tcase_add_test(tc, zcache_premise_fresh_compressor_repeats_itself);
	suite_add_tcase(s, tc);
	return s;
}
