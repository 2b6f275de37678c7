/*
 * fuzzlive.c: the live-target fuzzer (fuzzlive.h).
 *
 * One iteration is one connection: open it (or accept it), send the input
 * (frames from the wsmut mutator, or a mutated opening handshake), send a
 * Ping we call the probe, and wait up to the timeout for its Pong.  The
 * session layer (sess.h) parses everything the target sends with the
 * proto/ decoders in the right role and records the first violation with
 * its requirement id, so the classes of fuzzlive.h fall out of what it
 * saw: a violation, the probe's Pong (fine), a Close (a rejection: fine),
 * silence on an open connection (hang), or TCP gone without a Close, which
 * is a crash when the target then refuses a fresh connection.
 *
 * There is no coverage feedback from a live target; what the target sends
 * back stands in for it.  Each answer is summed up in a signature (event
 * types, opcodes, close code, how TCP ended) and an input whose signature
 * is new joins the pool the next inputs are mutated from, next to the
 * hand-made seeds (messages, fragments, control frames between fragments,
 * boundary lengths, closes, deflate frames when negotiated).
 *
 * Minimisation replays candidates against the live target with the
 * iteration's own seed (same mask keys, nonce and probe), so only the
 * input changes between trials.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "capcase.h"
#include "capw.h"
#include "clock.h"
#include "fuzzlive.h"
#include "wsmut.h"
#include "hs.h"
#include "msg.h"
#include "net.h"
#include "sess.h"
#include "url.h"
#include "wsf.h"
#include "wsp_err.h"

#define FZL_MAX_INPUT 1400      /* mutator output bound, bytes */
#define FZL_POOL_MAX 512
#define FZL_SIGS 8192           /* response signatures remembered */
#define FZL_MAX_FINDINGS 64
#define FZL_MAX_KIDS 64
#define FZL_PROBE "wsprobe-fuzz-probe"
#define FZL_MAX_UNITS 4096

const char *fzl_class_name(enum fzl_class c)
{
	switch (c) {
	case FZL_CRASH:
		return "crash";
	case FZL_HANG:
		return "hang";
	case FZL_VIOLATION:
		return "violation";
	default:
		return "none";
	}
}

/* ---- delta debugging -------------------------------------------------- */

size_t fzl_ddmin(size_t *idx, size_t n, fzl_pred pred, void *ctx,
		 unsigned max_trials, unsigned *trials)
{
	unsigned used = 0;
	size_t *cand = calloc(n ? n : 1, sizeof(*cand));
	if (cand == NULL) {
		if (trials)
			*trials = 0;
		return n;
	}
#define BUDGET_LEFT() (max_trials == 0 || used < max_trials)
	if (n > 0 && BUDGET_LEFT()) {
		used++;
		if (pred(ctx, cand, 0)) {
			n = 0;
			goto out;
		}
	}
	size_t gran = 2;
	while (n >= 2 && BUDGET_LEFT()) {
		if (gran > n)
			gran = n;
		int reduced = 0;
		/* Each chunk alone, then each complement: chunk k spans
		 * [k*n/gran, (k+1)*n/gran). */
		for (int pass = 0; pass < 2 && !reduced; pass++) {
			for (size_t k = 0; k < gran && BUDGET_LEFT(); k++) {
				size_t lo = k * n / gran, hi = (k + 1) * n / gran;
				size_t m = 0;
				if (pass == 0) {
					for (size_t i = lo; i < hi; i++)
						cand[m++] = idx[i];
				} else {
					for (size_t i = 0; i < n; i++)
						if (i < lo || i >= hi)
							cand[m++] = idx[i];
				}
				if (m == n || m == 0)
					continue;
				used++;
				if (pred(ctx, cand, m)) {
					memcpy(idx, cand, m * sizeof(*idx));
					n = m;
					gran = pass == 0 ? 2 : (gran > 2 ? gran - 1 : 2);
					reduced = 1;
					break;
				}
			}
		}
		if (reduced)
			continue;
		if (gran >= n)
			break; /* 1-minimal */
		gran = gran * 2 < n ? gran * 2 : n;
	}
#undef BUDGET_LEFT
out:
	free(cand);
	if (trials)
		*trials = used;
	return n;
}

/* ---- frames ----------------------------------------------------------- */

size_t fzl_frames(const uint8_t *data, size_t size, size_t *off, size_t max,
		  size_t *parsed)
{
	size_t pos = 0, n = 0;
	while (n < max && pos < size) {
		size_t l = wsmut_frame_len(data + pos, size - pos);
		if (l == 0)
			break;
		off[n++] = pos;
		pos += l;
	}
	if (parsed)
		*parsed = pos;
	return n;
}

/* ---- small helpers ---------------------------------------------------- */

static uint64_t sig_add(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
	return h;
}

struct input {
	uint8_t *p;
	size_t n;
};

/* ---- the fuzzer's state ----------------------------------------------- */

struct finding_key {
	enum fzl_class cls;
	int code;
};

/* The outcome of one iteration. */
struct outcome {
	enum fzl_class cls;
	int code;              /* violation: WSP_E_* */
	char detail[256];
	uint64_t sig;          /* summary of the answer */
	int open_rc;           /* the connection could not be opened */
};

struct fzl {
	const struct fzl_opts *o;
	struct url url;
	struct net_tls tls;
	int have_tls;
	struct net_listener lst;
	int have_lst;
	struct net_conn pending;  /* server role: accepted, not yet used */
	int have_pending;
	int64_t timeout_ms;
	uint64_t rng;
	int pmd_on;               /* deflate agreed on the first connection */
	struct input pool[FZL_POOL_MAX];
	size_t npool, nseeds, next_slot;
	uint64_t *sigs;           /* open addressing, 0 = empty */
	size_t nsigs;
	struct finding_key found[FZL_MAX_FINDINGS];
	size_t nfound;
	pid_t kids[FZL_MAX_KIDS];   /* restart commands not yet reaped */
	size_t nkids;
	pid_t groups[FZL_MAX_KIDS]; /* their process groups, kept */
	size_t ngroups;
	struct capw_buf cap;      /* capture of the last iteration */
	struct fzl_stats *st;
	size_t num_base;          /* findings of earlier runs in outdir */
	uint64_t iter;
	char *err;
	size_t errlen;
};

static int sig_insert(struct fzl *f, uint64_t sig)
{
	if (sig == 0)
		sig = 1;
	if (f->nsigs >= FZL_SIGS / 2)
		return 0; /* full enough: stop growing the pool this way */
	size_t i = (size_t)(sig % FZL_SIGS);
	while (f->sigs[i] != 0) {
		if (f->sigs[i] == sig)
			return 0;
		i = (i + 1) % FZL_SIGS;
	}
	f->sigs[i] = sig;
	f->nsigs++;
	return 1;
}

static int pool_add(struct fzl *f, const uint8_t *p, size_t n, int seed)
{
	uint8_t *c = malloc(n ? n : 1);
	if (c == NULL)
		return WSP_E_NOMEM;
	if (n)
		memcpy(c, p, n);
	size_t slot;
	if (f->npool < FZL_POOL_MAX) {
		slot = f->npool++;
	} else {
		/* Replace the oldest non-seed entry. */
		slot = f->nseeds + f->next_slot % (FZL_POOL_MAX - f->nseeds);
		f->next_slot++;
		free(f->pool[slot].p);
	}
	f->pool[slot].p = c;
	f->pool[slot].n = n;
	if (seed)
		f->nseeds = f->npool;
	return 0;
}

/* ---- wire log to capture ---------------------------------------------- */

/* The capture of a finished session, through the per-case capture writer
 * of `wsprobe run --pcap` (capcase.h: real endpoints and times, the TCP
 * ending as seen), into f->cap. */
