/*
 * rep_autobahn.c: the report layout of Autobahn|Testsuite, so scripts
 * written for it keep working (shared/reference/autobahn.md, section 4):
 *
 *   index.json                  {agent: {case id: {behavior, behaviorClose,
 *                               duration, remoteCloseCode, reportfile}}}
 *   <agent>_case_<X_Y_Z>.json   one document per agent and played case
 *
 * Both are written as Autobahn writes them: keys sorted, three-space
 * indent (non-ASCII as \u escapes, which any JSON reader takes).  A case
 * document has the keys of section 4.3: the closing facts, the local close
 * frame, octet and frame statistics and the wire log (RO/TO/RF/TF entries,
 * at most 64 bytes logged each, decoded from what results.json kept) are
 * filled in; those wsprobe does not record (timestamps, expected event
 * lists, timeout flags, traffic statistics) are null, so a script that
 * reads them finds the key and no invented value.  "received" holds wsprobe's one-line
 * descriptions of the observed events rather than Autobahn's event
 * tuples.  Excluded cases appear nowhere, as in Autobahn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rep.h"
#include "rep_int.h"
#include "wsp_err.h"

/* Bytes kept of an agent's name form and of a case id in a file name, so
 * a name stays well below the usual 255-byte limit. */
#define NAME_MAX_AGENT 100
#define NAME_MAX_ID 64

void rep_autobahn_name(const char *agent, char *out, size_t cap)
{
	if (cap == 0)
		return;
	/* Lower-case, and everything outside [a-z0-9] a space... */
	size_t n = 0;
	const char *first = NULL, *last = NULL;
	for (const char *p = agent; *p; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (first == NULL)
				first = p;
			last = p;
		}
	}
	/* ...trimmed, inner spaces to '_'. */
	for (const char *p = first; p != NULL && p <= last; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (n + 1 >= cap || n >= NAME_MAX_AGENT)
			break;
		out[n++] = c;
	}
	if (n == 0) {
		snprintf(out, cap, "agent");
		return;
	}
	out[n] = '\0';
}

#define FORM_CAP (NAME_MAX_AGENT + 16)

/* The name forms of agents 0..n-1, each made unique among the earlier
 * ones: a later agent whose form is taken gets "_2", "_3"...  Returns a
 * malloc'd array of n * FORM_CAP bytes, or NULL when out of memory. */
static char *agent_forms(const struct res_run *r, size_t n)
{
	char *forms = malloc(n ? n * FORM_CAP : 1);
	if (forms == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char base[NAME_MAX_AGENT + 1];
		char *out = forms + i * FORM_CAP;
		rep_autobahn_name(r->agents[i].agent ? r->agents[i].agent : "",
				  base, sizeof(base));
		snprintf(out, FORM_CAP, "%s", base);
		for (unsigned k = 2;; k++) {
			int taken = 0;
			for (size_t j = 0; j < i && !taken; j++)
				taken = strcmp(forms + j * FORM_CAP, out) == 0;
			if (!taken)
				break;
			snprintf(out, FORM_CAP, "%s_%u", base, k);
		}
	}
	return forms;
}

static void case_file(const char *form, const char *id, char *out, size_t cap)
{
	char idf[NAME_MAX_ID + 1];
	size_t n = 0;
	for (const char *p = id; *p && n < NAME_MAX_ID; p++) {
		char c = *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-';
		idf[n++] = keep ? c : '_';
	}
	idf[n] = '\0';
	snprintf(out, cap, "%s_case_%s.json", form, idf);
}

void rep_autobahn_case_file(const struct res_run *r, size_t ai,
			    const char *id, char *out, size_t cap)
{
	char *forms = agent_forms(r, ai + 1);
	if (forms == NULL) {
		/* Out of memory: the plain form, possibly not unique. */
		char form[NAME_MAX_AGENT + 1];
		rep_autobahn_name(r->agents[ai].agent ? r->agents[ai].agent : "",
				  form, sizeof(form));
		case_file(form, id, out, cap);
		return;
	}
	case_file(forms + ai * FORM_CAP, id, out, cap);
	free(forms);
}

static char *dump(json_t *root, size_t *len)
{
	if (root == NULL)
		return NULL;
	char *text = json_dumps(root, JSON_INDENT(3) | JSON_SORT_KEYS |
					      JSON_ENSURE_ASCII);
	json_decref(root);
	if (text == NULL)
		return NULL;
	size_t n = strlen(text);
	char *buf = malloc(n + 2);
	if (buf != NULL) {
		memcpy(buf, text, n);
		buf[n] = '\n';
		buf[n + 1] = '\0';
		*len = n + 1;
	}
	free(text);
	return buf;
}

