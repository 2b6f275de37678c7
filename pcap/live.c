/*
 * live.c: live capture through libpcap (contract in live.h).  The one file
 * that calls libpcap's live and dump API; the rest of wsprobe sees struct
 * cap_pkt only.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "live.h"
#include "wsp_err.h"

int live_default_iface(char *out, size_t cap, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all = NULL;
	ebuf[0] = '\0';
	if (pcap_findalldevs(&all, ebuf) != 0) {
		snprintf(err, errlen, "cannot list the interfaces: %s", ebuf);
		return WSP_E_PCAP_LIVE_FAILED;
	}
	const char *pick = NULL;
	for (pcap_if_t *d = all; d != NULL; d = d->next)
		if (strcmp(d->name, "any") == 0)
			pick = d->name;
	if (pick == NULL && all != NULL)
		pick = all->name;
	int rc = 0;
	if (pick == NULL) {
		snprintf(err, errlen,
			 "libpcap lists no interface to capture on (is this "
			 "user allowed to capture?)");
		rc = WSP_E_PCAP_LIVE_NO_DEVICE;
	} else if ((size_t)snprintf(out, cap, "%s", pick) >= cap) {
		snprintf(err, errlen, "interface name too long");
		rc = WSP_E_PCAP_LIVE_FAILED;
	}
	pcap_freealldevs(all);
	return rc;
}

/* Appends s to out[*len..cap), keeping a NUL; -1 when it does not fit. */
static int append(char *out, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap - *len)
		return -1;
	memcpy(out + *len, s, n + 1);
	*len += n;
	return 0;
}

int live_filter_build(char *out, size_t cap, const char *const *words,
		      size_t nwords, uint16_t port)
{
	size_t len = 0;
	char pbuf[32];
	if (cap == 0)
		return WSP_E_NOSPACE;
	out[0] = '\0';
	int bad = 0;
	if (port != 0) {
		snprintf(pbuf, sizeof(pbuf), "tcp port %u", (unsigned)port);
		bad |= append(out, cap, &len, pbuf);
		/* Parenthesised: "tcp port P and a or b" would otherwise
		 * read as "(tcp port P and a) or b". */
		if (nwords > 0)
			bad |= append(out, cap, &len, " and (");
	}
	for (size_t i = 0; i < nwords && !bad; i++) {
		if (i > 0)
			bad |= append(out, cap, &len, " ");
		bad |= append(out, cap, &len, words[i]);
	}
	if (port != 0 && nwords > 0)
		bad |= append(out, cap, &len, ")");
	if (bad) {
		out[0] = '\0';
		return WSP_E_NOSPACE;
	}
	return (int)len;
}

int live_filter_check(const char *filter, int linktype, char *err,
		      size_t errlen)
{
	pcap_t *p = pcap_open_dead(linktype, LIVE_SNAPLEN);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return WSP_E_NOMEM;
	}
	struct bpf_program prog;
	int rc = 0;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad filter \"%s\": %s", filter,
			 pcap_geterr(p));
		rc = WSP_E_PCAP_LIVE_BAD_FILTER;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

/* The one-line reason for a failed pcap_activate. */
static int activate_error(struct live *l, int rc)
{
	const char *detail = pcap_geterr(l->p);
	const char *what;
	int code;
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		what = "no such interface";
		code = WSP_E_PCAP_LIVE_NO_DEVICE;
		break;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		what = "permission denied (capturing needs root or "
		       "CAP_NET_RAW and CAP_NET_ADMIN)";
		code = WSP_E_PCAP_LIVE_PERM;
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		what = "the interface is not up";
		code = WSP_E_PCAP_LIVE_IFACE_DOWN;
		break;
	default:
		what = pcap_statustostr(rc);
		code = WSP_E_PCAP_LIVE_FAILED;
		break;
	}
	if (detail != NULL && detail[0] != '\0')
		snprintf(l->err, sizeof(l->err), "%s: %s (%s)", l->iface, what,
			 detail);
	else
		snprintf(l->err, sizeof(l->err), "%s: %s", l->iface, what);
	return code;
}

