/*
 * lcase.h: loading case files (Lua 5.4) in a sandbox.
 *
 * A case file is a Lua script that declares cases by calling the global
 * function case{...} once per case:
 *
 *   case {
 *     id = "2.2",
 *     title = "Send ping with small text payload.",
 *     description = "...", expectation = "...",
 *     requirements = { "R6455-5.5.2-02", "R6455-5.5.3-01" },
 *     roles = { "server", "client" },   -- roles of the PEER under test
 *     run = function(s) ... end,        -- drives the session
 *   }
 *
 * The sandbox opens only the base, string, table, math and utf8 libraries,
 * and removes from base everything that reaches files or loads code
 * (dofile, loadfile, load, require).  Every script runs under an
 * instruction limit and a wall deadline enforced from C through a count
 * hook (STYLE.md principle 5; redis does the same), and under a memory
 * ceiling enforced by the allocator.  The library functions that the hook
 * cannot interrupt and the ceiling does not bound (Lua patterns,
 * string.rep of "", table.move, __gc finalizers) are replaced by bounded
 * ones (lbound.h) whose work counts against the instruction limit.
 *
 * This module knows nothing of sessions: lcase_call runs a case's function
 * with whatever argument the caller pushed (the runner pushes a session
 * object, harness/lsess.c).
 */
#ifndef LCASE_H
#define LCASE_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

/* Which peer a case applies to (the role of the implementation under test). */
#define LCASE_ROLE_SERVER 1u /* wsprobe is the client */
#define LCASE_ROLE_CLIENT 2u /* wsprobe is the server */

#define LCASE_MAX_REQS 16
#define LCASE_ID_MAX 32

/* Limits of the sandbox. */
struct lcase_limits {
	uint64_t max_instructions; /* per lcase_call; 0 = unlimited */
	size_t max_memory;         /* bytes for the whole Lua state */
};

/* One declared case.  Strings are owned by the struct lcase_file. */
struct lcase_meta {
	char id[LCASE_ID_MAX];
	const char *title;
	const char *description;
	const char *expectation;
	const char *reqs[LCASE_MAX_REQS];
	size_t nreqs;
	unsigned roles;      /* LCASE_ROLE_* */
	unsigned conn;       /* LCASE_CONN_*: what the server role does to
				the connection before its request is read */
	const char *target;  /* case{ target = "..." } (client role): the URL
				/getCaseInfo hands a driver that speaks
				wsprobe's extension, as a template (NULL:
				none; lcase_target_expand) */
	unsigned connections; /* case{ connections = N } (client role): how
				 many connections /getCaseInfo asks such a
				 driver to open at once (0: one) */
	int run_ref;         /* registry reference of the run function */
	int line;            /* line of the case{} call, for messages */
};

/* case{ server_certificate = "untrusted" } (client-role cases only): the
 * server role serves the connection it expects to carry this case with a
 * certificate no client can verify, made at start (harness/role_server.c;
 * case 22.3.5, R6455-4.1-15). */
#define LCASE_CONN_UNTRUSTED_CERT 1u
/* case{ proxy = "refuse" } (client-role cases only): a client that uses the
 * server as its HTTP proxy gets "502 Bad Gateway" for the CONNECT of the
 * connection expected to carry this case (case 22.5.2, R6455-4.1-13). */
#define LCASE_CONN_PROXY_REFUSED 2u

/* The most connections a case may ask for at once (the server role
 * serves and judges the one other connection of 22.8.1). */
#define LCASE_MAX_CONNECTIONS 2

/* The values a target template's placeholders take. */
struct lcase_target_vars {
	const char *scheme; /* {scheme}: "ws" or "wss" */
	const char *host;   /* {host}: host[:port] the driver addressed */
	unsigned port;      /* {port}: the server's port */
	size_t index;       /* {case}: the case's index (/runCase?case=N) */
	const char *agent;  /* {agent}: the agent, percent-encoded */
};

/* Writes template t with its placeholders ({scheme}, {host}, {port},
 * {case}, {agent}) replaced.  Returns 0, WSP_E_NOSPACE when out (cap
 * bytes with the NUL) is too small, WSP_E_INVAL on an unknown or unclosed
 * placeholder (lcase_file_load has already refused those). */
int lcase_target_expand(const char *t, const struct lcase_target_vars *v,
			char *out, size_t cap);

/* A loaded case file: its Lua state and the cases it declared. */
struct lcase_file {
	lua_State *L;
	char name[256];             /* file name, for messages */
	struct lcase_meta *cases;   /* in declaration order */
	size_t ncases;
	size_t cap;
	/* private */
	struct lcase_limits limits;
	size_t mem_used;
	uint64_t instr_used;
	uint64_t instr_limit;
	int64_t deadline_ns;        /* monotonic; 0 = none */
	uint64_t clock_steps;       /* C work charged since the clock was read */
	int hook_reason;
	int pending;                /* cases[ncases] is half-built */
};

/* Default limits: 10^9 instructions per call, 512 MiB of Lua memory. */
void lcase_limits_default(struct lcase_limits *lim);

/*
 * Loads and runs a case file from a buffer (name is used in messages, e.g.
 * "cases/framing.lua").  On success returns 0 and f holds the cases.  On
 * failure returns a negative code (WSP_E_INVAL for a script or declaration
 * error, WSP_E_NOMEM) and writes one line "name:line: what was wrong" into
 * err[0..errlen).  f must be freed with lcase_file_free either way.
 */
int lcase_load_buffer(struct lcase_file *f, const char *name,
		      const char *buf, size_t len,
		      const struct lcase_limits *lim, char *err, size_t errlen);

/* Reads path and calls lcase_load_buffer.  A file that cannot be read gives
 * WSP_E_INVAL with the system's reason in err. */
int lcase_load_file(struct lcase_file *f, const char *path,
		    const struct lcase_limits *lim, char *err, size_t errlen);

void lcase_file_free(struct lcase_file *f);

/* Finds a case by id; NULL when absent. */
const struct lcase_meta *lcase_find(const struct lcase_file *f,
				    const char *id);

/*
 * Calls the run function of case c with one argument: the value on top of
 * f->L's stack (the caller pushes it; lcase_call pops it).  The call runs
 * under the instruction limit and until deadline_ns (monotonic
 * nanoseconds, 0 = none).  Returns 0, or WSP_E_INVAL when the script raised
 * an error or hit a limit; err then holds one line naming the case, the
 * file and line, and the reason ("instruction limit exceeded",
 * "case deadline exceeded", "memory limit exceeded", a pattern too costly
 * for one call ("string.find: pattern \"...\" needs more than N matching
 * steps on a subject of M bytes ...") or the script's own error).
 */
int lcase_call(struct lcase_file *f, const struct lcase_meta *c,
	       int64_t deadline_ns, char *err, size_t errlen);

/* Compares case ids numerically component by component ("2.10" after
 * "2.9", components of any length, "1.01" equal to "1.1"); on any other
 * string, digit runs compare as numbers and other bytes as themselves.  A
 * total preorder on all strings, so usable with qsort on untrusted ids. */
int lcase_id_cmp(const char *a, const char *b);

/* Autobahn's case patterns: '*' matches any run of characters, everything
 * else is literal ('.' included).  Returns 1 on a match. */
int lcase_pattern_match(const char *pattern, const char *id);

#endif
