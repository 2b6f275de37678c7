/*
 * fuzz_hs_response.c: the upgrade response parser and validator
 * (proto/hs.h) on arbitrary bytes, judged against a fixed request (RFC 6455
 * section 1.2's sample, plus a permessage-deflate offer).
 *
 * Invariants (abort on violation):
 *   - parsing in two chunks, split at a point derived from the input, with
 *     the buffer moved between the calls, gives exactly the one-shot result;
 *   - every slice of a parsed head lies inside the head;
 *   - hs_check_response and hs_check_version_reject list at most
 *     HS_MAX_VIOL codes, each once, in order, each with a requirement id;
 *     a status other than 101 gives exactly NOT_101.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hs.h"
#include "hsfuzz.h"
#include "wsp_err.h"

static const char offer[] =
	"GET /chat HTTP/1.1\r\n"
	"Host: server.example.com\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Origin: http://example.com\r\n"
	"Sec-WebSocket-Protocol: chat, superchat\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Extensions: permessage-deflate; "
	"client_max_window_bits\r\n"
	"\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The request is parsed once; it never changes afterwards. */
	static struct hs_header qh[16];
	static struct hs_msg req;
	if (req.head_len == 0) {
		hs_msg_init(&req, qh, 16);
		if (hs_parse_request(&req, offer, sizeof(offer) - 1, 0) !=
		    (int)sizeof(offer) - 1)
			abort();
	}

	char *buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	static struct hsfuzz_result one;
	hs_msg_init(&one.m, one.h, HSFUZZ_NHDR);
	one.rc = hs_parse_response(&one.m, buf, size, 0);

	if (one.rc > 0) {
		const struct hs_msg *m = &one.m;
		hsfuzz_check_slices(&one, buf);
		if ((size_t)one.rc > size || m->status < 0 || m->status > 999)
			abort();
		int viol[HS_MAX_VIOL];
		int n = hs_check_response(m, &req, viol, HS_MAX_VIOL);
		hsfuzz_check_list(viol, n);
		if (m->status != 101 &&
		    (n != 1 || viol[0] != WSP_E_HS_RESP_NOT_101))
			abort();
		hsfuzz_check_list(viol, hs_check_response(m, NULL, viol,
							  HS_MAX_VIOL));
		hsfuzz_check_list(viol, hs_check_version_reject(m, viol,
								HS_MAX_VIOL));
	} else if (strcmp(wsp_errname(one.rc), "WSP_E_UNKNOWN") == 0) {
		abort();
	}

	/* Two chunks, split where the input says, the buffer moved. */
	hsfuzz_two_chunks(hs_parse_response, &one, buf, data, size);
	free(buf);
	return 0;
}
