/*
 * bench_main.c: wsprobe-bench, the benchmark runner (make bench).
 *
 * Prints one table: workload | throughput | baseline | baseline throughput
 * | ratio | target | pass/fail.  See bench.h for how rows are measured.
 * Always exits 0: a missed target is a FAIL row, not an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

void *(*volatile bench_memcpy)(void *, const void *, size_t) = memcpy;
volatile uint64_t bench_sink;

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_best(double *v, size_t n)
{
	double best = v[0];
	for (size_t i = 1; i < n; i++)
		if (v[i] < best)
			best = v[i];
	return best;
}

void bench_consume(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = bench_sink;
	/* A sample, not every byte: the sink must not cost measurable
	 * time when called outside the timed region. */
	for (size_t i = 0; i < n; i += 4093)
		h = h * 31 + b[i];
	if (n > 0)
		h = h * 31 + b[n - 1];
	bench_sink = h;
}

static int failures;

void bench_print(const struct bench_row *r)
{
	double ratio = r->base > 0 ? r->ours / r->base : 0;
	char target[16] = "-";
	const char *verdict = "-";
	if (r->target > 0) {
		snprintf(target, sizeof(target), ">= %.2f", r->target);
		verdict = ratio >= r->target ? "pass" : "FAIL";
		if (ratio < r->target)
			failures++;
	}
	printf("%-34s | %9.1f %-9s | %-20s | %9.1f %-9s | %6.2f | %-7s | %s\n",
	       r->workload, r->ours, r->unit, r->baseline, r->base, r->unit,
	       ratio, target, verdict);
	fflush(stdout);
}

static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{"wsf", bench_wsf},
	{"u8", bench_u8},
	{"pmd", bench_pmd},
	{"dissect", bench_dissect},
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* Which groups argv names (all when none); -1 and a message on a name
 * that is not one. */
static int pick_groups(int argc, char **argv, int *on)
{
	for (size_t g = 0; g < NGROUPS; g++)
		on[g] = argc < 2;
	for (int i = 1; i < argc; i++) {
		size_t g = 0;
		while (g < NGROUPS && strcmp(argv[i], groups[g].name) != 0)
			g++;
		if (g == NGROUPS) {
			fprintf(stderr, "wsprobe-bench: unknown group '%s' "
					"(wsf, u8, pmd, dissect)\n", argv[i]);
			return -1;
		}
		on[g] = 1;
	}
	return 0;
}

/* wsprobe-bench [GROUP...]: every group, or only those named
 * (make bench BENCH="pmd u8"). */
int main(int argc, char **argv)
{
	int on[NGROUPS];
	if (pick_groups(argc, argv, on) != 0)
		return 2;
	printf("wsprobe-bench: best of %d runs, CLOCK_MONOTONIC; ratio = "
	       "our throughput / baseline throughput\n\n",
	       BENCH_REPS);
	printf("%-34s | %-19s | %-20s | %-19s | %-6s | %-7s | %s\n",
	       "workload", "throughput", "baseline", "baseline throughput",
	       "ratio", "target", "pass/fail");
	printf("%.*s\n", 130,
	       "-----------------------------------------------------------"
	       "-----------------------------------------------------------"
	       "--------------------------------------------------");
	for (size_t g = 0; g < NGROUPS; g++)
		if (on[g])
			groups[g].run();
	printf("\n%d target(s) missed (checksum %016llx)\n", failures,
	       (unsigned long long)bench_sink);
	return 0;
}
