/*
 * clock.h: monotonic time and deadlines for the harness, plus a separate
 * wall-clock helper for reports.
 *
 * Every wait in the harness (connect, read, write, TLS handshake, case step)
 * is bounded by a deadline: an absolute point on CLOCK_MONOTONIC, so that
 * changing the system time never stretches or shortens a timeout.  A
 * deadline is a small struct passed by value; CLK_NEVER_NS marks "no
 * deadline".  The poll()-facing helper rounds the remaining time UP to whole
 * milliseconds, so that a poll() never wakes before the deadline and spins.
 *
 * The wall clock is only for timestamps written into reports: the harness
 * records a time once (clk_wall_now_ms) and reports format that recorded
 * value (clk_wall_format), so a report never contains a time that was not
 * recorded during the run.  Wall time is never used to measure durations.
 */
#ifndef CLK_CLOCK_H
#define CLK_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* An absolute monotonic time in nanoseconds, or CLK_NEVER_NS. */
struct clk_deadline {
	int64_t ns;
};

#define CLK_NEVER_NS INT64_MAX

/* Nanoseconds / milliseconds on CLOCK_MONOTONIC (arbitrary epoch). */
int64_t clk_now_ns(void);
int64_t clk_now_ms(void);

/* The deadline timeout_ms milliseconds from now.  timeout_ms < 0 means no
 * deadline (same as clk_never()); 0 is already expired, which turns every
 * wait into a single non-blocking attempt.  Saturates instead of
 * overflowing. */
struct clk_deadline clk_deadline_in_ms(int64_t timeout_ms);

/* The deadline that never expires. */
struct clk_deadline clk_never(void);

/* Non-zero for the "never" deadline. */
int clk_is_never(struct clk_deadline d);

/* The earlier of two deadlines. */
struct clk_deadline clk_deadline_min(struct clk_deadline a,
				     struct clk_deadline b);

/* Non-zero when the deadline has passed (never for clk_never()). */
int clk_expired(struct clk_deadline d);

/* The timeout argument for poll(): -1 for "never", 0 when expired, else the
 * remaining time rounded up to whole milliseconds and clamped to INT_MAX.
 * Never negative except for -1. */
int clk_remaining_ms(struct clk_deadline d);

/* --- wall clock, for report timestamps only --------------------------- */

/* Milliseconds since 1970-01-01T00:00:00Z (CLOCK_REALTIME).  Record this
 * once when the event happens; format it later. */
int64_t clk_wall_now_ms(void);

/* The length of "YYYY-MM-DDTHH:MM:SS.mmmZ" plus its NUL. */
#define CLK_ISO8601_SIZE 25

/* Writes unix_ms as UTC ISO 8601 with milliseconds, e.g.
 * "2024-05-01T12:34:56.789Z", NUL-terminated, into out[0..cap).  Returns the
 * length (24), WSP_E_NOSPACE when cap < CLK_ISO8601_SIZE, WSP_E_INVAL for a
 * negative time or a year past 9999.  Uses the C library's gmtime_r, not the
 * locale. */
int clk_wall_format(int64_t unix_ms, char *out, size_t cap);

#endif
