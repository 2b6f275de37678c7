/*
 * wslay_fuzz.c: an example of the wsmut mutator (fuzz/wsmut.h) driving a
 * third-party WebSocket parser: the frame layer of wslay
 * (wslay_frame_recv, from Debian's libwslay-dev).
 *
 * The input is the byte stream a wslay server reads; wslay pulls it
 * through its recv callback in chunks of up to 13 bytes, so headers are
 * split across reads.  Every frame it reports is checked against what the
 * stream can hold (no more payload than bytes fed, data_length never over
 * payload_length), and the outcome of each call (opcode, flags, error
 * code) is turned into a branch here, which gives libFuzzer a signal even
 * though Debian's wslay is not built with coverage instrumentation.  For
 * real coverage, build wslay from source with -fsanitize=fuzzer-no-link.
 *
 * Build: make fuzz-examples (build/fuzz/examples/wslay_fuzz); see README.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <wslay/wslay.h>

#include "wsmut.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed);

struct feed {
	const uint8_t *p;
	size_t left;
};

static ssize_t on_recv(uint8_t *buf, size_t len, int flags, void *user)
{
	struct feed *f = user;
	(void)flags;
	if (f->left == 0)
		return WSLAY_ERR_WANT_READ; /* end of this input */
	size_t n = len < f->left ? len : f->left;
	if (n > 13)
		n = 13;
	memcpy(buf, f->p, n);
	f->p += n;
	f->left -= n;
	return (ssize_t)n;
}

static ssize_t on_send(const uint8_t *d, size_t len, int flags, void *user)
{
	(void)d, (void)flags, (void)user;
	return (ssize_t)len;
}

static int on_genmask(uint8_t *buf, size_t len, void *user)
{
	(void)user;
	memset(buf, 0x5a, len);
	return 0;
}

/* A distinct branch per outcome, so libFuzzer tells them apart. */
static volatile unsigned sink;

static void note(const struct wslay_frame_iocb *io, ssize_t r)
{
	switch (r < 0 ? (int)r : 1) {
	case WSLAY_ERR_WANT_READ: sink += 1; break;
	case WSLAY_ERR_PROTO: sink += 2; break;
	case WSLAY_ERR_INVALID_CALLBACK: sink += 3; break;
	case WSLAY_ERR_NOMEM: sink += 4; break;
	case 1:
		switch (io->opcode) {
		case 0: sink += 10; break;
		case 1: sink += 11; break;
		case 2: sink += 12; break;
		case 8: sink += 13; break;
		case 9: sink += 14; break;
		case 10: sink += 15; break;
		default: sink += 16; break;
		}
		if (io->fin)
			sink += 20;
		if (io->rsv & 4)
			sink += 30;
		if (io->mask)
			sink += 40;
		if (io->payload_length > 125)
			sink += 50;
		if (io->payload_length > 65535)
			sink += 60;
		break;
	default: sink += 5; break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wslay_frame_callbacks cb = {on_send, on_recv, on_genmask};
	struct feed f = {data, size};
	wslay_frame_context_ptr ctx;
	if (wslay_frame_context_init(&ctx, &cb, &f) != 0)
		return 0;
	uint64_t payload = 0;
	for (int guard = 0; guard < 100000; guard++) {
		struct wslay_frame_iocb io;
		memset(&io, 0, sizeof(io));
		size_t before = f.left;
		ssize_t r = wslay_frame_recv(ctx, &io);
		note(&io, r);
		if (r < 0)
			break;
		/* Payload handed out never exceeds the bytes fed. */
		payload += io.data_length;
		if (payload > size || io.data_length > io.payload_length)
			abort();
		if (r == 0 && before == f.left && io.data_length == 0 &&
		    io.payload_length != 0)
			break; /* no progress */
	}
	wslay_frame_context_free(ctx);
	return 0;
}

/* The mutator hooks: all it takes to fuzz a parser with wsmut. */
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
