/*
 * hs.h: the RFC 6455 opening handshake (section 4) as a pure codec.
 *
 * Four parts, none of which does I/O, allocates, keeps global state or
 * draws random numbers (the 16-byte nonce comes from the caller):
 *
 *   1. An incremental HTTP/1.1 head parser for the upgrade request and its
 *      response (hs_parse_request, hs_parse_response), picohttpparser
 *      style: the caller appends bytes and calls again; the parser keeps no
 *      state of its own and points into the caller's buffer.
 *   2. Header helpers: case-insensitive lookup, repeated headers and the
 *      comma-separated lists of RFC 7230 section 7.
 *   3. Validation that lists EVERY section 4 rule a request or a response
 *      breaks (hs_check_request, hs_check_response, hs_check_version_reject),
 *      each as a WSP_E_HS_* code carrying its requirement id.
 *   4. Builders for both messages that obey the caller: any header can be
 *      omitted, replaced or repeated, any start-line field set, raw lines
 *      added, so the conformance harness can send wrong handshakes too.
 *      Plus the key/accept computation (OpenSSL SHA-1) and a strict base64
 *      codec.
 *
 * The Sec-WebSocket-Extensions grammar is ext.h's; the meaning of
 * permessage-deflate parameters is pmd.h's.  Here extensions are judged
 * generically: does the header parse, and was each name offered.
 */
#ifndef HS_H
#define HS_H

#include <stddef.h>
#include <stdint.h>

/* Default cap on the size of a head, request or status line through the
 * blank line inclusive. */
#define HS_DEFAULT_MAX_HEAD 16384u

/* The most violations hs_check_* can report: every code at most once. */
#define HS_MAX_VIOL 32

/* A Sec-WebSocket-Accept value is 28 base64 characters (20 SHA-1 bytes);
 * a Sec-WebSocket-Key from a 16-byte nonce is 24. */
#define HS_ACCEPT_LEN 28
#define HS_KEY_LEN 24
#define HS_NONCE_LEN 16

/* Extension elements read per Sec-WebSocket-Extensions header when judging
 * which names were offered and which were answered (see hs_ext_offered). */
#define HS_MAX_EXT 16

/* Subprotocol elements among which duplicates are looked for (R6455-4.1-37):
 * a bound, so that a hostile list of thousands costs linear time. */
#define HS_MAX_DUP_CHECK 256

/* One header field; both slices point into the parsed buffer.  The value has
 * its leading and trailing SP/HT removed. */
struct hs_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Flags the parser sets for deliberate leniencies (hs_msg.flags).  The
 * parse succeeds; hs_check_* turn them into violations. */
#define HS_F_BARE_LF 0x1u      /* a line ended with LF alone, not CRLF */
#define HS_F_NO_REASON_SP 0x2u /* "HTTP/1.1 101" with no SP before CRLF */

/*
 * A parsed head, request or response.  Set the three input fields (or call
 * hs_msg_init), then call a parser; the output fields are valid after it
 * returns a positive length, and point into the caller's buffer, so they stay
 * valid as long as that buffer is neither freed nor moved.
 */
struct hs_msg {
	/* In: the caller's header array and its capacity, and the head cap
	 * (0 means HS_DEFAULT_MAX_HEAD). */
	struct hs_header *headers;
	size_t header_cap;
	size_t max_head;

	/* Out. */
	const char *method; /* request only */
	size_t method_len;
	const char *target; /* request only */
	size_t target_len;
	int status;         /* response only, 0..999 */
	const char *reason; /* response only, may be empty */
	size_t reason_len;
	const char *version; /* "HTTP/1.1": always 8 bytes once parsed */
	size_t version_len;
	int http_major, http_minor; /* its two digits as numbers */
	size_t nheaders;
	unsigned flags;     /* HS_F_* */
	size_t head_len;    /* bytes of the head, the blank line included */
};

/* Fills m with its inputs and zeroes every output (max_head becomes the
 * default).  headers[0..cap) is the caller's; m keeps the pointer. */
