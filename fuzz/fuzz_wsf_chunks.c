/*
 * fuzz_wsf_chunks.c: decoding in chunks must equal decoding all at once.
 *
 * Input layout: byte 0 picks the policy (bits 0-1) and the number of
 * schedule bytes (bits 2-5, 1..16); the schedule bytes each give one chunk
 * size (1..256, byte + 1), used in a cycle as uWebSockets' fuzzers do; the
 * rest is the stream.  Both decodings fold every event into a digest that
 * does not depend on where chunks were cut: each header's fields and
 * violations, every payload byte in order, and each frame end.  Each chunk
 * is decoded from its own exactly-sized copy.  A third decoding passes over
 * payload with wsf_skip at the start of every chunk (as many bytes as the
 * schedule byte says): the same headers and ends, and every payload byte it
 * does see equal to the one-shot decoding's at the same place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wsf.h"

struct digest {
	uint64_t h;  /* FNV-1a over the token stream */
	uint64_t hh; /* the same over headers and ends only */
	uint64_t frames, ends, bytes;
	int idle;
};

static void mix_into(uint64_t *h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ull;
	}
}

static void mix(struct digest *g, const uint8_t *p, size_t n)
{
	mix_into(&g->h, p, n);
}

/* Header fields go into both digests. */
static void mix_u64(struct digest *g, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	mix(g, b, 8);
	mix_into(&g->hh, b, 8);
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
		mix_into(&g->hh, t, sizeof(t));
		mix_u64(g, h->payload_len);
		for (size_t i = 0; i < ev->nviol; i++)
			mix_u64(g, (uint64_t)(int64_t)ev->viol[i]);
		g->frames++;
	}
	mix(g, ev->data, ev->len);
	g->bytes += ev->len;
	if (ev->flags & WSF_EV_END) {
		mix(g, (const uint8_t *)"E", 1);
		mix_into(&g->hh, (const uint8_t *)"E", 1);
		g->ends++;
	}
}

/* Decodes in[0..n) in the chunks sched gives (all at once without one).
 * pay: when not NULL, receives every payload byte in order (room for n).
 * ref: when not NULL, a skipping run: wsf_skip passes over payload at the
 * start of each chunk, and the bytes still seen must equal ref's at the
 * same place (g->bytes counts skipped bytes too). */
static void run(const uint8_t *in, size_t n, const struct wsf_policy *p,
		const uint8_t *sched, size_t nsched, struct digest *g,
		uint8_t *pay, const uint8_t *ref)
{
	struct wsf_decoder d;
	size_t pos = 0, s = 0;

	memset(g, 0, sizeof(*g));
	g->h = 0xcbf29ce484222325ull;
	g->hh = 0xcbf29ce484222325ull;
	wsf_decoder_init(&d, p);
	while (pos < n) {
		size_t k = n - pos;
		size_t want = 0;
		if (nsched > 0) {
			want = (size_t)sched[s++ % nsched] + 1;
			if (want < k)
				k = want;
		}
		if (ref != NULL) {
			/* Never past the input: the skip stands for bytes
			 * that arrived and were not looked at. */
			size_t ask = want * 7 < n - pos ? want * 7 : n - pos;
			size_t skip = wsf_skip(&d, ask);
			REQUIRE(skip <= ask);
			g->bytes += skip;
			pos += skip;
			if (pos == n)
				break;
			if (k > n - pos)
				k = n - pos;
		}
		uint8_t *chunk = malloc(k);
		REQUIRE(chunk != NULL);
		memcpy(chunk, in + pos, k);
		size_t c = 0;
		while (c < k) {
			struct wsf_event ev;
			ssize_t got = wsf_decode(&d, chunk + c, k - c, &ev);
			REQUIRE(got > 0 && (size_t)got <= k - c);
			if (ref != NULL)
				REQUIRE(ev.len == 0 ||
					memcmp(ev.data, ref + g->bytes,
					       ev.len) == 0);
			if (pay != NULL)
				memcpy(pay + g->bytes, ev.data, ev.len);
			fold(g, &ev);
			c += (size_t)got;
		}
		free(chunk);
		pos += k;
	}
	g->idle = wsf_decoder_idle(&d);
}

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

	struct digest once, chunked, skipped;
	uint8_t *pay = malloc(n > 0 ? n : 1);
	REQUIRE(pay != NULL);
	run(in, n, p, NULL, 0, &once, pay, NULL);
	run(in, n, p, sched, nsched, &chunked, NULL, NULL);
	REQUIRE(once.h == chunked.h && once.frames == chunked.frames &&
		once.ends == chunked.ends && once.bytes == chunked.bytes &&
		once.idle == chunked.idle);
	run(in, n, p, sched, nsched, &skipped, NULL, pay);
	REQUIRE(once.hh == skipped.hh && once.frames == skipped.frames &&
		once.ends == skipped.ends && once.bytes == skipped.bytes &&
		once.idle == skipped.idle);
	free(pay);
	return 0;
}
