/*
 * capw.c: capture writing (capw.h).  Every field is written byte by byte
 * in the order its format defines: network order for link, IP and TCP
 * headers, little-endian for the pcap and pcapng framing (the files declare
 * it through their magic numbers).
 */
#include <string.h>

#include "capw.h"
#include "pkt.h"
#include "wsp_err.h"

void capw_buf_init(struct capw_buf *b, const struct wsp_mem *mem)
{
	memset(b, 0, sizeof(*b));
	b->mem = mem;
}

void capw_buf_free(struct capw_buf *b)
{
	wsp_free(b->mem, b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int capw_put(struct capw_buf *b, const void *p, size_t n)
{
	if (b->err != 0)
		return b->err;
	if (n > b->cap - b->len) {
		size_t want = b->len + n;
		if (want < b->len) {
			b->err = WSP_E_NOMEM;
			return b->err;
		}
		size_t cap = b->cap < 4096 ? 4096 : b->cap;
		while (cap < want)
			cap = cap > SIZE_MAX / 2 ? want : cap * 2;
		uint8_t *np = wsp_realloc(b->mem, b->p, cap);
		if (np == NULL) {
			b->err = WSP_E_NOMEM;
			return b->err;
		}
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------------------
 * File formats
 */

int capw_pcap_header(struct capw_buf *b, uint32_t linktype,
		     uint32_t snaplen, int nsec)
{
	uint8_t h[24];
	le32(h, nsec ? 0xA1B23C4Du : 0xA1B2C3D4u);
	le16(h + 4, 2);
	le16(h + 6, 4);
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, snaplen);
	le32(h + 20, linktype);
	return capw_put(b, h, sizeof(h));
}

int capw_pcap_record(struct capw_buf *b, int nsec, struct cap_time ts,
		     const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
	uint8_t h[16];
	le32(h, (uint32_t)ts.sec);
	le32(h + 4, nsec ? ts.nsec : ts.nsec / 1000u);
	le32(h + 8, caplen);
	le32(h + 12, origlen);
	int rc = capw_put(b, h, sizeof(h));
	return rc != 0 ? rc : capw_put(b, data, caplen);
}

int capw_ng_section(struct capw_buf *b)
{
	uint8_t h[28];
	le32(h, 0x0A0D0D0Au);
	le32(h + 4, sizeof(h));
	le32(h + 8, 0x1A2B3C4Du);
	le16(h + 12, 1);
	le16(h + 14, 0);
	le32(h + 16, 0xFFFFFFFFu); /* section length unknown: -1 */
	le32(h + 20, 0xFFFFFFFFu);
	le32(h + 24, sizeof(h));
	return capw_put(b, h, sizeof(h));
}

int capw_ng_iface(struct capw_buf *b, uint32_t linktype, uint32_t snaplen,
		  uint8_t tsresol)
{
	uint8_t h[32];
	size_t n = 20;
	le32(h, 1);
	le16(h + 8, linktype);
	le16(h + 10, 0);
	le32(h + 12, snaplen);
	if (tsresol != 6) {
		le16(h + 16, 9); /* if_tsresol */
		le16(h + 18, 1);
		h[20] = tsresol;
		h[21] = h[22] = h[23] = 0;
		le32(h + 24, 0); /* opt_endofopt */
		n = 32;
	}
	le32(h + 4, (uint32_t)n);
	le32(h + n - 4, (uint32_t)n);
	return capw_put(b, h, n);
}

int capw_ng_packet(struct capw_buf *b, uint32_t iface, uint64_t ticks,
		   const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
	size_t pad = (4 - (caplen & 3u)) & 3u;
	size_t total = 28 + (size_t)caplen + pad + 4;
	uint8_t h[28], t[8] = {0};
	le32(h, 6);
	le32(h + 4, (uint32_t)total);
	le32(h + 8, iface);
	le32(h + 12, (uint32_t)(ticks >> 32));
	le32(h + 16, (uint32_t)ticks);
	le32(h + 20, caplen);
	le32(h + 24, origlen);
	le32(t + pad, (uint32_t)total);
	int rc = capw_put(b, h, sizeof(h));
	if (rc == 0)
		rc = capw_put(b, data, caplen);
	if (rc == 0)
		rc = capw_put(b, t, pad + 4);
	return rc;
}

/* ------------------------------------------------------------------------
 * Packets
 */

uint32_t capw_file_linktype(uint32_t lt)
{
	if (lt == CAPW_LT_EN10MB_VLAN || lt == CAPW_LT_EN10MB_QINQ)
		return CAP_LT_EN10MB;
	return lt;
}

/* The Internet checksum (RFC 1071) of p[0..n) added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFFu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The link header for lt carrying IP version v, into out; its size or
 * -1. */
static int link_header(uint32_t lt, const struct capw_seg *s, uint8_t *out)
{
	uint16_t et = s->src->family == 6 ? 0x86DDu : 0x0800u;
	switch (lt) {
	case CAP_LT_EN10MB:
	case CAPW_LT_EN10MB_VLAN:
	case CAPW_LT_EN10MB_QINQ: {
		size_t n = 12;
		memcpy(out, s->dst->mac, 6);
		memcpy(out + 6, s->src->mac, 6);
		if (lt == CAPW_LT_EN10MB_QINQ) {
			be16(out + n, 0x88A8u);
			be16(out + n + 2, 100);
			n += 4;
		}
		if (lt != CAP_LT_EN10MB) {
			be16(out + n, 0x8100u);
			be16(out + n + 2, 42);
			n += 4;
		}
		be16(out + n, et);
		return (int)n + 2;
	}
	case CAP_LT_LINUX_SLL:
		be16(out, s->outgoing ? 4 : 0);
		be16(out + 2, 1); /* ARPHRD_ETHER */
		be16(out + 4, 6);
		memcpy(out + 6, s->src->mac, 6);
		out[12] = out[13] = 0;
		be16(out + 14, et);
		return 16;
	case CAP_LT_LINUX_SLL2:
		be16(out, et);
		be16(out + 2, 0);
		be32(out + 4, 1); /* interface index */
		be16(out + 8, 1);
		out[10] = s->outgoing ? 4 : 0;
		out[11] = 6;
		memcpy(out + 12, s->src->mac, 6);
		out[18] = out[19] = 0;
		return 20;
	case CAP_LT_NULL:
		le32(out, s->src->family == 6 ? 30u : 2u); /* macOS values */
		return 4;
	case CAP_LT_LOOP:
		be32(out, s->src->family == 6 ? 24u : 2u); /* OpenBSD */
		return 4;
	case CAP_LT_RAW:
		return 0;
	case CAP_LT_IPV4:
		return s->src->family == 4 ? 0 : -1;
	case CAP_LT_IPV6:
		return s->src->family == 6 ? 0 : -1;
	case CAP_LT_NFLOG:
		/* Written with the payload length, below. */
		out[0] = s->src->family == 6 ? 10 : 2;
		out[1] = 0;
		be16(out + 2, 0);
		return 8;
	default:
		return -1;
	}
}

int capw_tcp_frame(uint32_t lt, const struct capw_seg *s, uint8_t *out,
		   size_t cap)
{
	if (s->src->family != s->dst->family ||
	    (s->src->family != 4 && s->src->family != 6))
		return WSP_E_INVAL;
	uint8_t hdr[CAPW_MAX_OVERHEAD];
	int ll = link_header(lt, s, hdr);
	if (ll < 0)
		return WSP_E_INVAL;
	size_t n = (size_t)ll;
	int v6 = s->src->family == 6;
	size_t ext = s->ip_opts ? (v6 ? 8 + 16 + 8 : 4) : 0;
	size_t iphl = (v6 ? 40 : 20) + ext;
	size_t tcp = 20 + s->len;
	if (s->len > 65535 - 20 - iphl)
		return WSP_E_INVAL;
	size_t total = n + iphl + tcp;
	if (total > cap)
		return WSP_E_NOSPACE;

	uint8_t *ip = hdr + n;
	if (!v6) {
		ip[0] = (uint8_t)(0x40 | (iphl / 4));
		ip[1] = 0;
		be16(ip + 2, (uint32_t)(iphl + tcp));
		be16(ip + 4, (uint32_t)(s->seq & 0xFFFF)); /* an id */
		be16(ip + 6, 0x4000);                      /* DF */
		ip[8] = 64;
		ip[9] = 6;
		be16(ip + 10, 0);
		memcpy(ip + 12, s->src->addr, 4);
		memcpy(ip + 16, s->dst->addr, 4);
		if (ext) {
			ip[20] = 1; /* NOP */
			ip[21] = 1;
			ip[22] = 1;
			ip[23] = 0; /* EOL */
		}
		be16(ip + 10, csum_fold(csum_add(0, ip, iphl)));
	} else {
		be32(ip, 0x60000000u);
		be16(ip + 4, (uint32_t)(ext + tcp));
		ip[6] = ext ? 0 : 6; /* hop-by-hop first when ext */
		ip[7] = 64;
		memcpy(ip + 8, s->src->addr, 16);
		memcpy(ip + 24, s->dst->addr, 16);
		if (ext) {
			uint8_t *e = ip + 40;
			/* Hop-by-hop, 8 bytes: next 60, length 0, PadN. */
			e[0] = 60;
			e[1] = 0;
			e[2] = 1;
			e[3] = 4;
			memset(e + 4, 0, 4);
			/* Destination options, 16 bytes: next 44, length 1. */
			e[8] = 44;
			e[9] = 1;
			e[10] = 1;
			e[11] = 12;
			memset(e + 12, 0, 12);
			/* Atomic fragment: next 6, offset 0, M 0. */
			e[24] = 6;
			e[25] = 0;
			be16(e + 26, 0);
			be32(e + 28, 0x12345678u);
		}
	}
	uint8_t *t = ip + iphl;
	be16(t, s->src->port);
	be16(t + 2, s->dst->port);
	be32(t + 4, s->seq);
	be32(t + 8, s->ack);
	t[12] = 0x50;
	t[13] = s->flags;
	be16(t + 14, s->window ? s->window : 65535);
	be16(t + 16, 0);
	be16(t + 18, 0);
	/* The pseudo-header (RFC 9293 section 3.1, RFC 8200 section 8.1). */
	uint32_t sum = 0;
	size_t al = v6 ? 16 : 4;
	sum = csum_add(sum, s->src->addr, al);
	sum = csum_add(sum, s->dst->addr, al);
	sum += 6;
	sum += (uint32_t)tcp;
	sum = csum_add(sum, t, 20);
	/* An odd-length header part never happens (20 bytes), so the
	 * payload's bytes pair up from its start. */
	if (s->len > 0)
		sum = csum_add(sum, s->payload, s->len);
	be16(t + 16, csum_fold(sum));

	size_t hl = n + iphl + 20;
	if (lt == CAP_LT_NFLOG) {
		/* The payload TLV: length (header included), type 9, both in
		 * the capturing host's order (little-endian). */
		le16(hdr + 4, (uint32_t)(4 + iphl + tcp));
		le16(hdr + 6, 9);
	}
	memcpy(out, hdr, hl);
	if (s->len > 0)
		memcpy(out + hl, s->payload, s->len);
	return (int)total;
}

/* ------------------------------------------------------------------------
 * Conversation
 */

void capw_conv_init(struct capw_conv *c, const struct capw_ep *client,
		    const struct capw_ep *server, uint32_t isn_client,
		    uint32_t isn_server, uint32_t lt, size_t mss,
		    struct capw_buf *out)
{
	memset(c, 0, sizeof(*c));
	c->ep[0] = *client;
	c->ep[1] = *server;
	c->next[0] = isn_client;
	c->next[1] = isn_server;
	c->lt = lt;
	c->mss = mss == 0 ? 1460 : mss;
	c->out = out;
}

int capw_conv_segment(struct capw_conv *c, int dir, uint8_t flags,
		      const uint8_t *payload, size_t len, struct cap_time ts)
{
	uint8_t frame[CAPW_MAX_OVERHEAD + 65536];
	struct capw_seg s;
	memset(&s, 0, sizeof(s));
	s.src = &c->ep[dir];
	s.dst = &c->ep[1 - dir];
	s.seq = c->next[dir];
	s.ack = (flags & PKT_ACK) ? c->next[1 - dir] : 0;
	s.flags = flags;
	s.payload = payload;
	s.len = len;
	s.outgoing = dir == 0;
	s.ip_opts = c->ip_opts;
	int n = capw_tcp_frame(c->lt, &s, frame, sizeof(frame));
	if (n < 0)
		return n;
	c->next[dir] += (uint32_t)len;
	if (flags & (PKT_SYN | PKT_FIN))
		c->next[dir] += 1;
	uint32_t caplen = (uint32_t)n;
	if (c->snaplen != 0 && caplen > c->snaplen)
		caplen = c->snaplen;
	return capw_pcap_record(c->out, c->nsec, ts, frame, caplen,
				(uint32_t)n);
}

int capw_conv_open(struct capw_conv *c, struct cap_time ts)
{
	int rc = capw_conv_segment(c, 0, PKT_SYN, NULL, 0, ts);
	if (rc == 0)
		rc = capw_conv_segment(c, 1, PKT_SYN | PKT_ACK, NULL, 0, ts);
	if (rc == 0)
		rc = capw_conv_segment(c, 0, PKT_ACK, NULL, 0, ts);
	return rc;
}

int capw_conv_send(struct capw_conv *c, int dir, const uint8_t *data,
		   size_t len, struct cap_time ts)
{
	size_t off = 0;
	while (off < len) {
		size_t n = len - off < c->mss ? len - off : c->mss;
		int rc = capw_conv_segment(c, dir, PKT_ACK | PKT_PSH,
					   data + off, n, ts);
		if (rc != 0)
			return rc;
		off += n;
	}
	return capw_conv_segment(c, 1 - dir, PKT_ACK, NULL, 0, ts);
}

int capw_conv_close(struct capw_conv *c, int first, struct cap_time ts)
{
	int rc = capw_conv_segment(c, first, PKT_FIN | PKT_ACK, NULL, 0, ts);
	if (rc == 0)
		rc = capw_conv_segment(c, 1 - first, PKT_FIN | PKT_ACK, NULL, 0,
				       ts);
	if (rc == 0)
		rc = capw_conv_segment(c, first, PKT_ACK, NULL, 0, ts);
	return rc;
}

/* ------------------------------------------------------------------------
 * A session from a wire log
 */

struct cap_time capw_time_at(struct cap_time start, int64_t ns)
{
	int64_t total = (int64_t)start.nsec + (ns > 0 ? ns : 0);
	struct cap_time t;
	t.sec = start.sec + total / 1000000000;
	t.nsec = (uint32_t)(total % 1000000000);
	return t;
}

int capw_session(struct capw_buf *out, const struct capw_session_cfg *cfg,
		 const struct capw_wire *recs, size_t n)
{
	static const struct capw_ep dc = {4, {127, 0, 0, 1}, 40000,
					  {2, 0, 0, 0, 0, 1}};
	static const struct capw_ep ds = {4, {127, 0, 0, 2}, 80,
					  {2, 0, 0, 0, 0, 2}};
	const struct capw_ep *c = cfg->client != NULL ? cfg->client : &dc;
	const struct capw_ep *sv = cfg->server != NULL ? cfg->server : &ds;
	struct capw_conv cv;
	size_t mss = cfg->mss != 0 ? cfg->mss : 65483;
	if (mss > 65483)
		return WSP_E_INVAL;
	capw_conv_init(&cv, c, sv, cfg->isn_client, cfg->isn_server,
		       CAP_LT_EN10MB, mss, out);
	cv.nsec = 1;
	int rc = capw_pcap_header(out, CAP_LT_EN10MB, 262144, 1);
	if (rc == 0)
		rc = capw_conv_open(&cv, cfg->start);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int dir = recs[i].from_client ? 0 : 1;
		struct cap_time t = capw_time_at(cfg->start, recs[i].t_ns);
		size_t off = 0;
		while (off < recs[i].len && rc == 0) {
			size_t k = recs[i].len - off < mss ? recs[i].len - off
							   : mss;
			rc = capw_conv_segment(&cv, dir, PKT_ACK | PKT_PSH,
					       recs[i].p + off, k, t);
			off += k;
		}
		if (rc == 0 && recs[i].len > 0)
			rc = capw_conv_segment(&cv, 1 - dir, PKT_ACK, NULL, 0,
					       t);
	}
	if (rc != 0)
		return rc;
	struct cap_time te = capw_time_at(cfg->start, cfg->end_ns);
	switch (cfg->end) {
	case CAPW_END_FIN_CLIENT:
	case CAPW_END_FIN_SERVER:
		return capw_conv_close(&cv, cfg->end == CAPW_END_FIN_CLIENT ? 0 : 1,
				       te);
	case CAPW_END_RST_CLIENT:
	case CAPW_END_RST_SERVER:
		return capw_conv_segment(&cv,
					 cfg->end == CAPW_END_RST_CLIENT ? 0 : 1,
					 PKT_RST | PKT_ACK, NULL, 0, te);
	case CAPW_END_OPEN:
		return 0;
	}
	return WSP_E_INVAL;
}
