/*
 * wsc.c: Close frame payloads (RFC 6455 sections 5.5.1 and 7.4), parsed and
 * built.  The message layer (msg.c) parses every Close frame it receives
 * with wsc_parse; the harness builds the Close frames it sends with
 * wsc_build, which writes whatever it is given so that invalid codes can be
 * sent on purpose.
 *
 *   0                   1                   2
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 ...
 *  +-------------------------------+- - - - - - - - - - - - -+
 *  |  status code (network order)  |  reason, UTF-8, optional |
 *  +-------------------------------+- - - - - - - - - - - - -+
 *   the whole payload at most 125 bytes (a control frame, R6455-5.5-01)
 */
#include <limits.h>
#include <string.h>

#include "u8.h"
#include "wsc.h"
#include "wsp_err.h"

int wsc_code_check(unsigned code)
{
	if (code < 1000)
		return WSP_E_WSC_CODE_UNUSED;          /* R6455-7.4.2-01 */
	if (code <= 1003)
		return 0;                              /* R6455-7.4.1-01 */
	if (code == 1004)
		return WSP_E_WSC_CODE_RESERVED;        /* R6455-7.4.2-02 */
	if (code == WSC_NO_STATUS)
		return WSP_E_WSC_CODE_1005;            /* R6455-7.4.1-03 */
	if (code == WSC_ABNORMAL)
		return WSP_E_WSC_CODE_1006;            /* R6455-7.4.1-04 */
	if (code <= 1011)
		return 0;                              /* R6455-7.4.1-01 */
	/* 1012 (service restart), 1013 (try again later) and 1014 (bad
	 * gateway) are not in RFC 6455: IANA registered them later in the
	 * range the RFC reserves for the protocol, so a peer may send them. */
	if (code <= 1014)
		return 0;
	if (code == WSC_TLS_HANDSHAKE)
		return WSP_E_WSC_CODE_1015;            /* R6455-7.4.1-06 */
	if (code <= 2999)
		return WSP_E_WSC_CODE_RESERVED;        /* R6455-7.4.2-02 */
	if (code <= 4999)
		return 0; /* 3000-3999 registered, 4000-4999 private use */
	return WSP_E_WSC_CODE_UNDEFINED;
}

int wsc_code_valid(unsigned code)
{
	return wsc_code_check(code) == 0;
}

int wsc_parse(const uint8_t *p, size_t n, struct wsc_close *c)
{
	memset(c, 0, sizeof(*c));
	if (n == 0)
		return 0; /* no status code at all: 1005 to the application */
	if (n == 1)
		return WSP_E_WSC_ONE_BYTE; /* R6455-5.5.1-02 */
	c->has_code = 1;
	c->code = (uint16_t)(((unsigned)p[0] << 8) | p[1]);
	c->reason_len = n - 2;
	c->reason = n > 2 ? p + 2 : NULL;
	if (n > WSC_MAX_PAYLOAD)
		return WSP_E_WSC_TOO_LONG; /* R6455-5.5-01 */
	int rc = wsc_code_check(c->code);
	if (rc != 0)
		return rc;
	struct u8_validator v;
	u8_init(&v);
	rc = u8_feed(&v, c->reason, c->reason_len);
	if (rc == 0)
		rc = u8_finish(&v);
	if (rc != 0) {
		/* R6455-5.5.1-03 / R6455-8.1-01: the reason is UTF-8. */
		c->reason_u8 = rc;
		c->reason_u8_off = (size_t)v.error_offset;
		return WSP_E_WSC_REASON_UTF8;
	}
	return 0;
}

int wsc_build(uint8_t *out, size_t cap, int has_code, unsigned code,
	      const uint8_t *reason, size_t reason_len)
{
	if (!has_code)
		return 0;
	if (code > 0xFFFF || reason_len > (size_t)INT_MAX - 2)
		return WSP_E_INVAL;
	if (cap < 2 || reason_len > cap - 2)
		return WSP_E_NOSPACE;
	out[0] = (uint8_t)((code >> 8) & 0xFF);
	out[1] = (uint8_t)(code & 0xFF);
	if (reason_len > 0)
		memcpy(out + 2, reason, reason_len);
	return (int)(reason_len + 2);
}
