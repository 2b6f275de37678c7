/*
 * hs_parse.c: the reading half of the opening handshake (hs.h): the
 * incremental HTTP/1.1 head parser, the header and list helpers, the
 * validation of requests and responses against RFC 6455 section 4, and the
 * generic negotiation helpers.  hs_build.c holds the writing half and the
 * key/accept/base64 code.
 *
 * The parser works in two steps.  scan_head() looks at the bytes that are
 * new since the previous call for the blank line that ends the head and for
 * bytes that can never appear in a head (control bytes); it is the only
 * step that runs on every call, and it never looks at old bytes again, so
 * total work is linear however the input is split.  Once the end is found,
 * parse_head() reads the complete head exactly once.  Because the answer is
 * "the first of {end of head, forbidden byte, cap}" in byte order, it is
 * the same for every chunking of the same bytes.
 */
#include <string.h>

#include "ext.h"
#include "hs.h"
#include "wsp_err.h"

/* ---- character classes ---------------------------------------------- */

/*
 * Byte classes, one table: C_TCHAR marks tchar (RFC 7230 section 3.2.6:
 * "!#$%&'*+-.^_`|~", DIGIT, ALPHA); C_BAD marks bytes never allowed in a
 * head (CTLs other than HT, CR and LF, and DEL).  Tables let the hot loops
 * OR or AND classes together without a branch per byte.
 */
#define C_TCHAR 1u
#define C_BAD 2u

#define T1 C_TCHAR
#define B1 C_BAD
static const unsigned char cls[256] = {
	/* 0x00-0x1f: CTLs; HT (0x09), LF (0x0a), CR (0x0d) allowed */
	B1, B1, B1, B1, B1, B1, B1, B1, B1, 0,  0,  B1, B1, 0,  B1, B1,
	B1, B1, B1, B1, B1, B1, B1, B1, B1, B1, B1, B1, B1, B1, B1, B1,
	/* 0x20-0x2f:  SP ! " # $ % & ' ( ) * + , - . / */
	0,  T1, 0,  T1, T1, T1, T1, T1, 0,  0,  T1, T1, 0,  T1, T1, 0,
	/* 0x30-0x3f: 0-9 : ; < = > ? */
	T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, 0,  0,  0,  0,  0,  0,
	/* 0x40-0x4f: @ A-O */
	0,  T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1,
	/* 0x50-0x5f: P-Z [ \ ] ^ _ */
	T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, 0,  0,  0,  T1, T1,
	/* 0x60-0x6f: ` a-o */
	T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1,
	/* 0x70-0x7f: p-z { | } ~ DEL */
	T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, T1, 0,  T1, 0,  T1, B1,
	/* 0x80-0xff: obs-text, allowed in values, never in tokens */
};
#undef T1
#undef B1

static int is_token(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned all = C_TCHAR;
	size_t i = 0;
	for (; n - i >= 8; i += 8)
		all &= cls[u[i]] & cls[u[i + 1]] & cls[u[i + 2]] &
		       cls[u[i + 3]] & cls[u[i + 4]] & cls[u[i + 5]] &
		       cls[u[i + 6]] & cls[u[i + 7]];
	for (; i < n; i++)
		all &= cls[u[i]];
	return n > 0 && all != 0;
}

