/*
 * check_pcap.c: the capture reader (pcap/cap.h, capf.h), link/IP/TCP
 * decoding (pkt.h), TCP reassembly (tcpr.h) and the WebSocket dissector
 * (dis.h, disfmt.h), with captures built in the test by capw/capgen.
 *
 * Every TCase names the format or RFC section it covers.  Chunking is
 * tested at each layer: a capture file read in any chunks gives the same
 * packets; a TCP stream cut into any segments, in any order, with
 * duplicates, gives the same bytes; and a WebSocket session gives the
 * same dissection (packet numbers and times aside) whether each write is
 * one segment or the bytes arrive one per segment.  The golden files are
 * check_pcap_golden.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cap.h"
#include "capf.h"
#include "capgen.h"
#include "capw.h"
#include "dis.h"
#include "disfmt.h"
#include "hs.h"
#include "lib.h"
#include "pkt.h"
#include "pmd.h"
#include "tcpr.h"
#include "wsf.h"
#include "wsp_err.h"

/* ck_assert costs a pipe write per call; in per-byte loops only a
 * failure should cost anything. */
#define HOT_CHECK(cond)                                                    \
	do {                                                               \
		if (!(cond))                                               \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

static const struct capw_ep ep_c4 = {4, {10, 0, 0, 1}, 50000,
				     {2, 0, 0, 0, 0, 1}};
static const struct capw_ep ep_s4 = {4, {10, 0, 0, 2}, 80,
				     {2, 0, 0, 0, 0, 2}};
static const struct capw_ep ep_c6 = {6,
				     {0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 0, 1},
				     50000,
				     {2, 0, 0, 0, 0, 1}};
static const struct capw_ep ep_s6 = {6,
				     {0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 0, 2},
				     80,
				     {2, 0, 0, 0, 0, 2}};

static struct cap_time ts_at(int64_t sec, uint32_t nsec)
{
	struct cap_time t = {sec, nsec};
	return t;
}

/* A TCP frame of lt carrying payload, built by capw. */
static int frame_of(uint32_t lt, int family, uint32_t seq, uint8_t flags,
		    const void *payload, size_t n, int opts, uint8_t *out,
		    size_t cap)
{
	struct capw_seg s;
	memset(&s, 0, sizeof(s));
	s.src = family == 6 ? &ep_c6 : &ep_c4;
	s.dst = family == 6 ? &ep_s6 : &ep_s4;
	s.seq = seq;
	s.ack = 777;
	s.flags = flags;
	s.payload = payload;
	s.len = n;
	s.ip_opts = (uint8_t)opts;
	return capw_tcp_frame(lt, &s, out, cap);
}

/* ------------------------------------------------------------------------
 * Reading captures: pcap and pcapng
 */

/* Packets parsed from a whole file held in memory. */
struct pkts {
	size_t n;
	struct cap_pkt p[64];
	uint8_t data[64][128]; /* the first bytes of each */
	int end_rc;
};

/* Reads file[0..len) growing the visible window by chunks from c (the
 * way capf grows its buffer), so that every split is exercised. */
static void read_chunked(const uint8_t *file, size_t len,
			 struct tl_chunker *c, struct pkts *out)
{
	uint8_t *buf = malloc(len + 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, file, len);
	struct cap_reader r;
	cap_reader_init(&r);
	memset(out, 0, sizeof(*out));
	size_t start = 0, avail = 0;
	for (;;) {
		struct cap_pkt pkt;
		size_t need = 0;
		int rc = cap_next(&r, buf + start, avail - start, &pkt, &need);
		if (rc > 0) {
			if (pkt.data != NULL && out->n < 64) {
				out->p[out->n] = pkt;
				size_t k = pkt.caplen < 128 ? pkt.caplen : 128;
				memcpy(out->data[out->n], pkt.data, k);
				out->n++;
			}
			start += (size_t)rc;
			continue;
		}
		if (rc != WSP_E_INCOMPLETE) {
			out->end_rc = rc;
			break;
		}
		HOT_CHECK(need > avail - start);
		if (avail == len) {
			out->end_rc = cap_end(&r, buf + start, avail - start);
			break;
		}
		size_t k = c != NULL ? tl_chunk_next(c, len - avail)
				     : len - avail;
		avail += k;
	}
	free(buf);
}

static void pkts_equal(const struct pkts *a, const struct pkts *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_int_eq(a->end_rc, b->end_rc);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_uint_eq(a->p[i].number, b->p[i].number);
		ck_assert_int_eq(a->p[i].ts.sec, b->p[i].ts.sec);
		ck_assert_uint_eq(a->p[i].ts.nsec, b->p[i].ts.nsec);
		ck_assert_uint_eq(a->p[i].linktype, b->p[i].linktype);
		ck_assert_uint_eq(a->p[i].caplen, b->p[i].caplen);
		ck_assert_uint_eq(a->p[i].origlen, b->p[i].origlen);
		size_t k = a->p[i].caplen < 128 ? a->p[i].caplen : 128;
		ck_assert_mem_eq(a->data[i], b->data[i], k);
	}
}

/* A classic capture with three TCP packets of lengths 0, 5 and 100. */
static void build_classic(struct capw_buf *b, int nsec, uint32_t lt)
{
	uint8_t f[256], pl[100];
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)i;
	capw_buf_init(b, NULL);
	ck_assert_int_eq(capw_pcap_header(b, capw_file_linktype(lt), 262144,
					  nsec),
			 0);
	static const size_t lens[3] = {0, 5, 100};
	for (int i = 0; i < 3; i++) {
		int n = frame_of(lt, 4, 1000u + (uint32_t)i, PKT_ACK, pl,
				 lens[i], 0, f, sizeof(f));
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(capw_pcap_record(b, nsec,
						  ts_at(1700000000 + i,
							123456789u),
						  f, (uint32_t)n, (uint32_t)n),
				 0);
	}
}

/* The same file with every field in the other byte order. */
static void to_big_endian(struct capw_buf *b)
{
	uint8_t *p = b->p;
	static const int hdr_fields[] = {4, 2, 2, 4, 4, 4, 4};
	size_t off = 0;
	for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(int); i++) {
		int w = hdr_fields[i];
		for (int j = 0; j < w / 2; j++) {
			uint8_t t = p[off + (size_t)j];
			p[off + (size_t)j] = p[off + (size_t)w - 1 - (size_t)j];
			p[off + (size_t)w - 1 - (size_t)j] = t;
		}
		off += (size_t)w;
	}
	while (off + 16 <= b->len) {
		uint32_t incl = (uint32_t)p[off + 8] | (uint32_t)p[off + 9] << 8 |
				(uint32_t)p[off + 10] << 16 |
				(uint32_t)p[off + 11] << 24;
		for (int k = 0; k < 4; k++) {
			uint8_t *q = p + off + 4 * k;
			uint8_t t = q[0];
			q[0] = q[3];
			q[3] = t;
			t = q[1];
			q[1] = q[2];
			q[2] = t;
		}
		off += 16 + incl;
	}
}

START_TEST(pcap_classic_us_ns_and_byte_orders)
{
	for (int v = 0; v < 4; v++) {
		struct capw_buf b;
		int nsec = v & 1;
		build_classic(&b, nsec, CAP_LT_EN10MB);
		if (v & 2)
			to_big_endian(&b);
		struct pkts got;
		read_chunked(b.p, b.len, NULL, &got);
		ck_assert_int_eq(got.end_rc, 0);
		ck_assert_uint_eq(got.n, 3);
		for (size_t i = 0; i < 3; i++) {
			ck_assert_uint_eq(got.p[i].number, i + 1);
			ck_assert_int_eq(got.p[i].ts.sec, 1700000000 + (int)i);
			/* microsecond files keep microseconds */
			ck_assert_uint_eq(got.p[i].ts.nsec,
					  nsec ? 123456789u : 123456000u);
			ck_assert_uint_eq(got.p[i].linktype, CAP_LT_EN10MB);
		}
		ck_assert_uint_eq(got.p[0].caplen, 14 + 20 + 20);
		ck_assert_uint_eq(got.p[2].caplen, 14 + 20 + 20 + 100);
		capw_buf_free(&b);
	}
}
END_TEST

/* pcapng with three interfaces of different link types and timestamp
 * resolutions (libpcap refuses such files), a simple packet block, an
 * unknown block, and a second section that starts over. */
static void build_ng(struct capw_buf *b)
{
	uint8_t f[256];
	capw_buf_init(b, NULL);
	ck_assert_int_eq(capw_ng_section(b), 0);
	ck_assert_int_eq(capw_ng_iface(b, CAP_LT_EN10MB, 262144, 6), 0);
	ck_assert_int_eq(capw_ng_iface(b, CAP_LT_RAW, 65535, 9), 0);
	ck_assert_int_eq(capw_ng_iface(b, CAP_LT_LINUX_SLL2, 0, 0x8A), 0);
	int n = frame_of(CAP_LT_EN10MB, 4, 1, PKT_ACK, "abc", 3, 0, f,
			 sizeof(f));
	ck_assert_int_eq(capw_ng_packet(b, 0, 1700000000123456ull, f,
					(uint32_t)n, (uint32_t)n),
			 0);
	n = frame_of(CAP_LT_RAW, 6, 2, PKT_ACK, "de", 2, 0, f, sizeof(f));
	ck_assert_int_eq(capw_ng_packet(b, 1, 1700000001000000001ull, f,
					(uint32_t)n, (uint32_t)n + 10),
			 0);
	/* An unknown block type is skipped. */
	static const uint8_t custom[16] = {0xAD, 0x0B, 0, 0, 16, 0, 0, 0,
					   1,    2,    3, 4, 16, 0, 0, 0};
	ck_assert_int_eq(capw_put(b, custom, sizeof(custom)), 0);
	n = frame_of(CAP_LT_LINUX_SLL2, 4, 3, PKT_ACK, "f", 1, 0, f,
		     sizeof(f));
	/* 2^-10 s units: 1024 ticks per second, 512 = 0.5 s. */
	ck_assert_int_eq(capw_ng_packet(b, 2, (uint64_t)1700000002 * 1024 + 512,
					f, (uint32_t)n, (uint32_t)n),
			 0);
	/* A simple packet block (interface 0, no timestamp). */
	n = frame_of(CAP_LT_EN10MB, 4, 4, PKT_ACK, "gh", 2, 0, f, sizeof(f));
	{
		uint8_t h[12];
		size_t pad = (4 - ((size_t)n & 3)) & 3;
		uint32_t total = (uint32_t)(12 + (size_t)n + pad + 4);
		uint32_t v[3] = {3, total, (uint32_t)n};
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 4; j++)
				h[4 * i + j] = (uint8_t)(v[i] >> (8 * j));
		uint8_t t[8] = {0};
		for (int j = 0; j < 4; j++)
			t[pad + (size_t)j] = (uint8_t)(total >> (8 * j));
		capw_put(b, h, 12);
		capw_put(b, f, (size_t)n);
		capw_put(b, t, pad + 4);
	}
	/* A new section: interfaces start over. */
	ck_assert_int_eq(capw_ng_section(b), 0);
	ck_assert_int_eq(capw_ng_iface(b, CAP_LT_NULL, 262144, 3), 0);
	n = frame_of(CAP_LT_NULL, 4, 5, PKT_ACK, "ij", 2, 0, f, sizeof(f));
	ck_assert_int_eq(capw_ng_packet(b, 0, 1700000003004ull, f,
					(uint32_t)n, (uint32_t)n),
			 0);
}

START_TEST(pcapng_mixed_links_resolutions_and_sections)
{
	struct capw_buf b;
	build_ng(&b);
	struct pkts got;
	read_chunked(b.p, b.len, NULL, &got);
	ck_assert_int_eq(got.end_rc, 0);
	ck_assert_uint_eq(got.n, 5);
	ck_assert_uint_eq(got.p[0].linktype, CAP_LT_EN10MB);
	ck_assert_int_eq(got.p[0].ts.sec, 1700000000);
	ck_assert_uint_eq(got.p[0].ts.nsec, 123456000u);
	ck_assert_uint_eq(got.p[1].linktype, CAP_LT_RAW);
	ck_assert_uint_eq(got.p[1].iface, 1);
	ck_assert_int_eq(got.p[1].ts.sec, 1700000001);
	ck_assert_uint_eq(got.p[1].ts.nsec, 1u);
	ck_assert_uint_eq(got.p[1].origlen, got.p[1].caplen + 10);
	ck_assert_uint_eq(got.p[2].linktype, CAP_LT_LINUX_SLL2);
	ck_assert_int_eq(got.p[2].ts.sec, 1700000002);
	ck_assert_uint_eq(got.p[2].ts.nsec, 500000000u);
	ck_assert_uint_eq(got.p[3].linktype, CAP_LT_EN10MB); /* SPB */
	ck_assert_int_eq(got.p[3].ts.sec, 0);
	ck_assert_uint_eq(got.p[4].linktype, CAP_LT_NULL);
	ck_assert_int_eq(got.p[4].ts.sec, 1700000003);
	ck_assert_uint_eq(got.p[4].ts.nsec, 4000000u); /* ms resolution */
	/* And every packet decodes to its TCP segment. */
	for (size_t i = 0; i < got.n; i++) {
		struct pkt_tcp seg;
		uint8_t tmp[128];
		memcpy(tmp, got.data[i], got.p[i].caplen);
		ck_assert_int_eq(pkt_decode(got.p[i].linktype, tmp,
					    got.p[i].caplen, got.p[i].origlen,
					    &seg),
				 PKT_TCP);
		ck_assert_uint_eq(seg.seq, i + 1);
	}
	capw_buf_free(&b);
}
END_TEST

/* Every prefix of a valid file: the packets wholly inside it, then a
 * clean end exactly at record boundaries and "cut short" elsewhere. */