/* Sets key to v; a NULL v (out of memory) marks the object failed. */
static void set(json_t *o, const char *key, json_t *v, int *failed)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*failed = 1;
}

/* The member of o named by key (peer- or user-controlled: cleaned to
 * UTF-8, which jansson requires of keys), created as an empty object when
 * missing.  NULL when out of memory. */
static json_t *member(json_t *o, const char *key)
{
	char *k = rep__utf8_clean(key ? key : "");
	if (k == NULL)
		return NULL;
	json_t *v = json_object_get(o, k);
	if (v == NULL) {
		v = json_object();
		if (v != NULL && json_object_set_new(o, k, v) != 0)
			v = NULL;
	}
	free(k);
	return v;
}

int rep_autobahn_render_index(const struct res_run *r, char **out,
			      size_t *len)
{
	json_t *root = json_object();
	char *forms = agent_forms(r, r->nagents);
	int failed = root == NULL || forms == NULL;
	for (size_t i = 0; !failed && i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		/* Two agents of the same name share one key, as they would
		 * in Autobahn; their case files stay apart. */
		json_t *ao = member(root, a->agent);
		failed = ao == NULL;
		for (size_t j = 0; !failed && j < a->ncases; j++) {
			const struct res_case *c = &a->cases[j];
			char file[NAME_MAX_AGENT + NAME_MAX_ID + 32];
			case_file(forms + i * FORM_CAP, c->id ? c->id : "", file,
				  sizeof(file));
			/* A case id twice (a hand-edited results.json): the
			 * later entry wins, as in a JSON object. */
			json_t *co = member(ao, c->id);
			if (co == NULL) {
				failed = 1;
				break;
			}
			set(co, "behavior",
			    json_string(vd_behavior_name(c->behavior)), &failed);
			set(co, "behaviorClose",
			    json_string(vd_close_name(c->close_behavior)), &failed);
			set(co, "duration", json_integer(c->duration_ms), &failed);
			set(co, "remoteCloseCode",
			    c->has_remote_code ? json_integer(c->remote_code)
					       : json_null(),
			    &failed);
			set(co, "reportfile", json_string(file), &failed);
		}
	}
	free(forms);
	if (failed) {
		json_decref(root);
		return WSP_E_NOMEM;
	}
	*out = dump(root, len);
	return *out != NULL ? 0 : WSP_E_NOMEM;
}

