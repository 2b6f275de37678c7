/*
 * res.c: building and freeing run results (contract in res.h).
 */
#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "wsp_err.h"

int res_set_str(char **dst, const char *s)
{
	char *copy = NULL;
	if (s != NULL) {
		size_t n = strlen(s);
		copy = malloc(n + 1);
		if (copy == NULL)
			return WSP_E_NOMEM;
		memcpy(copy, s, n + 1);
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int res_run_init(struct res_run *r, const char *version, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->seed = seed;
	if (res_set_str(&r->tool, "wsprobe") != 0 ||
	    res_set_str(&r->version, version) != 0) {
		res_free(r);
		return WSP_E_NOMEM;
	}
	return 0;
}

struct res_agent *res_add_agent(struct res_run *r, const char *agent,
				const char *role, const char *target)
{
	if (r->nagents == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 4;
		struct res_agent *na = realloc(r->agents, ncap * sizeof(*na));
		if (na == NULL)
			return NULL;
		r->agents = na;
		r->cap = ncap;
	}
	struct res_agent *a = &r->agents[r->nagents];
	memset(a, 0, sizeof(*a));
	if (res_set_str(&a->agent, agent) != 0 ||
	    res_set_str(&a->role, role) != 0 ||
	    res_set_str(&a->target, target) != 0) {
		free(a->agent);
		free(a->role);
		free(a->target);
		return NULL;
	}
	r->nagents++;
	return a;
}

struct res_case *res_add_case(struct res_agent *a)
{
	if (a->ncases == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		struct res_case *nc = realloc(a->cases, ncap * sizeof(*nc));
		if (nc == NULL)
			return NULL;
		a->cases = nc;
		a->cap = ncap;
	}
	struct res_case *c = &a->cases[a->ncases++];
	memset(c, 0, sizeof(*c));
	return c;
}

int res_add_excluded(struct res_agent *a, const char *id, const char *title)
{
	if (a->nexcluded == a->xcap) {
		size_t ncap = a->xcap ? a->xcap * 2 : 16;
		struct res_skip *nx = realloc(a->excluded, ncap * sizeof(*nx));
		if (nx == NULL)
			return WSP_E_NOMEM;
		a->excluded = nx;
		a->xcap = ncap;
	}
	struct res_skip *x = &a->excluded[a->nexcluded];
	memset(x, 0, sizeof(*x));
	if (res_set_str(&x->id, id) != 0 || res_set_str(&x->title, title) != 0) {
		free(x->id);
		free(x->title);
		return WSP_E_NOMEM;
	}
	a->nexcluded++;
	return 0;
}

void res_summary_add(struct res_summary *s, enum vd_behavior verdict)
{
	s->total++;
	switch (verdict) {
	case VD_OK:
		s->ok++;
		break;
	case VD_NON_STRICT:
		s->non_strict++;
		break;
	case VD_INFORMATIONAL:
		s->informational++;
		break;
	case VD_UNIMPLEMENTED:
		s->unimplemented++;
		break;
	case VD_FAILED:
	default:
		s->failed++;
		break;
	}
}

void res_count(struct res_agent *a)
{
	memset(&a->summary, 0, sizeof(a->summary));
	for (size_t i = 0; i < a->ncases; i++)
		res_summary_add(&a->summary, a->cases[i].verdict);
}

void res_case_free(struct res_case *c)
{
	free(c->id);
	free(c->title);
	free(c->description);
	free(c->expectation);
	for (size_t i = 0; i < c->nreqs; i++)
		free(c->reqs[i]);
	free(c->reqs);
	free(c->remote_reason);
	free(c->reason);
	free(c->close_reason);
	for (size_t i = 0; i < c->nevents; i++)
		free(c->events[i]);
	free(c->events);
	free(c->http_request);
	free(c->http_response);
	memset(c, 0, sizeof(*c));
}

void res_free(struct res_run *r)
{
	for (size_t i = 0; i < r->nagents; i++) {
		struct res_agent *a = &r->agents[i];
		for (size_t j = 0; j < a->ncases; j++)
			res_case_free(&a->cases[j]);
		free(a->cases);
		for (size_t j = 0; j < a->nexcluded; j++) {
			free(a->excluded[j].id);
			free(a->excluded[j].title);
		}
		free(a->excluded);
		free(a->agent);
		free(a->role);
		free(a->target);
	}
	free(r->agents);
	free(r->tool);
	free(r->version);
	memset(r, 0, sizeof(*r));
}
