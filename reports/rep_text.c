/*
 * rep_text.c: the text summary printed at the end of a run: counts per
 * category for each agent, then every FAILED case with its reason.  Colour
 * only when asked (a terminal, and NO_COLOR unset: the caller decides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

/* The category of a case id: its first component ("7" for "7.9.1"). */
static void category(const char *id, char *out, size_t cap)
{
	size_t n = strcspn(id, ".");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, id, n);
	out[n] = '\0';
}

void rep_text_print(FILE *out, const struct res_run *r, int colour)
{
	const char *red = colour ? RED : "", *green = colour ? GREEN : "";
	const char *yellow = colour ? YELLOW : "", *bold = colour ? BOLD : "";
	const char *reset = colour ? RESET : "";
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		fprintf(out, "%s%s%s (%s under test at %s), seed %llu\n", bold,
			a->agent, reset, a->role, a->target ? a->target : "-",
			(unsigned long long)r->seed);
		fprintf(out, "  %-9s %6s %6s %10s %6s %7s %7s\n", "category",
			"total", "ok", "non-strict", "info", "unimpl", "failed");
		size_t j = 0;
		while (j < a->ncases) {
			char cat[16], other[16];
			category(a->cases[j].id, cat, sizeof(cat));
			struct res_summary s;
			memset(&s, 0, sizeof(s));
			for (; j < a->ncases; j++) {
				category(a->cases[j].id, other, sizeof(other));
				if (strcmp(cat, other) != 0)
					break;
				res_summary_add(&s, a->cases[j].verdict);
			}
			fprintf(out, "  %-9s %6u %6u %10u %6u %7u %s%7u%s\n", cat,
				s.total, s.ok, s.non_strict, s.informational,
				s.unimplemented, s.failed ? red : "", s.failed,
				s.failed ? reset : "");
		}
		const struct res_summary *t = &a->summary;
		fprintf(out, "  %-9s %6u %s%6u%s %10u %6u %7u %s%7u%s\n", "all",
			t->total, green, t->ok, reset, t->non_strict,
			t->informational, t->unimplemented, t->failed ? red : "",
			t->failed, t->failed ? reset : "");
		for (size_t k = 0; k < a->ncases; k++) {
			const struct res_case *c = &a->cases[k];
			if (c->verdict != VD_FAILED)
				continue;
			const char *why = c->behavior == VD_FAILED || c->close_reason == NULL
						  ? c->reason
						  : c->close_reason;
			fprintf(out, "  %sFAILED%s %-8s %s: %s\n", red, reset, c->id,
				c->behavior == VD_FAILED
					? "behavior"
					: vd_close_name(c->close_behavior),
				why ? why : "no reason recorded");
		}
		if (t->non_strict > 0 && colour)
			fprintf(out, "  %s%u NON-STRICT%s\n", yellow, t->non_strict,
				reset);
	}
}
