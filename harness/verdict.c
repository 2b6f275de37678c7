/*
 * verdict.c: Autobahn's decision algorithm plus the overall verdict
 * (contract in verdict.h).
 *
 * Order of the close checks, as Autobahn applies them: handshake never
 * completed, wrong side started the close, unclean when a clean close was
 * required, a close code outside the accepted list, the server leaving the
 * TCP close to the client; otherwise OK.  A peer that sent no close frame
 * has no code, and a missing code always passes the code check.
 */
#include <stdio.h>
#include <string.h>

#include "verdict.h"

static const char *const behavior_names[] = {
	[VD_OK] = "OK",
	[VD_NON_STRICT] = "NON-STRICT",
	[VD_FAILED] = "FAILED",
	[VD_INFORMATIONAL] = "INFORMATIONAL",
	[VD_UNIMPLEMENTED] = "UNIMPLEMENTED",
};

static const char *const close_names[] = {
	[VDC_OK] = "OK",
	[VDC_FAILED] = "FAILED",
	[VDC_WRONG_CODE] = "WRONG CODE",
	[VDC_UNCLEAN] = "UNCLEAN",
	[VDC_FAILED_BY_CLIENT] = "FAILED BY CLIENT",
	[VDC_INFORMATIONAL] = "INFORMATIONAL",
};

const char *vd_behavior_name(enum vd_behavior b)
{
	if ((unsigned)b < sizeof(behavior_names) / sizeof(behavior_names[0]))
		return behavior_names[b];
	return "FAILED";
}

const char *vd_close_name(enum vd_close c)
{
	if ((unsigned)c < sizeof(close_names) / sizeof(close_names[0]))
		return close_names[c];
	return "FAILED";
}

int vd_behavior_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(behavior_names) / sizeof(behavior_names[0]);
	     i++)
		if (strcmp(s, behavior_names[i]) == 0)
			return (int)i;
	return -1;
}

int vd_close_is_failure(enum vd_close c)
{
	return c == VDC_FAILED || c == VDC_WRONG_CODE || c == VDC_UNCLEAN ||
	       c == VDC_FAILED_BY_CLIENT;
}

static int event_eq(const struct vd_event *a, const struct vd_event *b)
{
	if (a->type != b->type || a->len != b->len)
		return 0;
	if (a->type == VD_EV_MESSAGE && a->opcode != b->opcode)
		return 0;
	return a->len == 0 || memcmp(a->data, b->data, a->len) == 0;
}

static int list_eq(const struct vd_event *a, size_t na,
		   const struct vd_event *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!event_eq(&a[i], &b[i]))
			return 0;
	return 1;
}

void vd_event_describe(const struct vd_event *ev, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	char shown[64];
	size_t n = ev->len < 24 ? ev->len : 24, off = 0;
	int printable = 1;
	for (size_t i = 0; i < n; i++)
		if (ev->data[i] < 0x20 || ev->data[i] > 0x7e ||
		    ev->data[i] == '"')
			printable = 0;
	for (size_t i = 0; i < n && off + 3 < sizeof(shown); i++) {
		if (printable) {
			shown[off++] = (char)ev->data[i];
		} else {
			shown[off++] = hex[ev->data[i] >> 4];
			shown[off++] = hex[ev->data[i] & 15];
		}
	}
	shown[off] = '\0';
	const char *more = n < ev->len ? "..." : "";
	const char *q = printable ? "\"" : "";
	if (ev->type == VD_EV_TIMEOUT) {
		snprintf(buf, cap, "timeout %s%s", shown, more);
		return;
	}
	const char *kind = ev->type == VD_EV_PONG ? "pong"
			   : ev->opcode == 1	  ? "message text"
			   : ev->opcode == 2	  ? "message binary"
						  : "message";
	if (ev->len == 0)
		snprintf(buf, cap, "%s 0 bytes", kind);
	else
		snprintf(buf, cap, "%s %zu bytes %s%s%s%s", kind, ev->len, q,
			 shown, q, more);
}

/* Explains why observed differs from the first expectation. */
static void explain_mismatch(const struct vd_expectation *x,
			     const struct vd_event *obs, size_t nobs,
			     char *buf, size_t cap)
{
	char a[96], b[96];
	size_t n = x->nevents < nobs ? x->nevents : nobs;
	for (size_t i = 0; i < n; i++) {
		if (event_eq(&x->events[i], &obs[i]))
			continue;
		vd_event_describe(&x->events[i], a, sizeof(a));
		vd_event_describe(&obs[i], b, sizeof(b));
		snprintf(buf, cap, "event %zu: expected %s, got %s", i + 1, a, b);
		return;
	}
	if (nobs < x->nevents) {
		vd_event_describe(&x->events[nobs], a, sizeof(a));
		snprintf(buf, cap, "expected %zu events, got %zu: missing %s",
			 x->nevents, nobs, a);
	} else {
		vd_event_describe(&obs[x->nevents], b, sizeof(b));
		snprintf(buf, cap, "expected %zu events, got %zu: unexpected %s",
			 x->nevents, nobs, b);
	}
}

static int code_listed(const struct vd_expect_close *x, uint16_t code)
{
	for (size_t i = 0; i < x->ncodes; i++)
		if (x->codes[i] == code)
			return 1;
	return 0;
}