static void capture_sess(struct fzl *f, const struct sess *s)
{
	f->cap.len = 0;
	f->cap.err = 0;
	if (s->nrecs == 0 || s->wire_truncated)
		return;
	struct capcase_conn c;
	if (capcase_conn_from_sess(&c, s) != 0)
		return;
	char *mem = NULL;
	size_t mlen = 0;
	FILE *fp = open_memstream(&mem, &mlen);
	if (fp == NULL)
		return;
	int trunc = 0;
	int rc = capcase_write(fp, &c, s->wire, s->recs, s->nrecs, 0, &trunc,
			       NULL);
	if (fclose(fp) == 0 && rc == 0)
		capw_put(&f->cap, mem, mlen);
	free(mem);
}

/* ---- the target: alive or not, restarts ------------------------------ */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void reap_kids(struct fzl *f, int wait_all)
{
	for (size_t i = 0; i < f->nkids;) {
		pid_t r = waitpid(f->kids[i], NULL, wait_all ? 0 : WNOHANG);
		if (r == f->kids[i] || (r < 0 && errno == ECHILD)) {
			f->kids[i] = f->kids[--f->nkids];
			continue;
		}
		i++;
	}
}

/* Client role: 1 when nothing listens at the target any more.  A dying
 * process may still have its listening socket for a moment, so a
 * connection that is accepted and at once reset does not count as alive. */
static int target_dead(struct fzl *f)
{
	for (int k = 0; k < 3; k++) {
		struct net_conn c;
		net_conn_init(&c);
		int rc = net_connect(&c, f->url.host, f->url.port,
				     NET_FAMILY_ANY,
				     clk_deadline_in_ms(f->timeout_ms));
		if (rc == WSP_E_NET_REFUSED) {
			if (k == 2)
				return 1;
			sleep_ms(20);
			continue;
		}
		if (rc != 0)
			return 0;
		rc = net_wait_readable(&c, clk_deadline_in_ms(10));
		if (rc == WSP_E_NET_TIMEOUT) {
			net_close(&c);
			return 0;
		}
		uint8_t b[1];
		rc = net_read(&c, b, 1, clk_deadline_in_ms(0));
		net_close(&c);
		if (rc > 0)
			return 0;
		sleep_ms(20);
	}
	return 0;
}

/* Runs the restart command (in its own process group, not waited for) and
 * waits until the target accepts connections again (client role) or just
 * returns (server role: the next accept waits).  Returns 0, or
 * WSP_E_NET_TIMEOUT when the target did not come back in 10 s. */
