/*
 * rep_json.c: results.json, the native report (docs/report-format.md), and
 * its reader.  Written with jansson, keys in a fixed order, two-space
 * indent, so the same results give the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hs.h"
#include "rep.h"
#include "rep_int.h"
#include "wsp_err.h"

/* The largest wire log the reader accepts (writers keep RES_WIRE_CAP; a
 * build with a larger cap still reads back). */
#define WIRE_READ_MAX ((size_t)64 << 20)

/* Peer-controlled text (close reasons, handshake headers) need not be
 * UTF-8, and jansson refuses such bytes: rep__json_str replaces them with
 * U+FFFD instead of letting the field vanish. */
static json_t *str_or_null(const char *s)
{
	return rep__json_str(s);
}

static json_t *bool_or_null(int known, int v)
{
	return known ? json_boolean(v) : json_null();
}

/* {"1": 3, "8": 1}: keys are decimal strings, in increasing order. */
static json_t *stats_json(int known, const struct res_stats *st)
{
	if (!known)
		return json_null();
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < st->n; i++) {
		char key[24];
		snprintf(key, sizeof(key), "%llu",
			 (unsigned long long)st->v[i].key);
		json_object_set_new(o, key, json_integer((json_int_t)st->v[i].count));
	}
	return o;
}

/* The wire log: the kept bytes in base64, the records as [t_us, dir,
 * len], whether anything was left out, and the totals. */
static json_t *wire_json(const struct res_wire *w)
{
	if (!w->present)
		return json_null();
	json_t *o = json_object();
	json_t *recs = json_array();
	size_t cap = (w->len + 2) / 3 * 4 + 1;
	char *b64 = malloc(cap);
	if (o == NULL || recs == NULL || b64 == NULL ||
	    hs_b64_encode(w->data, w->len, b64, cap) < 0) {
		json_decref(o);
		json_decref(recs);
		free(b64);
		return NULL;
	}
	for (size_t i = 0; i < w->nrecs; i++)
		json_array_append_new(recs, json_pack("[IiI]",
						      (json_int_t)w->recs[i].t_us,
						      (int)w->recs[i].dir,
						      (json_int_t)w->recs[i].len));
	json_object_set_new(o, "truncated", json_boolean(w->truncated));
	json_object_set_new(o, "cap", json_integer((json_int_t)RES_WIRE_CAP));
	json_object_set_new(o, "bytes_sent",
			    json_integer((json_int_t)w->bytes_sent));
	json_object_set_new(o, "bytes_received",
			    json_integer((json_int_t)w->bytes_received));
	json_object_set_new(o, "kept", json_integer((json_int_t)w->len));
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "data", json_string(b64));
	free(b64);
	return o;
}

static json_t *case_json(const struct res_case *c)
{
	json_t *o = json_object();
	json_t *reqs = json_array();
	json_t *events = json_array();
	if (o == NULL || reqs == NULL || events == NULL) {
		json_decref(o);
		json_decref(reqs);
		json_decref(events);
		return NULL;
	}
	for (size_t i = 0; i < c->nreqs; i++)
		json_array_append_new(reqs, str_or_null(c->reqs[i]));
	for (size_t i = 0; i < c->nevents; i++)
		json_array_append_new(events, str_or_null(c->events[i]));
	json_object_set_new(o, "id", str_or_null(c->id));
	json_object_set_new(o, "title", str_or_null(c->title));
	json_object_set_new(o, "verdict",
			    json_string(vd_behavior_name(c->verdict)));
	json_object_set_new(o, "behavior",
			    json_string(vd_behavior_name(c->behavior)));
	json_object_set_new(o, "close_behavior",
			    json_string(vd_close_name(c->close_behavior)));
	json_object_set_new(o, "remote_close_code",
			    c->has_remote_code ? json_integer(c->remote_code)
					       : json_null());
	json_object_set_new(o, "remote_close_reason",
			    str_or_null(c->remote_reason));
	json_object_set_new(o, "duration_ms", json_integer(c->duration_ms));
	json_object_set_new(o, "reason", str_or_null(c->reason));
	json_object_set_new(o, "close_reason", str_or_null(c->close_reason));
	json_object_set_new(o, "requirements", reqs);
	json_object_set_new(o, "description", str_or_null(c->description));
	json_object_set_new(o, "expectation", str_or_null(c->expectation));
	json_object_set_new(o, "events", events);
	json_object_set_new(o, "http_request", str_or_null(c->http_request));
	json_object_set_new(o, "http_response", str_or_null(c->http_response));
	int f = c->has_facts;
	json_object_set_new(o, "closed_by_me", bool_or_null(f, c->closed_by_me));
	json_object_set_new(o, "failed_by_me", bool_or_null(f, c->failed_by_me));
	json_object_set_new(o, "dropped_by_me",
			    bool_or_null(f, c->dropped_by_me));
	json_object_set_new(o, "was_clean", bool_or_null(f, c->was_clean));
	json_object_set_new(o, "was_not_clean_reason",
			    str_or_null(c->not_clean_reason));
	json_object_set_new(o, "local_close_code",
			    c->has_local_code ? json_integer(c->local_code)
					      : json_null());
	json_object_set_new(o, "local_close_reason",
			    str_or_null(c->local_reason));
	json_object_set_new(o, "rx_frame_stats",
			    stats_json(c->has_stats, &c->rx_frames));
	json_object_set_new(o, "tx_frame_stats",
			    stats_json(c->has_stats, &c->tx_frames));
	json_object_set_new(o, "rx_octet_stats",
			    stats_json(c->has_stats, &c->rx_octets));
	json_object_set_new(o, "tx_octet_stats",
			    stats_json(c->has_stats, &c->tx_octets));
	json_t *w = wire_json(&c->wire);
	if (w == NULL) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "wirelog", w);
	/* --pcap (issue 6 item 1): present only when a capture was written,
	 * so a run without it writes what it always did. */
	if (c->pcap != NULL) {
		json_object_set_new(o, "pcap", json_string(c->pcap));
		json_object_set_new(o, "pcap_truncated",
				    json_boolean(c->pcap_truncated));
	}
	return o;
}

