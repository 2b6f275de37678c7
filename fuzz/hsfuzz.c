/*
 * hsfuzz.c: the checks the handshake fuzz targets share (hsfuzz.h).
 */
#include <stdlib.h>
#include <string.h>

#include "hsfuzz.h"
#include "wsp_err.h"

int hsfuzz_in_head(const char *p, size_t n, const char *buf, size_t head)
{
	return n == 0 || (p >= buf && (size_t)(p - buf) <= head &&
			  n <= head - (size_t)(p - buf));
}

void hsfuzz_check_list(const int *viol, int n)
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

void hsfuzz_check_slices(const struct hsfuzz_result *r, const char *buf)
{
	size_t head = (size_t)r->rc;
	const struct hs_msg *m = &r->m;
	if (r->rc <= 0 || m->head_len != head ||
	    !hsfuzz_in_head(m->method, m->method_len, buf, head) ||
	    !hsfuzz_in_head(m->target, m->target_len, buf, head) ||
	    !hsfuzz_in_head(m->reason, m->reason_len, buf, head) ||
	    !hsfuzz_in_head(m->version, m->version_len, buf, head))
		abort();
	for (size_t i = 0; i < m->nheaders; i++)
		if (!hsfuzz_in_head(m->headers[i].name, m->headers[i].name_len,
				    buf, head) ||
		    !hsfuzz_in_head(m->headers[i].value,
				    m->headers[i].value_len, buf, head))
			abort();
}

/* A slice as an offset into its buffer, so that two parses of equal bytes
 * in different buffers compare equal; -1 for an unset slice. */
static ptrdiff_t off(const char *p, const char *buf)
{
	return p == NULL ? -1 : p - buf;
}

static int same(const struct hsfuzz_result *a, const char *abuf,
		const struct hsfuzz_result *b, const char *bbuf)
{
	if (a->rc != b->rc)
		return 0;
	if (a->rc <= 0)
		return 1;
	const struct hs_msg *x = &a->m, *y = &b->m;
	if (off(x->method, abuf) != off(y->method, bbuf) ||
	    x->method_len != y->method_len ||
	    off(x->target, abuf) != off(y->target, bbuf) ||
	    x->target_len != y->target_len || x->status != y->status ||
	    off(x->reason, abuf) != off(y->reason, bbuf) ||
	    x->reason_len != y->reason_len ||
	    off(x->version, abuf) != off(y->version, bbuf) ||
	    x->version_len != y->version_len ||
	    x->http_major != y->http_major || x->http_minor != y->http_minor ||
	    x->flags != y->flags || x->nheaders != y->nheaders ||
	    x->head_len != y->head_len)
		return 0;
	for (size_t i = 0; i < x->nheaders; i++)
		if (off(x->headers[i].name, abuf) !=
			    off(y->headers[i].name, bbuf) ||
		    x->headers[i].name_len != y->headers[i].name_len ||
		    off(x->headers[i].value, abuf) !=
			    off(y->headers[i].value, bbuf) ||
		    x->headers[i].value_len != y->headers[i].value_len)
			return 0;
	return 1;
}

void hsfuzz_two_chunks(hsfuzz_parse_fn parse, const struct hsfuzz_result *one,
		       const char *onebuf, const uint8_t *data, size_t size)
{
	static struct hsfuzz_result two;
	size_t split = size > 0 ? ((size_t)data[0] * 257u + size) % (size + 1)
				: 0;
	char *part = malloc(split > 0 ? split : 1);
	if (part == NULL)
		return;
	if (split > 0)
		memcpy(part, data, split);
	hs_msg_init(&two.m, two.h, HSFUZZ_NHDR);
	two.rc = parse(&two.m, part, split, 0);
	if (two.rc == WSP_E_INCOMPLETE) {
		char *whole = malloc(size > 0 ? size : 1);
		if (whole != NULL) {
			if (size > 0)
				memcpy(whole, data, size);
			two.rc = parse(&two.m, whole, size, split);
			if (!same(one, onebuf, &two, whole))
				abort();
			free(whole);
		}
	} else if (!same(one, onebuf, &two, part)) {
		abort();
	}
	free(part);
}