static int restart_target(struct fzl *f)
{
	reap_kids(f, 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return WSP_E_INTERNAL;
	if (pid == 0) {
		setsid();
		execl("/bin/sh", "sh", "-c", f->o->restart_cmd, (char *)NULL);
		_exit(127);
	}
	if (f->nkids < FZL_MAX_KIDS)
		f->kids[f->nkids++] = pid;
	if (f->ngroups < FZL_MAX_KIDS)
		f->groups[f->ngroups++] = pid;
	f->st->restarts++;
	if (f->o->listen)
		return 0;
	int64_t end = clk_now_ms() + 10000;
	while (clk_now_ms() < end) {
		struct net_conn c;
		net_conn_init(&c);
		if (net_connect(&c, f->url.host, f->url.port, NET_FAMILY_ANY,
				clk_deadline_in_ms(200)) == 0) {
			net_close(&c);
			return 0;
		}
		sleep_ms(20);
	}
	return WSP_E_NET_TIMEOUT;
}

/* Server role: waits for the next connection into f->pending.  Returns 0
 * or WSP_E_NET_TIMEOUT. */
static int accept_next(struct fzl *f, int64_t ms)
{
	if (f->have_pending)
		return 0;
	net_conn_init(&f->pending);
	int rc = net_accept(&f->lst, &f->pending, clk_deadline_in_ms(ms));
	if (rc == 0)
		f->have_pending = 1;
	return rc;
}

/* How long the server role waits for a client to connect (again). */
static int64_t accept_ms(const struct fzl *f)
{
	int64_t ms = 5 * f->timeout_ms;
	return ms < 3000 ? 3000 : ms;
}

/* ---- one iteration: frames -------------------------------------------- */

static void sess_cfg_for(const struct fzl *f, struct sess_cfg *c,
			 uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->role = f->o->listen ? WSP_ROLE_SERVER : WSP_ROLE_CLIENT;
	c->seed = seed;
	c->open_timeout_ms = f->timeout_ms;
	c->close_timeout_ms = f->timeout_ms;
	c->drop_timeout_ms = 200;
	c->record = 1;
	c->wirelog_max = 4u << 20;
	c->max_message = 16u << 20;
}

static const char *const deflate_offer[] = {
	"permessage-deflate; client_max_window_bits"};

/* Judges what the session saw after the input and the probe. */
static void judge(struct fzl *f, struct sess *s, int got_pong,
		  struct outcome *out)
{
	/* Only what the target decided, not timing: whether TCP ended by FIN
	 * or by RST depends on who was faster. */
	out->sig = sig_add(out->sig, (uint64_t)s->close_received << 8 |
					     (uint64_t)(s->state ==
							SESS_CLOSED) << 4 |
					     (uint64_t)got_pong);
	if (s->has_remote_code)
		out->sig = sig_add(out->sig, s->remote_code);
	if (s->violation != 0) {
		out->cls = FZL_VIOLATION;
		out->code = s->violation;
		snprintf(out->detail, sizeof(out->detail), "%s",
			 s->violation_text[0] ? s->violation_text
					      : wsp_strerror(s->violation));
		out->sig = sig_add(out->sig, (uint64_t)-s->violation);
		return;
	}
	if (got_pong || s->close_received)
		return;
	if (s->state != SESS_CLOSED && s->conn.end == NET_END_OPEN) {
		out->cls = FZL_HANG;
		snprintf(out->detail, sizeof(out->detail),
			 "no Pong and no Close within %lld ms after the "
			 "input; the connection stays open",
			 (long long)f->timeout_ms);
		return;
	}
	/* TCP ended without a Close: a rejection, or the process died. */
	int dead;
	if (f->o->listen)
		dead = accept_next(f, accept_ms(f)) != 0;
	else
		dead = target_dead(f);
	if (dead) {
		out->cls = FZL_CRASH;
		snprintf(out->detail, sizeof(out->detail),
			 "the connection ended (%s) without a Close and %s",
			 net_end_name(s->end == NET_END_OPEN ? s->conn.end
							     : s->end),
			 f->o->listen ? "the client did not connect again"
				      : "a new connection is refused");
	}
}

static void frames_iter(struct fzl *f, const uint8_t *in, size_t n,
			uint64_t seed, struct outcome *out)
{
	struct sess s;
	struct sess_cfg cfg;
	sess_cfg_for(f, &cfg, seed);
	if (sess_init(&s, &cfg) != 0) {
		out->open_rc = WSP_E_NOMEM;
		return;
	}
	struct sess_open_opts oo;
	memset(&oo, 0, sizeof(oo));
	struct pmd_server_cfg pmd;
	int rc;
	if (!f->o->listen) {
		if (f->o->deflate) {
			oo.req.extensions = deflate_offer;
			oo.req.nextensions = 1;
		}
		rc = sess_connect(&s, &f->url, f->have_tls ? &f->tls : NULL,
				  &oo);
	} else {
		rc = accept_next(f, accept_ms(f));
		if (rc == 0) {
			f->have_pending = 0;
			struct net_conn c = f->pending;
			rc = sess_read_request(&s, &c);
		}
		if (rc == 0) {
			if (f->o->deflate) {
				pmd_server_cfg_init(&pmd);
				oo.pmd = &pmd;
			}
			rc = sess_accept(&s, &oo);
		}
	}
	if (rc != 0) {
		if (wsp_errreq(rc) != NULL) {
			/* The target's side of the opening handshake broke
			 * a rule: a finding with an empty input. */
			out->cls = FZL_VIOLATION;
			out->code = rc;
			snprintf(out->detail, sizeof(out->detail),
				 "opening handshake: %.200s", s.open_error);
			capture_sess(f, &s);
		} else {
			out->open_rc = rc;
			snprintf(out->detail, sizeof(out->detail), "%s",
				 s.open_error);
		}
		sess_free(&s);
		return;
	}
	f->pmd_on = s.pmd_on;
	if (n > 0)
		sess_send_raw(&s, in, n, NULL);
	if (s.state == SESS_OPEN) {
		struct sess_frame pf;
		memset(&pf, 0, sizeof(pf));
		pf.fin = 1;
		pf.opcode = WSP_OP_PING;
		pf.mask = -1;
		pf.len_form = WSF_LEN_AUTO;
		pf.payload = (const uint8_t *)FZL_PROBE;
		pf.len = sizeof(FZL_PROBE) - 1;
		sess_send_frames(&s, &pf, 1, NULL);
	}
	struct clk_deadline dl = clk_deadline_in_ms(f->timeout_ms);
	int got = 0;
	for (;;) {
		const struct sess_event *e = sess_next_event(&s, dl);
		if (e == NULL)
			break;
		if (e->type == VD_EV_PONG && e->len == sizeof(FZL_PROBE) - 1 &&
		    memcmp(e->data, FZL_PROBE, e->len) == 0) {
			got = 1;
			break;
		}
		out->sig = sig_add(out->sig, (uint64_t)e->type << 16 |
						     (uint64_t)e->opcode << 8 |
						     (e->len > 200 ? 200 : e->len));
		sess_release_consumed(&s);
	}
	judge(f, &s, got, out);
	if (s.state != SESS_CLOSED)
		sess_drop(&s);
	capture_sess(f, &s);
	sess_free(&s);
}

/* ---- one iteration: the opening handshake ----------------------------- */

static int base_request(struct fzl *f, uint64_t seed, char *out, size_t cap)
{
	struct hs_req_desc d;
	memset(&d, 0, sizeof(d));
	char host[URL_HOST_MAX + 3];
	if (f->url.host_kind == URL_HOST_IPV6)
		snprintf(host, sizeof(host), "[%s]", f->url.host);
	else
		snprintf(host, sizeof(host), "%s", f->url.host);
	d.host = host;
	if (f->url.port != url_default_port(f->url.secure))
		d.port = f->url.port;
	d.target = f->url.resource;
	uint8_t nonce[HS_NONCE_LEN];
	uint64_t r = seed;
	for (int i = 0; i < HS_NONCE_LEN; i += 8) {
		uint64_t v = wsmut_next(&r);
		memcpy(nonce + i, &v, 8);
	}
	d.nonce = nonce;
	if (f->o->deflate) {
		d.extensions = deflate_offer;
		d.nextensions = 1;
	}
	return hs_build_request(&d, out, cap);
}

/* A wire log kept by hand (the handshake iteration does its own I/O). */
struct hlog {
	struct capw_wire w[64];
	uint8_t buf[8192];
	size_t n, used;
	int64_t t0;
};

static void hlog_add(struct hlog *h, int from_client, const void *p,
		     size_t len)
{
	if (h->n >= 64 || len > sizeof(h->buf) - h->used || len == 0)
		return;
	memcpy(h->buf + h->used, p, len);
	h->w[h->n].t_ns = clk_now_ns() - h->t0;
	h->w[h->n].from_client = (uint8_t)from_client;
	h->w[h->n].p = h->buf + h->used;
	h->w[h->n].len = len;
	h->used += len;
	h->n++;
}

/* What after_101 collects from the server's frames. */
struct a101 {
	int got_pong;
	int closed;
};

static void a101_event(const struct msg_event *ev, void *user)
{
	struct a101 *a = user;
	if (ev->type != MSG_EV_CONTROL)
		return;
	if (ev->opcode == WSP_OP_CLOSE)
		a->closed = 1;
	if (ev->opcode == WSP_OP_PONG && ev->len == sizeof(FZL_PROBE) - 1 &&
	    memcmp(ev->data, FZL_PROBE, ev->len) == 0)
		a->got_pong = 1;
}

/*
 * The handshake iteration, once the target accepted a request that may be
 * sent: a masked Ping (the probe), then the server's frames decoded by the
 * message layer in strict mode until the Pong, a Close, the end of the
 * connection or the deadline, and the same classes as for frames.
 * early[0..elen) are bytes that came after the 101 head.
 */
static void after_101(struct fzl *f, struct net_conn *c, struct hlog *h,
		      const struct hs_msg *resp, uint8_t *early, size_t elen,
		      uint64_t seed, struct clk_deadline dl,
		      struct outcome *out)
{
	struct msg_config mc;
	memset(&mc, 0, sizeof(mc));
	mc.policy.sender = WSP_ROLE_SERVER;
	if (hs_find(resp, "Sec-WebSocket-Extensions") != NULL)
		mc.policy.rsv_allowed = WSP_RSV1;
	mc.strict = 1;
	struct msg_decoder md;
	if (msg_init(&md, &mc) != 0)
		return;
	struct a101 a = {0, 0};
	size_t used;
	int rc = elen ? msg_feed(&md, early, elen, &used, a101_event, &a) : 0;
	uint8_t ping[WSF_MAX_HEADER + sizeof(FZL_PROBE)];
	struct wsf_frame fr;
	memset(&fr, 0, sizeof(fr));
	fr.fin = 1;
	fr.opcode = WSP_OP_PING;
	fr.masked = 1;
	uint64_t k = wsmut_next(&seed);
	memcpy(fr.mask_key, &k, 4);
	fr.payload_len = sizeof(FZL_PROBE) - 1;
	ssize_t pl = wsf_encode(ping, sizeof(ping), &fr,
				(const uint8_t *)FZL_PROBE,
				sizeof(FZL_PROBE) - 1);
	if (rc == 0 && pl > 0 && net_write_all(c, ping, (size_t)pl, dl) == 0)
		hlog_add(h, 1, ping, (size_t)pl);
	int ended = 0;
	uint8_t buf[4096];
	while (rc == 0 && !a.got_pong && !a.closed) {
		int r = net_read(c, buf, sizeof(buf), dl);
		if (r <= 0) {
			ended = r != WSP_E_NET_TIMEOUT;
			break;
		}
		hlog_add(h, 0, buf, (size_t)r);
		rc = msg_feed(&md, buf, (size_t)r, &used, a101_event, &a);
	}
	msg_free(&md);
	out->sig = sig_add(out->sig, (uint64_t)a.got_pong << 2 |
					     (uint64_t)a.closed << 1 |
					     (uint64_t)ended);
	if (rc < 0 && rc != WSP_E_NOMEM) {
		out->cls = FZL_VIOLATION;
		out->code = rc;
		snprintf(out->detail, sizeof(out->detail),
			 "after the opening handshake: %s", wsp_strerror(rc));
	} else if (a.got_pong || a.closed) {
		return;
	} else if (!ended) {
		out->cls = FZL_HANG;
		snprintf(out->detail, sizeof(out->detail),
			 "no Pong and no Close within %lld ms after an "
			 "accepted opening handshake",
			 (long long)f->timeout_ms);
	} else if (target_dead(f)) {
		out->cls = FZL_CRASH;
		snprintf(out->detail, sizeof(out->detail),
			 "the connection ended without a Close after an "
			 "accepted opening handshake, and a new connection "
			 "is refused");
	}
}

static void hs_iter(struct fzl *f, const uint8_t *in, size_t n,
		    uint64_t seed, struct outcome *out)
{
	struct hlog *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		out->open_rc = WSP_E_NOMEM;
		return;
	}
	h->t0 = clk_now_ns();
	f->cap.len = 0;
	struct net_conn c;
	net_conn_init(&c);
	struct clk_deadline dl = clk_deadline_in_ms(f->timeout_ms);
	int rc = net_connect(&c, f->url.host, f->url.port, NET_FAMILY_ANY, dl);
	if (rc == 0 && f->url.secure)
		rc = net_tls_handshake(&c, &f->tls, f->url.host, dl);
	if (rc != 0) {
		out->open_rc = rc;
		snprintf(out->detail, sizeof(out->detail), "%s", c.errmsg);
		net_close(&c);
		free(h);
		return;
	}
	net_write_all(&c, in, n, dl);
	hlog_add(h, 1, in, n);
	/* The request as a server would judge it. */
	struct hs_header rh[64];
	struct hs_msg rq;
	hs_msg_init(&rq, rh, 64);
	int rlen = hs_parse_request(&rq, (const char *)in, n, 0);
	if (rlen <= 0)
		/* No blank line (a server rightly waits for the rest), or a
		 * head our parser refuses that a lenient server may still be
		 * reading: say there is no more, so that it answers (or
		 * closes) now. */
		net_shutdown_write(&c, dl);
	char resp[8192];
	size_t have = 0;
	struct hs_header hdrs[64];
	struct hs_msg m;
	hs_msg_init(&m, hdrs, 64);
	m.max_head = sizeof(resp);
	int head = WSP_E_INCOMPLETE;
	int ended = 0;
	while (have < sizeof(resp)) {
		int r = net_read(&c, resp + have, sizeof(resp) - have, dl);
		if (r <= 0) {
			ended = r != WSP_E_NET_TIMEOUT;
			break;
		}
		hlog_add(h, 0, resp + have, (size_t)r);
		size_t last = have;
		have += (size_t)r;
		head = hs_parse_response(&m, resp, have, last);
		if (head != WSP_E_INCOMPLETE)
			break;
	}
	out->sig = sig_add((uint64_t)(head > 0 ? m.status : head),
			   (uint64_t)ended);
	int viol[8];
	int nv = rlen > 0 ? hs_check_request(&rq, viol, 8) : 0;
	int req_code = rlen > 0 ? (nv > 0 ? viol[0] : 0)
		       : rlen == WSP_E_INCOMPLETE ? 0 : rlen;
	if (head > 0) {
		if (m.status == 101 && req_code != 0 && wsp_errreq(req_code)) {
			out->cls = FZL_VIOLATION;
			out->code = req_code;
			snprintf(out->detail, sizeof(out->detail),
				 "101 Switching Protocols to a request that "
				 "must be refused: %s",
				 wsp_strerror(req_code));
		} else if (m.status == 101 && rlen > 0) {
			int rv[8];
			int k = hs_check_response(&m, &rq, rv, 8);
			if (k > 0) {
				out->cls = FZL_VIOLATION;
				out->code = rv[0];
				snprintf(out->detail, sizeof(out->detail),
					 "bad 101 response: %s",
					 wsp_strerror(rv[0]));
			} else {
				/* Open after an unusual but valid request:
				 * is the connection still served? */
				after_101(f, &c, h, &m, (uint8_t *)resp +
					  head, have - (size_t)head, seed,
					  dl, out);
			}
		}
	} else if (!ended && head == WSP_E_INCOMPLETE && rlen > 0) {
		/* A complete request head and no answer. */
		out->cls = FZL_HANG;
		snprintf(out->detail, sizeof(out->detail),
			 "no answer to a complete opening handshake within "
			 "%lld ms", (long long)f->timeout_ms);
	} else if (ended && have == 0 && target_dead(f)) {
		out->cls = FZL_CRASH;
		snprintf(out->detail, sizeof(out->detail),
			 "the connection ended without an answer and a new "
			 "connection is refused");
	}
	net_close(&c);
	struct capw_session_cfg cc;
	memset(&cc, 0, sizeof(cc));
	int64_t ms = clk_wall_now_ms();
	cc.start.sec = ms / 1000;
	cc.start.nsec = (uint32_t)(ms % 1000) * 1000000u;
	cc.isn_client = 1000;
	cc.isn_server = 5000;
	cc.end = ended ? CAPW_END_FIN_SERVER : CAPW_END_FIN_CLIENT;
	cc.end_ns = clk_now_ns() - h->t0;
	if (h->n > 0 && capw_session(&f->cap, &cc, h->w, h->n) != 0)
		f->cap.len = 0;
	free(h);
}

