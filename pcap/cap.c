/*
 * cap.c: the capture file parser of cap.h.
 *
 * Classic pcap (the tcpdump format):
 *
 *   file header, 24 bytes       record header, 16 bytes
 *   magic          4            ts_sec      4
 *   version_major  2 (2)        ts_usec     4  (ns with magic a1b23c4d)
 *   version_minor  2 (4)        incl_len    4  bytes captured
 *   thiszone       4            orig_len    4  bytes on the wire
 *   sigfigs        4            then incl_len bytes of packet
 *   snaplen        4
 *   linktype       4 (low 16 bits; the rest is FCS information)
 *
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks
 *
 *   block type 4 | total length 4 | body ... | total length 4
 *
 * with the total length a multiple of 4 and repeated at the end.  A
 * section header block (0x0A0D0D0A, a palindrome, so its type reads the
 * same in both orders) starts each section and gives its byte order through
 * the magic 0x1A2B3C4D; interface description blocks (1) give each
 * interface's link type, snaplen and options (if_tsresol 9, if_tsoffset
 * 14); packets come in enhanced (6), simple (3, interface 0) and obsolete
 * (2) packet blocks.  Other blocks are skipped.
 */
#include <string.h>

#include "cap.h"
#include "rd.h"
#include "wsp_err.h"

#define PCAP_MAGIC_US 0xA1B2C3D4u
#define PCAP_MAGIC_NS 0xA1B23C4Du
#define NG_SHB 0x0A0D0D0Au
#define NG_BOM 0x1A2B3C4Du
#define NG_IDB 1u
#define NG_OPB 2u
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_OPT_TSRESOL 9u
#define NG_OPT_TSOFFSET 14u

void cap_reader_init(struct cap_reader *r)
{
	memset(r, 0, sizeof(*r));
}

const char *cap_linktype_name(uint32_t lt)
{
	switch (lt) {
	case CAP_LT_NULL:
		return "NULL";
	case CAP_LT_EN10MB:
		return "EN10MB";
	case CAP_LT_RAW:
		return "RAW";
	case CAP_LT_LOOP:
		return "LOOP";
	case CAP_LT_LINUX_SLL:
		return "LINUX_SLL";
	case CAP_LT_IPV4:
		return "IPV4";
	case CAP_LT_IPV6:
		return "IPV6";
	case CAP_LT_NFLOG:
		return "NFLOG";
	case CAP_LT_LINUX_SLL2:
		return "LINUX_SLL2";
	}
	return NULL;
}

/* A pcapng timestamp counted in units of 10^-e seconds (or 2^-e with
 * pow2) plus offset seconds, into *t. */
static int ts_convert(uint64_t ticks, int pow2, unsigned e, int64_t offset,
		      struct cap_time *t)
{
	uint64_t sec, frac, nsec;
	if (pow2) {
		if (e > 63)
			return WSP_E_PCAP_BAD_TSRESOL;
		sec = e == 0 ? ticks : ticks >> e;
		frac = e == 0 ? 0 : ticks & ((UINT64_C(1) << e) - 1);
		/* frac * 1e9 must fit 64 bits: drop low bits of a very
		 * fine fraction first (below a nanosecond anyway). */
		unsigned sh = e;
		if (sh > 34) {
			frac >>= sh - 34;
			sh = 34;
		}
		nsec = (frac * UINT64_C(1000000000)) >> sh;
	} else {
		if (e > 19)
			return WSP_E_PCAP_BAD_TSRESOL;
		uint64_t units = 1;
		for (unsigned i = 0; i < e; i++)
			units *= 10;
		sec = ticks / units;
		frac = ticks % units;
		if (e <= 9) {
			uint64_t m = 1;
			for (unsigned i = e; i < 9; i++)
				m *= 10;
			nsec = frac * m;
		} else {
			uint64_t d = 1;
			for (unsigned i = 9; i < e; i++)
				d *= 10;
			nsec = frac / d;
		}
	}
	if (sec > (uint64_t)INT64_MAX)
		return WSP_E_PCAP_BAD_TSRESOL;
	int64_t s = (int64_t)sec;
	if ((offset > 0 && s > INT64_MAX - offset) ||
	    (offset < 0 && s < INT64_MIN - offset))
		return WSP_E_PCAP_BAD_TSRESOL;
	t->sec = s + offset;
	t->nsec = (uint32_t)nsec;
	return 0;
}

