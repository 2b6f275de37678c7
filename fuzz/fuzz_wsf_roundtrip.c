/*
 * fuzz_wsf_roundtrip.c: encode a frame built from fuzzer-chosen fields,
 * decode it, and require every field and payload byte back.
 *
 * Input layout: byte 0 FIN/RSV/opcode as on the wire, byte 1 bit 7 MASK and
 * bits 0-1 the length form (auto, 7, 16, 64), bits 2-3 the length source,
 * bits 4-5 the policy, bytes 2-5 the masking key, bytes 6-13 a length, the
 * rest the payload.  The announced length is usually the payload's size; a
 * length source of 3 announces the 8 bytes read instead, so frames that lie
 * about their length, and 2^63-byte ones, are covered too.  When the form
 * cannot carry the length, the encoder must say WSP_E_INVAL and nothing
 * else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wsf.h"
#include "wsp_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t form_of[4] = {WSF_LEN_AUTO, WSF_LEN_7,
					   WSF_LEN_16, WSF_LEN_64};
	static const struct wsf_policy pols[4] = {
		{0, WSP_ROLE_ANY}, {0, WSP_ROLE_CLIENT},
		{WSP_RSV1, WSP_ROLE_SERVER}, {7, WSP_ROLE_CLIENT}};

	if (size < 14)
		return 0;
	const uint8_t *payload = data + 14;
	size_t plen = size - 14;
	struct wsf_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = data[0] >> 7;
	f.rsv = (data[0] >> 4) & 7;
	f.opcode = data[0] & 0xf;
	f.masked = data[1] >> 7;
	f.len_form = form_of[data[1] & 3];
	memcpy(f.mask_key, data + 2, 4);
	uint64_t raw = 0;
	for (int i = 6; i < 14; i++)
		raw = raw << 8 | data[i];
	unsigned src = (data[1] >> 2) & 3;
	f.payload_len = src == 3 ? raw : plen;
	const struct wsf_policy *p = &pols[(data[1] >> 4) & 3];

	size_t cap = WSF_MAX_HEADER + plen;
	uint8_t *out = malloc(cap);
	REQUIRE(out != NULL);
	ssize_t n = wsf_encode(out, cap, &f, payload, plen);
	uint64_t len = f.payload_len;
	int fits = f.len_form == WSF_LEN_AUTO || f.len_form == WSF_LEN_64 ||
		   (f.len_form == WSF_LEN_7 && len <= 125) ||
		   (f.len_form == WSF_LEN_16 && len <= 0xffff);
	if (!fits) {
		REQUIRE(n == WSP_E_INVAL);
		free(out);
		return 0;
	}
	REQUIRE(n > 0);
	uint8_t hdr[WSF_MAX_HEADER];
	int hl = wsf_encode_header(hdr, &f);
	REQUIRE(hl >= 2 && (size_t)n == (size_t)hl + plen);
	REQUIRE(memcmp(hdr, out, (size_t)hl) == 0);

	/* Decode exactly the bytes written (a copy of that size). */
	uint8_t *in = malloc((size_t)n);
	REQUIRE(in != NULL);
	memcpy(in, out, (size_t)n);
	struct wsf_decoder d;
	struct wsf_event ev;
	wsf_decoder_init(&d, p);
	ssize_t got = wsf_decode(&d, in, (size_t)n, &ev);
	REQUIRE(got > 0 && (ev.flags & WSF_EV_HEADER));
	const struct wsf_header *h = ev.hdr;
	REQUIRE(h->fin == f.fin && h->rsv == f.rsv && h->opcode == f.opcode);
	REQUIRE(h->masked == f.masked);
	REQUIRE(!f.masked || memcmp(h->mask_key, f.mask_key, 4) == 0);
	REQUIRE(h->payload_len == len);
	REQUIRE(h->header_len == hl);
	uint8_t want_form = f.len_form;
	if (want_form == WSF_LEN_AUTO)
		want_form = len <= 125 ? WSF_LEN_7
			    : len <= 0xffff ? WSF_LEN_16
					    : WSF_LEN_64;
	REQUIRE(h->len_form == want_form);
	int viol[WSF_MAX_VIOL];
	size_t nv = wsf_check(h, p, viol, WSF_MAX_VIOL);
	REQUIRE(nv == ev.nviol && memcmp(viol, ev.viol, nv * sizeof(int)) == 0);
	REQUIRE(ev.offset == 0);

	/* The payload: whole when the length told the truth; when it
	 * announced more, everything given and no end; when less, only the
	 * announced part, the rest being the next frame's bytes. */
	size_t take = len < plen ? (size_t)len : plen;
	REQUIRE(ev.len == take);
	REQUIRE(take == 0 || memcmp(ev.data, payload, take) == 0);
	REQUIRE((size_t)got == (size_t)hl + take);
	REQUIRE(!!(ev.flags & WSF_EV_END) == (len <= plen));
	free(in);
	free(out);
	return 0;
}