START_TEST(cap_every_prefix_is_cut_short_or_clean)
{
	struct capw_buf files[2];
	build_classic(&files[0], 0, CAP_LT_EN10MB);
	build_ng(&files[1]);
	for (int fi = 0; fi < 2; fi++) {
		struct capw_buf *b = &files[fi];
		struct pkts whole;
		read_chunked(b->p, b->len, NULL, &whole);
		/* Record boundaries, from a full parse. */
		size_t bounds[32], nb = 0;
		{
			struct cap_reader r;
			cap_reader_init(&r);
			size_t off = 0;
			bounds[nb++] = 0;
			while (off < b->len) {
				struct cap_pkt p;
				size_t need;
				int rc = cap_next(&r, b->p + off, b->len - off,
						  &p, &need);
				ck_assert_int_gt(rc, 0);
				off += (size_t)rc;
				bounds[nb++] = off;
			}
		}
		for (size_t len = 0; len <= b->len; len++) {
			struct tl_guard g;
			tl_guard_init(&g, b->p, len);
			struct pkts got;
			read_chunked(g.data, len, NULL, &got);
			int boundary = 0;
			for (size_t i = 0; i < nb; i++)
				if (bounds[i] == len)
					boundary = 1;
			if (len == 0)
				HOT_CHECK(got.end_rc == WSP_E_PCAP_EMPTY);
			else if (boundary)
				HOT_CHECK(got.end_rc == 0);
			else
				HOT_CHECK(got.end_rc == WSP_E_PCAP_CUT_SHORT);
			HOT_CHECK(got.n <= whole.n);
			tl_guard_free(&g);
		}
		capw_buf_free(b);
	}
}
END_TEST

START_TEST(cap_chunked_reads_equal_whole)
{
	struct capw_buf b;
	build_ng(&b);
	struct pkts whole, got;
	read_chunked(b.p, b.len, NULL, &whole);
	for (int mode = 0; mode < 3; mode++) {
		for (uint64_t seed = 1; seed < (mode == 2 ? 20u : 2u); seed++) {
			struct tl_chunker c;
			tl_chunker_init(&c, (enum tl_chunk_mode)mode, seed);
			read_chunked(b.p, b.len, &c, &got);
			pkts_equal(&whole, &got);
		}
	}
	capw_buf_free(&b);
}
END_TEST

/* Damaged and foreign files: one code each, never a crash. */
static const struct {
	const char *name;
	const char *hex;
	int rc;
} bad_files[] = {
	{"text", "48 65 6c 6c 6f 20 77 6f 72 6c 64 0a", WSP_E_PCAP_BAD_MAGIC},
	{"two bytes of a magic", "d4 c3", WSP_E_PCAP_CUT_SHORT},
	{"two foreign bytes", "4d 5a", WSP_E_PCAP_BAD_MAGIC},
	{"pcap version 3",
	 "d4 c3 b2 a1 03 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00",
	 WSP_E_PCAP_BAD_VERSION},
	{"pcap record of 2 GiB",
	 "d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00"
	 " 00 00 00 00 00 00 00 00 ff ff ff 7f ff ff ff 7f",
	 WSP_E_PCAP_RECORD_TOO_BIG},
	{"pcap record cut",
	 "d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00"
	 " 00 00 00 00 00 00 00 00 10 00 00 00 10 00 00 00 01 02",
	 WSP_E_PCAP_CUT_SHORT},
	{"pcapng block length not a multiple of 4",
	 "0a 0d 0d 0a 1d 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 00 00 00 00 00 1d 00 00 00",
	 WSP_E_PCAP_BAD_BLOCK},
	{"pcapng trailer differs",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 20 00 00 00",
	 WSP_E_PCAP_BAD_BLOCK},
	{"pcapng version 2",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 02 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00",
	 WSP_E_PCAP_BAD_VERSION},
	{"pcapng bad byte-order magic",
	 "0a 0d 0d 0a 1c 00 00 00 11 22 33 44 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00",
	 WSP_E_PCAP_BAD_MAGIC},
	{"pcapng packet before any interface",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00"
	 " 06 00 00 00 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	 " 00 00 00 00 00 00 00 00 20 00 00 00",
	 WSP_E_PCAP_BAD_IFACE},
	{"pcapng packet longer than its block",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00"
	 " 01 00 00 00 14 00 00 00 01 00 00 00 00 00 04 00 14 00 00 00"
	 " 06 00 00 00 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
	 " 40 00 00 00 40 00 00 00 20 00 00 00",
	 WSP_E_PCAP_BAD_BLOCK},
	{"pcapng resolution 10^-20",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00"
	 " 01 00 00 00 20 00 00 00 01 00 00 00 00 00 04 00 09 00 01 00"
	 " 14 00 00 00 00 00 00 00 20 00 00 00",
	 WSP_E_PCAP_BAD_TSRESOL},
	{"pcapng block of 64 MiB",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00 01 00 00 00 00 00 00 04",
	 WSP_E_PCAP_RECORD_TOO_BIG},
	{"pcapng block length below 12",
	 "0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"
	 " 1c 00 00 00 01 00 00 00 08 00 00 00",
	 WSP_E_PCAP_BAD_BLOCK},
	{"empty", "", WSP_E_PCAP_EMPTY},
};

START_TEST(cap_damaged_files_give_one_code)
{
	uint8_t buf[512];
	size_t n = tl_hex(bad_files[_i].hex, buf, sizeof(buf));
	struct tl_guard g;
	tl_guard_init(&g, buf, n);
	for (int mode = 0; mode < 2; mode++) {
		struct tl_chunker c;
		tl_chunker_init(&c, mode ? TL_CHUNK_ONE : TL_CHUNK_ALL, 1);
		struct pkts got;
		read_chunked(g.data, n, &c, &got);
		ck_assert_msg(got.end_rc == bad_files[_i].rc,
			      "%s: got %s, wanted %s", bad_files[_i].name,
			      wsp_errname(got.end_rc),
			      wsp_errname(bad_files[_i].rc));
		ck_assert_ptr_nonnull(wsp_strerror(got.end_rc));
	}
	tl_guard_free(&g);
}
END_TEST

/* libpcap reads the files it accepts the same way (the reader is ours so
 * that mixed-link pcapng works and the fuzzer can feed memory; this keeps
 * it honest). */
START_TEST(cap_agrees_with_libpcap)
{
	for (int v = 0; v < 3; v++) {
		struct capw_buf b;
		if (v < 2) {
			build_classic(&b, v, CAP_LT_LINUX_SLL2);
		} else {
			uint8_t f[256];
			capw_buf_init(&b, NULL);
			capw_ng_section(&b);
			capw_ng_iface(&b, CAP_LT_EN10MB, 262144, 9);
			for (int i = 0; i < 4; i++) {
				int n = frame_of(CAP_LT_EN10MB, 4, (uint32_t)i,
						 PKT_ACK, "0123456789", (size_t)i * 3,
						 0, f, sizeof(f));
				capw_ng_packet(&b, 0,
					       1700000000000000000ull +
						       (uint64_t)i * 1001,
					       f, (uint32_t)n, (uint32_t)n);
			}
		}
		struct pkts ours;
		read_chunked(b.p, b.len, NULL, &ours);
		FILE *fp = fmemopen(b.p, b.len, "rb");
		ck_assert_ptr_nonnull(fp);
		char errbuf[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(
			fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
		ck_assert_msg(pc != NULL, "libpcap: %s", errbuf);
		ck_assert_uint_eq((uint32_t)pcap_datalink(pc) == 276u
					  ? CAP_LT_LINUX_SLL2
					  : (uint32_t)pcap_datalink(pc),
				  ours.p[0].linktype);
		size_t i = 0;
		struct pcap_pkthdr *h;
		const u_char *data;
		while (pcap_next_ex(pc, &h, &data) == 1) {
			ck_assert_uint_lt(i, ours.n);
			ck_assert_int_eq(h->ts.tv_sec, ours.p[i].ts.sec);
			/* NANO precision: tv_usec holds nanoseconds. */
			ck_assert_int_eq(h->ts.tv_usec, ours.p[i].ts.nsec);
			ck_assert_uint_eq(h->caplen, ours.p[i].caplen);
			ck_assert_uint_eq(h->len, ours.p[i].origlen);
			size_t k = h->caplen < 128 ? h->caplen : 128;
			ck_assert_mem_eq(data, ours.data[i], k);
			i++;
		}
		ck_assert_uint_eq(i, ours.n);
		pcap_close(pc); /* closes fp */
		capw_buf_free(&b);
	}
}
END_TEST

/* capf: the file half, with its buffer growing for a big record. */
START_TEST(capf_reads_files_and_reports_damage)
{
	char path[] = "/tmp/wsprobe-capf-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	struct capw_buf b;
	capw_buf_init(&b, NULL);
	capw_pcap_header(&b, CAP_LT_RAW, 16u << 20, 0);
	size_t big = 3u << 20;
	uint8_t *blob = calloc(1, big);
	ck_assert_ptr_nonnull(blob);
	blob[0] = 0x45;
	capw_pcap_record(&b, 0, ts_at(1, 0), blob, (uint32_t)big,
			 (uint32_t)big);
	capw_pcap_record(&b, 0, ts_at(2, 0), blob, 20, 20);
	ck_assert_int_eq(write(fd, b.p, b.len), (ssize_t)b.len);
	/* Cut the last record. */
	ck_assert_int_eq(ftruncate(fd, (off_t)b.len - 3), 0);
	close(fd);
	struct capf f;
	ck_assert_int_eq(capf_open(&f, path, NULL), 0);
	struct cap_pkt p;
	ck_assert_int_eq(capf_next(&f, &p), 1);
	ck_assert_uint_eq(p.caplen, big);
	ck_assert_uint_eq(p.data[0], 0x45);
	ck_assert_int_eq(capf_next(&f, &p), WSP_E_PCAP_CUT_SHORT);
	ck_assert_ptr_nonnull(strstr(f.err, "cut short"));
	ck_assert_int_eq(capf_next(&f, &p), WSP_E_PCAP_CUT_SHORT);
	capf_close(&f);

	ck_assert_int_eq(truncate(path, 0), 0);
	ck_assert_int_eq(capf_open(&f, path, NULL), WSP_E_PCAP_EMPTY);
	capf_close(&f);
	unlink(path);
	ck_assert_int_eq(capf_open(&f, path, NULL), WSP_E_PCAP_IO);
	ck_assert_ptr_nonnull(strstr(f.err, "No such file"));
	capf_close(&f);
	free(blob);
	capw_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------------------
 * Link layers, IPv4/IPv6 and TCP (pkt_decode)
 */

static const struct {
	uint32_t lt;
	int family;
	int opts;
	size_t hdr; /* bytes before the TCP payload */
} links[] = {
	{CAP_LT_EN10MB, 4, 0, 14 + 20 + 20},
	{CAP_LT_EN10MB, 6, 0, 14 + 40 + 20},
	{CAP_LT_EN10MB, 4, 1, 14 + 24 + 20},
	{CAP_LT_EN10MB, 6, 1, 14 + 72 + 20},
	{CAPW_LT_EN10MB_VLAN, 4, 0, 18 + 20 + 20},
	{CAPW_LT_EN10MB_QINQ, 6, 0, 22 + 40 + 20},
	{CAP_LT_LINUX_SLL, 4, 0, 16 + 20 + 20},
	{CAP_LT_LINUX_SLL, 6, 0, 16 + 40 + 20},
	{CAP_LT_LINUX_SLL2, 4, 0, 20 + 20 + 20},
	{CAP_LT_LINUX_SLL2, 6, 1, 20 + 72 + 20},
	{CAP_LT_NULL, 4, 0, 4 + 20 + 20},
	{CAP_LT_NULL, 6, 0, 4 + 40 + 20},
	{CAP_LT_LOOP, 4, 0, 4 + 20 + 20},
	{CAP_LT_LOOP, 6, 0, 4 + 40 + 20},
	{CAP_LT_RAW, 4, 0, 20 + 20},
	{CAP_LT_RAW, 6, 0, 40 + 20},
	{CAP_LT_IPV4, 4, 1, 24 + 20},
	{CAP_LT_IPV6, 6, 0, 40 + 20},
	{CAP_LT_NFLOG, 4, 0, 8 + 20 + 20},
	{CAP_LT_NFLOG, 6, 0, 8 + 40 + 20},
};

START_TEST(link_types_decode_to_tcp)
{
	uint8_t f[512], pl[50];
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)('a' + i % 26);
	uint32_t lt = links[_i].lt;
	int n = frame_of(lt, links[_i].family, 0xDEADBEEF, PKT_ACK | PKT_PSH,
			 pl, sizeof(pl), links[_i].opts, f, sizeof(f));
	ck_assert_int_eq(n, (int)(links[_i].hdr + sizeof(pl)));
	struct pkt_tcp s;
	ck_assert_int_eq(pkt_decode(capw_file_linktype(lt), f, (size_t)n,
				    (size_t)n, &s),
			 PKT_TCP);
	ck_assert_uint_eq(s.family, links[_i].family);
	const struct capw_ep *c = links[_i].family == 6 ? &ep_c6 : &ep_c4;
	const struct capw_ep *d = links[_i].family == 6 ? &ep_s6 : &ep_s4;
	ck_assert_mem_eq(s.src, c->addr, links[_i].family == 6 ? 16 : 4);
	ck_assert_mem_eq(s.dst, d->addr, links[_i].family == 6 ? 16 : 4);
	ck_assert_uint_eq(s.sport, 50000);
	ck_assert_uint_eq(s.dport, 80);
	ck_assert_uint_eq(s.seq, 0xDEADBEEF);
	ck_assert_uint_eq(s.ack, 777);
	ck_assert_uint_eq(s.flags, PKT_ACK | PKT_PSH);
	ck_assert_uint_eq(s.caplen, sizeof(pl));
	ck_assert_uint_eq(s.len, sizeof(pl));
	ck_assert_ptr_eq(s.payload, f + links[_i].hdr);

	/* Every prefix, cut by a snaplen (origlen kept) and as a packet
	 * that is simply short; never a read outside the prefix. */
	for (size_t len = 0; len <= (size_t)n; len++) {
		struct tl_guard g;
		tl_guard_init(&g, f, len);
		int st = pkt_decode(capw_file_linktype(lt), g.data, len,
				    (size_t)n, &s);
		if (len >= links[_i].hdr) {
			HOT_CHECK(st == PKT_TCP);
			HOT_CHECK(s.caplen == len - links[_i].hdr);
			HOT_CHECK(s.len == sizeof(pl));
		} else {
			HOT_CHECK(st == PKT_TRUNCATED);
		}
		st = pkt_decode(capw_file_linktype(lt), g.data, len, len, &s);
		HOT_CHECK(len == (size_t)n ? st == PKT_TCP
					   : st == PKT_MALFORMED);
		tl_guard_free(&g);
	}
}
END_TEST

START_TEST(ip_fragments_other_protocols_and_bad_headers)
{
	uint8_t f[256];
	struct pkt_tcp s;
	int n = frame_of(CAP_LT_EN10MB, 4, 1, PKT_ACK, "xyz", 3, 0, f,
			 sizeof(f));
	/* IPv4 fragments: MF set, or an offset. */
	f[14 + 6] = 0x20;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s),
			 PKT_FRAGMENT);
	f[14 + 6] = 0x00;
	f[14 + 7] = 0x08;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s),
			 PKT_FRAGMENT);
	f[14 + 6] = 0x40; /* DF alone is fine */
	f[14 + 7] = 0x00;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s), PKT_TCP);
	/* UDP, ARP. */
	f[14 + 9] = 17;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s), PKT_OTHER);
	f[14 + 9] = 6;
	f[12] = 0x08;
	f[13] = 0x06;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s), PKT_OTHER);
	f[13] = 0x00;
	/* IHL 4, TCP data offset 4. */
	f[14] = 0x44;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s),
			 PKT_MALFORMED);
	f[14] = 0x45;
	f[14 + 20 + 12] = 0x40;
	ck_assert_int_eq(pkt_decode(1, f, (size_t)n, (size_t)n, &s),
			 PKT_MALFORMED);
	f[14 + 20 + 12] = 0x50;
	/* Ethernet padding after the IP packet is not payload. */
	uint8_t padded[300];
	memcpy(padded, f, (size_t)n);
	memset(padded + n, 0xEE, 20);
	ck_assert_int_eq(pkt_decode(1, padded, (size_t)n + 20, (size_t)n + 20,
				    &s),
			 PKT_TCP);
	ck_assert_uint_eq(s.len, 3);
	ck_assert_uint_eq(s.caplen, 3);
	/* TSO: IP total length 0 means "the rest of the packet". */
	padded[14 + 2] = 0;
	padded[14 + 3] = 0;
	ck_assert_int_eq(pkt_decode(1, padded, (size_t)n + 20, (size_t)n + 20,
				    &s),
			 PKT_TCP);
	ck_assert_uint_eq(s.len, 23);
	/* An unknown link type. */
	ck_assert_int_eq(pkt_decode(147, f, (size_t)n, (size_t)n, &s),
			 PKT_BAD_LINK);
	/* IPv6 fragment header with an offset. */
	n = frame_of(CAP_LT_RAW, 6, 1, PKT_ACK, "xyz", 3, 1, f, sizeof(f));
	ck_assert_int_eq(pkt_decode(CAP_LT_RAW, f, (size_t)n, (size_t)n, &s),
			 PKT_TCP);
	f[40 + 24 + 3] = 0x08; /* offset 1 */
	ck_assert_int_eq(pkt_decode(CAP_LT_RAW, f, (size_t)n, (size_t)n, &s),
			 PKT_FRAGMENT);
	/* A NULL header written in the other byte order still decodes. */
	n = frame_of(CAP_LT_NULL, 4, 1, PKT_ACK, "xyz", 3, 0, f, sizeof(f));
	f[0] = 0;
	f[3] = 2;
	ck_assert_int_eq(pkt_decode(CAP_LT_NULL, f, (size_t)n, (size_t)n, &s),
			 PKT_TCP);
	char a[64];
	ck_assert_int_gt(pkt_addr_str(6, ep_c6.addr, a, sizeof(a)), 0);
	ck_assert_str_eq(a, "fd00::1");
}
END_TEST