/* A few HTTP-aware edits of a request head: tokens a server's parser
 * may get wrong, lines dropped or repeated, line endings changed. */
static size_t hs_mutate(uint8_t *d, size_t n, size_t max, uint64_t *r)
{
	static const char *const toks[] = {
		"\r\n", "\n", "\r", ":", " ", "\t", ",", "\0", "13", "8", "0",
		"websocket", "Upgrade", "upgrade, keep-alive", "GET", "POST",
		"HTTP/1.0", "HTTP/2", "Sec-WebSocket-Key: ",
		"Sec-WebSocket-Version: 13\r\n", "Host: \r\n",
		("Sec-WebSocket-Extensions: permessage-deflate; "
		 "server_max_window_bits=7\r\n"),
		"Sec-WebSocket-Protocol: ,\r\n", "dGhlIHNhbXBsZSBub25jZQ==",
		"AAAAAAAAAAAAAAAAAAAAAA=", "\xff\xfe", "%00", "/../"};
	size_t rounds = 1 + wsmut_below(r, 3);
	for (size_t k = 0; k < rounds; k++) {
		size_t op = wsmut_below(r, 6);
		if (op == 0 && n > 0) { /* a byte */
			d[wsmut_below(r, n)] = (uint8_t)wsmut_next(r);
		} else if (op == 1) { /* insert a token */
			const char *t = toks[wsmut_below(
			    r, sizeof(toks) / sizeof(toks[0]))];
			size_t tl = t[0] ? strlen(t) : 1;
			if (tl > max - n)
				continue;
			size_t at = wsmut_below(r, n + 1);
			memmove(d + at + tl, d + at, n - at);
			memcpy(d + at, t, tl);
			n += tl;
		} else if (op == 2 || op == 3) { /* drop or repeat a line */
			size_t starts[64], ns = 0;
			for (size_t i = 0; i < n && ns < 64; i++)
				if (i == 0 || d[i - 1] == '\n')
					starts[ns++] = i;
			if (ns < 2)
				continue;
			size_t li = 1 + wsmut_below(r, ns - 1);
			size_t a = starts[li];
			size_t b = li + 1 < ns ? starts[li + 1] : n;
			if (op == 2) {
				memmove(d + a, d + b, n - b);
				n -= b - a;
			} else if (b - a <= max - n) {
				memmove(d + b + (b - a), d + b, n - b);
				memmove(d + b, d + a, b - a);
				n += b - a;
			}
		} else if (op == 4 && n > 0) { /* delete a run */
			size_t at = wsmut_below(r, n),
			       len = 1 + wsmut_below(r, 8);
			if (len > n - at)
				len = n - at;
			memmove(d + at, d + at + len, n - at - len);
			n -= len;
		} else if (n > 0) { /* flip the case of a letter */
			size_t at = wsmut_below(r, n);
			if ((d[at] | 0x20) >= 'a' && (d[at] | 0x20) <= 'z')
				d[at] ^= 0x20;
		}
	}
	return n;
}

/* ---- running one input ------------------------------------------------- */

static void run_input(struct fzl *f, const uint8_t *in, size_t n,
		      uint64_t seed, struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (f->o->handshake)
		hs_iter(f, in, n, seed, out);
	else
		frames_iter(f, in, n, seed, out);
}

/* ---- seeds ------------------------------------------------------------ */

struct seedb {
	uint8_t b[1024];
	size_t n;
};

static void seed_frame(struct fzl *f, struct seedb *s, uint8_t fin,
		       uint8_t rsv, uint8_t op, const void *p, size_t len)
{
	struct wsf_frame fr;
	memset(&fr, 0, sizeof(fr));
	fr.fin = fin;
	fr.rsv = rsv;
	fr.opcode = op;
	fr.masked = !f->o->listen;
	uint64_t k = wsmut_next(&f->rng);
	memcpy(fr.mask_key, &k, 4);
	fr.len_form = WSF_LEN_AUTO;
	fr.payload_len = len;
	ssize_t w = wsf_encode(s->b + s->n, sizeof(s->b) - s->n, &fr, p, len);
	if (w > 0)
		s->n += (size_t)w;
}

