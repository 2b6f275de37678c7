/*
 * wsf.h: the RFC 6455 frame codec (section 5.2): a streaming decoder, an
 * encoder that writes whatever field values it is asked for, and a check
 * that lists what is wrong with one frame header.
 *
 * The frame layer knows one frame at a time.  Rules that depend on earlier
 * frames (continuation without a start, a data frame inside a fragmented
 * message, UTF-8 across fragments, close codes) belong to the message layer,
 * msg.h.  Nothing here allocates, does I/O or keeps global state.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 */
#ifndef WSF_H
#define WSF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wsp.h"

/* The longest header: 2 bytes + 8 bytes of 64-bit length + 4 bytes of key. */
#define WSF_MAX_HEADER 14

/* The most violations one header can show (every rule of wsf_check). */
#define WSF_MAX_VIOL 12

/* Which encoding carried the payload length. */
enum wsf_len_form {
	WSF_LEN_AUTO = 0, /* encoder only: the minimal form */
	WSF_LEN_7 = 7,
	WSF_LEN_16 = 16,
	WSF_LEN_64 = 64
};

/* Every field of one frame header, as found on the wire. */
struct wsf_header {
	uint8_t fin;         /* 0 or 1 */
	uint8_t rsv;         /* RSV1..3 as WSP_RSV1|WSP_RSV2|WSP_RSV3 (0..7) */
	uint8_t opcode;      /* 0..15, reserved values included */
	uint8_t masked;      /* the MASK bit, 0 or 1 */
	uint8_t mask_key[4]; /* valid when masked */
	uint8_t len_form;    /* WSF_LEN_7, WSF_LEN_16 or WSF_LEN_64 */
	uint8_t header_len;  /* 2..14 bytes */
	uint64_t payload_len; /* as announced; may be >= 2^63 on hostile input */
};

/* What the receiver has agreed to, against which a header is judged. */
struct wsf_policy {
	/* RSV bits a negotiated extension defines (WSP_RSV1 once
	 * permessage-deflate is agreed); any other set bit is a violation
	 * (R6455-5.2-02, R6455-5.2-03). */
	uint8_t rsv_allowed;
	/* The role of the party that SENT the frames: WSP_ROLE_CLIENT frames must
	 * be masked (R6455-5.1-01), WSP_ROLE_SERVER frames must not be
	 * (R6455-5.1-04); WSP_ROLE_ANY skips the masking rule. */
	enum wsp_role sender;
};

/*
 * wsf_check lists, in a fixed order, the codes (WSP_E_WSF_*, see
 * proto/err/wsf.def) of every rule header h breaks under policy p: reserved
 * opcode, each RSV bit not allowed, control frame longer than 125 bytes,
 * fragmented control frame, 64-bit length with the top bit set, a length in
 * more bytes than needed, the mask bit wrong for the sender's role.
 * Writes at most max codes into viol and returns how many rules are broken
 * (which may exceed max; viol may be NULL when max is 0).  p may be NULL:
 * no extension, role not judged.  Only the low bits of fin and masked (1)
 * and opcode (4) are read, as wsf_encode_header writes them.  Pure: the
 * decoder reports exactly this list for every header it completes.
 */
size_t wsf_check(const struct wsf_header *h, const struct wsf_policy *p,
		 int *viol, size_t max);

/* --------------------------------------------------------------------------
 * Decoder
 */

/* The decoder state.  The caller embeds it (on the stack or in a connection)
 * and initialises it with wsf_decoder_init; fields are private. */
struct wsf_decoder {
	struct wsf_policy policy;
	struct wsf_header hdr;   /* the current frame's header */
	uint8_t hbuf[WSF_MAX_HEADER]; /* header bytes collected so far */
	uint8_t hlen;            /* bytes in hbuf */
	uint8_t state;           /* private */
	uint64_t remaining;      /* payload bytes still to come */
	uint64_t offset;         /* payload bytes delivered so far */
	int viol[WSF_MAX_VIOL];  /* violations of the current header */
	size_t nviol;
};

/* Flags of a decoder event. */
#define WSF_EV_HEADER 1u /* hdr was completed by this call; viol lists its violations */
#define WSF_EV_END 2u    /* the frame's last payload byte was delivered */

/* One step of decoding.  A call yields at most one frame's worth: the header
 * (if it completed), the payload bytes available in the input, and the end
 * of the frame (if reached).  A frame wholly inside the input comes back in
 * one call with flags WSF_EV_HEADER | WSF_EV_END. */
struct wsf_event {
	unsigned flags;
	const struct wsf_header *hdr; /* valid until the next call */
	const int *viol;   /* violations of hdr (with WSF_EV_HEADER, else 0) */
	size_t nviol;
	uint8_t *data;     /* payload slice inside the caller's buffer, unmasked */
	size_t len;        /* bytes at data; may be 0 */
	uint64_t offset;   /* offset of data within the frame's payload */
};

