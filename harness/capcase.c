/*
 * capcase.c: per-case captures from the harness's wire log (contract in
 * capcase.h).  The drawing is capw's TCP conversation, one segment at a
 * time, with the buffer flushed to the file as it fills; this file adds
 * the bound, the ending in time order, and the file handling (folders,
 * temporary name, rename).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capcase.h"
#include "pkt.h"
#include "res.h"
#include "sess.h"
#include "wsp_err.h"

/* The session keeps this much wire log by default (sess.c). */
#define SESS_WIRELOG_DEFAULT ((uint64_t)64 << 20)

int64_t capcase_wall_now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* sockaddr -> family, address bytes, port; 0 or -1 for other families. */
static int from_sockaddr(const struct sockaddr_storage *ss, uint8_t *family,
			 uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		*family = 4;
		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		*port = ntohs(a->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			/* A dual-stack socket talking IPv4: draw IPv4. */
			*family = 4;
			memcpy(addr, (const uint8_t *)&a->sin6_addr + 12, 4);
		} else {
			*family = 6;
			memcpy(addr, &a->sin6_addr, 16);
		}
		return 0;
	}
	return -1;
}

void capcase_take_endpoints(int fd, struct sess_tcp *t)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	uint8_t fl = 0, fp = 0;
	if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(fd, (struct sockaddr *)&p, &pl) != 0 ||
	    from_sockaddr(&l, &fl, t->local, &t->local_port) != 0 ||
	    from_sockaddr(&p, &fp, t->peer, &t->peer_port) != 0 || fl != fp)
		return;
	t->family = fl;
	t->known = 1;
}

size_t capcase_wirelog_max(const struct capcase_opts *o)
{
	uint64_t m = o != NULL && o->max_bytes != 0 ? o->max_bytes
						    : CAPCASE_MAX_DEFAULT;
	if (m < SESS_WIRELOG_DEFAULT)
		m = SESS_WIRELOG_DEFAULT;
	return m > (uint64_t)(SIZE_MAX - 1) ? SIZE_MAX - 1 : (size_t)m;
}

/* ------------------------------------------------------------------------
 * Drawing one connection
 */

struct writer {
	FILE *f;
	struct capw_buf buf;
	struct capw_conv cv;
	uint64_t written;     /* bytes handed to f plus those in buf */
	uint64_t max;         /* 0: no bound */
	size_t hdr;           /* link + IP + TCP header bytes of a segment */
	size_t mss;
	struct cap_time last; /* the latest timestamp written */
	int truncated;
	int err;
};

static int flush_buf(struct writer *w)
{
	if (w->buf.len > 0 && fwrite(w->buf.p, 1, w->buf.len, w->f) !=
				      w->buf.len)
		return WSP_E_PCAP_IO;
	w->buf.len = 0;
	return 0;
}

/* One segment from side dir (0 client), unless the bound is reached:
 * then nothing more is ever written.  Returns 0 or a code. */
static int seg(struct writer *w, int dir, uint8_t flags, const uint8_t *p,
	       size_t n, struct cap_time ts)
{
	if (w->err != 0 || w->truncated)
		return w->err;
	/* Times from different clocks' readings (a FIN time recorded apart
	 * from the reads) must not make the file go back in time. */
	if (ts.sec < w->last.sec ||
	    (ts.sec == w->last.sec && ts.nsec < w->last.nsec))
		ts = w->last;
	w->last = ts;
	uint64_t need = 16 + (uint64_t)w->hdr + n;
	if (w->max != 0 && need > w->max - w->written) {
		w->truncated = 1;
		return 0;
	}
	size_t before = w->buf.len;
	int rc = capw_conv_segment(&w->cv, dir, flags, p, n, ts);
	if (rc == 0) {
		w->written += w->buf.len - before;
		if (w->buf.len >= CAPCASE_FLUSH)
			rc = flush_buf(w);
	}
	w->err = rc;
	return rc;
}

/* Data from side dir in segments of at most w->mss, then the
 * receiver's pure ACK. */