/* Raw deflate of p[0..n) with the 00 00 ff ff tail removed (RFC 7692
 * section 7.2.1); returns the size or 0. */
static size_t deflate_msg(const void *p, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_SYNC_FLUSH);
	size_t len = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_OK || len < 4)
		return 0;
	return len - 4;
}

static int add_seeds(struct fzl *f)
{
	if (f->o->handshake) {
		char req[4096];
		int n = base_request(f, f->o->seed, req, sizeof(req));
		if (n < 0)
			return n;
		return pool_add(f, (const uint8_t *)req, (size_t)n, 1);
	}
	static const char hello[] = "Hello, world!";
	static const char kosme[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
	uint8_t big[125];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	uint8_t bin[130];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)i;
	static const uint8_t close1000[] = {0x03, 0xe8, 'b', 'y', 'e'};
	struct seedb s;
	int rc = 0;
#define SEED(stmts)                                                     \
	do {                                                            \
		s.n = 0;                                                \
		stmts;                                                  \
		if (rc == 0)                                            \
			rc = pool_add(f, s.b, s.n, 1);                  \
	} while (0)
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_TEXT, hello, 13));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_BINARY, bin, 16));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_BINARY, bin, 130));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_TEXT, "", 0));
	SEED(seed_frame(f, &s, 0, 0, WSP_OP_TEXT, "Hello, ", 7);
	     seed_frame(f, &s, 1, 0, WSP_OP_CONT, "world!", 6));
	SEED(seed_frame(f, &s, 0, 0, WSP_OP_TEXT, "frag", 4);
	     seed_frame(f, &s, 1, 0, WSP_OP_PING, "ping", 4);
	     seed_frame(f, &s, 1, 0, WSP_OP_CONT, "ment", 4));
	SEED(seed_frame(f, &s, 0, 0, WSP_OP_TEXT, kosme, 5);
	     seed_frame(f, &s, 1, 0, WSP_OP_CONT, kosme + 5, 6));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_PING, "ping", 4));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_PING, big, sizeof(big)));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_PONG, "unsolicited", 11));
	SEED(seed_frame(f, &s, 1, 0, WSP_OP_CLOSE, close1000,
			sizeof(close1000)));
	if (f->pmd_on) {
		uint8_t z[256];
		size_t zn = deflate_msg(hello, 13, z, sizeof(z));
		if (zn > 0) {
			SEED(seed_frame(f, &s, 1, WSP_RSV1, WSP_OP_TEXT, z, zn));
			SEED(seed_frame(f, &s, 0, WSP_RSV1, WSP_OP_TEXT, z,
					zn / 2);
			     seed_frame(f, &s, 1, 0, WSP_OP_CONT, z + zn / 2,
					zn - zn / 2));
		}
	}
#undef SEED
	return rc;
}

/* ---- minimisation ------------------------------------------------------ */

/* Units of an input: whole frames, payload bytes of those frames (with the
 * headers re-encoded around what is kept), lines of a handshake, or
 * bytes. */
enum unit_kind {
	U_FRAMES,
	U_PAYLOAD,
	U_LINES,
	U_BYTES
};

struct mctx {
	struct fzl *f;
	const uint8_t *in;
	size_t n;
	enum unit_kind kind;
	size_t off[FZL_MAX_UNITS + 1]; /* unit starts (+ the end) */
	size_t nunits;
	/* U_PAYLOAD: which frame each payload byte belongs to */
	size_t nframes;
	size_t foff[WSMUT_MAX_FRAMES * 2 + 1];
	uint64_t seed;
	enum fzl_class cls;
	int code;
	uint8_t *buf;   /* the candidate */
	size_t blen;
	int minimal_len; /* build(): every length in its shortest form */
	unsigned restarts_failed;
};

/* Builds the candidate made of units idx[0..k) into m->buf. */
static void build(struct mctx *m, const size_t *idx, size_t k)
{
	m->blen = 0;
	if (m->kind != U_PAYLOAD) {
		for (size_t i = 0; i < k; i++) {
			size_t a = m->off[idx[i]], b = m->off[idx[i] + 1];
			memcpy(m->buf + m->blen, m->in + a, b - a);
			m->blen += b - a;
		}
		return;
	}
	/* Payload bytes: each unit is the byte at input offset off[u]; the
	 * frames keep their header fields, lengths follow what is kept. */
	size_t ui = 0;
	for (size_t fi = 0; fi < m->nframes; fi++) {
		const uint8_t *p = m->in + m->foff[fi];
		size_t flen = m->foff[fi + 1] - m->foff[fi];
		struct wsf_decoder d;
		struct wsf_event ev;
		uint8_t tmp[FZL_MAX_INPUT + WSF_MAX_HEADER];
		if (flen > sizeof(tmp))
			continue; /* inputs never are that long */
		memcpy(tmp, p, flen);
		wsf_decoder_init(&d, NULL);
		ssize_t r = wsf_decode(&d, tmp, flen, &ev);
		if (r < 0 || !(ev.flags & WSF_EV_HEADER))
			continue;
		const struct wsf_header *h = ev.hdr;
		size_t hl = h->header_len;
		uint8_t pay[FZL_MAX_INPUT];
		size_t pl = 0;
		while (ui < k && m->off[idx[ui]] < m->foff[fi + 1]) {
			if (m->off[idx[ui]] >= m->foff[fi] + hl)
				pay[pl++] = tmp[m->off[idx[ui]] - m->foff[fi]];
			ui++;
		}
		struct wsf_frame fr;
		memset(&fr, 0, sizeof(fr));
		fr.fin = h->fin;
		fr.rsv = h->rsv;
		fr.opcode = h->opcode;
		fr.masked = h->masked;
		memcpy(fr.mask_key, h->mask_key, 4);
		fr.len_form = m->minimal_len ? WSF_LEN_AUTO : h->len_form;
		fr.payload_len = pl;
		ssize_t w = wsf_encode(m->buf + m->blen,
				       FZL_MAX_INPUT * 2 - m->blen, &fr, pay,
				       pl);
		if (w > 0)
			m->blen += (size_t)w;
	}
}

/* The same finding: the class, and for a violation the same rule. */
static int same_finding(enum fzl_class cls, int code, const struct outcome *o)
{
	if (o->cls != cls)
		return 0;
	return cls != FZL_VIOLATION || o->code == code;
}

/* Replays buf and says whether the finding recurs; brings a crashed
 * target back.  Returns -1 when the target cannot be brought back. */
static int replay(struct mctx *m, const uint8_t *p, size_t n)
{
	struct outcome o;
	run_input(m->f, p, n, m->seed, &o);
	int same = same_finding(m->cls, m->code, &o);
	if ((o.cls == FZL_CRASH || o.open_rc == WSP_E_NET_REFUSED) &&
	    m->f->o->restart_cmd != NULL) {
		if (restart_target(m->f) != 0)
			return -1;
	}
	return same;
}

static int pred(void *ctx, const size_t *idx, size_t k)
{
	struct mctx *m = ctx;
	if (m->restarts_failed ||
	    (m->f->o->stop != NULL && *m->f->o->stop))
		return 0; /* no target any more, or asked to stop */
	build(m, idx, k);
	int r = replay(m, m->buf, m->blen);
	if (r < 0) {
		m->restarts_failed = 1;
		return 0;
	}
	return r;
}

/* The header length of the whole frame at p (fzl_frames found it). */
static size_t header_len(const uint8_t *p)
{
	size_t h = 2;
	if ((p[1] & 0x7f) == 126)
		h = 4;
	else if ((p[1] & 0x7f) == 127)
		h = 10;
	return h + ((p[1] & 0x80) ? 4 : 0);
}

