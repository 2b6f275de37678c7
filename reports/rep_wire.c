/*
 * rep_wire.c: a case's wire log as the reports show it, decoded at render
 * time from the bytes results.json kept (reports/res_wire.h splits them
 * into HTTP heads, frames and raw bytes):
 *
 *   - index.html: a table, one row per head, frame or run of raw bytes in
 *     wire order, with the time, the direction, every header field, the
 *     violations wsf_check finds (requirement ids and summaries), and the
 *     payload (unmasked) in hex and, when it is printable UTF-8, as text.
 *     Nothing is cut: the only limit is what results.json kept
 *     (RES_WIRE_CAP), and a truncated log says so.
 *   - junit.xml: a few one-line frame descriptions for a failure.
 *   - Autobahn's "wirelog": RO/TO entries per read and write, RF/TF per
 *     frame, each logging at most 64 bytes as Autobahn does.
 *
 * Every byte of the log is peer-controlled: text goes through rep__sb_esc
 * (or jansson), hex is made of [0-9a-f] only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"
#include "res_wire.h"
#include "wsp_err.h"

/* Bytes Autobahn logs per wirelog entry. */
#define AB_LOG_MAX 64

static int we_client(const char *role)
{
	/* role is that of the implementation under test. */
	return role == NULL || strcmp(role, "client") != 0;
}

/* Feeds c's kept log to a scan with callback cb.  before, when not NULL,
 * is called for each record before its bytes are fed (Autobahn logs the
 * octets, then the frames they completed). */
static int scan_case(const struct res_case *c, const char *role,
		     size_t keep_max, rw_cb cb,
		     void (*before)(void *, size_t), void *ctx)
{
	struct rw_scan s;
	rw_init(&s, we_client(role), rw_rsv_from_response(c->http_response),
		keep_max, cb, ctx);
	size_t off = 0;
	for (size_t i = 0; i < c->wire.nrecs; i++) {
		const struct res_wire_rec *r = &c->wire.recs[i];
		if (r->len > c->wire.len - off)
			break; /* the reader checked this; be safe anyway */
		if (before != NULL)
			before(ctx, i);
		rw_feed(&s, r->dir, i, c->wire.data + off, r->len);
		off += r->len;
	}
	rw_finish(&s);
	return s.oom ? WSP_E_NOMEM : 0;
}

/* 1: data[0..n) is valid UTF-8 without control characters other than tab,
 * newline and carriage return, so it reads as text. */
static int printable(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = p[i];
		if (b < 0x80) {
			if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') ||
			    b == 0x7f)
				return 0;
			i++;
			continue;
		}
		size_t k;
		uint32_t cp;
		if (b >= 0xc2 && b <= 0xdf) {
			k = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			k = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 3;
			cp = b & 0x07;
		} else {
			return 0;
		}
		if (k > n - i - 1)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void hex(struct rep_sb *b, const uint8_t *p, size_t n, int spaced)
{
	static const char digits[] = "0123456789abcdef";
	char line[128];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (spaced && i > 0 && i % 32 == 0)
			line[k++] = '\n';
		else if (spaced && i > 0 && i % 4 == 0)
			line[k++] = ' ';
		line[k++] = digits[p[i] >> 4];
		line[k++] = digits[p[i] & 15];
		if (k > sizeof(line) - 4) {
			rep__sb_put(b, line, k);
			k = 0;
		}
	}
	rep__sb_put(b, line, k);
}

static void ms(struct rep_sb *b, const struct res_case *c, size_t rec)
{
	int64_t us = rec < c->wire.nrecs ? c->wire.recs[rec].t_us : 0;
	rep__sb_printf(b, "%lld.%03lld", (long long)(us / 1000),
		       (long long)(us % 1000));
}

/* --- index.html ---------------------------------------------------------- */

struct html_ctx {
	struct rep_sb *b;
	const struct res_case *c;
	uint8_t rsv_allowed;
	size_t n;
};

static void html_violations(struct rep_sb *b, const struct rw_item *it)
{
	if (it->nviol == 0)
		return;
	rep__sb_puts(b, "<ul class=\"viol\">");
	for (size_t i = 0; i < it->nviol; i++) {
		const char *req = wsp_errreq(it->viol[i]);
		rep__sb_puts(b, "<li>");
		if (req != NULL) {
			rep__sb_puts(b, "<code>");
			rep__sb_esc(b, req, 0);
			rep__sb_puts(b, "</code> ");
		}
		rep__sb_esc(b, wsp_strerror(it->viol[i]), 0);
		rep__sb_puts(b, "</li>");
	}
	rep__sb_puts(b, "</ul>");
}

