/*
 * rep_html.c: index.html, the report people read.  One self-contained
 * page: its style and script are inline, it loads nothing (a
 * Content-Security-Policy allows no source at all but the page's own
 * script and style, named by their SHA-256, so even markup that slipped
 * through escaping could not run or fetch anything).
 *
 * Layout, top to bottom: the run (tool, version, seed); a summary table
 * per agent; filters (a checkbox per verdict, a category list, the number
 * of results shown); the matrix, one row per case id and one column per
 * agent, each cell coloured by the verdict and linked to the case's
 * details; then every played case in a <details> element (open when
 * FAILED): description, expectation, both verdict fields with reasons, the
 * peer's close frame, duration, the requirements cited with their level
 * and summary (from the embedded requirements table), the observed events,
 * the opening handshake, the closing facts and the wire log decoded frame
 * by frame (rep_wire.c).
 *
 * Everything from the results goes through rep__sb_esc (rep_int.h), in
 * element content or in double-quoted attribute values only; element ids
 * are made of indices, never of results text.  The script reads data-*
 * attributes and sets only textContent, hidden and classes, never markup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep.h"
#include "rep_int.h"
#include "wsp_err.h"

static const char page_style[] =
	"\n"
	"body{font:14px/1.45 system-ui,sans-serif;margin:1em 2em;color:#222;"
	"background:#fff}\n"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1em 0 .4em}\n"
	"table{border-collapse:collapse}\n"
	"th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;"
	"vertical-align:top}\n"
	"td.n{text-align:right}\n"
	".v{font-weight:600;white-space:nowrap}\n"
	".v-OK{background:#c8f0c8}\n"
	".v-NON-STRICT{background:#f5e9a8}\n"
	".v-FAILED{background:#f5b5b5}\n"
	".v-INFORMATIONAL{background:#cfe0f5}\n"
	".v-UNIMPLEMENTED{background:#e2d5f0}\n"
	".v-EXCLUDED{background:#eee;color:#777;font-weight:400}\n"
	".v-none{color:#aaa;font-weight:400}\n"
	".dim{opacity:.2}\n"
	"#matrix td.v a{color:inherit;text-decoration:none;display:block}\n"
	"#matrix tr.cat th{background:#f4f4f4}\n"
	"fieldset{display:inline-block;margin:0 1em .5em 0}\n"
	"fieldset label{margin-right:.6em;padding:1px 4px}\n"
	"details.case{border:1px solid #ccc;margin:.4em 0;padding:.2em .6em}\n"
	"details.case>summary{cursor:pointer}\n"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;"
	"margin:.5em 0}\n"
	"dt{font-weight:600}dd{margin:0}\n"
	"pre{background:#f7f7f7;padding:.4em;margin:.2em 0;white-space:pre-wrap;"
	"word-break:break-all}\n"
	"code{white-space:pre-wrap;word-break:break-all}\n"
	".lvl{font-size:.85em;color:#555}\n"
	"[hidden]{display:none!important}\n"
	"table.wl{font-size:12px;width:100%}\n"
	"table.wl td{font-family:monospace}\n"
	"table.wl tr.tx td{background:#f4f8ff}\n"
	"table.wl tr.rx td{background:#fbfbf4}\n"
	"table.wl pre{margin:.1em 0;padding:.1em .3em}\n"
	"pre.hx{color:#444}\n"
	"ul.viol{margin:.2em 0;padding-left:1.2em;color:#a00}\n"
	".trunc{color:#a00}\n";

/* Counts the verdicts of the matrix cells (proof in a browser that the
 * script ran), applies the filters, and opens a case's details when a
 * link to it is followed. */
