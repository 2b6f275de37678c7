/*
 * cli_dis.c: the options and output shared by `wsprobe dissect` and
 * `wsprobe capture` (contract in cli_dis.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli_dis.h"
#include "wsp_err.h"

const struct cli_opt cli_dis_opts[] = {
	{"json", 'j', 0, NULL, "one JSON object per line instead of text", CLI_DIS_JSON},
	{"messages", 'm', 0, NULL, "a line per message instead of per frame", CLI_DIS_MESSAGES},
	{"hex", 'x', 0, NULL, "add the payload in hex (up to --hex-bytes bytes)", CLI_DIS_HEX},
	{"stream", 's', 1, "N", "only TCP stream N (numbered as tshark's tcp.stream)", CLI_DIS_STREAM},
	{"port", 'p', 1, "N", "streams on TCP port N are WebSocket even without a captured handshake; other streams are skipped", CLI_DIS_PORT},
	{"check", 'c', 0, NULL, "report protocol violations only; exit 1 when any was found", CLI_DIS_CHECK},
	{"preview", 0, 1, "BYTES", "payload bytes shown per line (default 32)", CLI_DIS_PREVIEW},
	{"hex-bytes", 0, 1, "BYTES", "payload bytes kept for -x (default 256, at most 4096)", CLI_DIS_HEXBYTES},
	{"max-buffer", 0, 1, "BYTES", "out-of-order bytes held per stream direction (default 4194304)", CLI_DIS_MAXBUF},
	{"max-total", 0, 1, "BYTES", "out-of-order bytes held in all (default 268435456)", CLI_DIS_MAXTOTAL},
	{"max-streams", 0, 1, "N", "TCP streams tracked at once (default 100000)", CLI_DIS_MAXSTREAMS},
	{"max-inflate", 0, 1, "BYTES", "largest message inflated (default 67108864)", CLI_DIS_MAXINFLATE},
	{"digest", 0, 0, NULL, "JSON frames carry the CRC-32 of the whole payload and of what it inflated to", CLI_DIS_DIGEST},
};
const size_t cli_dis_nopts = sizeof(cli_dis_opts) / sizeof(cli_dis_opts[0]);

void cli_dis_defaults(struct cli_dis_args *a)
{
	memset(a, 0, sizeof(*a));
	a->cfg.stream = -1;
	a->fmt.preview = 32;
	a->hex_bytes = 256;
}

int cli_dis_set(struct cli_dis_args *a, const char *cmd, int id,
		const char *val, char *err, size_t errlen)
{
	uint64_t v;
	switch (id) {
	case CLI_DIS_JSON:
		a->fmt.json = 1;
		return 0;
	case CLI_DIS_MESSAGES:
		a->fmt.messages = 1;
		return 0;
	case CLI_DIS_HEX:
		a->fmt.hex = 1;
		return 0;
	case CLI_DIS_CHECK:
		a->fmt.check = 1;
		return 0;
	case CLI_DIS_DIGEST:
		a->fmt.digest = 1;
		a->cfg.digest = 1;
		return 0;
	case CLI_DIS_STREAM:
		if (cli_parse_u64(val, 0, (uint64_t)1 << 62, &v) != 0)
			break;
		a->cfg.stream = (int64_t)v;
		return 0;
	case CLI_DIS_PORT:
		if (cli_parse_u64(val, 1, 65535, &v) != 0)
			break;
		a->cfg.port = (uint16_t)v;
		return 0;
	case CLI_DIS_PREVIEW:
		if (cli_parse_u64(val, 0, DISFMT_MAX_KEEP, &v) != 0)
			break;
		a->fmt.preview = (size_t)v;
		return 0;
	case CLI_DIS_HEXBYTES:
		if (cli_parse_u64(val, 1, DISFMT_MAX_KEEP, &v) != 0)
			break;
		a->hex_bytes = (size_t)v;
		return 0;
	case CLI_DIS_MAXBUF:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 40, &v) != 0)
			break;
		a->cfg.tcpr.max_buffer = (size_t)v;
		return 0;
	case CLI_DIS_MAXTOTAL:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 44, &v) != 0)
			break;
		a->cfg.tcpr.max_total = (size_t)v;
		return 0;
	case CLI_DIS_MAXSTREAMS:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 32, &v) != 0)
			break;
		a->cfg.tcpr.max_open = (size_t)v;
		return 0;
	case CLI_DIS_MAXINFLATE:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 40, &v) != 0)
			break;
		a->cfg.max_inflate = v;
		return 0;
	default:
		return 1;
	}
	const char *name = "?";
	for (size_t i = 0; i < cli_dis_nopts; i++)
		if (cli_dis_opts[i].id == id)
			name = cli_dis_opts[i].name;
	snprintf(err, errlen, "%s: --%s: bad value '%s' (see wsprobe %s --help)",
		 cmd, name, val, cmd);
	return -1;
}

void cli_dis_finish_args(struct cli_dis_args *a)
{
	/* Keep what the display needs: the preview, and -x's bytes. */
	a->cfg.keep = a->fmt.preview > 0 ? a->fmt.preview : 1;
	if (a->fmt.hex && a->hex_bytes > a->cfg.keep)
		a->cfg.keep = a->hex_bytes;
}

