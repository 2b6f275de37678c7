/*
 * check_fuzzlive.c: the pure parts of the live fuzzer (harness/fuzzlive.h):
 * delta debugging on synthetic predicates, and the frame splitter the
 * minimiser uses.  The live part (crash, hang and violation found against
 * tests/peers/defect_server.py) is tests/integration/fuzz.sh.
 *
 * ddmin must return exactly the units a predicate needs when those are
 * few (1-minimal: no single unit can go), keep the original order, try
 * the empty set first, call the predicate only with subsets of what it
 * last accepted, honour the trial budget, and leave the input alone when
 * nothing smaller reproduces.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzlive.h"
#include "lib.h"

/* A predicate that holds when every unit of need[] is in the candidate. */
struct need_ctx {
	const size_t *need;
	size_t nneed;
	size_t n;        /* units of the original input */
	unsigned calls;
	int bad_order;   /* a candidate was not strictly increasing */
};

static int needs_all(void *ctx, const size_t *idx, size_t k)
{
	struct need_ctx *c = ctx;
	c->calls++;
	for (size_t i = 0; i < k; i++)
		if (idx[i] >= c->n || (i > 0 && idx[i] <= idx[i - 1]))
			c->bad_order = 1;
	for (size_t j = 0; j < c->nneed; j++) {
		int found = 0;
		for (size_t i = 0; i < k; i++)
			if (idx[i] == c->need[j])
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static const struct {
	size_t n;
	size_t need[5];
	size_t nneed;
	unsigned max_calls; /* the trials allowed (measured, plus a margin) */
} vec[] = {
	{1, {0}, 1, 2},
	{2, {1}, 1, 4},
	{16, {5}, 1, 10},
	{16, {3, 7}, 2, 40},
	{16, {0, 15}, 2, 60},
	{64, {10, 11}, 2, 20},
	{100, {0, 50, 99}, 3, 180},
	{1000, {123, 124, 500, 999}, 4, 240},
	{7, {0, 1, 2, 3}, 4, 45},
	{5, {0, 1, 2, 3, 4}, 5, 30},
};

static size_t *iota(size_t n)
{
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
	ck_assert_ptr_nonnull(idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	return idx;
}

START_TEST(ddmin_keeps_exactly_the_needed_units)
{
	struct need_ctx c = {vec[_i].need, vec[_i].nneed, vec[_i].n, 0, 0};
	size_t *idx = iota(vec[_i].n);
	unsigned trials = 0;
	size_t k = fzl_ddmin(idx, vec[_i].n, needs_all, &c, 0, &trials);
	ck_assert_uint_eq(k, vec[_i].nneed);
	for (size_t i = 0; i < k; i++)
		ck_assert_uint_eq(idx[i], c.need[i]);
	ck_assert_uint_eq(trials, c.calls);
	ck_assert_uint_le(trials, vec[_i].max_calls);
	ck_assert_int_eq(c.bad_order, 0);
	free(idx);
}
END_TEST

static int always(void *ctx, const size_t *idx, size_t k)
{
	(void)idx;
	(void)k;
	(*(unsigned *)ctx)++;
	return 1;
}

static int never(void *ctx, const size_t *idx, size_t k)
{
	(void)idx;
	(void)k;
	(*(unsigned *)ctx)++;
	return 0;
}

START_TEST(ddmin_tries_the_empty_set_first)
{
	unsigned calls = 0, trials = 99;
	size_t *idx = iota(50);
	ck_assert_uint_eq(fzl_ddmin(idx, 50, always, &calls, 0, &trials), 0);
	ck_assert_uint_eq(calls, 1);
	ck_assert_uint_eq(trials, 1);
	free(idx);
}
END_TEST

START_TEST(ddmin_nothing_smaller_leaves_input_alone)
{
	unsigned calls = 0, trials = 0;
	size_t *idx = iota(12);
	ck_assert_uint_eq(fzl_ddmin(idx, 12, never, &calls, 0, &trials), 12);
	for (size_t i = 0; i < 12; i++)
		ck_assert_uint_eq(idx[i], i);
	ck_assert_uint_eq(trials, calls);
	ck_assert_uint_gt(trials, 12); /* every single unit was tried */
	free(idx);
}
END_TEST

START_TEST(ddmin_honours_the_trial_budget)
{
	static const size_t need[] = {17, 333};
	for (unsigned budget = 1; budget < 40; budget++) {
		struct need_ctx c = {need, 2, 500, 0, 0};
		size_t *idx = iota(500);
		unsigned trials = 0;
		size_t k = fzl_ddmin(idx, 500, needs_all, &c, budget, &trials);
		ck_assert_uint_eq(c.calls, trials);
		ck_assert_uint_le(trials, budget);
		/* whatever is left still reproduces */
		c.calls = 0;
		ck_assert_int_eq(needs_all(&c, idx, k), 1);
		free(idx);
	}
}
END_TEST

START_TEST(ddmin_zero_units)
{
	unsigned calls = 0, trials = 7;
	size_t dummy = 0;
	ck_assert_uint_eq(fzl_ddmin(&dummy, 0, always, &calls, 0, &trials), 0);
	ck_assert_uint_eq(calls, 0);
	ck_assert_uint_eq(trials, 0);
}
END_TEST

/* A predicate that is not monotone: an odd number of units from 0..6.
 * ddmin cannot promise a minimum, only that the result still holds. */
static int odd_low(void *ctx, const size_t *idx, size_t k)
{
	(void)ctx;
	size_t c = 0;
	for (size_t i = 0; i < k; i++)
		c += idx[i] < 7;
	return (c & 1) == 1;
}

START_TEST(ddmin_non_monotone_result_still_holds)
{
	size_t *idx = iota(31); /* 7 low units: odd, it holds */
	size_t k = fzl_ddmin(idx, 31, odd_low, NULL, 0, NULL);
	ck_assert_int_eq(odd_low(NULL, idx, k), 1);
	ck_assert_uint_eq(k, 1);
	ck_assert_uint_lt(idx[0], 7);
	free(idx);
}
END_TEST

/* ---- fzl_frames ------------------------------------------------------- */

START_TEST(frames_split_whole_frames_and_stop_at_a_tail)
{
	uint8_t b[256];
	/* text "Hi" unmasked, masked ping "abc", binary with a 16-bit length
	 * of 126 bytes, then 3 bytes of a header that never completes */
	size_t n = tl_hex("81 02 48 69"
			  "89 83 01 02 03 04 60 60 60",
			  b, sizeof(b));
	b[n++] = 0x82;
	b[n++] = 126;
	b[n++] = 0;
	b[n++] = 126;
	memset(b + n, 7, 126);
	n += 126;
	size_t whole = n;
	b[n++] = 0x81;
	b[n++] = 127;
	b[n++] = 0xff;
	size_t off[8], parsed = 99;
	ck_assert_uint_eq(fzl_frames(b, n, off, 8, &parsed), 3);
	ck_assert_uint_eq(off[0], 0);
	ck_assert_uint_eq(off[1], 4);
	ck_assert_uint_eq(off[2], 13);
	ck_assert_uint_eq(parsed, whole);
	/* every prefix: the frames wholly inside it, nothing more */
	for (size_t p = 0; p <= n; p++) {
		size_t k = fzl_frames(b, p, off, 8, &parsed);
		size_t want = p >= whole ? 3 : p >= 13 ? 2 : p >= 4 ? 1 : 0;
		ck_assert_uint_eq(k, want);
		ck_assert_uint_le(parsed, p);
	}
	/* max bounds the count */
	ck_assert_uint_eq(fzl_frames(b, n, off, 2, &parsed), 2);
	ck_assert_uint_eq(parsed, 13);
}
END_TEST

START_TEST(frames_huge_64bit_length_is_not_whole)
{
	uint8_t b[16];
	size_t n = tl_hex("82 7f 80 00 00 00 00 00 00 01 41 42", b, sizeof(b));
	size_t off[2], parsed = 5;
	struct tl_guard g;
	tl_guard_init(&g, b, n);
	ck_assert_uint_eq(fzl_frames(g.data, n, off, 2, &parsed), 0);
	ck_assert_uint_eq(parsed, 0);
	tl_guard_free(&g);
}
END_TEST

START_TEST(class_names)
{
	ck_assert_str_eq(fzl_class_name(FZL_NONE), "none");
	ck_assert_str_eq(fzl_class_name(FZL_CRASH), "crash");
	ck_assert_str_eq(fzl_class_name(FZL_HANG), "hang");
	ck_assert_str_eq(fzl_class_name(FZL_VIOLATION), "violation");
}
END_TEST

Suite *fuzzlive_suite(void)
{
	Suite *s = suite_create("fuzzlive");
	TCase *t = tcase_create("ddmin");
	tcase_add_loop_test(t, ddmin_keeps_exactly_the_needed_units, 0,
			    (int)(sizeof(vec) / sizeof(vec[0])));
	tcase_add_test(t, ddmin_tries_the_empty_set_first);
	tcase_add_test(t, ddmin_nothing_smaller_leaves_input_alone);
	tcase_add_test(t, ddmin_honours_the_trial_budget);
	tcase_add_test(t, ddmin_zero_units);
	tcase_add_test(t, ddmin_non_monotone_result_still_holds);
	suite_add_tcase(s, t);
	t = tcase_create("rfc6455_5_2_frame_split");
	tcase_add_test(t, frames_split_whole_frames_and_stop_at_a_tail);
	tcase_add_test(t, frames_huge_64bit_length_is_not_whole);
	tcase_add_test(t, class_names);
	suite_add_tcase(s, t);
	return s;
}