static const char page_script[] =
	"\n"
	"(function () {\n"
	"\"use strict\";\n"
	"var each = function (sel, root, f) {\n"
	"\tArray.prototype.forEach.call((root || document).querySelectorAll(sel), f);\n"
	"};\n"
	"var boxes = [];\n"
	"each(\"input[data-filter-v]\", null, function (b) { boxes.push(b); });\n"
	"var cat = document.getElementById(\"f-cat\");\n"
	"var counts = Object.create(null);\n"
	"each(\"#matrix td[data-v]\", null, function (td) {\n"
	"\tvar v = td.getAttribute(\"data-v\");\n"
	"\tcounts[v] = (counts[v] || 0) + 1;\n"
	"});\n"
	"each(\"output[data-jscount]\", null, function (o) {\n"
	"\to.textContent = String(counts[o.getAttribute(\"data-jscount\")] || 0);\n"
	"});\n"
	"function apply() {\n"
	"\tvar on = Object.create(null), c = cat.value, shown = 0;\n"
	"\tvar seen = Object.create(null);\n"
	"\tboxes.forEach(function (b) { on[b.getAttribute(\"data-filter-v\")] = b.checked; });\n"
	"\teach(\"#matrix tr[data-case]\", null, function (tr) {\n"
	"\t\tvar inCat = c === \"\" || tr.getAttribute(\"data-cat\") === c;\n"
	"\t\tvar any = false;\n"
	"\t\teach(\"td[data-v]\", tr, function (td) {\n"
	"\t\t\tvar vis = inCat && on[td.getAttribute(\"data-v\")] === true;\n"
	"\t\t\tif (vis) { any = true; shown++; }\n"
	"\t\t\ttd.classList.toggle(\"dim\", !vis);\n"
	"\t\t});\n"
	"\t\ttr.hidden = !any;\n"
	"\t\tif (any) { seen[tr.getAttribute(\"data-cat\")] = true; }\n"
	"\t});\n"
	"\teach(\"#matrix tr[data-cat-head]\", null, function (tr) {\n"
	"\t\ttr.hidden = seen[tr.getAttribute(\"data-cat-head\")] !== true;\n"
	"\t});\n"
	"\teach(\"details[data-v]\", null, function (d) {\n"
	"\t\td.hidden = !((c === \"\" || d.getAttribute(\"data-cat\") === c) &&\n"
	"\t\t\ton[d.getAttribute(\"data-v\")] === true);\n"
	"\t});\n"
	"\tdocument.getElementById(\"f-shown\").textContent = String(shown);\n"
	"}\n"
	"function openHash() {\n"
	"\tvar id = location.hash.slice(1);\n"
	"\tvar el = id ? document.getElementById(id) : null;\n"
	"\tif (el && el.tagName === \"DETAILS\") { el.hidden = false; el.open = true; }\n"
	"}\n"
	"boxes.forEach(function (b) { b.addEventListener(\"change\", apply); });\n"
	"cat.addEventListener(\"change\", apply);\n"
	"window.addEventListener(\"hashchange\", openHash);\n"
	"apply();\n"
	"openHash();\n"
	"document.body.setAttribute(\"data-ready\", \"1\");\n"
	"}());\n";

/* The verdicts a cell can show, in filter order; EXCLUDED is not a
 * verdict but has a column of its own. */
static const char *const filter_names[] = {
	"OK", "NON-STRICT", "FAILED", "INFORMATIONAL", "UNIMPLEMENTED", "EXCLUDED",
};

struct agent_view {
	struct rep_item *items;
	size_t n;
};

/* The first item of v whose id equals id, or NULL (items are sorted by
 * rep__id_cmp). */
static const struct rep_item *find_item(const struct agent_view *v,
					const char *id, size_t *index)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rep__id_cmp(v->items[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->n && rep__id_cmp(v->items[lo].id, id) == 0) {
		*index = lo;
		return &v->items[lo];
	}
	return NULL;
}

static const char *item_verdict(const struct rep_item *it)
{
	return it->c != NULL ? vd_behavior_name(it->c->verdict) : "EXCLUDED";
}

static int cmp_ids(const void *x, const void *y)
{
	const char *const *a = x, *const *b = y;
	return rep__id_cmp(*a, *b);
}

