/*
 * bench.h: what the benchmark files (bench/bench_*.c) share: a monotonic
 * clock, the best of repeated timings, a sink the optimiser cannot see
 * through, and the result table.
 *
 * Every row compares a wsprobe workload with a baseline measured in the
 * same run on the same bytes (memcpy, wslay, raw zlib), each timed
 * BENCH_REPS times with CLOCK_MONOTONIC, alternating the two so that noise
 * hits both alike, and reports the best (shortest) run of each: on a
 * shared machine the shortest run is the one least disturbed by other
 * processes, so best-of-N is steadier than the median there.  The ratio is
 * always "how fast are we relative to the baseline" (baseline time / our
 * time), so a ratio >= target passes.  Benchmarks never fail the build:
 * FAIL rows are printed, the exit status stays 0.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_REPS 9

/* Seconds on the monotonic clock. */
double bench_now(void);

/* The smallest of v[0..n). */
double bench_best(double *v, size_t n);

/* memcpy through a volatile pointer, so a baseline copy is never elided. */
extern void *(*volatile bench_memcpy)(void *, const void *, size_t);

/* Folds bytes into a global checksum that main prints, so results are
 * observably used. */
void bench_consume(const void *p, size_t n);
extern volatile uint64_t bench_sink;

/* One table row.  unit is "MB/s" or "Mframes/s"; target <= 0 means none. */
struct bench_row {
	const char *workload;
	double ours;          /* throughput of wsprobe */
	const char *baseline;
	double base;          /* throughput of the baseline */
	const char *unit;
	double target;        /* minimum ours/base, or 0 */
};

void bench_print(const struct bench_row *r);

/* The workloads; each prints its rows. */
void bench_wsf(void);
void bench_u8(void);
void bench_pmd(void);
void bench_dissect(void);

#endif
