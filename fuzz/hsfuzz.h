/*
 * hsfuzz.h: what the two handshake targets (fuzz_hs_request.c and
 * fuzz_hs_response.c) share: a parse result with its header array, the
 * check that a slice lies inside the head, the check of a violation list,
 * and the two-chunk invariant (a head parsed in two calls, the buffer
 * moved between them, gives exactly the one-shot result).
 */
#ifndef HSFUZZ_H
#define HSFUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "hs.h"

#define HSFUZZ_NHDR 64

struct hsfuzz_result {
	int rc;
	struct hs_header h[HSFUZZ_NHDR];
	struct hs_msg m;
};

/* hs_parse_request or hs_parse_response. */
typedef int (*hsfuzz_parse_fn)(struct hs_msg *m, const char *buf, size_t len,
			       size_t last_len);

/* 1 when p[0..n) lies inside buf[0..head) (an empty slice anywhere). */
int hsfuzz_in_head(const char *p, size_t n, const char *buf, size_t head);

/* Aborts unless viol[0..n) is a list hs_check_* may return: 0..HS_MAX_VIOL
 * codes, each with a requirement id, in increasing order of magnitude. */
void hsfuzz_check_list(const int *viol, int n);

/* Aborts unless every slice of a parsed head (rc > 0) lies inside
 * buf[0..rc) and head_len is rc. */
void hsfuzz_check_slices(const struct hsfuzz_result *r, const char *buf);

/*
 * Parses data[0..size) again in two chunks: first data[0..split) from its
 * own exactly-sized copy, split taken from the input, then (when that is
 * WSP_E_INCOMPLETE) the whole input from a new copy with last_len = split.
 * Aborts unless the result equals one (the one-shot parse of onebuf, a copy
 * of data), slices compared as offsets into their buffers.
 */
void hsfuzz_two_chunks(hsfuzz_parse_fn parse, const struct hsfuzz_result *one,
		       const char *onebuf, const uint8_t *data, size_t size);

#endif