static void head(struct rep_sb *b, const struct res_run *r)
{
	char style_hash[64], script_hash[64];
	if (rep__sha256_b64(page_style, sizeof(page_style) - 1, style_hash,
			    sizeof(style_hash)) != 0 ||
	    rep__sha256_b64(page_script, sizeof(page_script) - 1, script_hash,
			    sizeof(script_hash)) != 0) {
		b->oom = 1;
		return;
	}
	rep__sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			"<meta charset=\"utf-8\">\n");
	rep__sb_printf(b, "<meta http-equiv=\"Content-Security-Policy\" "
			  "content=\"default-src 'none'; style-src 'sha256-%s'; "
			  "script-src 'sha256-%s'; base-uri 'none'; "
			  "form-action 'none'\">\n",
		       style_hash, script_hash);
	rep__sb_puts(b, "<meta name=\"viewport\" content=\"width=device-width, "
			"initial-scale=1\">\n<title>wsprobe report</title>\n"
			"<style>");
	rep__sb_puts(b, page_style);
	rep__sb_puts(b, "</style>\n</head>\n<body>\n<header>\n<h1>wsprobe "
			"report</h1>\n<p>");
	rep__sb_esc(b, r->tool ? r->tool : "wsprobe", 0);
	rep__sb_puts(b, " ");
	rep__sb_esc(b, r->version, 0);
	rep__sb_printf(b, ", seed %llu. The same results are in results.json "
			  "(native), junit.xml and index.json (Autobahn "
			  "layout).</p>\n</header>\n",
		       (unsigned long long)r->seed);
}

static void summary(struct rep_sb *b, const struct res_run *r)
{
	rep__sb_puts(b, "<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n"
			"<thead><tr><th>agent</th><th>under test</th>"
			"<th>target</th><th>total</th><th>OK</th>"
			"<th>NON-STRICT</th><th>FAILED</th><th>INFORMATIONAL</th>"
			"<th>UNIMPLEMENTED</th><th>excluded</th></tr></thead>\n"
			"<tbody>\n");
	for (size_t i = 0; i < r->nagents; i++) {
		const struct res_agent *a = &r->agents[i];
		const struct res_summary *s = &a->summary;
		rep__sb_printf(b, "<tr data-agent=\"%zu\"><td>", i);
		rep__sb_esc(b, a->agent, 0);
		rep__sb_puts(b, "</td><td>");
		rep__sb_esc(b, a->role, 0);
		rep__sb_puts(b, "</td><td>");
		rep__sb_esc(b, a->target ? a->target : "-", 0);
		rep__sb_printf(b, "</td><td class=\"n\">%u</td>"
				  "<td class=\"n\">%u</td><td class=\"n\">%u</td>"
				  "<td class=\"n\">%u</td><td class=\"n\">%u</td>"
				  "<td class=\"n\">%u</td><td class=\"n\">%zu</td>"
				  "</tr>\n",
			       s->total, s->ok, s->non_strict, s->failed,
			       s->informational, s->unimplemented, a->nexcluded);
	}
	rep__sb_puts(b, "</tbody>\n</table>\n</section>\n");
}

static void filters(struct rep_sb *b, const char **cats, size_t ncats,
		    size_t total)
{
	rep__sb_puts(b, "<section id=\"filters\">\n<h2>Filters</h2>\n"
			"<fieldset><legend>Verdict (results)</legend>\n");
	for (size_t i = 0; i < sizeof(filter_names) / sizeof(filter_names[0]);
	     i++)
		rep__sb_printf(b, "<label class=\"v v-%s\"><input type=\"checkbox\" "
				  "data-filter-v=\"%s\" checked> %s "
				  "<output data-jscount=\"%s\"></output></label>\n",
			       filter_names[i], filter_names[i], filter_names[i],
			       filter_names[i]);
	rep__sb_puts(b, "</fieldset>\n<label>Category <select id=\"f-cat\">"
			"<option value=\"\">all</option>");
	for (size_t i = 0; i < ncats; i++) {
		rep__sb_puts(b, "<option value=\"");
		rep__sb_esc(b, cats[i], 1);
		rep__sb_puts(b, "\">");
		rep__sb_esc(b, cats[i], 0);
		rep__sb_puts(b, "</option>");
	}
	rep__sb_printf(b, "</select></label>\n<p>Showing <output id=\"f-shown\">"
			  "</output> of <span id=\"f-total\">%zu</span> results "
			  "(one per agent and case).</p>\n</section>\n",
		       total);
}

