/*
 * fuzz_hs_request.c: the upgrade request parser and validator (proto/hs.h)
 * on arbitrary bytes.
 *
 * Invariants (abort on violation):
 *   - parsing in two chunks, split at a point derived from the input, with
 *     the buffer moved between the calls, gives exactly the one-shot result;
 *   - every slice of a parsed head lies inside the head;
 *   - validation lists at most HS_MAX_VIOL codes, each once, in increasing
 *     order of magnitude, each carrying a requirement id;
 *   - a request with no violations, answered by hs_build_response with its
 *     own key, first offered subprotocol and first offered extension name,
 *     gives a response hs_check_response finds nothing wrong with.
 */
#include <stdlib.h>
#include <string.h>

#include "ext.h"
#include "fuzz.h"
#include "hs.h"
#include "wsp_err.h"

#define NHDR 64

struct result {
	int rc;
	struct hs_header h[NHDR];
	struct hs_msg m;
};

static void parse_once(struct result *r, const char *buf, size_t len)
{
	hs_msg_init(&r->m, r->h, NHDR);
	r->rc = hs_parse_request(&r->m, buf, len, 0);
}

static int in_head(const char *p, size_t n, const char *buf, size_t head)
{
	return n == 0 || (p >= buf && (size_t)(p - buf) <= head &&
			  n <= head - (size_t)(p - buf));
}

/* Same result, with slices compared as offsets into their buffers. */
static int same(const struct result *a, const char *abuf,
		const struct result *b, const char *bbuf)
{
	if (a->rc != b->rc)
		return 0;
	if (a->rc <= 0)
		return 1;
	const struct hs_msg *x = &a->m, *y = &b->m;
	if (x->method - abuf != y->method - bbuf ||
	    x->method_len != y->method_len ||
	    x->target - abuf != y->target - bbuf ||
	    x->target_len != y->target_len || x->http_major != y->http_major ||
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

/* Answers a clean request the way a server would and judges the answer. */
static void answer(const struct hs_msg *req)
{
	static char key[4096], proto[4096], ext[4096];
	const struct hs_header *k = hs_find(req, "Sec-WebSocket-Key");
	if (k == NULL || k->value_len >= sizeof(key))
		abort(); /* a clean request has exactly one good key */
	memcpy(key, k->value, k->value_len);
	key[k->value_len] = '\0';

	struct hs_resp_desc d;
	memset(&d, 0, sizeof(d));
	d.key = key;
	const struct hs_header *p = hs_find(req, "Sec-WebSocket-Protocol");
	if (p != NULL) {
		size_t pos = 0, el;
		const char *e;
		if (hs_list_next(p->value, p->value_len, &pos, &e, &el) &&
		    el < sizeof(proto)) {
			memcpy(proto, e, el);
			proto[el] = '\0';
			d.protocol = proto;
		}
	}
	const struct hs_header *x = hs_find(req, "Sec-WebSocket-Extensions");
	if (x != NULL) {
		struct ext_elem el[1];
		if (ext_parse(x->value, x->value_len, el, 1) >= 1 &&
		    el[0].name_len < sizeof(ext)) {
			memcpy(ext, el[0].name, el[0].name_len);
			ext[el[0].name_len] = '\0';
			d.extensions = ext;
		}
	}
	static char out[16384];
	int n = hs_build_response(&d, out, sizeof(out));
	if (n == WSP_E_NOSPACE)
		return;
	if (n <= 0)
		abort();
	struct result r;
	hs_msg_init(&r.m, r.h, NHDR);
	r.m.max_head = sizeof(out);
	if (hs_parse_response(&r.m, out, (size_t)n, 0) != n)
		abort();
	int viol[HS_MAX_VIOL];
	if (hs_check_response(&r.m, req, viol, HS_MAX_VIOL) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);

	static struct result one, two;
	parse_once(&one, buf, size);

	if (one.rc > 0) {
		size_t head = (size_t)one.rc;
		const struct hs_msg *m = &one.m;
		if (m->head_len != head || head > size ||
		    !in_head(m->method, m->method_len, buf, head) ||
		    !in_head(m->target, m->target_len, buf, head))
			abort();
		for (size_t i = 0; i < m->nheaders; i++)
			if (!in_head(m->headers[i].name,
				     m->headers[i].name_len, buf, head) ||
			    !in_head(m->headers[i].value,
				     m->headers[i].value_len, buf, head))
				abort();
		int viol[HS_MAX_VIOL];
		int n = hs_check_request(m, viol, HS_MAX_VIOL);
		check_list(viol, n);
		int st = hs_reject_status(viol, (size_t)n);
		if ((n == 0) != (st == 101))
			abort();
		if (n == 0)
			answer(m);
	} else if (strcmp(wsp_errname(one.rc), "WSP_E_UNKNOWN") == 0) {
		abort(); /* a code outside the table */
	}

	/* Two chunks, split where the input says, the buffer moved. */
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
	two.rc = hs_parse_request(&two.m, part, split, 0);
	if (two.rc == WSP_E_INCOMPLETE) {
		char *whole = malloc(size > 0 ? size : 1);
		if (whole != NULL) {
			if (size > 0)
				memcpy(whole, data, size);
			two.rc = hs_parse_request(&two.m, whole, size, split);
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
