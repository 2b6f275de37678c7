/*
 * sess.h: one live WebSocket connection played by wsprobe, in the client or
 * the server role, recording everything the peer does.
 *
 * A session performs the opening handshake (or a deliberately broken one),
 * sends frames with any field values, raw bytes, messages (compressed when
 * permessage-deflate was agreed), splits what it writes into TCP writes of
 * N bytes, and records every event the peer causes with a timestamp:
 * messages, pongs, the close frame, which side closed first, whether the
 * closing handshake was clean, FIN versus reset, protocol violations in
 * what the peer sent.  A wire log keeps every byte in each direction.
 *
 * Behaviour that is not a case's business is automatic, as in Autobahn's
 * fuzzer: Pings from the peer are answered (and not recorded), a Close
 * from the peer is answered, a server closes TCP right after the closing
 * handshake and a client waits for the server to do it.  A protocol
 * violation in what the peer sends fails the connection (1002, 1007 for
 * invalid UTF-8, 1009 for a message over the limit) and is recorded with
 * its requirement id.
 *
 * Everything blocks with a deadline on the monotonic clock; nothing waits
 * longer than the timers in struct sess_cfg (scaled by timeout_scale).
 * While a long write is in progress, incoming bytes are read between the
 * pieces, so a peer that echoes while we send cannot deadlock us.
 *
 * Mask keys and the handshake nonce come from a generator seeded by
 * cfg.seed, so a run with the same seed sends the same bytes.
 */
#ifndef SESS_H
#define SESS_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "hs.h"
#include "msg.h"
#include "net.h"
#include "pmd.h"
#include "url.h"
#include "verdict.h"

typedef void (*sess_wire_tap_fn)(void *ctx, int64_t t_ns, int dir,
				 const uint8_t *p, size_t n, int kept);

struct sess_cfg {
	enum wsp_role role;      /* OUR role */
	uint64_t seed;
	uint64_t max_message;    /* largest message we accept (0: 64 MiB) */
	double timeout_scale;    /* multiplies every timer (0: 1.0) */
	int64_t open_timeout_ms; /* opening handshake (0: 5000) */
	int64_t close_timeout_ms; /* waiting for the peer's Close (0: 1000) */
	int64_t drop_timeout_ms; /* client: waiting for the server's TCP
				  * close after the closing handshake (0: 1000) */
	size_t wirelog_max;      /* bytes kept in the wire log (0: 64 MiB;
				  * SIZE_MAX: none) */
	int record;              /* record events */
	/* Messages that arrived before a violation are handed out by
	 * sess_next_event before the connection is failed (the echo server:
	 * echo what was valid, then fail). */
	int deliver_before_fail;
	/* permessage-deflate compressor: 0 the fastest built in (ISA-L if
	 * there, else zlib), or 1 + enum pmd_engine. */
	int compressor;
};

/* Server: one way of answering permessage-deflate offers, for a role that
 * asks a client for a parameter only when its offer allows it (Autobahn's
 * 13.x cases in the server role).  (deflate-cases helper) */
struct sess_pmd_answer {
	struct pmd_server_cfg cfg;
	/* 1: only offers carrying client_no_context_takeover (resp.
	 * client_max_window_bits, with or without a value) are answered with
	 * this configuration; the others are not candidates. */
	int need_client_no_context_takeover;
	int need_client_max_window_bits;
};

/* Options of the opening handshake. */
struct sess_open_opts {
	/* Client: the request template.  host, port, target and the nonce
	 * are filled in from the URL and the generator when left NULL/0. */
	struct hs_req_desc req;
	/* Client: the permessage-deflate offers sent (as they appear in
	 * req.extensions) are judged against the response; say which of
	 * req.extensions are permessage-deflate offers by listing them here
	 * parsed, or leave 0 to parse req.extensions. */
	/* Server: NULL declines every extension; else permessage-deflate is
	 * negotiated with this configuration. */
	const struct pmd_server_cfg *pmd;
	/* Server, when pmd is NULL: answers[0..npmd_answers) are tried in
	 * order, each over the client's whole offer list; the first one that
	 * accepts an offer wins, and if none does every extension is
	 * declined.  (deflate-cases helper) */
	const struct sess_pmd_answer *pmd_answers;
	size_t npmd_answers;
	/* Server: subprotocols we accept, in our preference. */
	const char *const *protocols;
	size_t nprotocols;
	/* Server: edits applied to the 101 response (wrong handshakes). */
	struct hs_edits resp_edits;
};

struct sess_frame {
	uint8_t fin;
	uint8_t rsv;
	uint8_t opcode;
	int mask;            /* -1: by role, 0: unmasked, 1: masked */
	int has_key;         /* use key instead of a generated one */
	uint8_t key[4];
	uint8_t len_form;    /* WSF_LEN_AUTO, 7, 16, 64 */
	int has_announced;   /* announce this length instead of len */
	uint64_t announced;
	const uint8_t *payload;
	size_t len;
	/* For opcode 8: this Close starts (or answers) the closing handshake.
	 * 0 sends the frame as raw bytes that change no state, as Autobahn's
	 * raw frames do. */
	uint8_t protocol_close;
};

