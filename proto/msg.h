/*
 * msg.h: the message layer (RFC 6455 sections 5.4, 5.5, 5.6, 6.2, 10.4;
 * RFC 7692 section 6.1), on top of the frame decoder of wsf.h.
 *
 * The frame layer judges one header at a time; this layer judges the
 * sequence: which data frames belong to which message, continuation frames
 * with no message (R6455-5.4-03), a new message inside an unfinished one
 * (R6455-5.4-07), control frames interleaved (fine, R6455-5.4-08), frames
 * after a Close (R6455-5.5.1-06), RSV1 under permessage-deflate on control
 * and continuation frames (R7692-6.1-05), the configured size limits
 * (R6455-10.4-01) and UTF-8 in text messages across fragments
 * (R6455-5.6-01, R6455-8.1-01).  Close payloads are parsed with wsc_parse.
 *
 * Input is either raw bytes (msg_feed, which runs a wsf decoder inside) or
 * the events of a caller's own wsf_decode (msg_frame).  Output is a stream
 * of events handed to a callback, several per call when the input holds
 * them.  For each frame, in order:
 *
 *   MSG_EV_FRAME       the header is complete
 *   MSG_EV_VIOLATION   each rule the header breaks (wsf's, then this
 *                      layer's), as soon as it is known
 *   MSG_EV_DATA        payload of a data frame, in slices (any number,
 *                      depending on how the input was split)
 *   MSG_EV_VIOLATION   invalid UTF-8, right after the slice that ends before
 *                      the offending byte
 *   MSG_EV_CONTROL     a control frame, once complete (payload buffered here,
 *                      at most 125 bytes)
 *   MSG_EV_VIOLATION   a bad Close payload, right after its MSG_EV_CONTROL
 *   MSG_EV_END         after the last frame of a message
 *
 * Strictness is a setting (STYLE.md, principle 4).  Lenient (the dissector)
 * reports each violation and goes on as far as the structure allows: a
 * continuation with no message starts an "orphan" message of opcode 0, a
 * new data frame inside a fragmented message ends the old one (MSG_EV_END
 * with aborted set) and starts the new one, and everything else is decoded
 * as if the rule had been kept.  Strict (the harness) stops at the first
 * violation: the call returns its code, the violation is the last event
 * delivered, and the decoder stays stopped (every later call returns the
 * same code, consumes nothing and reports nothing) until msg_free.
 *
 * Memory: nothing is allocated unless whole-message reassembly is asked for
 * with a ceiling (msg_config.reasm_max), in a caller buffer or through a
 * struct wsp_mem.  Without it, data is only reported as slices of the
 * caller's input.  Nothing here does I/O or keeps global state.
 *
 * Compressed messages (RSV1 on the first frame once permessage-deflate is
 * negotiated) are NOT checked for UTF-8 here: their payload is deflate
 * data (R7692-6.1-08).  The caller inflates it with pmd and runs u8 on the
 * output.  The size limits apply to the bytes on the wire; limiting the
 * inflated size is pmd's job.
 */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>

#include "u8.h"
#include "wsc.h"
#include "wsf.h"
#include "wsp.h"
#include "wsp_mem.h"

/* Control frames carry at most 125 payload bytes (R6455-5.5-01). */
#define MSG_CTRL_MAX 125

struct msg_config {
	/* The role of the party that sent the bytes and the RSV bits
	 * negotiated extensions define, as for wsf.  WSP_RSV1 in
	 * policy.rsv_allowed means permessage-deflate was negotiated: RSV1
	 * marks a compressed message on its first frame and is a violation
	 * anywhere else (R7692-6.1-05). */
	struct wsf_policy policy;
	/* 0: lenient, record violations and keep going; 1: strict, stop at
	 * the first one. */
	int strict;
	/* The largest message, in payload bytes on the wire (0: no limit).
	 * Checked against the lengths frame headers ANNOUNCE, before any of
	 * their payload arrives, so a 2^63-byte frame costs nothing
	 * (R6455-10.4-01; the harness then closes with 1009). */
	uint64_t max_message;
	/* The most frames one data message may span (0: no limit). */
	uint64_t max_fragments;
	/* Whole-message reassembly, off when reasm_max is 0.  With reasm_buf
	 * set, messages are gathered in the caller's reasm_buf[0..reasm_max);
	 * without, in memory from mem (NULL: the C library) grown as needed
	 * up to reasm_max bytes and released by msg_free.  A message larger
	 * than the ceiling is still reported in slices; only its
	 * MSG_EV_END comes without the whole (truncated set). */
	uint8_t *reasm_buf;
	size_t reasm_max;
	const struct wsp_mem *mem;
};

