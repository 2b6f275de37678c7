/*
 * run.c: the case runner and its client role (contract in run.h).
 *
 * Parallel runs (--jobs N) use N threads.  Each loads its own copy of the
 * case files (a Lua state is not shared between threads) and takes the
 * next case from a shared counter; results land in a slot per case, in
 * case order, and every case draws its mask keys and nonce from a seed of
 * its own (run_case_seed), so the results and the bytes sent are the same
 * whatever the number of jobs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases_embed.h"
#include "run.h"
#include "wsp_err.h"

/* The longest a case's Lua function may run (scaled); the session's own
 * timers bound every wait inside it well below this. */
#define CASE_SCRIPT_LIMIT_S 900.0

int run_selected(const struct run_select *sel, const char *id)
{
	if (sel == NULL)
		return 1;
	int in = sel->ninclude == 0;
	for (size_t i = 0; i < sel->ninclude && !in; i++)
		in = lcase_pattern_match(sel->include[i], id);
	for (size_t i = 0; i < sel->nexclude && in; i++)
		if (lcase_pattern_match(sel->exclude[i], id))
			in = 0;
	return in;
}

/* 1 when the include patterns name id but an exclude pattern drops it. */
static int run_excluded(const struct run_select *sel, const char *id)
{
	if (sel == NULL || sel->nexclude == 0)
		return 0;
	struct run_select inc = *sel;
	inc.nexclude = 0;
	return run_selected(&inc, id) && !run_selected(sel, id);
}

static void free_skips(struct res_agent *a)
{
	for (size_t i = 0; i < a->nexcluded; i++) {
		free(a->excluded[i].id);
		free(a->excluded[i].title);
	}
	free(a->excluded);
}

uint64_t run_case_seed(uint64_t seed, const char *id)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = id; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 1099511628211ull;
	}
	uint64_t z = seed ^ h;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int run_load(const struct run_source *src, struct lcase_file **files,
	     size_t *n, char *err, size_t errlen)
{
	size_t count = src != NULL && src->paths != NULL ? src->npaths
							 : cases_embedded_count;
	struct lcase_file *fs = calloc(count ? count : 1, sizeof(*fs));
	if (fs == NULL) {
		snprintf(err, errlen, "out of memory");
		return WSP_E_NOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		int rc;
		if (src != NULL && src->paths != NULL)
			rc = lcase_load_file(&fs[i], src->paths[i], NULL, err,
					     errlen);
		else
			rc = lcase_load_buffer(&fs[i], cases_embedded[i].name,
					       cases_embedded[i].text,
					       cases_embedded[i].len, NULL, err,
					       errlen);
		if (rc != 0) {
			for (size_t j = 0; j <= i; j++)
				lcase_file_free(&fs[j]);
			free(fs);
			return WSP_E_INVAL;
		}
	}
	*files = fs;
	*n = count;
	return 0;
}

/* ------------------------------------------------------------------------
 * Playing one case
 */

static int lists_all_match(const struct run_expect *x, const struct sess *s)
{
	if (x->nlists == 0)
		return 0;
	for (size_t l = 0; l < x->nlists; l++) {
		const struct vd_expectation *e = &x->lists[l];
		size_t k = 0;
		for (size_t i = 0; i < s->nevents; i++) {
			const struct sess_event *ev = &s->events[i];
			if (ev->consumed)
				continue;
			if (k >= e->nevents)
				return 0;
			const struct vd_event *w = &e->events[k++];
			if (w->type != ev->type || w->len != ev->len ||
			    (w->type == VD_EV_MESSAGE && w->opcode != ev->opcode) ||
			    (w->len && memcmp(w->data, ev->data, w->len) != 0))
				return 0;
		}
		if (k != e->nevents)
			return 0;
	}
	return 1;
}

/* Waits for the end of the case as its timer and expectations say. */
static void final_phase(struct run_case_ctx *ctx)
{
	struct sess *s = ctx->s;
	struct run_expect *x = &ctx->x;
	int timer = x->timer ? x->timer : 1;
	double secs = x->timer ? x->timer_s : 1.0;
	struct clk_deadline dl =
		clk_deadline_in_ms(sess_scaled_ms(s, secs));
	/* Auto-close needs one list to reach (a case with an OK and a
	 * NON-STRICT list is ended by its timer, as in Autobahn). */
	int may_autoclose = x->has_close && x->close.closed_by_me;
	while (s->state != SESS_CLOSED) {
		if (s->state == SESS_OPEN && may_autoclose &&
		    lists_all_match(x, s)) {
			if (x->close.ncodes > 0)
				sess_close(s, 1, x->close.codes[0], NULL, 0);
			else
				sess_close(s, 0, 0, NULL, 0);
			break;
		}
		if (s->state == SESS_CLOSING) {
			/* A Close is on the way: let the closing handshake
			 * finish under its own timers. */
			sess_pump(s, clk_never(), 0);
			break;
		}
		sess_pump(s, dl, 1);
		if (s->state != SESS_CLOSED && clk_expired(dl)) {
			if (timer == 1)
				sess_close(s, 0, 0, NULL, 0);
			else
				sess_fail(s, 1001, "Going Away");
			break;
		}
	}
}

