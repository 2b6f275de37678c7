/*
 * tcpr.h: TCP stream reassembly for the dissector (RFC 9293 sequence
 * numbers; the approach of ../shared/reference/fuzz-and-dissect.md E.4).
 *
 * Pure: TCP segments in (pkt.h), events out through a callback; memory
 * through a struct wsp_mem, bounded by configurable caps.  Each direction
 * of a connection is a byte stream addressed by a 64-bit offset (0 = the
 * byte after the SYN, or the first byte seen when the SYN was not
 * captured), so streams over 4 GiB and sequence numbers that wrap are
 * fine.
 *
 * Policy (documented in docs/dissect.md):
 *   - Streams are identified by the 4-tuple, numbered from 0 in order of
 *     first appearance, like tshark's tcp.stream: any TCP packet of an
 *     unknown tuple opens one, and a SYN with a new initial sequence number
 *     on a tuple whose connection closed (or that already carried data)
 *     opens a new one (port reuse).
 *   - In-order data is delivered at once, as a slice of the caller's
 *     packet (no copy).  Out-of-order data is copied and held until the
 *     hole before it fills.
 *   - Retransmissions and overlaps: the first copy of a byte wins.  Bytes
 *     already delivered are dropped; an overlap with held bytes that differ
 *     is reported (TCPR_EV_CONFLICT).  Conflicts with bytes already
 *     delivered are not detected (they are not kept).
 *   - Gaps are reported, never guessed: bytes are declared missing
 *     (TCPR_EV_GAP) only when they cannot arrive any more: the snaplen cut
 *     them (the IP length says they were sent), the peer acknowledged them
 *     while later bytes are held, holding more would pass a memory cap, or
 *     the stream ended (FIN, RST, end of capture) with bytes held.
 *   - Memory: out-of-order bytes are capped per direction and in total; a
 *     direction that would pass either cap is reported (TCPR_EV_OVERFLOW)
 *     and its held bytes are released: delivered in order with the holes
 *     between them reported as gaps.  Open connections are capped too
 *     (the least recently active one is closed first); closed connections
 *     are remembered (without buffers or caller state) up to a cap, so
 *     their late packets do not open new streams.
 */
#ifndef PCAP_TCPR_H
#define PCAP_TCPR_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "wsp_mem.h"

struct tcpr_config {
	size_t max_buffer;  /* out-of-order bytes held per direction
			     * (0: 4 MiB) */
	size_t max_total;   /* ... in all connections (0: 256 MiB) */
	size_t max_open;    /* connections open at once (0: 100000) */
	size_t max_closed;  /* closed connections remembered (0: 65536) */
	const struct wsp_mem *mem; /* NULL: the C library */
};

enum tcpr_ev_type {
	TCPR_EV_OPEN = 1,     /* a new stream (conn->stream assigned) */
	TCPR_EV_DATA = 2,     /* bytes, in order */
	TCPR_EV_GAP = 3,      /* bytes that will never be delivered */
	TCPR_EV_FIN = 4,      /* the direction ended with a FIN, in order */
	TCPR_EV_RST = 5,      /* a RST was seen in dir; CLOSE follows */
	TCPR_EV_CLOSE = 6,    /* the connection is over: free conn->user */
	TCPR_EV_CONFLICT = 7, /* a retransmission differs from held bytes */
	TCPR_EV_OVERFLOW = 8  /* a memory cap was reached in dir */
};

enum tcpr_gap_reason {
	TCPR_GAP_SNAPLEN = 1, /* the capture cut the packet */
	TCPR_GAP_ACKED = 2,   /* the peer acknowledged bytes never seen */
	TCPR_GAP_BUFFER = 3,  /* a memory cap forced held bytes out */
	TCPR_GAP_END = 4      /* the stream ended with bytes held */
};

enum tcpr_close_reason {
	TCPR_CLOSE_FIN = 1,   /* both directions delivered their FIN */
	TCPR_CLOSE_RST = 2,
	TCPR_CLOSE_END = 3,   /* end of the capture (tcpr_finish) */
	TCPR_CLOSE_EVICT = 4, /* too many connections open */
	TCPR_CLOSE_REUSED = 5 /* a new SYN took over the 4-tuple */
};

struct tcpr_chunk;