/* ------------------------------------------------------------------------
 * TCP reassembly (RFC 9293 sequence space; tcpr.h policy)
 */

/* What tcpr delivered, per direction and in all. */
struct tcap {
	uint8_t *bytes[2];  /* delivered, at their offsets */
	uint8_t *have[2];   /* 1 where a byte was delivered */
	size_t cap;
	uint64_t next[2];   /* DATA and GAP must be contiguous */
	uint64_t data[2], gaps[2];
	int gap_reason[8];
	uint64_t gap_off[8], gap_len[8];
	size_t ngaps;
	int fin[2], rst, closes, close_reason, opens, conflicts, overflows;
	uint64_t streams[16];
	size_t nstreams;
};

static void tcap_init(struct tcap *t, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	for (int d = 0; d < 2; d++) {
		t->bytes[d] = calloc(1, cap);
		t->have[d] = calloc(1, cap);
	}
}

static void tcap_free(struct tcap *t)
{
	for (int d = 0; d < 2; d++) {
		free(t->bytes[d]);
		free(t->have[d]);
	}
}

static void on_tcap(const struct tcpr_event *ev, void *user)
{
	struct tcap *t = user;
	int d = ev->dir;
	switch (ev->type) {
	case TCPR_EV_OPEN:
		t->opens++;
		if (t->nstreams < 16)
			t->streams[t->nstreams++] = ev->conn->stream;
		break;
	case TCPR_EV_DATA:
		HOT_CHECK(ev->offset == t->next[d]);
		HOT_CHECK(ev->len > 0);
		for (size_t i = 0; i < ev->len; i++) {
			uint64_t o = ev->offset + i;
			if (o < t->cap) {
				HOT_CHECK(!t->have[d][o]);
				t->bytes[d][o] = ev->data[i];
				t->have[d][o] = 1;
			}
		}
		t->next[d] += ev->len;
		t->data[d] += ev->len;
		break;
	case TCPR_EV_GAP:
		HOT_CHECK(ev->offset == t->next[d]);
		HOT_CHECK(ev->gap > 0);
		if (t->ngaps < 8) {
			t->gap_reason[t->ngaps] = ev->reason;
			t->gap_off[t->ngaps] = ev->offset;
			t->gap_len[t->ngaps] = ev->gap;
			t->ngaps++;
		}
		t->next[d] += ev->gap;
		t->gaps[d] += ev->gap;
		break;
	case TCPR_EV_FIN:
		t->fin[d]++;
		break;
	case TCPR_EV_RST:
		t->rst++;
		break;
	case TCPR_EV_CLOSE:
		t->closes++;
		t->close_reason = ev->reason;
		break;
	case TCPR_EV_CONFLICT:
		t->conflicts++;
		break;
	case TCPR_EV_OVERFLOW:
		t->overflows++;
		break;
	}
}

/* One segment of the client (dir 0) or server, seq relative to an ISN. */
static void seg(struct tcpr *r, struct tcap *t, int dir, uint32_t seq,
		uint8_t flags, uint8_t *p, size_t n, size_t wire, uint32_t ack)
{
	struct pkt_tcp s;
	memset(&s, 0, sizeof(s));
	s.family = 4;
	memcpy(s.src, dir == 0 ? ep_c4.addr : ep_s4.addr, 4);
	memcpy(s.dst, dir == 0 ? ep_s4.addr : ep_c4.addr, 4);
	s.sport = dir == 0 ? 50000 : 80;
	s.dport = dir == 0 ? 80 : 50000;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.payload = p;
	s.caplen = (uint32_t)n;
	s.len = (uint32_t)(wire ? wire : n);
	/* The payload must be writable and may be unmasked: a copy. */
	uint8_t *copy = n > 0 ? malloc(n) : NULL;
	if (n > 0)
		memcpy(copy, p, n);
	s.payload = copy;
	int rc = tcpr_packet(r, &s, on_tcap, t);
	HOT_CHECK(rc == 0 || rc == WSP_E_NOMEM);
	free(copy);
}

static void fill_stream(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t st = seed;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tl_rand(&st);
}

/* A stream cut into random segments, sent in random order with random
 * duplicates and overlaps, with or without a SYN, from any ISN (near the
 * wrap too): the same bytes come out, in order, with no gap. */
START_TEST(rfc9293_any_segmentation_and_order_gives_the_stream)
{
	enum { N = 3000 };
	uint8_t data[N];
	fill_stream(data, N, 7);
	uint64_t rng = 0x1234 + (uint64_t)_i;
	for (int iter = 0; iter < 60; iter++) {
		uint32_t isn = iter % 3 == 0 ? 0xFFFFF000u + (uint32_t)iter
					     : (uint32_t)tl_rand(&rng);
		int with_syn = iter % 4 != 1;
		/* Segments covering [0, N), some overlapping. */
		size_t a[64], b[64], nseg = 0, off = 0;
		while (off < N && nseg < 60) {
			size_t len = 1 + (size_t)(tl_rand(&rng) % 200);
			size_t back = off > 0 ? (size_t)(tl_rand(&rng) % 3) * 7 : 0;
			if (back > off)
				back = off;
			a[nseg] = off - back;
			b[nseg] = off + len > N ? N : off + len;
			off = b[nseg];
			nseg++;
		}
		if (off < N) {
			a[nseg] = off;
			b[nseg] = N;
			nseg++;
		}
		/* Shuffle, keeping the first segment first when there is no
		 * SYN (its sequence number is where the stream starts). */
		size_t order[128], no = nseg;
		for (size_t i = 0; i < nseg; i++)
			order[i] = i;
		for (size_t i = nseg - 1; i > (with_syn ? 0u : 1u); i--) {
			size_t lo = with_syn ? 0 : 1;
			size_t j = lo + (size_t)(tl_rand(&rng) % (i - lo + 1));
			size_t t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int k = 0; k < 10; k++)
			order[no++] = (size_t)(tl_rand(&rng) % nseg);
		struct tcpr r;
		struct tcap t;
		ck_assert_int_eq(tcpr_init(&r, NULL), 0);
		tcap_init(&t, N);
		if (with_syn)
			seg(&r, &t, 0, isn - 1, PKT_SYN, NULL, 0, 0, 0);
		for (size_t i = 0; i < no; i++) {
			size_t k = order[i];
			seg(&r, &t, 0, isn + (uint32_t)a[k], PKT_ACK,
			    data + a[k], b[k] - a[k], 0, 1);
		}
		tcpr_finish(&r, on_tcap, &t);
		ck_assert_uint_eq(t.data[0], N);
		ck_assert_uint_eq(t.gaps[0], 0);
		ck_assert_mem_eq(t.bytes[0], data, N);
		ck_assert_int_eq(t.conflicts, 0);
		ck_assert_uint_eq(r.total, 0);
		ck_assert_int_eq(t.closes, 1);
		ck_assert_int_eq(t.close_reason, TCPR_CLOSE_END);
		tcap_free(&t);
		tcpr_free(&r);
	}
}
END_TEST

START_TEST(rfc9293_retransmission_first_copy_wins_conflict_reported)
{
	uint8_t a[100], b2[100];
	fill_stream(a, 100, 1);
	memcpy(b2, a, 100);
	b2[60] ^= 0xFF;
	struct tcpr r;
	struct tcap t;
	tcpr_init(&r, NULL);
	tcap_init(&t, 200);
	seg(&r, &t, 0, 99, PKT_SYN, NULL, 0, 0, 0);
	/* Bytes 50..99 held, then a retransmission of 40..99 that differs. */
	seg(&r, &t, 0, 150, PKT_ACK, a + 50, 50, 0, 1);
	seg(&r, &t, 0, 140, PKT_ACK, b2 + 40, 60, 0, 1);
	ck_assert_int_eq(t.conflicts, 1);
	ck_assert_uint_eq(r.conflicts, 1);
	seg(&r, &t, 0, 100, PKT_ACK, a, 40, 0, 1);
	ck_assert_uint_eq(t.data[0], 100);
	ck_assert_mem_eq(t.bytes[0], a, 100); /* the first copy */
	/* A retransmission of delivered bytes is dropped silently. */
	seg(&r, &t, 0, 100, PKT_ACK, b2, 100, 0, 1);
	ck_assert_uint_eq(t.data[0], 100);
	ck_assert_uint_ge(r.retrans_bytes, 100);
	tcap_free(&t);
	tcpr_free(&r);
}
END_TEST

START_TEST(gaps_are_declared_only_when_bytes_cannot_come)
{
	uint8_t a[300];
	fill_stream(a, 300, 2);
	struct tcpr r;
	struct tcap t;

	/* Acknowledged by the peer while later bytes are held. */
	tcpr_init(&r, NULL);
	tcap_init(&t, 300);
	seg(&r, &t, 0, 999, PKT_SYN, NULL, 0, 0, 0);
	seg(&r, &t, 1, 4999, PKT_SYN | PKT_ACK, NULL, 0, 0, 1000);
	seg(&r, &t, 0, 1000, PKT_ACK, a, 100, 0, 5000);
	seg(&r, &t, 0, 1200, PKT_ACK, a + 200, 100, 0, 5000);
	/* An ACK for less than the hole, then a stale one: nothing yet. */
	seg(&r, &t, 1, 5000, PKT_ACK, NULL, 0, 0, 1100);
	ck_assert_uint_eq(t.ngaps, 0);
	seg(&r, &t, 1, 5000, PKT_ACK, NULL, 0, 0, 1300);
	ck_assert_uint_eq(t.ngaps, 1);
	ck_assert_int_eq(t.gap_reason[0], TCPR_GAP_ACKED);
	ck_assert_uint_eq(t.gap_off[0], 100);
	ck_assert_uint_eq(t.gap_len[0], 100);
	ck_assert_uint_eq(t.data[0], 200);
	ck_assert_mem_eq(t.bytes[0] + 200, a + 200, 100);
	tcap_free(&t);
	tcpr_free(&r);

	/* Cut by the snaplen, in order and out of order. */
	tcpr_init(&r, NULL);
	tcap_init(&t, 300);
	seg(&r, &t, 0, 999, PKT_SYN, NULL, 0, 0, 0);
	seg(&r, &t, 0, 1100, PKT_ACK, a + 100, 30, 100, 1);
	seg(&r, &t, 0, 1000, PKT_ACK, a, 40, 100, 1);
	ck_assert_uint_eq(t.ngaps, 2);
	ck_assert_int_eq(t.gap_reason[0], TCPR_GAP_SNAPLEN);
	ck_assert_uint_eq(t.gap_off[0], 40);
	ck_assert_uint_eq(t.gap_len[0], 60);
	ck_assert_uint_eq(t.gap_off[1], 130);
	ck_assert_uint_eq(t.gap_len[1], 70);
	ck_assert_uint_eq(t.data[0], 70);
	tcap_free(&t);
	tcpr_free(&r);

	/* A hole left when the stream ends: the held bytes come out after a
	 * gap, then the FIN. */
	tcpr_init(&r, NULL);
	tcap_init(&t, 300);
	seg(&r, &t, 0, 999, PKT_SYN, NULL, 0, 0, 0);
	seg(&r, &t, 0, 1000, PKT_ACK, a, 100, 0, 1);
	seg(&r, &t, 0, 1150, PKT_ACK | PKT_FIN, a + 150, 50, 0, 1);
	ck_assert_int_eq(t.fin[0], 0);
	tcpr_finish(&r, on_tcap, &t);
	ck_assert_uint_eq(t.ngaps, 1);
	ck_assert_int_eq(t.gap_reason[0], TCPR_GAP_END);
	ck_assert_uint_eq(t.gap_len[0], 50);
	ck_assert_int_eq(t.fin[0], 1);
	ck_assert_uint_eq(t.data[0], 150);
	tcap_free(&t);
	tcpr_free(&r);
}
END_TEST

