/*
 * live.h: live capture through libpcap, for `wsprobe capture`.  This is the
 * only module that calls libpcap's live API (pcap_create, pcap_activate,
 * pcap_dispatch, pcap_dump...); everything it captures is handed on as
 * struct cap_pkt, the packet type the file reader (cap.h) produces, so the
 * dissector (dis.h) cannot tell a live packet from a recorded one.
 *
 * A live object is opened with pcap_create, a snapshot length, immediate
 * mode (each packet is delivered at once, not when a kernel buffer block
 * fills), a kernel buffer size, nanosecond timestamps when the platform
 * has them, then pcap_activate, the BPF filter, and non-blocking mode.  It
 * never blocks: live_wait polls the selectable descriptor with a timeout
 * (or just sleeps the timeout when the platform has none), and
 * live_dispatch reads whatever is there.
 *
 * Writing: a struct live_dump writes the raw packets to FILE.part with
 * pcap_dump and renames it to FILE when closed, so a reader never sees a
 * half-written FILE, and a run interrupted by a signal still leaves a
 * readable capture once the caller closes the dump (call live_dump_close
 * from the main loop after the signal, never from the handler).
 *
 * The filter helpers (live_filter_build, live_filter_check) need no
 * privileges: the check compiles against a "dead" pcap handle, so the
 * command line can refuse a bad filter before touching an interface and
 * tests can run as any user.
 *
 * Errors are WSP_E_PCAP_LIVE_* codes (proto/err/pcap.def) with a one-line
 * message naming the interface, file or filter in the object's err field.
 */
#ifndef PCAP_LIVE_H
#define PCAP_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "cap.h"

/* Defaults: a snapshot length that keeps whole loopback packets (64 KiB
 * MTU plus headers), and a kernel buffer that absorbs the bursts a 16 MiB
 * message makes on loopback while the dissector prints. */
#define LIVE_SNAPLEN 262144
#define LIVE_BUFFER (64 * 1024 * 1024)
/* The longest a live_wait sleeps, in milliseconds. */
#define LIVE_WAIT_MAX_MS 200
#define LIVE_ERR_LEN 512

struct pcap;        /* libpcap's pcap_t, opaque here */
struct pcap_dumper; /* libpcap's pcap_dumper_t */

struct live_config {
	const char *iface;  /* NULL: live_default_iface() */
	int snaplen;        /* 0: LIVE_SNAPLEN */
	int buffer_size;    /* kernel buffer bytes, 0: LIVE_BUFFER */
	int promisc;        /* promiscuous mode (off by default) */
	const char *filter; /* BPF program; NULL or "": every packet */
};

struct live_dump {
	struct pcap_dumper *d;
	char *path;         /* FILE (owned) */
	char *part;         /* FILE.part (owned) */
	uint64_t packets;   /* written so far */
	int nsec;           /* the file has nanosecond timestamps */
	char err[LIVE_ERR_LEN];
};

struct live {
	struct pcap *p;
	int fd;             /* selectable descriptor, or -1 */
	uint32_t linktype;  /* of every packet (what cap.h calls LINKTYPE) */
	int nsec;           /* timestamps have nanosecond precision */
	int snaplen;
	uint64_t packets;   /* packets handed to callbacks */
	uint8_t *buf;       /* writable copy of the current packet */
	struct live_dump *dump; /* when set, live_dispatch writes here */
	char iface[128];
	char warn[LIVE_ERR_LEN]; /* a warning from pcap_activate, or "" */
	char err[LIVE_ERR_LEN];
};

/*
 * Writes the interface a capture uses when none is given into out[0..cap):
 * "any" (every interface, Linux cooked headers) when libpcap lists it,
 * else the first interface pcap_findalldevs lists.  Returns 0, or
 * WSP_E_PCAP_LIVE_NO_DEVICE (none listed) / WSP_E_PCAP_LIVE_FAILED with
 * a message in err[0..errlen).
 */
int live_default_iface(char *out, size_t cap, char *err, size_t errlen);

