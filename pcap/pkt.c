/*
 * pkt.c: link layer, IPv4/IPv6 and TCP header decoding (pkt.h).
 *
 * Ethernet II (IEEE 802.3):  dst 6 | src 6 | type 2, with any number (up
 *   to PKT_MAX_TAGS) of 802.1Q (0x8100), 802.1ad (0x88A8) or old QinQ
 *   (0x9100) tags of TCI 2 | type 2 before the real type; an 802.3 length
 *   with an LLC/SNAP header (AA AA 03, OUI 3, type 2); PPPoE session
 *   (0x8864: 6-byte header, then PPP protocol 0x0021 IPv4 / 0x0057 IPv6);
 *   MPLS (0x8847/0x8848: 4-byte labels to the bottom of the stack, then IP
 *   by its version nibble).
 * Linux cooked v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type 2 | ARPHRD
 *   2 | address length 2 | address 8 | protocol 2.
 * Linux cooked v2 (LINKTYPE_LINUX_SLL2, 20 bytes): protocol 2 | reserved 2
 *   | interface index 4 | ARPHRD 2 | packet type 1 | address length 1 |
 *   address 8.
 * BSD loopback: a 4-byte address family, in the capturing host's byte
 *   order for NULL (so both orders are tried) and in network order for
 *   LOOP.  AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28
 *   (FreeBSD), 30 (macOS), 10 (Linux) or 23 (Windows).
 * Raw IP (RAW, IPV4, IPV6): no header; the version nibble decides.
 * NFLOG: family 1 | version 1 | resource id 2, then TLVs of length 2 |
 *   type 2 (host order, taken as little-endian, the order of every common
 *   capturing host) padded to 4; type 9 (NFULA_PAYLOAD) holds the packet.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cap.h"
#include "pkt.h"
#include "rd.h"

#define PKT_MAX_TAGS 8
#define PKT_MAX_MPLS 16

#define ET_IPV4 0x0800u
#define ET_IPV6 0x86DDu
#define ET_VLAN 0x8100u
#define ET_QINQ 0x88A8u
#define ET_QINQ_OLD 0x9100u
#define ET_PPPOE 0x8864u
#define ET_MPLS 0x8847u
#define ET_MPLS_MC 0x8848u

/* What the link layer leads to: an IP version (4, 6), or 0 (not IP), -1
 * (truncated), -2 (unsupported link type). */
#define L_NOT_IP 0
#define L_TRUNC (-1)
#define L_BADLINK (-2)

/* The IP version an ethertype stands for, with *off past whatever
 * encapsulation (tags, SNAP, PPPoE, MPLS) precedes IP. */
static int ether_payload(struct rd *c, uint16_t type)
{
	for (int tags = 0;; tags++) {
		if (type == ET_VLAN || type == ET_QINQ || type == ET_QINQ_OLD) {
			if (tags == PKT_MAX_TAGS)
				return L_NOT_IP;
			rd_skip(c, 2); /* TCI */
			type = rd_be16(c);
			continue;
		}
		break;
	}
	if (c->trunc)
		return L_TRUNC;
	if (type < 0x0600u) {
		/* An 802.3 length: IP only behind LLC/SNAP. */
		uint8_t dsap = rd_u8(c), ssap = rd_u8(c), ctl = rd_u8(c);
		if (c->trunc)
			return L_TRUNC;
		if (dsap != 0xAA || ssap != 0xAA || ctl != 0x03)
			return L_NOT_IP;
		rd_skip(c, 3); /* OUI */
		type = rd_be16(c);
		if (c->trunc)
			return L_TRUNC;
	}
	if (type == ET_PPPOE) {
		rd_skip(c, 6); /* ver/type, code, session id, length */
		uint16_t proto = rd_be16(c);
		if (c->trunc)
			return L_TRUNC;
		return proto == 0x0021u ? 4 : proto == 0x0057u ? 6 : L_NOT_IP;
	}
	if (type == ET_MPLS || type == ET_MPLS_MC) {
		for (int i = 0;; i++) {
			uint32_t label = rd_be32(c);
			if (c->trunc)
				return L_TRUNC;
			if (label & 0x100u)
				break; /* bottom of stack */
			if (i == PKT_MAX_MPLS)
				return L_NOT_IP;
		}
		if (rd_left(c) < 1)
			return L_TRUNC;
		uint8_t v = rd_here(c)[0] >> 4;
		return v == 4 || v == 6 ? v : L_NOT_IP;
	}
	if (type == ET_IPV4)
		return 4;
	if (type == ET_IPV6)
		return 6;
	return L_NOT_IP;
}

static int af_version(uint32_t af)
{
	if (af == 2)
		return 4;
	if (af == 24 || af == 28 || af == 30 || af == 10 || af == 23)
		return 6;
	return L_NOT_IP;
}