/* {"1": 3, "8": 1}, or null when not recorded. */
static json_t *stats(int known, const struct res_stats *st)
{
	if (!known)
		return json_null();
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < st->n; i++) {
		char key[24];
		snprintf(key, sizeof(key), "%llu",
			 (unsigned long long)st->v[i].key);
		if (json_object_set_new(o, key,
					json_integer((json_int_t)st->v[i].count))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int rep_autobahn_render_case(const struct res_run *r, size_t ai, size_t ci,
			     char **out, size_t *len)
{
	const struct res_agent *a = &r->agents[ai];
	const struct res_case *c = &a->cases[ci];
	json_t *o = json_object();
	json_t *received = json_array();
	int failed = o == NULL || received == NULL;
	if (failed) {
		json_decref(o);
		json_decref(received);
		return WSP_E_NOMEM;
	}
	for (size_t i = 0; i < c->nevents; i++)
		if (json_array_append_new(received, rep__json_str(c->events[i])))
			failed = 1;
	/* Autobahn's "case" is the 1-based position in the run's case list,
	 * which is in id order. */
	set(o, "agent", rep__json_str(a->agent), &failed);
	set(o, "id", rep__json_str(c->id), &failed);
	set(o, "case", json_integer((json_int_t)ci + 1), &failed);
	set(o, "description", rep__json_str(c->description), &failed);
	set(o, "expectation", rep__json_str(c->expectation), &failed);
	set(o, "started", json_null(), &failed);
	set(o, "duration", json_integer(c->duration_ms), &failed);
	set(o, "reportTime", json_false(), &failed);
	set(o, "reportCompressionRatio", json_false(), &failed);
	set(o, "behavior", json_string(vd_behavior_name(c->behavior)), &failed);
	set(o, "behaviorClose", json_string(vd_close_name(c->close_behavior)),
	    &failed);
	set(o, "result", rep__json_str(c->reason), &failed);
	set(o, "resultClose", rep__json_str(c->close_reason), &failed);
	set(o, "expected", json_null(), &failed);
	set(o, "expectedClose", json_null(), &failed);
	set(o, "received", received, &failed);
	set(o, "isServer",
	    json_boolean(a->role != NULL && strcmp(a->role, "client") == 0),
	    &failed);
	/* The closing facts, statistics and wire log the harness recorded;
	 * null when results.json has none (an older wsprobe).  The timeout
	 * flags and traffic statistics are not recorded: null. */
	int f = c->has_facts;
	set(o, "closedByMe", f ? json_boolean(c->closed_by_me) : json_null(),
	    &failed);
	set(o, "failedByMe", f ? json_boolean(c->failed_by_me) : json_null(),
	    &failed);
	set(o, "droppedByMe", f ? json_boolean(c->dropped_by_me) : json_null(),
	    &failed);
	set(o, "wasClean", f ? json_boolean(c->was_clean) : json_null(),
	    &failed);
	set(o, "wasNotCleanReason", rep__json_str(c->not_clean_reason), &failed);
	set(o, "localCloseCode",
	    c->has_local_code ? json_integer(c->local_code) : json_null(),
	    &failed);
	set(o, "localCloseReason", rep__json_str(c->local_reason), &failed);
	set(o, "rxFrameStats", stats(c->has_stats, &c->rx_frames), &failed);
	set(o, "txFrameStats", stats(c->has_stats, &c->tx_frames), &failed);
	set(o, "rxOctetStats", stats(c->has_stats, &c->rx_octets), &failed);
	set(o, "txOctetStats", stats(c->has_stats, &c->tx_octets), &failed);
	set(o, "wirelog", rep__autobahn_wirelog(c, a->role), &failed);
	static const char *const unknown[] = {
		"wasServerConnectionDropTimeout", "wasOpenHandshakeTimeout",
		"wasCloseHandshakeTimeout", "trafficStats",
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		set(o, unknown[i], json_null(), &failed);
	/* Autobahn's switches for the statistics and the wire log: on when
	 * they are in this file. */
	set(o, "createStats", json_boolean(c->has_stats), &failed);
	set(o, "createWirelog", json_boolean(c->wire.present), &failed);
	set(o, "remoteCloseCode",
	    c->has_remote_code ? json_integer(c->remote_code) : json_null(),
	    &failed);
	set(o, "remoteCloseReason", rep__json_str(c->remote_reason), &failed);
	set(o, "httpRequest", rep__json_str(c->http_request), &failed);
	set(o, "httpResponse", rep__json_str(c->http_response), &failed);
	if (failed) {
		json_decref(o);
		return WSP_E_NOMEM;
	}
	*out = dump(o, len);
	return *out != NULL ? 0 : WSP_E_NOMEM;
}

int rep_autobahn_write(const struct res_run *r, const char *dir, char *err,
		       size_t errlen)
{
	int rc = rep_mkdir_p(dir, err, errlen);
	if (rc != 0)
		return rc;
	char *text;
	size_t len;
	char *forms = agent_forms(r, r->nagents);
	if (forms == NULL) {
		snprintf(err, errlen, "index.json: out of memory");
		return WSP_E_NOMEM;
	}
	for (size_t i = 0; i < r->nagents; i++) {
		for (size_t j = 0; j < r->agents[i].ncases; j++) {
			const char *id = r->agents[i].cases[j].id;
			char file[NAME_MAX_AGENT + NAME_MAX_ID + 32];
			case_file(forms + i * FORM_CAP, id ? id : "", file,
				  sizeof(file));
			if (rep_autobahn_render_case(r, i, j, &text, &len) != 0) {
				snprintf(err, errlen, "%s: out of memory", file);
				free(forms);
				return WSP_E_NOMEM;
			}
			rc = rep_write_atomic(dir, file, text, len, err, errlen);
			free(text);
			if (rc != 0) {
				free(forms);
				return rc;
			}
		}
	}
	free(forms);
	/* Last, so it never names a case file that is not there yet. */
	if (rep_autobahn_render_index(r, &text, &len) != 0) {
		snprintf(err, errlen, "index.json: out of memory");
		return WSP_E_NOMEM;
	}
	rc = rep_write_atomic(dir, "index.json", text, len, err, errlen);
	free(text);
	return rc;
}