static void html_item(void *ctx, const struct rw_item *it)
{
	struct html_ctx *h = ctx;
	struct rep_sb *b = h->b;
	h->n++;
	rep__sb_printf(b, "<tr class=\"%s\"><td class=\"n\">%zu</td>"
			  "<td class=\"n\">",
		       it->dir == 0 ? "tx" : "rx", h->n);
	ms(b, h->c, it->last_rec);
	rep__sb_printf(b, "</td><td>%s</td><td>",
		       it->dir == 0 ? "&rarr;&nbsp;sent" : "&larr;&nbsp;received");
	int text_ok = 1;
	if (it->kind == RW_HEAD) {
		rep__sb_printf(b, "HTTP head, %llu bytes",
			       (unsigned long long)it->total);
		if (!it->complete)
			rep__sb_puts(b, " <b>(the log ends inside it)</b>");
	} else if (it->kind == RW_RAW) {
		rep__sb_printf(b, "%llu raw bytes",
			       (unsigned long long)it->total);
		if (!it->complete)
			rep__sb_puts(b, " <b>(a frame header the log ends "
					"inside)</b>");
		text_ok = 0;
	} else {
		const struct wsf_header *hd = &it->hdr;
		rep__sb_printf(b, "<b>%s</b> <small>opcode %u</small> FIN=%u "
				  "RSV=%u%u%u MASK=%u",
			       rw_opcode_name(hd->opcode), hd->opcode, hd->fin,
			       (hd->rsv >> 2) & 1, (hd->rsv >> 1) & 1, hd->rsv & 1,
			       hd->masked);
		if (hd->masked)
			rep__sb_printf(b, " key=%02x%02x%02x%02x", hd->mask_key[0],
				       hd->mask_key[1], hd->mask_key[2],
				       hd->mask_key[3]);
		rep__sb_printf(b, " len=%llu <small>(%u-bit form, header %u "
				  "bytes)</small>",
			       (unsigned long long)hd->payload_len, hd->len_form,
			       hd->header_len);
		if (!it->complete)
			rep__sb_printf(b, " <b>(the log ends after %llu payload "
					  "bytes)</b>",
				       (unsigned long long)it->total);
		if ((hd->rsv & WSP_RSV1) && (h->rsv_allowed & WSP_RSV1) &&
		    hd->opcode < 8) {
			rep__sb_puts(b, " <i>compressed (permessage-deflate), "
					"shown as sent</i>");
			text_ok = 0;
		}
		if (hd->opcode == WSP_OP_CLOSE && it->len >= 2) {
			rep__sb_printf(b, "<br>close code %u",
				       (unsigned)it->data[0] << 8 | it->data[1]);
		}
		if (hd->opcode == WSP_OP_BINARY)
			text_ok = 0;
		html_violations(b, it);
	}
	rep__sb_puts(b, "</td><td>");
	if (it->len < it->total)
		rep__sb_printf(b, "<i>first %zu of %llu bytes kept</i>", it->len,
			       (unsigned long long)it->total);
	if (it->len > 0) {
		const uint8_t *p = it->data;
		size_t n = it->len;
		if (it->kind != RW_HEAD) {
			rep__sb_puts(b, "<pre class=\"hx\">");
			hex(b, p, n, 1);
			rep__sb_puts(b, "</pre>");
		}
		/* A Close frame's reason is text after the 2-byte code. */
		if (it->kind == RW_FRAME && it->hdr.opcode == WSP_OP_CLOSE) {
			p += n >= 2 ? 2 : n;
			n -= n >= 2 ? 2 : n;
			text_ok = n > 0;
		}
		if ((text_ok || it->kind == RW_HEAD) && n > 0 && printable(p, n)) {
			rep__sb_puts(b, "<pre>");
			rep__sb_escn(b, (const char *)p, n, 0);
			rep__sb_puts(b, "</pre>");
		} else if (it->kind == RW_HEAD) {
			/* A head that is not clean text: escaped anyway (bytes
			 * that are not UTF-8 become U+FFFD). */
			rep__sb_puts(b, "<pre>");
			rep__sb_escn(b, (const char *)p, n, 0);
			rep__sb_puts(b, "</pre>");
		}
	} else if (it->total == 0) {
		rep__sb_puts(b, "<i>empty</i>");
	}
	rep__sb_puts(b, "</td></tr>\n");
}

