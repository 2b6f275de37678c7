/*
 * dis.h: the WebSocket dissector: captured packets in, WebSocket frames,
 * messages, handshakes, gaps and violations out.
 *
 * Pure like proto/: it never reads a file, a clock or a socket; the caller
 * hands it packets (cap.h) one by one and gets events through a callback.
 * Every protocol rule comes from proto/: handshakes are parsed and judged
 * by hs (hs_parse_*, hs_check_request, hs_check_response), extensions by
 * ext and pmd (pmd_client_check), frames by wsf, frame sequences by msg in
 * lenient mode (one decoder per direction, with the sender's role, so
 * masking is judged), close payloads by wsc, compressed messages are
 * inflated by pmd with the negotiated window and context takeover, and
 * inflated text is checked by u8.  What only both directions together show
 * (a Ping never answered, a Close never answered, a reused mask key, data
 * before the 101) is judged here, with the codes of proto/err/pcap.def.
 *
 * Layers: pkt.h decodes each packet down to TCP, tcpr.h reassembles each
 * direction, this file finds sessions (an HTTP upgrade answered by 101, or
 * any stream on the configured port) and decodes them.  Memory: per open
 * stream a small state, per direction of a WebSocket session decoders and
 * three preview buffers of cfg.keep bytes, plus tcpr's capped buffers;
 * never in proportion to the capture or to a frame's announced length.
 *
 * Gaps (bytes TCP reassembly declares missing): inside the payload of a
 * frame whose end is known, decoding goes on at the frame's end and the
 * frame and its message are marked as having a hole (their content is not
 * judged: no UTF-8 or inflate verdict).  Anywhere else the frame boundary
 * is lost: decoding resynchronises on the first offset where two
 * consecutive plausible frame headers follow (docs/dissect.md gives the
 * rule), and frames up to the next message start are marked uncertain.
 */
#ifndef PCAP_DIS_H
#define PCAP_DIS_H

#include <stddef.h>
#include <stdint.h>

#include "cap.h"
#include "tcpr.h"
#include "wsf.h"

#define DIS_C2S 0
#define DIS_S2C 1

/* The most violations one frame carries. */
#define DIS_MAX_VIOL 16

struct dis_config {
	/* Streams with this TCP port on one side are WebSocket sessions
	 * even without a captured handshake; that side is the server.
	 * Other streams are skipped.  0: sessions come only from an HTTP
	 * upgrade. */
	uint16_t port;
	/* Only this stream index (-1: all). */
	int64_t stream;
	/* Payload bytes kept per frame and per message for display (raw
	 * and inflated); 0 means 64. */
	size_t keep;
	/* Largest inflated message before inflation stops (0: 64 MiB). */
	uint64_t max_inflate;
	/* Non-zero: every frame carries the CRC-32 of its whole unmasked
	 * payload and of the bytes it inflated to (crc32, inflated_crc32),
	 * so a capture can be compared with another decoder beyond the
	 * kept prefix.  Off by default: it reads every payload byte. */
	uint8_t digest;
	struct tcpr_config tcpr;
	const struct wsp_mem *mem;
};

enum dis_ev_type {
	DIS_EV_FRAME = 1,     /* a WebSocket frame ended (or was cut) */
	DIS_EV_MESSAGE = 2,   /* a data message ended (or was cut) */
	DIS_EV_VIOLATION = 3, /* a rule was broken */
	DIS_EV_HTTP = 4,      /* an HTTP request or response head */
	DIS_EV_SESSION = 5,   /* a WebSocket session begins */
	DIS_EV_GAP = 6,       /* bytes missing from a stream */
	DIS_EV_NOTE = 7       /* something the reader should know */
};

struct dis_frame {
	uint64_t index;        /* frame number in its direction, from 0 */
	uint64_t message;      /* the message it belongs to (data frames) */
	uint8_t msg_opcode;    /* that message's type (control: own opcode) */
	struct wsf_header hdr;
	uint64_t received;     /* payload bytes seen */
	uint64_t missing;      /* payload bytes lost in gaps */
	uint8_t incomplete;    /* the stream ended inside it */
	uint8_t compressed;    /* part of a compressed message */
	uint8_t inflate_failed; /* its message could not be inflated */
	uint8_t uncertain;     /* decoded right after a resynchronisation */
	/* The first bytes of the unmasked payload (at most cfg.keep). */
	const uint8_t *data;
	size_t len;
	/* Compressed: the first bytes this frame's payload inflated to,
	 * and how many in all. */
	const uint8_t *inflated;
	size_t inflated_len;
	uint64_t inflated_total;
	/* cfg.digest: CRC-32 (zlib's) of all the payload bytes received
	 * (unmasked) and of all the bytes they inflated to; 0 otherwise. */
	uint32_t crc32;
	uint32_t inflated_crc32;
	/* Close frames. */
	uint8_t has_close;     /* a close frame with a parsable payload */
	uint8_t has_code;
	uint16_t close_code;
	const uint8_t *close_reason;
	size_t close_reason_len;
	/* Violations found in it (also reported one by one). */
	const int *viol;
	size_t nviol;
};