struct sess_write {
	size_t chop;         /* bytes per TCP write (0: all at once) */
	int sync;            /* each frame in its own write */
	int64_t chop_delay_us; /* pause between chops (0: none) */
};

/* A recorded event. */
struct sess_event {
	enum vd_event_type type; /* message, pong or timeout */
	uint8_t opcode;
	uint8_t *data;           /* owned */
	size_t len;
	int64_t t_ns;            /* since the session started */
	int consumed;            /* taken by sess_next_event */
};

/* One write or read in the wire log. */
struct sess_wire_rec {
	int64_t t_ns;            /* since the session started */
	uint8_t dir;             /* 0 sent by us, 1 received */
	size_t off;              /* into sess.wire */
	size_t len;
};

/* The TCP connection as the per-case captures draw it (harness/capcase.h,
 * issue 6 item 1): both endpoints, taken from the socket at the first wire
 * record, and when wsprobe's side ended it. */
struct sess_tcp {
	int known;               /* family .. peer_port are set */
	uint8_t family;          /* 4 or 6 */
	uint8_t local[16], peer[16]; /* IPv4 in the first 4 bytes */
	uint16_t local_port, peer_port;
	int64_t wall0_ns;        /* CLOCK_REALTIME when t0_ns was taken */
	int64_t shut_ns;         /* we sent FIN (shutdown) at, since t0; -1 */
	int64_t closed_ns;       /* we closed the socket at, since t0; -1 */
};

enum sess_state {
	SESS_NEW = 0,    /* not connected / handshake not done */
	SESS_OPEN,       /* handshake done */
	SESS_CLOSING,    /* a Close was sent or received */
	SESS_CLOSED      /* TCP is gone */
};

struct sess {
	struct sess_cfg cfg;
	struct net_conn conn;
	enum sess_state state;
	int64_t t0_ns;
	uint64_t rng;

	/* Handshake. */
	int opened;
	char open_error[256];
	char *http_request;   /* owned, NUL-terminated */
	size_t http_request_len; /* server: raw bytes read, head and early frames */
	char *http_response;
	int pmd_on;
	struct pmd_agreed pmd;
	struct pmd_deflater *defl;
	struct pmd_deflate_cfg defl_cfg; /* defl's parameters */
	struct pmd_inflater *infl;
	char req_path[1024];  /* server: the request target */

	/* Receiving. */
	struct msg_decoder md;
	uint8_t rbuf[65536];
	size_t rlen;           /* bytes in rbuf not yet decoded */
	uint8_t *mbuf;         /* message being assembled (inflated) */
	size_t mlen, mcap;
	size_t mhint;          /* size of the last compressed message */
	uint8_t *zbuf;         /* compressed fragments not inflated yet */
	size_t zlen, zcap;
	uint8_t m_opcode, m_compressed;
	struct u8_validator m_u8;

	/* Events. */
	struct sess_event *events;
	size_t nevents, capevents;
	size_t next_unconsumed;
	uint64_t messages_in, pongs_in, pings_in;

	/* Closing facts. */
	int close_sent, close_received;
	int closed_by_me;
	int failed_by_me;
	int dropped_by_me;
	int has_remote_code;
	uint16_t remote_code;
	char remote_reason[128];
	int was_clean;
	char not_clean_reason[160];
	enum net_end end;

	/* A protocol violation in what the peer sent. */
	int violation;           /* WSP_E_* code, 0 if none */
	int pending_fail;        /* close code, deliver_before_fail */
	/* Replies that came due while one of our writes was in progress: they
	 * wait until it is complete, so a Pong or a Close never lands in the
	 * middle of a frame we are sending. */
	int writing;
	uint8_t deferred[1024];
	size_t deferred_len;
	int deferred_close_reply;
	int deferred_fail;
	int pending_close;       /* Close reply owed, deliver_before_fail */
	char violation_text[256];

	/* Wire log. */
	uint8_t *wire;
	size_t wire_len, wire_cap;
	struct sess_wire_rec *recs;
	size_t nrecs, caprecs;
	int wire_truncated;
	uint64_t bytes_out, bytes_in;
	struct sess_tcp tcp;
	/* Sees every byte read or written as it crosses, whatever the wire
	 * log keeps (sess_set_wire_tap). */
	sess_wire_tap_fn wire_tap;
	void *wire_tap_ctx;
};

/* Sets (fn non-NULL) or clears the wire tap: fn is called with every
 * chunk of bytes the session reads (dir 1) or writes (dir 0), in wire
 * order, t_ns after sess_init, including what the wire log no longer keeps
 * (its bound, s:stop_wirelog); kept says whether the log kept the chunk.
 * Bytes that crossed before the call are not repeated: the caller reads
 * them from the log. */
void sess_set_wire_tap(struct sess *s, sess_wire_tap_fn fn, void *ctx);

/* Prepares s (no I/O).  Returns 0 or WSP_E_INVAL. */
int sess_init(struct sess *s, const struct sess_cfg *cfg);

