/*
 * fuzz_dissect.c: the whole dissector on fuzzed WebSocket sessions, and
 * its chunking invariant.
 *
 * The input is a session: a configuration byte, a seed, then writes
 * (direction and bytes).  It becomes a capture twice with capgen: once
 * with each write in one TCP segment, once with each write cut into
 * segments at places drawn from the seed, sent in a shuffled order with
 * duplicates.  Both captures are dissected; the text output of every
 * event, without its packet number and time columns, must be the same
 * (STYLE.md principle 7 across pkt, tcpr, hs, wsf, msg, pmd, u8 and the
 * dissector).  Only window 15 is negotiated: with smaller windows pmd
 * documents that detecting an over-long back-reference may depend on
 * slicing.
 *
 * Input: byte 0: bits 0-1 the handshake: 0 plain upgrade, 1 with
 * permessage-deflate, 2 with permessage-deflate and no context takeover
 * both ways, 3 none (the port makes it WebSocket); byte 1: the seed; then
 * writes: a byte h (bit 7 the direction, bits 0-6 the length, 127 meaning
 * a 16-bit little-endian length follows) and the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capgen.h"
#include "dis.h"
#include "disfmt.h"
#include "fuzz.h"
#include "wsp_err.h"

#define MAX_WRITES 48

struct w {
	int dir;
	const uint8_t *p;
	size_t n;
};

static char line[DISFMT_MAX_LINE];

struct digest {
	struct disfmt_opts fmt;
	uint64_t h;
	uint64_t events;
};

static void on_event(const struct dis_event *ev, void *user)
{
	struct digest *g = user;
	size_t n = disfmt_event(&g->fmt, ev, line, sizeof(line));
	/* Each line without its first 20 columns (packet, time). */
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && line[e] != '\n')
			e++;
		for (size_t k = i + (e - i > 20 ? 20 : e - i); k <= e && k < n;
		     k++)
			g->h = (g->h ^ (uint8_t)line[k]) * 0x100000001B3ull;
		i = e + 1;
	}
	if (ev->type == DIS_EV_MESSAGE) {
		g->h = (g->h ^ ev->msg.size) * 0x100000001B3ull;
		g->h = (g->h ^ ev->msg.inflated) * 0x100000001B3ull;
	}
	g->events++;
}

static uint64_t next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

static void build(struct capw_buf *b, int mode, const struct w *w, size_t nw,
		  int cut, uint64_t seed)
{
	struct capgen g;
	capw_buf_init(b, NULL);
	capw_pcap_header(b, CAP_LT_EN10MB, 262144, 0);
	capgen_init(&g, b, CAP_LT_EN10MB, 4, 50000, 80, 5, 60000);
	capgen_open(&g);
	if (mode == 1)
		capgen_upgrade(&g, "permessage-deflate", "permessage-deflate");
	else if (mode == 2)
		capgen_upgrade(&g, "permessage-deflate",
			       "permessage-deflate; server_no_context_takeover; "
			       "client_no_context_takeover");
	else if (mode == 0)
		capgen_upgrade(&g, NULL, NULL);
	for (size_t i = 0; i < nw; i++) {
		if (!cut || w[i].n < 2) {
			REQUIRE(capgen_bytes(&g, w[i].dir, w[i].p, w[i].n) == 0);
			continue;
		}
		size_t cuts[8], nc = 0, at = 0;
		while (nc < 8) {
			at += 1 + next(&seed) % 64;
			if (at >= w[i].n)
				break;
			cuts[nc++] = at;
		}
		int order[16];
		size_t no = 0;
		for (size_t k = 0; k <= nc; k++)
			order[no++] = (int)k;
		for (size_t k = no - 1; k > 0; k--) {
			size_t j = next(&seed) % (k + 1);
			int t = order[k];
			order[k] = order[j];
			order[j] = t;
		}
		order[no++] = (int)(next(&seed) % (nc + 1));
		REQUIRE(capgen_send_cuts(&g, w[i].dir, w[i].p, w[i].n, cuts, nc,
				       order, no) == 0);
	}
	capgen_close(&g, 1);
}

static void dissect(const struct capw_buf *b, int mode, struct digest *g)
{
	uint8_t *buf = malloc(b->len);
	REQUIRE(buf != NULL);
	memcpy(buf, b->p, b->len);
	struct dis_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.stream = -1;
	cfg.port = mode == 3 ? 80 : 0;
	struct dis d;
	REQUIRE(dis_init(&d, &cfg) == 0);
	memset(&g->fmt, 0, sizeof(g->fmt));
	g->fmt.preview = 24;
	g->fmt.t0.sec = 1700000000; /* capgen's first packet: short times */
	g->h = 1469598103934665603ull;
	g->events = 0;
	struct cap_reader r;
	cap_reader_init(&r);
	size_t off = 0;
	for (;;) {
		struct cap_pkt p;
		size_t need;
		int rc = cap_next(&r, buf + off, b->len - off, &p, &need);
		if (rc <= 0)
			break;
		off += (size_t)rc;
		if (p.data != NULL)
			REQUIRE(dis_packet(&d, &p, on_event, g) == 0);
	}
	dis_finish(&d, on_event, g);
	REQUIRE(d.tcpr.total == 0);
	dis_free(&d);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 65536)
		return 0;
	int mode = data[0] & 3;
	uint64_t seed = data[1] + 1u;
	struct w w[MAX_WRITES];
	size_t nw = 0, i = 2;
	while (i < size && nw < MAX_WRITES) {
		uint8_t h = data[i++];
		size_t n = h & 0x7F;
		if (n == 127) {
			if (size - i < 2)
				break;
			n = (size_t)data[i] | (size_t)data[i + 1] << 8;
			i += 2;
		}
		if (n > size - i)
			n = size - i;
		w[nw].dir = h >> 7;
		w[nw].p = data + i;
		w[nw].n = n;
		nw++;
		i += n;
	}
	struct capw_buf one, many;
	build(&one, mode, w, nw, 0, seed);
	build(&many, mode, w, nw, 1, seed);
	struct digest a, b;
	dissect(&one, mode, &a);
	dissect(&many, mode, &b);
	REQUIRE(a.events == b.events);
	REQUIRE(a.h == b.h);
	capw_buf_free(&one);
	capw_buf_free(&many);
	return 0;
}