/* Per direction: private. */
struct tcpr_half {
	uint32_t base;       /* sequence number of offset 0 */
	uint32_t isn;        /* of the SYN, when syn */
	uint64_t next;       /* offset of the next byte to deliver */
	uint64_t fin_off;    /* offset of the FIN, when fin */
	uint8_t have_base;
	uint8_t syn;
	uint8_t fin;
	uint8_t done;        /* FIN delivered */
	struct tcpr_chunk *head; /* held bytes, sorted, never overlapping */
	size_t buffered;
};

/* A connection.  The public fields are read-only for the caller, except
 * user, which is the caller's. */
struct tcpr_conn {
	uint64_t stream;     /* index in order of first appearance */
	uint8_t family;      /* 4 or 6 */
	uint8_t addr[2][16]; /* addr[d], port[d]: the sender of direction d */
	uint16_t port[2];
	int8_t client;       /* direction of the SYN sender; -1 unknown */
	uint8_t closed;      /* the connection is over (a remembered tuple) */
	void *user;          /* the caller's, NULL at OPEN */
	/* Private. */
	struct tcpr_half h[2];
	uint32_t hash;
	struct tcpr_conn *hnext;
	struct tcpr_conn *prev, *next; /* the open or the closed list */
};

struct tcpr_event {
	enum tcpr_ev_type type;
	struct tcpr_conn *conn;
	int dir;             /* 0: sent by conn->addr[0]; 1: the other way */
	uint8_t *data;       /* DATA: writable, valid during the callback */
	size_t len;
	uint64_t offset;     /* DATA, GAP, CONFLICT: stream offset */
	uint64_t gap;        /* GAP: bytes missing */
	int reason;          /* GAP: tcpr_gap_reason; CLOSE: tcpr_close_reason */
};

struct tcpr_list {
	struct tcpr_conn *head; /* most recent */
	struct tcpr_conn *tail; /* least recent */
	size_t n;
};

/* The reassembler; fields are private except the counters. */
struct tcpr {
	struct tcpr_config cfg;
	struct tcpr_conn **buckets;
	size_t nbuckets;
	struct tcpr_list open, closed;
	size_t total;        /* bytes held in all connections */
	uint64_t streams;    /* streams opened so far */
	/* Counters. */
	uint64_t retrans_bytes;  /* bytes dropped as already delivered */
	uint64_t conflicts;
	uint64_t overflows;
	uint64_t evicted;
};

/* Initialises t with cfg (NULL: the defaults); copies cfg.  Returns 0 or
 * WSP_E_NOMEM. */
int tcpr_init(struct tcpr *t, const struct tcpr_config *cfg);

/*
 * Takes one segment (a PKT_TCP result of pkt_decode) and calls cb(ev,
 * user) for every event it causes, in order: OPEN (once per stream), DATA
 * and GAP of either direction (an ACK can release the other one's held
 * bytes), CONFLICT, OVERFLOW, FIN, RST, CLOSE.  DATA may point into
 * seg->payload, so the payload must be writable and stay valid during the
 * call; nothing of it is kept after the call returns.  After CLOSE the
 * conn stays remembered without caller state: cb must free conn->user
 * there (and set it to NULL).
 *
 * For any split of the same byte stream into segments (any order,
 * duplicates, overlaps with equal bytes), the concatenated DATA of a
 * direction is the same bytes at the same offsets, whenever no gap is
 * declared.  Returns 0, or WSP_E_NOMEM when a connection could not be
 * allocated (the packet is dropped; t stays usable).  Out-of-order bytes
 * that cannot be allocated are treated as over the cap.
 */
int tcpr_packet(struct tcpr *t, const struct pkt_tcp *seg,
		void (*cb)(const struct tcpr_event *ev, void *user),
		void *user);

/* The capture ended: every open connection releases what it holds (held
 * bytes after holes come out with TCPR_GAP_END gaps) and closes with
 * TCPR_CLOSE_END. */
void tcpr_finish(struct tcpr *t,
		 void (*cb)(const struct tcpr_event *ev, void *user),
		 void *user);

/* Frees everything; open connections are dropped without events (call
 * tcpr_finish first to get them). */
void tcpr_free(struct tcpr *t);

/* Bytes held by one direction, and in all. */
size_t tcpr_held(const struct tcpr_conn *c, int dir);

#endif
