/*
 * run.h: playing cases against live peers and judging them.
 *
 * The runner loads case files (the embedded library or the user's), picks
 * the cases a selection names, plays each one on its own connection, in
 * the client role against a server (run_client) or in the server role
 * against a client driven through Autobahn's fuzzingserver URL protocol
 * (run_server, role_server.c), judges it (verdict.h) and fills the results
 * (res.h).
 *
 * A case is played in two phases.  First its Lua run function drives the
 * session through the methods of harness/lsess.c (send, pause, receive,
 * and the statement of what is expected).  Then the final phase waits, as
 * Autobahn's timers do, for the peer to close or for the case's timer: a
 * close timer ends with a normal closing handshake, a kill timer fails the
 * connection.  As soon as the events seen equal the one expected list and
 * wsprobe is the side that must close, it closes at once instead of waiting
 * for the timer (Autobahn's auto-close), which is what makes a run fast
 * against a correct peer.
 */
#ifndef RUN_H
#define RUN_H

#include <stddef.h>
#include <stdint.h>

#include "capcase.h"
#include "lcase.h"
#include "net.h"
#include "res.h"
#include "sess.h"
#include "url.h"
#include "verdict.h"

#define RUN_MAX_EXPECT 4
#define RUN_MAX_CODES 16
#define RUN_MAX_PATTERNS 64

/* What a case stated about itself while it ran (filled by lsess.c). */
struct run_expect {
	struct vd_expectation lists[RUN_MAX_EXPECT];
	size_t nlists;
	struct vd_event *events;    /* owned storage for all lists */
	uint8_t **payloads;         /* owned copies of their payloads */
	size_t nevents, npayloads;
	int has_close;
	struct vd_expect_close close;
	uint16_t codes[RUN_MAX_CODES];
	struct vd_rules rules;
	char behavior_reason[256];
	int timer;                  /* 0 none, 1 close after, 2 kill after */
	double timer_s;
};

/* Everything one case needs while it is played. */
struct run_case_ctx {
	struct sess *s;
	const struct url *url;      /* client role: the target */
	struct net_tls *tls;        /* client role, wss */
	const struct sess_open_opts *server_open; /* server role defaults */
	int open_tried;
	int open_failed;
	struct run_expect x;
	double timeout_scale;
	/* --pcap: the case's capture is written when it ends (NULL: none). */
	struct capcase_opts *pcap;
	/* Server role: the request line of the HTTP CONNECT the client sent
	 * first when it used wsprobe server as its proxy, or NULL (a direct
	 * connection).  (coverage helper, issue 4: R6455-4.1-10) */
	const char *proxy_request;
};

/* Which cases to run: Autobahn's patterns ('*' wildcard). */
struct run_select {
	const char *include[RUN_MAX_PATTERNS];
	size_t ninclude;              /* 0: every case */
	const char *exclude[RUN_MAX_PATTERNS];
	size_t nexclude;
};

/* 1 when id is selected. */
int run_selected(const struct run_select *sel, const char *id);

/* The case files of a run: the embedded library, or files named by the
 * user. */
struct run_source {
	const char *const *paths;   /* NULL: the embedded library */
	size_t npaths;
};

/* Loads every file of src into files[0..*n) (caller frees each with
 * lcase_file_free and the array with free).  Returns 0 or WSP_E_INVAL with
 * a one-line error naming the file and line. */
int run_load(const struct run_source *src, struct lcase_file **files,
	     size_t *n, char *err, size_t errlen);

/* Options of a client-role run. */
struct run_client_opts {
	const char *url;
	const char *agent;
	const struct run_select *sel;
	const struct run_source *src;
	unsigned jobs;
	double timeout_scale;
	uint64_t seed;
	uint64_t max_message;
	int compressor;             /* sess_cfg.compressor */
	const char *cacert;
	int insecure;
	int progress;               /* live progress line on stderr */
	struct capcase_opts *pcap;  /* --pcap: one capture per case (NULL:
				     * none) */
	volatile int *stop;         /* set by a signal handler: stop early */
};

/*
 * Plays every selected case against the server at opts->url and appends
 * one agent to results.  Returns 0 when every case ran (whatever the
 * verdicts), WSP_E_INVAL for bad input (unreadable or invalid case file,
 * bad URL: err says which), or a WSP_E_NET_* code when the target cannot
 * be reached at all (err says why; no agent is added).
 */
int run_client(const struct run_client_opts *opts, struct res_run *results,
	       char *err, size_t errlen);

/* Plays one case on a session that is already set up (connected lazily by
 * the case's first action in the client role; accepted with its request
 * read in the server role) and fills out.  Used by run_client and by the
 * server role. */
void run_play(struct run_case_ctx *ctx, struct lcase_file *f,
	      const struct lcase_meta *c, struct res_case *out);

/* Sets out's id, title, description, expectation and requirement ids
 * from c (what run_play does for every case; the server role also judges
 * a connection no case script ran on). */
void run_case_meta(struct res_case *out, const struct lcase_meta *c);

/* The per-case seed: the same for a case whatever the job count. */
uint64_t run_case_seed(uint64_t seed, const char *id);

/* Frees what lsess.c collected in x. */
void run_expect_free(struct run_expect *x);

/* Pushes the session object for ctx onto L's stack (lsess.c) and returns
 * a registry reference to it for lsess_invalidate, which detaches it from
 * ctx once the case is over (a script may have kept it). */
int lsess_push(lua_State *L, struct run_case_ctx *ctx);
void lsess_invalidate(lua_State *L, int ref);

/* Opens the session if the case has not: connects (client) or answers the
 * request (server).  Returns 0 or the open error (lsess.c). */
int lsess_ensure_open(struct run_case_ctx *ctx);

#endif