/* ORs the classes of s[0..n) together, eight bytes per step. */
static unsigned any_class(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned any = 0;
	size_t i = 0;
	for (; n - i >= 8; i += 8)
		any |= cls[u[i]] | cls[u[i + 1]] | cls[u[i + 2]] |
		       cls[u[i + 3]] | cls[u[i + 4]] | cls[u[i + 5]] |
		       cls[u[i + 6]] | cls[u[i + 7]];
	for (; i < n; i++)
		any |= cls[u[i]];
	return any;
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* ASCII case-insensitive equality of a[0..an) and b[0..bn). */
static int ieq_n(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* The same with NUL-terminated b. */
static int ieq(const char *a, size_t an, const char *b)
{
	return ieq_n(a, an, b, strlen(b));
}

static int eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- the parser ----------------------------------------------------- */

/* The parse failures, mapped to per-direction codes by code_for(). */
enum perr {
	PE_CTL,
	PE_BARE_CR,
	PE_START_LINE,
	PE_HTTP_VERSION,
	PE_OBS_FOLD,
	PE_HDR_SYNTAX,
	PE_STATUS
};

static int code_for(int is_req, enum perr e)
{
	switch (e) {
	case PE_CTL:
		return is_req ? WSP_E_HS_REQ_CTL : WSP_E_HS_RESP_CTL;
	case PE_BARE_CR:
		return is_req ? WSP_E_HS_REQ_BARE_CR : WSP_E_HS_RESP_BARE_CR;
	case PE_START_LINE:
		return is_req ? WSP_E_HS_REQ_START_LINE
			      : WSP_E_HS_RESP_START_LINE;
	case PE_HTTP_VERSION:
		return is_req ? WSP_E_HS_REQ_HTTP_VERSION
			      : WSP_E_HS_RESP_HTTP_VERSION;
	case PE_OBS_FOLD:
		return is_req ? WSP_E_HS_REQ_OBS_FOLD : WSP_E_HS_RESP_OBS_FOLD;
	case PE_HDR_SYNTAX:
		return is_req ? WSP_E_HS_REQ_HDR_SYNTAX
			      : WSP_E_HS_RESP_HDR_SYNTAX;
	case PE_STATUS:
	default:
		return WSP_E_HS_RESP_STATUS;
	}
}

void hs_msg_init(struct hs_msg *m, struct hs_header *headers, size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->headers = headers;
	m->header_cap = cap;
	m->max_head = HS_DEFAULT_MAX_HEAD;
}

/*
 * Looks at buf[from..limit) for the LF that ends the head: an LF whose line
 * is empty, i.e. preceded by LF, by CR LF, or by the start of the buffer
 * (optionally through a CR).  Looking back at most two bytes before from is
 * enough, so the caller restarts at its previous length.  Returns the head
 * length (LF index + 1), 0 when not found, or -1 when a forbidden byte
 * comes first.  Lines are found with memchr and checked for forbidden bytes
 * a block at a time: the only per-byte work is a table lookup.
 */
static long scan_head(const char *buf, size_t from, size_t limit)
{
	size_t i = from;
	while (i < limit) {
		const char *lf = memchr(buf + i, '\n', limit - i);
		size_t end = lf != NULL ? (size_t)(lf - buf) : limit;
		if (any_class(buf + i, end - i) & C_BAD)
			return -1;
		if (lf == NULL)
			return 0;
		/* j: where the line this LF ends begins, if it is empty. */
		size_t j = end;
		if (j > 0 && buf[j - 1] == '\r')
			j--;
		if (j == 0 || buf[j - 1] == '\n')
			return (long)(end + 1);
		i = end + 1;
	}
	return 0;
}

/* Splits the next line from *p (< end, the head ends with an LF): sets
 * *line and *n to its content without the line ending.  Returns 0, or a parse
 * error for a CR inside the line. */
static int next_line(const char **p, const char *end, const char **line,
		     size_t *n, unsigned *flags, enum perr *err)
{
	const char *s = *p;
	const char *lf = memchr(s, '\n', (size_t)(end - s));
	/* scan_head guarantees an LF before end; stay safe regardless. */
	if (lf == NULL)
		lf = end - 1;
	const char *e = lf;
	if (e > s && e[-1] == '\r')
		e--;
	else
		*flags |= HS_F_BARE_LF;
	if (memchr(s, '\r', (size_t)(e - s)) != NULL) {
		*err = PE_BARE_CR;
		return -1;
	}
	*line = s;
	*n = (size_t)(e - s);
	*p = lf + 1;
	return 0;
}

/* "HTTP/" DIGIT "." DIGIT, exactly 8 bytes. */
static int parse_version(struct hs_msg *m, const char *s, size_t n)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[5] < '0' ||
	    s[5] > '9' || s[6] != '.' || s[7] < '0' || s[7] > '9')
		return -1;
	m->version = s;
	m->version_len = n;
	m->http_major = s[5] - '0';
	m->http_minor = s[7] - '0';
	return 0;
}