/* NFLOG: finds the payload TLV and leaves c at its start. */
static int nflog_payload(struct rd *c)
{
	uint8_t family = rd_u8(c);
	rd_skip(c, 3);
	if (c->trunc)
		return L_TRUNC;
	while (rd_left(c) >= 4) {
		uint16_t tlen = rd_le16(c);
		uint16_t type = rd_le16(c);
		if (tlen < 4)
			return L_NOT_IP;
		size_t vlen = (size_t)tlen - 4;
		if (type == 9) {
			if (vlen > rd_left(c))
				vlen = rd_left(c); /* cut by the snaplen */
			c->len = c->off + vlen;
			return family == 2 ? 4 : family == 10 ? 6 : L_NOT_IP;
		}
		size_t padded = (vlen + 3u) & ~(size_t)3u;
		if (rd_skip(c, padded) != 0)
			return L_TRUNC;
	}
	return L_TRUNC;
}

/* Walks the link header of data; leaves c at the IP header. */
static int link_layer(uint32_t lt, struct rd *c)
{
	switch (lt) {
	case CAP_LT_EN10MB: {
		rd_skip(c, 12);
		uint16_t type = rd_be16(c);
		if (c->trunc)
			return L_TRUNC;
		return ether_payload(c, type);
	}
	case CAP_LT_LINUX_SLL: {
		rd_skip(c, 14);
		uint16_t type = rd_be16(c);
		if (c->trunc)
			return L_TRUNC;
		return ether_payload(c, type);
	}
	case CAP_LT_LINUX_SLL2: {
		uint16_t type = rd_be16(c);
		rd_skip(c, 18);
		if (c->trunc)
			return L_TRUNC;
		return ether_payload(c, type);
	}
	case CAP_LT_NULL: {
		struct rd p = *c;
		uint32_t le = rd_le32(c);
		uint32_t be = rd_be32(&p);
		if (c->trunc)
			return L_TRUNC;
		int v = af_version(le);
		return v != L_NOT_IP ? v : af_version(be);
	}
	case CAP_LT_LOOP: {
		uint32_t af = rd_be32(c);
		if (c->trunc)
			return L_TRUNC;
		return af_version(af);
	}
	case CAP_LT_RAW:
	case 12: /* DLT_RAW's value on most systems, found in some files */
	case 14: /* DLT_RAW on OpenBSD */
	case CAP_LT_IPV4:
	case CAP_LT_IPV6: {
		if (rd_left(c) < 1)
			return L_TRUNC;
		uint8_t v = rd_here(c)[0] >> 4;
		if ((lt == CAP_LT_IPV4 && v != 4) ||
		    (lt == CAP_LT_IPV6 && v != 6))
			return L_NOT_IP;
		return v == 4 || v == 6 ? v : L_NOT_IP;
	}
	case CAP_LT_NFLOG:
		return nflog_payload(c);
	default:
		return L_BADLINK;
	}
}

/* Sets status and why in one go. */
static int res(struct pkt_tcp *out, int status, const char *why)
{
	out->why = why;
	return status;
}