static void matrix(struct rep_sb *b, const struct res_run *r,
		   const struct agent_view *views, const char **ids,
		   size_t nids)
{
	rep__sb_puts(b, "<section id=\"matrix\">\n<h2>Results</h2>\n<table>\n"
			"<thead><tr><th>case</th><th>title</th>");
	for (size_t i = 0; i < r->nagents; i++) {
		rep__sb_printf(b, "<th data-agent=\"%zu\">", i);
		rep__sb_esc(b, r->agents[i].agent, 0);
		rep__sb_puts(b, "</th>");
	}
	rep__sb_puts(b, "</tr></thead>\n<tbody>\n");
	char prev[64] = "";
	for (size_t k = 0; k < nids; k++) {
		char cat[64];
		rep__category(ids[k], cat, sizeof(cat));
		if (k == 0 || strcmp(cat, prev) != 0) {
			rep__sb_puts(b, "<tr class=\"cat\" data-cat-head=\"");
			rep__sb_esc(b, cat, 1);
			rep__sb_printf(b, "\"><th colspan=\"%zu\">category ",
				       r->nagents + 2);
			rep__sb_esc(b, cat, 0);
			rep__sb_puts(b, "</th></tr>\n");
			memcpy(prev, cat, sizeof(prev));
		}
		const char *title = NULL;
		for (size_t i = 0; i < r->nagents && title == NULL; i++) {
			size_t idx;
			const struct rep_item *it = find_item(&views[i], ids[k], &idx);
			if (it != NULL)
				title = it->title;
		}
		rep__sb_puts(b, "<tr data-case=\"");
		rep__sb_esc(b, ids[k], 1);
		rep__sb_puts(b, "\" data-cat=\"");
		rep__sb_esc(b, cat, 1);
		rep__sb_puts(b, "\"><td>");
		rep__sb_esc(b, ids[k], 0);
		rep__sb_puts(b, "</td><td>");
		rep__sb_esc(b, title ? title : "", 0);
		rep__sb_puts(b, "</td>");
		for (size_t i = 0; i < r->nagents; i++) {
			size_t idx;
			const struct rep_item *it = find_item(&views[i], ids[k], &idx);
			if (it == NULL) {
				rep__sb_puts(b, "<td class=\"v v-none\">-</td>");
			} else if (it->c == NULL) {
				rep__sb_puts(b, "<td class=\"v v-EXCLUDED\" "
						"data-v=\"EXCLUDED\">excluded</td>");
			} else {
				const char *v = item_verdict(it);
				rep__sb_printf(b, "<td class=\"v v-%s\" data-v=\"%s\">"
						  "<a href=\"#r%zu-%zu\">%s",
					       v, v, i, idx, v);
				if (it->c->has_remote_code)
					rep__sb_printf(b, " <small>%u</small>",
						       it->c->remote_code);
				rep__sb_puts(b, "</a></td>");
			}
		}
		rep__sb_puts(b, "</tr>\n");
	}
	rep__sb_puts(b, "</tbody>\n</table>\n</section>\n");
}

static void dt(struct rep_sb *b, const char *name)
{
	rep__sb_printf(b, "<dt>%s</dt><dd>", name);
}

static void text_or(struct rep_sb *b, const char *s, const char *none)
{
	if (s != NULL && s[0] != '\0')
		rep__sb_esc(b, s, 0);
	else
		rep__sb_printf(b, "<i>%s</i>", none);
}

static void requirements(struct rep_sb *b, const struct res_case *c)
{
	if (c->nreqs == 0) {
		rep__sb_puts(b, "<i>none cited</i>");
		return;
	}
	rep__sb_puts(b, "<ul>");
	for (size_t i = 0; i < c->nreqs; i++) {
		const char *level, *sum;
		size_t ll, sl;
		rep__sb_puts(b, "<li><code>");
		rep__sb_esc(b, c->reqs[i], 0);
		rep__sb_puts(b, "</code> ");
		if (c->reqs[i] != NULL &&
		    rep__req_lookup(c->reqs[i], &level, &ll, &sum, &sl)) {
			rep__sb_puts(b, "<span class=\"lvl\">");
			rep__sb_escn(b, level, ll, 0);
			rep__sb_puts(b, "</span> ");
			rep__sb_escn(b, sum, sl, 0);
		} else {
			rep__sb_puts(b, "<i>not in the requirements table</i>");
		}
		rep__sb_puts(b, "</li>");
	}
	rep__sb_puts(b, "</ul>");
}