/* method SP request-target SP HTTP-version */
static int parse_request_line(struct hs_msg *m, const char *s, size_t n,
			      enum perr *err)
{
	const char *end = s + n;
	const char *sp1 = memchr(s, ' ', n);
	*err = PE_START_LINE;
	if (sp1 == NULL || !is_token(s, (size_t)(sp1 - s)))
		return -1;
	const char *t = sp1 + 1;
	const char *sp2 = memchr(t, ' ', (size_t)(end - t));
	if (sp2 == NULL || sp2 == t)
		return -1;
	for (const char *q = t; q < sp2; q++) {
		/* Printable ASCII only: a URI has no SP, HT or raw 8-bit. */
		unsigned char c = (unsigned char)*q;
		if (c <= 0x20 || c >= 0x7f)
			return -1;
	}
	const char *v = sp2 + 1;
	if (parse_version(m, v, (size_t)(end - v)) != 0) {
		/* A third SP or trailing junk is a malformed line; anything
		 * else in the version slot is a malformed version. */
		*err = memchr(v, ' ', (size_t)(end - v)) != NULL
			       ? PE_START_LINE
			       : PE_HTTP_VERSION;
		return -1;
	}
	m->method = s;
	m->method_len = (size_t)(sp1 - s);
	m->target = t;
	m->target_len = (size_t)(sp2 - t);
	return 0;
}

/* HTTP-version SP 3DIGIT SP reason-phrase; the reason is any mix of HT, SP,
 * VCHAR and obs-text, which scan_head and next_line already ensure. */
static int parse_status_line(struct hs_msg *m, const char *s, size_t n,
			     enum perr *err)
{
	const char *end = s + n;
	const char *sp1 = memchr(s, ' ', n);
	*err = PE_START_LINE;
	if (sp1 == NULL)
		return -1;
	if (parse_version(m, s, (size_t)(sp1 - s)) != 0) {
		*err = PE_HTTP_VERSION;
		return -1;
	}
	const char *c = sp1 + 1;
	size_t rest = (size_t)(end - c);
	if (rest < 3 || c[0] < '0' || c[0] > '9' || c[1] < '0' || c[1] > '9' ||
	    c[2] < '0' || c[2] > '9') {
		*err = PE_STATUS;
		return -1;
	}
	m->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
	if (rest == 3) {
		/* Leniency: "HTTP/1.1 101" + CRLF.  Flagged. */
		m->flags |= HS_F_NO_REASON_SP;
		m->reason = c + 3;
		m->reason_len = 0;
		return 0;
	}
	if (c[3] != ' ') {
		*err = PE_STATUS; /* a fourth digit, or junk after three */
		return -1;
	}
	m->reason = c + 4;
	m->reason_len = rest - 4;
	return 0;
}

/* field-name ":" OWS field-value OWS */
static int parse_header_line(struct hs_header *h, const char *s, size_t n,
			     enum perr *err)
{
	const char *colon = memchr(s, ':', n);
	if (colon == NULL || !is_token(s, (size_t)(colon - s))) {
		*err = PE_HDR_SYNTAX;
		return -1;
	}
	const char *v = colon + 1, *e = s + n;
	while (v < e && is_ows(*v))
		v++;
	while (e > v && is_ows(e[-1]))
		e--;
	h->name = s;
	h->name_len = (size_t)(colon - s);
	h->value = v;
	h->value_len = (size_t)(e - v);
	return 0;
}

/* Parses the complete head buf[0..head_len), which ends with an empty
 * line.  Returns 0 or a negative code. */