static int data(struct writer *w, int dir, const uint8_t *p, size_t n,
		struct cap_time ts)
{
	size_t off = 0;
	while (off < n && w->err == 0 && !w->truncated) {
		size_t k = n - off < w->mss ? n - off : w->mss;
		seg(w, dir, PKT_ACK | PKT_PSH, p + off, k, ts);
		off += k;
	}
	return seg(w, 1 - dir, PKT_ACK, NULL, 0, ts);
}

int capcase_write(FILE *f, const struct capcase_conn *c, const uint8_t *wire,
		  const struct sess_wire_rec *recs, size_t n,
		  uint64_t max_bytes, int *truncated, uint64_t *written)
{
	*truncated = 0;
	if (written != NULL)
		*written = 0;
	if (n == 0 || (c->client.family != 4 && c->client.family != 6) ||
	    c->client.family != c->server.family)
		return WSP_E_INVAL;
	struct writer w;
	memset(&w, 0, sizeof(w));
	w.f = f;
	w.max = max_bytes;
	w.hdr = 14 + (c->client.family == 4 ? 20 : 40) + 20;
	w.mss = c->client.family == 4 ? CAPCASE_MSS : CAPCASE_MSS6;
	capw_buf_init(&w.buf, NULL);
	capw_conv_init(&w.cv, &c->client, &c->server, c->isn_client,
		       c->isn_server, CAP_LT_EN10MB, w.mss, &w.buf);
	w.cv.nsec = 1;
	/* Which conversation side (0 client) wsprobe's writes come from. */
	int ours = c->we_client ? 0 : 1;
	int rc = capw_pcap_header(&w.buf, CAP_LT_EN10MB, CAPCASE_SNAPLEN, 1);
	w.written = w.buf.len;
	if (rc == 0 && w.max != 0 && w.written > w.max)
		w.truncated = 1;
	struct cap_time t_open = capw_time_at(c->start, recs[0].t_ns);
	if (rc == 0) {
		seg(&w, 0, PKT_SYN, NULL, 0, t_open);
		seg(&w, 1, PKT_SYN | PKT_ACK, NULL, 0, t_open);
		seg(&w, 0, PKT_ACK, NULL, 0, t_open);
		rc = w.err;
	}
	/* wsprobe's FIN may come before bytes it read afterwards (a
	 * lingering close reads the peer's last bytes after shutdown), but
	 * never before bytes it wrote itself, whatever the times say. */
	const struct capcase_end *e = &c->end;
	int our_fin_pending = e->our_fin_ns >= 0 && !e->peer_first;
	size_t after_ours = 0; /* records from here on are the peer's */
	for (size_t i = 0; i < n; i++)
		if (recs[i].dir == 0)
			after_ours = i + 1;
	for (size_t i = 0; i < n && rc == 0 && !w.truncated; i++) {
		const struct sess_wire_rec *r = &recs[i];
		if (our_fin_pending && i >= after_ours &&
		    r->t_ns >= e->our_fin_ns) {
			our_fin_pending = 0;
			rc = seg(&w, ours, PKT_FIN | PKT_ACK, NULL, 0,
				 capw_time_at(c->start, e->our_fin_ns));
			if (rc == 0)
				rc = seg(&w, 1 - ours, PKT_ACK, NULL, 0,
					 capw_time_at(c->start, e->our_fin_ns));
		}
		if (rc == 0 && r->len > 0)
			rc = data(&w, r->dir == 0 ? ours : 1 - ours,
				  wire + r->off, r->len,
				  capw_time_at(c->start, r->t_ns));
	}
	/* The ending, in the order it happened. */
	if (rc == 0 && !w.truncated) {
		struct cap_time tp = capw_time_at(c->start, e->peer_end_ns);
		if (our_fin_pending) {
			rc = seg(&w, ours, PKT_FIN | PKT_ACK, NULL, 0,
				 capw_time_at(c->start, e->our_fin_ns));
			/* The peer's ACK of it only when the peer is seen to
			 * be there afterwards. */
			if (rc == 0 && e->peer_end == 1)
				rc = seg(&w, 1 - ours, PKT_ACK, NULL, 0, tp);
		}
		if (rc == 0 && e->peer_end == 1)
			rc = seg(&w, 1 - ours, PKT_FIN | PKT_ACK, NULL, 0, tp);
		else if (rc == 0 && e->peer_end == 2)
			rc = seg(&w, 1 - ours, PKT_RST | PKT_ACK, NULL, 0, tp);
		if (rc == 0 && e->peer_end == 1) {
			/* Our kernel acknowledges the peer's FIN; after the
			 * peer closed first, wsprobe's close sends its FIN
			 * and the peer acknowledges it. */
			if (e->peer_first && e->our_fin_ns >= 0) {
				struct cap_time to =
				    capw_time_at(c->start, e->our_fin_ns);
				rc = seg(&w, ours, PKT_FIN | PKT_ACK, NULL, 0,
					 to);
				if (rc == 0)
					rc = seg(&w, 1 - ours, PKT_ACK, NULL, 0,
						 to);
			} else {
				rc = seg(&w, ours, PKT_ACK, NULL, 0, tp);
			}
		}
	}
	if (rc == 0 && w.buf.err != 0)
		rc = w.buf.err;
	if (rc == 0)
		rc = flush_buf(&w);
	capw_buf_free(&w.buf);
	*truncated = w.truncated;
	if (written != NULL)
		*written = w.written;
	return rc;
}

