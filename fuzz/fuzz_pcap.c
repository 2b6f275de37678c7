/*
 * fuzz_pcap.c: a capture file from memory through the reader of
 * pcap/cap.h, read whole and in chunks whose sizes come from a generator
 * seeded by the input (the packets must agree exactly), then every packet
 * through pkt_decode, TCP reassembly and the dissector, with each event
 * formatted as text and as JSON (so the formatter sees hostile events
 * too).  Small reassembly caps make the overflow paths reachable.
 *
 * Input: the file itself.  Its last byte's low bit turns on --port 80
 * (mid-session decoding and resynchronisation).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "dis.h"
#include "disfmt.h"
#include "disfuzz.h"
#include "fuzz.h"
#include "wsp_err.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001B3ull;
	return h;
}

static uint64_t pkt_digest(uint64_t h, const struct cap_pkt *p)
{
	h = fnv(h, &p->number, sizeof(p->number));
	h = fnv(h, &p->ts.sec, sizeof(p->ts.sec));
	h = fnv(h, &p->ts.nsec, sizeof(p->ts.nsec));
	h = fnv(h, &p->linktype, sizeof(p->linktype));
	h = fnv(h, &p->caplen, sizeof(p->caplen));
	h = fnv(h, &p->origlen, sizeof(p->origlen));
	return fnv(h, p->data, p->caplen);
}

static char line[DISFMT_MAX_LINE];

static void on_event(const struct dis_event *ev, void *user)
{
	const struct disfmt_opts *o = user;
	struct disfmt_opts j = *o;
	j.json = 1;
	size_t n = disfmt_event(o, ev, line, sizeof(line));
	REQUIRE(n <= sizeof(line));
	n = disfmt_event(&j, ev, line, sizeof(line));
	REQUIRE(n <= sizeof(line));
	if (ev->type == DIS_EV_FRAME)
		REQUIRE(ev->frame.len <= 64 && ev->frame.received <= ev->frame.hdr.payload_len);
}

/* Reads buf[0..size) with the visible part growing by chunks from seed;
 * returns the packets' digest and the end code. */
static uint64_t read_chunked(uint8_t *buf, size_t size, uint64_t seed,
			     int *end_rc, uint64_t *count)
{
	struct cap_reader r;
	cap_reader_init(&r);
	size_t start = 0, avail = 0;
	uint64_t h = 1469598103934665603ull;
	*count = 0;
	for (;;) {
		struct cap_pkt p;
		size_t need = 0;
		int rc = cap_next(&r, buf + start, avail - start, &p, &need);
		if (rc > 0) {
			if (p.data != NULL) {
				h = pkt_digest(h, &p);
				(*count)++;
			}
			start += (size_t)rc;
			continue;
		}
		if (rc != WSP_E_INCOMPLETE) {
			*end_rc = rc;
			return h;
		}
		REQUIRE(need > avail - start && need <= CAP_MAX_RECORD);
		if (avail == size) {
			*end_rc = cap_end(&r, buf + start, avail - start);
			return h;
		}
		size_t k = 1;
		if (seed != 0) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			k = 1 + (size_t)((seed >> 33) % 97);
		} else {
			k = size - avail;
		}
		avail += k < size - avail ? k : size - avail;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	uint8_t *a = malloc(size + 1);
	uint8_t *b = malloc(size + 1);
	REQUIRE(a != NULL && b != NULL);
	memcpy(a, data, size);
	memcpy(b, data, size);

	/* Whole and chunked reads agree. */
	int rc_whole, rc_chunk;
	uint64_t n_whole, n_chunk;
	uint64_t seed = size > 0 ? fnv(0x9E37, data, size < 8 ? size : 8) | 1 : 1;
	uint64_t h_whole = read_chunked(a, size, 0, &rc_whole, &n_whole);
	uint64_t h_chunk = read_chunked(b, size, seed, &rc_chunk, &n_chunk);
	REQUIRE(rc_whole == rc_chunk);
	REQUIRE(n_whole == n_chunk);
	REQUIRE(h_whole == h_chunk);
	free(b);

	/* The dissector over every packet. */
	struct dis_config cfg;
	disfuzz_config(&cfg);
	cfg.port = size > 0 && (data[size - 1] & 1) ? 80 : 0;
	struct disfmt_opts fmt;
	memset(&fmt, 0, sizeof(fmt));
	fmt.preview = 32;
	fmt.hex = 1;
	struct dis d;
	REQUIRE(dis_init(&d, &cfg) == 0);
	disfuzz_run(&d, a, size, &fmt, on_event, &fmt);
	REQUIRE(d.tcpr.total == 0);
	dis_free(&d);
	free(a);
	return 0;
}
