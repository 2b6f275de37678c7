/*
 * fuzz_wsf_mut.c: the frame-stream decoder (proto/wsf.h) and the message
 * layer above it (proto/msg.h), driven by the structure-aware mutator of
 * wsmut.h through LLVMFuzzerCustomMutator and LLVMFuzzerCustomCrossOver.
 *
 * The input is a frame sequence as it would arrive on the wire.  It is
 * decoded by wsf_decode as a client stream and as a server stream with
 * RSV1 negotiated; every completed header must carry exactly the
 * violations wsf_check lists for it, and payload offsets must add up to
 * the announced length.  Then the message layer runs over it, lenient,
 * with permessage-deflate's RSV1 allowed and reassembly on, so that the
 * mutator's fragmentation, interleaved control frames, UTF-8 and Close
 * mutations reach its rules.  Each run uses a fresh exactly-sized copy so
 * that ASan sees any read past the input.
 *
 * Built with -DWSMUT_PLAIN the hooks are left out: the same target with
 * libFuzzer's own mutators only (tests/fuzz/compare_coverage.sh).  In the
 * gcc replay build LLVMFuzzerMutate does not exist; it is declared weak
 * and the hooks are never called there anyway.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "msg.h"
#include "wsf.h"
#include "wsmut.h"

static void decode(uint8_t *buf, size_t size, const struct wsf_policy *p)
{
	struct wsf_decoder d;
	uint64_t delivered = 0, announced = 0;
	int open = 0;
	size_t pos = 0;

	wsf_decoder_init(&d, p);
	while (pos < size) {
		struct wsf_event ev;
		ssize_t got = wsf_decode(&d, buf + pos, size - pos, &ev);
		REQUIRE(got > 0 && (size_t)got <= size - pos);
		if (ev.flags & WSF_EV_HEADER) {
			int want[WSF_MAX_VIOL];
			size_t n = wsf_check(ev.hdr, p, want, WSF_MAX_VIOL);
			REQUIRE(!open && n == ev.nviol);
			for (size_t i = 0; i < n; i++)
				REQUIRE(want[i] == ev.viol[i]);
			open = 1;
			delivered = 0;
			announced = ev.hdr->payload_len;
		}
		REQUIRE(!open || ev.offset == delivered);
		delivered += ev.len;
		if (ev.flags & WSF_EV_END) {
			REQUIRE(open && delivered == announced);
			open = 0;
		}
		pos += (size_t)got;
	}
}

struct tally {
	uint64_t frames, ends;
};

static void on_event(const struct msg_event *ev, void *user)
{
	struct tally *t = user;
	if (ev->type == MSG_EV_FRAME)
		t->frames++;
	if (ev->type == MSG_EV_CONTROL)
		REQUIRE(ev->len <= 125);
	if (ev->type == MSG_EV_END)
		t->ends++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wsf_policy c2s = {0, WSP_ROLE_CLIENT};
	static const struct wsf_policy s2c = {WSP_RSV1, WSP_ROLE_SERVER};
	uint8_t *buf = malloc(size ? size : 1);
	REQUIRE(buf != NULL);
	if (size)
		memcpy(buf, data, size);
	decode(buf, size, &c2s);
	if (size)
		memcpy(buf, data, size);
	decode(buf, size, &s2c);

	struct msg_config cfg;
	struct msg_decoder m;
	struct tally t = {0, 0};
	size_t used = 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.policy.rsv_allowed = WSP_RSV1;
	cfg.policy.sender = WSP_ROLE_CLIENT;
	cfg.max_message = 1024;
	cfg.reasm_max = 2048;
	REQUIRE(msg_init(&m, &cfg) == 0);
	if (size)
		memcpy(buf, data, size);
	int rc = msg_feed(&m, buf, size, &used, on_event, &t);
	REQUIRE(rc == 0 && used == size);
	(void)msg_finish(&m, on_event, &t);
	msg_free(&m);
	REQUIRE(t.ends <= t.frames + 1);
	free(buf);
	return 0;
}

#ifndef WSMUT_PLAIN
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed);

/* Weak: absent from the gcc replay build, which never calls the hooks. */
__attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size,
					      size_t max_size);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	struct wsmut_opts o = {LLVMFuzzerMutate, 8, 0};
	return wsmut_mutate(&o, data, size, max_size, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed)
{
	return wsmut_crossover(d1, s1, d2, s2, out, max_out, seed);
}
#endif
