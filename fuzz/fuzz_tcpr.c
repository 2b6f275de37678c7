/*
 * fuzz_tcpr.c: TCP reassembly (pcap/tcpr.h) against a known truth.
 *
 * Both directions carry a "true" byte stream whose byte k (counted from
 * the byte after the SYN) is a fixed function of k, so any bytes tcpr
 * delivers can be checked where they claim to be.  The input is a list of
 * segments (any order, overlaps, duplicates, SYN/FIN/RST/ACK, tails lost
 * to a snaplen); each carries the true bytes for its sequence range.
 * Invariants: per direction, DATA and GAP events are contiguous from
 * offset 0; every delivered byte is the true byte (the stream offset is
 * mapped back through the direction's base sequence number, which this
 * white-box harness reads from the connection); held bytes never exceed
 * the caps; after tcpr_finish nothing is held and nothing is open.
 *
 * Input: records of 5 bytes:
 *   b0: bit 0 direction, 1 SYN, 2 FIN, 3 RST, 4 ACK, bits 5-7 lost tail
 *       (that many times 8 bytes of the payload not captured)
 *   b1 b2: offset of the first byte in the true stream (little-endian)
 *   b3: payload length
 *   b4: acknowledgment, in units of 64 bytes of the peer's stream
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pkt.h"
#include "tcpr.h"
#include "wsp_err.h"

static const uint32_t isn[2] = {1000u, 0xFFFFFF00u};

static uint8_t truth(int dir, uint32_t k)
{
	uint32_t x = k * 2654435761u + (uint32_t)dir * 0x9E3779B9u;
	return (uint8_t)(x >> 24 ^ x >> 11 ^ x);
}

struct state {
	struct tcpr *t;
	/* next expected offset per connection direction, keyed by the
	 * stream index (at most a few streams per input) */
	uint64_t next[64][2];
};

static void on_ev(const struct tcpr_event *ev, void *user)
{
	struct state *s = user;
	uint64_t si = ev->conn->stream;
	REQUIRE(si < 64);
	int d = ev->dir;
	switch (ev->type) {
	case TCPR_EV_DATA: {
		REQUIRE(ev->len > 0 && ev->offset == s->next[si][d]);
		/* Which true direction sent it: the conn's endpoint port. */
		int td = ev->conn->port[d] == 50000 ? 0 : 1;
		uint32_t base = ev->conn->h[d].base;
		for (size_t i = 0; i < ev->len; i++) {
			uint32_t k = base - (isn[td] + 1u) +
				     (uint32_t)(ev->offset + i);
			REQUIRE(ev->data[i] == truth(td, k));
		}
		s->next[si][d] += ev->len;
		break;
	}
	case TCPR_EV_GAP:
		REQUIRE(ev->gap > 0 && ev->offset == s->next[si][d]);
		s->next[si][d] += ev->gap;
		break;
	case TCPR_EV_CLOSE:
		REQUIRE(tcpr_held(ev->conn, 0) == 0 && tcpr_held(ev->conn, 1) == 0);
		break;
	default:
		break;
	}
	REQUIRE(s->t->total <= s->t->cfg.max_total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcpr_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_buffer = 2048;
	cfg.max_total = 3000;
	cfg.max_open = 4;
	cfg.max_closed = 4;
	struct tcpr t;
	REQUIRE(tcpr_init(&t, &cfg) == 0);
	struct state *s = calloc(1, sizeof(*s));
	REQUIRE(s != NULL);
	s->t = &t;
	uint8_t buf[256];
	for (size_t i = 0; i + 5 <= size && t.streams < 60; i += 5) {
		const uint8_t *r = data + i;
		int dir = r[0] & 1;
		struct pkt_tcp p;
		memset(&p, 0, sizeof(p));
		p.family = 4;
		p.src[0] = 10;
		p.src[3] = (uint8_t)(1 + dir);
		p.dst[0] = 10;
		p.dst[3] = (uint8_t)(2 - dir);
		p.sport = dir == 0 ? 50000 : 80;
		p.dport = dir == 0 ? 80 : 50000;
		uint32_t off = (uint32_t)r[1] | (uint32_t)r[2] << 8;
		size_t len = r[3];
		size_t lost = (size_t)(r[0] >> 5) * 8;
		if (lost > len)
			lost = len;
		p.flags = 0;
		if (r[0] & 2)
			p.flags |= PKT_SYN;
		if (r[0] & 4)
			p.flags |= PKT_FIN;
		if (r[0] & 8)
			p.flags |= PKT_RST;
		if (r[0] & 16)
			p.flags |= PKT_ACK;
		if (p.flags & PKT_SYN) {
			off = 0;
			p.seq = isn[dir];
		} else {
			p.seq = isn[dir] + 1 + off;
		}
		p.ack = isn[1 - dir] + 1 + (uint32_t)r[4] * 64;
		for (size_t k = 0; k < len; k++)
			buf[k] = truth(dir, off + (uint32_t)k);
		/* An exactly-sized copy, so ASan sees any over-read. */
		uint8_t *pl = malloc(len - lost + 1);
		REQUIRE(pl != NULL);
		memcpy(pl, buf, len - lost);
		p.payload = pl;
		p.caplen = (uint32_t)(len - lost);
		p.len = (uint32_t)len;
		REQUIRE(tcpr_packet(&t, &p, on_ev, s) == 0);
		free(pl);
		REQUIRE(t.total <= cfg.max_total);
	}
	tcpr_finish(&t, on_ev, s);
	REQUIRE(t.total == 0 && t.open.n == 0);
	tcpr_free(&t);
	free(s);
	return 0;
}
