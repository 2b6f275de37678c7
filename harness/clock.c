/*
 * clock.c: CLOCK_MONOTONIC deadlines for every wait in the harness, and the
 * UTC formatter for report timestamps (see clock.h for the split between
 * the two clocks).
 */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "wsp_err.h"

int64_t clk_now_ns(void)
{
	struct timespec ts;
	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

int64_t clk_now_ms(void)
{
	return clk_now_ns() / 1000000;
}

struct clk_deadline clk_never(void)
{
	struct clk_deadline d = {CLK_NEVER_NS};
	return d;
}

struct clk_deadline clk_deadline_in_ms(int64_t timeout_ms)
{
	if (timeout_ms < 0)
		return clk_never();
	int64_t now = clk_now_ns();
	struct clk_deadline d;
	/* Saturate: a huge timeout is as good as never, but stays finite. */
	if (timeout_ms > (CLK_NEVER_NS - 1 - now) / 1000000)
		d.ns = CLK_NEVER_NS - 1;
	else
		d.ns = now + timeout_ms * 1000000;
	return d;
}

int clk_is_never(struct clk_deadline d)
{
	return d.ns == CLK_NEVER_NS;
}

struct clk_deadline clk_deadline_min(struct clk_deadline a,
				     struct clk_deadline b)
{
	return a.ns <= b.ns ? a : b;
}

int clk_expired(struct clk_deadline d)
{
	if (clk_is_never(d))
		return 0;
	return clk_now_ns() >= d.ns;
}

int clk_remaining_ms(struct clk_deadline d)
{
	if (clk_is_never(d))
		return -1;
	int64_t now = clk_now_ns();
	if (now >= d.ns)
		return 0;
	int64_t left = d.ns - now;
	/* Round up: poll() must not return before the deadline. */
	int64_t ms = left / 1000000 + (left % 1000000 != 0);
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int64_t clk_wall_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
}

int clk_wall_format(int64_t unix_ms, char *out, size_t cap)
{
	if (out == NULL || cap < CLK_ISO8601_SIZE)
		return WSP_E_NOSPACE;
	/* 253402300800 s is 10000-01-01T00:00:00Z: four-digit years only. */
	if (unix_ms < 0 || unix_ms / 1000 >= 253402300800LL)
		return WSP_E_INVAL;
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	if (gmtime_r(&secs, &tm) == NULL)
		return WSP_E_INVAL;
	int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(unix_ms % 1000));
	if (n != CLK_ISO8601_SIZE - 1)
		return WSP_E_INTERNAL;
	return n;
}
