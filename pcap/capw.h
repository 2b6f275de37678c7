/*
 * capw.h: writing captures: classic pcap and pcapng records, TCP packets
 * over every link type the reader handles (with correct IPv4 and TCP
 * checksums, so no tool complains), and a TCP conversation that keeps the
 * sequence and acknowledgment numbers of both sides right.
 *
 * Pure: bytes out into a growable buffer (struct capw_buf) whose memory
 * comes from a struct wsp_mem; the caller writes the buffer where it
 * wants.  The tests build their golden captures with it, the fuzz targets
 * and the benchmark their inputs, and the harness's per-case captures
 * (DIR/pcap/CASEID.pcap, issue 6 item 1) are a wire log replayed through
 * capw_conv with the real timestamps.
 */
#ifndef PCAP_CAPW_H
#define PCAP_CAPW_H

#include <stddef.h>
#include <stdint.h>

#include "cap.h"
#include "wsp_mem.h"

/* A growable output buffer.  err is sticky: after an allocation failure
 * every write returns WSP_E_NOMEM and the contents stop growing. */
struct capw_buf {
	uint8_t *p;
	size_t len, cap;
	const struct wsp_mem *mem;
	int err;
};

void capw_buf_init(struct capw_buf *b, const struct wsp_mem *mem);
void capw_buf_free(struct capw_buf *b);
/* Appends p[0..n).  Returns 0 or WSP_E_NOMEM. */
int capw_put(struct capw_buf *b, const void *p, size_t n);

/* ---- file formats (little-endian, as written on every common host) -- */

/* The 24-byte classic header: microsecond (magic a1b2c3d4) or, with nsec,
 * nanosecond (a1b23c4d) timestamps.  Returns 0 or WSP_E_NOMEM. */
int capw_pcap_header(struct capw_buf *b, uint32_t linktype,
		     uint32_t snaplen, int nsec);

/* One packet record: caplen bytes of data, origlen on the wire. */
int capw_pcap_record(struct capw_buf *b, int nsec, struct cap_time ts,
		     const uint8_t *data, uint32_t caplen, uint32_t origlen);

/* pcapng: a section header block, an interface description block
 * (tsresol: the if_tsresol byte; 6 = microseconds, written only when not
 * 6), an enhanced packet block with a raw timestamp in the interface's
 * units. */
int capw_ng_section(struct capw_buf *b);
int capw_ng_iface(struct capw_buf *b, uint32_t linktype, uint32_t snaplen,
		  uint8_t tsresol);
int capw_ng_packet(struct capw_buf *b, uint32_t iface, uint64_t ticks,
		   const uint8_t *data, uint32_t caplen, uint32_t origlen);

/* ---- packets -------------------------------------------------------- */

/* Link "types" for capw_tcp_frame: the LINKTYPE_* values of cap.h, plus
 * Ethernet variants with one 802.1Q tag and with an 802.1ad + 802.1Q pair
 * (written in files as CAP_LT_EN10MB: see capw_file_linktype). */
#define CAPW_LT_EN10MB_VLAN 0x10001u
#define CAPW_LT_EN10MB_QINQ 0x10002u

/* The LINKTYPE a capture of frames built for lt must declare. */
uint32_t capw_file_linktype(uint32_t lt);