START_TEST(memory_caps_release_held_bytes_with_gaps)
{
	uint8_t a[3000];
	fill_stream(a, 3000, 3);
	struct tcpr_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_buffer = 1000;
	struct tcpr r;
	struct tcap t;
	tcpr_init(&r, &cfg);
	tcap_init(&t, 3000);
	seg(&r, &t, 0, 0, PKT_SYN, NULL, 0, 0, 0);
	/* Byte 0..99 missing; 600 + 400 held fit; the next 500 do not. */
	seg(&r, &t, 0, 101, PKT_ACK, a + 100, 600, 0, 1);
	seg(&r, &t, 0, 701, PKT_ACK, a + 700, 400, 0, 1);
	ck_assert_int_eq(t.overflows, 0);
	ck_assert_uint_eq(tcpr_held(r.open.head, 0), 1000);
	seg(&r, &t, 0, 1201, PKT_ACK, a + 1200, 500, 0, 1);
	ck_assert_int_eq(t.overflows, 1);
	ck_assert_uint_eq(t.ngaps, 2);
	ck_assert_int_eq(t.gap_reason[0], TCPR_GAP_BUFFER);
	ck_assert_uint_eq(t.gap_len[0], 100);
	ck_assert_uint_eq(t.gap_off[1], 1100);
	ck_assert_uint_eq(t.gap_len[1], 100);
	ck_assert_uint_eq(t.data[0], 1500);
	ck_assert_uint_eq(r.total, 0);
	ck_assert_mem_eq(t.bytes[0] + 1200, a + 1200, 500);
	tcap_free(&t);
	tcpr_free(&r);
}
END_TEST

/* tcp.stream numbering: first appearance; port reuse opens a new one;
 * late packets of a closed connection open none. */
START_TEST(streams_numbered_like_tshark_and_closed_on_fin_rst)
{
	struct tcpr r;
	struct tcap t;
	tcpr_init(&r, NULL);
	tcap_init(&t, 100);
	uint8_t x[4] = {1, 2, 3, 4};
	seg(&r, &t, 0, 100, PKT_SYN, NULL, 0, 0, 0);
	seg(&r, &t, 1, 500, PKT_SYN | PKT_ACK, NULL, 0, 0, 101);
	seg(&r, &t, 0, 101, PKT_ACK, x, 4, 0, 501);
	seg(&r, &t, 0, 105, PKT_FIN | PKT_ACK, NULL, 0, 0, 501);
	ck_assert_int_eq(t.fin[0], 1);
	seg(&r, &t, 1, 501, PKT_FIN | PKT_ACK, NULL, 0, 0, 106);
	ck_assert_int_eq(t.fin[1], 1);
	ck_assert_int_eq(t.closes, 1);
	ck_assert_int_eq(t.close_reason, TCPR_CLOSE_FIN);
	/* The last ACK belongs to the closed stream. */
	seg(&r, &t, 0, 106, PKT_ACK, NULL, 0, 0, 502);
	ck_assert_int_eq(t.opens, 1);
	/* A new SYN on the same tuple: stream 1. */
	seg(&r, &t, 0, 9000, PKT_SYN, NULL, 0, 0, 0);
	ck_assert_int_eq(t.opens, 2);
	ck_assert_uint_eq(t.streams[1], 1);
	seg(&r, &t, 1, 700, PKT_RST | PKT_ACK, NULL, 0, 0, 9001);
	ck_assert_int_eq(t.rst, 1);
	ck_assert_int_eq(t.closes, 2);
	ck_assert_int_eq(t.close_reason, TCPR_CLOSE_RST);
	tcap_free(&t);
	tcpr_free(&r);

	/* Too many open: the least recently active one is closed. */
	struct tcpr_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_open = 2;
	tcpr_init(&r, &cfg);
	tcap_init(&t, 100);
	for (int i = 0; i < 3; i++) {
		struct pkt_tcp s;
		memset(&s, 0, sizeof(s));
		s.family = 4;
		s.src[0] = 10;
		s.dst[0] = 11;
		s.sport = (uint16_t)(1000 + i);
		s.dport = 80;
		s.flags = PKT_SYN;
		ck_assert_int_eq(tcpr_packet(&r, &s, on_tcap, &t), 0);
	}
	ck_assert_int_eq(t.opens, 3);
	ck_assert_int_eq(t.closes, 1);
	ck_assert_int_eq(t.close_reason, TCPR_CLOSE_EVICT);
	ck_assert_uint_eq(r.evicted, 1);
	ck_assert_uint_eq(t.streams[2], 2);
	tcap_free(&t);
	tcpr_free(&r);
}
END_TEST

/* No SYN captured: the stream starts at the first byte seen, or where
 * the peer's ACK says it does. */
START_TEST(mid_stream_start_uses_first_byte_or_peer_ack)
{
	uint8_t a[100];
	fill_stream(a, 100, 4);
	struct tcpr r;
	struct tcap t;
	tcpr_init(&r, NULL);
	tcap_init(&t, 100);
	/* The server acknowledges up to 7000 first; client bytes 7010.. come
	 * before 7000.. */
	seg(&r, &t, 1, 300, PKT_ACK, NULL, 0, 0, 7000);
	seg(&r, &t, 0, 7010, PKT_ACK, a + 10, 90, 0, 300);
	ck_assert_uint_eq(t.data[1], 0);
	seg(&r, &t, 0, 7000, PKT_ACK, a, 10, 0, 300);
	/* tcpr's direction 0 is the first sender: the server here. */
	ck_assert_uint_eq(t.data[1], 100);
	ck_assert_mem_eq(t.bytes[1], a, 100);
	tcap_free(&t);
	tcpr_free(&r);
}
END_TEST

/* Allocation failures never crash and never leak. */
START_TEST(tcpr_allocation_failures_are_survived)
{
	uint8_t a[200];
	fill_stream(a, 200, 5);
	for (long fail = 0; fail < 12; fail++) {
		struct tl_failmem fm;
		tl_failmem_init(&fm, fail);
		struct tcpr_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.mem = &fm.mem;
		struct tcpr r;
		if (tcpr_init(&r, &cfg) != 0)
			continue;
		struct tcap t;
		tcap_init(&t, 200);
		seg(&r, &t, 0, 0, PKT_SYN, NULL, 0, 0, 0);
		struct pkt_tcp s;
		memset(&s, 0, sizeof(s));
		s.family = 4;
		memcpy(s.src, ep_c4.addr, 4);
		memcpy(s.dst, ep_s4.addr, 4);
		s.sport = 50000;
		s.dport = 80;
		s.flags = PKT_ACK;
		for (int k = 3; k >= 0; k--) {
			uint8_t buf[50];
			memcpy(buf, a + 50 * k, 50);
			s.seq = 1 + 50 * (uint32_t)k;
			s.payload = buf;
			s.caplen = s.len = 50;
			int rc = tcpr_packet(&r, &s, on_tcap, &t);
			ck_assert(rc == 0 || rc == WSP_E_NOMEM);
		}
		tcpr_finish(&r, on_tcap, &t);
		ck_assert_uint_eq(t.data[0] + t.gaps[0], t.next[0]);
		tcap_free(&t);
		tcpr_free(&r);
	}
}
END_TEST

/* ------------------------------------------------------------------------
 * The dissector: captures built by capgen, events recorded
 */

struct rec {
	enum dis_ev_type type;
	uint64_t packet;
	int64_t stream;
	int dir;
	struct wsf_header hdr;
	uint64_t index, received, missing, message, itotal;
	uint64_t size, frames, inflated;
	int incomplete, uncertain, compressed, has_close, has_code;
	int aborted, hole, inflate_failed;
	uint16_t close_code;
	uint8_t opcode;
	uint8_t data[64];
	size_t len;
	int viol[DIS_MAX_VIOL];
	size_t nviol;
	int code;
	char side[8];
	uint64_t gap_len;
	int gap_reason;
	int status, request, pmd, handshake;
};

struct run {
	struct rec *r;
	size_t n;
	char *text, *canon;
	size_t tlen, clen, cap;
	int read_rc;
	struct disfmt_opts frames_fmt, msgs_fmt;
	uint64_t violations, frames, messages, sessions, gaps;
	struct dis *d; /* the dissector, while run_capture reads */
};

static void run_append(char *buf, size_t *len, size_t cap, const char *s,
		       size_t n)
{
	if (n > cap - *len)
		n = cap - *len;
	memcpy(buf + *len, s, n);
	*len += n;
}

/* Appends line(s) to text, and without their packet and time columns to
 * canon (what chunking must not change). */
static void run_line(struct run *r, const char *s, size_t n)
{
	run_append(r->text, &r->tlen, r->cap, s, n);
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && s[e] != '\n')
			e++;
		size_t skip = e - i > 20 ? 20 : e - i;
		run_append(r->canon, &r->clen, r->cap, s + i + skip,
			   e + 1 - i - skip);
		i = e + 1;
	}
}

static void on_rec(const struct dis_event *ev, void *user)
{
	struct run *r = user;
	static char line[DISFMT_MAX_LINE];
	size_t n = disfmt_event(&r->frames_fmt, ev, line, sizeof(line));
	run_line(r, line, n);
	if (ev->type == DIS_EV_MESSAGE) {
		n = disfmt_event(&r->msgs_fmt, ev, line, sizeof(line));
		run_line(r, line, n);
	}
	if (r->n == 512)
		return;
	struct rec *x = &r->r[r->n++];
	memset(x, 0, sizeof(*x));
	x->type = ev->type;
	x->packet = ev->packet;
	x->stream = ev->stream;
	x->dir = ev->dir;
	switch (ev->type) {
	case DIS_EV_FRAME: {
		const struct dis_frame *f = &ev->frame;
		x->hdr = f->hdr;
		x->index = f->index;
		x->received = f->received;
		x->missing = f->missing;
		x->message = f->message;
		x->incomplete = f->incomplete;
		x->uncertain = f->uncertain;
		x->compressed = f->compressed;
		x->has_close = f->has_close;
		x->has_code = f->has_code;
		x->close_code = f->close_code;
		x->itotal = f->inflated_total;
		const uint8_t *p = f->compressed ? f->inflated : f->data;
		size_t k = f->compressed ? f->inflated_len : f->len;
		x->len = k < 64 ? k : 64;
		memcpy(x->data, p, x->len);
		x->nviol = f->nviol;
		memcpy(x->viol, f->viol, f->nviol * sizeof(int));
		break;
	}
	case DIS_EV_MESSAGE:
		x->index = ev->msg.index;
		x->opcode = ev->msg.opcode;
		x->size = ev->msg.size;
		x->frames = ev->msg.frames;
		x->inflated = ev->msg.inflated;
		x->compressed = ev->msg.compressed;
		x->aborted = ev->msg.aborted;
		x->hole = ev->msg.hole;
		x->inflate_failed = ev->msg.inflate_failed;
		x->len = ev->msg.len < 64 ? ev->msg.len : 64;
		memcpy(x->data, ev->msg.data, x->len);
		break;
	case DIS_EV_VIOLATION:
		x->code = ev->viol.code;
		snprintf(x->side, sizeof(x->side), "%s", ev->viol.side);
		break;
	case DIS_EV_GAP:
		x->gap_len = ev->gap.len;
		x->gap_reason = ev->gap.reason;
		break;
	case DIS_EV_HTTP:
		x->status = ev->http.status;
		x->request = ev->http.request;
		break;
	case DIS_EV_SESSION:
		x->pmd = ev->sess.pmd;
		x->handshake = ev->sess.handshake;
		break;
	default:
		break;
	}
}

static void run_free(struct run *r)
{
	free(r->r);
	free(r->text);
	free(r->canon);
	memset(r, 0, sizeof(*r));
}

/* One packet of run_capture's capture to r->d. */
static void run_packet(struct cap_pkt *p, void *user)
{
	struct run *r = user;
	if (p->number == 1)
		r->frames_fmt.t0 = r->msgs_fmt.t0 = p->ts;
	ck_assert_int_eq(dis_packet(r->d, p, on_rec, r), 0);
}