/* Splits in[0..n) into units of kind into m.  Returns the count. */
static size_t unitize(struct mctx *m, enum unit_kind kind)
{
	m->kind = kind;
	m->nunits = 0;
	if (kind == U_FRAMES || kind == U_PAYLOAD) {
		size_t parsed;
		size_t nf = fzl_frames(m->in, m->n, m->foff, WSMUT_MAX_FRAMES * 2,
				       &parsed);
		m->nframes = nf;
		m->foff[nf] = parsed;
		if (kind == U_FRAMES) {
			memcpy(m->off, m->foff, (nf + 1) * sizeof(size_t));
			m->nunits = nf;
			if (parsed < m->n && nf < FZL_MAX_UNITS) {
				/* a tail that is not a whole frame */
				m->off[nf + 1] = m->n;
				m->nunits = nf + 1;
			}
			return m->nunits;
		}
		/* Only payload bytes: the headers are written again by
		 * build() around whatever is kept. */
		for (size_t fi = 0; fi < nf; fi++) {
			size_t hl = header_len(m->in + m->foff[fi]);
			for (size_t i = m->foff[fi] + hl;
			     i < m->foff[fi + 1] && m->nunits < FZL_MAX_UNITS;
			     i++)
				m->off[m->nunits++] = i;
		}
		m->off[m->nunits] = parsed;
		return m->nunits;
	}
	for (size_t i = 0; i < m->n && m->nunits < FZL_MAX_UNITS; i++) {
		if (kind == U_BYTES || i == 0 || m->in[i - 1] == '\n')
			m->off[m->nunits++] = i;
	}
	m->off[m->nunits] = m->n;
	return m->nunits;
}

/* Minimises *in (replaced by the result) for the finding o.  Returns the
 * replays used. */
static unsigned minimise(struct fzl *f, uint8_t **in, size_t *n,
			 uint64_t seed, const struct outcome *o, int *repro)
{
	unsigned budget = f->o->min_trials ? f->o->min_trials : 300;
	unsigned used = 0;
	struct mctx *m = calloc(1, sizeof(*m));
	size_t *idx = malloc((FZL_MAX_UNITS + 1) * sizeof(*idx));
	uint8_t *buf = malloc(FZL_MAX_INPUT * 2 + 64);
	*repro = 0;
	if (m == NULL || idx == NULL || buf == NULL)
		goto out;
	m->f = f;
	m->seed = seed;
	m->cls = o->cls;
	m->code = o->code;
	m->buf = buf;
	/* First: does it recur at all? */
	m->in = *in;
	m->n = *n;
	used++;
	int r = replay(m, *in, *n);
	if (r <= 0)
		goto out;
	*repro = 1;
	int is_frames = !f->o->handshake;
	enum unit_kind passes[2] = {is_frames ? U_FRAMES : U_LINES,
				    is_frames ? U_PAYLOAD : U_BYTES};
	/* One replay is kept for the last step below. */
	unsigned reserve = is_frames ? 1 : 0;
	for (int p = 0; p < 2 && used + reserve < budget && !m->restarts_failed;
	     p++) {
		m->in = *in;
		m->n = *n;
		size_t k = unitize(m, passes[p]);
		if (k == 0)
			continue;
		for (size_t i = 0; i < k; i++)
			idx[i] = i;
		unsigned t = 0;
		size_t kept = fzl_ddmin(idx, k, pred, m,
					budget - used - reserve, &t);
		used += t;
		if (kept == k)
			continue;
		build(m, idx, kept);
		uint8_t *nb = malloc(m->blen ? m->blen : 1);
		if (nb == NULL)
			break;
		memcpy(nb, m->buf, m->blen);
		free(*in);
		*in = nb;
		*n = m->blen;
	}
	/* Last, one trial: every length in its shortest form, when some
	 * frame used a longer one (a 64-bit form for 125 bytes, say). */
	if (is_frames && used < budget && !m->restarts_failed) {
		m->in = *in;
		m->n = *n;
		size_t k = unitize(m, U_PAYLOAD);
		for (size_t i = 0; i < k; i++)
			idx[i] = i;
		m->minimal_len = 1;
		build(m, idx, k);
		m->minimal_len = 0;
		if (m->blen < *n) {
			used++;
			uint8_t *nb = malloc(m->blen ? m->blen : 1);
			if (nb != NULL && replay(m, m->buf, m->blen) > 0) {
				memcpy(nb, m->buf, m->blen);
				free(*in);
				*in = nb;
				*n = m->blen;
			} else {
				free(nb);
			}
		}
	}
out:
	free(m);
	free(idx);
	free(buf);
	return used;
}