size_t cli_dis_table_merge(struct cli_opt *out, size_t cap,
			   const struct cli_opt *own, size_t nown,
			   const int *skip, size_t nskip)
{
	size_t n = 0;
	for (size_t i = 0; i < nown && n < cap; i++)
		out[n++] = own[i];
	for (size_t i = 0; i < cli_dis_nopts && n < cap; i++) {
		int skipped = 0;
		for (size_t k = 0; k < nskip; k++)
			if (skip[k] == cli_dis_opts[i].id)
				skipped = 1;
		if (skipped)
			continue;
		out[n] = cli_dis_opts[i];
		for (size_t k = 0; k < nown; k++)
			if (own[k].shortopt != 0 &&
			    own[k].shortopt == out[n].shortopt)
				out[n].shortopt = 0;
		n++;
	}
	return n;
}

int cli_dis_out_init(struct cli_dis_out *o, FILE *out,
		     struct disfmt_opts *fmt)
{
	memset(o, 0, sizeof(*o));
	o->out = out;
	o->fmt = fmt;
	o->cap = 1u << 20;
	o->buf = malloc(o->cap);
	return o->buf == NULL ? WSP_E_NOMEM : 0;
}

void cli_dis_out_flush(struct cli_dis_out *o)
{
	if (o->len > 0 && !o->werr &&
	    fwrite(o->buf, 1, o->len, o->out) != o->len)
		o->werr = 1;
	o->len = 0;
}

void cli_dis_out_free(struct cli_dis_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

void cli_dis_on_event(const struct dis_event *ev, void *user)
{
	struct cli_dis_out *o = user;
	if (o->cap - o->len < DISFMT_MAX_LINE)
		cli_dis_out_flush(o);
	o->len += disfmt_event(o->fmt, ev, o->buf + o->len, o->cap - o->len);
}

int cli_dis_packet(struct cli_dis_out *o, struct dis *d,
		   const struct cap_pkt *pkt)
{
	if (!o->started) {
		o->fmt->t0 = pkt->ts;
		o->started = 1;
	}
	return dis_packet(d, pkt, cli_dis_on_event, o);
}

void cli_dis_check_summary(struct cli_dis_out *o, const struct dis *d)
{
	if (!o->fmt->check || o->fmt->json || o->werr)
		return;
	fprintf(o->out, "%llu violation%s in %llu WebSocket session%s\n",
		(unsigned long long)d->violations,
		d->violations == 1 ? "" : "s",
		(unsigned long long)d->sessions, d->sessions == 1 ? "" : "s");
}
