/*
 * fuzz.h: the entry points every fuzz target defines, declared once so that
 * the targets build warning-free under -Wmissing-prototypes with gcc (the
 * replay runner) and clang (libFuzzer).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
