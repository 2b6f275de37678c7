/*
 * res.h: the results of a run, as the runner fills them and every report
 * writer reads them.  All strings are owned by the structures (res_free
 * releases them), so results can be kept after the case files that
 * produced them are closed, and read back from results.json.
 */
#ifndef RES_H
#define RES_H

#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

struct res_case {
	char *id;
	char *title;
	char *description;
	char *expectation;
	char **reqs;
	size_t nreqs;
	enum vd_behavior verdict;
	enum vd_behavior behavior;
	enum vd_close close_behavior;
	int has_remote_code;
	unsigned remote_code;
	char *remote_reason;   /* may be NULL */
	int64_t duration_ms;
	char *reason;          /* why behavior is what it is */
	char *close_reason;    /* why close_behavior is what it is */
	char **events;         /* observed events, one described line each */
	size_t nevents;
	char *http_request;    /* the opening handshake as sent/received */
	char *http_response;
};

/* A case the selection left out (--exclude, or a spec's exclude-cases and
 * exclude-agent-cases): it was not played.  Reports list it as skipped so
 * a CI page shows what was not tested. */
struct res_skip {
	char *id;
	char *title;      /* may be NULL */
};

struct res_summary {
	unsigned total, ok, non_strict, informational, unimplemented, failed;
};

struct res_agent {
	char *agent;
	char *role;       /* role of the implementation under test:
			   * "server" or "client" */
	char *target;     /* URL tested, or the listen address */
	struct res_summary summary;
	struct res_case *cases;
	size_t ncases;
	size_t cap;
	struct res_skip *excluded; /* not counted in summary */
	size_t nexcluded;
	size_t xcap;
};

struct res_run {
	char *tool;       /* "wsprobe" */
	char *version;
	uint64_t seed;
	struct res_agent *agents;
	size_t nagents;
	size_t cap;
};

/* Initialises an empty run for tool/version/seed.  Returns 0 or
 * WSP_E_NOMEM. */
int res_run_init(struct res_run *r, const char *version, uint64_t seed);

/* Appends an agent and returns it (owned by r), or NULL on NOMEM. */
struct res_agent *res_add_agent(struct res_run *r, const char *agent,
				const char *role, const char *target);

/* Appends a zeroed case to a and returns it, or NULL on NOMEM.  The caller
 * fills it with res_set_str and the fields, then calls res_count. */
struct res_case *res_add_case(struct res_agent *a);

/* Appends an excluded case (id and title are copied; title may be NULL).
 * Returns 0 or WSP_E_NOMEM (a is unchanged then). */
int res_add_excluded(struct res_agent *a, const char *id, const char *title);

/* Replaces *dst with a copy of s (NULL allowed).  Returns 0 or NOMEM. */
int res_set_str(char **dst, const char *s);

/* Recomputes a->summary from its cases. */
void res_count(struct res_agent *a);

/* Adds one case's verdict to a summary. */
void res_summary_add(struct res_summary *s, enum vd_behavior verdict);

/* Frees the strings of one case and zeroes it. */
void res_case_free(struct res_case *c);

void res_free(struct res_run *r);

#endif
