/*
 * fuzz_wsf_chunks.c: decoding in chunks must equal decoding all at once.
 *
 * Input layout: byte 0 picks the policy (bits 0-1) and the number of
 * schedule bytes (bits 2-5, 1..16); the schedule bytes each give one chunk
 * size (1..256, byte + 1), used in a cycle as uWebSockets' fuzzers do; the
 * rest is the stream.  Both decodings fold every event into a digest that
 * does not depend on where chunks were cut: each header's fields and
 * violations, every payload byte in order, and each frame end.  Each chunk
 * is decoded from its own exactly-sized copy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsf.h"

#define REQUIRE(c)               \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

struct digest {
	uint64_t h; /* FNV-1a over the token stream */
	uint64_t frames, ends, bytes;
	int idle;
};

static void mix(struct digest *g, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g->h ^= p[i];
		g->h *= 0x100000001b3ull;
	}
}

static void mix_u64(struct digest *g, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	mix(g, b, 8);
}

static void fold(struct digest *g, const struct wsf_event *ev)
{
	if (ev->flags & WSF_EV_HEADER) {
		const struct wsf_header *h = ev->hdr;
		uint8_t t[12] = {'H', h->fin, h->rsv, h->opcode, h->masked,
				 h->mask_key[0], h->mask_key[1], h->mask_key[2],
				 h->mask_key[3], h->len_form, h->header_len,
				 (uint8_t)ev->nviol};
		mix(g, t, sizeof(t));
		mix_u64(g, h->payload_len);
		for (size_t i = 0; i < ev->nviol; i++)
			mix_u64(g, (uint64_t)(int64_t)ev->viol[i]);
		g->frames++;
	}
	mix(g, ev->data, ev->len);
	g->bytes += ev->len;
	if (ev->flags & WSF_EV_END) {
		mix(g, (const uint8_t *)"E", 1);
		g->ends++;
	}
}

static void run(const uint8_t *in, size_t n, const struct wsf_policy *p,
		const uint8_t *sched, size_t nsched, struct digest *g)
{
	struct wsf_decoder d;
	size_t pos = 0, s = 0;

	memset(g, 0, sizeof(*g));
	g->h = 0xcbf29ce484222325ull;
	wsf_decoder_init(&d, p);
	while (pos < n) {
		size_t k = n - pos;
		if (nsched > 0) {
			size_t want = (size_t)sched[s++ % nsched] + 1;
			if (want < k)
				k = want;
		}
		uint8_t *chunk = malloc(k);
		REQUIRE(chunk != NULL);
		memcpy(chunk, in + pos, k);
		size_t c = 0;
		while (c < k) {
			struct wsf_event ev;
			ssize_t got = wsf_decode(&d, chunk + c, k - c, &ev);
			REQUIRE(got > 0 && (size_t)got <= k - c);
			fold(g, &ev);
			c += (size_t)got;
		}
		free(chunk);
		pos += k;
	}
	g->idle = wsf_decoder_idle(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wsf_policy pols[4] = {
		{0, WSP_ROLE_ANY}, {0, WSP_ROLE_CLIENT},
		{WSP_RSV1, WSP_ROLE_SERVER}, {7, WSP_ROLE_CLIENT}};

	if (size < 1)
		return 0;
	const struct wsf_policy *p = &pols[data[0] & 3];
	size_t nsched = 1 + ((data[0] >> 2) & 15);
	if (size < 1 + nsched)
		return 0;
	const uint8_t *sched = data + 1;
	const uint8_t *in = data + 1 + nsched;
	size_t n = size - 1 - nsched;

	struct digest once, chunked;
	run(in, n, p, NULL, 0, &once);
	run(in, n, p, sched, nsched, &chunked);
	REQUIRE(once.h == chunked.h && once.frames == chunked.frames &&
		once.ends == chunked.ends && once.bytes == chunked.bytes &&
		once.idle == chunked.idle);
	return 0;
}
