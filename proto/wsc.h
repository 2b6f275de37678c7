/*
 * wsc.h: Close frame payloads (RFC 6455 sections 5.5.1 and 7.4).
 *
 * A payload is empty, or a 2-byte status code in network order followed by
 * an optional UTF-8 reason, at most 125 bytes in all.  Code validity on the
 * wire: 1000-1003, 1007-1011 and 3000-4999 are valid; 1012-1014 were
 * registered with IANA after RFC 6455 (service restart, try again later,
 * bad gateway) and are treated as valid here; 0-999, 1004-1006, 1015,
 * 1016-2999 and 5000 and above are invalid (R6455-7.4.1-03, R6455-7.4.1-04,
 * R6455-7.4.1-06, R6455-7.4.2-01, R6455-7.4.2-02).
 */
#ifndef WSC_H
#define WSC_H

#include <stddef.h>
#include <stdint.h>

/* Status codes named by RFC 6455 section 7.4.1 and the IANA registry. */
enum wsc_code {
	WSC_NORMAL = 1000,
	WSC_GOING_AWAY = 1001,
	WSC_PROTOCOL_ERROR = 1002,
	WSC_UNSUPPORTED_DATA = 1003,
	WSC_RESERVED_1004 = 1004,
	WSC_NO_STATUS = 1005,   /* never on the wire */
	WSC_ABNORMAL = 1006,    /* never on the wire */
	WSC_INVALID_PAYLOAD = 1007,
	WSC_POLICY_VIOLATION = 1008,
	WSC_MESSAGE_TOO_BIG = 1009,
	WSC_MANDATORY_EXT = 1010,
	WSC_INTERNAL_ERROR = 1011,
	WSC_SERVICE_RESTART = 1012, /* IANA, after RFC 6455 */
	WSC_TRY_AGAIN_LATER = 1013, /* IANA, after RFC 6455 */
	WSC_BAD_GATEWAY = 1014,     /* IANA, after RFC 6455 */
	WSC_TLS_HANDSHAKE = 1015    /* never on the wire */
};

#define WSC_MAX_PAYLOAD 125

/* A parsed close payload.  reason points into the parsed buffer. */
struct wsc_close {
	int has_code;          /* 0 for an empty payload */
	uint16_t code;         /* valid when has_code */
	const uint8_t *reason; /* into the input; NULL when reason_len is 0 */
	size_t reason_len;
	int reason_u8;         /* 0, or the WSP_E_U8_* class of an invalid
				* reason (the code returned is then
				* WSP_E_WSC_REASON_UTF8) */
	size_t reason_u8_off;  /* offset in the reason of that error */
};

/* Returns 1 when code may appear in a Close frame on the wire, 0 if not. */
int wsc_code_valid(unsigned code);

/* Returns 0 when code may appear on the wire, else the WSP_E_WSC_CODE_*
 * code naming the rule it breaks: _UNUSED (0-999), _1005, _1006, _1015,
 * _RESERVED (1004, 1016-2999), _UNDEFINED (5000 and up). */
int wsc_code_check(unsigned code);

/* Parses payload p[0..n) (p may be NULL when n is 0).  Returns 0 and fills
 * *c when the payload is valid; otherwise the code of the first problem, in
 * this order: WSP_E_WSC_ONE_BYTE (R6455-5.5.1-02), WSP_E_WSC_TOO_LONG (over
 * 125 bytes, R6455-5.5-01), a WSP_E_WSC_CODE_* code (wsc_code_check),
 * WSP_E_WSC_REASON_UTF8 (R6455-8.1-01; class and offset in c->reason_u8
 * and c->reason_u8_off).  *c is filled as far as the bytes allow whatever
 * the result: code and reason are set for any payload of 2 bytes or more.
 * Nothing is copied; c->reason points into p. */
int wsc_parse(const uint8_t *p, size_t n, struct wsc_close *c);

/* Writes a close payload into out[0..cap): nothing when has_code is 0, else
 * the code (any 16-bit value; a conformance tool must be able to send 1005)
 * and the reason bytes as given.  Returns the size written, WSP_E_NOSPACE
 * when cap is too small, or WSP_E_INVAL when code does not fit 16 bits (or
 * the size would not fit an int).  It does not refuse invalid codes,
 * reasons or sizes: wsc_parse on the result says what is wrong. */
int wsc_build(uint8_t *out, size_t cap, int has_code, unsigned code,
	      const uint8_t *reason, size_t reason_len);

#endif