void hs_msg_init(struct hs_msg *m, struct hs_header *headers, size_t cap);

/*
 * hs_parse_request / hs_parse_response parse buf[0..len) as an HTTP/1.1
 * request head ("GET /chat HTTP/1.1" + headers) or status head
 * ("HTTP/1.1 101 Switching Protocols" + headers).
 *
 * Incremental use: call with what has arrived; on WSP_E_INCOMPLETE append
 * more bytes (the first len bytes unchanged; the buffer may move) and call
 * again passing the previous len as last_len (0 the first time).  The search
 * for the end of the head resumes at last_len, so a head delivered one byte
 * per call costs linear time in total (the quadratic rescan of
 * CVE-2023-43669 cannot happen).  The result never depends on how the bytes
 * were split: it is a function of buf[0..len) alone.
 *
 * Returns:
 *   > 0                  complete: the head's length (blank line included);
 *                        bytes after it (e.g. the first frames) are not
 *                        touched.  m's outputs are set.  (After a negative
 *                        result they are unspecified; after INCOMPLETE they
 *                        are left as they were.)
 *   WSP_E_INCOMPLETE     no blank line yet and the cap not reached.
 *   WSP_E_HS_HEAD_TOO_BIG the head is (or would be) longer than m->max_head
 *                        (or than INT_MAX, whatever max_head says).
 *   WSP_E_HS_TOO_MANY_HEADERS more than m->header_cap header lines.
 *   WSP_E_HS_REQ_* / WSP_E_HS_RESP_* parse codes (CTL, BARE_CR, START_LINE,
 *                        HTTP_VERSION, STATUS, OBS_FOLD, HDR_SYNTAX): the head
 *                        is not valid HTTP (R6455-4.1-19, R6455-4.2.2-13).
 *   WSP_E_INVAL          NULL arguments or last_len > len.
 *
 * What is accepted (documented leniency):
 *   - Lines end in CRLF; a bare LF is tolerated and sets HS_F_BARE_LF.  A CR
 *     that is not followed by LF is an error.
 *   - A control byte (0x00-0x08, 0x0A-0x1F except CR/LF, 0x7F) anywhere
 *     before the end of the head is an error, found as soon as it arrives,
 *     so binary garbage (a TLS record, say) is rejected at once.
 *   - obs-fold (a header line starting with SP or HT) is rejected, as
 *     RFC 7230 section 3.2.4 lets a recipient do.
 *   - Start lines take exactly one SP between fields; the request target is
 *     printable ASCII; the method and header names are tokens; whitespace
 *     between a header name and its colon is rejected (RFC 7230 3.2.4).
 *   - A status line without the SP before an empty reason sets
 *     HS_F_NO_REASON_SP.
 */
int hs_parse_request(struct hs_msg *m, const char *buf, size_t len,
		     size_t last_len);
int hs_parse_response(struct hs_msg *m, const char *buf, size_t len,
		      size_t last_len);

/* ---- header helpers ------------------------------------------------- */

/* The next header after prev (NULL: the first) whose name equals name
 * ASCII case-insensitively, or NULL.  Walks repeated headers in order. */
const struct hs_header *hs_find_next(const struct hs_msg *m, const char *name,
				     const struct hs_header *prev);

/* The first header named name (case-insensitive), or NULL. */
const struct hs_header *hs_find(const struct hs_msg *m, const char *name);

/* How many headers are named name (case-insensitive). */
size_t hs_count(const struct hs_msg *m, const char *name);

/*
 * Comma-separated lists (RFC 7230 section 7, #rule).  Reads the next
 * element of s[0..n) from *pos on: returns 1 and sets *elem and *elem_len to the
 * element with surrounding SP/HT removed, advancing *pos past its comma; 0
 * when no element is left.  Empty elements (", ,") are skipped, as the #rule
 * asks of recipients.  Not quote-aware (use ext_parse for extension lists).
 * Start with *pos = 0.  Linear in n over a whole walk.
 */
