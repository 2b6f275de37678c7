/*
 * bench_u8.c: the UTF-8 validator's throughput (proto/u8.h), against memcpy
 * of the same bytes: 64 MiB of ASCII text, of text mixing 1- to 4-byte
 * sequences, and of ASCII with a 2-byte letter every 40 bytes (names in
 * JSON, accents in prose: what the 12.x data sets look like).  The last two
 * also kept off the vector path (u8_vector_available), for the ratio the
 * vector path brings; those rows have no target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "u8.h"

#define SIZE (64u * 1024u * 1024u)

static void run(const char *name, const uint8_t *text, size_t n,
		double target, int vector)
{
	uint8_t *dst = malloc(n);
	double t_ours[BENCH_REPS], t_base[BENCH_REPS];
	if (dst == NULL) {
		fprintf(stderr, "wsprobe-bench: out of memory\n");
		exit(1);
	}
	memset(dst, 0, n);
	for (int r = 0; r < BENCH_REPS; r++) {
		struct u8_validator v;
		double t0 = bench_now();
		u8_init(&v);
		if (!vector)
			v.vector = 0;
		int rc = u8_feed(&v, text, n);
		if (rc == 0)
			rc = u8_finish(&v);
		t_ours[r] = bench_now() - t0;
		if (rc != 0) {
			fprintf(stderr, "wsprobe-bench: %s: invalid at %llu\n",
				name, (unsigned long long)v.error_offset);
			exit(1);
		}
		t0 = bench_now();
		bench_memcpy(dst, text, n);
		t_base[r] = bench_now() - t0;
		bench_consume(dst, n);
	}
	struct bench_row row = {
		.workload = name,
		.ours = (double)n / bench_best(t_ours, BENCH_REPS) / 1e6,
		.baseline = "memcpy",
		.base = (double)n / bench_best(t_base, BENCH_REPS) / 1e6,
		.unit = "MB/s",
		.target = target,
	};
	bench_print(&row);
	free(dst);
}

void bench_u8(void)
{
	uint8_t *text = malloc(SIZE);
	if (text == NULL) {
		fprintf(stderr, "wsprobe-bench: out of memory\n");
		exit(1);
	}
	/* ASCII: printable text with spaces and newlines. */
	static const char words[] =
		"The quick brown fox jumps over the lazy dog; 0123456789.\n";
	for (size_t i = 0; i < SIZE; i++)
		text[i] = (uint8_t)words[i % (sizeof(words) - 1)];
	run("u8 validate, ASCII", text, SIZE, 0.5, 1);

	/* Mixed: a cycle of 1-, 2-, 3- and 4-byte characters (a, e acute,
	 * euro sign, U+1F600), whole sequences only. */
	static const uint8_t mix[] = {
		'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80,
		0xD0, 0x96, 0xE4, 0xB8, 0xAD, 0xF4, 0x8F, 0xBF, 0xBF, ' ',
	};
	size_t n = SIZE / sizeof(mix) * sizeof(mix);
	for (size_t i = 0; i < n; i++)
		text[i] = mix[i % sizeof(mix)];
	run("u8 validate, mixed 1-4 byte", text, n, 0, 1);
	run("u8 validate, mixed, scalar", text, n, 0, 0);

	/* ASCII with a 2-byte letter (o umlaut) every 40 bytes. */
	for (size_t i = 0; i + 1 < SIZE; i++) {
		if (i % 40 == 38) {
			text[i++] = 0xC3;
			text[i] = 0xB6;
		} else {
			text[i] = (uint8_t)words[i % (sizeof(words) - 1)];
		}
	}
	text[SIZE - 1] = 'x';
	run("u8 validate, letter every 40 B", text, SIZE, 0, 1);
	run("u8 validate, letter/40 B, scalar", text, SIZE, 0, 0);
	free(text);
}
