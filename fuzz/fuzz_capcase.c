/*
 * fuzz_capcase.c: the per-case capture writer (harness/capcase.h) as a
 * round trip.  The input describes a connection and a wire log; the
 * capture capcase_write makes of it is read back with our reader and
 * packet decoder, and must be a faithful TCP conversation: it reads to a
 * clean end, every packet is TCP of the right family, sequence and
 * acknowledgment numbers follow each side's bytes (SYN and FIN count
 * one), no data follows a side's FIN and nothing follows an RST, no
 * segment is over the MSS, time never goes back, each direction's bytes
 * are exactly the log's (a prefix when the bound cut it), and the file is
 * never larger than the bound and only cut where the next packet would
 * not fit.
 *
 * Input: byte 0: bit 0 wsprobe is the client, bit 1 IPv6, bits 2-3 the
 * peer's end (0 none, 1 FIN, 2 RST), bit 4 the peer ended first, bit 5
 * wsprobe sent a FIN, bit 6 a size bound; bytes 1-2 the bound (x 64
 * bytes), bytes 3-4 our FIN's time (ms).  Then records: a byte (bit 0 the
 * direction, the rest a time step in 100 us), two bytes of length
 * (little-endian; the bytes that follow are repeated to fill it, so a
 * short input can make a write of several segments), the bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "capcase.h"
#include "fuzz.h"
#include "pkt.h"
#include "sess.h"
#include "wsp_err.h"

#define MAXRECS 64

static int time_le(struct cap_time a, struct cap_time b)
{
	return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint8_t flags = data[0];
	struct capcase_conn c;
	memset(&c, 0, sizeof(c));
	c.start.sec = 1700000000;
	c.start.nsec = 999000000;
	int v6 = (flags & 2) != 0;
	c.client.family = c.server.family = v6 ? 6 : 4;
	c.client.addr[0] = c.server.addr[0] = v6 ? 0xfd : 127;
	c.client.addr[v6 ? 15 : 3] = 1;
	c.server.addr[v6 ? 15 : 3] = 2;
	c.client.port = 40000;
	c.server.port = 9001;
	c.we_client = flags & 1;
	c.isn_client = 0xFFFFFFF0u;
	c.isn_server = 0x7FFFFFFFu;
	c.end.peer_end = (flags >> 2) & 3;
	if (c.end.peer_end == 3)
		c.end.peer_end = 0;
	c.end.peer_first = (flags >> 4) & 1;
	uint64_t max = (flags & 0x40)
			       ? (uint64_t)(data[1] | data[2] << 8) * 64
			       : 0;
	int64_t fin_ms = data[3] | data[4] << 8;
	c.end.our_fin_ns = (flags & 0x20) ? fin_ms * 1000000 : -1;
	c.end.peer_end_ns = 5000000;

	/* The wire log. */
	struct sess_wire_rec recs[MAXRECS];
	size_t n = 0, total = 0;
	uint8_t *wire = NULL;
	size_t dirlen[2] = {0, 0};
	int64_t t = 0;
	size_t off = 5;
	while (off + 3 <= size && n < MAXRECS) {
		uint8_t h = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		size_t avail = size - off;
		size_t take = len < avail ? len : avail;
		if (len == 0 || avail == 0)
			break;
		uint8_t *nw = realloc(wire, total + len);
		REQUIRE(nw != NULL);
		wire = nw;
		for (size_t i = 0; i < len; i++)
			wire[total + i] = data[off + i % take];
		t += (int64_t)(h >> 1) * 100000;
		recs[n].t_ns = t;
		recs[n].dir = h & 1;
		recs[n].off = total;
		recs[n].len = len;
		dirlen[h & 1] += len;
		total += len;
		n++;
		off += take;
	}
	if (n == 0) {
		free(wire);
		return 0;
	}

	char *mem = NULL;
	size_t mlen = 0;
	FILE *f = open_memstream(&mem, &mlen);
	REQUIRE(f != NULL);
	int truncated = -1;
	uint64_t written = 0;
	int rc = capcase_write(f, &c, wire, recs, n, max, &truncated, &written);
	REQUIRE(fclose(f) == 0);
	REQUIRE(rc == 0);
	REQUIRE(written == mlen);
	REQUIRE(max == 0 || mlen <= max);
	REQUIRE(truncated == 0 || truncated == 1);
	REQUIRE(max != 0 || truncated == 0);

	/* Read back. */
	int ours = c.we_client ? 0 : 1; /* the conversation side of dir 0 */
	uint8_t *got[2] = {malloc(dirlen[0] + 1), malloc(dirlen[1] + 1)};
	size_t glen[2] = {0, 0};
	REQUIRE(got[0] != NULL && got[1] != NULL);
	struct cap_reader rd;
	cap_reader_init(&rd);
	uint32_t next[2] = {c.isn_client, c.isn_server};
	int fin[2] = {0, 0}, rst = 0, syn = 0;
	struct cap_time last = {0, 0};
	size_t pos = 0;
	uint64_t npk = 0;
	for (;;) {
		struct cap_pkt p;
		size_t need;
		int r = cap_next(&rd, (uint8_t *)mem + pos, mlen - pos, &p, &need);
		if (r <= 0) {
			REQUIRE(r == WSP_E_INCOMPLETE &&
			      cap_end(&rd, (uint8_t *)mem + pos, mlen - pos) == 0);
			break;
		}
		pos += (size_t)r;
		if (p.data == NULL)
			continue;
		struct pkt_tcp tcp;
		REQUIRE(pkt_decode(p.linktype, p.data, p.caplen, p.origlen, &tcp) ==
		      PKT_TCP);
		REQUIRE(p.caplen == p.origlen);
		REQUIRE(tcp.family == (v6 ? 6 : 4));
		int side = tcp.sport == c.client.port ? 0 : 1;
		REQUIRE(time_le(last, p.ts));
		last = p.ts;
		if (npk++ < 3) {
			static const uint8_t hs[3] = {PKT_SYN, PKT_SYN | PKT_ACK,
						      PKT_ACK};
			REQUIRE(tcp.flags == hs[npk - 1] && side == (npk == 2));
			syn++;
		}
		REQUIRE(!rst);
		REQUIRE(tcp.seq == next[side]);
		if (tcp.flags & PKT_ACK)
			REQUIRE(tcp.ack == next[1 - side]);
		REQUIRE(tcp.len <= (v6 ? CAPCASE_MSS6 : CAPCASE_MSS));
		REQUIRE(!fin[side] || (tcp.len == 0 && !(tcp.flags & PKT_FIN)));
		int ldir = side == ours ? 0 : 1;
		REQUIRE(glen[ldir] + tcp.len <= dirlen[ldir]);
		memcpy(got[ldir] + glen[ldir], tcp.payload, tcp.len);
		glen[ldir] += tcp.len;
		next[side] += tcp.len;
		if (tcp.flags & (PKT_SYN | PKT_FIN))
			next[side]++;
		if (tcp.flags & PKT_FIN)
			fin[side] = 1;
		if (tcp.flags & PKT_RST)
			rst = 1;
	}
	REQUIRE(truncated || syn == 3);
	/* Each direction carries the log's bytes: all of them, or a prefix
	 * when the bound cut the capture. */
	for (int d = 0; d < 2; d++) {
		size_t k = 0;
		for (size_t i = 0; i < n && k < glen[d]; i++) {
			if (recs[i].dir != d)
				continue;
			size_t m = glen[d] - k < recs[i].len ? glen[d] - k
							     : recs[i].len;
			REQUIRE(memcmp(got[d] + k, wire + recs[i].off, m) == 0);
			k += m;
		}
		REQUIRE(k == glen[d]);
		REQUIRE(truncated || glen[d] == dirlen[d]);
	}
	/* A cut happens only where the next packet (at most one full
	 * segment) would not fit under the bound. */
	REQUIRE(!truncated ||
	      mlen + 16 + 14 + 40 + 20 + (v6 ? CAPCASE_MSS6 : CAPCASE_MSS) > max);
	free(got[0]);
	free(got[1]);
	free(mem);
	free(wire);
	return 0;
}