/* Closes what live_open opened so far and returns rc. */
static int open_fail(struct live *l, int rc)
{
	if (l->p != NULL)
		pcap_close(l->p);
	l->p = NULL;
	free(l->buf);
	l->buf = NULL;
	return rc;
}

int live_open(struct live *l, const struct live_config *cfg)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (cfg->iface != NULL) {
		if ((size_t)snprintf(l->iface, sizeof(l->iface), "%s",
				     cfg->iface) >= sizeof(l->iface)) {
			snprintf(l->err, sizeof(l->err),
				 "interface name too long");
			return WSP_E_PCAP_LIVE_NO_DEVICE;
		}
	} else {
		int rc = live_default_iface(l->iface, sizeof(l->iface), l->err,
					    sizeof(l->err));
		if (rc != 0)
			return rc;
	}
	l->snaplen = cfg->snaplen > 0 ? cfg->snaplen : LIVE_SNAPLEN;
	ebuf[0] = '\0';
	l->p = pcap_create(l->iface, ebuf);
	if (l->p == NULL) {
		snprintf(l->err, sizeof(l->err), "%s: %s", l->iface, ebuf);
		return WSP_E_PCAP_LIVE_FAILED;
	}
	if (pcap_set_snaplen(l->p, l->snaplen) != 0 ||
	    pcap_set_promisc(l->p, cfg->promisc ? 1 : 0) != 0 ||
	    pcap_set_immediate_mode(l->p, 1) != 0 ||
	    pcap_set_buffer_size(l->p, cfg->buffer_size > 0 ? cfg->buffer_size
							    : LIVE_BUFFER) != 0 ||
	    pcap_set_timeout(l->p, LIVE_WAIT_MAX_MS) != 0) {
		snprintf(l->err, sizeof(l->err), "%s: cannot set options: %s",
			 l->iface, pcap_geterr(l->p));
		return open_fail(l, WSP_E_PCAP_LIVE_FAILED);
	}
	/* Nanoseconds when the platform has them (Linux does); dissector
	 * times and the written file then keep them. */
	l->nsec = pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO)
		  == 0;
	int rc = pcap_activate(l->p);
	if (rc < 0)
		return open_fail(l, activate_error(l, rc));
	if (rc > 0)
		snprintf(l->warn, sizeof(l->warn), "%s: %s (%s)", l->iface,
			 pcap_statustostr(rc), pcap_geterr(l->p));
	l->nsec = pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
	/* DLT_ and LINKTYPE_ values agree for every link type the
	 * dissector decodes on the platforms libpcap captures on, except
	 * DLT_RAW (12 or 14), which pkt.c accepts as well. */
	l->linktype = (uint32_t)pcap_datalink(l->p);
	if (cfg->filter != NULL && cfg->filter[0] != '\0') {
		struct bpf_program prog;
		if (pcap_compile(l->p, &prog, cfg->filter, 1,
				 PCAP_NETMASK_UNKNOWN) != 0) {
			snprintf(l->err, sizeof(l->err),
				 "bad filter \"%s\": %s", cfg->filter,
				 pcap_geterr(l->p));
			return open_fail(l, WSP_E_PCAP_LIVE_BAD_FILTER);
		}
		rc = pcap_setfilter(l->p, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			snprintf(l->err, sizeof(l->err),
				 "%s: cannot install the filter: %s", l->iface,
				 pcap_geterr(l->p));
			return open_fail(l, WSP_E_PCAP_LIVE_FAILED);
		}
	}
	if (pcap_setnonblock(l->p, 1, ebuf) != 0) {
		snprintf(l->err, sizeof(l->err), "%s: %s", l->iface, ebuf);
		return open_fail(l, WSP_E_PCAP_LIVE_FAILED);
	}
	l->fd = pcap_get_selectable_fd(l->p);
	l->buf = malloc((size_t)l->snaplen);
	if (l->buf == NULL) {
		snprintf(l->err, sizeof(l->err), "out of memory");
		return open_fail(l, WSP_E_NOMEM);
	}
	return 0;
}