/* ------------------------------------------------------------------------
 * Classic pcap
 */

static int pcap_header(struct cap_reader *r, const uint8_t *buf, size_t len,
		       size_t *need)
{
	if (len < 24) {
		*need = 24;
		return WSP_E_INCOMPLETE;
	}
	struct rd c;
	rd_init(&c, buf, len);
	uint32_t m = rd_be32(&c);
	if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS) {
		r->be = 1;
	} else {
		c.off = 0;
		m = rd_le32(&c);
		r->be = 0;
	}
	r->nsec = m == PCAP_MAGIC_NS;
	r->major = rd_u16o(&c, r->be);
	r->minor = rd_u16o(&c, r->be);
	rd_skip(&c, 8); /* thiszone, sigfigs: unused by every writer */
	r->snaplen = rd_u32o(&c, r->be);
	r->linktype = rd_u32o(&c, r->be) & 0xFFFFu;
	/* Version 2.4 is current; 2.2 and 2.3 files differ only in record
	 * header details libpcap also ignores. */
	if (r->major != 2)
		return WSP_E_PCAP_BAD_VERSION;
	r->format = CAP_FMT_PCAP;
	return 24;
}

static int pcap_record(struct cap_reader *r, uint8_t *buf, size_t len,
		       struct cap_pkt *pkt, size_t *need)
{
	if (len < 16) {
		*need = 16;
		return WSP_E_INCOMPLETE;
	}
	struct rd c;
	rd_init(&c, buf, len);
	uint32_t sec = rd_u32o(&c, r->be);
	uint32_t frac = rd_u32o(&c, r->be);
	uint32_t incl = rd_u32o(&c, r->be);
	uint32_t orig = rd_u32o(&c, r->be);
	if (incl > CAP_MAX_RECORD - 16)
		return WSP_E_PCAP_RECORD_TOO_BIG;
	if (incl > len - 16) {
		*need = 16 + (size_t)incl;
		return WSP_E_INCOMPLETE;
	}
	/* A fraction of a second or more in the fraction field (seen in
	 * damaged files) carries into the seconds. */
	uint64_t per = r->nsec ? 1000000000u : 1000000u;
	pkt->ts.sec = (int64_t)sec + (int64_t)(frac / per);
	pkt->ts.nsec = (uint32_t)((frac % per) * (r->nsec ? 1u : 1000u));
	pkt->linktype = r->linktype;
	pkt->iface = 0;
	pkt->data = buf + 16;
	pkt->caplen = incl;
	pkt->origlen = orig < incl ? incl : orig;
	return (int)(16 + incl);
}

/* ------------------------------------------------------------------------
 * pcapng
 */

/* The options of an interface description block, from c's position to its
 * end.  Malformed options end the walk (they are optional). */
static int idb_options(struct rd *c, int be, struct cap_iface *ifc)
{
	while (rd_left(c) >= 4) {
		uint16_t code = rd_u16o(c, be);
		uint16_t olen = rd_u16o(c, be);
		if (code == 0)
			break;
		size_t padded = ((size_t)olen + 3u) & ~(size_t)3u;
		if (padded > rd_left(c))
			break;
		struct rd v;
		rd_init(&v, rd_here(c), olen);
		if (code == NG_OPT_TSRESOL && olen >= 1) {
			ifc->tsresol = rd_u8(&v);
		} else if (code == NG_OPT_TSOFFSET && olen >= 8) {
			uint64_t hi = rd_u32o(&v, be), lo = rd_u32o(&v, be);
			uint64_t off = be ? (hi << 32 | lo) : (lo << 32 | hi);
			ifc->tsoffset = (int64_t)off;
		}
		rd_skip(c, padded);
	}
	uint8_t tr = ifc->tsresol;
	if ((tr & 0x80) ? (tr & 0x7F) > 63 : tr > 19)
		return WSP_E_PCAP_BAD_TSRESOL;
	/* Offsets so large that any timestamp overflows are refused here
	 * rather than per packet. */
	if (ifc->tsoffset > INT64_MAX / 4 || ifc->tsoffset < INT64_MIN / 4)
		return WSP_E_PCAP_BAD_TSRESOL;
	return 0;
}

