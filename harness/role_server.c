/*
 * role_server.c: the server role, Autobahn's fuzzingserver URL protocol
 * (contract in role_server.h).
 *
 * One loop accepts a connection, reads its request head with
 * sess_read_request, and dispatches on the path.  /runCase hands the
 * session to run_play exactly as the client role does, so a case judges a
 * client with the same code that judges servers; the other endpoints
 * answer the handshake, send at most one text message and close.  The
 * case files are loaded once (one Lua state per file is enough: cases are
 * played one after another) and the selected client-role cases are sorted
 * by id, which is the numbering /runCase?case=N uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

#include "hs.h"
#include "rep.h"
#include "role_server.h"
#include "spec.h"
#include "wsp_err.h"

/* ------------------------------------------------------------------------
 * Query strings
 */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t run_server_path_len(const char *target)
{
	const char *q = strchr(target, '?');
	return q != NULL ? (size_t)(q - target) : strlen(target);
}

/* Decodes b[0..e) into out[0..cap) as run_server_query_get describes. */
static int decode_value(const char *b, const char *e, char *out, size_t cap)
{
	size_t n = 0;
	const char *p = b;
	while (p < e) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '%' && (size_t)(e - p) >= 3 && hexval(p[1]) >= 0 &&
		    hexval(p[2]) >= 0) {
			ch = (unsigned char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 3;
		} else {
			if (ch == '+')
				ch = ' ';
			p++;
		}
		if (ch == 0) {
			out[0] = '\0';
			return WSP_E_INVAL;
		}
		if (n + 1 >= cap) {
			out[0] = '\0';
			return WSP_E_NOSPACE;
		}
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return (int)n;
}

int run_server_query_get(const char *target, const char *name, char *out,
			 size_t cap)
{
	if (target == NULL || name == NULL || out == NULL || cap == 0)
		return WSP_E_INVAL;
	/* The decoded length is returned as an int. */
	if (cap > (size_t)INT32_MAX)
		cap = (size_t)INT32_MAX;
	out[0] = '\0';
	const char *q = strchr(target, '?');
	if (q == NULL)
		return WSP_E_INCOMPLETE;
	size_t nlen = strlen(name);
	const char *p = q + 1;
	for (;;) {
		const char *end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *kend = eq != NULL ? eq : end;
		if ((size_t)(kend - p) == nlen && memcmp(p, name, nlen) == 0)
			return decode_value(eq != NULL ? eq + 1 : end, end, out,
					    cap);
		if (*end == '\0')
			return WSP_E_INCOMPLETE;
		p = end + 1;
	}
}

/* ------------------------------------------------------------------------
 * fuzzingserver.json
 */

static char *dup_str(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (d != NULL)
		memcpy(d, s, n + 1);
	return d;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void run_server_spec_free(struct run_server_spec *spec)
{
	if (spec == NULL)
		return;
	free(spec->outdir);
	free(spec->key);
	free(spec->cert);
	free_strs(spec->cases, spec->ncases);
	free_strs(spec->exclude, spec->nexclude);
	free_strs(spec->protocols, spec->nprotocols);
	for (size_t i = 0; i < spec->nagent_rules; i++) {
		free((char *)spec->agent_rules[i].agent);
		free_strs((char **)spec->agent_rules[i].cases,
			  spec->agent_rules[i].ncases);
	}
	free(spec->agent_rules);
	memset(spec, 0, sizeof(*spec));
}

/* Copies at most max bytes of s into out[0..cap) for a one-line message:
 * control bytes (a JSON key may hold "\n", "\t" or "\u0001") become '?',
 * and a cut never splits a UTF-8 sequence. */
static void msg_quote(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (n >= cap)
		n = cap - 1;
	if (s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* s[n] continues a sequence: cut before it */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
}

/* The optional member key of root into *v: NULL when absent or null, else
 * the member when its type is want; another type is WSP_E_INVAL with
 * "NAME: \"KEY\" must be WHAT". */
static int spec_member(json_t *root, const char *key, json_type want,
		       const char *what, json_t **v, const char *name,
		       char *err, size_t errlen)
{
	*v = json_object_get(root, key);
	if (*v == NULL || json_is_null(*v)) {
		*v = NULL;
		return 0;
	}
	if (json_typeof(*v) != want) {
		snprintf(err, errlen, "%s: \"%s\" must be %s", name, key, what);
		return WSP_E_INVAL;
	}
	return 0;
}

/* An optional string member into *dst (NULL when absent). */
static int spec_str(json_t *root, const char *key, char **dst,
		    const char *name, char *err, size_t errlen)
{
	json_t *v;
	int rc = spec_member(root, key, JSON_STRING, "a string", &v, name, err,
			     errlen);
	if (rc != 0 || v == NULL)
		return rc;
	*dst = dup_str(json_string_value(v));
	return *dst != NULL ? 0 : WSP_E_NOMEM;
}

/* An array of strings (v may be NULL: absent) into a new vector. */
static int spec_strs(json_t *v, const char *what, size_t max, char ***dst,
		     size_t *n, const char *name, char *err, size_t errlen)
{
	*dst = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		snprintf(err, errlen, "%s: %s must be an array of strings", name,
			 what);
		return WSP_E_INVAL;
	}
	size_t cnt = json_array_size(v);
	if (cnt > max) {
		snprintf(err, errlen, "%s: %s has %zu entries, at most %zu "
				      "are supported", name, what, cnt, max);
		return WSP_E_INVAL;
	}
	*dst = calloc(cnt ? cnt : 1, sizeof(char *));
	if (*dst == NULL)
		return WSP_E_NOMEM;
	for (size_t i = 0; i < cnt; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e)) {
			snprintf(err, errlen, "%s: %s[%zu] must be a string", name,
				 what, i);
			return WSP_E_INVAL;
		}
		(*dst)[i] = dup_str(json_string_value(e));
		if ((*dst)[i] == NULL)
			return WSP_E_NOMEM;
		*n = i + 1;
	}
	return 0;
}

static int spec_url(struct run_server_spec *spec, json_t *root,
		    const char *name, char *err, size_t errlen)
{
	json_t *v;
	int rc = spec_member(root, "url", JSON_STRING, "a string", &v, name,
			     err, errlen);
	if (rc != 0 || v == NULL)
		return rc;
	const char *s = json_string_value(v);
	struct url u;
	rc = url_parse(&u, s, strlen(s));
	if (rc != 0) {
		char shown[201]; /* the file's text: sanitised, as below */
		msg_quote(shown, sizeof(shown), s, 200);
		snprintf(err, errlen, "%s: \"url\": %s: %s", name, shown,
			 wsp_strerror(rc));
		return WSP_E_INVAL;
	}
	if (u.host_len >= sizeof(spec->host)) {
		snprintf(err, errlen, "%s: \"url\": host too long", name);
		return WSP_E_INVAL;
	}
	memcpy(spec->host, u.host, u.host_len + 1);
	spec->port = u.port;
	spec->secure = u.secure;
	spec->has_url = 1;
	return 0;
}