void live_wait(struct live *l, int timeout_ms)
{
	if (timeout_ms < 0 || timeout_ms > LIVE_WAIT_MAX_MS)
		timeout_ms = LIVE_WAIT_MAX_MS;
	if (l->fd >= 0) {
		struct pollfd pfd = {l->fd, POLLIN, 0};
		/* EINTR (a signal) simply ends the wait. */
		(void)poll(&pfd, 1, timeout_ms);
		return;
	}
	/* No selectable descriptor: the handle is non-blocking, so sleep
	 * no longer than libpcap requires between attempts. */
	const struct timeval *req = pcap_get_required_select_timeout(l->p);
	if (req != NULL) {
		long ms = (long)req->tv_sec * 1000 + req->tv_usec / 1000;
		if (ms < timeout_ms)
			timeout_ms = (int)ms;
	}
	struct timespec ts = {timeout_ms / 1000,
			      (long)(timeout_ms % 1000) * 1000000L};
	(void)nanosleep(&ts, NULL);
}

struct dispatch_ctx {
	struct live *l;
	void (*cb)(struct cap_pkt *pkt, void *user);
	void *user;
	int dump_failed;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct dispatch_ctx *c = (struct dispatch_ctx *)user;
	struct live *l = c->l;
	uint32_t caplen = h->caplen;
	if (caplen > (uint32_t)l->snaplen)
		caplen = (uint32_t)l->snaplen; /* never past our buffer */
	struct cap_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	pkt.number = ++l->packets;
	pkt.ts.sec = (int64_t)h->ts.tv_sec;
	pkt.ts.nsec = (uint32_t)h->ts.tv_usec * (l->nsec ? 1u : 1000u);
	if (pkt.ts.nsec > 999999999u)
		pkt.ts.nsec = 999999999u;
	pkt.linktype = l->linktype;
	pkt.caplen = caplen;
	pkt.origlen = h->len < caplen ? caplen : h->len;
	/* Written before the dissector unmasks the copy in place. */
	pkt.data = (uint8_t *)(uintptr_t)bytes;
	if (l->dump != NULL && !c->dump_failed &&
	    live_dump_write(l->dump, &pkt) != 0)
		c->dump_failed = 1;
	memcpy(l->buf, bytes, caplen);
	pkt.data = l->buf;
	c->cb(&pkt, c->user);
}

int live_dispatch(struct live *l, uint64_t max,
		  void (*cb)(struct cap_pkt *pkt, void *user), void *user)
{
	struct dispatch_ctx c = {l, cb, user, 0};
	int cnt = max == 0 ? -1 : max > INT_MAX ? INT_MAX : (int)max;
	int rc = pcap_dispatch(l->p, cnt, on_packet, (u_char *)&c);
	if (rc == PCAP_ERROR) {
		snprintf(l->err, sizeof(l->err), "%s: %s", l->iface,
			 pcap_geterr(l->p));
		return WSP_E_PCAP_LIVE_FAILED;
	}
	if (c.dump_failed)
		return WSP_E_PCAP_LIVE_DUMP;
	return rc < 0 ? 0 : rc; /* PCAP_ERROR_BREAK: nothing read */
}

int live_stats(struct live *l, uint64_t *recv, uint64_t *drop,
	       uint64_t *ifdrop)
{
	struct pcap_stat st;
	*recv = *drop = *ifdrop = 0;
	if (l->p == NULL || pcap_stats(l->p, &st) != 0)
		return -1;
	*recv = st.ps_recv;
	*drop = st.ps_drop;
	*ifdrop = st.ps_ifdrop;
	return 0;
}

