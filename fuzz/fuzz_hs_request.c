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
#include "hsfuzz.h"
#include "wsp_err.h"

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
	struct hsfuzz_result r;
	hs_msg_init(&r.m, r.h, HSFUZZ_NHDR);
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

	static struct hsfuzz_result one;
	hs_msg_init(&one.m, one.h, HSFUZZ_NHDR);
	one.rc = hs_parse_request(&one.m, buf, size, 0);

	if (one.rc > 0) {
		const struct hs_msg *m = &one.m;
		hsfuzz_check_slices(&one, buf);
		if ((size_t)one.rc > size)
			abort();
		int viol[HS_MAX_VIOL];
		int n = hs_check_request(m, viol, HS_MAX_VIOL);
		hsfuzz_check_list(viol, n);
		int st = hs_reject_status(viol, (size_t)n);
		if ((n == 0) != (st == 101))
			abort();
		if (n == 0)
			answer(m);
	} else if (strcmp(wsp_errname(one.rc), "WSP_E_UNKNOWN") == 0) {
		abort(); /* a code outside the table */
	}

	/* Two chunks, split where the input says, the buffer moved. */
	hsfuzz_two_chunks(hs_parse_request, &one, buf, data, size);
	free(buf);
	return 0;
}
