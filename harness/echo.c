/*
 * echo.c: the built-in reference echo server (contract in echo.h).
 *
 * It is a struct sess in the server role with recording on, a loop that
 * takes each message and sends it back, and nothing else: every protocol
 * rule (automatic Pongs, the closing handshake, failing the connection on a
 * violation with the right code) lives in sess.c and proto/, so the server
 * is exactly as strict as the code wsprobe judges peers with.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "echo.h"
#include "net.h"
#include "sess.h"
#include "wsp_err.h"

struct conn_job {
	struct net_conn conn;
	const struct echo_opts *o;
	struct net_tls *tls;
	atomic_int *active;
};

/* Sends e back.  When our compressor starts each message afresh
 * (server_no_context_takeover), a message sent before is not compressed
 * again: its SHA-256 names it in the process's cache (harness/zcache.h),
 * so a message of the same bytes gets the same compressed bytes, as
 * compressing it anew would give.  13.2, 13.5, 13.6 and 13.7 send the
 * same JSON windows 4 times over, and every subcategory repeats the
 * windows of rows 6-10 in rows 11-18. */
static void echo_message(struct sess *s, const struct sess_event *e)
{
	uint8_t name[7 + SHA256_DIGEST_LENGTH];
	struct sess_reuse r = { (const char *)name, sizeof(name), 0 };
	int named = sess_reuse_would_apply(s, e->len) &&
		    EVP_Digest(e->data, e->len, name + 7, NULL, EVP_sha256(),
			       NULL) == 1;
	if (named)
		memcpy(name, "sha256:", 7);
	sess_send_message_reused(s, e->opcode, e->data, e->len, 0, -1, NULL,
				 named ? &r : NULL);
}

static void *serve_conn(void *arg)
{
	struct conn_job *j = arg;
	const struct echo_opts *o = j->o;
	int64_t idle = o->idle_timeout_ms > 0 ? o->idle_timeout_ms : 60000;
	if (j->tls != NULL &&
	    net_tls_handshake(&j->conn, j->tls, NULL,
			      clk_deadline_in_ms(5000)) != 0) {
		net_close(&j->conn);
		goto out;
	}
	struct sess s;
	struct sess_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WSP_ROLE_SERVER;
	cfg.max_message = o->max_message;
	cfg.compressor = o->compressor;
	cfg.record = 1;
	cfg.deliver_before_fail = 1;
	cfg.wirelog_max = SIZE_MAX; /* no wire log: a server keeps nothing */
	cfg.seed = (uint64_t)clk_now_ns();
	if (sess_init(&s, &cfg) != 0) {
		net_close(&j->conn);
		goto out;
	}
	if (sess_read_request(&s, &j->conn) == 0) {
		struct pmd_server_cfg pmd;
		pmd_server_cfg_init(&pmd);
		struct sess_open_opts open;
		memset(&open, 0, sizeof(open));
		open.pmd = &pmd;
		if (sess_accept(&s, &open) == 0) {
			for (;;) {
				const struct sess_event *e = sess_next_event(
					&s, clk_deadline_in_ms(idle));
				if (e == NULL)
					break;
				if (e->type == VD_EV_MESSAGE)
					echo_message(&s, e);
				sess_release_consumed(&s);
			}
			if (s.state != SESS_CLOSED)
				sess_close(&s, 1, 1001, "idle", 4);
		}
	}
	sess_free(&s);
out:
	atomic_fetch_sub(j->active, 1);
	free(j);
	return NULL;
}

int echo_serve(const struct echo_opts *o, char *err, size_t errlen)
{
	struct net_tls tls;
	int have_tls = 0;
	if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return WSP_E_INVAL;
	}
	if (o->tls_cert != NULL) {
		if (net_tls_server_init(&tls, o->tls_cert, o->tls_key, err,
					errlen) != 0)
			return WSP_E_INVAL;
		have_tls = 1;
	}
	struct net_listener l;
	int rc = net_listen(&l, o->host, o->port, 128);
	if (rc != 0) {
		snprintf(err, errlen, "%s", l.errmsg);
		if (have_tls)
			net_tls_free(&tls);
		return rc;
	}
	if (o->ready != NULL)
		o->ready(net_listener_port(&l), o->user);
	atomic_int active = 0;
	while (o->stop == NULL || !*o->stop) {
		struct net_conn c;
		net_conn_init(&c);
		rc = net_accept(&l, &c, clk_deadline_in_ms(200));
		if (rc == WSP_E_NET_TIMEOUT)
			continue;
		if (rc != 0)
			continue; /* a failed accept does not stop the server */
		if (atomic_load(&active) >= ECHO_MAX_CONN) {
			net_abort(&c);
			continue;
		}
		struct conn_job *j = calloc(1, sizeof(*j));
		if (j == NULL) {
			net_abort(&c);
			continue;
		}
		j->conn = c;
		j->o = o;
		j->tls = have_tls ? &tls : NULL;
		j->active = &active;
		atomic_fetch_add(&active, 1);
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_t t;
		if (pthread_create(&t, &attr, serve_conn, j) != 0) {
			atomic_fetch_sub(&active, 1);
			net_abort(&j->conn);
			free(j);
		}
		pthread_attr_destroy(&attr);
	}
	net_listener_close(&l);
	/* Let connections in flight finish (they are bounded by timers). */
	for (int i = 0; i < 100 && atomic_load(&active) > 0; i++) {
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (have_tls && atomic_load(&active) == 0)
		net_tls_free(&tls);
	return 0;
}
