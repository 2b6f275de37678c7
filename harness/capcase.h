/*
 * capcase.h: per-case captures (`--pcap`, issue 6 item 1): the wire log a
 * session kept of one case, written as DIR/pcap/CASEID.pcap, a classic
 * pcap file of Ethernet + IPv4/IPv6 + TCP packets that Wireshark, tshark
 * and `wsprobe dissect` open and decode as WebSocket.
 *
 * Nothing is captured from the network (no privileges needed): the
 * packets are rebuilt with pcap/capw.h's TCP conversation from what the
 * harness itself wrote and read, so over TLS the capture holds the
 * plaintext.  What is real: the endpoint addresses and ports (taken from
 * the socket, harness/sess.h struct sess_tcp), the time of every read and
 * write (the wire log's monotonic times mapped to the wall-clock time read
 * once when the session started), and how TCP ended (FIN or RST, in the
 * order the harness saw them).  What is made up: the three-way handshake
 * (at the time of the first byte), the initial sequence numbers (from the
 * case's seed, so a replay with the same seed gives the same file), the
 * MAC addresses, one pure ACK from the receiver after each read or write,
 * and the split of a large write into segments of CAPCASE_MSS bytes (a
 * loopback MSS; the real segmentation is the kernel's and is not seen).
 *
 * The file is streamed: capw builds one segment at a time into a small
 * buffer that is flushed to the file every CAPCASE_FLUSH bytes, so a 16 MiB
 * case costs no second copy of its log.  Each file is written under a
 * temporary name and renamed into place, so a crash never leaves half a
 * capture under the final name.  A capture stops growing at a per-case
 * bound (--pcap-max): the packets that fit are written, nothing after the
 * first one that does not (the TCP ending included), and the case's
 * results say so (res_case.pcap_truncated).
 */
#ifndef CAPCASE_H
#define CAPCASE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capw.h"

struct sess;
struct sess_tcp;
struct sess_wire_rec;
struct res_case;

/* The default per-case bound on a capture file, in bytes. */
#define CAPCASE_MAX_DEFAULT ((uint64_t)256 << 20)
/* The largest TCP payload of one segment: Linux loopback's MSS over IPv4,
 * and over IPv6 the most one IPv6 packet of capw carries. */
#define CAPCASE_MSS 65483u
#define CAPCASE_MSS6 65475u
/* The write buffer is flushed to the file once it holds this much. */
#define CAPCASE_FLUSH ((size_t)64 * 1024)
/* The file's snaplen: no record is ever cut. */
#define CAPCASE_SNAPLEN 262144u

/* What a run asks for (shared by every job of the run; the CLI owns it
 * and zeroes it before setting the fields). */
struct capcase_opts {
	const char *dir;       /* the report folder: captures go to DIR/pcap/ */
	const char *subdir;    /* NULL, or a folder under DIR/pcap/ (one per
				* agent when a client run tests several
				* servers) */
	uint64_t max_bytes;    /* per capture file (0: CAPCASE_MAX_DEFAULT) */
	/* Server role (one case at a time): the agent the next case is
	 * played for, or NULL.  The first agent's captures go to DIR/pcap/,
	 * every other agent's to DIR/pcap/AGENT/, so a second client driver
	 * never overwrites a file the first one's results name. */
	const char *agent;
	char first_agent[256]; /* private */
	atomic_int warned;     /* private: the truncation line was printed */
};

/* How the TCP connection ended, as the capture draws it. */
struct capcase_end {
	int64_t our_fin_ns;    /* when wsprobe sent FIN (since the session
				* started), or -1: it sent none */
	int peer_end;          /* 0 nothing seen, 1 FIN, 2 RST */
	int64_t peer_end_ns;   /* when it was seen */
	int peer_first;        /* the peer's FIN/RST came before ours */
};

/* One connection to draw. */
struct capcase_conn {
	struct cap_time start;  /* wall-clock time of t_ns 0 */
	struct capw_ep client, server;
	int we_client;          /* dir 0 (wsprobe's writes) is the client */
	uint32_t isn_client, isn_server;
	struct capcase_end end;
};

/*
 * Writes the capture of one connection to f: the pcap header (Ethernet,
 * nanosecond timestamps, snaplen CAPCASE_SNAPLEN), the three-way handshake
 * at the time of the first record, each record of the wire log
 * (recs[0..n), bytes at wire + off, dir 0 written by wsprobe, in time
 * order) as segments of at most CAPCASE_MSS bytes (CAPCASE_MSS6 over
 * IPv6) followed by a pure ACK from the receiver, then the ending of c->end, each event at its place
 * in time (a FIN wsprobe sent before the peer's last bytes comes before
 * them; no packet is ever stamped earlier than the one before it).  At most max_bytes (0: no bound) are written: the last segment
 * that does not fit, and everything after it, is left out and *truncated
 * is set (else cleared).  *written (may be NULL) gets the file's size.
 * The write buffer is flushed to f every CAPCASE_FLUSH bytes; f is not
 * closed.  Returns 0, WSP_E_INVAL (a family capw cannot carry, an empty
 * log), WSP_E_NOMEM, or WSP_E_PCAP_IO (a write to f failed: errno tells
 * why).
 */
int capcase_write(FILE *f, const struct capcase_conn *c, const uint8_t *wire,
		  const struct sess_wire_rec *recs, size_t n,
		  uint64_t max_bytes, int *truncated, uint64_t *written);

/*
 * Fills c from a finished session: endpoints and wall-clock start from
 * s->tcp, roles from s->cfg.role, sequence numbers from s->cfg.seed, the
 * ending from s->end (the peer's FIN, RST or nothing) and s->tcp (our FIN,
 * the times).  Returns 0, or WSP_E_INVAL when the connection never carried
 * a byte (no endpoints were taken: nothing to draw).
 */
int capcase_conn_from_sess(struct capcase_conn *c, const struct sess *s);

/*
 * The per-case capture of a finished session: writes o->dir/pcap/[SUBDIR/]
 * ID.pcap (SUBDIR: o->subdir, or o->agent when it is not the first agent
 * seen; names with every byte other than [A-Za-z0-9._-] turned into '_';
 * folders created as needed) through a temporary file renamed into
 * place, and records it in out: out->pcap (the path relative to o->dir)
 * and out->pcap_truncated.  A truncated capture prints one line on stderr
 * the first time in the run (o->warned).  A case whose connection never
 * carried a byte gets no capture (0, out untouched).  Returns 0, or a
 * negative code after printing one line on stderr (the capture is then
 * missing and out is untouched): WSP_E_PCAP_IO (a folder or the file
 * cannot be written), WSP_E_NOMEM.
 * Thread-safe for different ids.
 */
int capcase_save(struct capcase_opts *o, const char *id, const struct sess *s,
		 struct res_case *out);

/* The wire log size a session must keep for its capture to be complete
 * up to o's bound: the larger of o->max_bytes (or its default) and the
 * session's default of 64 MiB, as a size_t. */
size_t capcase_wirelog_max(const struct capcase_opts *o);

/* Takes the endpoints of the connected socket fd into t (t->known set
 * when both getsockname and getpeername worked on an IPv4 or IPv6
 * socket; IPv4-mapped IPv6 addresses become IPv4).  For sess.c. */
void capcase_take_endpoints(int fd, struct sess_tcp *t);

/* CLOCK_REALTIME in nanoseconds since the epoch.  For sess.c, which
 * reads it once when a session starts. */
int64_t capcase_wall_now_ns(void);

#endif