/*
 * Builds the BPF program text from the FILTER words (joined by single
 * spaces) and a port: with port != 0 the result is "tcp port P" alone or
 * "tcp port P and (WORDS)", so the user's words cannot change the meaning
 * of the port clause.  Writes it with a NUL into out[0..cap).  Returns
 * its length, or WSP_E_NOSPACE when it does not fit (out is then "").
 * Pure: nothing is compiled here (live_filter_check does that).
 */
int live_filter_build(char *out, size_t cap, const char *const *words,
		      size_t nwords, uint16_t port);

/*
 * Compiles filter for link type linktype (a DLT_ value; 1 = Ethernet)
 * against a dead handle, without privileges or an interface.  Returns 0,
 * or WSP_E_PCAP_LIVE_BAD_FILTER with libpcap's reason in err.
 */
int live_filter_check(const char *filter, int linktype, char *err,
		      size_t errlen);

/*
 * Opens cfg->iface for capture (see the file comment for the steps).
 * Returns 0, or on failure (l then holds nothing to free, but live_close
 * is harmless) one of:
 *   WSP_E_PCAP_LIVE_NO_DEVICE   no such interface;
 *   WSP_E_PCAP_LIVE_PERM        not permitted (capturing needs root or
 *                               CAP_NET_RAW);
 *   WSP_E_PCAP_LIVE_IFACE_DOWN  the interface is not up;
 *   WSP_E_PCAP_LIVE_BAD_FILTER  the filter does not compile for the
 *                               interface's link type;
 *   WSP_E_PCAP_LIVE_FAILED      anything else libpcap refused;
 *   WSP_E_NOMEM.
 * l->err holds the one-line reason.  A warning from pcap_activate (for
 * example promiscuous mode not supported) is kept in l->warn.
 */
int live_open(struct live *l, const struct live_config *cfg);

/* Waits at most timeout_ms (capped at LIVE_WAIT_MAX_MS) for packets; a
 * signal ends the wait early.  Always call live_dispatch afterwards. */
void live_wait(struct live *l, int timeout_ms);

/*
 * Reads the packets that are waiting, at most max (0: no limit), without
 * blocking.  Each one is written to l->dump when set (as captured, before
 * anything touches it), then copied into a writable buffer and handed to
 * cb as a cap_pkt numbered from 1 across the whole capture; the packet is
 * valid during the callback only, and the callback may modify its data.
 * Returns the number of packets handled (0: none was waiting), or
 * WSP_E_PCAP_LIVE_FAILED (the interface went away...; l->err says why)
 * or WSP_E_PCAP_LIVE_DUMP (writing failed; l->dump->err says why).
 */
int live_dispatch(struct live *l, uint64_t max,
		  void (*cb)(struct cap_pkt *pkt, void *user), void *user);

/* libpcap's counters: packets received by the filter, dropped by the
 * kernel for lack of buffer, dropped by the interface.  Returns 0, or -1
 * when the platform has none (the counters are then 0). */
int live_stats(struct live *l, uint64_t *recv, uint64_t *drop,
	       uint64_t *ifdrop);

/* Closes the handle (the dump, if any, is the caller's to close first). */
void live_close(struct live *l);

/*
 * Opens path.part for writing packets of link type linktype (DLT_ value),
 * snapshot length snaplen, with nanosecond timestamps when nsec.  Returns
 * 0, WSP_E_NOMEM, or WSP_E_PCAP_LIVE_DUMP with the reason in w->err.
 * Opening with a dead handle keeps this usable without an interface.
 */
int live_dump_open(struct live_dump *w, const char *path, int linktype,
		   int snaplen, int nsec);

/* Writes one packet (pkt->data[0..caplen), origlen, time).  Returns 0 or
 * WSP_E_PCAP_LIVE_DUMP (a write error, e.g. the disk is full). */
int live_dump_write(struct live_dump *w, const struct cap_pkt *pkt);

/* Pushes buffered packets to the file.  Returns 0 or
 * WSP_E_PCAP_LIVE_DUMP. */
int live_dump_flush(struct live_dump *w);

/*
 * Flushes and closes the file, then renames path.part to path.  Safe on a
 * dump that was never opened or already closed.  Returns 0, or
 * WSP_E_PCAP_LIVE_DUMP (writing or renaming failed: path.part is left
 * for the user) with the reason in w->err.  Frees w's names.
 */
int live_dump_close(struct live_dump *w);

#endif
