/*
 * check_lib.c: the test helpers themselves.  The guard-page buffer must
 * really catch a read one byte past the input (otherwise every "no
 * over-read" test in the other suites would prove nothing), the chunk
 * schedules must cover the input exactly, and the failing allocator must
 * fail exactly from the requested allocation on.
 */
#include <signal.h>
#include <string.h>

#include "lib.h"

START_TEST(lib_hex_parses_rfc_layout)
{
	uint8_t b[16];
	size_t n = tl_hex("81 05 48 65 6c 6c 6f", b, sizeof(b));
	ck_assert_uint_eq(n, 7);
	ck_assert_uint_eq(b[0], 0x81);
	ck_assert_uint_eq(b[6], 0x6f);
	ck_assert_uint_eq(tl_hex("", b, sizeof(b)), 0);
}
END_TEST

START_TEST(lib_guard_in_bounds_read_is_fine)
{
	struct tl_guard g;
	tl_guard_init(&g, "abc", 3);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_int_eq(memcmp(g.data, "abc", 3), 0);
	g.data[2] = 'z'; /* writable */
	ck_assert_uint_eq(g.data[2], 'z');
	tl_guard_free(&g);
}
END_TEST

/* Reading data[n] must kill the process with SIGSEGV.  The sanitizer's own
 * SEGV handler is put aside so that the signal reaches Check. */
START_TEST(lib_guard_catches_one_byte_overread)
{
	struct tl_guard g;
	tl_guard_init(&g, "abc", 3);
	signal(SIGSEGV, SIG_DFL);
	volatile uint8_t *p = g.data;
	volatile uint8_t x = p[3];
	(void)x;
	tl_guard_free(&g);
}
END_TEST

START_TEST(lib_chunker_covers_input_exactly)
{
	for (int mode = TL_CHUNK_ALL; mode <= TL_CHUNK_RANDOM; mode++) {
		struct tl_chunker c;
		tl_chunker_init(&c, (enum tl_chunk_mode)mode, 42);
		size_t left = 1000, calls = 0;
		while (left > 0) {
			size_t n = tl_chunk_next(&c, left);
			ck_assert_uint_ge(n, 1);
			ck_assert_uint_le(n, left);
			left -= n;
			calls++;
		}
		if (mode == TL_CHUNK_ALL)
			ck_assert_uint_eq(calls, 1);
		if (mode == TL_CHUNK_ONE)
			ck_assert_uint_eq(calls, 1000);
		if (mode == TL_CHUNK_RANDOM)
			ck_assert_uint_gt(calls, 1000 / 17);
		ck_assert_uint_eq(tl_chunk_next(&c, 0), 0);
	}
}
END_TEST

START_TEST(lib_failmem_fails_from_index)
{
	struct tl_failmem f;
	tl_failmem_init(&f, 2);
	void *a = wsp_malloc(&f.mem, 8);
	void *b = wsp_malloc(&f.mem, 8);
	void *c = wsp_malloc(&f.mem, 8);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(wsp_realloc(&f.mem, a, 16));
	wsp_free(&f.mem, a);
	wsp_free(&f.mem, b);
	tl_failmem_init(&f, -1);
	a = wsp_malloc(&f.mem, 8);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(f.count, 1);
	wsp_free(&f.mem, a);
}
END_TEST

Suite *lib_suite(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("helpers");
	tcase_add_test(tc, lib_hex_parses_rfc_layout);
	tcase_add_test(tc, lib_guard_in_bounds_read_is_fine);
	tcase_add_test_raise_signal(tc, lib_guard_catches_one_byte_overread,
				    SIGSEGV);
	tcase_add_test(tc, lib_chunker_covers_input_exactly);
	tcase_add_test(tc, lib_failmem_fails_from_index);
	suite_add_tcase(s, tc);
	return s;
}