/* Frees everything and closes the connection if still open. */
void sess_free(struct sess *s);

/* Client: connects to u (TLS with t when u is wss), sends the opening
 * handshake and validates the response.  Returns 0 when the connection
 * is open; otherwise a negative code with s->open_error saying why in one
 * line (connect failure codes: WSP_E_NET_*; a bad response: the first
 * WSP_E_HS_* or WSP_E_PMD_* violation). */
int sess_connect(struct sess *s, const struct url *u, struct net_tls *t,
		 const struct sess_open_opts *o);

/* Server: takes over an accepted connection c (TLS already done or not)
 * and reads the request head; the target is in s->req_path.  Returns 0, or
 * a negative code with s->open_error set (the request was answered with an
 * HTTP error when it was malformed, and the bytes read are kept in
 * s->http_request). */
int sess_read_request(struct sess *s, struct net_conn *c);

/* Server: answers the request read by sess_read_request: 101 with the
 * negotiated extension and subprotocol, or 400/426 when the request breaks
 * RFC 6455 section 4 (open then fails).  Returns 0 when open. */
int sess_accept(struct sess *s, const struct sess_open_opts *o);

/* Sends frames[0..n) (encoded as asked, masked per role unless told),
 * split into writes as w says.  Returns 0, or a negative code when the
 * connection is gone (the bytes not sent are dropped). */
int sess_send_frames(struct sess *s, const struct sess_frame *frames,
		     size_t n, const struct sess_write *w);

/* Sends a message of type opcode: compressed when permessage-deflate is
 * on and compress is not 0 (compress -1 means "when agreed"), in frames of
 * fragment payload bytes (0: one frame). */
int sess_send_message(struct sess *s, uint8_t opcode, const uint8_t *data,
		      size_t len, size_t fragment, int compress,
		      const struct sess_write *w);

/* The same, for a message the caller names (harness/zcache.h): bytes from
 * offset 'from' of a source called name, which always stand for the same
 * bytes within the process.  When our compressor starts every message
 * afresh, the compressed form is taken from the process's cache, or made
 * and stored there; the bytes sent are the same either way.  A NULL
 * reuse is sess_send_message. */
struct sess_reuse {
	const char *name;
	size_t name_len;
	uint64_t from;
};
int sess_send_message_reused(struct sess *s, uint8_t opcode,
			     const uint8_t *data, size_t len, size_t fragment,
			     int compress, const struct sess_write *w,
			     const struct sess_reuse *reuse);
/* Would a message of len bytes be looked up (permessage-deflate on, our
 * compressor fresh for each message, len at least ZC_MIN_LEN, a cache
 * budget)?  Lets a caller skip naming a message that would not be. */
int sess_reuse_would_apply(const struct sess *s, size_t len);

/* Encodes one frame as sess_send_frames would send it (masked per role
 * unless told, the key drawn from the session's generator) into a new
 * buffer of *outlen bytes that the caller frees; NULL when out of memory.
 * For cases that build byte streams themselves (several frames in one TCP
 * write, a frame written in pieces). */
uint8_t *sess_encode_frame(struct sess *s, const struct sess_frame *f,
			   size_t *outlen);

/* Sends raw bytes. */
int sess_send_raw(struct sess *s, const uint8_t *data, size_t len,
		  const struct sess_write *w);

/* Processes input until the deadline, or until a new event is recorded
 * (until_event), or until the connection is closed.  Returns 1 when a new
 * event arrived, 0 at the deadline or once closed. */
int sess_pump(struct sess *s, struct clk_deadline dl, int until_event);

/* Records a timeout event with tag (Autobahn's continueLater mark) when the
 * connection is still open. */
void sess_mark_timeout(struct sess *s, const char *tag, size_t len);

/* The next event not yet consumed (message or pong), waiting until the
 * deadline; marks it consumed.  NULL at the deadline or once closed. */
const struct sess_event *sess_next_event(struct sess *s,
					 struct clk_deadline dl);

/* Frees the events sess_next_event has handed out, so that a long-lived
 * session (the echo server) keeps no more than it is working on.  Pointers
 * returned earlier by sess_next_event become invalid. */
void sess_release_consumed(struct sess *s);

/* Starts the closing handshake (if no Close was sent yet) with an empty
 * payload (has_code 0) or code and reason, then waits for it to complete
 * as the role prescribes.  Returns when TCP is closed. */
void sess_close(struct sess *s, int has_code, uint16_t code,
		const char *reason, size_t reason_len);

/* Fails the connection (Autobahn's kill): Close with code, a short wait
 * for the peer's Close, then TCP is dropped. */
void sess_fail(struct sess *s, uint16_t code, const char *reason);

/* Drops TCP now (no Close). */
void sess_drop(struct sess *s);

/* Fills what verdict.h needs about the close. */
void sess_observed_close(const struct sess *s, struct vd_observed_close *oc);

/* Scaled timer: ms * timeout_scale. */
int64_t sess_scaled_ms(const struct sess *s, double seconds);

/* The next 64 bits of the session's generator. */
uint64_t sess_rand(struct sess *s);

#endif