static int copy_reqs(struct res_case *out, const struct lcase_meta *c)
{
	if (c->nreqs == 0)
		return 0;
	out->reqs = calloc(c->nreqs, sizeof(char *));
	if (out->reqs == NULL)
		return WSP_E_NOMEM;
	for (size_t i = 0; i < c->nreqs; i++) {
		if (res_set_str(&out->reqs[i], c->reqs[i]) != 0)
			return WSP_E_NOMEM;
		out->nreqs = i + 1;
	}
	return 0;
}

void run_case_meta(struct res_case *out, const struct lcase_meta *c)
{
	res_set_str(&out->id, c->id);
	res_set_str(&out->title, c->title);
	res_set_str(&out->description, c->description);
	res_set_str(&out->expectation, c->expectation);
	copy_reqs(out, c);
}

static void describe_events(struct res_case *out, const struct sess *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nevents; i++)
		n += !s->events[i].consumed;
	if (n == 0)
		return;
	out->events = calloc(n, sizeof(char *));
	if (out->events == NULL)
		return;
	for (size_t i = 0; i < s->nevents; i++) {
		const struct sess_event *e = &s->events[i];
		if (e->consumed)
			continue;
		struct vd_event v = {e->type, e->opcode, e->data, e->len};
		char buf[160];
		vd_event_describe(&v, buf, sizeof(buf));
		if (res_set_str(&out->events[out->nevents], buf) != 0)
			return;
		out->nevents++;
	}
}

static void wire_tap(void *ctx, int64_t t_ns, int dir, const uint8_t *p,
		     size_t n, int kept)
{
	if (kept)
		res_wire_add(ctx, t_ns, dir, p, n);
	else
		res_wire_count(ctx, dir, p, n);
}

