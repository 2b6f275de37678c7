/*
 * cases_embed.h: the case library (the Lua files of cases/) compiled into the binary,
 * so that wsprobe runs its full suite with no files beside it.  The arrays
 * are generated at build time by scripts/embed-cases.sh from the files in
 * cases/, in name order: cases_embedded holds the case files, and
 * cases_library the preludes of cases/lib/ that case files load with
 * use "NAME" (lcase_lib.h), which declare no case themselves.
 */
#ifndef CASES_EMBED_H
#define CASES_EMBED_H

#include <stddef.h>

struct cases_embedded_file {
	const char *name; /* "cases/01_framing.lua" */
	const char *text;
	size_t len;
};

extern const struct cases_embedded_file cases_embedded[];
extern const size_t cases_embedded_count;
extern const struct cases_embedded_file cases_library[]; /* cases/lib/ */
extern const size_t cases_library_count;

#endif