static int spec_agent_rules(struct run_server_spec *spec, json_t *root,
			    const char *name, char *err, size_t errlen)
{
	json_t *v;
	int rc = spec_member(root, "exclude-agent-cases", JSON_OBJECT,
			     "an object {agent pattern: [case patterns]}", &v,
			     name, err, errlen);
	if (rc != 0 || v == NULL)
		return rc;
	size_t cnt = json_object_size(v);
	spec->agent_rules = calloc(cnt ? cnt : 1, sizeof(*spec->agent_rules));
	if (spec->agent_rules == NULL)
		return WSP_E_NOMEM;
	const char *agent;
	json_t *pats;
	json_object_foreach(v, agent, pats)
	{
		struct run_server_agent_rule *r =
			&spec->agent_rules[spec->nagent_rules];
		char *a = dup_str(agent);
		if (a == NULL)
			return WSP_E_NOMEM;
		r->agent = a;
		spec->nagent_rules++;
		/* The agent name is the file's, not ours: it goes into the
		 * one-line error messages below only once sanitised. */
		char what[160], shown[101];
		msg_quote(shown, sizeof(shown), agent, 100);
		snprintf(what, sizeof(what), "\"exclude-agent-cases\".\"%s\"",
			 shown);
		if (json_is_null(pats)) { /* spec_strs would take it as [] */
			snprintf(err, errlen, "%s: %s must be an array of strings",
				 name, what);
			return WSP_E_INVAL;
		}
		char **list;
		rc = spec_strs(pats, what, SIZE_MAX / sizeof(char *), &list,
			       &r->ncases, name, err, errlen);
		r->cases = (const char *const *)list;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int spec_options(struct run_server_spec *spec, json_t *root,
			const char *name, char *err, size_t errlen)
{
	json_t *v;
	int rc = spec_member(root, "options", JSON_OBJECT, "an object", &v, name,
			     err, errlen);
	if (rc != 0 || v == NULL)
		return rc;
	json_t *m = json_object_get(v, "maxMessagePayloadSize");
	if (m != NULL && !json_is_null(m)) {
		if (!json_is_integer(m) || json_integer_value(m) < 0 ||
		    json_integer_value(m) > ((json_int_t)1 << 40)) {
			snprintf(err, errlen, "%s: \"options\".\"maxMessagePayloadSize"
					      "\" must be an integer from 0 to 2^40",
				 name);
			return WSP_E_INVAL;
		}
		spec->max_message = (uint64_t)json_integer_value(m);
	}
	return 0;
}

int run_server_spec_parse(struct run_server_spec *spec, const char *name,
			  const char *text, size_t len, char *err,
			  size_t errlen)
{
	memset(spec, 0, sizeof(*spec));
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		spec_json_error(err, errlen, name, je.line, je.column, je.text);
		return WSP_E_INVAL;
	}
	int rc = WSP_E_INVAL;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: the top level must be a JSON object",
			 name);
		goto out;
	}
	if ((rc = spec_url(spec, root, name, err, errlen)) != 0 ||
	    (rc = spec_str(root, "outdir", &spec->outdir, name, err, errlen)) != 0 ||
	    (rc = spec_str(root, "key", &spec->key, name, err, errlen)) != 0 ||
	    (rc = spec_str(root, "cert", &spec->cert, name, err, errlen)) != 0 ||
	    (rc = spec_strs(json_object_get(root, "cases"), "\"cases\"",
			    RUN_MAX_PATTERNS, &spec->cases, &spec->ncases, name,
			    err, errlen)) != 0 ||
	    (rc = spec_strs(json_object_get(root, "exclude-cases"),
			    "\"exclude-cases\"", RUN_MAX_PATTERNS, &spec->exclude,
			    &spec->nexclude, name, err, errlen)) != 0 ||
	    (rc = spec_strs(json_object_get(root, "protocols"), "\"protocols\"",
			    64, &spec->protocols, &spec->nprotocols, name, err,
			    errlen)) != 0 ||
	    (rc = spec_agent_rules(spec, root, name, err, errlen)) != 0 ||
	    (rc = spec_options(spec, root, name, err, errlen)) != 0)
		goto out;
	rc = WSP_E_INVAL;
	if ((spec->key != NULL) != (spec->cert != NULL)) {
		snprintf(err, errlen, "%s: \"key\" and \"cert\" go together",
			 name);
		goto out;
	}
	if (spec->secure && spec->key == NULL) {
		snprintf(err, errlen, "%s: a wss:// \"url\" needs \"key\" and "
				      "\"cert\"", name);
		goto out;
	}
	rc = 0;
out:
	if (rc == WSP_E_NOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	json_decref(root);
	return rc;
}

