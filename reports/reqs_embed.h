/*
 * reqs_embed.h: the requirements table (docs/requirements.tsv: id, rfc,
 * section, level, role, wire-testable, summary, ... separated by tabs, one
 * requirement a line after a header line), compiled into the binary by
 * scripts/embed-reqs.sh as build/gen/reqs_embed.c.  rep__req_lookup
 * (rep_int.h) reads it.
 */
#ifndef REQS_EMBED_H
#define REQS_EMBED_H

#include <stddef.h>

extern const char rep_reqs_tsv[];     /* NUL-terminated */
extern const size_t rep_reqs_tsv_len; /* without the NUL */

#endif
