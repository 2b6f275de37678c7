/*
 * fuzz.h: the entry points every fuzz target defines, declared once so that
 * the targets build warning-free under -Wmissing-prototypes with gcc (the
 * replay runner) and clang (libFuzzer), and the check every target uses.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* An invariant of the target: abort when it does not hold, which libFuzzer
 * reports as a crash (with the input saved) and the replay runner as a
 * failure.  Not assert(): it must hold with NDEBUG too. */
#define REQUIRE(c)               \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