static void case_details(struct rep_sb *b, const struct res_agent *a,
			 size_t ai, const struct rep_item *it, size_t idx)
{
	const struct res_case *c = it->c;
	const char *v = vd_behavior_name(c->verdict);
	char cat[64];
	rep__category(it->id, cat, sizeof(cat));
	rep__sb_printf(b, "<details class=\"case\" id=\"r%zu-%zu\" data-v=\"%s\" "
			  "data-cat=\"",
		       ai, idx, v);
	rep__sb_esc(b, cat, 1);
	rep__sb_printf(b, "\"%s>\n<summary><span class=\"v v-%s\">%s</span> <b>",
		       c->verdict == VD_FAILED ? " open" : "", v, v);
	rep__sb_esc(b, it->id, 0);
	rep__sb_puts(b, "</b> ");
	rep__sb_esc(b, c->title, 0);
	rep__sb_puts(b, " &mdash; <i>");
	rep__sb_esc(b, a->agent, 0);
	rep__sb_puts(b, "</i></summary>\n<dl>\n");
	dt(b, "Description");
	text_or(b, c->description, "none");
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Expectation");
	text_or(b, c->expectation, "none");
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Behavior");
	rep__sb_printf(b, "<span class=\"v v-%s\">%s</span> ",
		       vd_behavior_name(c->behavior), vd_behavior_name(c->behavior));
	text_or(b, c->reason, "no reason recorded");
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Close");
	const char *cv = vd_close_name(c->close_behavior);
	rep__sb_printf(b, "<span class=\"v v-%s\">%s</span> ",
		       vd_close_is_failure(c->close_behavior) ? "FAILED"
		       : c->close_behavior == VDC_INFORMATIONAL ? "INFORMATIONAL"
								: "OK",
		       cv);
	text_or(b, c->close_reason, "no reason recorded");
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Peer's close frame");
	if (c->has_remote_code) {
		rep__sb_printf(b, "code %u, reason ", c->remote_code);
		if (c->remote_reason != NULL && c->remote_reason[0] != '\0') {
			rep__sb_puts(b, "<code>");
			rep__sb_esc(b, c->remote_reason, 0);
			rep__sb_puts(b, "</code>");
		} else {
			rep__sb_puts(b, "<i>empty</i>");
		}
	} else {
		rep__sb_puts(b, "<i>none, or none with a code</i>");
	}
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Duration");
	rep__sb_printf(b, "%lld ms</dd>\n", (long long)c->duration_ms);
	dt(b, "Requirements");
	requirements(b, c);
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Observed events");
	if (c->nevents == 0) {
		rep__sb_puts(b, "<i>none</i>");
	} else {
		rep__sb_puts(b, "<ol>");
		for (size_t i = 0; i < c->nevents; i++) {
			rep__sb_puts(b, "<li><code>");
			rep__sb_esc(b, c->events[i], 0);
			rep__sb_puts(b, "</code></li>");
		}
		rep__sb_puts(b, "</ol>");
	}
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Opening handshake");
	if (c->http_request == NULL && c->http_response == NULL) {
		rep__sb_puts(b, "<i>not recorded</i>");
	} else {
		rep__sb_puts(b, "<pre>");
		text_or(b, c->http_request, "request not recorded");
		rep__sb_puts(b, "</pre><pre>");
		text_or(b, c->http_response, "no response recorded");
		rep__sb_puts(b, "</pre>");
	}
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Closing");
	if (c->has_facts) {
		/* Autobahn's closing facts, under their names. */
		rep__sb_printf(b, "closedByMe (wsprobe sent the first Close): "
				  "%s; failedByMe (wsprobe failed the "
				  "connection): %s; droppedByMe (wsprobe closed "
				  "TCP first): %s; wasClean: %s",
			       c->closed_by_me ? "yes" : "no",
			       c->failed_by_me ? "yes" : "no",
			       c->dropped_by_me ? "yes" : "no",
			       c->was_clean ? "yes" : "no");
		if (!c->was_clean && c->not_clean_reason != NULL) {
			rep__sb_puts(b, ", ");
			rep__sb_esc(b, c->not_clean_reason, 0);
		}
		rep__sb_puts(b, "<br>wsprobe's close frame: ");
		if (c->has_local_code) {
			rep__sb_printf(b, "code %u, reason ", c->local_code);
			text_or(b, c->local_reason, "empty");
		} else {
			rep__sb_puts(b, "<i>none, or none with a code</i>");
		}
	} else {
		rep__sb_puts(b, "<i>not recorded</i>");
	}
	rep__sb_puts(b, "</dd>\n");
	dt(b, "Wire log");
	rep__html_wire(b, c, a->role);
	rep__sb_puts(b, "</dd>\n");
	if (c->pcap != NULL) {
		/* --pcap: the capture sits next to index.html (a relative
		 * path checked when results.json is read). */
		dt(b, "Capture");
		rep__sb_puts(b, "<a href=\"");
		rep__sb_esc(b, c->pcap, 1);
		rep__sb_puts(b, "\" download>");
		rep__sb_esc(b, c->pcap, 0);
		rep__sb_puts(b, "</a>");
		if (c->pcap_truncated)
			rep__sb_puts(b, " <i>(cut short: --pcap-max)</i>");
		rep__sb_puts(b, " &mdash; open with Wireshark, "
				"<code>tshark -r</code> or "
				"<code>wsprobe dissect</code></dd>\n");
	}
	rep__sb_puts(b, "</dl>\n</details>\n");
}

