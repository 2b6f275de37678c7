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

/* What results.json keeps of a case's wire log: the first RES_WIRE_CAP
 * bytes exchanged (both directions together, in order) and at most
 * RES_WIRE_RECS_CAP writes and reads.  Beyond either, the log is marked
 * truncated, never cut silently; the statistics and the local close frame
 * are computed over the whole log all the same. */
#define RES_WIRE_CAP ((size_t)256 * 1024)
#define RES_WIRE_RECS_CAP ((size_t)16384)

/* One write (dir 0, by wsprobe) or read (dir 1) of the wire log. */
struct res_wire_rec {
	int64_t t_us;    /* since the session started */
	uint8_t dir;
	size_t len;      /* bytes of it in res_wire.data (>= 1) */
};

struct res_wire {
	int present;            /* a wire log was recorded */
	uint8_t *data;          /* the kept bytes, record after record */
	size_t len;
	struct res_wire_rec *recs;
	size_t nrecs;
	int truncated;          /* more was exchanged than is kept */
	uint64_t bytes_sent, bytes_received; /* all of them, kept or not */
};

/* A statistic, Autobahn's rx/txFrameStats (key: opcode) and
 * rx/txOctetStats (key: bytes of one read or write): key -> count, in
 * increasing key order. */
struct res_stat {
	uint64_t key;
	uint64_t count;
};

struct res_stats {
	struct res_stat *v;
	size_t n;
};

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

	/* Closing facts, Autobahn's names in brackets; meaningful only when
	 * has_facts (a results.json of an older wsprobe has none). */
	int has_facts;
	int closed_by_me;      /* closedByMe: we sent the first Close */
	int failed_by_me;      /* failedByMe: we failed the connection */
	int dropped_by_me;     /* droppedByMe: we closed TCP first */
	int was_clean;         /* wasClean */
	char *not_clean_reason; /* wasNotCleanReason, may be NULL */
	int has_local_code;    /* the first Close wsprobe sent had a code */
	unsigned local_code;   /* localCloseCode */
	char *local_reason;    /* localCloseReason, may be NULL */

	/* Statistics over the whole wire log (has_stats: computed). */
	int has_stats;
	struct res_stats rx_frames, tx_frames, rx_octets, tx_octets;

	struct res_wire wire;

	/* The per-case capture (--pcap, harness/capcase.h): its path
	 * relative to the report folder ("pcap/1.1.1.pcap"), NULL when none
	 * was written; truncated: it stops short of the whole exchange. */
	char *pcap;
	int pcap_truncated;
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

/* Building the wire log of c, record by record, as the session recorded
 * it: res_wire_begin (NULL when out of memory: c gets no log), then
 * res_wire_add for each write (dir 0) or read (dir 1) in order, then
 * res_wire_end, which frees b.  Keeps the first cap bytes (RES_WIRE_CAP
 * in the harness) and RES_WIRE_RECS_CAP records; counts frames per opcode
 * and writes and reads per size over everything, and sets c's local close
 * code and reason from the first Close frame wsprobe sent.  we_client:
 * wsprobe was the client.  Bytes the session's own log did not keep go to
 * res_wire_count, which marks c's log truncated. */
struct res_wire_build;
struct res_wire_build *res_wire_begin(struct res_case *c, int we_client,
				      size_t cap);
void res_wire_add(struct res_wire_build *b, int64_t t_ns, int dir,
		  const uint8_t *p, size_t n);
/* Like res_wire_add for bytes the session's own log did not keep (its
 * bound, s:stop_wirelog): counted and scanned, never kept, and c's log is
 * marked truncated, as nothing after them is kept either. */
void res_wire_count(struct res_wire_build *b, int dir, const uint8_t *p,
		    size_t n);
/* Returns 0, or WSP_E_NOMEM (what was built is kept, marked truncated). */
int res_wire_end(struct res_wire_build *b, uint64_t bytes_sent,
		 uint64_t bytes_received);

/* Adds count to key in st (kept in key order).  Returns 0 or NOMEM. */
int res_stats_add(struct res_stats *st, uint64_t key, uint64_t count);

/* Frees the strings of one case and zeroes it. */
void res_case_free(struct res_case *c);

void res_free(struct res_run *r);

#endif