static int parse_head(struct hs_msg *m, const char *buf, size_t head_len,
		      int is_req)
{
	const char *p = buf, *end = buf + head_len;
	const char *line;
	size_t n;
	enum perr err = PE_START_LINE;
	unsigned flags = 0;

	if (next_line(&p, end, &line, &n, &flags, &err) != 0)
		return code_for(is_req, err);
	if (n == 0)
		return code_for(is_req, PE_START_LINE);
	if ((is_req ? parse_request_line(m, line, n, &err)
		    : parse_status_line(m, line, n, &err)) != 0)
		return code_for(is_req, err);
	for (;;) {
		if (next_line(&p, end, &line, &n, &flags, &err) != 0)
			return code_for(is_req, err);
		if (n == 0)
			break; /* the blank line: scan_head put it last */
		if (is_ows(line[0]))
			return code_for(is_req, PE_OBS_FOLD);
		if (m->nheaders == m->header_cap)
			return WSP_E_HS_TOO_MANY_HEADERS;
		if (parse_header_line(&m->headers[m->nheaders], line, n,
				      &err) != 0)
			return code_for(is_req, err);
		m->nheaders++;
	}
	m->flags |= flags;
	m->head_len = head_len;
	return 0;
}

static int parse_any(struct hs_msg *m, const char *buf, size_t len,
		     size_t last_len, int is_req)
{
	if (m == NULL || (buf == NULL && len > 0) || last_len > len ||
	    (m->headers == NULL && m->header_cap > 0))
		return WSP_E_INVAL;
	size_t cap = m->max_head != 0 ? m->max_head : HS_DEFAULT_MAX_HEAD;
	size_t limit = len < cap ? len : cap;
	long r = last_len < limit ? scan_head(buf, last_len, limit) : 0;
	if (r < 0)
		return code_for(is_req, PE_CTL);
	if (r == 0)
		return len >= cap ? WSP_E_HS_HEAD_TOO_BIG : WSP_E_INCOMPLETE;
	/* Reset the outputs only now: an incomplete call leaves m as it
	 * was. */
	m->method = m->target = m->reason = m->version = NULL;
	m->method_len = m->target_len = m->reason_len = m->version_len = 0;
	m->status = m->http_major = m->http_minor = 0;
	m->nheaders = 0;
	m->flags = 0;
	m->head_len = 0;
	int rc = parse_head(m, buf, (size_t)r, is_req);
	if (rc != 0)
		return rc;
	/* The cap is at most what fits in an int for the return value. */
	return r > 0x7fffffffL ? WSP_E_HS_HEAD_TOO_BIG : (int)r;
}

int hs_parse_request(struct hs_msg *m, const char *buf, size_t len,
		     size_t last_len)
{
	return parse_any(m, buf, len, last_len, 1);
}

int hs_parse_response(struct hs_msg *m, const char *buf, size_t len,
		      size_t last_len)
{
	return parse_any(m, buf, len, last_len, 0);
}

/* ---- header helpers ------------------------------------------------- */

const struct hs_header *hs_find_next(const struct hs_msg *m, const char *name,
				     const struct hs_header *prev)
{
	size_t i = prev == NULL ? 0 : (size_t)(prev - m->headers) + 1;
	size_t n = strlen(name);
	for (; i < m->nheaders; i++)
		if (ieq_n(m->headers[i].name, m->headers[i].name_len, name, n))
			return &m->headers[i];
	return NULL;
}

const struct hs_header *hs_find(const struct hs_msg *m, const char *name)
{
	return hs_find_next(m, name, NULL);
}

size_t hs_count(const struct hs_msg *m, const char *name)
{
	size_t n = 0;
	for (const struct hs_header *h = hs_find(m, name); h != NULL;
	     h = hs_find_next(m, name, h))
		n++;
	return n;
}

int hs_list_next(const char *s, size_t n, size_t *pos, const char **elem,
		 size_t *elem_len)
{
	size_t i = *pos;
	while (i < n) {
		while (i < n && is_ows(s[i]))
			i++;
		size_t start = i;
		while (i < n && s[i] != ',')
			i++;
		size_t e = i;
		while (e > start && is_ows(s[e - 1]))
			e--;
		if (i < n)
			i++; /* past the comma */
		if (e > start) {
			*elem = s + start;
			*elem_len = e - start;
			*pos = i;
			return 1;
		}
	}
	*pos = n;
	return 0;
}