enum msg_event_type {
	MSG_EV_FRAME = 1,  /* a frame header was completed */
	MSG_EV_DATA = 2,   /* payload of a data message */
	MSG_EV_END = 3,    /* a data message ended */
	MSG_EV_CONTROL = 4, /* a complete control frame */
	MSG_EV_VIOLATION = 5 /* a rule was broken */
};

/* One event.  Every pointer in it is valid during the callback only (data
 * points into the caller's input or into the decoder); copy what must
 * outlive it. */
struct msg_event {
	enum msg_event_type type;
	/* The frame the event belongs to: its index in the stream (from 0),
	 * the stream offset of its first header byte (counted by msg_feed; 0
	 * through msg_frame) and its header. */
	uint64_t frame;
	uint64_t frame_pos;
	const struct wsf_header *hdr;
	/* DATA and END: the message's index in the stream (from 0), its
	 * type (the opcode of its first frame: WSP_OP_TEXT, WSP_OP_BINARY, a
	 * reserved data opcode, or 0 for a lenient-mode orphan), and whether
	 * it is compressed (RSV1 on its first frame under
	 * permessage-deflate).  FRAME, CONTROL and VIOLATION: opcode is
	 * the frame's (message and compressed are 0). */
	uint64_t message;
	uint8_t opcode;
	uint8_t compressed;
	/* DATA: first slice of the message / slice that completes it (a
	 * zero-length slice carries last when the final frame is empty).
	 * Every complete message has one DATA with first and one with last
	 * (possibly the same). */
	uint8_t first;
	uint8_t last;
	/* END: the message did not complete (lenient recovery, or the
	 * stream ended: msg_finish); no last slice was reported. */
	uint8_t aborted;
	/* CONTROL: the frame announced more than 125 bytes and only the first
	 * 125 are in data.  END: reassembly was on but the message did not
	 * fit under the ceiling, so data is NULL. */
	uint8_t truncated;
	/* DATA: the slice.  CONTROL: the payload (at most 125 bytes).  END:
	 * the whole message when reassembly is on and it fit, else NULL. */
	const uint8_t *data;
	size_t len;
	/* DATA: offset of data within the message.  VIOLATION: for invalid
	 * UTF-8, the offset within the message of the first invalid byte (the
	 * message length for a truncated sequence); else 0. */
	uint64_t offset;
	/* END: the message's size in bytes.  CONTROL: the payload length the
	 * header announced. */
	uint64_t size;
	/* VIOLATION: the WSP_E_* code and wsp_errreq(code).  CONTROL: for a
	 * Close, wsc_parse's result (WSP_E_WSC_TOO_LONG when truncated). */
	int code;
	const char *req;
	/* CONTROL with opcode WSP_OP_CLOSE: the parsed payload. */
	struct wsc_close close;
};

/* The decoder.  The caller embeds it and initialises it with msg_init;
 * every field is private. */