/* Dissects the capture in b (cfg may be NULL) into r. */
static void run_capture(struct run *r, const struct capw_buf *b,
			const struct dis_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->r = calloc(512, sizeof(*r->r));
	r->cap = 1u << 20;
	r->text = calloc(1, r->cap + 1);
	r->canon = calloc(1, r->cap + 1);
	ck_assert(r->r != NULL && r->text != NULL && r->canon != NULL);
	r->frames_fmt.preview = 64;
	r->msgs_fmt = r->frames_fmt;
	r->msgs_fmt.messages = 1;
	uint8_t *buf = malloc(b->len + 1);
	memcpy(buf, b->p, b->len);
	struct dis d;
	struct dis_config c;
	if (cfg != NULL)
		c = *cfg;
	else {
		memset(&c, 0, sizeof(c));
		c.stream = -1;
	}
	ck_assert_int_eq(dis_init(&d, &c), 0);
	struct cap_reader rd;
	cap_reader_init(&rd);
	r->d = &d;
	r->read_rc = tl_cap_each(&rd, buf, b->len, run_packet, r);
	r->d = NULL;
	dis_finish(&d, on_rec, r);
	r->violations = d.violations;
	r->frames = d.frames;
	r->messages = d.messages;
	r->sessions = d.sessions;
	r->gaps = d.gaps;
	dis_free(&d);
	free(buf);
	r->text[r->tlen] = '\0';
	r->canon[r->clen] = '\0';
}

/* The i-th event of a type, or NULL. */
static const struct rec *nth(const struct run *r, enum dis_ev_type t,
			     size_t i)
{
	for (size_t k = 0; k < r->n; k++)
		if (r->r[k].type == t && i-- == 0)
			return &r->r[k];
	return NULL;
}

static void gen_begin(struct capw_buf *b, struct capgen *g, uint32_t lt,
		      int family, size_t mss)
{
	capw_buf_init(b, NULL);
	ck_assert_int_eq(capw_pcap_header(b, capw_file_linktype(lt), 262144, 0),
			 0);
	capgen_init(g, b, lt, family, 50000, 80, 42, mss);
	ck_assert_int_eq(capgen_open(g), 0);
}

static void text(struct capgen *g, int dir, const char *s)
{
	ck_assert_int_eq(capgen_frame(g, dir, 1, 0, WSP_OP_TEXT, s, strlen(s)),
			 0);
}

static void close_both(struct capgen *g, int first)
{
	static const uint8_t cl[] = {0x03, 0xE8, 'b', 'y', 'e'};
	ck_assert_int_eq(capgen_frame(g, first, 1, 0, WSP_OP_CLOSE, cl, 5), 0);
	ck_assert_int_eq(capgen_frame(g, 1 - first, 1, 0, WSP_OP_CLOSE, cl, 5),
			 0);
	ck_assert_int_eq(capgen_close(g, 1), 0);
}

START_TEST(rfc6455_5_session_frames_dirs_masking_close)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	ck_assert_int_eq(capgen_upgrade(&g, NULL, NULL), 0);
	text(&g, 0, "Hello");
	text(&g, 1, "Hello");
	uint8_t bin[200];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)i;
	capgen_frame(&g, 0, 1, 0, WSP_OP_BINARY, bin, sizeof(bin));
	capgen_frame(&g, 1, 1, 0, WSP_OP_PING, "p1", 2);
	capgen_frame(&g, 0, 1, 0, WSP_OP_PONG, "p1", 2);
	close_both(&g, 0);
	struct run r;
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.sessions, 1);
	ck_assert_uint_eq(r.frames, 7);
	ck_assert_uint_eq(r.messages, 3);
	ck_assert_uint_eq(r.violations, 0);
	ck_assert_int_eq(nth(&r, DIS_EV_HTTP, 0)->request, 1);
	ck_assert_int_eq(nth(&r, DIS_EV_HTTP, 1)->status, 101);
	const struct rec *f = nth(&r, DIS_EV_FRAME, 0);
	ck_assert_int_eq(f->dir, DIS_C2S);
	ck_assert_uint_eq(f->hdr.opcode, WSP_OP_TEXT);
	ck_assert_uint_eq(f->hdr.masked, 1);
	ck_assert_uint_eq(f->hdr.payload_len, 5);
	ck_assert_mem_eq(f->data, "Hello", 5);
	f = nth(&r, DIS_EV_FRAME, 1);
	ck_assert_int_eq(f->dir, DIS_S2C);
	ck_assert_uint_eq(f->hdr.masked, 0);
	f = nth(&r, DIS_EV_FRAME, 2);
	ck_assert_uint_eq(f->hdr.payload_len, 200);
	ck_assert_mem_eq(f->data, bin, 64);
	f = nth(&r, DIS_EV_FRAME, 5);
	ck_assert_int_eq(f->has_close, 1);
	ck_assert_uint_eq(f->close_code, 1000);
	const struct rec *m = nth(&r, DIS_EV_MESSAGE, 2);
	ck_assert_uint_eq(m->opcode, WSP_OP_BINARY);
	ck_assert_uint_eq(m->size, 200);
	ck_assert_uint_eq(m->index, 1); /* the client's second message */
	ck_assert_ptr_nonnull(strstr(r.text, "F--- text   M          5  \"Hello\""));
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

START_TEST(rfc6455_5_4_fragments_with_control_frames_between)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	capgen_frame(&g, 0, 0, 0, WSP_OP_TEXT, "Hel", 3);
	capgen_frame(&g, 0, 1, 0, WSP_OP_PING, "x", 1);
	capgen_frame(&g, 1, 1, 0, WSP_OP_PONG, "x", 1);
	capgen_frame(&g, 0, 0, 0, WSP_OP_CONT, "lo ", 3);
	capgen_frame(&g, 0, 0, 0, WSP_OP_CONT, "", 0);
	capgen_frame(&g, 0, 1, 0, WSP_OP_CONT, "world", 5);
	close_both(&g, 1);
	struct run r;
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.violations, 0);
	const struct rec *m = nth(&r, DIS_EV_MESSAGE, 0);
	ck_assert_uint_eq(m->frames, 4);
	ck_assert_uint_eq(m->size, 11);
	ck_assert_mem_eq(m->data, "Hello world", 11);
	ck_assert_int_eq(m->aborted, 0);
	/* The message comes right after its last frame. */
	for (size_t k = 0; k < r.n; k++)
		if (r.r[k].type == DIS_EV_MESSAGE && r.r[k].dir == DIS_C2S)
			ck_assert_uint_eq(r.r[k - 1].hdr.payload_len, 5);
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* A compressed session: messages inflated with the negotiated window and
 * context takeover, fragmented compressed messages, and uncompressed
 * messages in between. */
static void pmd_session(struct capw_buf *b, int nct)
{
	struct capgen g;
	gen_begin(b, &g, CAP_LT_EN10MB, 4, 0);
	ck_assert_int_eq(capgen_upgrade(&g,
					"permessage-deflate; client_max_window_bits",
					nct ? "permessage-deflate; client_no_context_takeover; "
					      "server_max_window_bits=10; client_max_window_bits=9"
					    : "permessage-deflate"),
			 0);
	struct pmd_deflate_cfg dc[2];
	struct pmd_deflater *c[2];
	for (int d = 0; d < 2; d++) {
		pmd_deflate_cfg_init(&dc[d]);
		if (nct) {
			dc[d].window_bits = d == 0 ? 9 : 10;
			dc[d].no_context_takeover = d == 0;
		}
		ck_assert_int_eq(pmd_deflater_new(&c[d], &dc[d], NULL), 0);
	}
	static const char *msgs[] = {
		"The quick brown fox jumps over the lazy dog",
		"The quick brown fox jumps over the lazy dog again and again",
		"{\"op\":\"subscribe\",\"channel\":\"ticker\",\"symbols\":[\"A\",\"B\"]}",
	};
	uint8_t z[1024];
	for (int i = 0; i < 3; i++) {
		for (int d = 0; d < 2; d++) {
			ssize_t n = capgen_deflate(c[d], msgs[i], strlen(msgs[i]),
						   z, sizeof(z));
			ck_assert_int_gt(n, 0);
			if (i == 1) {
				/* Fragmented: RSV1 on the first frame only. */
				size_t h = (size_t)n / 2;
				capgen_frame(&g, d, 0, WSP_RSV1, WSP_OP_TEXT, z, h);
				capgen_frame(&g, d, 1, 0, WSP_OP_CONT, z + h,
					     (size_t)n - h);
			} else {
				capgen_frame(&g, d, 1, WSP_RSV1, WSP_OP_TEXT, z,
					     (size_t)n);
			}
		}
		text(&g, 0, "plain");
	}
	for (int d = 0; d < 2; d++)
		pmd_deflater_free(c[d]);
	close_both(&g, 0);
}

START_TEST(rfc7692_messages_inflated_with_takeover_and_windows)
{
	static const char *msgs[] = {
		"The quick brown fox jumps over the lazy dog",
		"The quick brown fox jumps over the lazy dog again and again",
		"{\"op\":\"subscribe\",\"channel\":\"ticker\",\"symbols\":[\"A\",\"B\"]}",
	};
	for (int nct = 0; nct < 2; nct++) {
		struct capw_buf b;
		pmd_session(&b, nct);
		struct run r;
		run_capture(&r, &b, NULL);
		ck_assert_msg(r.violations == 0, "%s", r.text);
		ck_assert_int_eq(nth(&r, DIS_EV_SESSION, 0)->pmd, 1);
		size_t seen[2] = {0, 0};
		for (size_t k = 0; k < r.n; k++) {
			const struct rec *m = &r.r[k];
			if (m->type != DIS_EV_MESSAGE || !m->compressed)
				continue;
			const char *want = msgs[seen[m->dir]++];
			ck_assert_int_eq(m->inflate_failed, 0);
			ck_assert_uint_eq(m->inflated, strlen(want));
			ck_assert_mem_eq(m->data, want,
					 strlen(want) < 64 ? strlen(want) : 64);
		}
		ck_assert_uint_eq(seen[0], 3);
		ck_assert_uint_eq(seen[1], 3);
		ck_assert_ptr_nonnull(strstr(r.text, "(inflated 43 B)"));
		run_free(&r);
		capw_buf_free(&b);
	}
}
END_TEST

/* ---- one broken rule per capture ---- */

static void v_unmasked_client(struct capgen *g)
{
	g->unmask_client = 1;
	text(g, 0, "hi");
	g->unmask_client = 0;
}

static void v_masked_server(struct capgen *g)
{
	g->mask_server = 1;
	text(g, 1, "hi");
	g->mask_server = 0;
}

static void v_rsv2(struct capgen *g)
{
	capgen_frame(g, 1, 1, WSP_RSV2, WSP_OP_TEXT, "hi", 2);
}

static void v_rsv1_unnegotiated(struct capgen *g)
{
	capgen_frame(g, 0, 1, WSP_RSV1, WSP_OP_BINARY, "hi", 2);
}

static void v_ping_126(struct capgen *g)
{
	uint8_t p[126] = {0};
	capgen_frame(g, 0, 1, 0, WSP_OP_PING, p, sizeof(p));
}

static void v_ping_fragmented(struct capgen *g)
{
	capgen_frame(g, 1, 0, 0, WSP_OP_PING, "x", 1);
	capgen_frame(g, 0, 1, 0, WSP_OP_PONG, "x", 1);
}

static void v_reserved_opcode(struct capgen *g)
{
	capgen_frame(g, 1, 1, 0, 3, "x", 1);
}

static void v_bad_utf8(struct capgen *g)
{
	capgen_frame(g, 1, 0, 0, WSP_OP_TEXT, "ok \xe2\x82", 5);
	capgen_frame(g, 1, 1, 0, WSP_OP_CONT, "\xac ok \xc0\xaf", 7);
}

static void v_data_in_fragmented(struct capgen *g)
{
	capgen_frame(g, 0, 0, 0, WSP_OP_TEXT, "first", 5);
	capgen_frame(g, 0, 1, 0, WSP_OP_TEXT, "second", 6);
}

static void v_cont_no_message(struct capgen *g)
{
	capgen_frame(g, 1, 1, 0, WSP_OP_CONT, "x", 1);
}

static void v_close_1005(struct capgen *g)
{
	static const uint8_t cl[] = {0x03, 0xED};
	capgen_frame(g, 1, 1, 0, WSP_OP_CLOSE, cl, 2);
	capgen_frame(g, 0, 1, 0, WSP_OP_CLOSE, cl, 0);
}

static void v_data_after_close(struct capgen *g)
{
	capgen_frame(g, 0, 1, 0, WSP_OP_CLOSE, "", 0);
	text(g, 0, "late");
	capgen_frame(g, 1, 1, 0, WSP_OP_CLOSE, "", 0);
}

static void v_ping_unanswered(struct capgen *g)
{
	capgen_frame(g, 0, 1, 0, WSP_OP_PING, "are you there", 13);
	text(g, 1, "something else");
}

static void v_pong_mismatch(struct capgen *g)
{
	capgen_frame(g, 1, 1, 0, WSP_OP_PING, "abc", 3);
	capgen_frame(g, 0, 1, 0, WSP_OP_PONG, "abd", 3);
}

static void v_mask_repeated(struct capgen *g)
{
	uint8_t f[32];
	struct wsf_frame fr;
	memset(&fr, 0, sizeof(fr));
	fr.fin = 1;
	fr.opcode = WSP_OP_TEXT;
	fr.masked = 1;
	memcpy(fr.mask_key, "\x11\x22\x33\x44", 4);
	fr.payload_len = 2;
	for (int i = 0; i < 2; i++) {
		ssize_t n = wsf_encode(f, sizeof(f), &fr,
				       (const uint8_t *)"hi", 2);
		capgen_bytes(g, 0, f, (size_t)n);
	}
}

static void v_corrupt_deflate(struct capgen *g)
{
	capgen_frame(g, 0, 1, WSP_RSV1, WSP_OP_TEXT, "\xff\xff\xff\xff", 4);
}

static void v_deflated_bad_utf8(struct capgen *g)
{
	struct pmd_deflate_cfg dc;
	struct pmd_deflater *c;
	pmd_deflate_cfg_init(&dc);
	pmd_deflater_new(&c, &dc, NULL);
	uint8_t z[64];
	ssize_t n = capgen_deflate(c, "caf\xc3\x28", 5, z, sizeof(z));
	capgen_frame(g, 1, 1, WSP_RSV1, WSP_OP_TEXT, z, (size_t)n);
	pmd_deflater_free(c);
}