/* Resets d for a new stream of frames judged under p (NULL: no extension,
 * role not judged).  p is copied, not kept. */
void wsf_decoder_init(struct wsf_decoder *d, const struct wsf_policy *p);

/* Non-zero when d sits between two frames (no header bytes collected, no
 * payload outstanding): a stream that ends while this is 0 ends inside a
 * frame. */
int wsf_decoder_idle(const struct wsf_decoder *d);

/* Passes over up to len payload bytes of the frame under way without
 * reading them (nothing to unmask, no event): for a reader that has kept
 * all of a payload it wants.  Returns how many it passed, always fewer than
 * the payload still to come, so the frame's last byte and WSF_EV_END come
 * from wsf_decode; 0 when d is not inside a payload (between frames, in a
 * header, or right after the header when wsf_decode has not returned yet).
 * wsf_decode then goes on at the right offset and mask phase. */
size_t wsf_skip(struct wsf_decoder *d, size_t len);

/*
 * Decodes from buf[0..len).  Returns the number of bytes consumed (>= 0) and
 * fills *ev.  When ev->flags is 0 and ev->len is 0, every byte was consumed
 * and more input is needed.  Payload bytes are unmasked IN PLACE in buf (the
 * key offset is carried across calls), so buf must be writable; ev->data
 * points into buf and is valid as long as buf is.  Header bytes split across
 * calls are kept in d, so the caller may discard consumed bytes.
 *
 * Call it in a loop, advancing by the return value, until all of buf is
 * consumed.  Each call stops at the end of a frame, so a buffer holding
 * three whole frames takes three calls, each reporting WSF_EV_HEADER |
 * WSF_EV_END with the whole payload in ev->data.  A frame split across
 * buffers gives WSF_EV_HEADER on the call that completed its header, payload
 * slices with increasing ev->offset, and WSF_EV_END with the last slice (for
 * an empty payload, with the header).  The header stays readable through
 * ev->hdr until the next call.
 *
 * The decoder never fails and never allocates: violations are reported in
 * ev->viol and decoding goes on, so the same code serves the harness (which
 * stops at the first violation) and the dissector (which records it and
 * keeps going).  A frame announcing 2^63 bytes costs nothing: the payload is
 * only ever handed out in slices of the caller's buffer.
 *
 * Any chunking of the same bytes yields the same headers, violations and
 * payload bytes.  d and ev must not be NULL; buf may be NULL when len is 0.
 * An empty buf yields no event.
 */
ssize_t wsf_decode(struct wsf_decoder *d, uint8_t *buf, size_t len,
		   struct wsf_event *ev);

/* --------------------------------------------------------------------------
 * Encoder: obeys the caller, valid or not.
 */

struct wsf_frame {
	uint8_t fin;       /* written as given (only bit 0 used) */
	uint8_t rsv;       /* 0..7 */
	uint8_t opcode;    /* 0..15 */
	uint8_t masked;    /* MASK bit */
	uint8_t mask_key[4];
	uint8_t len_form;  /* WSF_LEN_AUTO (minimal), 7, 16 or 64 */
	uint64_t payload_len; /* the length to announce, any value */
};

/* Writes the header for f into out (at least WSF_MAX_HEADER bytes).
 * Returns its size (2..14), or WSP_E_INVAL when the length cannot be written
 * in the requested form (over 125 in the 7-bit form, whose values 126 and
 * 127 are the markers of the longer forms; over 65535 in the 16-bit form) or
 * len_form is not one of WSF_LEN_*.  Non-minimal forms, top-bit 64-bit
 * lengths, reserved opcodes, over-long control frames and unmasked client
 * frames are written as asked.  Only the low bits of fin (1), rsv (3) and
 * opcode (4) are used. */
int wsf_encode_header(uint8_t *out, const struct wsf_frame *f);

/* Writes header and payload (masked with f->mask_key when f->masked) into
 * out[0..cap).  payload_len bytes are copied from payload whatever
 * f->payload_len announces, so a frame can lie about its length.  Returns
 * the total size, WSP_E_NOSPACE when cap is too small, or WSP_E_INVAL as
 * wsf_encode_header. */
ssize_t wsf_encode(uint8_t *out, size_t cap, const struct wsf_frame *f,
		   const uint8_t *payload, size_t payload_len);

/* XORs data[0..len) with key, starting at key byte (offset % 4).  Masking
 * and unmasking are the same transform (R6455-5.3-05). */
void wsf_mask(uint8_t *data, size_t len, const uint8_t key[4],
	      uint64_t offset);

#endif
