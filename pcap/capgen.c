/*
 * capgen.c: synthetic WebSocket sessions (capgen.h).
 */
#include <string.h>

#include "capgen.h"
#include "hs.h"
#include "pkt.h"
#include "wsf.h"
#include "wsp_err.h"

static struct cap_time tick(struct capgen *g)
{
	struct cap_time t = g->t;
	uint64_t ns = (uint64_t)g->t.nsec + g->step_ns;
	g->t.sec += (int64_t)(ns / 1000000000u);
	g->t.nsec = (uint32_t)(ns % 1000000000u);
	return t;
}

static uint64_t next_rand(struct capgen *g)
{
	/* xorshift64*: deterministic keys from the seed. */
	uint64_t x = g->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

void capgen_init(struct capgen *g, struct capw_buf *out, uint32_t lt,
		 int family, uint16_t cport, uint16_t sport, uint64_t seed,
		 size_t mss)
{
	struct capw_ep c, s;
	memset(g, 0, sizeof(*g));
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	c.family = s.family = (uint8_t)family;
	if (family == 6) {
		c.addr[0] = s.addr[0] = 0xFD;
		c.addr[15] = 1;
		s.addr[15] = 2;
	} else {
		c.addr[0] = s.addr[0] = 10;
		c.addr[3] = 1;
		s.addr[3] = 2;
	}
	c.port = cport;
	s.port = sport;
	static const uint8_t cm[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t sm[6] = {0x02, 0, 0, 0, 0, 0x02};
	memcpy(c.mac, cm, 6);
	memcpy(s.mac, sm, 6);
	g->rng = seed * 2654435761u + 0x9E3779B97F4A7C15ull;
	if (g->rng == 0)
		g->rng = 1;
	uint32_t isn_c = (uint32_t)next_rand(g);
	uint32_t isn_s = (uint32_t)next_rand(g);
	capw_conv_init(&g->cv, &c, &s, isn_c, isn_s, lt, mss, out);
	g->t.sec = 1700000000;
	g->t.nsec = 0;
	g->step_ns = 100000;
}

int capgen_open(struct capgen *g)
{
	int rc = capw_conv_segment(&g->cv, 0, PKT_SYN, NULL, 0, tick(g));
	if (rc == 0)
		rc = capw_conv_segment(&g->cv, 1, PKT_SYN | PKT_ACK, NULL, 0,
				       tick(g));
	if (rc == 0)
		rc = capw_conv_segment(&g->cv, 0, PKT_ACK, NULL, 0, tick(g));
	return rc;
}

int capgen_bytes(struct capgen *g, int dir, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t off = 0;
	while (off < n) {
		size_t k = n - off < g->cv.mss ? n - off : g->cv.mss;
		int rc = capw_conv_segment(&g->cv, dir, PKT_ACK | PKT_PSH,
					   b + off, k, tick(g));
		if (rc != 0)
			return rc;
		off += k;
	}
	return capw_conv_segment(&g->cv, 1 - dir, PKT_ACK, NULL, 0, tick(g));
}

int capgen_upgrade(struct capgen *g, const char *ext, const char *resp_ext)
{
	uint8_t nonce[HS_NONCE_LEN];
	for (int i = 0; i < HS_NONCE_LEN; i++)
		nonce[i] = (uint8_t)next_rand(g);
	char buf[2048];
	struct hs_req_desc rq;
	memset(&rq, 0, sizeof(rq));
	rq.host = "example.com";
	rq.target = "/chat";
	rq.nonce = nonce;
	rq.extensions = ext != NULL ? &ext : NULL;
	rq.nextensions = ext != NULL ? 1 : 0;
	int n = hs_build_request(&rq, buf, sizeof(buf));
	if (n < 0)
		return n;
	int rc = capgen_bytes(g, 0, buf, (size_t)n);
	if (rc != 0)
		return rc;
	char key[HS_KEY_LEN + 1];
	hs_key_from_nonce(nonce, key);
	struct hs_resp_desc rs;
	memset(&rs, 0, sizeof(rs));
	rs.key = key;
	rs.extensions = resp_ext;
	n = hs_build_response(&rs, buf, sizeof(buf));
	if (n < 0)
		return n;
	return capgen_bytes(g, 1, buf, (size_t)n);
}

ssize_t capgen_encode(struct capgen *g, int dir, int fin, int rsv,
		      int opcode, const void *payload, size_t n, uint8_t *out,
		      size_t cap)
{
	struct wsf_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = (uint8_t)fin;
	f.rsv = (uint8_t)rsv;
	f.opcode = (uint8_t)opcode;
	f.masked = dir == 0 ? !g->unmask_client : g->mask_server != 0;
	if (f.masked) {
		uint64_t k = next_rand(g);
		for (int i = 0; i < 4; i++)
			f.mask_key[i] = (uint8_t)(k >> (8 * i));
	}
	f.len_form = WSF_LEN_AUTO;
	f.payload_len = n;
	return wsf_encode(out, cap, &f, payload, n);
}

int capgen_frame(struct capgen *g, int dir, int fin, int rsv, int opcode,
		 const void *payload, size_t n)
{
	uint8_t small[512];
	uint8_t *buf = small;
	size_t cap = n + WSF_MAX_HEADER;
	if (cap > sizeof(small)) {
		buf = wsp_malloc(NULL, cap);
		if (buf == NULL)
			return WSP_E_NOMEM;
	}
	ssize_t len = capgen_encode(g, dir, fin, rsv, opcode, payload, n, buf,
				    cap);
	int rc = len < 0 ? (int)len : capgen_bytes(g, dir, buf, (size_t)len);
	if (buf != small)
		wsp_free(NULL, buf);
	return rc;
}

int capgen_send_cuts(struct capgen *g, int dir, const uint8_t *p, size_t n,
		     const size_t *bounds, size_t nb, const int *order,
		     size_t no)
{
	struct capw_conv *cv = &g->cv;
	uint32_t base = cv->next[dir];
	size_t nseg = nb + 1;
	size_t count = order != NULL ? no : nseg;
	for (size_t i = 0; i < count; i++) {
		size_t k = order != NULL ? (size_t)order[i] : i;
		if (k >= nseg)
			return WSP_E_INVAL;
		size_t a = k == 0 ? 0 : bounds[k - 1];
		size_t b = k == nb ? n : bounds[k];
		if (a > b || b > n)
			return WSP_E_INVAL;
		/* Write the segment at its own sequence number. */
		cv->next[dir] = base + (uint32_t)a;
		int rc = capw_conv_segment(cv, dir, PKT_ACK | PKT_PSH, p + a,
					   b - a, tick(g));
		if (rc != 0)
			return rc;
	}
	cv->next[dir] = base + (uint32_t)n;
	return capw_conv_segment(cv, 1 - dir, PKT_ACK, NULL, 0, tick(g));
}

int capgen_close(struct capgen *g, int first)
{
	int rc = capw_conv_segment(&g->cv, first, PKT_FIN | PKT_ACK, NULL, 0,
				   tick(g));
	if (rc == 0)
		rc = capw_conv_segment(&g->cv, 1 - first, PKT_FIN | PKT_ACK,
				       NULL, 0, tick(g));
	if (rc == 0)
		rc = capw_conv_segment(&g->cv, first, PKT_ACK, NULL, 0,
				       tick(g));
	return rc;
}

int capgen_reset(struct capgen *g, int dir)
{
	return capw_conv_segment(&g->cv, dir, PKT_RST | PKT_ACK, NULL, 0,
				 tick(g));
}

ssize_t capgen_deflate(struct pmd_deflater *c, const void *in, size_t n,
		       uint8_t *out, size_t cap)
{
	size_t consumed = 0, produced = 0, off = 0, total = 0;
	for (;;) {
		if (total == cap)
			return WSP_E_NOSPACE;
		int st = pmd_deflate(c, off < n ? (const uint8_t *)in + off
					       : NULL,
				     n - off, 1,
				     out + total, cap - total, &consumed,
				     &produced);
		if (st < 0)
			return st;
		off += consumed;
		total += produced;
		if (st == PMD_DONE)
			return (ssize_t)total;
	}
}