static const struct {
	const char *name;
	void (*build)(struct capgen *g);
	int pmd;          /* negotiate permessage-deflate */
	int no_close;     /* the builder ends the session itself */
	int code;         /* the first violation */
	const char *side;
	uint64_t count;   /* violations in all */
} vcases[] = {
	{"client frame unmasked", v_unmasked_client, 0, 0, WSP_E_WSF_CLIENT_UNMASKED, "client", 1},
	{"server frame masked", v_masked_server, 0, 0, WSP_E_WSF_SERVER_MASKED, "server", 1},
	{"RSV2 without an extension", v_rsv2, 0, 0, WSP_E_WSF_RSV2, "server", 1},
	{"RSV1 not negotiated", v_rsv1_unnegotiated, 0, 0, WSP_E_WSF_RSV1, "client", 1},
	{"ping of 126 bytes", v_ping_126, 0, 0, WSP_E_WSF_CTRL_TOO_LONG, "client", 1},
	{"fragmented ping", v_ping_fragmented, 0, 0, WSP_E_WSF_CTRL_FRAGMENTED, "server", 1},
	{"reserved opcode", v_reserved_opcode, 0, 0, WSP_E_WSF_RESERVED_OPCODE, "server", 1},
	{"invalid UTF-8 across fragments", v_bad_utf8, 0, 0, WSP_E_U8_OVERLONG, "server", 1},
	{"data frame inside a fragmented message", v_data_in_fragmented, 0, 0, WSP_E_MSG_DATA_IN_FRAGMENTED, "client", 1},
	{"continuation with no message", v_cont_no_message, 0, 0, WSP_E_MSG_CONT_NO_MESSAGE, "server", 1},
	{"close code 1005", v_close_1005, 0, 1, WSP_E_WSC_CODE_1005, "server", 1},
	{"data after close", v_data_after_close, 0, 1, WSP_E_MSG_DATA_AFTER_CLOSE, "client", 1},
	{"ping never answered", v_ping_unanswered, 0, 0, WSP_E_PCAP_PING_UNANSWERED, "server", 1},
	{"pong with other data", v_pong_mismatch, 0, 0, WSP_E_PCAP_PONG_MISMATCH, "client", 1},
	{"mask key reused", v_mask_repeated, 0, 0, WSP_E_PCAP_MASK_REPEATED, "client", 1},
	{"corrupt deflate data", v_corrupt_deflate, 1, 0, WSP_E_PMD_CORRUPT, "client", 1},
	{"deflated text not UTF-8", v_deflated_bad_utf8, 1, 0, WSP_E_U8_SHORT_SEQ, "server", 1},
};

START_TEST(passive_check_reports_each_rule_with_side)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, vcases[_i].pmd ? "permessage-deflate" : NULL,
		       vcases[_i].pmd ? "permessage-deflate" : NULL);
	text(&g, 0, "before");
	vcases[_i].build(&g);
	if (vcases[_i].no_close)
		capgen_close(&g, 1);
	else
		close_both(&g, 1);
	struct run r;
	run_capture(&r, &b, NULL);
	const struct rec *v = nth(&r, DIS_EV_VIOLATION, 0);
	ck_assert_msg(v != NULL, "%s: no violation\n%s", vcases[_i].name,
		      r.text);
	ck_assert_msg(v->code == vcases[_i].code, "%s: got %s\n%s",
		      vcases[_i].name, wsp_errname(v->code), r.text);
	ck_assert_str_eq(v->side, vcases[_i].side);
	ck_assert_msg(r.violations == vcases[_i].count, "%s: %llu violations\n%s",
		      vcases[_i].name, (unsigned long long)r.violations, r.text);
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* Handshake rules and the ones that need both directions. */
START_TEST(handshake_and_session_rules)
{
	struct capw_buf b;
	struct capgen g;
	struct run r;
	char buf[1024];

	/* A wrong Sec-WebSocket-Accept, and no Sec-WebSocket-Version. */
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	uint8_t nonce[16] = {1, 2, 3};
	struct hs_field noversion = {"Sec-WebSocket-Version", NULL};
	struct hs_req_desc rq;
	memset(&rq, 0, sizeof(rq));
	rq.host = "h";
	rq.nonce = nonce;
	rq.edits.set = &noversion;
	rq.edits.nset = 1;
	int n = hs_build_request(&rq, buf, sizeof(buf));
	capgen_bytes(&g, 0, buf, (size_t)n);
	struct hs_resp_desc rs;
	memset(&rs, 0, sizeof(rs));
	rs.accept = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	n = hs_build_response(&rs, buf, sizeof(buf));
	capgen_bytes(&g, 1, buf, (size_t)n);
	text(&g, 0, "still decoded");
	close_both(&g, 1);
	run_capture(&r, &b, NULL);
	ck_assert_int_eq(nth(&r, DIS_EV_VIOLATION, 0)->code,
			 WSP_E_HS_REQ_NO_VERSION);
	ck_assert_str_eq(nth(&r, DIS_EV_VIOLATION, 0)->side, "client");
	ck_assert_int_eq(nth(&r, DIS_EV_VIOLATION, 1)->code,
			 WSP_E_HS_RESP_BAD_ACCEPT);
	ck_assert_str_eq(nth(&r, DIS_EV_VIOLATION, 1)->side, "server");
	ck_assert_uint_eq(r.frames, 3);
	run_free(&r);
	capw_buf_free(&b);

	/* Client data before the 101 (R6455-4.1-40): reported, then decoded
	 * as frames once the 101 comes. */
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	memset(&rq, 0, sizeof(rq));
	rq.host = "h";
	rq.nonce = nonce;
	n = hs_build_request(&rq, buf, sizeof(buf));
	capgen_bytes(&g, 0, buf, (size_t)n);
	text(&g, 0, "eager");
	char key[32];
	hs_key_from_nonce(nonce, key);
	memset(&rs, 0, sizeof(rs));
	rs.key = key;
	n = hs_build_response(&rs, buf, sizeof(buf));
	capgen_bytes(&g, 1, buf, (size_t)n);
	close_both(&g, 1);
	run_capture(&r, &b, NULL);
	ck_assert_int_eq(nth(&r, DIS_EV_VIOLATION, 0)->code,
			 WSP_E_PCAP_DATA_BEFORE_101);
	ck_assert_uint_eq(r.violations, 1);
	ck_assert_mem_eq(nth(&r, DIS_EV_FRAME, 0)->data, "eager", 5);
	run_free(&r);
	capw_buf_free(&b);

	/* A Close never answered before the peer closed TCP. */
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	capgen_frame(&g, 0, 1, 0, WSP_OP_CLOSE, "\x03\xe8", 2);
	capgen_close(&g, 1);
	run_capture(&r, &b, NULL);
	ck_assert_int_eq(nth(&r, DIS_EV_VIOLATION, 0)->code,
			 WSP_E_PCAP_NO_CLOSE_REPLY);
	ck_assert_str_eq(nth(&r, DIS_EV_VIOLATION, 0)->side, "server");
	ck_assert_uint_eq(r.violations, 1);
	run_free(&r);
	capw_buf_free(&b);

	/* The same capture cut before the FIN: no verdict. */
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	capgen_frame(&g, 0, 1, 0, WSP_OP_CLOSE, "\x03\xe8", 2);
	capgen_frame(&g, 0, 1, 0, WSP_OP_PING, "", 0);
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.violations, 1); /* only the ping after close */
	ck_assert_int_eq(nth(&r, DIS_EV_VIOLATION, 0)->code,
			 WSP_E_MSG_CTRL_AFTER_CLOSE);
	run_free(&r);
	capw_buf_free(&b);

	/* A refused upgrade (401 with a body), then one that succeeds on
	 * the same connection. */
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	memset(&rq, 0, sizeof(rq));
	rq.host = "h";
	rq.nonce = nonce;
	n = hs_build_request(&rq, buf, sizeof(buf));
	capgen_bytes(&g, 0, buf, (size_t)n);
	static const char r401[] = "HTTP/1.1 401 Unauthorized\r\n"
				   "Content-Length: 4\r\n\r\nnope";
	capgen_bytes(&g, 1, r401, strlen(r401));
	capgen_upgrade(&g, NULL, NULL);
	text(&g, 1, "welcome");
	close_both(&g, 1);
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.sessions, 1);
	ck_assert_uint_eq(r.violations, 0);
	ck_assert_mem_eq(nth(&r, DIS_EV_FRAME, 0)->data, "welcome", 7);
	ck_assert_int_eq(nth(&r, DIS_EV_HTTP, 1)->status, 401);
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* R6455-5.2-05: a 2^63 length is a violation and costs nothing; the frame
 * is reported cut when the stream ends, with its full 64-bit length. */
START_TEST(rfc6455_5_2_length_2_63_reported_in_full)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	static const uint8_t hdr[] = {0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0,
				      'a',  'b',  'c'};
	capgen_bytes(&g, 1, hdr, sizeof(hdr));
	capgen_close(&g, 1);
	struct run r;
	run_capture(&r, &b, NULL);
	const struct rec *f = nth(&r, DIS_EV_FRAME, 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->hdr.payload_len, (uint64_t)1 << 63);
	ck_assert_int_eq(f->incomplete, 1);
	ck_assert_uint_eq(f->received, 3);
	ck_assert_int_eq(nth(&r, DIS_EV_VIOLATION, 0)->code,
			 WSP_E_WSF_LEN_TOP_BIT);
	ck_assert_ptr_nonnull(strstr(r.text, "9223372036854775808"));
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* A gap inside a frame whose length is known: the frame ends where it
 * must, marked with its missing bytes, its content is not judged, and the
 * next frames decode normally.  Then a gap that loses the frame boundary:
 * decoding resynchronises on the next frames. */
START_TEST(gaps_inside_frames_and_resync)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	uint8_t big[3000];
	memset(big, 'a', sizeof(big));
	uint8_t fr[3100];
	ssize_t n = capgen_encode(&g, 1, 1, 0, WSP_OP_TEXT, big, sizeof(big),
				  fr, sizeof(fr));
	/* Segments [0,1000) [1000,2000) [2000,end): the middle one lost;
	 * the peer's ACK tells it was sent. */
	size_t cuts[2] = {1000, 2000};
	int order[2] = {0, 2};
	ck_assert_int_eq(capgen_send_cuts(&g, 1, fr, (size_t)n, cuts, 2, order,
					  2),
			 0);
	text(&g, 1, "after");
	/* Five 100-byte frames in one write; bytes 150..350 lost: frame 2 is
	 * cut, frame 3 begins inside the gap, frames 4 and 5 are found
	 * again. */
	uint8_t five[600];
	size_t fl = 0;
	for (int i = 0; i < 5; i++) {
		uint8_t pl[98];
		memset(pl, '0' + i, sizeof(pl));
		fl += (size_t)capgen_encode(&g, 1, 1, 0, WSP_OP_TEXT, pl,
					    sizeof(pl), five + fl,
					    sizeof(five) - fl);
	}
	size_t cuts2[2] = {150, 350};
	ck_assert_int_eq(capgen_send_cuts(&g, 1, five, fl, cuts2, 2, order, 2),
			 0);
	close_both(&g, 0);
	struct run r;
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.gaps, 2);
	const struct rec *f = nth(&r, DIS_EV_FRAME, 0);
	ck_assert_uint_eq(f->hdr.payload_len, 3000);
	ck_assert_uint_eq(f->missing, 1000);
	ck_assert_uint_eq(f->received, 2000);
	ck_assert_int_eq(f->incomplete, 0);
	ck_assert_mem_eq(nth(&r, DIS_EV_FRAME, 1)->data, "after", 5);
	const struct rec *m = nth(&r, DIS_EV_MESSAGE, 0);
	ck_assert_int_eq(m->hole, 1);
	/* Of the five: '0' whole, '1' cut short by the gap, '2' lost, '3'
	 * begins in the gap, '4' found again. */
	const struct rec *five_f[8];
	size_t nf = 0;
	for (size_t k = 0; k < r.n && nf < 8; k++)
		if (r.r[k].type == DIS_EV_FRAME && r.r[k].dir == DIS_S2C &&
		    r.r[k].hdr.payload_len == 98)
			five_f[nf++] = &r.r[k];
	ck_assert_msg(nf == 3, "%s", r.text);
	ck_assert_uint_eq(five_f[0]->data[0], '0');
	ck_assert_uint_eq(five_f[1]->data[0], '1');
	ck_assert_int_eq(five_f[1]->incomplete, 1);
	ck_assert_uint_eq(five_f[1]->received, 48);
	ck_assert_uint_eq(five_f[2]->data[0], '4');
	ck_assert_int_eq(five_f[2]->incomplete, 0);
	ck_assert_msg(r.violations == 0, "%s", r.text);
	ck_assert_ptr_nonnull(strstr(r.text, "bytes skipped"));
	run_free(&r);
	capw_buf_free(&b);

	/* A short snaplen: every frame's payload is cut, every frame still
	 * found. */
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	g.cv.snaplen = 96;
	for (int i = 0; i < 4; i++)
		capgen_frame(&g, 1, 1, 0, WSP_OP_BINARY, big, 200);
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.frames, 4);
	for (size_t i = 0; i < 4; i++) {
		f = nth(&r, DIS_EV_FRAME, i);
		ck_assert_uint_eq(f->received, 96 - 54 - 4);
		ck_assert_uint_eq(f->missing, 200 - (96 - 54 - 4));
	}
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* No handshake captured: only --port makes it WebSocket; the client is
 * the side away from the port. */