void rep__html_wire(struct rep_sb *b, const struct res_case *c,
		    const char *role)
{
	const struct res_wire *w = &c->wire;
	if (!w->present) {
		rep__sb_puts(b, "<i>not recorded</i>");
		return;
	}
	rep__sb_printf(b, "<p>wsprobe sent %llu bytes and received %llu; ",
		       (unsigned long long)w->bytes_sent,
		       (unsigned long long)w->bytes_received);
	if (w->truncated)
		rep__sb_printf(b, "<b class=\"trunc\">truncated:</b> only the "
				  "first %zu bytes (%zu writes and reads) are "
				  "kept (results.json keeps at most %zu KiB and "
				  "%zu records per case)",
			       w->len, w->nrecs, RES_WIRE_CAP / 1024,
			       RES_WIRE_RECS_CAP);
	else
		rep__sb_printf(b, "all %zu bytes are kept (%zu writes and "
				  "reads)",
			       w->len, w->nrecs);
	rep__sb_puts(b, ". Payloads are shown unmasked.</p>\n");
	if (w->nrecs == 0)
		return;
	rep__sb_puts(b, "<table class=\"wl\"><thead><tr><th>#</th><th>ms</th>"
			"<th>direction</th><th>frame</th><th>bytes</th></tr>"
			"</thead><tbody>\n");
	struct html_ctx h = {b, c, rw_rsv_from_response(c->http_response), 0};
	if (scan_case(c, role, SIZE_MAX, html_item, NULL, &h) != 0)
		b->oom = 1;
	rep__sb_puts(b, "</tbody></table>");
	if (w->truncated)
		rep__sb_puts(b, "<p><b class=\"trunc\">The log is truncated "
				"here.</b></p>");
}

/* --- junit.xml ----------------------------------------------------------- */

#define LINE_CAP 200

struct ex_ctx {
	const struct res_case *c;
	size_t first, last;       /* lines kept from the start, the end */
	char (*head)[LINE_CAP];
	char (*tail)[LINE_CAP];   /* ring */
	size_t n;
};

static void ex_line(const struct rw_item *it, size_t num, char *out)
{
	char pay[80] = "";
	if (it->kind == RW_FRAME && it->len > 0) {
		const uint8_t *p = it->data;
		size_t n = it->len;
		if (it->hdr.opcode == WSP_OP_CLOSE && n >= 2) {
			snprintf(pay, sizeof(pay), " code %u",
				 (unsigned)p[0] << 8 | p[1]);
			p += 2;
			n -= 2;
		}
		size_t show = n > 24 ? 24 : n;
		size_t k = strlen(pay);
		if (show > 0 && printable(p, show) && it->hdr.opcode != 2) {
			/* Cut on a character boundary. */
			while (show > 0 && show < n && (p[show] & 0xc0) == 0x80)
				show--;
			snprintf(pay + k, sizeof(pay) - k, " \"%.*s\"%s",
				 (int)show, (const char *)p, show < n ? "..." : "");
		} else if (show > 0) {
			snprintf(pay + k, sizeof(pay) - k, " 0x");
			k += 3;
			for (size_t i = 0; i < show && k + 3 < sizeof(pay); i++)
				k += (size_t)snprintf(pay + k, sizeof(pay) - k,
						      "%02x", p[i]);
			if (show < n && k + 4 < sizeof(pay))
				snprintf(pay + k, sizeof(pay) - k, "...");
		}
	}
	const char *dir = it->dir == 0 ? "sent" : "recv";
	if (it->kind == RW_HEAD) {
		snprintf(out, LINE_CAP, "  %zu %s HTTP head, %llu bytes%s", num,
			 dir, (unsigned long long)it->total,
			 it->complete ? "" : " (incomplete)");
		return;
	}
	if (it->kind == RW_RAW) {
		snprintf(out, LINE_CAP, "  %zu %s %llu raw bytes%s", num, dir,
			 (unsigned long long)it->total,
			 it->complete ? "" : " (a cut frame header)");
		return;
	}
	char viol[64] = "";
	for (size_t i = 0; i < it->nviol; i++) {
		const char *req = wsp_errreq(it->viol[i]);
		size_t k = strlen(viol);
		snprintf(viol + k, sizeof(viol) - k, "%s%s", i ? " " : " [",
			 req != NULL ? req : wsp_errname(it->viol[i]));
	}
	if (it->nviol > 0) {
		size_t k = strlen(viol);
		snprintf(viol + k, sizeof(viol) - k, "]");
	}
	snprintf(out, LINE_CAP, "  %zu %s %s fin=%u rsv=%u mask=%u len=%llu%s%s%s",
		 num, dir, rw_opcode_name(it->hdr.opcode), it->hdr.fin,
		 it->hdr.rsv, it->hdr.masked,
		 (unsigned long long)it->hdr.payload_len, pay,
		 it->complete ? "" : " (incomplete)", viol);
}

static void ex_item(void *ctx, const struct rw_item *it)
{
	struct ex_ctx *e = ctx;
	e->n++;
	if (e->n <= e->first)
		ex_line(it, e->n, e->head[e->n - 1]);
	else
		ex_line(it, e->n, e->tail[(e->n - e->first - 1) % e->last]);
}