static int ng_shb(struct cap_reader *r, struct rd *c, int be)
{
	r->major = rd_u16o(c, be);
	r->minor = rd_u16o(c, be);
	if (c->trunc)
		return WSP_E_PCAP_BAD_BLOCK;
	if (r->major != 1)
		return WSP_E_PCAP_BAD_VERSION;
	r->be = (uint8_t)be;
	r->format = CAP_FMT_PCAPNG;
	r->nifaces = 0; /* interfaces are per section */
	return 0;
}

static int ng_idb(struct cap_reader *r, struct rd *c)
{
	if (r->nifaces >= CAP_MAX_IFACES)
		return WSP_E_PCAP_TOO_MANY_IFACES;
	struct cap_iface ifc;
	memset(&ifc, 0, sizeof(ifc));
	ifc.linktype = rd_u16o(c, r->be);
	rd_skip(c, 2);
	ifc.snaplen = rd_u32o(c, r->be);
	ifc.tsresol = 6;
	if (c->trunc)
		return WSP_E_PCAP_BAD_BLOCK;
	int rc = idb_options(c, r->be, &ifc);
	if (rc != 0)
		return rc;
	r->ifaces[r->nifaces++] = ifc;
	return 0;
}

/* A packet of interface id whose data starts at c's position; body is the
 * writable buffer c reads. */
static int ng_packet(struct cap_reader *r, struct rd *c, uint8_t *body,
		     uint32_t id,
		     uint64_t ticks, uint32_t caplen, uint32_t origlen,
		     struct cap_pkt *pkt)
{
	if (id >= r->nifaces)
		return WSP_E_PCAP_BAD_IFACE;
	const struct cap_iface *ifc = &r->ifaces[id];
	if (caplen > rd_left(c))
		return WSP_E_PCAP_BAD_BLOCK;
	int pow2 = (ifc->tsresol & 0x80) != 0;
	int rc = ts_convert(ticks, pow2, ifc->tsresol & 0x7Fu, ifc->tsoffset,
			    &pkt->ts);
	if (rc != 0)
		return rc;
	pkt->linktype = ifc->linktype;
	pkt->iface = id;
	pkt->data = body + c->off;
	pkt->caplen = caplen;
	pkt->origlen = origlen < caplen ? caplen : origlen;
	return 0;
}

static int ng_block(struct cap_reader *r, uint8_t *buf, size_t len,
		    struct cap_pkt *pkt, size_t *need)
{
	if (len < 8) {
		*need = 8;
		return WSP_E_INCOMPLETE;
	}
	struct rd c;
	rd_init(&c, buf, len);
	uint32_t type = rd_be32(&c); /* for the SHB, order does not matter */
	int be = r->be;
	if (type == NG_SHB) {
		if (len < 12) {
			*need = 12;
			return WSP_E_INCOMPLETE;
		}
		/* The byte-order magic follows the length. */
		struct rd m;
		rd_init(&m, buf + 8, 4);
		uint32_t bom = rd_be32(&m);
		if (bom == NG_BOM)
			be = 1;
		else if (bom == 0x4D3C2B1Au)
			be = 0;
		else
			return r->format == CAP_FMT_NONE ? WSP_E_PCAP_BAD_MAGIC
							 : WSP_E_PCAP_BAD_BLOCK;
	} else {
		if (r->format != CAP_FMT_PCAPNG)
			return WSP_E_PCAP_NO_SECTION;
		c.off = 0;
		type = rd_u32o(&c, be);
	}
	uint32_t total = rd_u32o(&c, be);
	if (total < 12 || (total & 3u) != 0 ||
	    (type == NG_SHB && total < 28))
		return WSP_E_PCAP_BAD_BLOCK;
	if (total > CAP_MAX_RECORD)
		return WSP_E_PCAP_RECORD_TOO_BIG;
	if (total > len) {
		*need = total;
		return WSP_E_INCOMPLETE;
	}
	struct rd t;
	rd_init(&t, buf + total - 4, 4);
	if (rd_u32o(&t, be) != total)
		return WSP_E_PCAP_BAD_BLOCK;

