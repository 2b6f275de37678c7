/*
 * disfuzz.h: what the capture targets (fuzz_pcap.c and fuzz_digest.c)
 * share: the dissector configuration with the small limits the fuzzer
 * wants, and the loop that reads every packet of a capture file and feeds
 * it to the dissector.
 */
#ifndef DISFUZZ_H
#define DISFUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "dis.h"
#include "disfmt.h"

/* Zeroes cfg, then: every stream, reassembly limited to 8 KiB a direction,
 * 64 KiB in all, 16 open and 16 closed streams, 1 MiB inflated a message
 * (small enough that the fuzzer reaches the limits). */
void disfuzz_config(struct dis_config *cfg);

/*
 * Reads the capture file in buf[0..size) packet by packet (cap_next) until
 * the end or an error, feeds every packet to d (cb, user for its events;
 * aborts unless dis_packet returns 0), then calls dis_finish.  fmt->t0 is
 * set from packet 1.  buf is modified: the dissector unmasks in place.
 * d stays the caller's to free.
 */
void disfuzz_run(struct dis *d, uint8_t *buf, size_t size,
		 struct disfmt_opts *fmt,
		 void (*cb)(const struct dis_event *ev, void *user),
		 void *user);

#endif