int run_server_spec_load(struct run_server_spec *spec, const char *path,
			 char *err, size_t errlen)
{
	memset(spec, 0, sizeof(*spec));
	char *buf;
	size_t len;
	int rc = spec_read_file(path, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = run_server_spec_parse(spec, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------------
 * Serving
 */

struct srv_case {
	struct lcase_file *f;
	const struct lcase_meta *c;
};

struct srv {
	const struct run_server_opts *o;
	struct res_run *results;
	struct lcase_file *files;
	size_t nfiles;
	struct srv_case *cases;       /* selected client-role cases, by id */
	size_t ncases;
	struct net_tls tls;
	int have_tls;
	struct sess_open_opts open;
	char target[NET_ADDR_MAX + 8]; /* "HOST:PORT" for the results */
	char peer[NET_ADDR_MAX];      /* the client being served, for logs */
	int stopping;
	int dirty;                    /* results changed since the last write */
	int written;                  /* a report was written */
	char report_err[256];
	/* (coverage helper, issue 4) The first line of the CONNECT request
	 * the connection being served started with, "" when none. */
	char proxy_line[256];
	/* Cases with LCASE_CONN_UNTRUSTED_CERT (22.3.5, R6455-4.1-15) and
	 * LCASE_CONN_PROXY_REFUSED (22.5.2, R6455-4.1-13).  A request travels
	 * inside TLS, or after the proxy's answer, so which case a connection
	 * is for is unknown until then.  The server predicts it: a driver
	 * asks for the cases in order (/getCaseCount, then /runCase 1, 2,
	 * ...), so the connection after case i's is case i+1's.  When that
	 * case wants an untrusted certificate or a refused CONNECT, that one
	 * connection (once per driver run) is served so and judged here, not
	 * by a case script: no request, or none yet, says which case it is. */
	struct net_tls untrusted;
	int have_untrusted;
	size_t expect_next;    /* index (1-based) of the case asked for next;
				  0: unknown */
	size_t conn_done;      /* index last served that way (0: none this
				  driver run) */
	char last_agent[256];  /* agent of the last request naming one; ""
				  after /getCaseCount (a new driver run) */
	struct res_case pending; /* judged before any agent was named */
	int have_pending;
	/* Cases with connections = 2 (22.8.1, R6455-4.1-05/06/07) watch the
	 * listener for the driver's other connections; /getCaseInfo's
	 * targets name the port. */
	struct net_listener *listener;
	unsigned port;
};

static double scale_of(const struct run_server_opts *o)
{
	return o->timeout_scale > 0 ? o->timeout_scale : 1.0;
}

static int cmp_cases(const void *a, const void *b)
{
	const struct srv_case *x = a, *y = b;
	return lcase_id_cmp(x->c->id, y->c->id);
}

static int cmp_res_cases(const void *a, const void *b)
{
	const struct res_case *x = a, *y = b;
	return lcase_id_cmp(x->id ? x->id : "", y->id ? y->id : "");
}

/* Copies s into out for a log line or a close reason: printable ASCII
 * only, at most max bytes (a close reason must stay valid UTF-8 and within
 * 123 bytes, and a log line must not carry terminal escapes). */
static void sanitize(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = 0;
	for (; *s != '\0' && n + 1 < cap && n < max; s++)
		out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[n] = '\0';
}

static void logf_line(struct srv *v, const struct sess *s, const char *what)
{
	if (v->o->log == NULL)
		return;
	char path[160];
	sanitize(path, sizeof(path), s->req_path, 120);
	fprintf(v->o->log, "wsprobe server: %s %s: %s\n", v->peer, path,
		what);
	fflush(v->o->log);
}

static int write_reports(struct srv *v)
{
	struct res_run *r = v->results;
	for (size_t i = 0; i < r->nagents; i++)
		if (r->agents[i].ncases > 1)
			qsort(r->agents[i].cases, r->agents[i].ncases,
			      sizeof(struct res_case), cmp_res_cases);
	if (v->o->report_dir == NULL)
		return 0;
	char err[512];
	/* results.json, and the Autobahn layout (index.json) that client
	 * drivers read once /updateReports has closed, junit.xml, HTML. */
	if (rep_write_all(r, v->o->report_dir, err, sizeof(err)) != 0) {
		snprintf(v->report_err, sizeof(v->report_err), "%.250s", err);
		return -1;
	}
	v->report_err[0] = '\0';
	v->dirty = 0;
	v->written = 1;
	return 0;
}

static struct res_agent *find_agent(struct res_run *r, const char *agent)
{
	for (size_t i = 0; i < r->nagents; i++)
		if (strcmp(r->agents[i].agent, agent) == 0)
			return &r->agents[i];
	return NULL;
}

static int agent_excluded(struct srv *v, const char *agent, const char *id)
{
	for (size_t i = 0; i < v->o->nagent_rules; i++) {
		const struct run_server_agent_rule *r = &v->o->agent_rules[i];
		if (!lcase_pattern_match(r->agent, agent))
			continue;
		for (size_t k = 0; k < r->ncases; k++)
			if (lcase_pattern_match(r->cases[k], id))
				return 1;
	}
	return 0;
}

/* 1 when the include patterns name id but an exclude pattern drops it. */
static int sel_excluded(const struct run_select *sel, const char *id)
{
	if (sel == NULL || sel->nexclude == 0)
		return 0;
	struct run_select inc = *sel;
	inc.nexclude = 0;
	return run_selected(&inc, id) && !run_selected(sel, id);
}

/* A new agent's results list the client-role cases it will not be offered
 * (exclude patterns, exclude-agent-cases), as reports show skipped cases;
 * Autobahn shows them as "Missing". */
static void add_skips(struct srv *v, struct res_agent *a)
{
	for (size_t i = 0; i < v->nfiles; i++)
		for (size_t k = 0; k < v->files[i].ncases; k++) {
			const struct lcase_meta *c = &v->files[i].cases[k];
			if (!(c->roles & LCASE_ROLE_CLIENT))
				continue;
			if (sel_excluded(v->o->sel, c->id) ||
			    (run_selected(v->o->sel, c->id) &&
			     agent_excluded(v, a->agent, c->id)))
				res_add_excluded(a, c->id, c->title);
		}
}

/* Moves *c into the results of agent (replacing an earlier result for the
 * same case).  On failure *c is freed. */
static void store_result(struct srv *v, const char *agent, struct res_case *c)
{
	struct res_agent *a = find_agent(v->results, agent);
	if (a == NULL) {
		a = res_add_agent(v->results, agent, "client", v->target);
		if (a != NULL)
			add_skips(v, a);
	}
	if (a == NULL) {
		res_case_free(c);
		return;
	}
	struct res_case *slot = NULL;
	for (size_t i = 0; i < a->ncases && slot == NULL; i++)
		if (a->cases[i].id != NULL && c->id != NULL &&
		    strcmp(a->cases[i].id, c->id) == 0)
			slot = &a->cases[i];
	if (slot != NULL)
		res_case_free(slot);
	else
		slot = res_add_case(a);
	if (slot == NULL) {
		res_case_free(c);
		return;
	}
	*slot = *c;
	memset(c, 0, sizeof(*c));
	res_count(a);
	v->dirty = 1;
}

/* agent named itself in a request: it is the driver being served; a
 * result judged before any agent was named is its. */
static void note_agent(struct srv *v, const char *agent)
{
	snprintf(v->last_agent, sizeof(v->last_agent), "%s", agent);
	if (v->have_pending) {
		v->have_pending = 0;
		store_result(v, agent, &v->pending);
	}
}

static const struct res_case *find_result(struct srv *v, const char *agent,
					  const char *id)
{
	struct res_agent *a = find_agent(v->results, agent);
	for (size_t i = 0; a != NULL && i < a->ncases; i++)
		if (a->cases[i].id != NULL && strcmp(a->cases[i].id, id) == 0)
			return &a->cases[i];
	return NULL;
}

/* Strict decimal 1..max. */
static int parse_index(const char *s, size_t max, size_t *out)
{
	size_t v = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		size_t d = (size_t)(*s - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The case a request names (case=N or casetuple=ID), or NULL with why. */
static const struct srv_case *lookup_case(struct srv *v, const char *target,
					  char *why, size_t cap)
{
	char val[64], shown[48];
	int rc = run_server_query_get(target, "case", val, sizeof(val));
	if (rc >= 0) {
		size_t n;
		if (parse_index(val, v->ncases, &n) == 0)
			return &v->cases[n - 1];
		sanitize(shown, sizeof(shown), val, 20);
		snprintf(why, cap, "no case %s: case numbers go from 1 to %zu",
			 shown, v->ncases);
		return NULL;
	}
	if (rc != WSP_E_INCOMPLETE) {
		snprintf(why, cap, "bad case number");
		return NULL;
	}
	rc = run_server_query_get(target, "casetuple", val, sizeof(val));
	if (rc >= 0) {
		for (size_t i = 0; i < v->ncases; i++)
			if (strcmp(v->cases[i].c->id, val) == 0)
				return &v->cases[i];
		sanitize(shown, sizeof(shown), val, 20);
		snprintf(why, cap, "no case %s in this run", shown);
		return NULL;
	}
	if (rc != WSP_E_INCOMPLETE)
		snprintf(why, cap, "bad casetuple");
	else
		snprintf(why, cap, "missing case=N or casetuple=ID");
	return NULL;
}

/* The agent parameter into out, or -1 with why. */
static int get_agent(const char *target, char *out, size_t cap, char *why,
		     size_t whycap)
{
	int rc = run_server_query_get(target, "agent", out, cap);
	if (rc == WSP_E_INCOMPLETE || rc == 0) {
		snprintf(why, whycap, "missing agent=NAME");
		return -1;
	}
	if (rc == WSP_E_NOSPACE) {
		snprintf(why, whycap, "agent name longer than %zu bytes", cap - 1);
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whycap, "agent name contains a NUL byte");
		return -1;
	}
	/* The reports are JSON: the name must be valid UTF-8. */
	json_t *j = json_string(out);
	if (j == NULL) {
		snprintf(why, whycap, "agent name is not valid UTF-8");
		return -1;
	}
	json_decref(j);
	return 0;
}

/* Answers the handshake; 0 when the connection is open. */
static int open_ws(struct srv *v, struct sess *s)
{
	int rc = sess_accept(s, &v->open);
	if (rc != 0) {
		char line[320];
		snprintf(line, sizeof(line), "handshake refused: %.280s",
			 s->open_error);
		logf_line(v, s, line);
	}
	return rc;
}

static void send_text(struct sess *s, const char *text)
{
	sess_send_message(s, WSP_OP_TEXT, (const uint8_t *)text, strlen(text),
			  0, 0, NULL);
}

/* Answers the handshake, then closes with code and reason. */
static void refuse(struct srv *v, struct sess *s, uint16_t code,
		   const char *reason)
{
	char line[200];
	snprintf(line, sizeof(line), "closed with %u: %.150s", (unsigned)code,
		 reason);
	logf_line(v, s, line);
	if (open_ws(v, s) != 0)
		return;
	sess_close(s, 1, code, reason, strlen(reason));
}

static int path_is(const struct sess *s, size_t plen, const char *p)
{
	return plen == strlen(p) && memcmp(s->req_path, p, plen) == 0;
}

static int64_t handshake_ms(const struct srv *v)
{
	return v->o->handshake_timeout_ms > 0 ? v->o->handshake_timeout_ms
					      : 5000;
}

/* When what comes before a request (a CONNECT, the TLS handshake) must be
 * over: the handshake timeout, scaled. */
static struct clk_deadline handshake_deadline(const struct srv *v)
{
	return clk_deadline_in_ms(
		(int64_t)((double)handshake_ms(v) * scale_of(v->o)));
}

/* The session settings of every connection the server serves. */
static void srv_sess_cfg(const struct srv *v, struct sess_cfg *cfg)
{
	const struct run_server_opts *o = v->o;
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = WSP_ROLE_SERVER;
	cfg->seed = o->seed;
	cfg->max_message = o->max_message;
	cfg->compressor = o->compressor;
	cfg->timeout_scale = o->timeout_scale;
	cfg->open_timeout_ms = handshake_ms(v);
	cfg->record = 1;
	if (o->pcap != NULL)
		cfg->wirelog_max = capcase_wirelog_max(o->pcap);
}

/* sess_init with srv_sess_cfg; on failure (out of memory) c is closed and
 * -1 returned. */
static int srv_sess_init(const struct srv *v, struct sess *s,
			 struct net_conn *c)
{
	struct sess_cfg cfg;
	srv_sess_cfg(v, &cfg);
	if (sess_init(s, &cfg) != 0) {
		net_close(c);
		return -1;
	}
	return 0;
}

/* The verdict on a connection the server judges itself, for case index:
 * the one served with the untrusted certificate or the refused CONNECT
 * (see struct srv), a request that did not parse (judge_unparsed) or two
 * asked for at once (judge_concurrent).  verdict, with reason, and the
 * request when one came.  It is stored for the agent the request names,
 * else for the driver being served, else kept until a request names
 * one. */
static void judge_conn(struct srv *v, size_t index, enum vd_behavior verdict,
		       const char *reason, const struct sess *s,
		       const char *agent, int64_t t0)
{
	const struct lcase_meta *c = v->cases[index - 1].c;
	struct res_case rc;
	memset(&rc, 0, sizeof(rc));
	run_case_meta(&rc, c);
	rc.verdict = verdict;
	rc.behavior = rc.verdict;
	rc.close_behavior = VDC_OK;
	res_set_str(&rc.reason, reason);
	if (s != NULL && s->http_request != NULL)
		res_set_str(&rc.http_request, s->http_request);
	rc.duration_ms = (clk_now_ns() - t0) / 1000000;
	v->expect_next = index + 1; /* the driver goes on */
	if (v->o->log != NULL) {
		fprintf(v->o->log, "wsprobe server: %s: case %s %s: %s\n",
			v->peer, c->id, vd_behavior_name(verdict), reason);
		fflush(v->o->log);
	}
	if (agent != NULL && agent[0] != '\0') {
		store_result(v, agent, &rc);
		note_agent(v, agent);
	} else if (v->last_agent[0] != '\0') {
		store_result(v, v->last_agent, &rc);
	} else {
		if (v->have_pending)
			res_case_free(&v->pending);
		v->pending = rc;
		v->have_pending = 1;
	}
}

static void do_case_count(struct srv *v, struct sess *s)
{
	/* A driver run starts: case 1 comes next. */
	v->expect_next = 1;
	v->conn_done = 0;
	v->last_agent[0] = '\0';
	if (open_ws(v, s) != 0)
		return;
	char n[32];
	snprintf(n, sizeof(n), "%zu", v->ncases);
	send_text(s, n);
	sess_close(s, 1, 1000, NULL, 0);
	logf_line(v, s, n);
}

/* Serves c, the driver's other connection during a connections = 2 case
 * (TLS, request, 101, close 1000), and describes it in what.  Its request
 * should name the same case; anything else is refused, and said. */
static void serve_other(struct srv *v, struct net_conn *c, size_t index,
			char *what, size_t cap)
{
	if (v->have_tls &&
	    net_tls_handshake(c, &v->tls, NULL, handshake_deadline(v)) != 0) {
		snprintf(what, cap, "its TLS handshake failed: %.120s",
			 c->errmsg);
		net_close(c);
		return;
	}
	struct sess s;
	if (srv_sess_init(v, &s, c) != 0) {
		snprintf(what, cap, "out of memory");
		return;
	}
	if (sess_read_request(&s, c) != 0) {
		snprintf(what, cap, "no request on it: %.120s", s.open_error);
		sess_free(&s);
		return;
	}
	char why[128], line[100];
	sanitize(line, sizeof(line), s.req_path, 80);
	if (!path_is(&s, run_server_path_len(s.req_path), "/runCase") ||
	    lookup_case(v, s.req_path, why, sizeof(why)) != &v->cases[index - 1]) {
		snprintf(what, cap, "it asked for %s, not this case", line);
		refuse(v, &s, 1008, "expected another connection for the "
				    "case being run");
	} else {
		snprintf(what, cap, "GET %s", line);
		if (open_ws(v, &s) == 0)
			sess_close(&s, 1, 1000, NULL, 0);
	}
	if (s.state != SESS_CLOSED)
		sess_drop(&s);
	sess_free(&s);
}

/* A case with connections = 2 (22.8.1; R6455-4.1-05, -06, -07): a driver
 * that speaks wsprobe's extension opens two connections for it at once
 * through the client library, which must keep one waiting while the other
 * is CONNECTING.  s is the first: its 101 is held for 1 s (scaled)
 * while the listener is watched.  Another connection in that time (the
 * kernel completes a TCP handshake whether or not we accept) was opened
 * while s was CONNECTING: FAILED.  Else s opens, and another connection
 * within 3 s is the client's waiting one: OK.  None: the driver opened
 * one (it does not speak the extension), UNIMPLEMENTED. */
static void judge_concurrent(struct srv *v, struct sess *s, size_t index,
			     const char *agent, int64_t t0)
{
	double sc = scale_of(v->o);
	int64_t hold_ms = (int64_t)(1000.0 * sc), wait_ms = (int64_t)(3000.0 * sc);
	struct net_conn c2;
	net_conn_init(&c2);
	int early = net_accept(v->listener, &c2, clk_deadline_in_ms(hold_ms)) == 0;
	int64_t t_open = clk_now_ns();
	int opened = open_ws(v, s) == 0;
	int later = 0;
	if (!early && opened)
		later = net_accept(v->listener, &c2,
				   clk_deadline_in_ms(wait_ms)) == 0;
	int64_t t_other = clk_now_ns();
	char other[200] = "";
	if (early || later)
		serve_other(v, &c2, index, other, sizeof(other));
	if (opened && s->state != SESS_CLOSED)
		sess_close(s, 1, 1000, NULL, 0);
	char why[400];
	enum vd_behavior verdict;
	if (early) {
		verdict = VD_FAILED;
		snprintf(why, sizeof(why), "a second connection to the same "
			 "host and port came while the first was CONNECTING "
			 "(its 101 held for %lld ms): %s", (long long)hold_ms,
			 other);
	} else if (!opened) {
		/* A client that gave up within the hold broke no rule of
		 * these; it only shows nothing. */
		verdict = VD_INFORMATIONAL;
		snprintf(why, sizeof(why), "not judged: the first connection "
			 "did not open after its 101 was held for %lld ms: %s",
			 (long long)hold_ms, s->open_error);
	} else if (later) {
		verdict = VD_OK;
		snprintf(why, sizeof(why), "the second connection came %lld ms "
			 "after the first was OPEN, none while it was "
			 "CONNECTING (its 101 held for %lld ms): %s",
			 (long long)((t_other - t_open) / 1000000),
			 (long long)hold_ms, other);
	} else {
		verdict = VD_UNIMPLEMENTED;
		snprintf(why, sizeof(why), "one connection only, none other in "
			 "%lld ms: the driver does not open the connections "
			 "/getCaseInfo asks for (wsprobe's extension, "
			 "docs/cases.md)", (long long)(hold_ms + wait_ms));
	}
	judge_conn(v, index, verdict, why, s, agent, t0);
}

static void do_run_case(struct srv *v, struct sess *s)
{
	char agent[256], why[128];
	if (get_agent(s->req_path, agent, sizeof(agent), why, sizeof(why)) != 0) {
		refuse(v, s, 1008, why);
		return;
	}
	const struct srv_case *sc =
		lookup_case(v, s->req_path, why, sizeof(why));
	if (sc == NULL) {
		refuse(v, s, 1008, why);
		return;
	}
	note_agent(v, agent);
	size_t index = (size_t)(sc - v->cases) + 1;
	v->expect_next = index + 1;
	if (agent_excluded(v, agent, sc->c->id)) {
		snprintf(why, sizeof(why), "case %s is excluded for this agent",
			 sc->c->id);
		refuse(v, s, 1000, why);
		return;
	}
	/* A verdict the server gave on an earlier connection stays: the
	 * one served with the untrusted certificate or the refused CONNECT
	 * (the driver retried the case, or asked for something else first),
	 * or the raw bytes of 22.7.2's target, which a driver may follow
	 * with refused=. */
	char refused[8];
	int judged_before =
		((sc->c->conn != 0 && v->conn_done == index) ||
		 (sc->c->target != NULL &&
		  run_server_query_get(s->req_path, "refused", refused,
				       sizeof(refused)) != WSP_E_INCOMPLETE)) &&
		find_result(v, agent, sc->c->id) != NULL;
	if (judged_before) {
		snprintf(why, sizeof(why), "case %s was judged on the "
			 "connection before", sc->c->id);
		refuse(v, s, 1000, why);
		return;
	}
	if (sc->c->connections > 1) {
		judge_concurrent(v, s, index, agent, clk_now_ns());
		return;
	}
	/* The case's own seed, as in the client role: the same bytes for a
	 * case whatever ran before it. */
	s->cfg.seed = run_case_seed(v->o->seed, sc->c->id);
	s->rng = s->cfg.seed;
	struct run_case_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.s = s;
	ctx.server_open = &v->open;
	ctx.timeout_scale = scale_of(v->o);
	ctx.proxy_request = v->proxy_line[0] != '\0' ? v->proxy_line : NULL;
	ctx.pcap = v->o->pcap;
	if (ctx.pcap != NULL)
		ctx.pcap->agent = agent; /* capcase.h: a folder per later agent */
	struct res_case rc;
	memset(&rc, 0, sizeof(rc));
	run_play(&ctx, sc->f, sc->c, &rc);
	if (ctx.pcap != NULL)
		ctx.pcap->agent = NULL;
	char line[200];
	snprintf(line, sizeof(line), "case %s %s", sc->c->id,
		 vd_behavior_name(rc.verdict));
	logf_line(v, s, line);
	store_result(v, agent, &rc);
}

/* Percent-encodes s into out[0..cap) (RFC 3986 unreserved bytes kept). */
static void pct_encode(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			   c == '_' || c == '~';
		if (o + (keep ? 1 : 3) >= cap)
			break;
		if (keep) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* The Host header of s's request into out ("" when none). */
static void request_host(const struct sess *s, char *out, size_t cap)
{
	struct hs_header hdrs[64];
	struct hs_msg m;
	hs_msg_init(&m, hdrs, 64);
	out[0] = '\0';
	if (s->http_request == NULL ||
	    hs_parse_request(&m, s->http_request, s->http_request_len, 0) <= 0)
		return;
	const struct hs_header *h = hs_find(&m, "Host");
	if (h != NULL && h->value_len < cap) {
		memcpy(out, h->value, h->value_len);
		out[h->value_len] = '\0';
	}
}

/* wsprobe's extension of /getCaseInfo (docs/cases.md): "target", the URL
 * a driver opens for the case instead of /runCase?case=N&agent=A (a case's
 * target template, expanded), and "connections", how many the driver
 * opens at once.  Drivers that do not know them ignore them; the cases
 * then report UNIMPLEMENTED.  Returns 0, or -1 when out of memory. */
static int driver_extension(struct srv *v, struct sess *s,
			    const struct srv_case *sc, json_t *o)
{
	const struct lcase_meta *c = sc->c;
	if (c->connections > 1 &&
	    json_object_set_new(o, "connections",
				json_integer((json_int_t)c->connections)) != 0)
		return -1;
	if (c->target == NULL)
		return 0;
	char agent[256], why[128], agent_pct[3 * sizeof(agent) + 1],
		host[256];
	if (get_agent(s->req_path, agent, sizeof(agent), why, sizeof(why)) != 0)
		snprintf(agent, sizeof(agent), "unknown");
	pct_encode(agent_pct, sizeof(agent_pct), agent);
	request_host(s, host, sizeof(host));
	if (host[0] == '\0')
		snprintf(host, sizeof(host), "127.0.0.1:%u", v->port);
	struct lcase_target_vars tv = {
		v->have_tls ? "wss" : "ws", host, v->port,
		(size_t)(sc - v->cases) + 1, agent_pct};
	char url[1024];
	if (lcase_target_expand(c->target, &tv, url, sizeof(url)) != 0)
		return 0; /* a Host too long for the URL: no target */
	json_t *t = json_string(url);
	if (t == NULL)
		return 0;
	return json_object_set_new(o, "target", t) != 0 ? -1 : 0;
}

static void do_case_info(struct srv *v, struct sess *s)
{
	char why[128];
	const struct srv_case *sc =
		lookup_case(v, s->req_path, why, sizeof(why));
	if (sc == NULL) {
		refuse(v, s, 1008, why);
		return;
	}
	json_t *o = json_object();
	json_t *desc = json_string(sc->c->description ? sc->c->description : "");
	if (desc == NULL)
		desc = json_string("");
	json_object_set_new(o, "id", json_string(sc->c->id));
	json_object_set_new(o, "description", desc);
	if (driver_extension(v, s, sc, o) != 0) {
		json_decref(o);
		refuse(v, s, 1011, "out of memory");
		return;
	}
	char *text = json_dumps(o, 0);
	json_decref(o);
	if (text == NULL) {
		refuse(v, s, 1011, "out of memory");
		return;
	}
	if (open_ws(v, s) == 0) {
		send_text(s, text);
		sess_close(s, 1, 1000, NULL, 0);
		logf_line(v, s, sc->c->id);
	}
	free(text);
}

static void do_case_status(struct srv *v, struct sess *s)
{
	char agent[256], why[128];
	if (get_agent(s->req_path, agent, sizeof(agent), why, sizeof(why)) != 0) {
		refuse(v, s, 1008, why);
		return;
	}
	const struct srv_case *sc =
		lookup_case(v, s->req_path, why, sizeof(why));
	if (sc == NULL) {
		refuse(v, s, 1008, why);
		return;
	}
	note_agent(v, agent);
	/* Autobahn waits for the result; connections are served one at a
	 * time here, so a result that is not there now never will be. */
	const struct res_case *r = find_result(v, agent, sc->c->id);
	if (r == NULL) {
		snprintf(why, sizeof(why), "case %s has not run for this agent",
			 sc->c->id);
		refuse(v, s, 1008, why);
		return;
	}
	char text[64];
	snprintf(text, sizeof(text), "{\"behavior\": \"%s\"}",
		 vd_behavior_name(r->behavior));
	if (open_ws(v, s) != 0)
		return;
	send_text(s, text);
	sess_close(s, 1, 1000, NULL, 0);
	logf_line(v, s, text);
}

/* /updateReports and /stopServer: the close tells the client the report
 * is on disk (1011 when it could not be written). */
static void do_reports(struct srv *v, struct sess *s, int stop)
{
	char flag[16];
	if (!stop && run_server_query_get(s->req_path, "shutdownOnComplete",
					  flag, sizeof(flag)) >= 0 &&
	    (strcmp(flag, "true") == 0 || strcmp(flag, "1") == 0))
		stop = 1;
	char agent[256], why[128];
	if (get_agent(s->req_path, agent, sizeof(agent), why, sizeof(why)) == 0)
		note_agent(v, agent);
	v->expect_next = 0;
	/* Nothing changed since the last successful write: the files on
	 * disk are current (writing every format takes a while). */
	int rc = v->dirty || !v->written ? write_reports(v) : 0;
	if (stop)
		v->stopping = 1;
	if (open_ws(v, s) != 0)
		return;
	if (rc != 0) {
		logf_line(v, s, v->report_err);
		sess_close(s, 1, 1011, "cannot write the report", 23);
		return;
	}
	sess_close(s, 1, 1000, NULL, 0);
	logf_line(v, s, stop ? "reports written; stopping" : "reports written");
}

static void do_not_found(struct srv *v, struct sess *s)
{
	static const char body[] = "wsprobe server: unknown path (see "
				   "/getCaseCount, /runCase, /getCaseInfo, "
				   "/getCaseStatus, /updateReports, /stopServer)\n";
	char resp[512];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 404 Not Found\r\n"
			 "Content-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 sizeof(body) - 1, body);
	if (n > 0 && (size_t)n < sizeof(resp))
		net_write_all(&s->conn, resp, (size_t)n,
			      clk_deadline_in_ms(sess_scaled_ms(s, 1.0)));
	logf_line(v, s, "404");
	sess_drop(s);
}

/* (coverage helper, issue 4: R6455-4.1-10) A client configured to use
 * wsprobe server as its HTTP proxy starts with "CONNECT host:port
 * HTTP/1.1".  Such a head is read here, before any TLS (the tunnel
 * carries TLS), answered "200 Connection established", and its first line
 * kept in line[0..cap); the connection then goes on as a direct one.  The
 * first bytes are only peeked, so a connection that does not start with
 * CONNECT is untouched.  With refuse set a CONNECT is answered "502 Bad
 * Gateway" instead, and 1 returned (case 22.5.2).  Returns 0 (line ""
 * when there was no CONNECT), or
 * -1 with *why set when nothing arrived before dl (the handshake timeout:
 * a silent client is not waited for twice), the CONNECT head is too long
 * or cut, or the answer cannot be written (the caller drops the
 * connection). */
static int proxy_connect(struct net_conn *c, char *line, size_t cap,
			 struct clk_deadline dl, int refuse, const char **why)
{
	static const char verb[] = "CONNECT ";
	char peek[sizeof(verb) - 1];
	line[0] = '\0';
	*why = "no opening handshake request in time";
	for (;;) {
		ssize_t n = recv(c->fd, peek, sizeof(peek), MSG_PEEK);
		if (n > 0 && memcmp(peek, verb, (size_t)n) != 0)
			return 0;
		if (n == (ssize_t)sizeof(peek))
			break;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != EINTR))
			return 0; /* the normal path reports it */
		if (clk_expired(dl))
			return -1;
		if (n > 0) {
			/* A prefix of "CONNECT ": the socket stays readable,
			 * so wait a little instead of polling. */
			struct timespec ts = {0, 2 * 1000000};
			nanosleep(&ts, NULL);
		} else if (net_wait_readable(c, dl) != 0) {
			return -1;
		}
	}
	*why = "bad CONNECT request (longer than 8 KiB, or cut)";
	size_t have = 0, nl = 0;
	unsigned state = 0; /* bytes of "\r\n\r\n" matched */
	while (state < 4) {
		char ch;
		if (have == 8192 || net_read(c, &ch, 1, dl) != 1)
			return -1;
		have++;
		if (nl == 0 && ch != '\r' && ch != '\n' && have < cap)
			line[have - 1] = ch;
		else if (nl == 0)
			nl = have;
		if (ch == (state % 2 == 0 ? '\r' : '\n'))
			state++;
		else
			state = ch == '\r';
	}
	line[nl > 0 && nl - 1 < cap ? nl - 1 : cap - 1] = '\0';
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	static const char no[] = "HTTP/1.1 502 Bad Gateway\r\n"
				 "Content-Length: 0\r\n"
				 "Connection: close\r\n\r\n";
	*why = "cannot answer the CONNECT request";
	if (refuse)
		return net_write_all(c, no, sizeof(no) - 1, dl) == 0 ? 1 : -1;
	return net_write_all(c, ok, sizeof(ok) - 1, dl) == 0 ? 0 : -1;
}

/* The index of the case the next connection is expected to carry when
 * that case has the LCASE_CONN_* flag and has not been served so yet this
 * driver run; else 0. */
static size_t conn_due(const struct srv *v, unsigned flag)
{
	size_t i = v->expect_next;
	if (i < 1 || i > v->ncases || !(v->cases[i - 1].c->conn & flag) ||
	    v->conn_done == i)
		return 0;
	return i;
}

/* R6455-4.1-13: after the proxy's 502 the client must give up: anything
 * it sends on that connection (a TLS ClientHello, its request) means it
 * went on as if the tunnel were open.  Watched for 2 s (scaled). */
static void judge_refused_proxy(struct srv *v, struct net_conn *c,
				size_t index, int64_t t0)
{
	unsigned char buf[256];
	int64_t ms = (int64_t)(2000.0 * scale_of(v->o));
	ssize_t n = net_read(c, buf, sizeof(buf) - 1, clk_deadline_in_ms(ms));
	char why[400];
	if (n > 0) {
		char first[96];
		if (buf[0] == 0x16) {
			snprintf(first, sizeof(first), "a TLS handshake record");
		} else {
			buf[n] = '\0';
			char *eol = strpbrk((char *)buf, "\r\n");
			if (eol != NULL)
				*eol = '\0';
			char line[72];
			sanitize(line, sizeof(line), (const char *)buf, 64);
			snprintf(first, sizeof(first), "\"%s\"", line);
		}
		snprintf(why, sizeof(why), "after the proxy's 502 Bad Gateway "
			 "the client went on as if the tunnel were open: %zd "
			 "bytes, starting with %s", n, first);
	} else if (n == WSP_E_NET_TIMEOUT) {
		snprintf(why, sizeof(why), "the client sent nothing in %lld ms "
			 "after the proxy's 502 Bad Gateway (the connection "
			 "was still open)", (long long)ms);
	} else {
		snprintf(why, sizeof(why), "the client closed the connection "
			 "after the proxy's 502 Bad Gateway");
	}
	judge_conn(v, index, n <= 0 ? VD_OK : VD_FAILED, why, NULL, NULL, t0);
}

/* A request that did not parse, from a driver opening a case's target
 * (via=target in it): a client that sent the non-ASCII characters of its
 * IRI as raw bytes instead of percent-encoded UTF-8 (22.7.2,
 * R6455-11.1.1-02) breaks the request line, so that case is judged here.
 * Returns 1 when it was. */
int run_server_unparsed_target(const char *head, char *ascii, size_t acap,
			       char *shown, size_t scap)
{
	if (head == NULL || ascii == NULL || shown == NULL || acap < 1 ||
	    scap < 1 || strncmp(head, "GET ", 4) != 0)
		return -1;
	const char *r = head + 4;
	size_t n = strcspn(r, " \r\n");
	if (n >= acap)
		return -1;
	size_t o = 0;
	int raw = 0, full = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r[i];
		ascii[i] = c >= 0x80 ? '_' : (char)c;
		raw |= c >= 0x80;
		/* shown stops at the first byte that does not fit whole. */
		int escaped = c >= 0x80 || c < 0x20;
		if (full || o + (escaped ? 4 : 1) >= scap) {
			full = 1;
		} else if (escaped) {
			snprintf(shown + o, scap - o, "\\x%02X", c);
			o += 4;
		} else {
			shown[o++] = (char)c;
		}
	}
	ascii[n] = '\0';
	shown[o] = '\0';
	return raw;
}

static int judge_unparsed(struct srv *v, const struct sess *s, int64_t t0)
{
	char ascii[1024], shown[400];
	if (run_server_unparsed_target(s->http_request, ascii, sizeof(ascii),
				       shown, sizeof(shown)) != 1 ||
	    strstr(ascii, "via=target") == NULL)
		return 0;
	char why[600], agent[256];
	const struct srv_case *sc = lookup_case(v, ascii, why, sizeof(why));
	if (sc == NULL || sc->c->target == NULL)
		return 0;
	if (get_agent(ascii, agent, sizeof(agent), why, sizeof(why)) != 0)
		agent[0] = '\0';
	snprintf(why, sizeof(why), "the request target has raw non-ASCII "
		 "bytes, not percent-encoded UTF-8 (answered 400): GET %s",
		 shown);
	judge_conn(v, (size_t)(sc - v->cases) + 1, VD_FAILED, why, s, agent,
		   t0);
	return 1;
}

static void serve_one(struct srv *v, struct net_conn *c)
{
	int64_t t0 = clk_now_ns();
	const struct run_server_opts *o = v->o;
	const char *perr = NULL;
	size_t refused = conn_due(v, LCASE_CONN_PROXY_REFUSED);
	int prc = proxy_connect(c, v->proxy_line, sizeof(v->proxy_line),
				handshake_deadline(v), refused != 0, &perr);
	if (prc == 1) {
		v->conn_done = refused;
		memcpy(v->peer, c->peer, sizeof(v->peer));
		judge_refused_proxy(v, c, refused, t0);
		net_close(c);
		return;
	}
	if (prc != 0) {
		if (o->log != NULL) {
			fprintf(o->log, "wsprobe server: %s: %s\n", c->peer,
				perr);
			fflush(o->log);
		}
		net_close(c);
		return;
	}
	size_t untrusted = v->have_untrusted
				   ? conn_due(v, LCASE_CONN_UNTRUSTED_CERT)
				   : 0;
	if (untrusted != 0) {
		v->conn_done = untrusted;
		memcpy(v->peer, c->peer, sizeof(v->peer));
	}
	int hrc = 0;
	if (v->have_tls &&
	    (hrc = net_tls_handshake(c, untrusted ? &v->untrusted : &v->tls,
				     NULL, handshake_deadline(v))) != 0) {
		if (untrusted != 0) {
			/* R6455-4.1-15: the client fails the connection.
			 * A handshake that neither ends nor goes on is not
			 * that. */
			char why[400];
			snprintf(why, sizeof(why), "%s: %.300s",
				 hrc == WSP_E_NET_TLS_TIMEOUT
					 ? "the TLS handshake neither finished "
					   "nor was aborted in time"
					 : "the client aborted the TLS handshake",
				 c->errmsg);
			judge_conn(v, untrusted,
				   hrc != WSP_E_NET_TLS_TIMEOUT ? VD_OK
								: VD_FAILED,
				   why, NULL, NULL, t0);
		} else if (o->log != NULL) {
			fprintf(o->log, "wsprobe server: %s: %s\n", c->peer,
				c->errmsg);
			fflush(o->log);
		}
		net_close(c);
		return;
	}
	struct sess s;
	if (srv_sess_init(v, &s, c) != 0)
		return;
	memcpy(v->peer, c->peer, sizeof(v->peer));
	int rrc = sess_read_request(&s, c);
	if (rrc != 0 && untrusted != 0) {
		/* The handshake went through: some clients (Node.js) check
		 * the certificate only then, and close without a request. */
		char why[400];
		int closed = s.bytes_in == 0 && rrc != WSP_E_NET_TIMEOUT;
		if (closed)
			snprintf(why, sizeof(why), "the client completed the "
				 "TLS handshake, then closed without a request "
				 "(%.200s)", s.open_error);
		else if (s.bytes_in == 0)
			snprintf(why, sizeof(why), "the client completed the "
				 "TLS handshake with the untrusted certificate "
				 "and kept the connection open without a "
				 "request or a close");
		else
			snprintf(why, sizeof(why), "the client completed the "
				 "TLS handshake with the untrusted certificate "
				 "and began a request (%llu bytes)",
				 (unsigned long long)s.bytes_in);
		judge_conn(v, untrusted, closed ? VD_OK : VD_FAILED, why, NULL,
			   NULL, t0);
	}
	if (rrc != 0) {
		if (!judge_unparsed(v, &s, t0) && o->log != NULL) {
			fprintf(o->log, "wsprobe server: %s: %s\n", v->peer,
				s.open_error);
			fflush(o->log);
		}
		sess_free(&s);
		return;
	}
	size_t plen = run_server_path_len(s.req_path);
	int judged = 0;
	if (untrusted != 0) {
		/* A request over a certificate the client cannot verify. */
		char agent[256], why[400], line[160];
		if (get_agent(s.req_path, agent, sizeof(agent), why,
			      sizeof(why)) != 0)
			agent[0] = '\0';
		sanitize(line, sizeof(line), s.req_path, 120);
		snprintf(why, sizeof(why), "the client completed the TLS "
			 "handshake with a self-signed certificate it cannot "
			 "verify and sent its request (GET %s)", line);
		judge_conn(v, untrusted, VD_FAILED, why, &s, agent, t0);
		/* Another request (the prediction missed) is served as
		 * usual; this case's own is not played again. */
		judged = path_is(&s, plen, "/runCase") &&
			 lookup_case(v, s.req_path, why, sizeof(why)) ==
				 &v->cases[untrusted - 1];
	}
	if (judged)
		refuse(v, &s, 1000, "judged: the untrusted certificate was "
				    "accepted");
	else if (path_is(&s, plen, "/getCaseCount"))
		do_case_count(v, &s);
	else if (path_is(&s, plen, "/runCase"))
		do_run_case(v, &s);
	else if (path_is(&s, plen, "/getCaseInfo"))
		do_case_info(v, &s);
	else if (path_is(&s, plen, "/getCaseStatus"))
		do_case_status(v, &s);
	else if (path_is(&s, plen, "/updateReports"))
		do_reports(v, &s, 0);
	else if (path_is(&s, plen, "/stopServer"))
		do_reports(v, &s, 1);
	else
		do_not_found(v, &s);
	if (s.state != SESS_CLOSED)
		sess_drop(&s);
	sess_free(&s);
}

/* Loads the case files and picks the selected client-role cases. */
static int load_cases(struct srv *v, char *err, size_t errlen)
{
	int rc = run_load(v->o->src, &v->files, &v->nfiles, err, errlen);
	if (rc != 0)
		return rc;
	size_t total = 0;
	for (size_t i = 0; i < v->nfiles; i++)
		total += v->files[i].ncases;
	v->cases = calloc(total ? total : 1, sizeof(*v->cases));
	if (v->cases == NULL) {
		snprintf(err, errlen, "out of memory");
		return WSP_E_NOMEM;
	}
	for (size_t i = 0; i < v->nfiles; i++)
		for (size_t k = 0; k < v->files[i].ncases; k++) {
			const struct lcase_meta *c = &v->files[i].cases[k];
			if ((c->roles & LCASE_ROLE_CLIENT) &&
			    run_selected(v->o->sel, c->id))
				v->cases[v->ncases++] =
					(struct srv_case){&v->files[i], c};
		}
	qsort(v->cases, v->ncases, sizeof(*v->cases), cmp_cases);
	return 0;
}

static void srv_free(struct srv *v)
{
	for (size_t i = 0; i < v->nfiles; i++)
		lcase_file_free(&v->files[i]);
	free(v->files);
	free(v->cases);
	if (v->have_tls)
		net_tls_free(&v->tls);
	if (v->have_untrusted)
		net_tls_free(&v->untrusted);
	if (v->have_pending)
		res_case_free(&v->pending);
}

int run_server(const struct run_server_opts *o, struct res_run *results,
	       char *err, size_t errlen)
{
	struct srv v;
	memset(&v, 0, sizeof(v));
	v.o = o;
	v.results = results;
	if (errlen > 0)
		err[0] = '\0';
	if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return WSP_E_INVAL;
	}
	int rc = load_cases(&v, err, errlen);
	if (rc != 0) {
		srv_free(&v);
		return rc;
	}
	if (o->tls_cert != NULL) {
		if (net_tls_server_init(&v.tls, o->tls_cert, o->tls_key, err,
					errlen) != 0) {
			srv_free(&v);
			return WSP_E_INVAL;
		}
		v.have_tls = 1;
		int want = 0;
		for (size_t i = 0; i < v.ncases && !want; i++)
			want = (v.cases[i].c->conn &
				LCASE_CONN_UNTRUSTED_CERT) != 0;
		if (want) {
			if (net_tls_server_init_untrusted(&v.untrusted, &v.tls,
							  err, errlen) != 0) {
				srv_free(&v);
				return WSP_E_NET_TLS_CONFIG;
			}
			v.have_untrusted = 1;
		}
	}
	/* Extensions are declined (open.pmd NULL): the cases that negotiate
	 * permessage-deflate say so themselves. */
	v.open.protocols = o->protocols;
	v.open.nprotocols = o->nprotocols;
	struct net_listener l;
	rc = net_listen(&l, o->host, o->port, 128);
	if (rc != 0) {
		snprintf(err, errlen, "%s", l.errmsg);
		srv_free(&v);
		return rc;
	}
	uint16_t port = net_listener_port(&l);
	v.listener = &l;
	v.port = port;
	int v6 = o->host != NULL && strchr(o->host, ':') != NULL;
	snprintf(v.target, sizeof(v.target), "%s%s%s:%u", v6 ? "[" : "",
		 o->host != NULL ? o->host : "*", v6 ? "]" : "", (unsigned)port);
	if (o->ready != NULL)
		o->ready(port, o->user);
	while (!v.stopping && (o->stop == NULL || !*o->stop)) {
		struct net_conn c;
		net_conn_init(&c);
		rc = net_accept(&l, &c, clk_deadline_in_ms(200));
		if (rc != 0)
			continue; /* timeout, or a failed accept: go on */
		serve_one(&v, &c);
	}
	net_listener_close(&l);
	/* A verdict no request ever named an agent for (the driver stopped
	 * right after it) is kept under "unknown". */
	if (v.have_pending) {
		v.have_pending = 0;
		store_result(&v, "unknown", &v.pending);
	}
	/* Whatever stopped the server, what ran is written (unless the last
	 * /updateReports or /stopServer already wrote exactly this). */
	if (v.dirty || !v.written)
		write_reports(&v);
	if (v.report_err[0] != '\0')
		snprintf(err, errlen, "cannot write the report: %s", v.report_err);
	srv_free(&v);
	return 0;
}