void rep__wire_excerpt(struct rep_sb *t, const struct res_case *c,
		       const char *role, size_t first, size_t last)
{
	const struct res_wire *w = &c->wire;
	if (!w->present || w->nrecs == 0 || first == 0 || last == 0)
		return;
	struct ex_ctx e = {c, first, last, NULL, NULL, 0};
	e.head = calloc(first, sizeof(*e.head));
	e.tail = calloc(last, sizeof(*e.tail));
	if (e.head == NULL || e.tail == NULL ||
	    scan_case(c, role, 128, ex_item, NULL, &e) != 0) {
		free(e.head);
		free(e.tail);
		t->oom = 1;
		return;
	}
	rep__sb_printf(t, "wire log (%zu heads and frames%s):\n", e.n,
		       w->truncated ? ", truncated" : "");
	for (size_t i = 0; i < e.n && i < first; i++)
		rep__sb_printf(t, "%s\n", e.head[i]);
	if (e.n > first) {
		size_t more = e.n - first;
		size_t shown = more < last ? more : last;
		if (more > shown)
			rep__sb_printf(t, "  ... %zu more ...\n", more - shown);
		for (size_t k = more - shown; k < more; k++)
			rep__sb_printf(t, "%s\n", e.tail[k % last]);
	}
	free(e.head);
	free(e.tail);
}

/* --- Autobahn's wirelog --------------------------------------------------- */

struct ab_ctx {
	const struct res_case *c;
	json_t *log;
	size_t off;    /* of the record being fed */
	int failed;
};

static void ab_append(struct ab_ctx *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a->log, v) != 0)
		a->failed = 1;
}

/* [len, text]: at most AB_LOG_MAX bytes, as hex (or as text when text),
 * followed by " ..." when cut. */
static json_t *ab_data(const uint8_t *p, size_t n, uint64_t total, int text)
{
	size_t show = n > AB_LOG_MAX ? AB_LOG_MAX : n;
	struct rep_sb b = {0};
	if (text) {
		while (show > 0 && show < n && (p[show] & 0xc0) == 0x80)
			show--;
		rep__sb_put(&b, (const char *)p, show);
	} else {
		hex(&b, p, show, 0);
	}
	if (show < total)
		rep__sb_puts(&b, " ...");
	char *s;
	size_t len;
	if (rep__sb_finish(&b, &s, &len) != 0)
		return NULL;
	json_t *v = json_pack("[Io]", (json_int_t)total, rep__json_str(s));
	free(s);
	return v;
}

static void ab_record(void *ctx, size_t i)
{
	struct ab_ctx *a = ctx;
	const struct res_wire_rec *r = &a->c->wire.recs[i];
	json_t *d = ab_data(a->c->wire.data + a->off, r->len, r->len, 0);
	a->off += r->len;
	if (d == NULL) {
		a->failed = 1;
		return;
	}
	if (r->dir == 1)
		ab_append(a, json_pack("[so]", "RO", d));
	else
		ab_append(a, json_pack("[sob]", "TO", d, 0));
}

static void ab_item(void *ctx, const struct rw_item *it)
{
	struct ab_ctx *a = ctx;
	/* Autobahn logs a frame once it is complete. */
	if (it->kind != RW_FRAME || !it->complete)
		return;
	const struct wsf_header *h = &it->hdr;
	int text = h->opcode == WSP_OP_TEXT && printable(it->data, it->len);
	json_t *d = ab_data(it->data, it->len, it->total, text);
	char key[9];
	snprintf(key, sizeof(key), "%02x%02x%02x%02x", h->mask_key[0],
		 h->mask_key[1], h->mask_key[2], h->mask_key[3]);
	json_t *mask = h->masked ? json_string(key) : json_null();
	if (d == NULL || mask == NULL) {
		json_decref(d);
		json_decref(mask);
		a->failed = 1;
		return;
	}
	if (it->dir == 1)
		ab_append(a, json_pack("[soiiibo]", "RF", d, (int)h->opcode,
				       (int)h->fin, (int)h->rsv, (int)h->masked,
				       mask));
	else
		ab_append(a, json_pack("[soiiionnb]", "TF", d, (int)h->opcode,
				       (int)h->fin, (int)h->rsv, mask, 0));
}

json_t *rep__autobahn_wirelog(const struct res_case *c, const char *role)
{
	if (!c->wire.present)
		return json_null();
	struct ab_ctx a = {c, json_array(), 0, 0};
	if (a.log == NULL)
		return NULL;
	if (scan_case(c, role, AB_LOG_MAX, ab_item, ab_record, &a) != 0)
		a.failed = 1;
	/* A truncated log ends with the wire log switched off, the entry
	 * Autobahn writes when logging stops. */
	if (c->wire.truncated)
		ab_append(&a, json_pack("[sb]", "WLM", 0));
	if (a.failed) {
		json_decref(a.log);
		return NULL;
	}
	return a.log;
}