	/* The body, without the two length fields and the type. */
	struct rd b;
	rd_init(&b, buf + 8, total - 12);
	int rc = 0;
	switch (type) {
	case NG_SHB:
		rd_skip(&b, 4); /* the byte-order magic */
		rc = ng_shb(r, &b, be);
		break;
	case NG_IDB:
		rc = ng_idb(r, &b);
		break;
	case NG_EPB: {
		uint32_t id = rd_u32o(&b, be);
		uint64_t hi = rd_u32o(&b, be), lo = rd_u32o(&b, be);
		uint32_t caplen = rd_u32o(&b, be);
		uint32_t origlen = rd_u32o(&b, be);
		if (b.trunc)
			return WSP_E_PCAP_BAD_BLOCK;
		rc = ng_packet(r, &b, buf + 8, id, hi << 32 | lo, caplen, origlen, pkt);
		break;
	}
	case NG_OPB: {
		uint32_t id = rd_u16o(&b, be);
		rd_skip(&b, 2); /* drops count */
		uint64_t hi = rd_u32o(&b, be), lo = rd_u32o(&b, be);
		uint32_t caplen = rd_u32o(&b, be);
		uint32_t origlen = rd_u32o(&b, be);
		if (b.trunc)
			return WSP_E_PCAP_BAD_BLOCK;
		rc = ng_packet(r, &b, buf + 8, id, hi << 32 | lo, caplen, origlen, pkt);
		break;
	}
	case NG_SPB: {
		uint32_t origlen = rd_u32o(&b, be);
		if (b.trunc)
			return WSP_E_PCAP_BAD_BLOCK;
		if (r->nifaces == 0)
			return WSP_E_PCAP_BAD_IFACE;
		/* No caplen field: what the snaplen and the block allow. */
		uint32_t caplen = origlen;
		uint32_t snap = r->ifaces[0].snaplen;
		if (snap != 0 && caplen > snap)
			caplen = snap;
		if (caplen > rd_left(&b))
			caplen = (uint32_t)rd_left(&b);
		rc = ng_packet(r, &b, buf + 8, 0, 0, caplen, origlen, pkt);
		/* A simple packet block has no timestamp. */
		break;
	}
	default:
		break; /* name resolution, statistics, custom...: skipped */
	}
	if (rc != 0)
		return rc;
	return (int)total;
}

/* ------------------------------------------------------------------------
 * Public
 */

int cap_next(struct cap_reader *r, uint8_t *buf, size_t len,
	     struct cap_pkt *pkt, size_t *need)
{
	memset(pkt, 0, sizeof(*pkt));
	*need = 0;
	int rc;
	if (r->format == CAP_FMT_NONE) {
		if (len < 4) {
			*need = 4;
			return WSP_E_INCOMPLETE;
		}
		struct rd c;
		rd_init(&c, buf, len);
		uint32_t m = rd_be32(&c);
		if (m == NG_SHB)
			rc = ng_block(r, buf, len, pkt, need);
		else if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS ||
			 m == 0xD4C3B2A1u || m == 0x4D3CB2A1u)
			rc = pcap_header(r, buf, len, need);
		else
			rc = WSP_E_PCAP_BAD_MAGIC;
	} else if (r->format == CAP_FMT_PCAP) {
		rc = pcap_record(r, buf, len, pkt, need);
	} else {
		rc = ng_block(r, buf, len, pkt, need);
	}
	if (rc > 0) {
		r->offset += (uint64_t)rc;
		if (pkt->data != NULL)
			pkt->number = ++r->packets;
	} else {
		pkt->data = NULL;
	}
	return rc;
}

int cap_end(const struct cap_reader *r, const uint8_t *buf, size_t leftover)
{
	if (leftover == 0)
		return r->format == CAP_FMT_NONE ? WSP_E_PCAP_EMPTY : 0;
	if (r->format != CAP_FMT_NONE)
		return WSP_E_PCAP_CUT_SHORT;
	/* Fewer than 4 bytes: a cut capture only if they start a magic. */
	static const uint8_t magics[][4] = {
		{0xA1, 0xB2, 0xC3, 0xD4}, {0xD4, 0xC3, 0xB2, 0xA1},
		{0xA1, 0xB2, 0x3C, 0x4D}, {0x4D, 0x3C, 0xB2, 0xA1},
		{0x0A, 0x0D, 0x0D, 0x0A}};
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		size_t n = leftover < 4 ? leftover : 4;
		if (memcmp(buf, magics[i], n) == 0)
			return WSP_E_PCAP_CUT_SHORT;
	}
	return WSP_E_PCAP_BAD_MAGIC;
}
