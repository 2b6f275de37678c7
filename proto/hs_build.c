/*
 * hs_build.c: the writing half of the opening handshake (hs.h): the strict
 * base64 codec, the key and accept computation (SHA-1 through OpenSSL's
 * EVP interface, the only library call in this module), and the request and
 * response builders.
 *
 * The builders obey the caller (STYLE.md principle 3): they write the
 * message a conforming peer would, except where struct hs_edits or a field
 * of the description says otherwise, and never refuse a value because it is
 * wrong.  A conformance harness sends wrong handshakes through them;
 * hs_check_* in hs_parse.c say what is wrong with one.
 */
#include <string.h>

#include <openssl/evp.h>

#include "hs.h"
#include "wsp_err.h"

/* RFC 6455 section 1.3: the GUID appended to the key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- base64 --------------------------------------------------------- */

static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of c, or -1 when c is not in the alphabet. */
static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int hs_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	if ((in == NULL && n > 0) || (out == NULL && cap > 0))
		return WSP_E_INVAL;
	/* need = 4 * ceil(n / 3), without overflow. */
	if (n / 3 >= 0x7fffffff / 4)
		return WSP_E_NOSPACE;
	size_t need = (n / 3 + (n % 3 != 0)) * 4;
	if (cap == 0 || need > cap - 1)
		return WSP_E_NOSPACE;
	size_t o = 0, i = 0;
	for (; n - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = b64_alpha[v >> 18];
		out[o++] = b64_alpha[(v >> 12) & 63];
		out[o++] = b64_alpha[(v >> 6) & 63];
		out[o++] = b64_alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64_alpha[v >> 18];
		out[o++] = b64_alpha[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alpha[v >> 18];
		out[o++] = b64_alpha[(v >> 12) & 63];
		out[o++] = b64_alpha[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

int hs_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	if ((in == NULL && n > 0) || (out == NULL && cap > 0))
		return WSP_E_INVAL;
	if (n % 4 != 0)
		return WSP_E_HS_BASE64;
	size_t pad = 0;
	if (n > 0 && in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	/* Validate everything first, so that the result does not depend on
	 * cap (hs_check_request relies on this). */
	for (size_t i = 0; i < n - pad; i++)
		if (b64_val((unsigned char)in[i]) < 0)
			return WSP_E_HS_BASE64;
	/* The bits the padding leaves unused must be zero (RFC 4648 section
	 * 3.5 lets a decoder insist; we do, so "...PEC==" is refused). */
	if (pad == 2 && (b64_val((unsigned char)in[n - 3]) & 0x0f) != 0)
		return WSP_E_HS_BASE64;
	if (pad == 1 && (b64_val((unsigned char)in[n - 2]) & 0x03) != 0)
		return WSP_E_HS_BASE64;
	size_t len = n / 4 * 3 - pad;
	if (len > 0x7fffffff)
		return WSP_E_LIMIT;
	if (len > cap)
		return WSP_E_NOSPACE;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = in[i + k] == '=' ? 0
						 : b64_val((unsigned char)in[i + k]);
			v = v << 6 | (uint32_t)d;
		}
		uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8),
				(uint8_t)v};
		for (size_t k = 0; k < 3 && o < len; k++)
			out[o++] = b[k];
	}
	return (int)len;
}

int hs_key_from_nonce(const uint8_t nonce[HS_NONCE_LEN],
		      char out[HS_KEY_LEN + 1])
{
	return hs_b64_encode(nonce, HS_NONCE_LEN, out, HS_KEY_LEN + 1);
}

int hs_accept_compute(const char *key, size_t len,
		      char out[HS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = 0;
	if (key == NULL && len > 0)
		return WSP_E_INVAL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx != NULL)
		ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		     (len == 0 || EVP_DigestUpdate(ctx, key, len) == 1) &&
		     EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) ==
			     1 &&
		     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return WSP_E_INTERNAL;
	return hs_b64_encode(md, 20, out, HS_ACCEPT_LEN + 1);
}

/* ---- the writer ----------------------------------------------------- */

/* Appends to out[0..cap); once something does not fit, everything after
 * is dropped and the result is NOSPACE. */
struct wr {
	char *out;
	size_t cap;
	size_t len;
	int full;
	const char *eol;
};

static void put(struct wr *w, const char *s, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = 1;
		return;
	}
	if (n > 0)
		memcpy(w->out + w->len, s, n);
	w->len += n;
}

