/*
 * fuzz_u8_diff.c: the differential UTF-8 target.  u8_feed (the vector path
 * for 64-byte blocks, the ASCII and sequence fast paths, the DFA), fed in
 * chunks taken from the input, must agree with the scalar reference
 * u8_ref_validate on validity, error class and error offset, with itself
 * fed all at once, and with itself kept off the vector path.  Any
 * disagreement aborts.
 *
 * Input: byte 0 seeds the chunk schedule (its low 6 bits + 1 bound the chunk
 * size, so both tiny and block-sized chunks occur; bit 6 keeps the chunked
 * run off the vector path); the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "u8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *p, size_t n, uint32_t seed, unsigned maxchunk,
	       int vector, uint64_t *off)
{
	struct u8_validator v;
	u8_init(&v);
	if (!vector)
		v.vector = 0;
	size_t i = 0;
	int rc = 0;
	uint32_t x = seed | 1u;
	while (i < n && rc == 0) {
		size_t k = n - i;
		if (maxchunk != 0) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			size_t c = 1 + x % maxchunk;
			if (c < k)
				k = c;
		}
		rc = u8_feed(&v, p + i, k);
		i += k;
	}
	if (rc == 0)
		rc = u8_finish(&v);
	if (rc != 0 && rc != v.error)
		abort();
	*off = rc == 0 ? n : v.error_offset;
	/* A sticky error: asking again changes nothing. */
	if (rc != 0 && (u8_feed(&v, p, n) != rc || u8_finish(&v) != rc ||
			v.error_offset != *off))
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	size_t n = size - 1;
	/* An exactly sized copy, so ASan sees any read past the end. */
	uint8_t *p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		return 0;
	if (n > 0)
		memcpy(p, data + 1, n);
	const uint8_t *q = n > 0 ? p : NULL;

	uint64_t ref_off = 0, all_off = 0, ch_off = 0, sc_off = 0;
	int ref = u8_ref_validate(q, n, &ref_off);
	int all = run(q, n, 0, 0, 1, &all_off);
	int sc = run(q, n, 0, 0, 0, &sc_off);
	int ch = run(q, n, (uint32_t)size * 2654435761u ^ ctl,
		     (unsigned)(ctl & 63) + 1, !(ctl & 64), &ch_off);
	if (ref != all || ref_off != all_off || ref != ch ||
	    ref_off != ch_off || ref != sc || ref_off != sc_off)
		abort();
	free(p);
	return 0;
}
