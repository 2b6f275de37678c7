/*
 * fuzzlive_mut.c: compiles fuzz/wsmut.c, the structure-aware frame
 * mutator, into the wsprobe library under the fzl_wsmut_ names of
 * fuzzlive_mut.h (see there why).
 */
#include "fuzzlive_mut.h"

#include "../fuzz/wsmut.c"