/* One end of a TCP connection. */
struct capw_ep {
	uint8_t family;   /* 4 or 6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;
	uint8_t mac[6];
};

/* One segment. */
struct capw_seg {
	const struct capw_ep *src, *dst;
	uint32_t seq, ack;
	uint8_t flags;    /* PKT_SYN ... (pkt.h) */
	uint16_t window;
	const uint8_t *payload;
	size_t len;
	/* Header variants the decoder must walk: IPv4 options (4 bytes of
	 * NOP/EOL), IPv6 extension headers (hop-by-hop, destination options
	 * and an atomic fragment header). */
	uint8_t ip_opts;
	uint8_t outgoing; /* Linux cooked: packet type "outgoing" */
};

/* The most bytes capw_tcp_frame adds to a payload. */
#define CAPW_MAX_OVERHEAD 160

/* Writes the frame of s for link type lt (cap.h values or CAPW_LT_*) into
 * out[0..cap).  Returns its size, WSP_E_NOSPACE, or WSP_E_INVAL (an
 * unknown link type, a family the link type cannot carry, or a payload
 * too long for one IP packet). */
int capw_tcp_frame(uint32_t lt, const struct capw_seg *s, uint8_t *out,
		   size_t cap);

/* ---- a TCP conversation --------------------------------------------- */

/*
 * Two endpoints (ep[0] the client) exchanging segments of at most mss
 * bytes, each one a pcap record appended to *out with the caller's
 * timestamps, sequence numbers advancing and every segment acknowledging
 * all the peer has sent.  capw_conv_init writes nothing; the caller writes
 * the file header (capw_pcap_header with capw_file_linktype(lt)).
 */
struct capw_conv {
	struct capw_ep ep[2];
	uint32_t next[2];    /* the next sequence number each side sends */
	uint32_t lt;
	size_t mss;
	int nsec;
	uint32_t snaplen;    /* records are cut to this (0: never) */
	uint8_t ip_opts;     /* capw_seg.ip_opts for every segment */
	struct capw_buf *out;
};

void capw_conv_init(struct capw_conv *c, const struct capw_ep *client,
		    const struct capw_ep *server, uint32_t isn_client,
		    uint32_t isn_server, uint32_t lt, size_t mss,
		    struct capw_buf *out);

/* Writes one raw segment from side dir (0 client, 1 server) with the
 * given flags and payload at the side's next sequence number, ACK set to
 * the peer's, and advances the side (payload, SYN and FIN count).
 * Returns 0, WSP_E_NOMEM or WSP_E_INVAL. */
int capw_conv_segment(struct capw_conv *c, int dir, uint8_t flags,
		      const uint8_t *payload, size_t len, struct cap_time ts);

/* The three-way handshake: SYN, SYN-ACK, ACK. */
int capw_conv_open(struct capw_conv *c, struct cap_time ts);

/* data[0..len) from side dir in segments of at most mss, then a pure ACK
 * from the peer. */
int capw_conv_send(struct capw_conv *c, int dir, const uint8_t *data,
		   size_t len, struct cap_time ts);

/* FIN from side first, FIN-ACK from the other, final ACK. */
int capw_conv_close(struct capw_conv *c, int first, struct cap_time ts);

/* ---- a whole session from a wire log -------------------------------- */

/* One write or read of a live session, as the harness's wire log keeps
 * them (harness/sess.h struct sess_wire_rec), with the bytes. */
struct capw_wire {
	int64_t t_ns;       /* since the session started */
	uint8_t from_client;
	const uint8_t *p;
	size_t len;
};

/* How the TCP connection ended. */
enum capw_end {
	CAPW_END_FIN_CLIENT = 0, /* the client closed first, then the server */
	CAPW_END_FIN_SERVER = 1, /* the server closed first */
	CAPW_END_RST_CLIENT = 2, /* the client reset it */
	CAPW_END_RST_SERVER = 3,
	CAPW_END_OPEN = 4        /* still open when the log ends */
};

struct capw_session_cfg {
	struct cap_time start;   /* wall-clock time of t_ns 0 */
	const struct capw_ep *client, *server; /* NULL: 127.0.0.1:40000 and
						* 127.0.0.2:80 */
	uint32_t isn_client, isn_server;
	size_t mss;              /* 0: 65483, a loopback segment */
	enum capw_end end;
	int64_t end_ns;          /* when it ended (since start) */
};

/* start plus ns nanoseconds, the time of a wire record (t_ns counts from
 * the session's start); a negative ns counts as 0. */
struct cap_time capw_time_at(struct cap_time start, int64_t ns);

/*
 * Writes a complete capture of one session into out: the pcap header
 * (Ethernet, nanosecond timestamps, snaplen 262144), the TCP handshake at
 * start, each wire record as segments of at most mss bytes with correct
 * sequence and acknowledgment numbers at start + t_ns, a pure ACK from the
 * peer after each record, and the TCP ending.  Wireshark and tshark open
 * the result and decode its WebSocket traffic; `wsprobe dissect` too.
 * This is how the per-case captures (DIR/pcap/CASEID.pcap, issue 6 item
 * 1) are made from the harness's wire log, plaintext even over TLS.
 * Records must come in time order.  Returns 0, WSP_E_NOMEM or
 * WSP_E_INVAL.
 */
int capw_session(struct capw_buf *out, const struct capw_session_cfg *cfg,
		 const struct capw_wire *recs, size_t n);

#endif