static json_t *summary_json(const struct res_summary *s)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "total", json_integer(s->total));
	json_object_set_new(o, "ok", json_integer(s->ok));
	json_object_set_new(o, "non_strict", json_integer(s->non_strict));
	json_object_set_new(o, "informational", json_integer(s->informational));
	json_object_set_new(o, "unimplemented", json_integer(s->unimplemented));
	json_object_set_new(o, "failed", json_integer(s->failed));
	return o;
}

int rep_json_render(const struct res_run *r, char **out, size_t *len)
{
	json_t *root = json_object();
	json_t *agents = json_array();
	if (root == NULL || agents == NULL) {
		json_decref(root);
		json_decref(agents);
		return WSP_E_NOMEM;
	}
	json_object_set_new(root, "tool", json_string(r->tool));
	json_object_set_new(root, "version", json_string(r->version));
	/* The seed is a 64-bit unsigned value: JSON integers in jansson are
	 * signed, so it is written as a decimal string to survive the trip. */
	char seed[24];
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	json_object_set_new(root, "seed", json_string(seed));
	json_object_set_new(root, "agents", agents);
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		json_t *ao = json_object();
		json_t *cases = json_array();
		if (ao == NULL || cases == NULL) {
			json_decref(ao);
			json_decref(cases);
			json_decref(root);
			return WSP_E_NOMEM;
		}
		json_object_set_new(ao, "agent", str_or_null(a->agent));
		json_object_set_new(ao, "role", str_or_null(a->role));
		json_object_set_new(ao, "target", str_or_null(a->target));
		json_object_set_new(ao, "summary", summary_json(&a->summary));
		for (size_t j = 0; j < a->ncases; j++)
			json_array_append_new(cases, case_json(&a->cases[j]));
		json_object_set_new(ao, "cases", cases);
		/* Cases the selection left out (reports: JUnit skipped). */
		json_t *xs = json_array();
		for (size_t j = 0; xs != NULL && j < a->nexcluded; j++) {
			json_t *x = json_object();
			json_object_set_new(x, "id", str_or_null(a->excluded[j].id));
			json_object_set_new(x, "title",
					    str_or_null(a->excluded[j].title));
			json_array_append_new(xs, x);
		}
		json_object_set_new(ao, "excluded", xs);
		json_array_append_new(agents, ao);
	}
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					      JSON_ENSURE_ASCII);
	json_decref(root);
	if (text == NULL)
		return WSP_E_NOMEM;
	size_t n = strlen(text);
	char *buf = malloc(n + 2);
	if (buf == NULL) {
		free(text);
		return WSP_E_NOMEM;
	}
	memcpy(buf, text, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	free(text);
	*out = buf;
	*len = n + 1;
	return 0;
}

