/*
 * role_server.h: wsprobe in the server role, testing WebSocket CLIENTS
 * through Autobahn|Testsuite's fuzzingserver URL protocol, so the client
 * drivers projects already have (ws, tungstenite, websockets, wslay...)
 * work unchanged (shared/reference/autobahn.md sections 3.3 and 6).
 *
 * The client under test drives everything; each WebSocket connection's
 * request target says what it wants:
 *
 *   /getCaseCount                  one text message: the number of cases
 *   /runCase?case=N&agent=A        case N (1-based, in id order) is played
 *   /runCase?casetuple=X.Y&agent=A the same, named by id
 *   /getCaseInfo?case=N            {"id": ..., "description": ...}
 *   /getCaseStatus?case=N&agent=A  {"behavior": ...}
 *   /updateReports?agent=A         the reports of every agent into DIR
 *                                  (rep_write_all: results.json, and
 *                                  Autobahn's index.json, which client
 *                                  drivers read); &shutdownOnComplete=true
 *                                  then stops
 *   /stopServer                    stops (the reports are written first:
 *                                  unlike Autobahn, nothing is lost)
 *   anything else                  HTTP 404
 *
 * A connection may also start with "CONNECT host:port HTTP/1.1", as from a
 * client configured to use this server as its HTTP proxy: it is answered
 * "200 Connection established" and then served as a direct connection
 * (TLS included); the cases see the CONNECT line (s.proxy_request, case
 * 22.5.1, R6455-4.1-10).
 *
 * Query values are percent-decoded ('+' is a space, as in HTML forms and
 * Python's parse_qs, which Autobahn uses).  A /runCase or status request
 * without an agent, or with a case that does not exist, has its handshake
 * answered and is then closed with 1008 and a reason.
 *
 * Connections are served one at a time, like Autobahn's fuzzingserver;
 * every wait is bounded by the session's timers (the opening handshake by
 * handshake_timeout_ms), so a client that hangs delays the others but
 * cannot block the server.
 */
#ifndef ROLE_SERVER_H
#define ROLE_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "res.h"
#include "run.h"

/* exclude-agent-cases: cases matching one of cases[] are not played for an
 * agent whose name matches agent (both Autobahn '*' patterns). */
struct run_server_agent_rule {
	const char *agent;
	const char *const *cases;
	size_t ncases;
};

struct run_server_opts {
	const char *host;            /* listen address (NULL: any) */
	uint16_t port;               /* 0: any free port */
	const char *tls_cert;        /* both or neither: wss:// */
	const char *tls_key;
	const struct run_select *sel; /* NULL: every case */
	const struct run_source *src; /* NULL: the embedded library */
	const struct run_server_agent_rule *agent_rules;
	size_t nagent_rules;
	const char *const *protocols; /* subprotocols accepted, in preference */
	size_t nprotocols;
	const char *report_dir;      /* NULL: no report is written */
	struct capcase_opts *pcap;   /* --pcap: a capture per case played
				      * (NULL: none; its dir is report_dir) */
	uint64_t seed;               /* per-case seeds come from it */
	double timeout_scale;        /* every timer (0: 1.0) */
	uint64_t max_message;        /* largest message accepted (0: 64 MiB) */
	int compressor;              /* sess_cfg.compressor */
	int64_t handshake_timeout_ms; /* TLS + request head (0: 5000, scaled) */
	FILE *log;                   /* one line per connection (NULL: none) */
	/* Called once listening, with the bound port (may be NULL). */
	void (*ready)(uint16_t port, void *user);
	void *user;
	volatile int *stop;          /* set (by a signal handler) to stop */
};

/*
 * Listens and serves the URL protocol until *o->stop is set, /stopServer
 * is asked, or /updateReports?shutdownOnComplete=true has written the
 * reports.  Every played case is stored in *results (initialised by the
 * caller with res_run_init, freed by the caller) under an agent with role
 * "client" and target "HOST:PORT"; a case played again for the same agent
 * replaces the earlier result.  When the server stops, the reports are
 * written to o->report_dir (when set), whatever stopped it.
 *
 * Returns 0 once stopped; err is then "" or, when the final report could
 * not be written, says why.  Before serving, it fails with WSP_E_INVAL
 * (a case file does not load, TLS files missing or bad, an option out of
 * range: err names the file or option) or with WSP_E_NET_RESOLVE /
 * WSP_E_NET_LISTEN (cannot listen: err says why).
 */
