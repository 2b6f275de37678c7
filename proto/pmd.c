/*
 * pmd.c: permessage-deflate (RFC 7692) on zlib: parameter parsing and
 * negotiation for both sides, and the per-message compressor and
 * decompressor.  The contract is in pmd.h; this file explains the how.
 *
 * Parameters come from ext_parse() elements, so the header grammar is
 * already checked; here each permessage-deflate parameter is judged by the
 * section 7.1 rules of its direction (offer or response).
 *
 * Compression (section 7.2.1).  A message's input goes to deflate() with
 * Z_NO_FLUSH, and its last slice with Z_BLOCK, straight into the caller's
 * buffer.  Z_BLOCK finishes the current block without byte-aligning it and
 * can be repeated harmlessly, so "is the message out?" has a definite
 * answer (deflate returns with output room left) whatever the caller's
 * buffer sizes.  Only then is Z_SYNC_FLUSH called, into a 16-byte buffer of
 * ours: it emits the at most 7 held bits, the empty stored block's 3 header
 * bits and padding (1 or 2 bytes) and 00 00 ff ff.  Those four octets are
 * dropped (R7692-7.2.1-01) and the rest copied out.  Calling Z_SYNC_FLUSH
 * directly into the caller's buffer would not do: when it fills the buffer
 * exactly, a second call cannot tell whether the flush had completed and
 * may emit a second, redundant marker.
 *
 * Decompression (section 7.2.2).  The payload slices go to inflate()
 * straight into the caller's buffer, then the four octets 00 00 ff ff from
 * a static array.  The message is complete when all of it is taken, no
 * output is pending and zlib sits at a block boundary with no leftover bits
 * (data_type bit 128 and low bits 0, read with care: see pmd_inflate).  Output room handed to zlib is capped
 * at limit + 1 - (bytes already produced), so the limit can be overshot by
 * one byte at most and a bomb is stopped after that much work.
 *
 * What zlib 1.2.13 checks about distances (measured on this machine, see
 * check_pmd): raw inflate with windowBits w rejects a back-reference only
 * if it reaches past the window (the last 2^w bytes of earlier calls) plus
 * whatever the current inflate() call has already written.  So a reference
 * before the start of the stream (or of the message, after a
 * no_context_takeover reset) is always caught at the same byte, but one that
 * is merely longer than 2^w (w < 15) is caught only if the caller's output
 * buffer boundaries happen to cut it off.  Window violations are therefore
 * best-effort; everything else is independent of slicing.
 */
#define ZLIB_CONST
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#ifdef WSP_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "pmd.h"
#include "wsp_err.h"

/* ------------------------------------------------------------------------
 * Parameters
 */

enum { P_SNCT, P_CNCT, P_SMWB, P_CMWB };

static const char *const param_names[] = {
	"server_no_context_takeover",
	"client_no_context_takeover",
	"server_max_window_bits",
	"client_max_window_bits",
};

/* The codes of one direction: offers (R7692-7-01) or responses
 * (R7692-7-06). */
struct dir_codes {
	int unknown;
	int dup;
	int value_not_allowed;
	int server_bits;
	int client_bits;
	int offer; /* client_max_window_bits may lack a value */
};

static const struct dir_codes offer_codes = {
	WSP_E_PMD_OFFER_UNKNOWN_PARAM, WSP_E_PMD_OFFER_DUP_PARAM,
	WSP_E_PMD_OFFER_VALUE_NOT_ALLOWED, WSP_E_PMD_OFFER_SERVER_BITS,
	WSP_E_PMD_OFFER_CLIENT_BITS, 1
};

static const struct dir_codes resp_codes = {
	WSP_E_PMD_RESP_UNKNOWN_PARAM, WSP_E_PMD_RESP_DUP_PARAM,
	WSP_E_PMD_RESP_VALUE_NOT_ALLOWED, WSP_E_PMD_RESP_SERVER_BITS,
	WSP_E_PMD_RESP_CLIENT_BITS, 0
};

static int name_is(const char *s, size_t n, const char *want)
{
	size_t wn = strlen(want);
	return n == wn && memcmp(s, want, n) == 0;
}

int pmd_is_pmd(const struct ext_elem *e)
{
	return e != NULL && name_is(e->name, e->name_len, PMD_NAME);
}

static int param_index(const struct ext_param *p)
{
	for (int i = 0; i < 4; i++)
		if (name_is(p->name, p->name_len, param_names[i]))
			return i;
	return -1;
}

/* The value of a *_max_window_bits parameter: 8..15 written as 1*DIGIT
 * without leading zeros (R7692-7.1.2.1-02 and friends), judged after
 * unescaping a quoted-string.  Returns -1 when missing or invalid. */
static int parse_bits(const struct ext_param *p)
{
	char v[3];
	if (!p->has_value)
		return -1;
	int n = ext_param_value(p, v, sizeof(v));
	if (n == 1 && (v[0] == '8' || v[0] == '9'))
		return v[0] - '0';
	if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
		return 10 + (v[1] - '0');
	return -1;
}

static int parse_elem(const struct ext_elem *e, struct pmd_params *out,
		      const struct dir_codes *k)
{
	unsigned seen = 0;
	memset(out, 0, sizeof(*out));
	if (!pmd_is_pmd(e) || e->nparams > EXT_MAX_PARAMS)
		return WSP_E_INVAL;
	for (size_t i = 0; i < e->nparams; i++) {
		const struct ext_param *p = &e->params[i];
		int which = param_index(p);
		int bits;
		if (which < 0)
			return k->unknown;
		if (seen & (1u << which))
			return k->dup;
		seen |= 1u << which;
		switch (which) {
		case P_SNCT:
		case P_CNCT:
			/* "This extension parameter has no value." */
			if (p->has_value)
				return k->value_not_allowed;
			if (which == P_SNCT)
				out->server_no_context_takeover = 1;
			else
				out->client_no_context_takeover = 1;
			break;
		case P_SMWB:
			bits = parse_bits(p);
			if (bits < 0)
				return k->server_bits;
			out->server_max_window_bits = bits;
			break;
		default: /* P_CMWB */
			if (!p->has_value && k->offer) {
				out->client_max_window_bits_novalue = 1;
				break;
			}
			bits = parse_bits(p);
			if (bits < 0)
				return k->client_bits;
			out->client_max_window_bits = bits;
			break;
		}
	}
	return 0;
}

int pmd_parse_offer(const struct ext_elem *e, struct pmd_params *out)
{
	if (out == NULL)
		return WSP_E_INVAL;
	return parse_elem(e, out, &offer_codes);
}