int rep_json_write(const struct res_run *r, const char *dir, char *err,
		   size_t errlen)
{
	char *text;
	size_t len;
	if (rep_json_render(r, &text, &len) != 0) {
		snprintf(err, errlen, "results.json: out of memory");
		return WSP_E_NOMEM;
	}
	int rc = rep_mkdir_p(dir, err, errlen);
	if (rc == 0)
		rc = rep_write_atomic(dir, "results.json", text, len, err, errlen);
	free(text);
	return rc;
}

/* --- reader ------------------------------------------------------------ */

static int get_str(json_t *o, const char *key, int required, char **dst,
		   char *err, size_t errlen, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "%s: \"%s\" is missing", where, key);
		return WSP_E_INVAL;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: \"%s\" must be a string", where, key);
		return WSP_E_INVAL;
	}
	return res_set_str(dst, json_string_value(v));
}

static int get_strs(json_t *o, const char *key, char ***dst, size_t *n,
		    char *err, size_t errlen, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		snprintf(err, errlen, "%s: \"%s\" must be a list", where, key);
		return WSP_E_INVAL;
	}
	size_t count = json_array_size(v);
	if (count == 0)
		return 0;
	char **arr = calloc(count, sizeof(*arr));
	if (arr == NULL)
		return WSP_E_NOMEM;
	*dst = arr;
	for (size_t i = 0; i < count; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e)) {
			snprintf(err, errlen, "%s: \"%s\"[%zu] must be a string",
				 where, key, i);
			return WSP_E_INVAL;
		}
		if (res_set_str(&arr[i], json_string_value(e)) != 0)
			return WSP_E_NOMEM;
		*n = i + 1;
	}
	return 0;
}

/* A boolean or null (or absent: an older results.json).  Sets *v and
 * returns 1 when a boolean, 0 when null, -1 when something else. */
static int get_bool(json_t *o, const char *key, int *v)
{
	json_t *b = json_object_get(o, key);
	if (b == NULL || json_is_null(b))
		return 0;
	if (!json_is_boolean(b))
		return -1;
	*v = json_is_true(b);
	return 1;
}

static int get_stats(json_t *o, const char *key, struct res_stats *st,
		     int *known, char *err, size_t errlen, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "%s: \"%s\" must be an object or null",
			 where, key);
		return WSP_E_INVAL;
	}
	*known = 1;
	const char *k;
	json_t *n;
	json_object_foreach(v, k, n) {
		/* Canonical decimal only (no sign, no leading zero, no
		 * overflow), so two keys never name the same number and the
		 * document reads back as it was written. */
		char *end;
		errno = 0;
		unsigned long long kv = strtoull(k, &end, 10);
		if (k[0] < '0' || k[0] > '9' || (k[0] == '0' && k[1] != '\0') ||
		    *end != '\0' || errno == ERANGE ||
		    !json_is_integer(n) || json_integer_value(n) < 0) {
			snprintf(err, errlen, "%s: \"%s\" must map decimal "
					      "numbers to counts", where, key);
			return WSP_E_INVAL;
		}
		if (res_stats_add(st, kv, (uint64_t)json_integer_value(n)) != 0)
			return WSP_E_NOMEM;
	}
	return 0;
}

static int bad_wire(char *err, size_t errlen, const char *where,
		    const char *what)
{
	snprintf(err, errlen, "%s: \"wirelog\": %s", where, what);
	return WSP_E_INVAL;
}