struct dis_message {
	uint64_t index;
	uint8_t opcode;        /* of its first frame (0 for an orphan) */
	uint8_t compressed;
	uint8_t aborted;       /* did not complete */
	uint8_t hole;          /* bytes lost in a gap */
	uint8_t inflate_failed;
	uint64_t frames;
	uint64_t size;         /* payload bytes on the wire */
	uint64_t inflated;     /* compressed: bytes inflated */
	const uint8_t *data;   /* first bytes (inflated when compressed) */
	size_t len;
};

struct dis_violation {
	int code;              /* WSP_E_* */
	const char *req;       /* its requirement id */
	const char *side;      /* "client" or "server": who broke it */
	uint64_t frame;        /* frame index in the side's direction, or
				* UINT64_MAX when not about one frame */
	uint64_t offset;       /* invalid UTF-8: offset in the message */
};

struct dis_http {
	uint8_t request;       /* 1 request, 0 response */
	uint8_t upgrade;       /* a WebSocket upgrade request */
	int status;            /* response */
	const char *line;      /* the start line, without CRLF */
	size_t line_len;
};

struct dis_session {
	uint8_t handshake;     /* 0: assumed from the port, mid-session */
	uint8_t pmd;           /* permessage-deflate in use */
	int server_bits, client_bits; /* negotiated windows */
	uint8_t server_nct, client_nct; /* *_no_context_takeover */
	const char *protocol;  /* subprotocol chosen, or NULL */
	size_t protocol_len;
};

struct dis_gap {
	uint64_t offset;       /* stream offset */
	uint64_t len;
	int reason;            /* enum tcpr_gap_reason */
};

struct dis_event {
	enum dis_ev_type type;
	uint64_t packet;       /* the packet that completed it */
	struct cap_time time;  /* that packet's time */
	int64_t stream;        /* TCP stream index, -1 for none */
	int dir;               /* DIS_C2S, DIS_S2C, or -1 */
	/* The stream, and which of its directions the client sends (-1:
	 * not known). */
	const struct tcpr_conn *conn;
	int client_dir;
	struct dis_frame frame;
	struct dis_message msg;
	struct dis_violation viol;
	struct dis_http http;
	struct dis_session sess;
	struct dis_gap gap;
	/* NOTE: one line, static storage; when note_value is not 0 the
	 * line reads "<note>: <note_value>". */
	const char *note;
	uint64_t note_value;
};

struct dis_sess;

struct dis {
	struct dis_config cfg;
	struct tcpr tcpr;
	/* The packet being processed; events carry these. */
	uint64_t packet;
	struct cap_time time;
	void (*cb)(const struct dis_event *ev, void *user);
	void *user;
	uint8_t *scratch;      /* inflate output */
	uint8_t ignored;       /* its address marks ignored streams */
	uint32_t bad_links[8]; /* link types already noted */
	size_t nbad_links;
	int failed;            /* WSP_E_NOMEM once memory ran out */
	/* Counters. */
	uint64_t packets, tcp_packets, frames, messages, violations;
	uint64_t sessions, gaps, notes;
};

/* Initialises d (cfg copied; NULL: the defaults).  Returns 0, WSP_E_INVAL
 * or WSP_E_NOMEM. */
int dis_init(struct dis *d, const struct dis_config *cfg);

/*
 * Dissects one captured packet and calls cb(ev, user) for each event it
 * completes (none, or many: a packet that fills a hole can complete many
 * frames).  Events point into d and into pkt->data; they are valid during
 * the callback only.  pkt->data is modified (payloads are unmasked in
 * place).  Packets must come in capture order; number and time are taken
 * from pkt.  Returns 0, or WSP_E_NOMEM (the dissection is incomplete from
 * then on, d may only be freed).
 */
int dis_packet(struct dis *d, const struct cap_pkt *pkt,
	       void (*cb)(const struct dis_event *ev, void *user), void *user);

/* The capture ended: every stream ends (frames and messages cut short are
 * reported as incomplete), and the checks that need the end of a session
 * run.  Events carry the last packet's number and time. */
void dis_finish(struct dis *d,
		void (*cb)(const struct dis_event *ev, void *user), void *user);

void dis_free(struct dis *d);

/* "c2s" / "s2c". */
const char *dis_dir_name(int dir);

/* A name for an opcode: "cont", "text", "binary", "close", "ping",
 * "pong", or "op3".."opf" for reserved ones (static storage). */
const char *dis_opcode_name(unsigned op);

/* The reason a gap was declared, as a short phrase. */
const char *dis_gap_reason(int reason);

#endif
