/*
 * fuzz_spec.c: the two Autobahn|Testsuite spec readers on arbitrary bytes:
 * fuzzingclient.json (spec_client_load_buffer, harness/spec.h) and
 * fuzzingserver.json (run_server_spec_parse, harness/role_server.h).
 *
 * Input: the document.  Both readers parse every input, each from its own
 * exactly-sized copy so that ASan sees any read past it.
 *
 * Checks (abort on violation), beyond "no crash, no leak":
 *   - each reader returns 0, WSP_E_INVAL or WSP_E_NOMEM, and on failure a
 *     non-empty message, one line (the server spec's: no control byte at
 *     all);
 *   - a spec that loads, loads the same way twice: the second parse gives
 *     the same fields, and a failing one the same code and message;
 *   - a client spec holds at least one server, each with a URL and an
 *     agent, at most RUN_MAX_PATTERNS patterns per list, and written back
 *     as JSON it parses to the same fields; spec_agent_select picks for
 *     each agent exactly the patterns of the rules that match it, within
 *     RUN_MAX_PATTERNS;
 *   - a server spec with a URL has a port, a NUL-terminated host, and
 *     key and cert both or neither; without one, wss:// needs them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "lcase.h"
#include "role_server.h"
#include "spec.h"
#include "wsp_err.h"

static int same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return 0;
	return 1;
}

static void same_client(const struct spec_client *a,
			const struct spec_client *b)
{
	REQUIRE(same_str(a->outdir, b->outdir));
	REQUIRE(a->nservers == b->nservers);
	for (size_t i = 0; i < a->nservers; i++) {
		REQUIRE(same_str(a->servers[i].agent, b->servers[i].agent));
		REQUIRE(same_str(a->servers[i].url, b->servers[i].url));
	}
	REQUIRE(same_list(a->cases, a->ncases, b->cases, b->ncases));
	REQUIRE(same_list(a->exclude, a->nexclude, b->exclude, b->nexclude));
	REQUIRE(a->nagent_excludes == b->nagent_excludes);
	for (size_t i = 0; i < a->nagent_excludes; i++) {
		const struct spec_agent_exclude *x = &a->agent_excludes[i];
		const struct spec_agent_exclude *y = &b->agent_excludes[i];
		REQUIRE(same_str(x->agent_pattern, y->agent_pattern));
		REQUIRE(same_list(x->cases, x->ncases, y->cases, y->ncases));
	}
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();
	REQUIRE(a != NULL);
	for (size_t i = 0; i < n; i++)
		REQUIRE(json_array_append_new(a, json_string(v[i])) == 0);
	return a;
}

/* Writes the parsed spec back as a fuzzingclient.json document. */
static char *client_to_json(const struct spec_client *sc)
{
	json_t *root = json_object();
	REQUIRE(root != NULL);
	if (sc->outdir != NULL)
		REQUIRE(json_object_set_new(root, "outdir",
					  json_string(sc->outdir)) == 0);
	json_t *servers = json_array();
	REQUIRE(servers != NULL);
	for (size_t i = 0; i < sc->nservers; i++) {
		json_t *s = json_pack("{s:s, s:s}", "agent",
				      sc->servers[i].agent, "url",
				      sc->servers[i].url);
		REQUIRE(s != NULL);
		REQUIRE(json_array_append_new(servers, s) == 0);
	}
	REQUIRE(json_object_set_new(root, "servers", servers) == 0);
	REQUIRE(json_object_set_new(root, "cases",
				  str_array(sc->cases, sc->ncases)) == 0);
	REQUIRE(json_object_set_new(root, "exclude-cases",
				  str_array(sc->exclude, sc->nexclude)) == 0);
	json_t *eac = json_object();
	REQUIRE(eac != NULL);
	for (size_t i = 0; i < sc->nagent_excludes; i++) {
		const struct spec_agent_exclude *x = &sc->agent_excludes[i];
		REQUIRE(json_object_set_new(eac, x->agent_pattern,
					  str_array(x->cases, x->ncases)) == 0);
	}
	REQUIRE(json_object_set_new(root, "exclude-agent-cases", eac) == 0);
	char *text = json_dumps(root, JSON_COMPACT);
	REQUIRE(text != NULL);
	json_decref(root);
	return text;
}

static void check_select(const struct spec_client *sc, const char *agent)
{
	struct run_select sel;
	memset(&sel, 0, sizeof(sel));
	spec_agent_select(sc, agent, &sel);
	REQUIRE(sel.ninclude == 0 && sel.nexclude <= RUN_MAX_PATTERNS);
	size_t k = 0;
	for (size_t i = 0; i < sc->nagent_excludes; i++) {
		const struct spec_agent_exclude *x = &sc->agent_excludes[i];
		if (!lcase_pattern_match(x->agent_pattern, agent))
			continue;
		for (size_t j = 0; j < x->ncases && k < RUN_MAX_PATTERNS; j++)
			REQUIRE(sel.exclude[k++] == x->cases[j]);
	}
	REQUIRE(k == sel.nexclude);
}