static int get_wire(json_t *o, struct res_wire *w, char *err, size_t errlen,
		    const char *where)
{
	json_t *v = json_object_get(o, "wirelog");
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad_wire(err, errlen, where, "must be an object or null");
	json_t *data = json_object_get(v, "data");
	json_t *recs = json_object_get(v, "records");
	json_t *tr = json_object_get(v, "truncated");
	if (!json_is_string(data) || !json_is_array(recs) ||
	    !json_is_boolean(tr))
		return bad_wire(err, errlen, where, "needs \"data\" (base64), "
				"\"records\" and \"truncated\"");
	size_t n = json_string_length(data);
	if (n / 4 * 3 > WIRE_READ_MAX)
		return bad_wire(err, errlen, where, "too large");
	w->present = 1;
	w->truncated = json_is_true(tr);
	w->data = malloc(n / 4 * 3 + 1);
	if (w->data == NULL)
		return WSP_E_NOMEM;
	int got = hs_b64_decode(json_string_value(data), n, w->data,
				n / 4 * 3 + 1);
	if (got < 0)
		return bad_wire(err, errlen, where, "\"data\" is not base64");
	w->len = (size_t)got;
	size_t nrecs = json_array_size(recs);
	/* Each record holds at least one byte, so there are no more
	 * records than bytes. */
	if (nrecs > w->len)
		return bad_wire(err, errlen, where, "more records than bytes");
	if (nrecs > 0) {
		w->recs = calloc(nrecs, sizeof(*w->recs));
		if (w->recs == NULL)
			return WSP_E_NOMEM;
	}
	size_t sum = 0;
	for (size_t i = 0; i < nrecs; i++) {
		json_t *r = json_array_get(recs, i);
		json_t *t = json_array_get(r, 0), *d = json_array_get(r, 1),
		       *l = json_array_get(r, 2);
		if (!json_is_array(r) || json_array_size(r) != 3 ||
		    !json_is_integer(t) || json_integer_value(t) < 0 ||
		    !json_is_integer(d) || json_integer_value(d) < 0 ||
		    json_integer_value(d) > 1 || !json_is_integer(l) ||
		    json_integer_value(l) < 1 ||
		    (uint64_t)json_integer_value(l) > w->len - sum)
			return bad_wire(err, errlen, where,
					"each record is [t_us, dir 0 or 1, "
					"len >= 1], lengths adding up to the "
					"data");
		w->recs[i].t_us = (int64_t)json_integer_value(t);
		w->recs[i].dir = (uint8_t)json_integer_value(d);
		w->recs[i].len = (size_t)json_integer_value(l);
		sum += w->recs[i].len;
		w->nrecs = i + 1;
	}
	if (sum != w->len)
		return bad_wire(err, errlen, where, "the record lengths do not "
				"add up to the data");
	static const char *const totals[] = {"bytes_sent", "bytes_received"};
	uint64_t *dst[] = {&w->bytes_sent, &w->bytes_received};
	for (size_t i = 0; i < 2; i++) {
		json_t *t = json_object_get(v, totals[i]);
		if (t != NULL && (!json_is_integer(t) || json_integer_value(t) < 0))
			return bad_wire(err, errlen, where,
					"byte totals must be counts");
		*dst[i] = t != NULL ? (uint64_t)json_integer_value(t) : 0;
	}
	return 0;
}

/* 1 when p is what capcase.h writes: "pcap/NAME.pcap" or
 * "pcap/FOLDER/NAME.pcap", names of [A-Za-z0-9._-] other than "." and
 * "..", so a results.json from elsewhere cannot make index.html link
 * outside the report folder or to another scheme. */
static int pcap_path_ok(const char *p)
{
	if (strncmp(p, "pcap/", 5) != 0)
		return 0;
	size_t n = strlen(p);
	const char *last = strrchr(p, '/');
	/* A name before ".pcap": the last part is longer than 5 bytes. */
	if (n < 11 || strcmp(p + n - 5, ".pcap") != 0 ||
	    strlen(last + 1) <= 5)
		return 0;
	int parts = 0;
	const char *s = p + 5;
	while (*s != '\0') {
		size_t k = strcspn(s, "/");
		if (k == 0 || (k == 1 && s[0] == '.') ||
		    (k == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		for (size_t i = 0; i < k; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
			      ch == '-'))
				return 0;
		}
		parts++;
		s += k;
		if (*s == '/')
			s++;
		else
			break;
	}
	return *s == '\0' && parts >= 1 && parts <= 2;
}

/* The closing facts, the statistics and the wire log (all optional: an
 * older results.json has none of them). */