int rep_html_render(const struct res_run *r, char **out, size_t *len)
{
	struct rep_sb b = {0};
	struct agent_view *views = calloc(r->nagents ? r->nagents : 1,
					  sizeof(*views));
	const char **ids = NULL, **cats = NULL;
	size_t nids = 0, ncats = 0, total = 0;
	int rc = WSP_E_NOMEM;
	if (views == NULL)
		return WSP_E_NOMEM;
	for (size_t i = 0; i < r->nagents; i++) {
		int n = rep__items(&r->agents[i], &views[i].items);
		if (n < 0)
			goto out;
		views[i].n = (size_t)n;
		total += (size_t)n;
	}
	/* The rows: every id of every agent, once, in id order. */
	ids = calloc(total ? total : 1, sizeof(*ids));
	cats = calloc(total ? total : 1, sizeof(*cats));
	if (ids == NULL || cats == NULL)
		goto out;
	for (size_t i = 0; i < r->nagents; i++)
		for (size_t k = 0; k < views[i].n; k++)
			ids[nids++] = views[i].items[k].id;
	qsort(ids, nids, sizeof(*ids), cmp_ids);
	size_t u = 0;
	for (size_t k = 0; k < nids; k++)
		if (u == 0 || rep__id_cmp(ids[u - 1], ids[k]) != 0)
			ids[u++] = ids[k];
	nids = u;
	/* Categories, in order of first appearance in the rows.  They point
	 * into the ids (cut at the first '.') via a small copy each. */
	char (*catbuf)[64] = calloc(nids ? nids : 1, sizeof(*catbuf));
	if (catbuf == NULL)
		goto out;
	for (size_t k = 0; k < nids; k++) {
		char cat[64];
		rep__category(ids[k], cat, sizeof(cat));
		if (ncats == 0 || strcmp(catbuf[ncats - 1], cat) != 0) {
			memcpy(catbuf[ncats], cat, sizeof(cat));
			cats[ncats] = catbuf[ncats];
			ncats++;
		}
	}

	head(&b, r);
	summary(&b, r);
	filters(&b, cats, ncats, total);
	matrix(&b, r, views, ids, nids);
	rep__sb_puts(&b, "<section id=\"cases\">\n<h2>Cases</h2>\n");
	for (size_t i = 0; i < r->nagents; i++)
		for (size_t k = 0; k < views[i].n; k++)
			if (views[i].items[k].c != NULL)
				case_details(&b, &r->agents[i], i, &views[i].items[k],
					     k);
	rep__sb_puts(&b, "</section>\n<script>");
	rep__sb_puts(&b, page_script);
	rep__sb_puts(&b, "</script>\n</body>\n</html>\n");
	free(catbuf);
	rc = rep__sb_finish(&b, out, len);
out:
	if (rc != 0)
		rep__sb_free(&b);
	for (size_t i = 0; i < r->nagents; i++)
		free(views[i].items);
	free(views);
	free(ids);
	free(cats);
	return rc;
}

int rep_html_write(const struct res_run *r, const char *dir, char *err,
		   size_t errlen)
{
	char *text;
	size_t len;
	if (rep_html_render(r, &text, &len) != 0) {
		snprintf(err, errlen, "index.html: out of memory");
		return WSP_E_NOMEM;
	}
	int rc = rep_mkdir_p(dir, err, errlen);
	if (rc == 0)
		rc = rep_write_atomic(dir, "index.html", text, len, err, errlen);
	free(text);
	return rc;
}