/* An exactly-sized writable copy of the input (ASan catches overreads). */
static char *input_copy(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);
	REQUIRE(buf != NULL);
	if (size > 0)
		memcpy(buf, data, size);
	return buf;
}

/* A reader's result: 0, WSP_E_INVAL or WSP_E_NOMEM, with a message on
 * error. */
static void check_rc(int rc, const char *err)
{
	REQUIRE(rc == 0 || rc == WSP_E_INVAL || rc == WSP_E_NOMEM);
	if (rc != 0)
		REQUIRE(err[0] != '\0');
}

static int client_load(struct spec_client *sc, const uint8_t *data,
		       size_t size, char *err, size_t errlen)
{
	char *buf = input_copy(data, size);
	err[0] = '\0';
	int rc = spec_client_load_buffer(sc, "spec.json", buf, size, err,
					 errlen);
	free(buf);
	check_rc(rc, err);
	if (rc != 0)
		REQUIRE(strchr(err, '\n') == NULL);
	return rc;
}

static void fuzz_client(const uint8_t *data, size_t size)
{
	struct spec_client a, b;
	char ea[256], eb[256];
	int ra = client_load(&a, data, size, ea, sizeof(ea));
	int rb = client_load(&b, data, size, eb, sizeof(eb));
	REQUIRE(ra == rb);
	if (ra != 0) {
		REQUIRE(strcmp(ea, eb) == 0);
	} else {
		same_client(&a, &b);
		REQUIRE(a.nservers >= 1);
		REQUIRE(a.ncases <= RUN_MAX_PATTERNS);
		REQUIRE(a.nexclude <= RUN_MAX_PATTERNS);
		for (size_t i = 0; i < a.nservers; i++) {
			REQUIRE(a.servers[i].url != NULL);
			REQUIRE(a.servers[i].agent != NULL);
			check_select(&a, a.servers[i].agent);
		}
		for (size_t i = 0; i < a.nagent_excludes; i++)
			REQUIRE(a.agent_excludes[i].ncases <= RUN_MAX_PATTERNS);
		char *text = client_to_json(&a);
		struct spec_client c;
		REQUIRE(client_load(&c, (const uint8_t *)text, strlen(text), eb,
				  sizeof(eb)) == 0);
		same_client(&a, &c);
		spec_client_free(&c);
		free(text);
	}
	spec_client_free(&a);
	spec_client_free(&b);
}

static void same_server(const struct run_server_spec *a,
			const struct run_server_spec *b)
{
	REQUIRE(a->has_url == b->has_url);
	REQUIRE(strcmp(a->host, b->host) == 0);
	REQUIRE(a->port == b->port && a->secure == b->secure);
	REQUIRE(same_str(a->outdir, b->outdir));
	REQUIRE(same_str(a->key, b->key) && same_str(a->cert, b->cert));
	REQUIRE(same_list(a->cases, a->ncases, b->cases, b->ncases));
	REQUIRE(same_list(a->exclude, a->nexclude, b->exclude, b->nexclude));
	REQUIRE(same_list(a->protocols, a->nprotocols, b->protocols,
			b->nprotocols));
	REQUIRE(a->nagent_rules == b->nagent_rules);
	for (size_t i = 0; i < a->nagent_rules; i++) {
		const struct run_server_agent_rule *x = &a->agent_rules[i];
		const struct run_server_agent_rule *y = &b->agent_rules[i];
		REQUIRE(same_str(x->agent, y->agent));
		REQUIRE(same_list((char *const *)x->cases, x->ncases,
				(char *const *)y->cases, y->ncases));
	}
	REQUIRE(a->max_message == b->max_message);
}

static int server_parse(struct run_server_spec *sp, const uint8_t *data,
			size_t size, char *err, size_t errlen)
{
	char *buf = input_copy(data, size);
	err[0] = '\0';
	int rc = run_server_spec_parse(sp, "server.json", buf, size, err,
				       errlen);
	free(buf);
	check_rc(rc, err);
	if (rc != 0) {
		/* One line: values quoted from the file lose their control
		 * bytes (agent names, URLs, jansson's excerpts). */
		for (const char *p = err; *p != '\0'; p++)
			REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	return rc;
}

static void fuzz_server(const uint8_t *data, size_t size)
{
	struct run_server_spec a, b;
	char ea[256], eb[256];
	int ra = server_parse(&a, data, size, ea, sizeof(ea));
	int rb = server_parse(&b, data, size, eb, sizeof(eb));
	REQUIRE(ra == rb);
	if (ra != 0) {
		REQUIRE(strcmp(ea, eb) == 0);
	} else {
		same_server(&a, &b);
		REQUIRE(memchr(a.host, '\0', sizeof(a.host)) != NULL);
		REQUIRE((a.key == NULL) == (a.cert == NULL));
		if (a.has_url) {
			REQUIRE(a.port != 0 && a.host[0] != '\0');
			REQUIRE(!a.secure || a.key != NULL);
		}
		REQUIRE(a.ncases <= RUN_MAX_PATTERNS);
		REQUIRE(a.nexclude <= RUN_MAX_PATTERNS);
	}
	run_server_spec_free(&a);
	run_server_spec_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_client(data, size);
	fuzz_server(data, size);
	return 0;
}