static int parse_wire_fields(struct res_case *c, json_t *o, char *err,
			     size_t errlen, const char *where)
{
	static const char *const keys[] = {"closed_by_me", "failed_by_me",
					   "dropped_by_me", "was_clean"};
	int *dst[] = {&c->closed_by_me, &c->failed_by_me, &c->dropped_by_me,
		      &c->was_clean};
	for (size_t i = 0; i < 4; i++) {
		int r = get_bool(o, keys[i], dst[i]);
		if (r < 0) {
			snprintf(err, errlen, "%s: \"%s\" must be true, false "
					      "or null", where, keys[i]);
			return WSP_E_INVAL;
		}
		c->has_facts |= r;
	}
	int rc;
	if ((rc = get_str(o, "was_not_clean_reason", 0, &c->not_clean_reason,
			  err, errlen, where)) != 0 ||
	    (rc = get_str(o, "local_close_reason", 0, &c->local_reason, err,
			  errlen, where)) != 0)
		return rc;
	json_t *code = json_object_get(o, "local_close_code");
	if (json_is_integer(code) && json_integer_value(code) >= 0 &&
	    json_integer_value(code) <= 65535) {
		c->has_local_code = 1;
		c->local_code = (unsigned)json_integer_value(code);
	} else if (code != NULL && !json_is_null(code)) {
		snprintf(err, errlen, "%s: \"local_close_code\" must be "
				      "0..65535 or null", where);
		return WSP_E_INVAL;
	}
	if ((rc = get_stats(o, "rx_frame_stats", &c->rx_frames, &c->has_stats,
			    err, errlen, where)) != 0 ||
	    (rc = get_stats(o, "tx_frame_stats", &c->tx_frames, &c->has_stats,
			    err, errlen, where)) != 0 ||
	    (rc = get_stats(o, "rx_octet_stats", &c->rx_octets, &c->has_stats,
			    err, errlen, where)) != 0 ||
	    (rc = get_stats(o, "tx_octet_stats", &c->tx_octets, &c->has_stats,
			    err, errlen, where)) != 0)
		return rc;
	if ((rc = get_str(o, "pcap", 0, &c->pcap, err, errlen, where)) != 0)
		return rc;
	if (c->pcap != NULL && !pcap_path_ok(c->pcap)) {
		snprintf(err, errlen, "%s: \"pcap\" must be a path "
				      "pcap/[FOLDER/]NAME.pcap", where);
		return WSP_E_INVAL;
	}
	if (get_bool(o, "pcap_truncated", &c->pcap_truncated) < 0) {
		snprintf(err, errlen, "%s: \"pcap_truncated\" must be true, "
				      "false or null", where);
		return WSP_E_INVAL;
	}
	return get_wire(o, &c->wire, err, errlen, where);
}

static int parse_case(struct res_case *c, json_t *o, char *err, size_t errlen,
		      size_t ai, size_t ci)
{
	char where[96];
	snprintf(where, sizeof(where), "agents[%zu].cases[%zu]", ai, ci);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: must be an object", where);
		return WSP_E_INVAL;
	}
	int rc;
	if ((rc = get_str(o, "id", 1, &c->id, err, errlen, where)) != 0 ||
	    (rc = get_str(o, "title", 0, &c->title, err, errlen, where)) != 0 ||
	    (rc = get_str(o, "description", 0, &c->description, err, errlen,
			  where)) != 0 ||
	    (rc = get_str(o, "expectation", 0, &c->expectation, err, errlen,
			  where)) != 0 ||
	    (rc = get_str(o, "reason", 0, &c->reason, err, errlen, where)) != 0 ||
	    (rc = get_str(o, "close_reason", 0, &c->close_reason, err, errlen,
			  where)) != 0 ||
	    (rc = get_str(o, "remote_close_reason", 0, &c->remote_reason, err,
			  errlen, where)) != 0 ||
	    (rc = get_str(o, "http_request", 0, &c->http_request, err, errlen,
			  where)) != 0 ||
	    (rc = get_str(o, "http_response", 0, &c->http_response, err, errlen,
			  where)) != 0 ||
	    (rc = get_strs(o, "requirements", &c->reqs, &c->nreqs, err, errlen,
			   where)) != 0 ||
	    (rc = get_strs(o, "events", &c->events, &c->nevents, err, errlen,
			   where)) != 0)
		return rc;
	static const char *const verdict_keys[] = {"verdict", "behavior"};
	enum vd_behavior *verdict_dst[] = {&c->verdict, &c->behavior};
	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(o, verdict_keys[i]);
		int b = json_is_string(v) ? vd_behavior_parse(json_string_value(v))
					  : -1;
		if (b < 0) {
			snprintf(err, errlen, "%s: \"%s\" must be OK, NON-STRICT, "
					      "FAILED, INFORMATIONAL or UNIMPLEMENTED",
				 where, verdict_keys[i]);
			return WSP_E_INVAL;
		}
		*verdict_dst[i] = (enum vd_behavior)b;
	}
	json_t *cb = json_object_get(o, "close_behavior");
	int found = -1;
	for (int k = VDC_OK; k <= VDC_INFORMATIONAL && json_is_string(cb); k++)
		if (strcmp(json_string_value(cb), vd_close_name(k)) == 0)
			found = k;
	if (found < 0) {
		snprintf(err, errlen, "%s: \"close_behavior\" is not a known value",
			 where);
		return WSP_E_INVAL;
	}
	c->close_behavior = (enum vd_close)found;
	json_t *code = json_object_get(o, "remote_close_code");
	if (json_is_integer(code) && json_integer_value(code) >= 0 &&
	    json_integer_value(code) <= 65535) {
		c->has_remote_code = 1;
		c->remote_code = (unsigned)json_integer_value(code);
	} else if (code != NULL && !json_is_null(code)) {
		snprintf(err, errlen, "%s: \"remote_close_code\" must be 0..65535 "
				      "or null", where);
		return WSP_E_INVAL;
	}
	json_t *d = json_object_get(o, "duration_ms");
	if (d != NULL && (!json_is_integer(d) || json_integer_value(d) < 0)) {
		snprintf(err, errlen, "%s: \"duration_ms\" must be a non-negative "
				      "integer", where);
		return WSP_E_INVAL;
	}
	c->duration_ms = d != NULL ? (int64_t)json_integer_value(d) : 0;
	return parse_wire_fields(c, o, err, errlen, where);
}