static void codes_text(const struct vd_expect_close *x, char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < x->ncodes && off < cap; i++) {
		int n = snprintf(buf + off, cap - off, "%s%u", i ? ", " : "",
				 (unsigned)x->codes[i]);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

void vd_judge(const struct vd_expectation *expect, size_t nexpect,
	      const struct vd_expect_close *xclose,
	      const struct vd_rules *rules, const struct vd_event *observed,
	      size_t nobserved, const struct vd_observed_close *oc,
	      struct vd_result *out)
{
	static const struct vd_rules no_rules;
	if (rules == NULL)
		rules = &no_rules;
	memset(out, 0, sizeof(*out));

	/* 1. behavior */
	if (!oc->opened && !rules->behavior_set) {
		out->behavior = VD_FAILED;
		snprintf(out->reason, sizeof(out->reason),
			 "the opening handshake did not complete: %s",
			 oc->open_error ? oc->open_error : "no reason recorded");
	} else if (rules->behavior_set) {
		out->behavior = rules->behavior;
		snprintf(out->reason, sizeof(out->reason), "%s",
			 rules->behavior_reason ? rules->behavior_reason
						: vd_behavior_name(rules->behavior));
	} else {
		out->behavior = VD_FAILED;
		for (size_t i = 0; i < nexpect; i++) {
			if (list_eq(expect[i].events, expect[i].nevents, observed,
				    nobserved)) {
				out->behavior = expect[i].name;
				snprintf(out->reason, sizeof(out->reason),
					 "observed events match the %s expectation",
					 vd_behavior_name(expect[i].name));
				break;
			}
		}
		if (out->behavior == VD_FAILED) {
			if (nexpect > 0)
				explain_mismatch(&expect[0], observed, nobserved,
						 out->reason, sizeof(out->reason));
			else
				snprintf(out->reason, sizeof(out->reason),
					 "the case states no expectation");
		}
	}

	/* 2. close_behavior */
	int wrong_endpoint = 0;
	char codes[128];
	if (!oc->opened && rules->behavior_set) {
		/* A handshake case judged the opening handshake itself (a
		 * refusal may be the right answer): there is no close to
		 * judge. */
		out->close_behavior = VDC_OK;
		snprintf(out->close_reason, sizeof(out->close_reason),
			 "no connection was opened; the case judged the "
			 "handshake itself");
	} else if (!oc->opened) {
		out->close_behavior = VDC_FAILED;
		snprintf(out->close_reason, sizeof(out->close_reason),
			 "the opening handshake was never completed");
	} else if (oc->closed_by_me != xclose->closed_by_me) {
		out->close_behavior = VDC_FAILED;
		wrong_endpoint = 1;
		snprintf(out->close_reason, sizeof(out->close_reason), "%s",
			 xclose->closed_by_me
				 ? "the peer closed first; wsprobe was to start"
				   " the closing handshake"
				 : "the peer did not fail the connection; wsprobe"
				   " had to close it");
	} else if (xclose->require_clean && !oc->was_clean) {
		out->close_behavior = VDC_UNCLEAN;
		snprintf(out->close_reason, sizeof(out->close_reason),
			 "the closing handshake was not clean: %s",
			 oc->not_clean_reason ? oc->not_clean_reason
					      : "no reason recorded");
	} else if (oc->has_remote_code && xclose->ncodes > 0 &&
		   !code_listed(xclose, oc->remote_code)) {
		out->close_behavior = VDC_WRONG_CODE;
		codes_text(xclose, codes, sizeof(codes));
		snprintf(out->close_reason, sizeof(out->close_reason),
			 "the peer closed with code %u; expected %s",
			 (unsigned)oc->remote_code, codes);
	} else if (oc->is_client && oc->dropped_by_me) {
		out->close_behavior = VDC_FAILED_BY_CLIENT;
		snprintf(out->close_reason, sizeof(out->close_reason),
			 "the server did not close the TCP connection after the"
			 " closing handshake; wsprobe dropped it");
	} else {
		out->close_behavior = VDC_OK;
		if (oc->has_remote_code)
			snprintf(out->close_reason, sizeof(out->close_reason),
				 "connection closed as expected, peer code %u",
				 (unsigned)oc->remote_code);
		else
			snprintf(out->close_reason, sizeof(out->close_reason),
				 "connection closed as expected");
	}

	/* 3. per-case overrides */
	if (rules->wrong_code_fails_behavior &&
	    out->close_behavior == VDC_WRONG_CODE &&
	    out->behavior != VD_FAILED) {
		out->behavior = VD_FAILED;
		snprintf(out->reason, sizeof(out->reason), "%s",
			 out->close_reason);
	}
	if (rules->wrong_endpoint_fails_behavior && wrong_endpoint &&
	    out->behavior != VD_FAILED) {
		out->behavior = VD_FAILED;
		snprintf(out->reason, sizeof(out->reason), "%s",
			 out->close_reason);
	}
	if (rules->informational && oc->opened) {
		out->behavior = VD_INFORMATIONAL;
		out->close_behavior = VDC_INFORMATIONAL;
	}

	/* 4. one field for CI */
	if (out->behavior == VD_FAILED || vd_close_is_failure(out->close_behavior))
		out->verdict = VD_FAILED;
	else
		out->verdict = out->behavior;
}