void run_play(struct run_case_ctx *ctx, struct lcase_file *f,
	      const struct lcase_meta *c, struct res_case *out)
{
	struct sess *s = ctx->s;
	int64_t t0 = clk_now_ns();
	memset(&ctx->x, 0, sizeof(ctx->x));
	/* The statistics, the first Close we sent and what results.json keeps
	 * of the wire log are built as the bytes cross, not read back from
	 * the session's wire log afterwards: that log is bounded (64 MiB,
	 * s:stop_wirelog), the statistics cover the whole connection (18.1
	 * writes 64 MiB + 1 and the peer's Close comes after it).  What
	 * crossed before the case began (the server role's handshake) is in
	 * the log. */
	struct res_wire_build *wb = res_wire_begin(
		out, s->cfg.role == WSP_ROLE_CLIENT, RES_WIRE_CAP);
	for (size_t i = 0; wb != NULL && i < s->nrecs; i++)
		res_wire_add(wb, s->recs[i].t_ns, s->recs[i].dir,
			     s->wire + s->recs[i].off, s->recs[i].len);
	if (wb != NULL)
		sess_set_wire_tap(s, wire_tap, wb);
	char script_err[512] = "";
	int ref = lsess_push(f->L, ctx);
	int64_t limit_ns = (int64_t)(CASE_SCRIPT_LIMIT_S * 1e9 *
				     (ctx->timeout_scale > 0 ? ctx->timeout_scale
							     : 1.0));
	int rc = lcase_call(f, c, clk_now_ns() + limit_ns, script_err,
			    sizeof(script_err));
	lsess_invalidate(f->L, ref);
	/* The lists were built as offsets into x.events, which grew. */
	for (size_t i = 0; i < ctx->x.nlists; i++)
		ctx->x.lists[i].events =
			ctx->x.events + (uintptr_t)ctx->x.lists[i].events;
	if (!ctx->open_tried)
		lsess_ensure_open(ctx);
	if (rc == 0 && s->opened)
		final_phase(ctx);
	if (s->state != SESS_CLOSED)
		sess_drop(s);

	/* Judge. */
	struct vd_event *obs = calloc(s->nevents ? s->nevents : 1, sizeof(*obs));
	size_t nobs = 0;
	for (size_t i = 0; obs != NULL && i < s->nevents; i++) {
		const struct sess_event *e = &s->events[i];
		if (e->consumed)
			continue;
		obs[nobs].type = e->type;
		obs[nobs].opcode = e->opcode;
		obs[nobs].data = e->data;
		obs[nobs].len = e->len;
		nobs++;
	}
	static const uint16_t c1000[] = {1000};
	struct vd_expect_close dflt = {1, c1000, 1, 1};
	struct vd_observed_close oc;
	sess_observed_close(s, &oc);
	struct vd_result r;
	vd_judge(ctx->x.lists, ctx->x.nlists,
		 ctx->x.has_close ? &ctx->x.close : &dflt, &ctx->x.rules, obs,
		 nobs, &oc, &r);
	free(obs);
	if (rc != 0 && ctx->open_failed == 0) {
		/* The case script itself failed: a bug in the case, reported
		 * as a failure so it is never mistaken for a pass. */
		r.behavior = VD_FAILED;
		r.verdict = VD_FAILED;
		snprintf(r.reason, sizeof(r.reason), "case script error: %.200s",
			 script_err);
	} else if (s->violation != 0 && ctx->x.rules.informational) {
		/* Behaviour the RFC leaves open (7.1.6, 7.13.x): what the peer
		 * did is reported, not judged. */
		snprintf(r.reason, sizeof(r.reason), "informational: %.200s",
			 s->violation_text);
	} else if (s->violation != 0) {
		r.behavior = VD_FAILED;
		r.verdict = VD_FAILED;
		snprintf(r.reason, sizeof(r.reason), "%s", s->violation_text);
	}
	/* Integration tests (tests/integration/hostile.sh): a failed case
	 * whose connection ended badly (reset, closed mid-frame, a failed
	 * write) names how, even when the verdict's reasons are about
	 * something else ("the peer closed first ..."). */
	if (r.verdict == VD_FAILED && s->opened && !s->was_clean &&
	    s->not_clean_reason[0] != '\0' &&
	    strstr(r.reason, s->not_clean_reason) == NULL &&
	    strstr(r.close_reason, s->not_clean_reason) == NULL) {
		size_t cl = strlen(r.close_reason);
		snprintf(r.close_reason + cl, sizeof(r.close_reason) - cl,
			 " (%s)", s->not_clean_reason);
	}

	run_case_meta(out, c);
	out->verdict = r.verdict;
	out->behavior = r.behavior;
	out->close_behavior = r.close_behavior;
	out->has_remote_code = s->has_remote_code;
	out->remote_code = s->remote_code;
	if (s->remote_reason[0])
		res_set_str(&out->remote_reason, s->remote_reason);
	out->duration_ms = (clk_now_ns() - t0) / 1000000;
	res_set_str(&out->reason, r.reason);
	res_set_str(&out->close_reason, r.close_reason);
	describe_events(out, s);
	if (s->http_request != NULL)
		res_set_str(&out->http_request, s->http_request);
	if (s->http_response != NULL)
		res_set_str(&out->http_response, s->http_response);
	/* Issue 5 (reports): the closing facts and the wire log, for
	 * index.html, the JUnit excerpt and Autobahn's per-case fields. */
	out->has_facts = 1;
	out->closed_by_me = s->closed_by_me;
	out->failed_by_me = s->failed_by_me;
	out->dropped_by_me = s->dropped_by_me;
	out->was_clean = s->was_clean;
	if (s->not_clean_reason[0])
		res_set_str(&out->not_clean_reason, s->not_clean_reason);
	sess_set_wire_tap(s, NULL, NULL);
	res_wire_end(wb, s->bytes_out, s->bytes_in);
	/* Issue 6 item 1: the case's capture, from the whole wire log. */
	if (ctx->pcap != NULL)
		capcase_save(ctx->pcap, c->id, s, out);
	run_expect_free(&ctx->x);
}

/* ------------------------------------------------------------------------
 * Client role
 */

struct job {
	size_t file;
	size_t index; /* into that file's cases */
};

struct pool {
	const struct run_client_opts *o;
	struct url url;
	struct net_tls tls;
	int have_tls;
	struct job *jobs;
	size_t njobs;
	struct res_case *results;
	unsigned char *done;
	atomic_size_t next;
	pthread_mutex_t lock;
	size_t finished, failed;
	int tty;
	char err[512];
	int load_failed;
};