int rep_json_parse(struct res_run *r, const char *text, size_t len,
		   char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%d:%d: %s", je.line, je.column, je.text);
		rep__oneline(err); /* je.text quotes the input */
		return WSP_E_INVAL;
	}
	int rc = WSP_E_INVAL;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the document must be a JSON object");
		goto out;
	}
	json_t *seed = json_object_get(root, "seed");
	uint64_t seedv = 0;
	if (json_is_string(seed)) {
		char *end;
		seedv = strtoull(json_string_value(seed), &end, 10);
		if (*json_string_value(seed) == '\0' || *end != '\0') {
			snprintf(err, errlen, "\"seed\" must be a decimal number");
			goto out;
		}
	} else if (json_is_integer(seed) && json_integer_value(seed) >= 0) {
		seedv = (uint64_t)json_integer_value(seed);
	} else {
		snprintf(err, errlen, "\"seed\" is missing or not a number");
		goto out;
	}
	json_t *version = json_object_get(root, "version");
	if ((rc = res_run_init(r, json_is_string(version)
					  ? json_string_value(version)
					  : "unknown",
			       seedv)) != 0)
		goto out;
	rc = WSP_E_INVAL;
	json_t *agents = json_object_get(root, "agents");
	if (!json_is_array(agents)) {
		snprintf(err, errlen, "\"agents\" is missing or not a list");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(agents); i++) {
		json_t *ao = json_array_get(agents, i);
		json_t *name = json_object_get(ao, "agent");
		json_t *role = json_object_get(ao, "role");
		json_t *target = json_object_get(ao, "target");
		if (!json_is_string(name) || !json_is_string(role)) {
			snprintf(err, errlen, "agents[%zu]: \"agent\" and \"role\" "
					      "must be strings", i);
			goto out;
		}
		struct res_agent *a = res_add_agent(
			r, json_string_value(name), json_string_value(role),
			json_is_string(target) ? json_string_value(target) : NULL);
		if (a == NULL) {
			rc = WSP_E_NOMEM;
			goto out;
		}
		json_t *cases = json_object_get(ao, "cases");
		if (!json_is_array(cases)) {
			snprintf(err, errlen, "agents[%zu]: \"cases\" is missing or "
					      "not a list", i);
			goto out;
		}
		for (size_t j = 0; j < json_array_size(cases); j++) {
			struct res_case *c = res_add_case(a);
			if (c == NULL) {
				rc = WSP_E_NOMEM;
				goto out;
			}
			int crc = parse_case(c, json_array_get(cases, j), err,
					     errlen, i, j);
			if (crc != 0) {
				rc = crc;
				goto out;
			}
		}
		res_count(a);
		json_t *xs = json_object_get(ao, "excluded");
		if (xs != NULL && !json_is_null(xs) && !json_is_array(xs)) {
			snprintf(err, errlen, "agents[%zu]: \"excluded\" must be a "
					      "list", i);
			goto out;
		}
		for (size_t j = 0; j < json_array_size(xs); j++) {
			json_t *x = json_array_get(xs, j);
			json_t *xid = json_object_get(x, "id");
			json_t *xt = json_object_get(x, "title");
			if (!json_is_string(xid) ||
			    (xt != NULL && !json_is_null(xt) && !json_is_string(xt))) {
				snprintf(err, errlen, "agents[%zu].excluded[%zu]: "
						      "\"id\" must be a string (and "
						      "\"title\" a string or null)", i, j);
				goto out;
			}
			if (res_add_excluded(a, json_string_value(xid),
					     json_string_value(xt)) != 0) {
				rc = WSP_E_NOMEM;
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