START_TEST(port_mode_decodes_mid_session_captures)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	/* Start inside a frame: half a frame, then whole ones. */
	uint8_t fr[64];
	ssize_t n = capgen_encode(&g, 0, 1, 0, WSP_OP_TEXT, "xxxxxxxxxx", 10,
				  fr, sizeof(fr));
	capgen_bytes(&g, 0, fr + 6, (size_t)n - 6);
	text(&g, 0, "one");
	text(&g, 1, "two");
	text(&g, 0, "three");
	close_both(&g, 0);
	struct run r;
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.frames, 0);
	ck_assert_uint_eq(r.sessions, 0);
	run_free(&r);
	struct dis_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.stream = -1;
	cfg.port = 80;
	run_capture(&r, &b, &cfg);
	ck_assert_uint_eq(r.sessions, 1);
	ck_assert_int_eq(nth(&r, DIS_EV_SESSION, 0)->handshake, 0);
	ck_assert_uint_eq(r.frames, 5);
	/* The first client frame is skipped (it began before the capture);
	 * each side's frames are found in order. */
	const char *want[2][3] = {{"one", "three", NULL}, {"two", NULL, NULL}};
	size_t got[2] = {0, 0};
	for (size_t k = 0; k < r.n; k++) {
		const struct rec *f = &r.r[k];
		if (f->type != DIS_EV_FRAME || f->hdr.opcode != WSP_OP_TEXT)
			continue;
		ck_assert_int_eq(f->hdr.masked, f->dir == DIS_C2S);
		const char *w = want[f->dir][got[f->dir]++];
		ck_assert_ptr_nonnull(w);
		ck_assert_mem_eq(f->data, w, strlen(w));
	}
	ck_assert_uint_eq(got[0], 2);
	ck_assert_uint_eq(got[1], 1);
	ck_assert_uint_eq(r.violations, 0);
	run_free(&r);
	cfg.port = 81;
	run_capture(&r, &b, &cfg);
	ck_assert_uint_eq(r.frames, 0);
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

START_TEST(stream_filter_keeps_one_stream)
{
	struct capw_buf b;
	capw_buf_init(&b, NULL);
	capw_pcap_header(&b, CAP_LT_EN10MB, 262144, 0);
	struct capgen g[3];
	for (int i = 0; i < 3; i++) {
		capgen_init(&g[i], &b, CAP_LT_EN10MB, 4,
			    (uint16_t)(40000 + i), 80, (uint64_t)i, 0);
		capgen_open(&g[i]);
	}
	for (int i = 0; i < 3; i++)
		capgen_upgrade(&g[i], NULL, NULL);
	for (int i = 2; i >= 0; i--) {
		char s[8] = {'s', (char)('0' + i), 0};
		text(&g[i], 0, s);
	}
	struct dis_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.stream = 1;
	struct run r;
	run_capture(&r, &b, &cfg);
	ck_assert_uint_eq(r.sessions, 1);
	ck_assert_uint_eq(r.frames, 1);
	ck_assert_int_eq(nth(&r, DIS_EV_FRAME, 0)->stream, 1);
	ck_assert_mem_eq(nth(&r, DIS_EV_FRAME, 0)->data, "s1", 2);
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* The bytes of one session, as writes: (direction, bytes). */
struct writes {
	size_t n;
	int dir[64];
	uint8_t *p[64];
	size_t len[64];
};

static void w_add(struct writes *w, int dir, const void *p, size_t n)
{
	ck_assert_uint_lt(w->n, 64);
	w->dir[w->n] = dir;
	w->p[w->n] = malloc(n + 1);
	memcpy(w->p[w->n], p, n);
	w->len[w->n] = n;
	w->n++;
}

static void w_frame(struct writes *w, struct capgen *g, int dir, int fin,
		    int rsv, int op, const void *p, size_t n)
{
	uint8_t buf[4096];
	ssize_t k = capgen_encode(g, dir, fin, rsv, op, p, n, buf, sizeof(buf));
	ck_assert_int_gt(k, 0);
	w_add(w, dir, buf, (size_t)k);
}

/* A session with a handshake, compression, fragments, control frames and
 * a violation or two. */
static void session_writes(struct writes *w)
{
	memset(w, 0, sizeof(*w));
	struct capgen g;
	struct capw_buf scratch;
	capw_buf_init(&scratch, NULL);
	capgen_init(&g, &scratch, CAP_LT_EN10MB, 4, 50000, 80, 9, 0);
	uint8_t nonce[16] = {9, 8, 7};
	char buf[1024], key[32];
	struct hs_req_desc rq;
	memset(&rq, 0, sizeof(rq));
	rq.host = "example.com";
	rq.nonce = nonce;
	const char *ext = "permessage-deflate";
	rq.extensions = &ext;
	rq.nextensions = 1;
	int n = hs_build_request(&rq, buf, sizeof(buf));
	w_add(w, 0, buf, (size_t)n);
	hs_key_from_nonce(nonce, key);
	struct hs_resp_desc rs;
	memset(&rs, 0, sizeof(rs));
	rs.key = key;
	rs.extensions = "permessage-deflate";
	n = hs_build_response(&rs, buf, sizeof(buf));
	w_add(w, 1, buf, (size_t)n);
	struct pmd_deflate_cfg dc;
	struct pmd_deflater *c;
	pmd_deflate_cfg_init(&dc);
	pmd_deflater_new(&c, &dc, NULL);
	uint8_t z[512];
	for (int i = 0; i < 3; i++) {
		static const char m[] = "hello hello hello compressed world";
		ssize_t k = capgen_deflate(c, m, sizeof(m) - 1, z, sizeof(z));
		w_frame(w, &g, 0, 1, WSP_RSV1, WSP_OP_TEXT, z, (size_t)k);
		w_frame(w, &g, 1, 0, 0, WSP_OP_TEXT, "frag", 4);
		w_frame(w, &g, 1, 1, 0, WSP_OP_PING, "pp", 2);
		w_frame(w, &g, 0, 1, 0, WSP_OP_PONG, "pp", 2);
		w_frame(w, &g, 1, 1, 0, WSP_OP_CONT, "mented \xe2\x82\xac", 10);
	}
	uint8_t bin[700];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	w_frame(w, &g, 1, 1, 0, WSP_OP_BINARY, bin, sizeof(bin));
	w_frame(w, &g, 1, 1, WSP_RSV2, WSP_OP_TEXT, "bad rsv", 7);
	w_frame(w, &g, 0, 1, 0, WSP_OP_CLOSE, "\x03\xe8ok", 4);
	w_frame(w, &g, 1, 1, 0, WSP_OP_CLOSE, "\x03\xe8", 2);
	pmd_deflater_free(c);
	capw_buf_free(&scratch);
}

static void w_free(struct writes *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->p[i]);
}

/* Writes the session with each write cut into segments per mode: 0 one
 * segment per write, 1 one byte per segment, 2 random cuts in random
 * order with duplicates. */
static void w_capture(const struct writes *w, struct capw_buf *b, int mode,
		      uint64_t seed)
{
	struct capgen g;
	gen_begin(b, &g, CAP_LT_EN10MB, 4, mode == 1 ? 1 : 65000);
	uint64_t rng = seed;
	for (size_t i = 0; i < w->n; i++) {
		if (mode != 2) {
			ck_assert_int_eq(capgen_bytes(&g, w->dir[i], w->p[i],
						      w->len[i]),
					 0);
			continue;
		}
		size_t cuts[16], nc = 0;
		size_t at = 0;
		while (nc < 15 && w->len[i] > 1) {
			at += 1 + (size_t)(tl_rand(&rng) % 97);
			if (at >= w->len[i])
				break;
			cuts[nc++] = at;
		}
		int order[40];
		size_t no = 0;
		for (size_t k = 0; k <= nc; k++)
			order[no++] = (int)k;
		for (size_t k = no - 1; k > 0; k--) {
			size_t j = (size_t)(tl_rand(&rng) % (k + 1));
			int t = order[k];
			order[k] = order[j];
			order[j] = t;
		}
		for (int k = 0; k < 3; k++)
			order[no++] = (int)(tl_rand(&rng) % (nc + 1));
		ck_assert_int_eq(capgen_send_cuts(&g, w->dir[i], w->p[i],
						  w->len[i], cuts, nc, order,
						  no),
				 0);
	}
	capgen_close(&g, 1);
}

/* Dissects w cut one byte a segment (mode 1) and in random cuts (mode 2,
 * seeds 1..nseeds) with cfg (NULL: the defaults): the canonical text is
 * ref's every time, and with no_gaps no gap is seen (capgen sends every
 * segment at least once: no byte is missing, "after a gap" is the resync's
 * mark). */
static void expect_chunked_same(const struct writes *w, const struct run *ref,
				const struct dis_config *cfg, uint64_t nseeds,
				int no_gaps)
{
	for (int mode = 1; mode < 3; mode++) {
		for (uint64_t seed = 1; seed <= (mode == 2 ? nseeds : 1u);
		     seed++) {
			struct capw_buf b;
			struct run r;
			w_capture(w, &b, mode, seed);
			run_capture(&r, &b, cfg);
			if (no_gaps)
				ck_assert_uint_eq(r.gaps, 0);
			ck_assert_msg(strcmp(ref->canon, r.canon) == 0,
				      "mode %d seed %llu:\n%s\n---\n%s", mode,
				      (unsigned long long)seed, ref->canon,
				      r.canon);
			run_free(&r);
			capw_buf_free(&b);
		}
	}
}

/* STYLE.md principle 7 for the whole pipeline: however the bytes are cut
 * into segments (and reordered, and retransmitted), the dissection is the
 * same apart from packet numbers and times. */
START_TEST(chunking_never_changes_the_dissection)
{
	struct writes w;
	session_writes(&w);
	struct capw_buf b;
	struct run ref;
	w_capture(&w, &b, 0, 0);
	run_capture(&ref, &b, NULL);
	capw_buf_free(&b);
	ck_assert_uint_eq(ref.violations, 1); /* the RSV2 frame */
	ck_assert_uint_eq(ref.frames, 19);
	ck_assert_uint_eq(ref.messages, 8);
	expect_chunked_same(&w, &ref, NULL, 8, 0);
	run_free(&ref);
	w_free(&w);
}
END_TEST

/* Sessions on port 80 whose first bytes look like an HTTP request that
 * the parser rejects (dis.c: such a head is not known to be a head, so
 * resynchronisation scans the stream from its first byte, and what the
 * other side holds is scanned too). */
static void rj_fuzz_seed(struct writes *w, struct capgen *g)
{
	/* fuzz/corpus/fuzz_dissect/b99469ee...: "LLDL !i0", then control
	 * bytes.  The parser stops at the first 0x08, which used to leave
	 * the rest of that segment unread and the next ones scanned, so the
	 * result depended on where the segment ended. */
	static const uint8_t p[61] = {
		'L', 'L', 'D', 'L', ' ', '!', 'i', '0', 8, 8, 8, 8, 8, 8, 8,
		8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0xb2, 0x06, 0x00,
		0xe0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
		8, 8, 8, 0x04, 'L', 'g', 0xff, 0x00};
	(void)g;
	w_add(w, 0, p, sizeof(p));
}

static void rj_head_then_frames(struct writes *w, struct capgen *g)
{
	/* A bad header value, then two frames, all in one write. */
	static const char head[] = "GET /chat HTTP/1.1\r\nHost: a\x01\r\n\r\n";
	uint8_t buf[256];
	size_t n = sizeof(head) - 1;
	memcpy(buf, head, n);
	ssize_t k = capgen_encode(g, 0, 1, 0, WSP_OP_TEXT, "hi", 2, buf + n,
				  sizeof(buf) - n);
	ck_assert_int_gt(k, 0);
	n += (size_t)k;
	k = capgen_encode(g, 0, 1, 0, WSP_OP_TEXT, "there", 5, buf + n,
			  sizeof(buf) - n);
	ck_assert_int_gt(k, 0);
	n += (size_t)k;
	w_add(w, 0, buf, n);
}

static void rj_wait_then_server_frames(struct writes *w, struct capgen *g)
{
	/* A valid upgrade request and frames sent before any response
	 * (held), then the server sends frames, not a response. */
	static const char req[] = "GET /chat HTTP/1.1\r\nHost: a\r\n"
				  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n";
	w_add(w, 0, req, sizeof(req) - 1);
	w_frame(w, g, 0, 1, 0, WSP_OP_TEXT, "early", 5);
	w_frame(w, g, 0, 1, 0, WSP_OP_TEXT, "early2", 6);
	w_frame(w, g, 1, 1, 0, WSP_OP_TEXT, "srv", 3);
	w_frame(w, g, 1, 1, 0, WSP_OP_TEXT, "srv2", 4);
}

static const struct {
	void (*build)(struct writes *w, struct capgen *g);
	const char *want; /* the canonical dissection */
} rejected_heads[] = {
	/* Every byte from the head's first one is scanned: 32 skipped (the
	 * head, to its blank line in the second case), then frames. */
	{rj_fuzz_seed,
	 "   0 c2s VIOLATION client R6455-4.1-19: request head contains a "
	 "control byte (NUL, DEL or a CTL other than HT, CR, LF)\n"
	 "   0   - SESSION 10.0.0.1:50000 -> 10.0.0.2:80 (assumed from the "
	 "port)\n"
	 "   0 c2s NOTE bytes skipped to find a frame start: 32\n"
	 "   0 c2s ---- cont   M         96  "
	 "0000000000000000000000000000000000000c446ff708 "
	 "[incomplete: 23 of 96 bytes] [after a gap]\n"
	 "   0 c2s MSG  cont             23  "
	 "0000000000000000000000000000000000000c446ff708 [1 frame] "
	 "[incomplete]\n"},
	{rj_head_then_frames,
	 "   0 c2s VIOLATION client R6455-4.1-19: request head contains a "
	 "control byte (NUL, DEL or a CTL other than HT, CR, LF)\n"
	 "   0   - SESSION 10.0.0.1:50000 -> 10.0.0.2:80 (assumed from the "
	 "port)\n"
	 "   0 c2s NOTE bytes skipped to find a frame start: 32\n"
	 "   0 c2s F--- text   M          2  \"hi\"\n"
	 "   0 c2s MSG  text              2  \"hi\" [1 frame]\n"
	 "   0 c2s F--- text   M          5  \"there\"\n"
	 "   0 c2s MSG  text              5  \"there\" [1 frame]\n"},
	/* The client's held frames are decoded, not dropped. */
	{rj_wait_then_server_frames,
	 "   0 c2s HTTP GET /chat HTTP/1.1\n"
	 "   0 c2s VIOLATION client R6455-4.1-40: client sent data after its "
	 "handshake before the server's response\n"
	 "   0   - SESSION 10.0.0.1:50000 -> 10.0.0.2:80 (assumed from the "
	 "port)\n"
	 "   0 c2s F--- text   M          5  \"early\"\n"
	 "   0 c2s MSG  text              5  \"early\" [1 frame]\n"
	 "   0 c2s F--- text   M          6  \"early2\"\n"
	 "   0 c2s MSG  text              6  \"early2\" [1 frame]\n"
	 "   0 s2c F--- text   -          3  \"srv\"\n"
	 "   0 s2c MSG  text              3  \"srv\" [1 frame]\n"
	 "   0 s2c F--- text   -          4  \"srv2\"\n"
	 "   0 s2c MSG  text              4  \"srv2\" [1 frame]\n"},
};

