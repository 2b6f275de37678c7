/*
 * spec.c: reading Autobahn's fuzzingclient.json (contract in spec.h).  The
 * file loader reads the file and hands it to the buffer parser, so there is
 * one parser (fuzz/fuzz_spec.c fuzzes it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rfile.h"
#include "spec.h"
#include "wsp_err.h"

static char *dupstr(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n + 1);
	if (c != NULL)
		memcpy(c, s, n + 1);
	return c;
}

/* jansson quotes the offending input in its messages ("invalid escape
 * near '"\<newline>'"); the caller promises one line, free of control
 * characters. */
static void one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Reads a list of strings at key into out[0..*n). */
static int str_list(json_t *o, const char *key, char **out, size_t *n,
		    const char *path, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_is_array(v)) {
		snprintf(err, errlen, "%s: \"%s\" must be a list of strings", path,
			 key);
		return WSP_E_INVAL;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e)) {
			snprintf(err, errlen, "%s: \"%s\"[%zu] must be a string", path,
				 key, i);
			return WSP_E_INVAL;
		}
		if (*n == RUN_MAX_PATTERNS) {
			snprintf(err, errlen, "%s: \"%s\" has more than %d patterns",
				 path, key, RUN_MAX_PATTERNS);
			return WSP_E_INVAL;
		}
		if ((out[*n] = dupstr(json_string_value(e))) == NULL)
			return WSP_E_NOMEM;
		(*n)++;
	}
	return 0;
}

void spec_json_error(char *err, size_t errlen, const char *path, int line,
		     int column, const char *text)
{
	if (line < 0)
		snprintf(err, errlen, "%s: %s", path, text);
	else
		snprintf(err, errlen, "%s:%d:%d: %s", path, line, column, text);
	if (errlen > 0)
		one_line(err);
}

int spec_client_load_buffer(struct spec_client *sc, const char *path,
			    const char *text, size_t len, char *err,
			    size_t errlen)
{
	memset(sc, 0, sizeof(*sc));
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		spec_json_error(err, errlen, path, je.line, je.column, je.text);
		return WSP_E_INVAL;
	}
	int rc = WSP_E_INVAL;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: the spec must be a JSON object", path);
		goto out;
	}
	json_t *outdir = json_object_get(root, "outdir");
	if (outdir != NULL) {
		if (!json_is_string(outdir)) {
			snprintf(err, errlen, "%s: \"outdir\" must be a string", path);
			goto out;
		}
		if ((sc->outdir = dupstr(json_string_value(outdir))) == NULL) {
			rc = WSP_E_NOMEM;
			goto out;
		}
	}
	json_t *servers = json_object_get(root, "servers");
	if (!json_is_array(servers) || json_array_size(servers) == 0) {
		snprintf(err, errlen, "%s: \"servers\" must be a non-empty list", path);
		goto out;
	}
	sc->servers = calloc(json_array_size(servers), sizeof(*sc->servers));
	if (sc->servers == NULL) {
		rc = WSP_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(servers); i++) {
		json_t *sv = json_array_get(servers, i);
		json_t *url = json_object_get(sv, "url");
		json_t *agent = json_object_get(sv, "agent");
		if (!json_is_object(sv) || !json_is_string(url)) {
			snprintf(err, errlen, "%s: servers[%zu] needs a \"url\" string",
				 path, i);
			goto out;
		}
		if (agent != NULL && !json_is_string(agent)) {
			snprintf(err, errlen, "%s: servers[%zu].agent must be a string",
				 path, i);
			goto out;
		}
		sc->servers[i].url = dupstr(json_string_value(url));
		sc->servers[i].agent = dupstr(agent ? json_string_value(agent)
						    : json_string_value(url));
		sc->nservers++;
		if (sc->servers[i].url == NULL || sc->servers[i].agent == NULL) {
			rc = WSP_E_NOMEM;
			goto out;
		}
	}
	if ((rc = str_list(root, "cases", sc->cases, &sc->ncases, path, err,
			   errlen)) != 0 ||
	    (rc = str_list(root, "exclude-cases", sc->exclude, &sc->nexclude,
			   path, err, errlen)) != 0)
		goto out;
	rc = WSP_E_INVAL;
	json_t *eac = json_object_get(root, "exclude-agent-cases");
	if (eac != NULL) {
		if (!json_is_object(eac)) {
			snprintf(err, errlen, "%s: \"exclude-agent-cases\" must be an "
					      "object", path);
			goto out;
		}
		size_t n = json_object_size(eac);
		sc->agent_excludes = calloc(n ? n : 1, sizeof(*sc->agent_excludes));
		if (sc->agent_excludes == NULL) {
			rc = WSP_E_NOMEM;
			goto out;
		}
		const char *key;
		json_t *val;
		json_object_foreach(eac, key, val)
		{
			struct spec_agent_exclude *x =
				&sc->agent_excludes[sc->nagent_excludes++];
			if ((x->agent_pattern = dupstr(key)) == NULL) {
				rc = WSP_E_NOMEM;
				goto out;
			}
			json_t *wrap = json_object();
			json_object_set(wrap, "exclude-agent-cases", val);
			int lrc = str_list(wrap, "exclude-agent-cases", x->cases,
					   &x->ncases, path, err, errlen);
			json_decref(wrap);
			if (lrc != 0) {
				rc = lrc;
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int spec_read_file(const char *path, char **text, size_t *len, char *err,
		   size_t errlen)
{
	*text = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return WSP_E_INVAL;
	}
	/* A spec is a few lines; 16 MiB is far beyond any real one. */
	int rc = rfile_read(f, 4096, (size_t)16 << 20, text, len);
	fclose(f);
	if (rc == WSP_E_LIMIT) {
		snprintf(err, errlen, "%s: larger than 16 MiB", path);
		return WSP_E_INVAL;
	}
	if (rc == WSP_E_NOMEM) {
		snprintf(err, errlen, "%s: out of memory", path);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: read error", path);
		return rc;
	}
	return 0;
}

int spec_client_load(struct spec_client *sc, const char *path, char *err,
		     size_t errlen)
{
	memset(sc, 0, sizeof(*sc));
	char *buf;
	size_t len;
	int rc = spec_read_file(path, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = spec_client_load_buffer(sc, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

void spec_client_free(struct spec_client *sc)
{
	free(sc->outdir);
	for (size_t i = 0; i < sc->nservers; i++) {
		free(sc->servers[i].agent);
		free(sc->servers[i].url);
	}
	free(sc->servers);
	for (size_t i = 0; i < sc->ncases; i++)
		free(sc->cases[i]);
	for (size_t i = 0; i < sc->nexclude; i++)
		free(sc->exclude[i]);
	for (size_t i = 0; i < sc->nagent_excludes; i++) {
		free(sc->agent_excludes[i].agent_pattern);
		for (size_t k = 0; k < sc->agent_excludes[i].ncases; k++)
			free(sc->agent_excludes[i].cases[k]);
	}
	free(sc->agent_excludes);
	memset(sc, 0, sizeof(*sc));
}

void spec_agent_select(const struct spec_client *sc, const char *agent,
		       struct run_select *sel)
{
	for (size_t i = 0; i < sc->nagent_excludes; i++) {
		const struct spec_agent_exclude *x = &sc->agent_excludes[i];
		if (!lcase_pattern_match(x->agent_pattern, agent))
			continue;
		for (size_t k = 0; k < x->ncases && sel->nexclude < RUN_MAX_PATTERNS;
		     k++)
			sel->exclude[sel->nexclude++] = x->cases[k];
	}
}
