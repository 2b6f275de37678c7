/*
 * spec.h: Autobahn|Testsuite's fuzzingclient.json, read unchanged, so a
 * project moving from Autobahn keeps its spec file.  Fields used: outdir,
 * servers[].agent, servers[].url, cases, exclude-cases and
 * exclude-agent-cases ({agent pattern: [case patterns]}).  options (global
 * and per server) are accepted and ignored: wsprobe's timers and limits are
 * set on its command line.
 */
#ifndef SPEC_H
#define SPEC_H

#include <stddef.h>

#include "run.h"

struct spec_server {
	char *agent;
	char *url;
};

struct spec_agent_exclude {
	char *agent_pattern;
	char *cases[RUN_MAX_PATTERNS];
	size_t ncases;
};

struct spec_client {
	char *outdir;
	struct spec_server *servers;
	size_t nservers;
	char *cases[RUN_MAX_PATTERNS];
	size_t ncases;
	char *exclude[RUN_MAX_PATTERNS];
	size_t nexclude;
	struct spec_agent_exclude *agent_excludes;
	size_t nagent_excludes;
};

/*
 * Parses the fuzzingclient.json document text[0..len) (no terminating NUL
 * needed); path names it in messages.  Returns 0, WSP_E_INVAL with
 * one line "path: what is wrong" (or "path:line:column: ..." for JSON
 * syntax) in err, or WSP_E_NOMEM.  The strings are copies owned by sc;
 * free with spec_client_free either way.
 */
int spec_client_load_buffer(struct spec_client *sc, const char *path,
			    const char *text, size_t len, char *err,
			    size_t errlen);

/* Writes jansson's parse error (its line, column and text) into err as one
 * line, "PATH:LINE:COLUMN: TEXT" or "PATH: TEXT" when it has no position,
 * with control bytes (jansson quotes the input near the error, newlines
 * included) replaced by spaces.  Shared by both spec readers. */
void spec_json_error(char *err, size_t errlen, const char *path, int line,
		     int column, const char *text);

/* Reads the whole spec file path, at most 16 MiB (Autobahn's spec files,
 * fuzzingclient.json here and fuzzingserver.json in role_server.c), into
 * a malloc'd *text of *len bytes (not NUL-terminated; the caller frees
 * it).  Returns 0; WSP_E_INVAL with one line in err: "PATH: <the system's
 * reason>" when it cannot be opened, "PATH: read error", "PATH: larger
 * than 16 MiB"; or WSP_E_NOMEM ("PATH: out of memory").  *text is NULL on
 * failure. */
int spec_read_file(const char *path, char **text, size_t *len, char *err,
		   size_t errlen);

/* Reads path (spec_read_file) and calls spec_client_load_buffer.  An
 * unreadable file is WSP_E_INVAL with the system's reason in err. */
int spec_client_load(struct spec_client *sc, const char *path, char *err,
		     size_t errlen);
void spec_client_free(struct spec_client *sc);

/* Adds to sel the exclusions exclude-agent-cases sets for agent. */
void spec_agent_select(const struct spec_client *sc, const char *agent,
		       struct run_select *sel);

#endif