int pkt_decode(uint32_t linktype, uint8_t *data, size_t caplen,
	       size_t origlen, struct pkt_tcp *out)
{
	memset(out, 0, sizeof(*out));
	int cut = origlen > caplen; /* the snaplen cut this packet */
	struct rd c;
	rd_init(&c, data, caplen);
	int v = link_layer(linktype, &c);
	if (v == L_BADLINK)
		return res(out, PKT_BAD_LINK, "unsupported link type");
	if (v == L_TRUNC)
		return res(out, cut ? PKT_TRUNCATED : PKT_MALFORMED,
			   "link header cut short");
	if (v == L_NOT_IP)
		return res(out, PKT_OTHER, "not IP");
	/* NFLOG may have narrowed c to its payload TLV. */
	size_t avail_end = c.len;
	size_t l3 = c.off;
	size_t ip_end;     /* offset of the end of the IP packet on the wire */
	size_t l4;
	uint8_t proto;

	if (v == 4) {
		uint8_t vi = rd_u8(&c);
		rd_skip(&c, 1);
		uint16_t total = rd_be16(&c);
		rd_skip(&c, 2);
		uint16_t frag = rd_be16(&c);
		rd_skip(&c, 1);
		proto = rd_u8(&c);
		rd_skip(&c, 2);
		rd_copy(&c, out->src, 4);
		rd_copy(&c, out->dst, 4);
		if (c.trunc)
			return res(out, cut ? PKT_TRUNCATED : PKT_MALFORMED,
				   "IPv4 header cut short");
		if ((vi >> 4) != 4)
			return res(out, PKT_MALFORMED, "IP version is not 4");
		size_t ihl = (size_t)(vi & 0x0F) * 4;
		if (ihl < 20)
			return res(out, PKT_MALFORMED,
				   "IPv4 header length below 20");
		if (total == 0) {
			ip_end = avail_end; /* TSO: the whole packet */
		} else {
			if (total < ihl)
				return res(out, PKT_MALFORMED,
					   "IPv4 total length below its header");
			ip_end = l3 + total;
		}
		if (frag & 0x3FFFu)
			return res(out, PKT_FRAGMENT, "IPv4 fragment");
		l4 = l3 + ihl;
		out->family = 4;
	} else {
		uint8_t vb = rd_u8(&c);
		rd_skip(&c, 3);
		uint16_t plen = rd_be16(&c);
		uint8_t nh = rd_u8(&c);
		rd_skip(&c, 1);
		rd_copy(&c, out->src, 16);
		rd_copy(&c, out->dst, 16);
		if (c.trunc)
			return res(out, cut ? PKT_TRUNCATED : PKT_MALFORMED,
				   "IPv6 header cut short");
		if ((vb >> 4) != 6)
			return res(out, PKT_MALFORMED, "IP version is not 6");
		/* 0: a jumbogram or a TSO segment; either way the rest. */
		ip_end = plen == 0 ? avail_end : l3 + 40 + plen;
		/* Extension headers (RFC 8200 section 4), each at least 8
		 * bytes, so the walk ends within the packet. */
		for (;;) {
			if (nh == 0 || nh == 43 || nh == 60 || nh == 135 ||
			    nh == 139 || nh == 140 || nh == 253 || nh == 254) {
				uint8_t next = rd_u8(&c);
				uint8_t hl = rd_u8(&c);
				rd_skip(&c, (size_t)hl * 8 + 6);
				nh = next;
			} else if (nh == 44) {
				uint8_t next = rd_u8(&c);
				rd_skip(&c, 1);
				uint16_t off = rd_be16(&c);
				rd_skip(&c, 4);
				if (!c.trunc && (off & 0xFFF9u) != 0)
					return res(out, PKT_FRAGMENT,
						   "IPv6 fragment");
				nh = next; /* an atomic fragment */
			} else if (nh == 51) {
				uint8_t next = rd_u8(&c);
				uint8_t pl = rd_u8(&c);
				rd_skip(&c, ((size_t)pl + 2) * 4 - 2);
				nh = next;
			} else {
				break;
			}
			if (c.trunc)
				return res(out, cut ? PKT_TRUNCATED
						    : PKT_MALFORMED,
					   "IPv6 extension header cut short");
			if (c.off > ip_end)
				return res(out, PKT_MALFORMED,
					   "IPv6 extension headers beyond the payload");
		}
		proto = nh;
		l4 = c.off;
		out->family = 6;
	}
	if (proto != 6)
		return res(out, PKT_OTHER, "not TCP");
	if (ip_end > avail_end && !cut)
		return res(out, PKT_MALFORMED, "IP length beyond the packet");
	if (l4 > ip_end)
		return res(out, PKT_MALFORMED, "IP length below its headers");
	size_t cap_end = ip_end < avail_end ? ip_end : avail_end;
	if (l4 > cap_end)
		return res(out, PKT_TRUNCATED, "IP options cut short");

	/* TCP (RFC 9293 section 3.1). */
	struct rd t;
	rd_init(&t, data + l4, cap_end - l4);
	out->sport = rd_be16(&t);
	out->dport = rd_be16(&t);
	out->seq = rd_be32(&t);
	out->ack = rd_be32(&t);
	uint8_t doff = rd_u8(&t);
	out->flags = rd_u8(&t);
	if (t.trunc)
		return res(out, ip_end - l4 >= 20 && cut ? PKT_TRUNCATED
							 : PKT_MALFORMED,
			   "TCP header cut short");
	size_t thl = (size_t)(doff >> 4) * 4;
	if (thl < 20)
		return res(out, PKT_MALFORMED, "TCP data offset below 20");
	if (thl > ip_end - l4)
		return res(out, PKT_MALFORMED,
			   "TCP header longer than the IP payload");
	if (thl > cap_end - l4)
		return res(out, PKT_TRUNCATED, "TCP options cut short");
	size_t p = l4 + thl;
	out->payload = data + p;
	out->caplen = (uint32_t)(cap_end - p);
	/* Over 4 GiB cannot come from a 16-bit IP length; only a TSO length
	 * of 0 with a huge record could, and records stop at 16 MiB. */
	out->len = (uint32_t)(ip_end - p);
	return PKT_TCP;
}

int pkt_addr_str(uint8_t family, const uint8_t *addr, char *out, size_t cap)
{
	if (cap < 46)
		return -1;
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, out,
		      (socklen_t)cap) == NULL)
		return -1;
	return (int)strlen(out);
}
