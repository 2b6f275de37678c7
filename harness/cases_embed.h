/*
 * cases_embed.h: the case library (the Lua files of cases/) compiled into the binary,
 * so that wsprobe runs its full suite with no files beside it.  The array
 * is generated at build time by scripts/embed-cases.sh from the files in
 * cases/, in name order.
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

#endif
