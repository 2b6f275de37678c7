/*
 * fuzz_wsf.c: the frame decoder (proto/wsf.h) on arbitrary bytes.
 *
 * The input is decoded once, as a client-to-server stream when its first
 * frame is masked and as a server-to-client stream with RSV1 negotiated
 * otherwise, from a copy in an exactly-sized buffer (unmasking works in
 * place, and ASan then catches any access past the input).  Every event
 * must keep the decoder's promises: a call consumes at most what it was
 * given and always makes progress, a payload slice lies inside the bytes
 * that call consumed, payload offsets grow by exactly the bytes delivered,
 * a header only starts between frames, an end comes exactly when the
 * announced length is delivered, the header fields agree with each other,
 * and the violations are distinct codes of this module in their fixed
 * order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wsf.h"

#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))
#else
#define NO_COVERAGE
#endif

/* Decodes buf[0..size) (a fresh copy of the input, unmasked in place).
 * The checks here are the harness's, not the decoder's: their comparisons
 * would only feed libFuzzer's tables noise and cost a third of the run
 * time, so clang leaves them uninstrumented.  noinline is part of that:
 * clang 14 inlines decode into LLVMFuzzerTestOneInput, whose coverage
 * instrumentation (comparison tracing included) then covers it too. */
NO_COVERAGE static void decode(uint8_t *buf, size_t size, const struct wsf_policy *p)
{
	struct wsf_decoder d;
	uint64_t delivered = 0, announced = 0;
	int open = 0;
	size_t pos = 0;

	wsf_decoder_init(&d, p);
	while (pos < size) {
		struct wsf_event ev;
		uint8_t *base = buf + pos;
		size_t avail = size - pos;
		ssize_t got = wsf_decode(&d, base, avail, &ev);
		REQUIRE(got > 0 && (size_t)got <= avail);
		if (ev.flags & WSF_EV_HEADER) {
			const struct wsf_header *h = ev.hdr;
			REQUIRE(!open);
			/* The header is self-consistent. */
			size_t want = 2 + (h->masked ? 4 : 0) +
				      (h->len_form == WSF_LEN_16) * 2 +
				      (h->len_form == WSF_LEN_64) * 8;
			REQUIRE(h->header_len == want);
			/* Codes of this module, each once, in table order
			 * (which runs from -101 down); fuzz_wsf_roundtrip
			 * compares them with wsf_check. */
			REQUIRE(ev.nviol <= WSF_MAX_VIOL);
			int prev = -100;
			for (size_t i = 0; i < ev.nviol; i++) {
				REQUIRE(ev.viol[i] < prev &&
					ev.viol[i] >= -199);
				prev = ev.viol[i];
			}
			open = 1;
			delivered = 0;
			announced = h->payload_len;
		}
		/* The slice ends where the call stopped, inside its input. */
		REQUIRE(ev.len == 0 ||
			(open && ev.data >= base &&
			 (size_t)(ev.data - base) + ev.len == (size_t)got));
		/* Offsets grow by exactly what was delivered. */
		REQUIRE(!open || ev.offset == delivered);
		delivered += ev.len;
		if (ev.flags & WSF_EV_END) {
			REQUIRE(open && delivered == announced);
			open = 0;
		} else {
			/* Short of the end only because the input ran out. */
			REQUIRE((size_t)got == avail && delivered <= announced);
		}
		pos += (size_t)got;
	}
	REQUIRE(!wsf_decoder_idle(&d) || !open);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wsf_policy c2s = {0, WSP_ROLE_CLIENT};
	static const struct wsf_policy s2c = {WSP_RSV1, WSP_ROLE_SERVER};
	/* Exactly sized, so ASan sees any access past the input. */
	uint8_t *buf = malloc(size ? size : 1);
	REQUIRE(buf != NULL);
	if (size > 0)
		memcpy(buf, data, size);
	/* One decode per input: the first frame's MASK bit picks the side
	 * that reads it, as a real stream's first frame would.  Both
	 * policies stay reachable (a masked first frame reads as client to
	 * server, anything else as server to client with RSV1 agreed), and
	 * so do both masking violations: only the first frame decides. */
	decode(buf, size, size > 1 && (data[1] & 0x80) ? &c2s : &s2c);
	free(buf);
	return 0;
}