static void progress(struct pool *p, const char *id)
{
	if (!p->tty)
		return;
	pthread_mutex_lock(&p->lock);
	fprintf(stderr, "\r\033[Kcase %zu of %zu  %-10s  failed so far: %zu",
		p->finished, p->njobs, id, p->failed);
	fflush(stderr);
	pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	const struct run_client_opts *o = p->o;
	struct lcase_file *files;
	size_t nfiles;
	char err[512];
	if (run_load(o->src, &files, &nfiles, err, sizeof(err)) != 0) {
		pthread_mutex_lock(&p->lock);
		p->load_failed = 1;
		snprintf(p->err, sizeof(p->err), "%s", err);
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	for (;;) {
		if (o->stop != NULL && *o->stop)
			break;
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->njobs)
			break;
		const struct lcase_meta *c =
			&files[p->jobs[i].file].cases[p->jobs[i].index];
		struct sess s;
		struct sess_cfg cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.role = WSP_ROLE_CLIENT;
		cfg.seed = run_case_seed(o->seed, c->id);
		cfg.max_message = o->max_message;
		cfg.compressor = o->compressor;
		cfg.timeout_scale = o->timeout_scale;
		cfg.record = 1;
		if (o->pcap != NULL)
			cfg.wirelog_max = capcase_wirelog_max(o->pcap);
		if (sess_init(&s, &cfg) != 0)
			continue;
		struct run_case_ctx ctx;
		memset(&ctx, 0, sizeof(ctx));
		ctx.s = &s;
		ctx.url = &p->url;
		ctx.tls = p->have_tls ? &p->tls : NULL;
		ctx.timeout_scale = o->timeout_scale;
		ctx.pcap = o->pcap;
		run_play(&ctx, &files[p->jobs[i].file], c, &p->results[i]);
		sess_free(&s);
		pthread_mutex_lock(&p->lock);
		p->done[i] = 1;
		p->finished++;
		if (p->results[i].verdict == VD_FAILED)
			p->failed++;
		pthread_mutex_unlock(&p->lock);
		progress(p, c->id);
	}
	for (size_t j = 0; j < nfiles; j++)
		lcase_file_free(&files[j]);
	free(files);
	return NULL;
}

static int cmp_jobs_ctx_sort(const void *a, const void *b, void *files)
{
	const struct job *x = a, *y = b;
	const struct lcase_file *f = files;
	return lcase_id_cmp(f[x->file].cases[x->index].id,
			    f[y->file].cases[y->index].id);
}

/* A small insertion sort with a context (qsort_r is not in C11). */
static void sort_jobs(struct job *j, size_t n, struct lcase_file *files)
{
	for (size_t i = 1; i < n; i++) {
		struct job t = j[i];
		size_t k = i;
		while (k > 0 && cmp_jobs_ctx_sort(&j[k - 1], &t, files) > 0) {
			j[k] = j[k - 1];
			k--;
		}
		j[k] = t;
	}
}

