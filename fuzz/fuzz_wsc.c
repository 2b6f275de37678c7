/*
 * fuzz_wsc.c: Close payloads.  wsc_parse on any bytes must not crash or read
 * past them, and its verdict must be consistent: a valid payload is empty or
 * carries a valid code, at most 125 bytes in all.  Whenever a code was read,
 * wsc_build must write the same bytes back and wsc_parse must say the same
 * of them (round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsc.h"
#include "wsp_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size > 0 ? size : 1);
	if (p == NULL)
		return 0;
	if (size > 0)
		memcpy(p, data, size);
	const uint8_t *q = size > 0 ? p : NULL;

	struct wsc_close c;
	int rc = wsc_parse(q, size, &c);
	if (rc > 0)
		abort();
	if (rc == 0) {
		if (size > WSC_MAX_PAYLOAD || size == 1)
			abort();
		if (c.has_code != (size >= 2) ||
		    (c.has_code && !wsc_code_valid(c.code)) ||
		    c.reason_u8 != 0)
			abort();
	}
	if (rc == WSP_E_WSC_REASON_UTF8 && c.reason_u8 == 0)
		abort();
	if (size == 1 && rc != WSP_E_WSC_ONE_BYTE)
		abort();

	if (c.has_code) {
		if (c.reason_len != size - 2 ||
		    (c.reason_len > 0 && c.reason != q + 2))
			abort();
		/* Round trip into an exactly sized buffer. */
		uint8_t *out = malloc(size);
		if (out == NULL)
			abort();
		if (wsc_build(out, size - 1, 1, c.code, c.reason,
			      c.reason_len) != WSP_E_NOSPACE)
			abort();
		int n = wsc_build(out, size, 1, c.code, c.reason,
				  c.reason_len);
		if (n < 0 || (size_t)n != size || memcmp(out, q, size) != 0)
			abort();
		struct wsc_close c2;
		if (wsc_parse(out, size, &c2) != rc || c2.code != c.code ||
		    c2.reason_len != c.reason_len)
			abort();
		free(out);
	}
	free(p);
	return 0;
}