int hs_has_token(const struct hs_msg *m, const char *name, const char *tok)
{
	for (const struct hs_header *h = hs_find(m, name); h != NULL;
	     h = hs_find_next(m, name, h)) {
		size_t pos = 0, el;
		const char *e;
		while (hs_list_next(h->value, h->value_len, &pos, &e, &el))
			if (ieq(e, el, tok))
				return 1;
	}
	return 0;
}

/* ---- validation ----------------------------------------------------- */

static int offered_protocol(const struct hs_msg *req, const char *s, size_t n);

/* The set of codes found, -500..-627 as bits, emitted in numeric order
 * (most negative last): each code at most once, whatever order the checks
 * ran in. */
struct viol_set {
	uint64_t bits[2];
};

static void vs_add(struct viol_set *v, int code)
{
	int i = -code - 500;
	if (i >= 0 && i < 128)
		v->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static int vs_emit(const struct viol_set *v, int *out, size_t max)
{
	int n = 0;
	for (int w = 0; w < 2; w++) {
		uint64_t b = v->bits[w];
		while (b != 0) {
			int i = w * 64 + __builtin_ctzll(b);
			b &= b - 1;
			if ((size_t)n < max)
				out[n] = -500 - i;
			n++;
		}
	}
	return n;
}

/* request-target: origin-form ("/...") or an absolute http/https URI
 * (R6455-4.1-22).  The ws/wss schemes are not HTTP request targets.  A
 * fragment is never part of a resource name (RFC 6455 section 3). */
static int target_ok(const char *t, size_t n)
{
	if (n == 0)
		return 0;
	if (memchr(t, '#', n) != NULL)
		return 0;
	if (n >= 1 && t[0] == '/')
		return 1;
	if (n > 7 && ieq(t, 7, "http://"))
		return 1;
	if (n > 8 && ieq(t, 8, "https://"))
		return 1;
	return 0;
}

static void check_key(const struct hs_msg *req, struct viol_set *v)
{
	size_t nkey = hs_count(req, "Sec-WebSocket-Key");
	if (nkey == 0) {
		vs_add(v, WSP_E_HS_REQ_NO_KEY);
		return;
	}
	if (nkey > 1)
		vs_add(v, WSP_E_HS_REQ_REPEATED_KEY);
	for (const struct hs_header *h = hs_find(req, "Sec-WebSocket-Key");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Key", h)) {
		/* hs_b64_decode validates before it looks at the room, so
		 * NOSPACE here means valid base64 of more than 16 bytes. */
		uint8_t raw[HS_NONCE_LEN];
		int r = hs_b64_decode(h->value, h->value_len, raw, sizeof(raw));
		if (r == WSP_E_HS_BASE64)
			vs_add(v, WSP_E_HS_REQ_KEY_NOT_BASE64);
		else if (r != HS_NONCE_LEN)
			vs_add(v, WSP_E_HS_REQ_KEY_NOT_16);
	}
}

static void check_version(const struct hs_msg *req, struct viol_set *v)
{
	size_t nver = hs_count(req, "Sec-WebSocket-Version");
	if (nver == 0) {
		vs_add(v, WSP_E_HS_REQ_NO_VERSION);
		return;
	}
	if (nver > 1)
		vs_add(v, WSP_E_HS_REQ_REPEATED_VERSION);
	for (const struct hs_header *h =
		     hs_find(req, "Sec-WebSocket-Version");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Version", h))
		if (!eq(h->value, h->value_len, "13", 2))
			vs_add(v, WSP_E_HS_REQ_VERSION_NOT_13);
}

/* Every offered subprotocol, across repeated headers (R6455-11.3.4-01),
 * must be a token (R6455-4.1-36) and unique (R6455-4.1-37).  Duplicates are
 * looked for among the first HS_MAX_DUP_CHECK elements only: that bounds the
 * pairwise comparison, so a hostile list of thousands stays linear. */
static void check_protocols(const struct hs_msg *req, struct viol_set *v)
{
	struct {
		const char *s;
		size_t n;
	} seen[HS_MAX_DUP_CHECK];
	size_t nseen = 0;
	for (const struct hs_header *h =
		     hs_find(req, "Sec-WebSocket-Protocol");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Protocol", h)) {
		size_t pos = 0, el, nel = 0;
		const char *e;
		/* The splitter trims OWS, so "a b" stays one bad element. */
		while (hs_list_next(h->value, h->value_len, &pos, &e, &el)) {
			nel++;
			if (!is_token(e, el))
				vs_add(v, WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN);
			if (nseen == HS_MAX_DUP_CHECK)
				continue;
			for (size_t i = 0; i < nseen; i++)
				if (eq(seen[i].s, seen[i].n, e, el))
					vs_add(v,
					       WSP_E_HS_REQ_PROTOCOL_DUPLICATE);
			seen[nseen].s = e;
			seen[nseen].n = el;
			nseen++;
		}
		if (nel == 0) /* 1#token needs one element */
			vs_add(v, WSP_E_HS_REQ_PROTOCOL_BAD_TOKEN);
	}
}

static void check_req_extensions(const struct hs_msg *req, struct viol_set *v)
{
	struct ext_elem elems[1];
	for (const struct hs_header *h =
		     hs_find(req, "Sec-WebSocket-Extensions");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Extensions", h))
		if (ext_parse(h->value, h->value_len, elems, 1) < 0)
			vs_add(v, WSP_E_HS_REQ_EXT_SYNTAX);
}

int hs_check_request(const struct hs_msg *req, int *viol, size_t max)
{
	struct viol_set v;
	if (req == NULL || (viol == NULL && max > 0))
		return WSP_E_INVAL;
	memset(&v, 0, sizeof(v));

	if (req->flags & HS_F_BARE_LF)
		vs_add(&v, WSP_E_HS_REQ_BARE_LF);
	if (!eq(req->method, req->method_len, "GET", 3))
		vs_add(&v, WSP_E_HS_REQ_NOT_GET);
	if (req->http_major < 1 || (req->http_major == 1 && req->http_minor < 1))
		vs_add(&v, WSP_E_HS_REQ_OLD_HTTP);
	if (!target_ok(req->target, req->target_len))
		vs_add(&v, WSP_E_HS_REQ_BAD_TARGET);

	size_t nhost = hs_count(req, "Host");
	if (nhost == 0)
		vs_add(&v, WSP_E_HS_REQ_NO_HOST);
	else if (nhost > 1)
		vs_add(&v, WSP_E_HS_REQ_REPEATED_HOST);

	/* Both compared ASCII case-insensitively (R6455-4.2.1-04/-05). */
	if (hs_find(req, "Upgrade") == NULL)
		vs_add(&v, WSP_E_HS_REQ_NO_UPGRADE);
	else if (!hs_has_token(req, "Upgrade", "websocket"))
		vs_add(&v, WSP_E_HS_REQ_UPGRADE_NOT_WS);
	if (hs_find(req, "Connection") == NULL)
		vs_add(&v, WSP_E_HS_REQ_NO_CONNECTION);
	else if (!hs_has_token(req, "Connection", "Upgrade"))
		vs_add(&v, WSP_E_HS_REQ_CONNECTION_NO_UPGRADE);

	check_key(req, &v);
	check_version(req, &v);
	check_protocols(req, &v);
	check_req_extensions(req, &v);
	return vs_emit(&v, viol, max);
}

int hs_reject_status(const int *viol, size_t n)
{
	if (n == 0)
		return 101;
	for (size_t i = 0; i < n; i++)
		if (viol[i] == WSP_E_HS_REQ_NO_VERSION ||
		    viol[i] == WSP_E_HS_REQ_VERSION_NOT_13)
			return 426;
	return 400;
}

/* The response's subprotocol: at most one header (R6455-11.3.4-02), not
 * empty (R6455-4.2.2-10), one value (R6455-4.2.2-09) that was offered
 * (R6455-4.1-47). */
static void check_resp_protocol(const struct hs_msg *resp,
				const struct hs_msg *req, struct viol_set *v)
{
	if (hs_count(resp, "Sec-WebSocket-Protocol") > 1)
		vs_add(v, WSP_E_HS_RESP_REPEATED_PROTOCOL);
	for (const struct hs_header *h =
		     hs_find(resp, "Sec-WebSocket-Protocol");
	     h != NULL; h = hs_find_next(resp, "Sec-WebSocket-Protocol", h)) {
		size_t pos = 0, el, nel = 0;
		const char *e;
		while (hs_list_next(h->value, h->value_len, &pos, &e, &el))
			nel++;
		if (nel == 0) {
			vs_add(v, WSP_E_HS_RESP_PROTOCOL_EMPTY);
			continue;
		}
		if (nel > 1) {
			vs_add(v, WSP_E_HS_RESP_PROTOCOL_NOT_ONE);
			continue;
		}
		if (req == NULL || !offered_protocol(req, h->value,
						     h->value_len))
			vs_add(v, WSP_E_HS_RESP_PROTOCOL_NOT_OFFERED);
	}
}

/* The response's extensions: at most one header (R6455-11.3.2-02), valid
 * grammar (R6455-9.1-01), and only names the client offered
 * (R6455-4.1-46). */
static void check_resp_extensions(const struct hs_msg *resp,
				  const struct hs_msg *req, struct viol_set *v)
{
	struct ext_elem elems[HS_MAX_EXT];
	if (hs_count(resp, "Sec-WebSocket-Extensions") > 1)
		vs_add(v, WSP_E_HS_RESP_REPEATED_EXT);
	for (const struct hs_header *h =
		     hs_find(resp, "Sec-WebSocket-Extensions");
	     h != NULL; h = hs_find_next(resp, "Sec-WebSocket-Extensions", h)) {
		int n = ext_parse(h->value, h->value_len, elems, HS_MAX_EXT);
		if (n < 0) {
			vs_add(v, WSP_E_HS_RESP_EXT_SYNTAX);
			continue;
		}
		/* Names past HS_MAX_EXT are not judged. */
		size_t k = (size_t)n < HS_MAX_EXT ? (size_t)n : HS_MAX_EXT;
		for (size_t i = 0; i < k; i++) {
			int r = req == NULL ? 0
					    : hs_ext_offered(req, elems[i].name,
							     elems[i].name_len);
			if (r == 0)
				vs_add(v, WSP_E_HS_RESP_EXT_NOT_OFFERED);
		}
	}
}

int hs_check_response(const struct hs_msg *resp, const struct hs_msg *req,
		      int *viol, size_t max)
{
	struct viol_set v;
	if (resp == NULL || (viol == NULL && max > 0))
		return WSP_E_INVAL;
	memset(&v, 0, sizeof(v));

	if (resp->status != 101) {
		vs_add(&v, WSP_E_HS_RESP_NOT_101);
		return vs_emit(&v, viol, max);
	}
	if (resp->flags & HS_F_BARE_LF)
		vs_add(&v, WSP_E_HS_RESP_BARE_LF);
	if (resp->flags & HS_F_NO_REASON_SP)
		vs_add(&v, WSP_E_HS_RESP_NO_REASON_SP);
	if (resp->http_major < 1 ||
	    (resp->http_major == 1 && resp->http_minor < 1))
		vs_add(&v, WSP_E_HS_RESP_OLD_HTTP);

	/* Upgrade must be exactly "websocket" (case-insensitive), so one
	 * header with that value (R6455-4.1-43). */
	const struct hs_header *up = hs_find(resp, "Upgrade");
	if (up == NULL)
		vs_add(&v, WSP_E_HS_RESP_NO_UPGRADE);
	else if (hs_count(resp, "Upgrade") != 1 ||
		 !ieq(up->value, up->value_len, "websocket"))
		vs_add(&v, WSP_E_HS_RESP_UPGRADE_NOT_WS);
	if (hs_find(resp, "Connection") == NULL)
		vs_add(&v, WSP_E_HS_RESP_NO_CONNECTION);
	else if (!hs_has_token(resp, "Connection", "Upgrade"))
		vs_add(&v, WSP_E_HS_RESP_CONNECTION_NO_UPGRADE);

	size_t nacc = hs_count(resp, "Sec-WebSocket-Accept");
	if (nacc == 0)
		vs_add(&v, WSP_E_HS_RESP_NO_ACCEPT);
	if (nacc > 1)
		vs_add(&v, WSP_E_HS_RESP_REPEATED_ACCEPT);
	const struct hs_header *key =
		req != NULL ? hs_find(req, "Sec-WebSocket-Key") : NULL;
	if (nacc > 0 && key != NULL) {
		char want[HS_ACCEPT_LEN + 1];
		if (hs_accept_compute(key->value, key->value_len, want) !=
		    HS_ACCEPT_LEN)
			return WSP_E_INTERNAL;
		/* Surrounding whitespace is ignored (the parser trimmed
		 * it); the comparison is exact otherwise (R6455-4.1-45). */
		for (const struct hs_header *h =
			     hs_find(resp, "Sec-WebSocket-Accept");
		     h != NULL;
		     h = hs_find_next(resp, "Sec-WebSocket-Accept", h))
			if (!eq(h->value, h->value_len, want, HS_ACCEPT_LEN))
				vs_add(&v, WSP_E_HS_RESP_BAD_ACCEPT);
	}

	check_resp_protocol(resp, req, &v);
	check_resp_extensions(resp, req, &v);
	return vs_emit(&v, viol, max);
}

int hs_check_version_reject(const struct hs_msg *resp, int *viol, size_t max)
{
	struct viol_set v;
	if (resp == NULL || (viol == NULL && max > 0))
		return WSP_E_INVAL;
	memset(&v, 0, sizeof(v));
	if (resp->status == 101)
		vs_add(&v, WSP_E_HS_RESP_ACCEPTED_BAD_VERSION);
	else if (hs_find(resp, "Sec-WebSocket-Version") == NULL)
		vs_add(&v, WSP_E_HS_RESP_REJECT_NO_VERSION);
	return vs_emit(&v, viol, max);
}

/* ---- negotiation ---------------------------------------------------- */

/* 1 when s[0..n) is one of the subprotocols req offered (exact match). */
static int offered_protocol(const struct hs_msg *req, const char *s, size_t n)
{
	for (const struct hs_header *h =
		     hs_find(req, "Sec-WebSocket-Protocol");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Protocol", h)) {
		size_t pos = 0, el;
		const char *e;
		while (hs_list_next(h->value, h->value_len, &pos, &e, &el))
			if (eq(e, el, s, n))
				return 1;
	}
	return 0;
}

int hs_select_protocol(const struct hs_msg *req,
		       const char *const *supported, size_t n,
		       const char **out, size_t *out_len)
{
	if (req == NULL || (supported == NULL && n > 0))
		return WSP_E_INVAL;
	for (const struct hs_header *h =
		     hs_find(req, "Sec-WebSocket-Protocol");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Protocol", h)) {
		size_t pos = 0, el;
		const char *e;
		while (hs_list_next(h->value, h->value_len, &pos, &e, &el)) {
			for (size_t i = 0; i < n; i++) {
				if (!eq(e, el, supported[i],
					strlen(supported[i])))
					continue;
				if (out != NULL)
					*out = e;
				if (out_len != NULL)
					*out_len = el;
				return 1;
			}
		}
	}
	return 0;
}

int hs_ext_offered(const struct hs_msg *req, const char *name, size_t len)
{
	struct ext_elem elems[HS_MAX_EXT];
	int unknown = 0;
	if (req == NULL || (name == NULL && len > 0))
		return WSP_E_INVAL;
	for (const struct hs_header *h =
		     hs_find(req, "Sec-WebSocket-Extensions");
	     h != NULL; h = hs_find_next(req, "Sec-WebSocket-Extensions", h)) {
		int n = ext_parse(h->value, h->value_len, elems, HS_MAX_EXT);
		if (n < 0)
			continue;
		if ((size_t)n > HS_MAX_EXT) {
			unknown = 1;
			n = HS_MAX_EXT;
		}
		for (int i = 0; i < n; i++)
			if (eq(elems[i].name, elems[i].name_len, name, len))
				return 1;
	}
	return unknown ? WSP_E_LIMIT : 0;
}