int pmd_parse_response(const struct ext_elem *e, struct pmd_params *out)
{
	if (out == NULL)
		return WSP_E_INVAL;
	return parse_elem(e, out, &resp_codes);
}

static int bits_ok(int b)
{
	return b >= 8 && b <= 15;
}

/* Appends s to buf at *len, keeping a NUL; returns 0 or WSP_E_NOSPACE. */
static int put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (cap == 0 || n > cap - 1 - *len) {
		size_t room = cap > *len + 1 ? cap - 1 - *len : 0;
		if (cap > 0) {
			memcpy(buf + *len, s, room);
			buf[*len + room] = '\0';
			*len += room;
		}
		return WSP_E_NOSPACE;
	}
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static int put_bits(char *buf, size_t cap, size_t *len, const char *name,
		    int bits)
{
	char v[4] = {'=', '0', '\0', '\0'};
	int rc = put(buf, cap, len, "; ");
	if (rc == 0)
		rc = put(buf, cap, len, name);
	if (bits <= 0 || rc < 0)
		return rc;
	if (bits >= 10) {
		v[1] = '1';
		v[2] = (char)('0' + bits - 10);
	} else {
		v[1] = (char)('0' + bits);
	}
	return put(buf, cap, len, v);
}

int pmd_params_format(const struct pmd_params *p, char *buf, size_t cap)
{
	size_t len = 0;
	int rc;
	if (p == NULL || (buf == NULL && cap > 0))
		return WSP_E_INVAL;
	if ((p->server_max_window_bits != 0 &&
	     !bits_ok(p->server_max_window_bits)) ||
	    (p->client_max_window_bits != 0 &&
	     !bits_ok(p->client_max_window_bits)))
		return WSP_E_INVAL;
	if (cap > 0)
		buf[0] = '\0';
	rc = put(buf, cap, &len, PMD_NAME);
	if (rc == 0 && p->server_no_context_takeover)
		rc = put_bits(buf, cap, &len, param_names[P_SNCT], 0);
	if (rc == 0 && p->client_no_context_takeover)
		rc = put_bits(buf, cap, &len, param_names[P_CNCT], 0);
	if (rc == 0 && p->server_max_window_bits != 0)
		rc = put_bits(buf, cap, &len, param_names[P_SMWB],
			      p->server_max_window_bits);
	if (rc == 0 && p->client_max_window_bits != 0)
		rc = put_bits(buf, cap, &len, param_names[P_CMWB],
			      p->client_max_window_bits);
	else if (rc == 0 && p->client_max_window_bits_novalue)
		rc = put_bits(buf, cap, &len, param_names[P_CMWB], 0);
	if (rc < 0)
		return rc;
	if (len > INT_MAX)
		return WSP_E_NOSPACE;
	return (int)len;
}

/* ------------------------------------------------------------------------
 * Server side
 */

void pmd_server_cfg_init(struct pmd_server_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->server_max_window_bits = 15;
	cfg->server_min_window_bits = 8;
	cfg->client_max_window_bits = 15;
}

static void agree(const struct pmd_params *r, struct pmd_agreed *a)
{
	a->server_no_context_takeover = r->server_no_context_takeover;
	a->client_no_context_takeover = r->client_no_context_takeover;
	a->server_max_window_bits =
		r->server_max_window_bits ? r->server_max_window_bits : 15;
	a->client_max_window_bits =
		r->client_max_window_bits ? r->client_max_window_bits : 15;
}

/* Builds the response to a valid offer o under cfg.  Returns 1, or 0 when
 * cfg does not support the offer (R7692-7-05). */
static int answer(const struct pmd_server_cfg *cfg,
		  const struct pmd_params *o, struct pmd_params *r)
{
	memset(r, 0, sizeof(*r));

	/* R7692-7.1.1.1-02: accepting server_no_context_takeover means
	 * echoing it; R7692-7.1.1.1-04: it may be sent unasked. */
	if (o->server_no_context_takeover) {
		if (cfg->refuse_server_no_context_takeover)
			return 0;
		r->server_no_context_takeover = 1;
	} else if (cfg->server_no_context_takeover) {
		r->server_no_context_takeover = 1;
	}

	/* R7692-7.1.1.2-02: allowed either way; echoing the client's hint
	 * costs nothing and frees our decompression window between
	 * messages. */
	if (o->client_no_context_takeover || cfg->client_no_context_takeover)
		r->client_no_context_takeover = 1;

	/* R7692-7.1.2.1-03/04: echo the same or a smaller value, or decline
	 * if we cannot compress with that little; R7692-7.1.2.1-06: announce
	 * a smaller window unasked. */
	int sbits = cfg->server_max_window_bits;
	if (o->server_max_window_bits != 0) {
		if (o->server_max_window_bits < cfg->server_min_window_bits)
			return 0;
		if (o->server_max_window_bits < sbits)
			sbits = o->server_max_window_bits;
		r->server_max_window_bits = sbits;
	} else if (sbits < 15) {
		r->server_max_window_bits = sbits;
	}

	/* R7692-7.1.2.2-03/05: only if offered, never above the offered
	 * value; absent means 15. */
	if (o->client_max_window_bits != 0 ||
	    o->client_max_window_bits_novalue) {
		int cbits = cfg->client_max_window_bits;
		if (o->client_max_window_bits != 0 &&
		    o->client_max_window_bits < cbits)
			cbits = o->client_max_window_bits;
		if (cbits < 15)
			r->client_max_window_bits = cbits;
	}
	return 1;
}