int run_server(const struct run_server_opts *o, struct res_run *results,
	       char *err, size_t errlen);

/*
 * Finds the parameter name in the query of a request target ("/p?a=1&b=2":
 * everything after the first '?'; a target without one has no
 * parameters) and writes its value, percent-decoded ("%41" is 'A', '+' is
 * a space, a '%' not followed by two hex digits stays as it is), into
 * out[0..cap) NUL-terminated.  Names are compared as written, not decoded.
 * The first occurrence wins; "name" without '=' has the empty value.
 * Returns the value's decoded length (>= 0) when found, or:
 *   WSP_E_INCOMPLETE  the parameter is absent (out is "" when cap > 0)
 *   WSP_E_NOSPACE     the decoded value needs cap bytes or more (out is "")
 *   WSP_E_INVAL       the value decodes to a NUL byte (out is ""), or a
 *                     NULL argument, or cap 0
 */
int run_server_query_get(const char *target, const char *name, char *out,
			 size_t cap);

/* The path of a request target: its length up to the first '?'. */
size_t run_server_path_len(const char *target);

/* The request target of a request head that did not parse (head: the
 * bytes read, NUL-terminated): the bytes after "GET " up to a space, CR or
 * LF.  Into ascii[0..acap) it writes them with every byte >= 0x80 made
 * '_' (for the query parser), into shown[0..scap) with control and
 * non-ASCII bytes written \xHH (for a reason; cut to fit, never inside
 * an escape); both NUL-terminated.  Returns 1 when the target holds a raw
 * byte >= 0x80, 0 when it holds none, -1 when the head does not start
 * with "GET ", the target does not fit ascii, or scap < 1 (22.7.2,
 * R6455-11.1.1-02: an IRI sent as raw bytes). */
int run_server_unparsed_target(const char *head, char *ascii, size_t acap,
			       char *shown, size_t scap);

/* Autobahn's fuzzingserver.json, loaded (strings owned by the struct). */
struct run_server_spec {
	int has_url;
	char host[256];              /* from "url": listen address */
	uint16_t port;
	int secure;                  /* wss:// */
	char *outdir;                /* "outdir" (NULL when absent) */
	char *key, *cert;            /* "key", "cert" (NULL when absent) */
	char **cases;                /* "cases" */
	size_t ncases;
	char **exclude;              /* "exclude-cases" */
	size_t nexclude;
	struct run_server_agent_rule *agent_rules; /* "exclude-agent-cases" */
	size_t nagent_rules;
	char **protocols;            /* "protocols" */
	size_t nprotocols;
	uint64_t max_message;        /* options.maxMessagePayloadSize (0: none) */
};

/*
 * Parses the fuzzingserver.json document text[0..len) (name is used in
 * messages).  Keys Autobahn knows but wsprobe does not use ("webport",
 * "options" other than maxMessagePayloadSize, "debug"...) are ignored;
 * keys of the wrong type, a bad URL, more than RUN_MAX_PATTERNS patterns,
 * or a wss:// URL without key and cert are errors.  Returns 0, or
 * WSP_E_INVAL with one line "NAME: what is wrong" in err, or WSP_E_NOMEM.
 * *spec must be freed with run_server_spec_free either way.
 */
int run_server_spec_parse(struct run_server_spec *spec, const char *name,
			  const char *text, size_t len, char *err,
			  size_t errlen);

/* Reads path and calls run_server_spec_parse; an unreadable file is
 * WSP_E_INVAL with the system's reason. */
int run_server_spec_load(struct run_server_spec *spec, const char *path,
			 char *err, size_t errlen);

void run_server_spec_free(struct run_server_spec *spec);

#endif
