/*
 * verdict.h: judging a played case, in Autobahn|Testsuite's vocabulary.
 *
 * A case states what it expects: one or more named lists of events (the
 * list that matches the observed events exactly gives `behavior`: OK, or
 * NON-STRICT for a tolerated variant) and how the connection must close
 * (which side starts the closing handshake, which close codes are
 * acceptable, whether a clean close is required).  The runner records what
 * the peer did; vd_judge compares the two with Autobahn's decision
 * algorithm (shared/reference/autobahn.md, section 2.3) and adds one overall
 * `verdict` that is FAILED whenever either field is a failure, so CI checks
 * a single field.
 *
 * Pure: no I/O, no allocation; every pointer is borrowed for the call.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stddef.h>
#include <stdint.h>

enum vd_behavior {
	VD_OK = 0,
	VD_NON_STRICT,
	VD_FAILED,
	VD_INFORMATIONAL,
	VD_UNIMPLEMENTED
};

enum vd_close {
	VDC_OK = 0,
	VDC_FAILED,
	VDC_WRONG_CODE,
	VDC_UNCLEAN,
	VDC_FAILED_BY_CLIENT,
	VDC_INFORMATIONAL
};

/* Autobahn's spellings: "OK", "NON-STRICT", "FAILED", "INFORMATIONAL",
 * "UNIMPLEMENTED"; "WRONG CODE", "UNCLEAN", "FAILED BY CLIENT". */
const char *vd_behavior_name(enum vd_behavior b);
const char *vd_close_name(enum vd_close c);
/* Parses a name back; returns -1 when unknown. */
int vd_behavior_parse(const char *s);

/* Events a case can expect and the runner records.  Pings from the peer are
 * answered and not recorded (as in Autobahn); pongs are recorded. */
enum vd_event_type {
	VD_EV_MESSAGE = 1, /* opcode 1 or 2, data = payload */
	VD_EV_PONG = 2,    /* data = payload */
	VD_EV_TIMEOUT = 3  /* a pause ended with the connection still open;
			    * data = the pause's tag */
};

struct vd_event {
	enum vd_event_type type;
	uint8_t opcode;       /* VD_EV_MESSAGE: 1 text, 2 binary */
	const uint8_t *data;
	size_t len;
};

/* One acceptable event list, e.g. "OK" -> [message text "Hello"]. */
struct vd_expectation {
	enum vd_behavior name; /* VD_OK or VD_NON_STRICT (or INFORMATIONAL) */
	const struct vd_event *events;
	size_t nevents;
};

struct vd_expect_close {
	int closed_by_me;        /* must wsprobe start the closing handshake */
	const uint16_t *codes;   /* acceptable codes from the peer; a peer that
				  * sent no close frame always passes */
	size_t ncodes;
	int require_clean;
};

/* Per-case adjustments Autobahn makes (section 2.3, step 3). */
struct vd_rules {
	int wrong_code_fails_behavior;     /* category 7 */
	int wrong_endpoint_fails_behavior; /* invalid UTF-8 cases (6.x) */
	int informational;                 /* 7.1.6, 7.13.x: both fields */
	/* The case set behavior itself (9.x, 12.x, 13.x, handshake cases,
	 * custom checks); the event lists are then not compared, and a
	 * connection that never opened is not a failure by itself. */
	int behavior_set;
	enum vd_behavior behavior;
	const char *behavior_reason;
};

/* What happened to the connection. */
struct vd_observed_close {
	int opened;            /* the opening handshake completed */
	const char *open_error; /* why not, when !opened */
	int closed_by_me;      /* wsprobe sent the first close frame or
				* failed the connection */
	int has_remote_code;   /* the peer's close frame carried a code */
	uint16_t remote_code;
	int was_clean;         /* both close frames exchanged, then TCP closed
				* in time by the side that should */
	const char *not_clean_reason;
	int dropped_by_me;     /* wsprobe, as the client, had to drop TCP
				* because the server did not */
	int is_client;         /* wsprobe played the client role */
};

struct vd_result {
	enum vd_behavior behavior;
	enum vd_close close_behavior;
	enum vd_behavior verdict; /* FAILED when either field is a failure */
	char reason[256];         /* one line, why behavior is what it is */
	char close_reason[256];   /* one line, why close_behavior is */
};

/* Judges one case.  expect may be empty when rules->behavior_set. */
void vd_judge(const struct vd_expectation *expect, size_t nexpect,
	      const struct vd_expect_close *xclose,
	      const struct vd_rules *rules, const struct vd_event *observed,
	      size_t nobserved, const struct vd_observed_close *oc,
	      struct vd_result *out);

/* 1 when close_behavior counts as a failure for the overall verdict. */
int vd_close_is_failure(enum vd_close c);

/* Writes a short, printable description of ev into buf ("message text 5
 * bytes \"Hello\"", "pong 0 bytes", "timeout A"): payloads are cut at 24
 * bytes and non-printable bytes shown as hex. */
void vd_event_describe(const struct vd_event *ev, char *buf, size_t cap);

#endif