START_TEST(port_mode_rejected_head_resyncs_from_its_first_byte)
{
	struct writes w;
	memset(&w, 0, sizeof(w));
	struct capgen g;
	struct capw_buf scratch;
	capw_buf_init(&scratch, NULL);
	capgen_init(&g, &scratch, CAP_LT_EN10MB, 4, 50000, 80, 3, 0);
	rejected_heads[_i].build(&w, &g);
	capw_buf_free(&scratch);
	struct dis_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.stream = -1;
	cfg.port = 80;
	struct capw_buf b;
	struct run ref;
	w_capture(&w, &b, 0, 0);
	run_capture(&ref, &b, &cfg);
	capw_buf_free(&b);
	ck_assert_msg(strcmp(ref.canon, rejected_heads[_i].want) == 0,
		      "whole:\n%s", ref.canon);
	expect_chunked_same(&w, &ref, &cfg, 16, 1);
	run_free(&ref);
	w_free(&w);
}
END_TEST

/* Every allocation of a dissection failing in turn: no crash, no leak,
 * and WSP_E_NOMEM where it happened. */
START_TEST(dissector_allocation_failures_are_survived)
{
	struct capw_buf b;
	pmd_session(&b, 0);
	long total = -1;
	for (long fail = 0; total < 0 || fail <= total; fail++) {
		struct tl_failmem fm;
		tl_failmem_init(&fm, total < 0 ? -1 : fail);
		struct dis_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.stream = -1;
		cfg.mem = &fm.mem;
		struct dis d;
		uint8_t *buf = malloc(b.len);
		memcpy(buf, b.p, b.len);
		if (dis_init(&d, &cfg) == 0) {
			struct cap_reader rd;
			cap_reader_init(&rd);
			size_t off = 0;
			struct run r;
			memset(&r, 0, sizeof(r));
			r.r = calloc(512, sizeof(*r.r));
			r.cap = 1u << 16;
			r.text = calloc(1, r.cap + 1);
			r.canon = calloc(1, r.cap + 1);
			for (;;) {
				struct cap_pkt p;
				size_t need;
				int rc = cap_next(&rd, buf + off, b.len - off,
						  &p, &need);
				if (rc <= 0)
					break;
				off += (size_t)rc;
				if (p.data != NULL &&
				    dis_packet(&d, &p, on_rec, &r) != 0)
					break;
			}
			dis_finish(&d, on_rec, &r);
			dis_free(&d);
			run_free(&r);
		} else {
			dis_free(&d);
		}
		free(buf);
		if (total < 0) {
			total = fm.count;
			fail = -1;
		}
	}
	ck_assert_int_gt(total, 5);
	capw_buf_free(&b);
}
END_TEST

/* The JSON fields the issue names, for a close frame. */
START_TEST(json_frame_has_the_named_fields)
{
	struct capw_buf b;
	struct capgen g;
	gen_begin(&b, &g, CAP_LT_EN10MB, 4, 0);
	capgen_upgrade(&g, NULL, NULL);
	close_both(&g, 0);
	struct run r;
	run_capture(&r, &b, NULL);
	struct dis_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = DIS_EV_FRAME;
	ev.packet = 9;
	ev.time = ts_at(1700000000, 5000);
	ev.stream = 3;
	ev.dir = DIS_C2S;
	ev.frame.hdr.fin = 1;
	ev.frame.hdr.opcode = WSP_OP_CLOSE;
	ev.frame.hdr.masked = 1;
	ev.frame.hdr.rsv = 5;
	ev.frame.hdr.payload_len = (uint64_t)1 << 63;
	ev.frame.msg_opcode = WSP_OP_CLOSE;
	ev.frame.has_close = ev.frame.has_code = 1;
	ev.frame.close_code = 1001;
	ev.frame.close_reason = (const uint8_t *)"bye \"now\"";
	ev.frame.close_reason_len = 9;
	struct disfmt_opts o;
	memset(&o, 0, sizeof(o));
	o.json = 1;
	char line[1024];
	size_t n = disfmt_event(&o, &ev, line, sizeof(line));
	line[n] = '\0';
	ck_assert_str_eq(line,
			 "{\"type\":\"frame\",\"packet\":9,\"time\":1700000000.000005000,"
			 "\"stream\":3,\"dir\":\"c2s\",\"frame\":0,\"fin\":true,\"rsv\":5,"
			 "\"opcode\":8,\"opname\":\"close\",\"masked\":true,"
			 "\"mask_key\":\"00000000\",\"length\":9223372036854775808,"
			 "\"payload_hex\":\"\",\"payload_truncated\":false,"
			 "\"close_code\":1001,\"close_reason\":\"bye \\\"now\\\"\"}\n");
	/* And a real capture's close frames carry code and reason. */
	ck_assert_ptr_nonnull(nth(&r, DIS_EV_FRAME, 0));
	ck_assert_uint_eq(nth(&r, DIS_EV_FRAME, 0)->close_code, 1000);
	run_free(&r);
	capw_buf_free(&b);
}
END_TEST

/* The per-case capture: a wire log becomes a capture with the real
 * timestamps that libpcap opens and the dissector decodes. */
START_TEST(wire_log_becomes_a_capture)
{
	uint8_t nonce[16] = {4, 2};
	char req[512], resp[512], key[32];
	struct hs_req_desc rq;
	memset(&rq, 0, sizeof(rq));
	rq.host = "localhost";
	rq.nonce = nonce;
	int nq = hs_build_request(&rq, req, sizeof(req));
	hs_key_from_nonce(nonce, key);
	struct hs_resp_desc rs;
	memset(&rs, 0, sizeof(rs));
	rs.key = key;
	int np = hs_build_response(&rs, resp, sizeof(resp));
	uint8_t f1[64], f2[200000], f3[16];
	struct wsf_frame fr;
	memset(&fr, 0, sizeof(fr));
	fr.fin = 1;
	fr.opcode = WSP_OP_TEXT;
	fr.masked = 1;
	memcpy(fr.mask_key, "abcd", 4);
	fr.payload_len = 5;
	ssize_t n1 = wsf_encode(f1, sizeof(f1), &fr, (const uint8_t *)"hello", 5);
	static uint8_t big[150000];
	memset(big, 'b', sizeof(big));
	fr.masked = 0;
	fr.opcode = WSP_OP_BINARY;
	fr.payload_len = sizeof(big);
	ssize_t n2 = wsf_encode(f2, sizeof(f2), &fr, big, sizeof(big));
	fr.opcode = WSP_OP_CLOSE;
	fr.payload_len = 2;
	ssize_t n3 = wsf_encode(f3, sizeof(f3), &fr,
				(const uint8_t *)"\x03\xe8", 2);
	struct capw_wire w[4] = {
		{1000, 1, (const uint8_t *)req, (size_t)nq},
		{2500000, 0, (const uint8_t *)resp, (size_t)np},
		{3000000, 1, f1, (size_t)n1},
		{4000000, 0, f2, (size_t)n2},
	};
	struct capw_session_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.start = ts_at(1700000000, 999999000);
	cfg.isn_client = 0xFFFFFFF0u; /* wraps during the session */
	cfg.isn_server = 77;
	cfg.end = CAPW_END_FIN_SERVER;
	cfg.end_ns = 5000000;
	struct capw_buf b;
	capw_buf_init(&b, NULL);
	ck_assert_int_eq(capw_session(&b, &cfg, w, 4), 0);
	(void)f3;
	(void)n3;
	struct run r;
	run_capture(&r, &b, NULL);
	ck_assert_uint_eq(r.sessions, 1);
	ck_assert_uint_eq(r.frames, 2);
	ck_assert_uint_eq(r.violations, 0);
	const struct rec *f = nth(&r, DIS_EV_FRAME, 1);
	ck_assert_uint_eq(f->hdr.payload_len, sizeof(big));
	ck_assert_uint_eq(f->received, sizeof(big));
	run_free(&r);
	/* libpcap reads it, with nanoseconds: the first data packet is at
	 * start + 1 us. */
	FILE *fp = fmemopen(b.p, b.len, "rb");
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	ck_assert_msg(pc != NULL, "%s", errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	int i = 0;
	while (pcap_next_ex(pc, &h, &data) == 1) {
		if (++i == 4) {
			ck_assert_int_eq(h->ts.tv_sec, 1700000001);
			ck_assert_int_eq(h->ts.tv_usec, 0); /* ns */
		}
	}
	ck_assert_int_gt(i, 10);
	pcap_close(pc);
	capw_buf_free(&b);
}
END_TEST

/* fuzz_pcap found (seed fuzz/corpus/fuzz_pcap/ca8748a9...) a pcapng whose
 * interfaces have different if_tsresol, so packet times are ~1.5e13 s
 * apart and reltime()'s ds * 1000000 overflowed int64 (UBSan).  Any
 * int64_t seconds must format. */
static const struct {
	struct cap_time t, t0;
	const char *want; /* the time column, right-aligned in 11 */
} reltimes[] = {
	{{5, 1000}, {5, 0}, "   0.000001"},
	{{5, 400}, {5, 500}, "  -0.000001"},
	{{4, 999999500}, {6, 0}, "  -1.000001"},
	{{1700000000, 0}, {-15046746257421 + 1700000000, 0},
	 "15046746257421.000000"},
	{{-15046746257421, 0}, {0, 0}, "-15046746257421.000000"},
	{{INT64_MAX, 999999999}, {INT64_MIN, 0},
	 "18446744073709551615.999999"},
	{{INT64_MIN, 0}, {INT64_MAX, 999999999},
	 "-18446744073709551615.999999"},
};

START_TEST(text_time_column_takes_any_int64_seconds)
{
	struct disfmt_opts o;
	memset(&o, 0, sizeof(o));
	o.t0 = reltimes[_i].t0;
	struct dis_event e;
	memset(&e, 0, sizeof(e));
	e.type = DIS_EV_NOTE;
	e.time = reltimes[_i].t;
	e.stream = -1;
	e.dir = -1;
	e.note = "n";
	static char line[DISFMT_MAX_LINE];
	size_t n = disfmt_event(&o, &e, line, sizeof(line));
	ck_assert_uint_gt(n, 8);
	size_t w = strlen(reltimes[_i].want);
	ck_assert_msg(memcmp(line + 8, reltimes[_i].want, w) == 0 &&
			      line[8 + w] == ' ',
		      "%.*s", (int)n, line);
}
END_TEST

Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc;

	tc = tcase_create("pcap_and_pcapng_formats");
	tcase_add_test(tc, pcap_classic_us_ns_and_byte_orders);
	tcase_add_test(tc, pcapng_mixed_links_resolutions_and_sections);
	tcase_add_test(tc, cap_every_prefix_is_cut_short_or_clean);
	tcase_add_test(tc, cap_chunked_reads_equal_whole);
	tcase_add_loop_test(tc, cap_damaged_files_give_one_code, 0,
			    (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, cap_agrees_with_libpcap);
	tcase_add_test(tc, capf_reads_files_and_reports_damage);
	suite_add_tcase(s, tc);

	tc = tcase_create("link_ip_tcp_headers");
	tcase_add_loop_test(tc, link_types_decode_to_tcp, 0,
			    (int)(sizeof(links) / sizeof(links[0])));
	tcase_add_test(tc, ip_fragments_other_protocols_and_bad_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc9293_reassembly");
	tcase_add_loop_test(tc, rfc9293_any_segmentation_and_order_gives_the_stream,
			    0, 4);
	tcase_add_test(tc, rfc9293_retransmission_first_copy_wins_conflict_reported);
	tcase_add_test(tc, gaps_are_declared_only_when_bytes_cannot_come);
	tcase_add_test(tc, memory_caps_release_held_bytes_with_gaps);
	tcase_add_test(tc, streams_numbered_like_tshark_and_closed_on_fin_rst);
	tcase_add_test(tc, mid_stream_start_uses_first_byte_or_peer_ack);
	tcase_add_test(tc, tcpr_allocation_failures_are_survived);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc6455_dissection");
	tcase_add_loop_test(tc, text_time_column_takes_any_int64_seconds, 0,
			    (int)(sizeof(reltimes) / sizeof(reltimes[0])));
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rfc6455_5_session_frames_dirs_masking_close);
	tcase_add_test(tc, rfc6455_5_4_fragments_with_control_frames_between);
	tcase_add_test(tc, rfc7692_messages_inflated_with_takeover_and_windows);
	tcase_add_loop_test(tc, passive_check_reports_each_rule_with_side, 0,
			    (int)(sizeof(vcases) / sizeof(vcases[0])));
	tcase_add_test(tc, handshake_and_session_rules);
	tcase_add_test(tc, rfc6455_5_2_length_2_63_reported_in_full);
	tcase_add_test(tc, gaps_inside_frames_and_resync);
	tcase_add_test(tc, port_mode_decodes_mid_session_captures);
	tcase_add_test(tc, stream_filter_keeps_one_stream);
	tcase_add_test(tc, chunking_never_changes_the_dissection);
	tcase_add_loop_test(tc, port_mode_rejected_head_resyncs_from_its_first_byte,
			    0, (int)(sizeof(rejected_heads) /
				     sizeof(rejected_heads[0])));
	tcase_add_test(tc, dissector_allocation_failures_are_survived);
	tcase_add_test(tc, json_frame_has_the_named_fields);
	tcase_add_test(tc, wire_log_becomes_a_capture);
	suite_add_tcase(s, tc);
	return s;
}
