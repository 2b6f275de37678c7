/*
 * wsmut.h: a structure-aware mutator for WebSocket frame streams (RFC 6455
 * section 5.2, RFC 7692), for libFuzzer's LLVMFuzzerCustomMutator and
 * LLVMFuzzerCustomCrossOver hooks or any other fuzzer.
 *
 * An input is read as a sequence of frames (header, payload).  A mutation
 * changes one field at a time, the way a buggy or hostile peer would:
 * opcode (reserved values included), FIN, each RSV bit, the length form
 * (7, 16 or 64 bits, minimal or not), the MASK bit and the key, fragment
 * boundaries (split, merge), control frames inserted between fragments,
 * payload bytes with UTF-8-aware edits (overlong forms, surrogates,
 * truncated sequences, code points past U+10FFFF), close codes, and
 * permessage-deflate payloads (a raw deflate stream with RSV1 set).  The
 * frames are then written back with wsf_encode, so announced lengths and
 * the masking always agree with the payload: the parser under test gets
 * past the framing and meets the interesting field.  Bytes that do not
 * parse as frames are handed to a byte-level mutator instead.
 *
 * Everything follows from the seed argument: the same input, size limit,
 * options and seed give the same output.  The library keeps no global
 * state; each call allocates a scratch area (about twice max_size) and
 * frees it before returning.
 *
 * To use it in another project's libFuzzer harness, compile wsmut.c and
 * proto/wsf.c (plus proto/wsp_err.c, and link -lz), then:
 *
 *   size_t LLVMFuzzerCustomMutator(uint8_t *d, size_t n, size_t max,
 *                                  unsigned int seed)
 *   {
 *           struct wsmut_opts o = { LLVMFuzzerMutate, 8, 0 };
 *           return wsmut_mutate(&o, d, n, max, seed);
 *   }
 *
 * and likewise LLVMFuzzerCustomCrossOver with wsmut_crossover.  See
 * docs/fuzzing.md and fuzz/examples/wslay_fuzz.c.
 */
#ifndef WSMUT_H
#define WSMUT_H

#include <stddef.h>
#include <stdint.h>

/* The most frames a sequence holds; frames past it stay as raw tail bytes. */
#define WSMUT_MAX_FRAMES 64

/* A byte-level mutator with libFuzzer's LLVMFuzzerMutate contract: mutate
 * data[0..size) in place within max_size bytes and return the new size. */
typedef size_t (*wsmut_bytes_fn)(uint8_t *data, size_t size,
				 size_t max_size);

struct wsmut_opts {
	/* Byte-level mutator for unparsable input and for occasional noise;
	 * NULL selects a small built-in one driven by the seed.  Note that
	 * LLVMFuzzerMutate draws on libFuzzer's own random state, so outputs
	 * are deterministic from the seed only with NULL. */
	wsmut_bytes_fn bytes;
	/* One structured mutation in byte_rate is followed by a byte-level
	 * mutation of the whole output (which may break the framing).  0:
	 * never; the output then always parses as whole frames, and input
	 * that is not frames is wrapped as a binary frame's payload. */
	unsigned byte_rate;
	/* Most frames to produce (0 or over WSMUT_MAX_FRAMES: the maximum). */
	unsigned max_frames;
};

/*
 * Mutates the frame sequence data[0..size) in place and returns its new
 * size, 1..max_size (or size unchanged when max_size leaves no room for any
 * frame, or the scratch area cannot be allocated).  o may be NULL (defaults:
 * built-in byte mutator, byte_rate 0, WSMUT_MAX_FRAMES).  data must hold
 * max_size bytes; size <= max_size.  Whole frames are parsed from the
 * start; bytes after the last whole frame (an announced length running past
 * the end) are kept as an unparsed tail at the end of the output.
 * Deterministic from seed (see wsmut_opts.bytes).
 */
size_t wsmut_mutate(const struct wsmut_opts *o, uint8_t *data, size_t size,
		    size_t max_size, unsigned int seed);

/*
 * Splices two frame sequences into out[0..max_out): the first frames of a
 * followed by the last frames of b, or the two interleaved frame by frame,
 * chosen from seed.  Each frame is copied whole, so the result is a frame
 * sequence whenever both inputs are.  When either input holds no whole
 * frame the bytes are spliced instead (a prefix of a, a suffix of b).
 * Returns the size written (0..max_out).  Deterministic from seed.
 */
size_t wsmut_crossover(const uint8_t *a, size_t asize, const uint8_t *b,
		       size_t bsize, uint8_t *out, size_t max_out,
		       unsigned int seed);

/*
 * Counts the whole frames at the start of data[0..size) (at most
 * WSMUT_MAX_FRAMES) and stores in *parsed the bytes they span.  A helper for
 * harnesses and tests: a result with *parsed == size means the input is a
 * clean frame sequence.  parsed may be NULL.
 */
size_t wsmut_count_frames(const uint8_t *data, size_t size, size_t *parsed);

/* The length of the whole frame at p[0..avail) (header, mask key and
 * payload), or 0 when it is not all there. */
size_t wsmut_frame_len(const uint8_t *p, size_t avail);

/* splitmix64, the generator behind wsmut_mutate's choices, for callers
 * that draw their own (the live fuzzer): the next value from the state *s,
 * which may start anywhere; the sequence is a function of it alone. */
uint64_t wsmut_next(uint64_t *s);

/* A value in [0, n) drawn with wsmut_next (modulo, so slightly biased for
 * large n); 0 when n is 0. */
size_t wsmut_below(uint64_t *s, size_t n);

#endif
