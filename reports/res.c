/*
 * res.c: building and freeing run results (contract in res.h).
 */
#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "res_wire.h"
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
	free(c->not_clean_reason);
	free(c->local_reason);
	free(c->rx_frames.v);
	free(c->tx_frames.v);
	free(c->rx_octets.v);
	free(c->tx_octets.v);
	free(c->wire.data);
	free(c->wire.recs);
	free(c->pcap);
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

int res_stats_add(struct res_stats *st, uint64_t key, uint64_t count)
{
	size_t lo = 0, hi = st->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->n && st->v[lo].key == key) {
		st->v[lo].count += count;
		return 0;
	}
	/* Grown one by one: sizes seen are few (a handful of read and write
	 * sizes, at most 16 opcodes). */
	struct res_stat *nv = realloc(st->v, (st->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return WSP_E_NOMEM;
	st->v = nv;
	memmove(&nv[lo + 1], &nv[lo], (st->n - lo) * sizeof(*nv));
	nv[lo].key = key;
	nv[lo].count = count;
	st->n++;
	return 0;
}

/* --- building a wire log ----------------------------------------------- */

struct res_wire_build {
	struct res_case *c;
	size_t cap;
	size_t capdata, caprecs;
	struct rw_scan scan;
	size_t rec;        /* records seen, kept or not */
	int local_done;    /* the first Close we sent was looked at */
	int oom;
};

/* Frames per opcode, and the first Close frame wsprobe sent (Autobahn's
 * localCloseCode and localCloseReason). */
static void build_item(void *ctx, const struct rw_item *it)
{
	struct res_wire_build *b = ctx;
	struct res_case *c = b->c;
	if (it->kind != RW_FRAME)
		return;
	if (res_stats_add(it->dir == 0 ? &c->tx_frames : &c->rx_frames,
			  it->hdr.opcode, 1) != 0)
		b->oom = 1;
	if (it->dir != 0 || it->hdr.opcode != WSP_OP_CLOSE || b->local_done)
		return;
	b->local_done = 1;
	if (it->len < 2)
		return;
	c->has_local_code = 1;
	c->local_code = (unsigned)it->data[0] << 8 | it->data[1];
	char reason[WSF_MAX_HEADER + 128];
	size_t n = it->len - 2;
	if (n > sizeof(reason) - 1)
		n = sizeof(reason) - 1;
	memcpy(reason, it->data + 2, n);
	reason[n] = '\0';
	if (n > 0 && res_set_str(&c->local_reason, reason) != 0)
		b->oom = 1;
}

struct res_wire_build *res_wire_begin(struct res_case *c, int we_client,
				      size_t cap)
{
	struct res_wire_build *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->c = c;
	b->cap = cap;
	c->wire.present = 1;
	c->has_stats = 1;
	/* A Close payload is at most 125 bytes: that is all a frame needs
	 * to keep here. */
	rw_init(&b->scan, we_client, 0, 125, build_item, b);
	return b;
}

static void keep_rec(struct res_wire_build *b, int64_t t_ns, int dir,
		     const uint8_t *p, size_t n)
{
	struct res_wire *w = &b->c->wire;
	if (w->truncated)
		return;
	if (n > b->cap - w->len || w->nrecs >= RES_WIRE_RECS_CAP) {
		w->truncated = 1;
		return;
	}
	if (w->len + n > b->capdata) {
		size_t ncap = b->capdata ? b->capdata : 4096;
		while (ncap < w->len + n)
			ncap *= 2;
		uint8_t *nd = realloc(w->data, ncap);
		if (nd == NULL) {
			b->oom = 1;
			w->truncated = 1;
			return;
		}
		w->data = nd;
		b->capdata = ncap;
	}
	if (w->nrecs == b->caprecs) {
		size_t ncap = b->caprecs ? b->caprecs * 2 : 64;
		struct res_wire_rec *nr = realloc(w->recs, ncap * sizeof(*nr));
		if (nr == NULL) {
			b->oom = 1;
			w->truncated = 1;
			return;
		}
		w->recs = nr;
		b->caprecs = ncap;
	}
	memcpy(w->data + w->len, p, n);
	struct res_wire_rec *r = &w->recs[w->nrecs++];
	r->t_us = t_ns > 0 ? t_ns / 1000 : 0;
	r->dir = (uint8_t)dir;
	r->len = n;
	w->len += n;
}

static void wire_take(struct res_wire_build *b, int64_t t_ns, int dir,
		      const uint8_t *p, size_t n, int keep)
{
	if (b == NULL || n == 0 || (dir != 0 && dir != 1))
		return;
	struct res_case *c = b->c;
	if (res_stats_add(dir == 0 ? &c->tx_octets : &c->rx_octets, n, 1) != 0)
		b->oom = 1;
	if (keep)
		keep_rec(b, t_ns, dir, p, n);
	else
		c->wire.truncated = 1; /* the log is a prefix of the wire */
	rw_feed(&b->scan, dir, b->rec++, p, n);
}

void res_wire_add(struct res_wire_build *b, int64_t t_ns, int dir,
		  const uint8_t *p, size_t n)
{
	wire_take(b, t_ns, dir, p, n, 1);
}

void res_wire_count(struct res_wire_build *b, int dir, const uint8_t *p,
		    size_t n)
{
	wire_take(b, 0, dir, p, n, 0);
}

int res_wire_end(struct res_wire_build *b, uint64_t bytes_sent,
		 uint64_t bytes_received)
{
	if (b == NULL)
		return WSP_E_NOMEM;
	rw_finish(&b->scan);
	struct res_wire *w = &b->c->wire;
	w->bytes_sent = bytes_sent;
	w->bytes_received = bytes_received;
	if (b->oom || b->scan.oom)
		w->truncated = 1;
	int rc = b->oom || b->scan.oom ? WSP_E_NOMEM : 0;
	free(b);
	return rc;
}