struct msg_decoder {
	struct msg_config cfg;
	struct wsf_decoder dec; /* used by msg_feed only */
	struct wsf_header hdr;  /* the current frame's header */
	int failed;             /* strict stop or fatal code, else 0 */
	uint64_t nframes;
	uint64_t nmessages;
	uint64_t pos;           /* stream bytes consumed by msg_feed */
	uint64_t frame_pos;
	uint8_t in_frame;       /* a header was seen, its end not yet */
	uint8_t frame_ctl;      /* the current frame is a control frame */
	uint8_t closed;         /* a Close frame was received */
	/* The data message in progress. */
	uint8_t in_msg;
	uint8_t msg_opcode;
	uint8_t msg_compressed;
	uint8_t msg_check_u8;
	uint8_t msg_started;    /* a DATA slice has been reported */
	uint8_t msg_too_big;    /* MSG_TOO_BIG reported for it */
	uint8_t msg_too_many;   /* MSG_TOO_MANY_FRAGMENTS reported for it */
	uint64_t msg_index;
	uint64_t msg_size;      /* bytes reported */
	uint64_t msg_announced; /* sum of the lengths its headers announced */
	uint64_t msg_frames;
	struct u8_validator u8;
	/* The control frame in progress. */
	uint8_t ctl[MSG_CTRL_MAX];
	size_t ctl_len;
	/* Reassembly. */
	uint8_t *rbuf;
	size_t rcap;
	size_t rlen;
	uint8_t roverflow;
	uint8_t rowned;         /* rbuf came from cfg.mem */
};

/* Initialises m for a new stream.  cfg is copied (NULL: lenient, no
 * limits, no extension, role not judged, no reassembly); a reasm_buf in it
 * is used, not owned.  Returns 0, or WSP_E_INVAL when reasm_buf is set with
 * a zero reasm_max.  Allocates nothing; msg_free releases what reassembly
 * allocated later. */
int msg_init(struct msg_decoder *m, const struct msg_config *cfg);

/* Releases reassembly memory (if any was allocated).  m may be initialised
 * again afterwards. */
void msg_free(struct msg_decoder *m);

/*
 * Decodes buf[0..len) and calls cb(ev, user) for every event it yields.
 * Payload is unmasked in place, so buf must be writable; DATA events point
 * into it.  *consumed gets the number of bytes used.
 *
 * Returns 0 with *consumed == len: every byte was used (a frame may be left
 * open for the next call).  Any chunking of a stream yields the same events
 * apart from how DATA is sliced.
 *
 * Strict mode returns the code of the first violation instead, with
 * *consumed counting the bytes up to and including where it was found: the
 * end of the header for a rule the header breaks (no payload is reported
 * for that frame), the offending byte for invalid UTF-8, the end of the
 * frame for a bad Close payload.  Bytes after *consumed may already have been
 * unmasked.  The decoder then stays stopped (see above).
 *
 * WSP_E_NOMEM (fatal) when growing the reassembly buffer failed; the
 * decoder is then stopped and may only be freed.
 */
int msg_feed(struct msg_decoder *m, uint8_t *buf, size_t len,
	     size_t *consumed,
	     void (*cb)(const struct msg_event *ev, void *user), void *user);

/*
 * The same for a caller who runs wsf_decode itself: handles one event of
 * it (of a decoder initialised with the same policy).  Returns 0, the
 * violation code in strict mode, or WSP_E_NOMEM, as msg_feed.  frame_pos is
 * 0 in the events, since the stream position is not known here.
 */
int msg_frame(struct msg_decoder *m, const struct wsf_event *ev,
	      void (*cb)(const struct msg_event *ev, void *user), void *user);

/*
 * The stream has ended (the connection closed).  Returns 0 when it ended
 * between messages and frames; WSP_E_INCOMPLETE when it ended inside a frame
 * or a fragmented message, after an MSG_EV_END with aborted set for a
 * message in progress.  That is not a violation in itself (the peer may have
 * failed the connection); the caller judges it.  In strict mode after a
 * violation it returns that violation.  Only msg_free may follow.
 */
int msg_finish(struct msg_decoder *m,
	       void (*cb)(const struct msg_event *ev, void *user), void *user);

/* Non-zero once a Close frame has been received. */
int msg_close_received(const struct msg_decoder *m);

/* A short name for an event type ("frame", "data", ...); static storage. */
const char *msg_event_name(enum msg_event_type t);

#endif