static void put_str(struct wr *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_uint(struct wr *w, unsigned long v, int min_digits)
{
	char d[24];
	int n = 0;
	do {
		d[sizeof(d) - 1 - (size_t)n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || n < min_digits);
	put(w, d + sizeof(d) - (size_t)n, (size_t)n);
}

static void put_eol(struct wr *w)
{
	put_str(w, w->eol);
}

static int ieq_str(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* The first "set" edit for name, or NULL. */
static const struct hs_field *find_set(const struct hs_edits *ed,
				       const char *name)
{
	for (size_t i = 0; i < ed->nset; i++)
		if (ed->set[i].name != NULL && ieq_str(ed->set[i].name, name))
			return &ed->set[i];
	return NULL;
}

/*
 * Starts the standard header name.  Returns 1 when the caller must now write
 * the value it composes and then the line end; 0 when the header was
 * handled here (replaced by a "set" edit, or omitted).  present says whether
 * the builder would write the header at all; a "set" edit with a value
 * writes it either way.
 */
static int std_header(struct wr *w, const struct hs_edits *ed,
		      const char *name, int present)
{
	const struct hs_field *o = find_set(ed, name);
	if (o != NULL) {
		if (o->value != NULL) {
			put_str(w, o->name);
			put(w, ": ", 2);
			put_str(w, o->value);
			put_eol(w);
		}
		return 0;
	}
	if (!present)
		return 0;
	put_str(w, name);
	put(w, ": ", 2);
	return 1;
}

/* A whole standard header whose value is a plain string. */
static void std_header_str(struct wr *w, const struct hs_edits *ed,
			   const char *name, int present, const char *value)
{
	if (std_header(w, ed, name, present)) {
		put_str(w, value);
		put_eol(w);
	}
}

static int is_std(const char *name, const char *const *std, size_t nstd)
{
	for (size_t i = 0; i < nstd; i++)
		if (ieq_str(name, std[i]))
			return 1;
	return 0;
}

/* The "set" edits naming no standard header, the "add" edits, the raw
 * bytes and the blank line. */
static int finish(struct wr *w, const struct hs_edits *ed,
		  const char *const *std, size_t nstd)
{
	for (size_t i = 0; i < ed->nset; i++) {
		const struct hs_field *f = &ed->set[i];
		if (f->name == NULL || f->value == NULL ||
		    is_std(f->name, std, nstd))
			continue;
		put_str(w, f->name);
		put(w, ": ", 2);
		put_str(w, f->value);
		put_eol(w);
	}
	for (size_t i = 0; i < ed->nadd; i++) {
		const struct hs_field *f = &ed->add[i];
		if (f->name == NULL || f->value == NULL)
			continue;
		put_str(w, f->name);
		put(w, ": ", 2);
		put_str(w, f->value);
		put_eol(w);
	}
	if (ed->raw != NULL)
		put(w, ed->raw, ed->raw_len);
	put_eol(w);
	if (w->full)
		return WSP_E_NOSPACE;
	if (w->len > 0x7fffffff)
		return WSP_E_LIMIT;
	return (int)w->len;
}

static int edits_ok(const struct hs_edits *ed)
{
	return (ed->set != NULL || ed->nset == 0) &&
	       (ed->add != NULL || ed->nadd == 0) &&
	       (ed->raw != NULL || ed->raw_len == 0);
}

/* ---- the request ---------------------------------------------------- */

static const char *const req_std[] = {
	"Host",
	"Upgrade",
	"Connection",
	"Sec-WebSocket-Key",
	"Sec-WebSocket-Version",
	"Sec-WebSocket-Protocol",
	"Sec-WebSocket-Extensions",
	"Origin",
};

static void put_joined(struct wr *w, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			put(w, ", ", 2);
		if (v[i] != NULL)
			put_str(w, v[i]);
	}
}

int hs_build_request(const struct hs_req_desc *d, char *out, size_t cap)
{
	if (d == NULL || (out == NULL && cap > 0) || !edits_ok(&d->edits) ||
	    (d->protocols == NULL && d->nprotocols > 0) ||
	    (d->extensions == NULL && d->nextensions > 0))
		return WSP_E_INVAL;
	const struct hs_edits *ed = &d->edits;
	int host_needed = find_set(ed, "Host") == NULL;
	int key_needed = find_set(ed, "Sec-WebSocket-Key") == NULL;
	if ((host_needed && d->host == NULL) ||
	    (key_needed && d->key == NULL && d->nonce == NULL))
		return WSP_E_INVAL;
	struct wr w = {out, cap, 0, 0, ed->eol != NULL ? ed->eol : "\r\n"};

	put_str(&w, d->method != NULL ? d->method : "GET");
	put(&w, " ", 1);
	put_str(&w, d->target != NULL ? d->target : "/");
	put(&w, " ", 1);
	put_str(&w, d->http_version != NULL ? d->http_version : "HTTP/1.1");
	put_eol(&w);

	if (std_header(&w, ed, "Host", 1)) {
		put_str(&w, d->host);
		if (d->port != 0) {
			put(&w, ":", 1);
			put_uint(&w, d->port, 1);
		}
		put_eol(&w);
	}
	std_header_str(&w, ed, "Upgrade", 1, "websocket");
	std_header_str(&w, ed, "Connection", 1, "Upgrade");
	if (std_header(&w, ed, "Sec-WebSocket-Key", 1)) {
		if (d->key != NULL) {
			put_str(&w, d->key);
		} else {
			char key[HS_KEY_LEN + 1];
			hs_key_from_nonce(d->nonce, key);
			put(&w, key, HS_KEY_LEN);
		}
		put_eol(&w);
	}
	std_header_str(&w, ed, "Sec-WebSocket-Version", 1,
		       d->ws_version != NULL ? d->ws_version : "13");
	if (std_header(&w, ed, "Sec-WebSocket-Protocol", d->nprotocols > 0)) {
		put_joined(&w, d->protocols, d->nprotocols);
		put_eol(&w);
	}
	if (std_header(&w, ed, "Sec-WebSocket-Extensions",
		       d->nextensions > 0)) {
		put_joined(&w, d->extensions, d->nextensions);
		put_eol(&w);
	}
	std_header_str(&w, ed, "Origin", d->origin != NULL,
		       d->origin != NULL ? d->origin : "");
	return finish(&w, ed, req_std, sizeof(req_std) / sizeof(req_std[0]));
}

/* ---- the response --------------------------------------------------- */

static const char *const resp_std[] = {
	"Upgrade",
	"Connection",
	"Sec-WebSocket-Accept",
	"Sec-WebSocket-Protocol",
	"Sec-WebSocket-Extensions",
	"Sec-WebSocket-Version",
	"Content-Length",
};

const char *hs_reason_phrase(int status)
{
	switch (status) {
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 426:
		return "Upgrade Required";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

int hs_build_response(const struct hs_resp_desc *d, char *out, size_t cap)
{
	if (d == NULL || (out == NULL && cap > 0) || !edits_ok(&d->edits) ||
	    d->status < 0 || d->status > 999)
		return WSP_E_INVAL;
	const struct hs_edits *ed = &d->edits;
	int status = d->status != 0 ? d->status : 101;
	int up = status == 101;
	char accept[HS_ACCEPT_LEN + 1];
	const char *acc = d->accept;
	if (up && acc == NULL && find_set(ed, "Sec-WebSocket-Accept") == NULL) {
		if (d->key == NULL)
			return WSP_E_INVAL;
		if (hs_accept_compute(d->key, strlen(d->key), accept) !=
		    HS_ACCEPT_LEN)
			return WSP_E_INTERNAL;
		acc = accept;
	}
	struct wr w = {out, cap, 0, 0, ed->eol != NULL ? ed->eol : "\r\n"};

	if (d->status_line != NULL) {
		put_str(&w, d->status_line);
	} else {
		put_str(&w, d->http_version != NULL ? d->http_version
						    : "HTTP/1.1");
		put(&w, " ", 1);
		put_uint(&w, (unsigned long)status, 3);
		put(&w, " ", 1);
		put_str(&w, d->reason != NULL ? d->reason
					      : hs_reason_phrase(status));
	}
	put_eol(&w);

	std_header_str(&w, ed, "Upgrade", up, "websocket");
	std_header_str(&w, ed, "Connection", up, "Upgrade");
	std_header_str(&w, ed, "Sec-WebSocket-Accept", up || acc != NULL,
		       acc != NULL ? acc : "");
	std_header_str(&w, ed, "Sec-WebSocket-Protocol", d->protocol != NULL,
		       d->protocol != NULL ? d->protocol : "");
	std_header_str(&w, ed, "Sec-WebSocket-Extensions",
		       d->extensions != NULL,
		       d->extensions != NULL ? d->extensions : "");
	const char *ver = d->ws_version;
	if (ver == NULL && status == 426)
		ver = "13"; /* R6455-4.2.2-07, R6455-4.4-01 */
	std_header_str(&w, ed, "Sec-WebSocket-Version", ver != NULL,
		       ver != NULL ? ver : "");
	std_header_str(&w, ed, "Content-Length",
		       status >= 200 && status != 204 && status != 304, "0");
	return finish(&w, ed, resp_std,
		      sizeof(resp_std) / sizeof(resp_std[0]));
}
