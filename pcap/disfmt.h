/*
 * disfmt.h: the dissector's output: one text line (in the spirit of
 * tshark's packet list) or one JSON object per event, written into a
 * caller buffer.  Pure: no I/O; the C locale is never consulted (numbers
 * are formatted by hand), so output is byte-stable under any LC_NUMERIC.
 *
 * What is printed depends on the mode:
 *   frames (default): HTTP upgrade heads, session starts, frames (with
 *     their violations inline), gaps, notes, and violations that belong to
 *     no frame (handshake, Ping never answered...);
 *   messages: the same with messages instead of frames, and every
 *     violation on its own line;
 *   check: violations only.
 * docs/dissect.md shows every line kind and every JSON field.
 */
#ifndef PCAP_DISFMT_H
#define PCAP_DISFMT_H

#include <stddef.h>

#include "cap.h"
#include "dis.h"

/* Enough for any one event with cfg.keep up to DISFMT_MAX_KEEP. */
#define DISFMT_MAX_LINE 65536
#define DISFMT_MAX_KEEP 4096

struct disfmt_opts {
	int json;
	int messages;
	int check;
	int hex;            /* -x: add the kept payload bytes in hex */
	int digest;         /* JSON frames: payload_crc32, inflated_crc32
			     * (the dissector must run with cfg.digest) */
	size_t preview;     /* payload bytes shown in the preview */
	struct cap_time t0; /* text times are relative to this */
};

/*
 * Formats ev into out[0..cap) (cap >= DISFMT_MAX_LINE is always enough),
 * ending with a newline.  Returns the number of bytes written; 0 when the
 * mode does not print this event.  A line that would not fit is cut (and
 * still ends with a newline).
 */
size_t disfmt_event(const struct disfmt_opts *o, const struct dis_event *ev,
		    char *out, size_t cap);

#endif