void live_close(struct live *l)
{
	if (l->p != NULL)
		pcap_close(l->p);
	l->p = NULL;
	free(l->buf);
	l->buf = NULL;
}

static void dump_names_free(struct live_dump *w)
{
	free(w->path);
	free(w->part);
	w->path = w->part = NULL;
}

int live_dump_open(struct live_dump *w, const char *path, int linktype,
		   int snaplen, int nsec)
{
	memset(w, 0, sizeof(*w));
	size_t n = strlen(path);
	w->path = malloc(n + 1);
	w->part = malloc(n + sizeof(".part"));
	if (w->path == NULL || w->part == NULL) {
		dump_names_free(w);
		snprintf(w->err, sizeof(w->err), "out of memory");
		return WSP_E_NOMEM;
	}
	memcpy(w->path, path, n + 1);
	memcpy(w->part, path, n);
	memcpy(w->part + n, ".part", sizeof(".part"));
	w->nsec = nsec ? 1 : 0;
	/* A dead handle carries the link type, snaplen and precision into
	 * the file header; the dumper keeps nothing else from it. */
	pcap_t *p = pcap_open_dead_with_tstamp_precision(
		linktype, snaplen > 0 ? snaplen : LIVE_SNAPLEN,
		nsec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	if (p == NULL) {
		dump_names_free(w);
		snprintf(w->err, sizeof(w->err), "out of memory");
		return WSP_E_NOMEM;
	}
	w->d = pcap_dump_open(p, w->part);
	if (w->d == NULL) {
		snprintf(w->err, sizeof(w->err), "%s", pcap_geterr(p));
		pcap_close(p);
		dump_names_free(w);
		return WSP_E_PCAP_LIVE_DUMP;
	}
	pcap_close(p);
	return 0;
}

int live_dump_write(struct live_dump *w, const struct cap_pkt *pkt)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)pkt->ts.sec;
	/* The file's precision decides the unit of tv_usec. */
	h.ts.tv_usec = (suseconds_t)(w->nsec ? pkt->ts.nsec
					      : pkt->ts.nsec / 1000u);
	h.caplen = pkt->caplen;
	h.len = pkt->origlen;
	pcap_dump((u_char *)w->d, &h, pkt->data);
	w->packets++;
	if (ferror(pcap_dump_file(w->d))) {
		snprintf(w->err, sizeof(w->err), "%s: write error: %s",
			 w->part, strerror(errno));
		return WSP_E_PCAP_LIVE_DUMP;
	}
	return 0;
}

int live_dump_flush(struct live_dump *w)
{
	if (w->d == NULL)
		return 0;
	if (pcap_dump_flush(w->d) != 0) {
		snprintf(w->err, sizeof(w->err), "%s: write error: %s",
			 w->part, strerror(errno));
		return WSP_E_PCAP_LIVE_DUMP;
	}
	return 0;
}

int live_dump_close(struct live_dump *w)
{
	if (w->d == NULL) {
		dump_names_free(w);
		return 0;
	}
	int rc = live_dump_flush(w);
	FILE *f = pcap_dump_file(w->d);
	int bad = ferror(f);
	/* pcap_dump_close does not report fclose's result; a failed
	 * flush above or a sticky error says the file is incomplete. */
	pcap_dump_close(w->d);
	w->d = NULL;
	if (rc == 0 && bad) {
		snprintf(w->err, sizeof(w->err), "%s: write error", w->part);
		rc = WSP_E_PCAP_LIVE_DUMP;
	}
	if (rc == 0 && rename(w->part, w->path) != 0) {
		snprintf(w->err, sizeof(w->err), "cannot rename %s to %s: %s",
			 w->part, w->path, strerror(errno));
		rc = WSP_E_PCAP_LIVE_DUMP;
	}
	dump_names_free(w);
	return rc;
}
