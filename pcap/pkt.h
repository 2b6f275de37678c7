/*
 * pkt.h: from a captured packet to its TCP segment: the link layers users
 * hand over (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1 and v2,
 * BSD loopback NULL and LOOP, raw IPv4/IPv6, NFLOG), IPv4 (RFC 791) with
 * options, IPv6 (RFC 8200) with its extension headers walked, and the TCP
 * header (RFC 9293) with options skipped.
 *
 * Pure: bytes in, a struct out, every field read through rd.h.  A packet
 * cut by the snaplen is not an error: what was captured of the payload is
 * returned and the bytes the IP header says were on the wire are counted,
 * so the reassembly can report them as missing instead of guessing.
 * Checksums are never checked: with segmentation and checksum offload the
 * capturing host sees outgoing packets before the NIC fills them in
 * (libnids FAQ), and dropping them would lose one side of every local
 * connection.
 */
#ifndef PCAP_PKT_H
#define PCAP_PKT_H

#include <stddef.h>
#include <stdint.h>

/* TCP flags (RFC 9293 section 3.1). */
#define PKT_FIN 0x01u
#define PKT_SYN 0x02u
#define PKT_RST 0x04u
#define PKT_PSH 0x08u
#define PKT_ACK 0x10u

enum pkt_status {
	PKT_TCP = 0,          /* a TCP segment: every field is set */
	PKT_OTHER = 1,        /* not TCP over IP (ARP, UDP, ICMP...): ignore */
	PKT_BAD_LINK = 2,     /* a link type this decoder does not handle */
	PKT_FRAGMENT = 3,     /* an IP fragment (not reassembled) */
	PKT_TRUNCATED = 4,    /* cut before the end of the TCP header */
	PKT_MALFORMED = 5     /* a header that cannot be right */
};

struct pkt_tcp {
	uint8_t family;       /* 4 or 6 */
	uint8_t src[16];      /* addresses; IPv4 uses the first 4 bytes, */
	uint8_t dst[16];      /* the rest stays zero */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;        /* PKT_FIN ... */
	uint8_t *payload;     /* captured payload, inside the packet */
	uint32_t caplen;      /* captured payload bytes at payload */
	uint32_t len;         /* payload bytes on the wire (>= caplen) */
	/* Not PKT_TCP: a short static reason ("IPv4 header length 3 < 5"
	 * style wording without numbers), for notes. */
	const char *why;
};

/*
 * Decodes data[0..caplen) (origlen bytes on the wire) of link type
 * linktype (a LINKTYPE_* value, see cap.h).  Returns an enum pkt_status;
 * on PKT_TCP every field of *out is set and out->payload points into data
 * (the caller's, writable, kept by nothing here).  Reads nothing outside
 * data[0..caplen).
 *
 * The payload's wire length comes from the IP header: the IPv4 total
 * length or the IPv6 payload length, minus the headers; trailing link
 * padding is excluded.  A length of 0 there (TSO: the host captured one
 * large segment before the NIC split it) means "the rest of the packet".
 * A length past the end of a packet that was not cut (caplen == origlen)
 * is PKT_MALFORMED.
 */
int pkt_decode(uint32_t linktype, uint8_t *data, size_t caplen,
	       size_t origlen, struct pkt_tcp *out);

/* Writes the address of family 4 or 6 (RFC 5952 form for IPv6) into
 * out[0..cap) with a NUL; returns its length or -1 when cap is too small
 * (INET6_ADDRSTRLEN, 46, is always enough). */
int pkt_addr_str(uint8_t family, const uint8_t *addr, char *out, size_t cap);

#endif
