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
#include "wsp_err.h"

#define NHDR 64

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

struct result {
	int rc;
	struct hs_header h[NHDR];
	struct hs_msg m;
};

static int in_head(const char *p, size_t n, const char *buf, size_t head)
{
	return n == 0 || (p >= buf && (size_t)(p - buf) <= head &&
			  n <= head - (size_t)(p - buf));
}

static int same(const struct result *a, const char *abuf,
		const struct result *b, const char *bbuf)
{
	if (a->rc != b->rc)
		return 0;
	if (a->rc <= 0)
		return 1;
	const struct hs_msg *x = &a->m, *y = &b->m;
	if (x->status != y->status || x->reason - abuf != y->reason - bbuf ||
	    x->reason_len != y->reason_len || x->http_major != y->http_major ||
	    x->http_minor != y->http_minor || x->flags != y->flags ||
	    x->version - abuf != y->version - bbuf ||
	    x->nheaders != y->nheaders || x->head_len != y->head_len)
		return 0;
	for (size_t i = 0; i < x->nheaders; i++)
		if (x->headers[i].name - abuf != y->headers[i].name - bbuf ||
		    x->headers[i].name_len != y->headers[i].name_len ||
		    x->headers[i].value - abuf != y->headers[i].value - bbuf ||
		    x->headers[i].value_len != y->headers[i].value_len)
			return 0;
	return 1;
}

static void check_list(const int *viol, int n)
{
	if (n < 0 || n > HS_MAX_VIOL)
		abort();
	for (int i = 0; i < n; i++) {
		if (wsp_errreq(viol[i]) == NULL)
			abort();
		if (i > 0 && viol[i] >= viol[i - 1])
			abort();
	}
}

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
	static struct result one, two;
	hs_msg_init(&one.m, one.h, NHDR);
	one.rc = hs_parse_response(&one.m, buf, size, 0);

	if (one.rc > 0) {
		size_t head = (size_t)one.rc;
		const struct hs_msg *m = &one.m;
		if (m->head_len != head || head > size ||
		    !in_head(m->reason, m->reason_len, buf, head) ||
		    m->status < 0 || m->status > 999)
			abort();
		for (size_t i = 0; i < m->nheaders; i++)
			if (!in_head(m->headers[i].name,
				     m->headers[i].name_len, buf, head) ||
			    !in_head(m->headers[i].value,
				     m->headers[i].value_len, buf, head))
				abort();
		int viol[HS_MAX_VIOL];
		int n = hs_check_response(m, &req, viol, HS_MAX_VIOL);
		check_list(viol, n);
		if (m->status != 101 &&
		    (n != 1 || viol[0] != WSP_E_HS_RESP_NOT_101))
			abort();
		check_list(viol, hs_check_response(m, NULL, viol,
						   HS_MAX_VIOL));
		check_list(viol, hs_check_version_reject(m, viol,
							 HS_MAX_VIOL));
	} else if (strcmp(wsp_errname(one.rc), "WSP_E_UNKNOWN") == 0) {
		abort();
	}

	size_t split = size > 0 ? ((size_t)data[0] * 257u + size) % (size + 1)
				: 0;
	char *part = malloc(split > 0 ? split : 1);
	if (part == NULL) {
		free(buf);
		return 0;
	}
	if (split > 0)
		memcpy(part, data, split);
	hs_msg_init(&two.m, two.h, NHDR);
	two.rc = hs_parse_response(&two.m, part, split, 0);
	if (two.rc == WSP_E_INCOMPLETE) {
		char *whole = malloc(size > 0 ? size : 1);
		if (whole != NULL) {
			if (size > 0)
				memcpy(whole, data, size);
			two.rc = hs_parse_response(&two.m, whole, size, split);
			if (!same(&one, buf, &two, whole))
				abort();
			free(whole);
		}
	} else if (!same(&one, buf, &two, part)) {
		abort();
	}
	free(part);
	free(buf);
	return 0;
}