/* ------------------------------------------------------------------------
 * From a session
 */

static void endpoint(struct capw_ep *ep, uint8_t family, const uint8_t *a,
		     uint16_t port, uint8_t mac_last)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = family;
	memcpy(ep->addr, a, 16);
	ep->port = port;
	/* A locally administered unicast address: 02:00:00:00:00:0N. */
	ep->mac[0] = 2;
	ep->mac[5] = mac_last;
}

int capcase_conn_from_sess(struct capcase_conn *c, const struct sess *s)
{
	memset(c, 0, sizeof(*c));
	if (!s->tcp.known || s->nrecs == 0)
		return WSP_E_INVAL;
	int64_t w0 = s->tcp.wall0_ns;
	c->start.sec = w0 / 1000000000;
	c->start.nsec = (uint32_t)(w0 % 1000000000);
	c->we_client = s->cfg.role == WSP_ROLE_CLIENT;
	const struct sess_tcp *t = &s->tcp;
	if (c->we_client) {
		endpoint(&c->client, t->family, t->local, t->local_port, 1);
		endpoint(&c->server, t->family, t->peer, t->peer_port, 2);
	} else {
		endpoint(&c->client, t->family, t->peer, t->peer_port, 1);
		endpoint(&c->server, t->family, t->local, t->local_port, 2);
	}
	/* From the case's seed: the same seed, the same file. */
	c->isn_client = (uint32_t)s->cfg.seed;
	c->isn_server = (uint32_t)(s->cfg.seed >> 32);
	/* The ending.  net.h records how the peer ended (a TLS close_notify
	 * or end of stream is drawn as its FIN); wsprobe's side always ends
	 * with a FIN, at its shutdown when it lingered, else at its close,
	 * unless the peer's RST came first (nothing is sent on a reset
	 * socket). */
	struct capcase_end *e = &c->end;
	int64_t closed = t->closed_ns >= 0 ? t->closed_ns
					   : s->recs[s->nrecs - 1].t_ns;
	switch (s->end) {
	case NET_END_FIN:
	case NET_END_TLS_CLOSE_NOTIFY:
	case NET_END_TLS_EOF:
		e->peer_end = 1;
		break;
	case NET_END_RESET:
		e->peer_end = 2;
		break;
	default:
		e->peer_end = 0;
		break;
	}
	e->peer_end_ns = closed;
	e->peer_first = t->shut_ns < 0 && e->peer_end != 0;
	if (t->shut_ns >= 0)
		e->our_fin_ns = t->shut_ns;
	else if (e->peer_end == 2 || t->closed_ns < 0)
		e->our_fin_ns = -1;
	else
		e->our_fin_ns = closed;
	return 0;
}