int hs_list_next(const char *s, size_t n, size_t *pos, const char **elem,
		 size_t *elem_len);

/* 1 when some header named name has a list element equal to tok ASCII
 * case-insensitively ("Connection: keep-alive, Upgrade" has "upgrade"). */
int hs_has_token(const struct hs_msg *m, const char *name, const char *tok);

/* ---- validation ----------------------------------------------------- */

/*
 * hs_check_request judges a parsed request the way a server must
 * (RFC 6455 sections 4.1 and 4.2.1) and lists every rule it breaks: writes
 * up to max codes (WSP_E_HS_REQ_*) into viol, each code at most once, in a
 * fixed order, and returns how many there are (0: a valid handshake).  The
 * order: BARE_LF, NOT_GET, OLD_HTTP, BAD_TARGET, NO_HOST, REPEATED_HOST,
 * NO_UPGRADE, UPGRADE_NOT_WS, NO_CONNECTION, CONNECTION_NO_UPGRADE, NO_KEY,
 * KEY_NOT_BASE64, KEY_NOT_16, REPEATED_KEY, NO_VERSION, VERSION_NOT_13,
 * REPEATED_VERSION, PROTOCOL_BAD_TOKEN, PROTOCOL_DUPLICATE, EXT_SYNTAX.
 * Origin is not required (non-browser clients may omit it, R6455-4.1-32).
 * Returns the count, or WSP_E_INVAL (req NULL, or viol NULL with max > 0).
 */
int hs_check_request(const struct hs_msg *req, int *viol, size_t max);

/*
 * The HTTP status a server should answer a request with, given the
 * violations hs_check_request found: 101 when n == 0; 426 when the version is
 * missing or not 13 (send it with Sec-WebSocket-Version: 13, R6455-4.2.2-07,
 * R6455-4.4-01); 400 otherwise (R6455-4.2.1-01).
 */
int hs_reject_status(const int *viol, size_t n);

/*
 * hs_check_response judges a parsed response the way a client must
 * (RFC 6455 section 4.1, steps after "the client MUST validate") against the
 * request req that was sent (parsed back with hs_parse_request; it gives the
 * key and the offered subprotocols and extensions).  Same output convention
 * as hs_check_request.  A status other than 101 yields NOT_101 alone: such a
 * response is handled per HTTP and the other rules do not apply
 * (R6455-4.1-42).  Otherwise, in order: BARE_LF, NO_REASON_SP, OLD_HTTP,
 * NO_UPGRADE, UPGRADE_NOT_WS, NO_CONNECTION, CONNECTION_NO_UPGRADE,
 * NO_ACCEPT, BAD_ACCEPT, REPEATED_ACCEPT, REPEATED_PROTOCOL, PROTOCOL_EMPTY,
 * PROTOCOL_NOT_ONE, PROTOCOL_NOT_OFFERED, REPEATED_EXT, EXT_SYNTAX,
 * EXT_NOT_OFFERED.
 * req may be NULL: nothing was offered, and the accept value is not compared
 * (only its presence is checked).  The accept is computed from req's first
 * Sec-WebSocket-Key; with no key in req it is not compared either.
 * Subprotocols compare exactly (case-sensitively); extension names too.
 * Returns the count, WSP_E_INVAL (resp NULL, or viol NULL with max > 0) or
 * WSP_E_INTERNAL (OpenSSL failed).  Uses about 22 KiB of stack (two arrays
 * of HS_MAX_EXT parsed extension elements).
 */
int hs_check_response(const struct hs_msg *resp, const struct hs_msg *req,
		      int *viol, size_t max);

/*
 * For a client that sent an unsupported Sec-WebSocket-Version on purpose:
 * judges the refusal.  101 is HS_RESP_ACCEPTED_BAD_VERSION
 * (R6455-4.2.1-07); any other status without a Sec-WebSocket-Version header
 * is HS_RESP_REJECT_NO_VERSION (R6455-4.4-01).  Same output convention.
 */