int run_client(const struct run_client_opts *o, struct res_run *results,
	       char *err, size_t errlen)
{
	struct pool p;
	memset(&p, 0, sizeof(p));
	p.o = o;
	int rc = url_parse(&p.url, o->url, strlen(o->url));
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", o->url, wsp_strerror(rc));
		return WSP_E_INVAL;
	}
	if (p.url.secure) {
		char terr[256];
		if (net_tls_client_init(&p.tls, o->cacert, o->insecure, terr,
					sizeof(terr)) != 0) {
			snprintf(err, errlen, "%s", terr);
			return WSP_E_INVAL;
		}
		p.have_tls = 1;
	}
	/* Is the target there at all?  A refused connection is exit 4, not
	 * hundreds of FAILED cases. */
	struct net_conn probe;
	net_conn_init(&probe);
	rc = net_connect(&probe, p.url.host, p.url.port, NET_FAMILY_ANY,
			 clk_deadline_in_ms((int64_t)(5000 * (o->timeout_scale > 0
								  ? o->timeout_scale
								  : 1.0))));
	if (rc != 0) {
		snprintf(err, errlen, "cannot reach %s: %s", o->url,
			 probe.errmsg[0] ? probe.errmsg : wsp_strerror(rc));
		if (p.have_tls)
			net_tls_free(&p.tls);
		return rc;
	}
	/* wss://: a certificate wsprobe is not told to trust is the
	 * tester's configuration, not a flaw of the server under test, so it
	 * is exit 4 with OpenSSL's reason rather than every case FAILED with
	 * the same message.  Other TLS failures (a peer that never answers
	 * or sends garbage) go on to the cases, which report them. */
	if (p.have_tls) {
		rc = net_tls_handshake(&probe, &p.tls, p.url.host,
				       clk_deadline_in_ms((int64_t)(
					       5000 * (o->timeout_scale > 0
							       ? o->timeout_scale
							       : 1.0))));
		if (rc == WSP_E_NET_TLS_VERIFY) {
			snprintf(err, errlen, "cannot reach %s: %s", o->url,
				 probe.errmsg);
			net_close(&probe);
			net_tls_free(&p.tls);
			return rc;
		}
	}
	net_close(&probe);

	/* Which cases, in id order. */
	struct lcase_file *files;
	size_t nfiles;
	if (run_load(o->src, &files, &nfiles, err, errlen) != 0) {
		if (p.have_tls)
			net_tls_free(&p.tls);
		return WSP_E_INVAL;
	}
	size_t total = 0;
	for (size_t i = 0; i < nfiles; i++)
		total += files[i].ncases;
	p.jobs = calloc(total ? total : 1, sizeof(*p.jobs));
	/* Reports (issue 5): cases the include patterns name but an exclude
	 * pattern drops are listed as excluded (JUnit "skipped"). */
	struct res_agent left_out;
	memset(&left_out, 0, sizeof(left_out));
	for (size_t i = 0; p.jobs != NULL && i < nfiles; i++)
		for (size_t k = 0; k < files[i].ncases; k++) {
			const struct lcase_meta *c = &files[i].cases[k];
			if ((c->roles & LCASE_ROLE_SERVER) &&
			    run_selected(o->sel, c->id))
				p.jobs[p.njobs++] = (struct job){i, k};
			else if ((c->roles & LCASE_ROLE_SERVER) &&
				 run_excluded(o->sel, c->id))
				res_add_excluded(&left_out, c->id, c->title);
		}
	if (p.jobs != NULL)
		sort_jobs(p.jobs, p.njobs, files);
	for (size_t i = 0; i < nfiles; i++)
		lcase_file_free(&files[i]);
	free(files);
	p.results = calloc(p.njobs ? p.njobs : 1, sizeof(*p.results));
	p.done = calloc(p.njobs ? p.njobs : 1, 1);
	if (p.jobs == NULL || p.results == NULL || p.done == NULL) {
		free(p.jobs);
		free(p.results);
		free(p.done);
		free_skips(&left_out);
		snprintf(err, errlen, "out of memory");
		return WSP_E_NOMEM;
	}
	pthread_mutex_init(&p.lock, NULL);
	p.tty = o->progress && isatty(2);
	unsigned jobs = o->jobs ? o->jobs : 1;
	if (jobs > p.njobs && p.njobs > 0)
		jobs = (unsigned)p.njobs;
	pthread_t *th = calloc(jobs, sizeof(*th));
	unsigned started = 0;
	for (unsigned i = 0; th != NULL && i < jobs; i++)
		if (pthread_create(&th[i], NULL, worker, &p) == 0)
			started++;
	if (started == 0)
		worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (p.tty)
		fprintf(stderr, "\r\033[K");
	rc = 0;
	if (p.load_failed) {
		snprintf(err, errlen, "%s", p.err);
		rc = WSP_E_INVAL;
	} else {
		char agent[300];
		if (o->agent != NULL)
			snprintf(agent, sizeof(agent), "%s", o->agent);
		else
			snprintf(agent, sizeof(agent), "%s", o->url);
		struct res_agent *a = res_add_agent(results, agent, "server",
						    o->url);
		for (size_t i = 0; a != NULL && i < p.njobs; i++) {
			if (!p.done[i])
				continue; /* stopped before it ran */
			struct res_case *c = res_add_case(a);
			if (c == NULL)
				break;
			*c = p.results[i];
			memset(&p.results[i], 0, sizeof(p.results[i]));
		}
		if (a != NULL) {
			res_count(a);
			a->excluded = left_out.excluded;
			a->nexcluded = left_out.nexcluded;
			a->xcap = left_out.xcap;
			memset(&left_out, 0, sizeof(left_out));
		} else {
			rc = WSP_E_NOMEM;
		}
	}
	free_skips(&left_out);
	/* Results not moved into the run (stop, error) are freed here. */
	for (size_t i = 0; i < p.njobs; i++)
		res_case_free(&p.results[i]);
	free(p.results);
	free(p.jobs);
	free(p.done);
	pthread_mutex_destroy(&p.lock);
	if (p.have_tls)
		net_tls_free(&p.tls);
	return rc;
}
