/*
 * fuzzlive_mut.h: the frame mutator of fuzz/wsmut.h as the live fuzzer
 * links it.  fuzz/wsmut.c is built into the fuzz targets and included by
 * tests/check_wsmut.c, so the library objects cannot carry its names a
 * second time; harness/fuzzlive_mut.c compiles it under these fzl_ names
 * instead (same code, same behaviour, no global state).
 */
#ifndef FUZZLIVE_MUT_H
#define FUZZLIVE_MUT_H

#define wsmut_mutate fzl_wsmut_mutate
#define wsmut_crossover fzl_wsmut_crossover
#define wsmut_count_frames fzl_wsmut_count_frames

#include "../fuzz/wsmut.h" /* relative: builds without -Ifuzz too */

#endif