int hs_check_version_reject(const struct hs_msg *resp, int *viol, size_t max);

/* ---- negotiation ---------------------------------------------------- */

/*
 * Server side: picks the first subprotocol the client offered (its order of
 * preference, R6455-4.1-35) that is one of supported[0..n), comparing
 * exactly.  Returns 1 and points *out and *out_len into req's buffer when one is
 * chosen; 0 when none is, and the response then carries no
 * Sec-WebSocket-Protocol (R6455-4.2.2-10).
 */
int hs_select_protocol(const struct hs_msg *req,
		       const char *const *supported, size_t n,
		       const char **out, size_t *out_len);

/*
 * 1 when the request offered an extension named name[0..len) (exact
 * comparison) in any Sec-WebSocket-Extensions header, 0 when it did not.
 * Only the first HS_MAX_EXT elements of each header are read; when the name
 * is not among them but a header had more, the answer is unknown and the
 * result is WSP_E_LIMIT.  Headers that do not parse offer nothing.
 */
int hs_ext_offered(const struct hs_msg *req, const char *name, size_t len);

/* ---- key, accept, base64 -------------------------------------------- */

/* Standard base64 (RFC 4648 section 4, with padding) of in[0..n) into
 * out[0..cap), NUL-terminated.  Returns the length without the NUL, or
 * WSP_E_NOSPACE. */
int hs_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/*
 * Strict base64 decoding of in[0..n) into out[0..cap): the length must be a
 * multiple of 4, '=' only as the last one or two characters, no whitespace,
 * and the unused bits before padding must be zero (so RFC 6455's own
 * erroneous example "AQIDBAUGBwgJCgsMDQ4PEC==" is refused: a canonical
 * encoder writes "AQIDBAUGBwgJCgsMDQ4PEA==").  Returns the decoded length,
 * WSP_E_HS_BASE64, or WSP_E_NOSPACE.
 */
int hs_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* The Sec-WebSocket-Key for a caller-chosen 16-byte nonce: its base64,
 * HS_KEY_LEN characters plus a NUL.  Returns HS_KEY_LEN. */
int hs_key_from_nonce(const uint8_t nonce[HS_NONCE_LEN],
		      char out[HS_KEY_LEN + 1]);

/*
 * Sec-WebSocket-Accept for key[0..len): base64(SHA-1(key + the GUID
 * "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) (R6455-4.2.2-17), HS_ACCEPT_LEN
 * characters plus a NUL.  The key is used as given (not decoded or
 * trimmed).  Returns HS_ACCEPT_LEN, or WSP_E_INTERNAL if OpenSSL fails.
 */
int hs_accept_compute(const char *key, size_t len,
		      char out[HS_ACCEPT_LEN + 1]);

/* ---- builders ------------------------------------------------------- */

/* A name and a value, both NUL-terminated. */
struct hs_field {
	const char *name;
	const char *value;
};

/*
 * Deviations from the message a builder would write, so that wrong
 * handshakes can be sent.  All members may be zero/NULL.
 *   set:  for each standard header of the message (the ones listed below
 *         for each builder, written or not by default) whose name matches
 *         ASCII case-insensitively, the first matching entry wins: a NULL
 *         value omits the header, any other value writes it, in its usual
 *         place and with the entry's spelling of the name, even when the
 *         builder would not have written it.  Entries naming no standard
 *         header are added after the standard headers (NULL: nothing).
 *   add:  headers appended after those, written even if the name repeats.
 *   raw:  bytes written verbatim after the headers and before the blank
 *         line; bring your own line endings (obs-fold, bare CR, no colon...).
 *   eol:  the line ending for every line and the blank line; NULL = CRLF.
 */
struct hs_edits {
	const struct hs_field *set;
	size_t nset;
	const struct hs_field *add;
	size_t nadd;
	const char *raw;
	size_t raw_len;
	const char *eol;
};

