/*
 * res_wire.h: splits a recorded wire log back into what crossed the wire,
 * one direction at a time: the HTTP head of the opening handshake, then
 * WebSocket frames decoded with proto/wsf.h (header fields, the
 * violations wsf_check finds, the unmasked payload), or raw bytes when
 * what follows the head is not WebSocket (an answer other than 101).
 *
 * Used twice: when a case ends (res_wire_begin/add/end in res.h, which
 * count frames per opcode and find the Close frame wsprobe sent, over the
 * whole log even beyond what results.json keeps) and when a report is
 * rendered (index.html, the JUnit excerpt, Autobahn's wirelog, from the
 * bytes results.json kept).  Bytes are fed in record order; items come
 * out in the order they completed, which is the order of the wire.
 *
 * Nothing here trusts the bytes: lengths are peer-controlled (a frame may
 * announce 2^63 bytes), so payload is only kept up to keep_max per item.
 */
#ifndef RES_WIRE_H
#define RES_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "wsf.h"

enum rw_kind {
	RW_HEAD,    /* an HTTP request or response head (up to CRLF CRLF) */
	RW_FRAME,   /* a WebSocket frame */
	RW_RAW      /* bytes that are neither (after a non-101 answer) */
};

/* The longest HTTP head looked for; a longer one is raw bytes. */
#define RW_HEAD_MAX 65536

struct rw_item {
	enum rw_kind kind;
	int dir;                 /* 0 sent by wsprobe, 1 received */
	size_t first_rec, last_rec; /* records holding its first/last byte */
	struct wsf_header hdr;   /* RW_FRAME */
	int viol[WSF_MAX_VIOL];  /* RW_FRAME: wsf_check codes */
	size_t nviol;
	const uint8_t *data;     /* head text, payload (unmasked), raw bytes:
				  * the first len bytes, valid during the
				  * callback only */
	size_t len;
	uint64_t total;          /* bytes of head/raw, or payload bytes seen */
	int complete;            /* 0: the log ended inside it */
};

typedef void (*rw_cb)(void *ctx, const struct rw_item *it);

struct rw_dir {
	int state;               /* private */
	struct wsf_decoder dec;
	uint8_t match[8];
	size_t nmatch;
	uint8_t start[16];       /* the first bytes of a head */
	size_t nstart;
	struct rw_item cur;
	uint8_t *buf;            /* kept bytes of cur */
	size_t cap;
	int active;              /* cur has begun */
};

struct rw_scan {
	struct rw_dir d[2];
	size_t keep_max;
	rw_cb cb;
	void *ctx;
	int oom;                 /* an allocation failed: data was cut */
};

/* Prepares a scan.  we_client: wsprobe was the client (the sender role of
 * direction 0 for the masking rule; the peer is the other role).
 * rsv_allowed: RSV bits an agreed extension defines (WSP_RSV1 with
 * permessage-deflate).  keep_max: payload bytes kept per item. */
void rw_init(struct rw_scan *s, int we_client, uint8_t rsv_allowed,
	     size_t keep_max, rw_cb cb, void *ctx);

/* Feeds the bytes of record rec, in direction dir (0 or 1).  Calls cb for
 * each item it completes. */
void rw_feed(struct rw_scan *s, int dir, size_t rec, const uint8_t *p,
	     size_t n);

/* Ends both directions: an item begun but not complete is handed to cb
 * with complete 0.  Frees what the scan holds. */
void rw_finish(struct rw_scan *s);

/* WSP_RSV1 when the handshake response agreed permessage-deflate (a
 * Sec-WebSocket-Extensions line naming it), else 0. */
uint8_t rw_rsv_from_response(const char *http_response);

/* The name of an opcode: "CONT", "TEXT", "BINARY", "CLOSE", "PING",
 * "PONG", or "RESERVED". */
const char *rw_opcode_name(unsigned opcode);

#endif