int pmd_server_negotiate(const struct pmd_server_cfg *cfg,
			 const struct ext_elem *offers, size_t n,
			 struct pmd_agreed *agreed, size_t *chosen,
			 char *resp, size_t cap, size_t *resp_len,
			 int *first_err)
{
	if (first_err != NULL)
		*first_err = 0;
	if (resp_len != NULL)
		*resp_len = 0;
	if (cfg == NULL || agreed == NULL || (offers == NULL && n > 0) ||
	    (resp == NULL && cap > 0) ||
	    !bits_ok(cfg->server_max_window_bits) ||
	    !bits_ok(cfg->server_min_window_bits) ||
	    !bits_ok(cfg->client_max_window_bits) ||
	    cfg->server_min_window_bits > cfg->server_max_window_bits)
		return WSP_E_INVAL;
	if (cap > 0)
		resp[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct pmd_params o, r;
		if (!pmd_is_pmd(&offers[i]))
			continue;
		int rc = pmd_parse_offer(&offers[i], &o);
		if (rc < 0) {
			/* R7692-7-01: decline it, try the next one. */
			if (first_err != NULL && *first_err == 0)
				*first_err = rc;
			continue;
		}
		if (!answer(cfg, &o, &r))
			continue;
		rc = pmd_params_format(&r, resp, cap);
		if (rc < 0) {
			if (cap > 0)
				resp[0] = '\0';
			return rc;
		}
		if (resp_len != NULL)
			*resp_len = (size_t)rc;
		if (chosen != NULL)
			*chosen = i;
		agree(&r, agreed);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Client side
 */

void pmd_client_cfg_init(struct pmd_client_cfg *cfg)
{
	cfg->client_min_window_bits = 8;
}

int pmd_client_accept(const struct pmd_params *offer,
		      const struct pmd_params *resp,
		      const struct pmd_client_cfg *cfg,
		      struct pmd_agreed *agreed)
{
	int cmin = cfg != NULL ? cfg->client_min_window_bits : 8;
	if (offer == NULL || resp == NULL || agreed == NULL)
		return WSP_E_INVAL;
	if (resp->client_max_window_bits != 0 &&
	    offer->client_max_window_bits == 0 &&
	    !offer->client_max_window_bits_novalue)
		return WSP_E_PMD_RESP_CLIENT_BITS_UNOFFERED;
	if (resp->client_max_window_bits != 0 &&
	    offer->client_max_window_bits != 0 &&
	    resp->client_max_window_bits > offer->client_max_window_bits)
		return WSP_E_PMD_RESP_CLIENT_BITS_LARGER;
	if (offer->server_max_window_bits != 0 &&
	    resp->server_max_window_bits > offer->server_max_window_bits)
		return WSP_E_PMD_RESP_SERVER_BITS_LARGER;
	if (offer->server_max_window_bits != 0 &&
	    resp->server_max_window_bits == 0)
		return WSP_E_PMD_RESP_SERVER_BITS_MISSING;
	if (offer->server_no_context_takeover &&
	    !resp->server_no_context_takeover)
		return WSP_E_PMD_RESP_SNCT_MISSING;
	struct pmd_agreed a;
	agree(resp, &a);
	if (a.client_max_window_bits < cmin)
		return WSP_E_PMD_RESP_UNSUPPORTED;
	*agreed = a;
	return 0;
}

int pmd_client_check(const struct pmd_params *offers, size_t noffers,
		     const struct ext_elem *resp, size_t nresp,
		     const struct pmd_client_cfg *cfg,
		     struct pmd_agreed *agreed)
{
	size_t found = 0, at = 0;
	struct pmd_params r;
	if ((offers == NULL && noffers > 0) || (resp == NULL && nresp > 0) ||
	    agreed == NULL)
		return WSP_E_INVAL;
	for (size_t i = 0; i < nresp; i++) {
		if (pmd_is_pmd(&resp[i])) {
			if (found == 0)
				at = i;
			found++;
		}
	}
	if (found == 0)
		return 0;
	if (noffers == 0)
		return WSP_E_PMD_RESP_NOT_OFFERED;
	if (found > 1)
		return WSP_E_PMD_RESP_MULTIPLE;
	int rc = pmd_parse_response(&resp[at], &r);
	if (rc < 0)
		return rc;
	int first = 0;
	for (size_t i = 0; i < noffers; i++) {
		rc = pmd_client_accept(&offers[i], &r, cfg, agreed);
		if (rc == 0)
			return 1;
		if (i == 0)
			first = rc;
	}
	return first;
}

void pmd_agreed_streams(const struct pmd_agreed *a, enum wsp_role self,
			struct pmd_deflate_cfg *dc, struct pmd_inflate_cfg *ic)
{
	int server = self == WSP_ROLE_SERVER;
	if (dc != NULL) {
		dc->window_bits = server ? a->server_max_window_bits
					 : a->client_max_window_bits;
		dc->no_context_takeover = server
						  ? a->server_no_context_takeover
						  : a->client_no_context_takeover;
	}
	if (ic != NULL) {
		ic->window_bits = server ? a->client_max_window_bits
					 : a->server_max_window_bits;
		ic->no_context_takeover = server
						  ? a->client_no_context_takeover
						  : a->server_no_context_takeover;
		ic->peer = server ? WSP_ROLE_CLIENT : WSP_ROLE_SERVER;
	}
}

/* ------------------------------------------------------------------------
 * zlib glue
 */

/* zlib's opaque pointer: the allocator of the object that owns the
 * stream. */
struct zmem {
	const struct wsp_mem *mem;
};

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	const struct zmem *zm = opaque;
	if (size != 0 && items > SIZE_MAX / size)
		return Z_NULL;
	return wsp_malloc(zm->mem, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
	const struct zmem *zm = opaque;
	wsp_free(zm->mem, p);
}

static uInt clamp_uint(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (uInt)n;
}

/* The marker a sync flush ends with, stripped by the sender and appended
 * by the receiver (R7692-7.2.1-01, R7692-7.2.2-01). */
static const unsigned char sync_tail[4] = {0x00, 0x00, 0xff, 0xff};

/* ------------------------------------------------------------------------
 * Compressor
 */

enum { PH_DATA, PH_FLUSH, PH_TAIL };

struct isal_engine;
struct isal_inflater;

struct pmd_deflater {
	z_stream zs;
	struct zmem zm;
	struct isal_engine *isal; /* non-NULL: ISA-L compresses, not zs */
	int no_takeover;
	int in_msg;        /* a message has started and is not DONE */
	int phase;         /* PH_*, within a message */
	int dirty;         /* the stream has seen a message since reset */
	int err;           /* sticky error, 0 if none */
	unsigned char tail[16]; /* the sync flush's output */
	unsigned tail_len; /* bytes of tail to copy out (marker excluded) */
	unsigned tail_pos;
};

void pmd_deflate_cfg_init(struct pmd_deflate_cfg *cfg)
{
	cfg->window_bits = 15;
	cfg->no_context_takeover = 0;
	cfg->level = Z_DEFAULT_COMPRESSION;
	cfg->mem_level = 8;
	cfg->strategy = Z_DEFAULT_STRATEGY;
	cfg->engine = PMD_ENGINE_ZLIB;
}

int pmd_engine_available(enum pmd_engine e)
{
#ifdef WSP_HAVE_ISAL
	return e == PMD_ENGINE_ZLIB || e == PMD_ENGINE_ISAL;
#else
	return e == PMD_ENGINE_ZLIB;
#endif
}

const char *pmd_engine_name(enum pmd_engine e)
{
	switch (e) {
	case PMD_ENGINE_ZLIB:
		return "zlib";
	case PMD_ENGINE_ISAL:
		return "isa-l";
	}
	return "?";
}

/* ------------------------------------------------------------------------
 * The ISA-L engine (igzip level 1).
 *
 * isal_deflate has no Z_BLOCK: its sync flush writes the end of the data
 * and the 00 00 ff ff marker in one go, into whatever room it is given.
 * So its output goes to a staging buffer of ours, and the last four bytes
 * staged are held back until the flush is known to be complete (room left
 * over, igzip's documented test); they are then the marker, checked and
 * dropped (R7692-7.2.1-01).  Everything before them is copied out as the
 * caller's room allows.  Without context takeover each message starts
 * with isal_deflate_reset, so it refers to nothing before it
 * (R7692-7.2.1-08/11).  (FULL_FLUSH would do that too, but igzip's output
 * after it was seen to depend on where the stream object sits in memory:
 * 85 runs in 2000 differed; reset and sync flush give the same bytes
 * every time.)  hist_bits is
 * the agreed window, 8 included: igzip never reaches back further
 * (check_pmd inflates its output with zlib at that window).  An empty
 * message (no input byte in any of its calls) is the single octet 00 (a
 * stored block header and its padding), written without calling igzip:
 * the stream is byte-aligned between messages, and nothing enters the
 * history.
 */
#ifdef WSP_HAVE_ISAL
/* igzip stores a block that does not shrink only when the whole block
 * fits the output room it is given (its blocks hold up to 64 KiB of
 * input).  With a 16 KiB stage, 128 KiB of random bytes came out
 * Huffman-coded (131161 bytes instead of 131089 stored), compressed at
 * 589 MB/s instead of 840 and inflated at 313 MB/s instead of 16262, for
 * us and for the peer (make bench BENCH=pmd, the "random" rows, same
 * machine).  The stage is drained before every igzip call, so igzip sees
 * this room whatever the caller's slicing: the bytes still do not depend
 * on it. */
#define ISAL_STAGE 65536
#define ISAL_LEVEL_BUF ISAL_DEF_LVL1_DEFAULT

struct isal_engine {
	struct isal_zstream zs;
	int no_takeover;
	int flushed;         /* this message's flush completed, marker gone */
	int empty;           /* no input seen yet in this message */
	size_t stage_len;    /* bytes in stage */
	size_t stage_pos;    /* bytes of stage already copied out */
	unsigned char stage[ISAL_STAGE];
	unsigned char level_buf[ISAL_LEVEL_BUF];
};

static struct isal_engine *isal_new(const struct pmd_deflate_cfg *cfg,
				    const struct wsp_mem *mem)
{
	struct isal_engine *x = wsp_malloc(mem, sizeof(*x));
	if (x == NULL)
		return NULL;
	memset(x, 0, offsetof(struct isal_engine, stage));
	isal_deflate_init(&x->zs);
	x->zs.level = 1;
	x->zs.level_buf = x->level_buf;
	x->zs.level_buf_size = ISAL_LEVEL_BUF;
	x->zs.hist_bits = (uint16_t)cfg->window_bits;
	x->zs.gzip_flag = IGZIP_DEFLATE;
	x->zs.end_of_stream = 0;
	x->no_takeover = cfg->no_context_takeover != 0;
	return x;
}

/* One call of pmd_deflate on the ISA-L engine; same contract.  *first is
 * 1 when this call starts a message. */
static int isal_deflate_call(struct pmd_deflater *c, int first,
			     const unsigned char *ip, size_t n, int fin,
			     unsigned char *op, size_t cap, size_t *ic,
			     size_t *oc)
{
	struct isal_engine *x = c->isal;

	if (first) {
		x->flushed = 0;
		x->stage_len = 0;
		x->stage_pos = 0;
		x->empty = 1;
		if (x->no_takeover)
			isal_deflate_reset(&x->zs);
	}
	if (n > 0)
		x->empty = 0;
	if (fin && x->empty && !x->flushed) {
		x->stage[0] = 0x00;
		x->stage_len = 1;
		x->flushed = 1;
	}
	for (;;) {
		/* Copy out what is staged, but for a possible marker. */
		size_t keep = x->flushed ? 0 : sizeof(sync_tail);
		size_t staged = x->stage_len - x->stage_pos;
		if (staged > keep) {
			size_t k = staged - keep;
			if (k > cap - *oc)
				k = cap - *oc;
			memcpy(op + *oc, x->stage + x->stage_pos, k);
			x->stage_pos += k;
			*oc += k;
			staged -= k;
		}
		if (x->flushed)
			return staged == 0 ? PMD_DONE : PMD_NEED_OUTPUT;
		if (staged > keep)
			return PMD_NEED_OUTPUT;
		if (!fin && *ic == n)
			return PMD_NEED_INPUT;
		/* Only the held-back bytes remain: move them to the front. */
		memmove(x->stage, x->stage + x->stage_pos, staged);
		x->stage_len = staged;
		x->stage_pos = 0;

		size_t left = n - *ic;
		uint32_t ai = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
		int last = fin && ai == left;
		x->zs.flush = !last ? NO_FLUSH : SYNC_FLUSH;
		x->zs.next_in = ai > 0 ? (uint8_t *)(uintptr_t)(ip + *ic)
				       : (uint8_t *)(uintptr_t)sync_tail;
		x->zs.avail_in = ai;
		x->zs.next_out = x->stage + x->stage_len;
		x->zs.avail_out = (uint32_t)(ISAL_STAGE - x->stage_len);
		if (isal_deflate(&x->zs) != COMP_OK)
			return WSP_E_INTERNAL;
		*ic += ai - x->zs.avail_in;
		x->stage_len = ISAL_STAGE - x->zs.avail_out;
		if (last && x->zs.avail_in == 0 &&
		    (x->zs.avail_out > 0 ||
		     x->zs.internal_state.state == ZSTATE_NEW_HDR)) {
			if (x->stage_len < sizeof(sync_tail) ||
			    memcmp(x->stage + x->stage_len - sizeof(sync_tail),
				   sync_tail, sizeof(sync_tail)) != 0)
				return WSP_E_INTERNAL;
			x->stage_len -= sizeof(sync_tail);
			x->flushed = 1;
		}
	}
}
#endif

int pmd_deflater_new(struct pmd_deflater **out,
		     const struct pmd_deflate_cfg *cfg,
		     const struct wsp_mem *mem)
{
	if (out == NULL || cfg == NULL || !bits_ok(cfg->window_bits) ||
	    cfg->level < -1 || cfg->level > 9 || cfg->mem_level < 1 ||
	    cfg->mem_level > 9 || cfg->strategy < 0 || cfg->strategy > Z_FIXED)
		return WSP_E_INVAL;
	if (cfg->engine != PMD_ENGINE_ZLIB &&
	    (!pmd_engine_available(cfg->engine) ||
	     (cfg->level != -1 && cfg->level != 1)))
		return WSP_E_INVAL;
	*out = NULL;
	struct pmd_deflater *c = wsp_malloc(mem, sizeof(*c));
	if (c == NULL)
		return WSP_E_NOMEM;
	memset(c, 0, sizeof(*c));
	c->zm.mem = mem;
#ifdef WSP_HAVE_ISAL
	if (cfg->engine == PMD_ENGINE_ISAL) {
		c->isal = isal_new(cfg, mem);
		if (c->isal == NULL) {
			wsp_free(mem, c);
			return WSP_E_NOMEM;
		}
		*out = c;
		return 0;
	}
#endif
	c->zs.zalloc = z_alloc;
	c->zs.zfree = z_free;
	c->zs.opaque = &c->zm;
	c->no_takeover = cfg->no_context_takeover != 0;
	/* zlib refuses raw windowBits 8; 9 never reaches back more than 250
	 * bytes (see pmd.h), inside the 256 that 8 allows. */
	int wbits = cfg->window_bits == 8 ? 9 : cfg->window_bits;
	int zr = deflateInit2(&c->zs, cfg->level, Z_DEFLATED, -wbits,
			      cfg->mem_level, cfg->strategy);
	if (zr != Z_OK) {
		wsp_free(mem, c);
		return zr == Z_MEM_ERROR ? WSP_E_NOMEM : WSP_E_INTERNAL;
	}
	*out = c;
	return 0;
}

void pmd_deflater_free(struct pmd_deflater *c)
{
	if (c == NULL)
		return;
	if (c->isal != NULL)
		wsp_free(c->zm.mem, c->isal);
	else
		deflateEnd(&c->zs);
	wsp_free(c->zm.mem, c);
}

static int deflate_fail(struct pmd_deflater *c, int code)
{
	c->err = code;
	return code;
}

int pmd_deflate(struct pmd_deflater *c, const void *in, size_t n, int fin,
		void *out, size_t cap, size_t *consumed, size_t *produced)
{
	const unsigned char *ip = in;
	unsigned char *op = out;
	size_t ic = 0, oc = 0;
	int status;

	if (consumed == NULL || produced == NULL)
		return WSP_E_INVAL;
	*consumed = 0;
	*produced = 0;
	if (c == NULL)
		return WSP_E_INVAL;
	if (c->err != 0)
		return c->err;
	if (op == NULL || cap == 0 || (ip == NULL && n > 0))
		return WSP_E_INVAL;

#ifdef WSP_HAVE_ISAL
	if (c->isal != NULL) {
		int first = !c->in_msg;
		c->in_msg = 1;
		status = isal_deflate_call(c, first, ip, n, fin, op, cap, &ic,
					   &oc);
		if (status < 0)
			return deflate_fail(c, status);
		if (status == PMD_DONE)
			c->in_msg = 0;
		goto done;
	}
#endif
	if (!c->in_msg) {
		/* R7692-7.2.1-08/11: a fresh window per message. */
		if (c->no_takeover && c->dirty &&
		    deflateReset(&c->zs) != Z_OK)
			return deflate_fail(c, WSP_E_INTERNAL);
		c->dirty = 1;
		c->in_msg = 1;
		c->phase = PH_DATA;
	}

	while (c->phase == PH_DATA) {
		uInt ai = clamp_uint(n - ic);
		uInt ao = clamp_uint(cap - oc);
		int flush = fin && ai == n - ic ? Z_BLOCK : Z_NO_FLUSH;
		if (flush == Z_NO_FLUSH && ai == 0) {
			status = PMD_NEED_INPUT;
			goto done;
		}
		if (ao == 0) {
			status = PMD_NEED_OUTPUT;
			goto done;
		}
		c->zs.next_in = ip != NULL ? ip + ic : sync_tail;
		c->zs.avail_in = ai;
		c->zs.next_out = op + oc;
		c->zs.avail_out = ao;
		int zr = deflate(&c->zs, flush);
		ic += ai - c->zs.avail_in;
		oc += ao - c->zs.avail_out;
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return deflate_fail(c, WSP_E_INTERNAL);
		/* With a flush requested, output room left over means the
		 * flush is complete and all input taken (zlib's contract). */
		if (flush == Z_BLOCK && c->zs.avail_out > 0) {
			if (c->zs.avail_in != 0)
				return deflate_fail(c, WSP_E_INTERNAL);
			c->phase = PH_FLUSH;
		}
	}

	if (c->phase == PH_FLUSH) {
		c->zs.next_in = sync_tail;
		c->zs.avail_in = 0;
		c->zs.next_out = c->tail;
		c->zs.avail_out = sizeof(c->tail);
		int zr = deflate(&c->zs, Z_SYNC_FLUSH);
		unsigned len = (unsigned)sizeof(c->tail) - c->zs.avail_out;
		if (zr != Z_OK || c->zs.avail_out == 0 || len < 4 ||
		    memcmp(c->tail + len - 4, sync_tail, 4) != 0)
			return deflate_fail(c, WSP_E_INTERNAL);
		c->tail_len = len - 4;
		c->tail_pos = 0;
		c->phase = PH_TAIL;
	}

	/* PH_TAIL: the last 1 or 2 bytes of the block header and padding. */
	while (c->tail_pos < c->tail_len && oc < cap)
		op[oc++] = c->tail[c->tail_pos++];
	if (c->tail_pos < c->tail_len) {
		status = PMD_NEED_OUTPUT;
	} else {
		c->in_msg = 0;
		status = PMD_DONE;
	}
done:
	*consumed = ic;
	*produced = oc;
	return status;
}

/* ------------------------------------------------------------------------
 * Decompressor
 */

struct pmd_inflater {
	z_stream zs;
	struct zmem zm;
	struct isal_inflater *isal; /* non-NULL: ISA-L decompresses */
	int wbits;
	int no_takeover;
	enum wsp_role peer;
	size_t max;
	size_t msg_out;     /* bytes of this message produced (<= max) */
	size_t hist;        /* bytes produced since the window was emptied */
	int in_msg;         /* a message has started and is not DONE */
	int ended;          /* zlib saw the end of a BFINAL=1 block */
	int pending;        /* the last inflate() filled its room: more
			       output may be waiting inside zlib */
	int dirty;          /* the stream has seen a message since reset */
	int boundary;       /* zlib sits between blocks, no bits held */
	unsigned tail_used; /* bytes of sync_tail fed this message */
	int err;            /* sticky error, 0 if none */
	unsigned char *dict; /* window copy for BFINAL restarts, lazy */
};

/* What both engines share: the payload slice, then 00 00 ff ff on the last
 * call, fed in that order; output room capped one byte past the limit; the
 * counters; and the name of a reference that reaches too far back. */

/* The bytes to feed next: the rest of the payload (from ic), else on the
 * last call what is left of the sync tail (*is_tail = 1), else NULL. */
static const unsigned char *next_input(const struct pmd_inflater *d,
				       const unsigned char *ip, size_t n,
				       int fin, size_t ic, size_t *avail,
				       int *is_tail)
{
	*is_tail = 0;
	*avail = 0;
	if (ic < n) {
		*avail = n - ic;
		return ip + ic;
	}
	if (fin && d->tail_used < sizeof(sync_tail)) {
		*is_tail = 1;
		*avail = sizeof(sync_tail) - d->tail_used;
		return sync_tail + d->tail_used;
	}
	return NULL;
}

/* Output room for the next call: what is left of the caller's buffer,
 * but at most one byte past the message limit. */
static size_t out_room(const struct pmd_inflater *d, size_t cap, size_t oc)
{
	size_t room = cap - oc;
	size_t left = d->max - d->msg_out;
	return left < room ? left + 1 : room;
}

/* Counts one call's input taken and output made. */
static void count_step(struct pmd_inflater *d, int is_tail, size_t used,
		       size_t made, size_t *ic, size_t *oc)
{
	if (is_tail)
		d->tail_used += (unsigned)used;
	else
		*ic += used;
	*oc += made;
	d->msg_out += made;
	d->hist = made > SIZE_MAX - d->hist ? SIZE_MAX : d->hist + made;
}

/* Names a back-reference past the bytes an engine has, hist being the
 * bytes produced since the window was emptied: the sender used a longer
 * window than agreed when hist already fills it; else the reference
 * leaves the message (no context takeover) or the stream. */
static int too_far_back(const struct pmd_inflater *d, size_t hist)
{
	if (d->peer == WSP_ROLE_ANY)
		return WSP_E_PMD_CORRUPT;
	if (hist >= (size_t)1 << d->wbits)
		return d->peer == WSP_ROLE_CLIENT ? WSP_E_PMD_CLIENT_WINDOW
						  : WSP_E_PMD_SERVER_WINDOW;
	if (d->no_takeover)
		return d->peer == WSP_ROLE_CLIENT ? WSP_E_PMD_CLIENT_TAKEOVER
						  : WSP_E_PMD_SERVER_TAKEOVER;
	return WSP_E_PMD_CORRUPT;
}

/* The ISA-L decompressor (igzip's isal_inflate), same contract.
 *
 * It follows the zlib engine's steps: payload slices, then 00 00 ff ff,
 * room capped one byte past the limit.  Differences:
 *   - igzip keeps the history itself and enforces hist_bits exactly, so a
 *     distance beyond the agreed window is reported whatever the slicing
 *     (zlib: best effort, see the top of this file).
 *   - After a BFINAL=1 block igzip stops (ISAL_BLOCK_INPUT_DONE/FINISH)
 *     with the history intact; setting the block state back to "new
 *     header" continues the stream from the next byte with that history,
 *     the model RFC 7692 section 7.2.3.4 asks for (zlib: a new stream fed
 *     the old window).
 *   - "Between blocks with no bits held" is block_state NEW_HDR or HDR
 *     with an empty bit buffer and no partial header kept aside.
 *   - Errors are named like zlib's (isal_data_error), checked before
 *     the limit.  isa-l 2.30 writes a bad match's bytes before reporting
 *     it, so when the room ends inside such a match the limit can be
 *     crossed first (WSP_E_PMD_TOO_BIG), and near the window's size a
 *     window violation can be named by the slicing; the message fails
 *     either way.
 * igzip and zlib do not reject exactly the same malformed streams (e.g.
 * over-subscribed or incomplete Huffman codes); check_pmd and fuzz_inflate
 * hold both to the same output on every stream both accept. */
#ifdef WSP_HAVE_ISAL
struct isal_inflater {
	struct inflate_state st;
};

static void isal_inflater_init(struct pmd_inflater *d)
{
	isal_inflate_init(&d->isal->st);
	d->isal->st.crc_flag = ISAL_DEFLATE;
	d->isal->st.hist_bits = (uint32_t)d->wbits;
}

static int isal_finished(const struct inflate_state *st)
{
	return (st->block_state == ISAL_BLOCK_INPUT_DONE ||
		st->block_state == ISAL_BLOCK_FINISH) &&
	       st->tmp_out_processed >= st->tmp_out_valid;
}

/* Names an igzip decoding error the way data_error names zlib's, so that
 * both engines give the same verdict reasons.  A back-reference past what
 * igzip has (ISAL_INVALID_LOOKBACK), or, with a window under 2^15, a
 * distance code past hist_bits (igzip reports that as ISAL_INVALID_SYMBOL,
 * measured on isa-l 2.30), is "too far back": a window violation when the
 * history already filled the window, a takeover violation when the window
 * was emptied for this message, else corrupt data.  The history counts
 * what igzip decoded ahead of the caller's room too.  Limit (isa-l 2.30
 * writes a bad match's bytes before reporting it): those bytes are in the
 * count, so near the window's size the name can depend on the slicing;
 * the message fails either way. */
static int isal_data_error(const struct pmd_inflater *d, int r)
{
	if (r == ISAL_INVALID_LOOKBACK ||
	    (r == ISAL_INVALID_SYMBOL && d->wbits < 15)) {
		size_t ahead = (size_t)(d->isal->st.tmp_out_valid -
					d->isal->st.tmp_out_processed);
		return too_far_back(d, d->hist + ahead);
	}
	if (r == ISAL_INVALID_BLOCK || r == ISAL_INVALID_SYMBOL ||
	    r == ISAL_INVALID_LOOKBACK)
		return WSP_E_PMD_CORRUPT;
	return WSP_E_INTERNAL;
}

static int isal_inflate_call(struct pmd_inflater *d, const unsigned char *ip,
			     size_t n, int fin, unsigned char *op, size_t cap,
			     size_t *icp, size_t *ocp)
{
	struct inflate_state *st = &d->isal->st;
	size_t ic = 0, oc = 0;
	int status = PMD_NEED_INPUT;

	for (;;) {
		size_t avail;
		int is_tail;
		const unsigned char *src = next_input(d, ip, n, fin, ic, &avail,
						      &is_tail);
		/* igzip may have read whole bytes past a BFINAL=1 block
		 * into its bit buffer before stopping: they are still to
		 * be decoded. */
		int buffered = isal_finished(st) && st->read_in_length >= 8;
		if (src == NULL && !d->pending && !buffered)
			break;
		if (isal_finished(st)) {
			if (src == NULL && !buffered)
				break;
			/* More blocks after a BFINAL=1 one: go on with the
			 * same history from the next byte (see above). */
			int drop = st->read_in_length % 8;
			st->read_in >>= drop;
			st->read_in_length -= drop;
			st->block_state = ISAL_BLOCK_NEW_HDR;
			st->bfinal = 0;
		}
		if (d->msg_out > d->max) {
			status = WSP_E_PMD_TOO_BIG;
			goto out;
		}
		size_t room = out_room(d, cap, oc);
		if (room == 0) {
			status = PMD_NEED_OUTPUT;
			goto out;
		}
		uint32_t ai = avail > UINT32_MAX ? UINT32_MAX : (uint32_t)avail;
		uint32_t ao = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
		st->next_in = (uint8_t *)(uintptr_t)(src != NULL ? src
								 : sync_tail);
		st->avail_in = src != NULL ? ai : 0;
		st->next_out = op + oc;
		st->avail_out = ao;
		int r = isal_inflate(st);
		size_t used = (src != NULL ? ai : 0) - st->avail_in;
		size_t made = ao - st->avail_out;
		count_step(d, is_tail, used, made, &ic, &oc);
		d->pending = st->avail_out == 0;
		/* The error first: the bytes of a bad match are counted in
		 * made (see isal_data_error). */
		if (r < 0) {
			status = isal_data_error(d, r);
			goto out;
		}
		if (d->msg_out > d->max) {
			status = WSP_E_PMD_TOO_BIG;
			goto out;
		}
		if (used == 0 && made == 0) {
			if (src != NULL && !isal_finished(st)) {
				status = WSP_E_INTERNAL;
				goto out;
			}
			d->pending = 0;
		}
	}
	if (!fin) {
		status = PMD_NEED_INPUT;
		goto out;
	}
	/* igzip parks in ISAL_BLOCK_HDR when it has looked for a next
	 * header and found no input: with no bits and no header bytes kept,
	 * that is a block boundary too. */
	if (!((st->block_state == ISAL_BLOCK_NEW_HDR ||
	       st->block_state == ISAL_BLOCK_HDR) &&
	      st->read_in_length == 0 && st->tmp_in_size == 0) &&
	    !isal_finished(st)) {
		status = WSP_E_PMD_UNTERMINATED;
		goto out;
	}
	d->in_msg = 0;
	status = PMD_DONE;
out:
	*icp = ic;
	*ocp = oc;
	return status;
}
#endif

void pmd_inflate_cfg_init(struct pmd_inflate_cfg *cfg, size_t max_message)
{
	cfg->window_bits = 15;
	cfg->no_context_takeover = 0;
	cfg->max_message = max_message;
	cfg->peer = WSP_ROLE_ANY;
	cfg->engine = PMD_ENGINE_ZLIB;
}

int pmd_inflater_new(struct pmd_inflater **out,
		     const struct pmd_inflate_cfg *cfg,
		     const struct wsp_mem *mem)
{
	if (out == NULL || cfg == NULL || !bits_ok(cfg->window_bits) ||
	    (cfg->peer != WSP_ROLE_ANY && cfg->peer != WSP_ROLE_CLIENT &&
	     cfg->peer != WSP_ROLE_SERVER) ||
	    (cfg->engine != PMD_ENGINE_ZLIB &&
	     !pmd_engine_available(cfg->engine)))
		return WSP_E_INVAL;
	*out = NULL;
	struct pmd_inflater *d = wsp_malloc(mem, sizeof(*d));
	if (d == NULL)
		return WSP_E_NOMEM;
	memset(d, 0, sizeof(*d));
	d->zm.mem = mem;
	d->wbits = cfg->window_bits;
	d->no_takeover = cfg->no_context_takeover != 0;
	d->peer = cfg->peer;
	d->max = cfg->max_message;
#ifdef WSP_HAVE_ISAL
	if (cfg->engine == PMD_ENGINE_ISAL) {
		d->isal = wsp_malloc(mem, sizeof(*d->isal));
		if (d->isal == NULL) {
			wsp_free(mem, d);
			return WSP_E_NOMEM;
		}
		isal_inflater_init(d);
		*out = d;
		return 0;
	}
#endif
	d->zs.zalloc = z_alloc;
	d->zs.zfree = z_free;
	d->zs.opaque = &d->zm;
	/* Raw inflate: no zlib header, no checksum (RFC 7692 uses bare
	 * RFC 1951 blocks).  zlib allocates the window on first output. */
	int zr = inflateInit2(&d->zs, -d->wbits);
	if (zr != Z_OK) {
		wsp_free(mem, d);
		return zr == Z_MEM_ERROR ? WSP_E_NOMEM : WSP_E_INTERNAL;
	}
	*out = d;
	return 0;
}

void pmd_inflater_free(struct pmd_inflater *d)
{
	if (d == NULL)
		return;
	if (d->isal != NULL)
		wsp_free(d->zm.mem, d->isal);
	else
		inflateEnd(&d->zs);
	wsp_free(d->zm.mem, d->dict);
	wsp_free(d->zm.mem, d);
}

void pmd_inflater_set_max(struct pmd_inflater *d, size_t max_message)
{
	d->max = max_message;
}

static int inflate_fail(struct pmd_inflater *d, int code)
{
	d->err = code;
	return code;
}

int pmd_inflater_reset(struct pmd_inflater *d)
{
	if (d->err == WSP_E_NOMEM || d->err == WSP_E_INTERNAL)
		return d->err;
#ifdef WSP_HAVE_ISAL
	if (d->isal != NULL)
		isal_inflater_init(d);
	else
#endif
	if (inflateReset(&d->zs) != Z_OK)
		return inflate_fail(d, WSP_E_INTERNAL);
	d->err = 0;
	d->in_msg = 0;
	d->ended = 0;
	d->pending = 0;
	d->boundary = 0;
	d->hist = 0;
	d->dirty = 0;
	return 0;
}

/* After the end of a BFINAL=1 block more blocks follow: start a new raw
 * stream that keeps the LZ77 window (see pmd.h). */
static int restart(struct pmd_inflater *d)
{
	uInt len = 0;
	if (d->hist > 0) {
		if (d->dict == NULL) {
			d->dict = wsp_malloc(d->zm.mem, (size_t)1 << d->wbits);
			if (d->dict == NULL)
				return WSP_E_NOMEM;
		}
		if (inflateGetDictionary(&d->zs, d->dict, &len) != Z_OK)
			return WSP_E_INTERNAL;
	}
	if (inflateReset(&d->zs) != Z_OK)
		return WSP_E_INTERNAL;
	if (len > 0) {
		int zr = inflateSetDictionary(&d->zs, d->dict, len);
		if (zr != Z_OK)
			return zr == Z_MEM_ERROR ? WSP_E_NOMEM
						 : WSP_E_INTERNAL;
	}
	d->ended = 0;
	d->boundary = 0;
	return 0;
}

/* Names a Z_DATA_ERROR.  zlib rejects a distance only when it reaches past
 * everything produced since the window was emptied (hist < window: the
 * reference leaves the message or the stream) or past the window (hist >=
 * window: the sender used a longer window than agreed).  The caller's
 * hist includes this call's output up to the error, which is the same
 * whatever the slicing, so the classification is too. */
static int data_error(const struct pmd_inflater *d)
{
	if (d->zs.msg == NULL ||
	    strcmp(d->zs.msg, "invalid distance too far back") != 0)
		return WSP_E_PMD_CORRUPT;
	return too_far_back(d, d->hist);
}

int pmd_inflate(struct pmd_inflater *d, const void *in, size_t n, int fin,
		void *out, size_t cap, size_t *consumed, size_t *produced)
{
	const unsigned char *ip = in;
	unsigned char *op = out;
	size_t ic = 0, oc = 0;
	int status;

	if (consumed == NULL || produced == NULL)
		return WSP_E_INVAL;
	*consumed = 0;
	*produced = 0;
	if (d == NULL)
		return WSP_E_INVAL;
	if (d->err != 0)
		return d->err;
	if (op == NULL || cap == 0 || (ip == NULL && n > 0))
		return WSP_E_INVAL;

	if (!d->in_msg) {
		/* R7692-7.2.2-02/04: without context takeover each message
		 * starts with an empty window; with it the window carries
		 * over (R7692-7.2.2-03/05). */
		if (d->no_takeover) {
#ifdef WSP_HAVE_ISAL
			if (d->isal != NULL)
				isal_inflater_init(d);
			else
#endif
			if (d->dirty && inflateReset(&d->zs) != Z_OK)
				return inflate_fail(d, WSP_E_INTERNAL);
			d->ended = 0;
			d->boundary = 0;
			d->hist = 0;
		}
		d->dirty = 1;
		d->in_msg = 1;
		d->msg_out = 0;
		d->tail_used = 0;
		d->pending = 0;
	}

#ifdef WSP_HAVE_ISAL
	if (d->isal != NULL) {
		status = isal_inflate_call(d, ip, n, fin, op, cap, &ic, &oc);
		if (status < 0)
			return inflate_fail(d, status);
		*consumed = ic;
		*produced = oc;
		return status;
	}
#endif

	for (;;) {
		size_t avail;
		int is_tail;
		const unsigned char *src = next_input(d, ip, n, fin, ic, &avail,
						      &is_tail);
		if (src == NULL && (!d->pending || d->ended))
			break;
		if (d->ended) {
			int rc = restart(d);
			if (rc < 0)
				return inflate_fail(d, rc);
		}
		if (d->msg_out > d->max)
			return inflate_fail(d, WSP_E_PMD_TOO_BIG);
		size_t room = out_room(d, cap, oc);
		if (room == 0) {
			status = PMD_NEED_OUTPUT;
			goto done;
		}
		uInt ai = clamp_uint(avail);
		uInt ao = clamp_uint(room);
		d->zs.next_in = src != NULL ? src : sync_tail;
		d->zs.avail_in = ai;
		d->zs.next_out = op + oc;
		d->zs.avail_out = ao;
		int zr = inflate(&d->zs, Z_SYNC_FLUSH);
		size_t used = ai - d->zs.avail_in;
		size_t made = ao - d->zs.avail_out;
		count_step(d, is_tail, used, made, &ic, &oc);
		d->pending = d->zs.avail_out == 0;
		/* data_type bit 128 says "between blocks", low bits count
		 * the bits held.  A call that enters between blocks and can
		 * do nothing leaves zlib in its internal TYPEDO mode, which
		 * data_type does not flag; with nothing held and nothing
		 * read, the state cannot have changed, so keep the verdict
		 * of the previous call. */
		if (used != 0 || made != 0 || !d->boundary)
			d->boundary = (d->zs.data_type & 128) != 0 &&
				      (d->zs.data_type & 63) == 0;
		/* The limit first: zlib may look at the next code after
		 * filling the room, and the answer must not depend on where
		 * the room ended. */
		if (d->msg_out > d->max)
			return inflate_fail(d, WSP_E_PMD_TOO_BIG);
		switch (zr) {
		case Z_OK:
		case Z_BUF_ERROR: /* no progress possible; handled below */
			break;
		case Z_STREAM_END:
			d->ended = 1;
			d->pending = 0;
			break;
		case Z_DATA_ERROR:
			return inflate_fail(d, data_error(d));
		case Z_MEM_ERROR:
			return inflate_fail(d, WSP_E_NOMEM);
		default:
			return inflate_fail(d, WSP_E_INTERNAL);
		}
		if (used == 0 && made == 0 && zr != Z_STREAM_END) {
			if (src != NULL)
				return inflate_fail(d, WSP_E_INTERNAL);
			d->pending = 0;
		}
	}

	if (!fin) {
		status = PMD_NEED_INPUT;
		goto done;
	}
	/* Everything fed and drained: the data must end on a block
	 * boundary with no bits left over, i.e. with the empty stored block
	 * the sender's flush produced. */
	if (!d->ended && !d->boundary)
		return inflate_fail(d, WSP_E_PMD_UNTERMINATED);
	d->in_msg = 0;
	status = PMD_DONE;
done:
	*consumed = ic;
	*produced = oc;
	return status;
}