/*
 * What hs_build_request writes, in this order:
 *   <method> SP <target> SP <http_version>
 *   Host: <host>[:<port>]
 *   Upgrade: websocket
 *   Connection: Upgrade
 *   Sec-WebSocket-Key: <key, or base64(nonce)>
 *   Sec-WebSocket-Version: <ws_version>
 *   Sec-WebSocket-Protocol: <protocols joined by ", ">   (when nprotocols)
 *   Sec-WebSocket-Extensions: <extensions joined by ", "> (when nextensions)
 *   Origin: <origin>                                      (when origin)
 * then edits (see struct hs_edits) and the blank line.  A set edit for Host
 * or Sec-WebSocket-Key makes host, nonce and key unnecessary.
 */
struct hs_req_desc {
	const char *method;       /* NULL = "GET" */
	const char *target;       /* NULL = "/" */
	const char *http_version; /* NULL = "HTTP/1.1" */
	const char *host;         /* required (may be "") */
	unsigned port;            /* 0 = no ":port" (write it for non-default
				   * ports, R6455-4.1-23) */
	const uint8_t *nonce;     /* HS_NONCE_LEN bytes for the key */
	const char *key;          /* a literal key value instead of nonce */
	const char *ws_version;   /* NULL = "13" */
	const char *const *protocols;
	size_t nprotocols;
	const char *const *extensions; /* each one offer, e.g.
					* "permessage-deflate; client_max_window_bits" */
	size_t nextensions;
	const char *origin;       /* NULL = no Origin header */
	struct hs_edits edits;
};

/*
 * Writes the request d describes into out[0..cap).  Returns its length,
 * WSP_E_NOSPACE when it does not fit (out's content is then unspecified),
 * or WSP_E_INVAL when d->host is NULL or neither nonce nor key is given.
 * Nothing else is refused: the fields are written as they are.
 */
int hs_build_request(const struct hs_req_desc *d, char *out, size_t cap);

/*
 * What hs_build_response writes:
 *   <http_version> SP <status, 3 digits> SP <reason>   (or status_line)
 *   Upgrade: websocket                           (status 101)
 *   Connection: Upgrade                          (status 101)
 *   Sec-WebSocket-Accept: <accept, or computed from key>
 *                                        (status 101, or accept given)
 *   Sec-WebSocket-Protocol: <protocol>           (when protocol)
 *   Sec-WebSocket-Extensions: <extensions>       (when extensions)
 *   Sec-WebSocket-Version: <ws_version>          (when ws_version; "13" by
 *                          default for 426: R6455-4.2.2-07, R6455-4.4-01)
 *   Content-Length: 0    (status >= 200 but not 204 or 304, so that the
 *                         client does not wait for a body)
 * then edits and the blank line.  A set edit for Sec-WebSocket-Accept makes
 * key unnecessary.
 */
struct hs_resp_desc {
	int status;               /* 0 = 101; any 0..999 otherwise */
	const char *reason;       /* NULL = the usual phrase for status */
	const char *http_version; /* NULL = "HTTP/1.1" */
	const char *status_line;  /* the whole first line, verbatim (no line
				   * end) instead of the three fields above */
	const char *key;          /* the client's Sec-WebSocket-Key value */
	const char *accept;       /* a literal accept value instead */
	const char *protocol;     /* the chosen subprotocol, or NULL */
	const char *extensions;   /* the extension response value, or NULL */
	const char *ws_version;   /* non-101 only; see above */
	struct hs_edits edits;
};

/*
 * Writes the response d describes into out[0..cap).  Returns its length,
 * WSP_E_NOSPACE, WSP_E_INVAL (status outside 0..999, or 101 with neither key
 * nor accept), or WSP_E_INTERNAL (OpenSSL failed).
 */
int hs_build_response(const struct hs_resp_desc *d, char *out, size_t cap);

/* The usual reason phrase for an HTTP status ("Switching Protocols" for 101,
 * "Upgrade Required" for 426, ...); "Unknown" for others.  Static storage. */
const char *hs_reason_phrase(int status);

#endif