/* "1.1.1" stays; any byte other than [A-Za-z0-9._-] becomes '_'. */
static void safe_name(char *out, size_t cap, const char *s)
{
	size_t k = 0;
	for (; *s != '\0' && k + 1 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
			 ch == '-';
		out[k++] = ok ? (char)ch : '_';
	}
	out[k] = '\0';
	/* "." and ".." as a folder name would mean something else. */
	if (k == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		snprintf(out, cap, "_%s", k == 0 ? "" : out);
}

/* mkdir -p of path[0..), component by component. */
static int mkdirs(char *path)
{
	size_t n = strlen(path);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		int rc = mkdir(path, 0777);
		int e = errno;
		path[i] = saved;
		if (rc != 0 && e != EEXIST)
			return -1;
	}
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int capcase_save(struct capcase_opts *o, const char *id, const struct sess *s,
		 struct res_case *out)
{
	struct capcase_conn c;
	if (capcase_conn_from_sess(&c, s) != 0)
		return 0;
	char name[256], sub[256] = "", rel[600], folder[4096], path[4700],
		tmp[4800];
	safe_name(name, sizeof(name), id);
	const char *subdir = o->subdir;
	if (subdir == NULL && o->agent != NULL) {
		if (o->first_agent[0] == '\0')
			snprintf(o->first_agent, sizeof(o->first_agent), "%s",
				 o->agent);
		else if (strcmp(o->first_agent, o->agent) != 0)
			subdir = o->agent;
	}
	if (subdir != NULL)
		safe_name(sub, sizeof(sub), subdir);
	snprintf(rel, sizeof(rel), "pcap/%s%s%s.pcap", sub,
		 sub[0] != '\0' ? "/" : "", name);
	int fl = snprintf(folder, sizeof(folder), "%s/pcap%s%s", o->dir,
			  sub[0] != '\0' ? "/" : "", sub);
	if (fl < 0 || (size_t)fl >= sizeof(folder)) {
		fprintf(stderr, "wsprobe: %s/%s: path too long\n", o->dir, rel);
		return WSP_E_PCAP_IO;
	}
	snprintf(path, sizeof(path), "%s/%s.pcap", folder, name);
	/* A number per file keeps two writers apart even for one id; the
	 * rename then replaces the file as a whole. */
	static atomic_uint serial;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
		 atomic_fetch_add(&serial, 1));
	if (mkdirs(folder) != 0) {
		fprintf(stderr, "wsprobe: %s: cannot create the folder: %s\n",
			folder, strerror(errno));
		return WSP_E_PCAP_IO;
	}
	FILE *f = fopen(tmp, "wbe");
	if (f == NULL) {
		fprintf(stderr, "wsprobe: %s: cannot write: %s\n", tmp,
			strerror(errno));
		return WSP_E_PCAP_IO;
	}
	int truncated = 0;
	uint64_t max = o->max_bytes != 0 ? o->max_bytes : CAPCASE_MAX_DEFAULT;
	int rc = capcase_write(f, &c, s->wire, s->recs, s->nrecs, max,
			       &truncated, NULL);
	int e = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = WSP_E_PCAP_IO;
		e = errno;
	}
	/* No fsync: the rename protects against a crash of wsprobe, which is
	 * what the temporary name is for; a power cut is the file system's
	 * business, and a sync per case would slow a run of 500 cases. */
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = WSP_E_PCAP_IO;
		e = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		fprintf(stderr, "wsprobe: %s: cannot write the capture: %s\n",
			path, rc == WSP_E_PCAP_IO ? strerror(e) : wsp_strerror(rc));
		return rc;
	}
	/* The session's own bound (or memory) cut the log: the capture is
	 * short of what crossed the wire too. */
	truncated |= s->wire_truncated;
	if (res_set_str(&out->pcap, rel) != 0)
		return WSP_E_NOMEM;
	out->pcap_truncated = truncated;
	if (truncated && atomic_exchange(&o->warned, 1) == 0)
		fprintf(stderr, "wsprobe: %s: capture cut short (over %llu "
				"bytes, --pcap-max, or over the wire log's "
				"bound); such cases have \"pcap_truncated\" "
				"in results.json\n",
			path, (unsigned long long)max);
	return 0;
}