/* ---- saving a finding -------------------------------------------------- */

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	if (fp == NULL)
		return -1;
	int ok = fwrite(p, 1, n, fp) == n;
	if (fclose(fp) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Writes text with control bytes as spaces: a detail may quote what the
 * target sent, and must stay on its one line (a Lua comment, a line of
 * findings.txt). */
static void put_oneline(FILE *fp, const char *text)
{
	for (const char *c = text; *c; c++)
		fputc((unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c, fp);
}

static void lua_bytes(FILE *fp, const uint8_t *p, size_t n)
{
	if (n == 0) {
		fputs("local input = \"\"\n", fp);
		return;
	}
	fputs("local input = \"\"", fp);
	for (size_t i = 0; i < n; i++) {
		if (i % 24 == 0)
			fputs("\n  .. \"", fp);
		fprintf(fp, "\\x%02x", p[i]);
		if (i % 24 == 23 || i + 1 == n)
			fputc('"', fp);
	}
	fputc('\n', fp);
}

static void write_case(struct fzl *f, FILE *fp, size_t num,
		       const struct outcome *o, const uint8_t *in, size_t n,
		       size_t orig, unsigned trials, uint64_t iter)
{
	const char *req = o->cls == FZL_VIOLATION ? wsp_errreq(o->code) : NULL;
	double wait_s = (double)f->timeout_ms / 1000.0;
	fprintf(fp, "-- wsprobe fuzz finding %03zu: %s\n-- ", num,
		fzl_class_name(o->cls));
	put_oneline(fp, o->detail);
	fprintf(fp,
		"\n-- Found at iteration %llu with --seed %llu; minimised from "
		"%zu to %zu bytes\n-- in %u replays.  Replay it with:\n"
		"--   wsprobe run --url %s THIS_FILE\n"
		"-- Case %zu.1 sends the input as it is, then a Ping; case "
		"%zu.2 checks that\n-- the peer still accepts connections.  "
		"The verdict is FAILED while the\n-- defect exists.\n",
		(unsigned long long)iter, (unsigned long long)f->o->seed,
		orig, n, trials, f->o->url ? f->o->url : "URL", num, num);
	if (f->o->handshake)
		fputs("-- (a --handshake finding: input.bin is the request; "
		      "the case checks\n-- that the peer survives a normal "
		      "connection after it.)\n",
		      fp);
	lua_bytes(fp, f->o->handshake ? NULL : in, f->o->handshake ? 0 : n);
	fprintf(fp, "local probe = \"%s\"\nlocal wait = %.3f\n"
		    "local codes = { 1000, 1001, 1002, 1003, 1007, 1008, "
		    "1009, 1010, 1011 }\n\n",
		FZL_PROBE, wait_s);
	const char *role = f->o->listen ? "client" : "server";
	fprintf(fp,
		"case {\n"
		"  id = \"%zu.1\",\n"
		"  title = \"fuzz finding %03zu (%s): the peer answers a Ping "
		"after this input, or rejects it\",\n"
		"  description = \"Sends the %zu bytes wsprobe fuzz found "
		"(minimised) as they are, then a Ping.\",\n"
		"  expectation = \"A Pong, a Close or a plain TCP close; "
		"never silence or a protocol violation.\",\n",
		num, num, fzl_class_name(o->cls), n);
	if (req != NULL)
		fprintf(fp, "  requirements = { \"%s\" },\n", req);
	fprintf(fp, "  roles = { \"%s\" },\n  run = function(s)\n", role);
	if (f->pmd_on && !f->o->listen)
		fprintf(fp, "    local ok, why = s:open { extensions = { \"%s\" "
			    "} }\n",
			deflate_offer[0]);
	else if (f->pmd_on)
		fputs("    local ok, why = s:open { deflate = true }\n", fp);
	else
		fputs("    local ok, why = s:open()\n", fp);
	fputs("    if not ok then\n"
	      "      s:verdict(\"FAILED\", \"open failed: \" .. tostring(why))\n"
	      "      return\n"
	      "    end\n"
	      "    if #input > 0 then s:send_raw(input) end\n"
	      "    s:send_ping(probe)\n"
	      "    while true do\n"
	      "      local ev = s:receive(wait)\n"
	      "      if ev == nil then break end\n"
	      "      if ev.type == \"pong\" and ev.data == probe then\n"
	      "        s:verdict(\"OK\", \"the peer answered the Ping\")\n"
	      "        s:expect_close { by_me = true, codes = codes, "
	      "clean = false }\n"
	      "        s:close(1000)\n"
	      "        return\n"
	      "      end\n"
	      "    end\n"
	      "    if s:is_open() then\n"
	      "      s:verdict(\"FAILED\", \"no Pong and no Close after the "
	      "input (hang)\")\n"
	      "      s:expect_close { by_me = true, codes = codes, "
	      "clean = false }\n"
	      "      s:kill_after(0)\n"
	      "    else\n"
	      "      s:verdict(\"OK\", \"the peer closed the connection\")\n"
	      "      s:expect_close { by_me = false, codes = codes, "
	      "clean = false }\n"
	      "    end\n"
	      "  end,\n"
	      "}\n\n",
	      fp);
	fprintf(fp,
		"case {\n"
		"  id = \"%zu.2\",\n"
		"  title = \"fuzz finding %03zu: the peer still accepts a "
		"connection and answers a Ping\",\n"
		"  roles = { \"%s\" },\n"
		"  run = function(s)\n"
		"    s:send_ping(probe)\n"
		"    s:expect { ok = { { \"pong\", probe } } }\n"
		"    s:expect_close { by_me = true, codes = codes, "
		"clean = false }\n"
		"  end,\n"
		"}\n",
		num, num, role);
}

/* Saves finding number num (from 1) under outdir. */
static int save_finding(struct fzl *f, size_t num, const struct outcome *o,
			const uint8_t *in, size_t n, size_t orig,
			unsigned trials, int repro, uint64_t iter)
{
	const char *dir = f->o->outdir;
	if (dir == NULL)
		return 0;
	char path[4096];
	if (strlen(dir) > 3000) {
		snprintf(f->err, f->errlen, "the findings folder name is too "
			 "long");
		return WSP_E_INVAL;
	}
	snprintf(path, sizeof(path), "%s/findings", dir);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		goto fail;
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		goto fail;
	char fdir[3100];
	snprintf(fdir, sizeof(fdir), "%.3000s/findings/%03zu-%s", dir, num,
		 fzl_class_name(o->cls));
	if (mkdir(fdir, 0777) != 0 && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/input.bin", fdir);
	if (write_file(path, in, n) != 0)
		goto fail;
	if (f->cap.len > 0) {
		snprintf(path, sizeof(path), "%s/capture.pcap", fdir);
		if (write_file(path, f->cap.p, f->cap.len) != 0)
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/case.lua", fdir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL)
		goto fail;
	write_case(f, fp, num, o, in, n, orig, trials, iter);
	if (fclose(fp) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/findings.txt", dir);
	fp = fopen(path, "a");
	if (fp == NULL)
		goto fail;
	const char *req = o->cls == FZL_VIOLATION ? wsp_errreq(o->code) : NULL;
	fprintf(fp, "%03zu %s iteration=%llu seed=%llu bytes=%zu->%zu "
		    "replays=%u%s req=%s code=%s: ",
		num, fzl_class_name(o->cls), (unsigned long long)iter,
		(unsigned long long)f->o->seed, orig, n, trials,
		repro ? "" : " (not minimised: did not recur, or no --restart)",
		req ? req : "-", o->code ? wsp_errname(o->code) : "-");
	put_oneline(fp, o->detail);
	fputc('\n', fp);
	if (fclose(fp) != 0)
		goto fail;
	return 0;
fail:
	snprintf(f->err, f->errlen, "cannot write %s: %s", path,
		 strerror(errno));
	return WSP_E_INVAL;
}

/* ---- the main loop ----------------------------------------------------- */

static int known(struct fzl *f, const struct outcome *o)
{
	for (size_t i = 0; i < f->nfound; i++)
		if (f->found[i].cls == o->cls && f->found[i].code == o->code)
			return 1;
	return 0;
}

/* Handles a new finding.  Returns 0 to go on, 1 to stop, or an error. */
static int on_finding(struct fzl *f, const struct outcome *o,
		      const uint8_t *in, size_t n, uint64_t seed)
{
	if (f->nfound < FZL_MAX_FINDINGS) {
		f->found[f->nfound].cls = o->cls;
		f->found[f->nfound].code = o->code;
		f->nfound++;
	}
	struct fzl_stats *st = f->st;
	st->findings++;
	st->by_class[o->cls]++;
	size_t num = f->num_base + st->findings;
	if (f->o->progress)
		fprintf(stderr, "fuzz: finding %03zu at iteration %llu: %s: "
				"%s\n",
			num, (unsigned long long)f->iter,
			fzl_class_name(o->cls), o->detail);
	uint8_t *cur = malloc(n ? n : 1);
	if (cur == NULL)
		return WSP_E_NOMEM;
	if (n)
		memcpy(cur, in, n);
	size_t cn = n;
	unsigned trials = 0;
	int repro = 0;
	int stop = 0;
	struct capw_buf keep;
	capw_buf_init(&keep, NULL);
	capw_put(&keep, f->cap.p, f->cap.len);
	if (o->cls == FZL_CRASH && f->o->restart_cmd == NULL) {
		stop = 1; /* nothing to replay against */
	} else {
		if (o->cls == FZL_CRASH && restart_target(f) != 0) {
			snprintf(f->err, f->errlen,
				 "the restart command did not bring the "
				 "target back");
			stop = 1;
		}
		if (!stop) {
			trials = minimise(f, &cur, &cn, seed, o, &repro);
			/* The capture of the minimised input. */
			struct outcome fin;
			run_input(f, cur, cn, seed, &fin);
			if (fin.cls == FZL_CRASH) {
				if (restart_target(f) != 0)
					stop = 1;
			}
			if (!same_finding(o->cls, o->code, &fin)) {
				/* keep the original capture */
				f->cap.len = 0;
				capw_put(&f->cap, keep.p, keep.len);
			}
		}
	}
	if (st->first_iter[o->cls] == 0) {
		st->first_iter[o->cls] = f->iter;
		st->orig_size[o->cls] = n;
		st->min_size[o->cls] = cn;
		st->trials[o->cls] = trials;
	}
	int rc = save_finding(f, num, o, cur, cn, n, trials, repro, f->iter);
	if (f->o->progress)
		fprintf(stderr, "fuzz: finding %03zu minimised from %zu to %zu "
				"bytes in %u replays%s\n",
			num, n, cn, trials, repro ? "" : " (did not recur)");
	capw_buf_free(&keep);
	free(cur);
	if (rc != 0)
		return rc;
	return stop;
}

static void progress(struct fzl *f, int64_t t0)
{
	double s = (double)(clk_now_ns() - t0) / 1e9;
	fprintf(stderr, "fuzz: %llu iterations, %.0f exec/s, %zu findings "
			"(crash %zu, hang %zu, violation %zu)\n",
		(unsigned long long)f->iter, s > 0 ? (double)f->iter / s : 0.0,
		f->st->findings, f->st->by_class[FZL_CRASH],
		f->st->by_class[FZL_HANG], f->st->by_class[FZL_VIOLATION]);
}

/* Findings of earlier runs into the same folder keep their numbers: the
 * new ones follow the lines already in findings.txt. */
static size_t count_findings(const char *dir)
{
	if (dir == NULL)
		return 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/findings.txt", dir);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	size_t n = 0;
	int c;
	while ((c = getc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static int setup(struct fzl *f, char *err, size_t errlen)
{
	const struct fzl_opts *o = f->o;
	f->num_base = count_findings(o->outdir);
	if ((o->url == NULL) == (o->listen == 0)) {
		snprintf(err, errlen, "give a URL or --listen, not both");
		return WSP_E_INVAL;
	}
	if (o->handshake && o->listen) {
		snprintf(err, errlen, "--handshake needs a URL (client role)");
		return WSP_E_INVAL;
	}
	if (o->url != NULL) {
		int rc = url_parse(&f->url, o->url, strlen(o->url));
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", o->url,
				 wsp_strerror(rc));
			return WSP_E_INVAL;
		}
		if (f->url.secure) {
			if (net_tls_client_init(&f->tls, NULL, o->insecure, err,
						errlen) != 0)
				return WSP_E_INVAL;
			f->have_tls = 1;
		}
	} else {
		int rc = net_listen(&f->lst, o->listen_host, o->listen_port,
				    16);
		if (rc != 0) {
			snprintf(err, errlen, "%s", f->lst.errmsg);
			return rc;
		}
		f->have_lst = 1;
	}
	return 0;
}

int fzl_run(const struct fzl_opts *o, struct fzl_stats *st, char *err,
	    size_t errlen)
{
	memset(st, 0, sizeof(*st));
	struct fzl *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return WSP_E_NOMEM;
	f->o = o;
	f->st = st;
	f->err = err;
	f->errlen = errlen;
	f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 1000;
	f->rng = o->seed ^ 0x5DEECE66Dull;
	capw_buf_init(&f->cap, NULL);
	f->sigs = calloc(FZL_SIGS, sizeof(*f->sigs));
	int rc = f->sigs ? setup(f, err, errlen) : WSP_E_NOMEM;
	if (rc != 0)
		goto out;
	if (err && errlen)
		err[0] = '\0';
	uint64_t max_iter = o->iterations;
	if (max_iter == 0 && o->time_s <= 0)
		max_iter = 1000;
	int64_t t0 = clk_now_ns();
	int64_t end = o->time_s > 0 ? t0 + (int64_t)(o->time_s * 1e9) : 0;

	/* The first connection: is the target there, and does it take
	 * permessage-deflate (the seeds depend on it)? */
	{
		struct outcome first;
		uint64_t s0 = o->seed;
		if (o->listen && accept_next(f, 60000) != 0) {
			/* the user starts the client after the fuzzer */
			snprintf(err, errlen, "no client connected within "
				 "60 s");
			rc = WSP_E_NET_TIMEOUT;
			goto out;
		}
		if (!o->handshake) {
			run_input(f, NULL, 0, s0, &first);
		} else {
			/* the empty input says nothing; probe with a plain
			 * connection */
			memset(&first, 0, sizeof(first));
			struct net_conn c;
			net_conn_init(&c);
			first.open_rc = net_connect(&c, f->url.host, f->url.port,
						    NET_FAMILY_ANY,
						    clk_deadline_in_ms(f->timeout_ms));
			snprintf(first.detail, sizeof(first.detail), "%s",
				 c.errmsg);
			net_close(&c);
		}
		if (first.open_rc != 0) {
			snprintf(err, errlen, "%s%s%s",
				 o->listen ? "no client connected: "
					   : "cannot reach the target: ",
				 first.detail[0] ? first.detail
						 : wsp_strerror(first.open_rc),
				 "");
			rc = first.open_rc;
			goto out;
		}
		if (first.cls != FZL_NONE) {
			/* the plain connection already shows a finding */
			f->iter = 0;
			int r = on_finding(f, &first, NULL, 0, s0);
			if (r < 0) {
				rc = r;
				goto out;
			}
			if (r > 0)
				goto done;
		}
	}
	rc = add_seeds(f);
	if (rc != 0)
		goto out;

	uint8_t *buf = malloc(FZL_MAX_INPUT * 2);
	if (buf == NULL) {
		rc = WSP_E_NOMEM;
		goto out;
	}
	int64_t last_progress = t0;
	unsigned open_failures = 0;
	struct wsmut_opts mo = {NULL, 0, 16};
	while ((max_iter == 0 || f->iter < max_iter) &&
	       (end == 0 || clk_now_ns() < end) &&
	       (o->stop == NULL || !*o->stop)) {
		uint64_t seed = wsmut_next(&f->rng);
		uint64_t r = seed;
		const struct input *a = &f->pool[wsmut_below(&r, f->npool)];
		size_t n = a->n < FZL_MAX_INPUT ? a->n : FZL_MAX_INPUT;
		memcpy(buf, a->p, n);
		if (o->handshake) {
			n = hs_mutate(buf, n, FZL_MAX_INPUT, &r);
		} else {
			if (f->npool > 1 && wsmut_below(&r, 4) == 0) {
				const struct input *b =
				    &f->pool[wsmut_below(&r, f->npool)];
				uint8_t tmp[FZL_MAX_INPUT];
				n = wsmut_crossover(a->p, a->n, b->p, b->n, tmp,
						    FZL_MAX_INPUT,
						    (unsigned)wsmut_next(&r));
				memcpy(buf, tmp, n);
			}
			n = wsmut_mutate(&mo, buf, n, FZL_MAX_INPUT,
					     (unsigned)wsmut_next(&r));
		}
		f->iter++;
		struct outcome out;
		run_input(f, buf, n, seed, &out);
		if (out.open_rc != 0) {
			/* Could not even open: a target that died some other
			 * way, or a client that stopped connecting. */
			if (!o->listen && out.open_rc == WSP_E_NET_REFUSED &&
			    o->restart_cmd != NULL) {
				if (restart_target(f) != 0) {
					snprintf(err, errlen, "the restart "
						 "command did not bring the "
						 "target back");
					break;
				}
				continue;
			}
			if (++open_failures >= 3) {
				snprintf(err, errlen, "stopped: %s",
					 out.detail[0] ? out.detail
						       : wsp_strerror(out.open_rc));
				break;
			}
			continue;
		}
		open_failures = 0;
		if (sig_insert(f, out.sig) || wsmut_below(&r, 16) == 0)
			pool_add(f, buf, n, 0);
		if (out.cls != FZL_NONE && !known(f, &out)) {
			int s = on_finding(f, &out, buf, n, seed);
			if (s < 0) {
				rc = s;
				free(buf);
				goto out;
			}
			if (s > 0)
				break;
		} else if (out.cls == FZL_CRASH) {
			/* a known crash: bring the target back or stop */
			if (o->restart_cmd == NULL || restart_target(f) != 0)
				break;
		}
		if (o->progress && clk_now_ns() - last_progress >= 1000000000) {
			last_progress = clk_now_ns();
			progress(f, t0);
		}
	}
	free(buf);
done:
	st->iterations = f->iter;
	st->seconds = (double)(clk_now_ns() - t0) / 1e9;
	if (o->progress)
		progress(f, t0);
	rc = 0;
out:
	st->iterations = f->iter;
	for (size_t i = 0; i < f->npool; i++)
		free(f->pool[i].p);
	free(f->sigs);
	capw_buf_free(&f->cap);
	if (f->have_pending)
		net_close(&f->pending);
	if (f->have_lst)
		net_listener_close(&f->lst);
	if (f->have_tls)
		net_tls_free(&f->tls);
	/* Targets the restart command started (each in the process group
	 * setsid gave it, also when the shell put them in the background)
	 * are ours to stop. */
	for (size_t i = 0; i < f->ngroups; i++)
		kill(-f->groups[i], SIGTERM);
	reap_kids(f, 1);
	free(f);
	return rc;
}
