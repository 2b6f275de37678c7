/*
 * bench_wsf.c: the frame decoder's throughput.
 *
 * Large frames: a 64 MiB stream of masked 64 KiB frames, and one of masked
 * 16 MiB frames, decoded and unmasked in place, against memcpy of the same
 * bytes.  The stream is refreshed from a pristine copy before every run
 * (unmasking changes it); the refresh is not timed.
 *
 * Small frames: a stream of masked client frames with 2..125-byte payloads
 * (and one with 16-byte payloads), in frames per second, against wslay's
 * frame layer receiving the same bytes as a server: wslay_frame_recv in a
 * loop, its receive callback copying from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "bench.h"
#include "wsf.h"

#define MIB (1024u * 1024u)

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, "wsprobe-bench: out of memory\n");
		exit(1);
	}
	return p;
}

/* A stream of masked binary client frames.  plen(i) gives frame i's
 * payload size; frames are added until total bytes would pass cap. */
struct stream {
	uint8_t *bytes;
	size_t n;
	size_t frames;
	uint64_t payload; /* payload bytes in all */
};

static void stream_build(struct stream *s, size_t cap, size_t min_payload,
			 size_t max_payload)
{
	s->bytes = xmalloc(cap);
	s->n = 0;
	s->frames = 0;
	s->payload = 0;
	for (;;) {
		size_t plen = min_payload;
		if (max_payload > min_payload)
			plen += (size_t)(rnd() % (max_payload - min_payload + 1));
		if (WSF_MAX_HEADER + plen > cap - s->n)
			break;
		struct wsf_frame f = {.fin = 1, .opcode = WSP_OP_BINARY,
				      .masked = 1, .payload_len = plen};
		uint64_t k = rnd();
		memcpy(f.mask_key, &k, 4);
		int hl = wsf_encode_header(s->bytes + s->n, &f);
		uint8_t *p = s->bytes + s->n + hl;
		for (size_t i = 0; i < plen; i += 8) {
			uint64_t r = rnd();
			memcpy(p + i, &r, plen - i < 8 ? plen - i : 8);
		}
		s->n += (size_t)hl + plen;
		s->frames++;
		s->payload += plen;
	}
}

/* Decodes buf[0..n) as client frames; returns frames completed. */
static size_t decode_all(uint8_t *buf, size_t n, uint64_t *payload)
{
	static const struct wsf_policy pol = {0, WSP_ROLE_CLIENT};
	struct wsf_decoder d;
	size_t pos = 0, frames = 0;
	uint64_t bytes = 0;

	wsf_decoder_init(&d, &pol);
	while (pos < n) {
		struct wsf_event ev;
		ssize_t got = wsf_decode(&d, buf + pos, n - pos, &ev);
		bytes += ev.len;
		frames += (ev.flags & WSF_EV_END) != 0;
		pos += (size_t)got;
	}
	*payload = bytes;
	return frames;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "wsprobe-bench: %s: wrong result\n", what);
		exit(1);
	}
}

static void bench_unmask(const char *name, size_t frame)
{
	struct stream s;
	stream_build(&s, 64 * MIB + 64 * 1024, frame, frame);
	uint8_t *work = xmalloc(s.n), *dst = xmalloc(s.n);
	double t_ours[BENCH_REPS], t_base[BENCH_REPS];

	/* Touch every page once so no run pays for first faults. */
	memset(work, 0, s.n);
	memset(dst, 0, s.n);
	for (int r = 0; r < BENCH_REPS; r++) {
		memcpy(work, s.bytes, s.n);
		uint64_t payload;
		double t0 = bench_now();
		size_t frames = decode_all(work, s.n, &payload);
		t_ours[r] = bench_now() - t0;
		check(frames == s.frames && payload == s.payload, name);
		bench_consume(work, s.n);

		t0 = bench_now();
		bench_memcpy(dst, s.bytes, s.n);
		t_base[r] = bench_now() - t0;
		bench_consume(dst, s.n);
	}
	struct bench_row row = {
		.workload = name,
		.ours = (double)s.n / bench_best(t_ours, BENCH_REPS) / 1e6,
		.baseline = "memcpy",
		.base = (double)s.n / bench_best(t_base, BENCH_REPS) / 1e6,
		.unit = "MB/s",
		.target = 0.5,
	};
	bench_print(&row);
	free(work);
	free(dst);
	free(s.bytes);
}

/* wslay's receive callback: copies from the in-memory stream. */
struct wslay_src {
	const uint8_t *p;
	size_t n, pos;
};

static ssize_t wslay_src_recv(uint8_t *buf, size_t len, int flags,
			      void *user)
{
	struct wslay_src *s = user;
	(void)flags;
	size_t k = s->n - s->pos;
	if (k == 0)
		return WSLAY_ERR_WANT_READ; /* nothing left */
	if (k > len)
		k = len;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

static size_t wslay_decode_all(const uint8_t *buf, size_t n,
			       uint64_t *payload)
{
	struct wslay_src src = {buf, n, 0};
	struct wslay_frame_callbacks cb = {NULL, wslay_src_recv, NULL};
	wslay_frame_context_ptr ctx;
	size_t frames = 0;
	uint64_t bytes = 0, in_frame = 0;

	if (wslay_frame_context_init(&ctx, &cb, &src) != 0) {
		fprintf(stderr, "wsprobe-bench: wslay init failed\n");
		exit(1);
	}
	for (;;) {
		struct wslay_frame_iocb iocb;
		ssize_t r = wslay_frame_recv(ctx, &iocb);
		if (r < 0)
			break; /* WANT_READ at the end of the stream */
		bytes += (uint64_t)r;
		in_frame += (uint64_t)r;
		if (in_frame == iocb.payload_length) {
			frames++;
			in_frame = 0;
		}
	}
	wslay_frame_context_free(ctx);
	*payload = bytes;
	return frames;
}

static void bench_small(const char *name, size_t min_payload,
			size_t max_payload)
{
	struct stream s;
	stream_build(&s, 64 * MIB, min_payload, max_payload);
	uint8_t *work = xmalloc(s.n);
	double t_ours[BENCH_REPS], t_base[BENCH_REPS];

	memset(work, 0, s.n);
	for (int r = 0; r < BENCH_REPS; r++) {
		memcpy(work, s.bytes, s.n);
		uint64_t payload;
		double t0 = bench_now();
		size_t frames = decode_all(work, s.n, &payload);
		t_ours[r] = bench_now() - t0;
		check(frames == s.frames && payload == s.payload, name);
		bench_consume(work, s.n);

		t0 = bench_now();
		frames = wslay_decode_all(s.bytes, s.n, &payload);
		t_base[r] = bench_now() - t0;
		check(frames == s.frames && payload == s.payload, "wslay");
	}
	struct bench_row row = {
		.workload = name,
		.ours = (double)s.frames / bench_best(t_ours, BENCH_REPS) / 1e6,
		.baseline = "wslay_frame_recv",
		.base = (double)s.frames / bench_best(t_base, BENCH_REPS) / 1e6,
		.unit = "Mframes/s",
		.target = 2.0,
	};
	bench_print(&row);
	free(work);
	free(s.bytes);
}

void bench_wsf(void)
{
	bench_unmask("wsf decode+unmask, 64 KiB frames", 64 * 1024);
	bench_unmask("wsf decode+unmask, 16 MiB frames", 16 * MIB);
	bench_small("wsf decode, masked 2..125 B frames", 2, 125);
	bench_small("wsf decode, masked 16 B frames", 16, 16);
}
