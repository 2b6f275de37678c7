/*
 * cli_dissect.c: `wsprobe dissect FILE`: reads a pcap or pcapng capture
 * (pcap/capf.h), runs every packet through the dissector (pcap/dis.h) and
 * writes one line per event (pcap/disfmt.h).  Only option parsing, the
 * output buffer and the exit code live here.
 *
 * Exit codes: 0 done; 1 --check found violations; 2 usage; 3 the file
 * cannot be read, is not a capture, or is damaged (what could be read is
 * still dissected and printed first); 5 out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capf.h"
#include "cli.h"
#include "cli_opts.h"
#include "dis.h"
#include "disfmt.h"
#include "wsp_err.h"

enum {
	D_JSON, D_MESSAGES, D_HEX, D_STREAM, D_PORT, D_CHECK, D_PREVIEW,
	D_HEXBYTES, D_MAXBUF, D_MAXTOTAL, D_MAXSTREAMS, D_MAXINFLATE
};

static const struct cli_opt dissect_table[] = {
	{"json", 'j', 0, NULL, "one JSON object per line instead of text", D_JSON},
	{"messages", 'm', 0, NULL, "a line per message instead of per frame", D_MESSAGES},
	{"hex", 'x', 0, NULL, "add the payload in hex (up to --hex-bytes bytes)", D_HEX},
	{"stream", 's', 1, "N", "only TCP stream N (numbered as tshark's tcp.stream)", D_STREAM},
	{"port", 'p', 1, "N", "streams on TCP port N are WebSocket even without a captured handshake; other streams are skipped", D_PORT},
	{"check", 'c', 0, NULL, "report protocol violations only; exit 1 when any was found", D_CHECK},
	{"preview", 0, 1, "BYTES", "payload bytes shown per line (default 32)", D_PREVIEW},
	{"hex-bytes", 0, 1, "BYTES", "payload bytes kept for -x (default 256, at most 4096)", D_HEXBYTES},
	{"max-buffer", 0, 1, "BYTES", "out-of-order bytes held per stream direction (default 4194304)", D_MAXBUF},
	{"max-total", 0, 1, "BYTES", "out-of-order bytes held in all (default 268435456)", D_MAXTOTAL},
	{"max-streams", 0, 1, "N", "TCP streams tracked at once (default 100000)", D_MAXSTREAMS},
	{"max-inflate", 0, 1, "BYTES", "largest message inflated (default 67108864)", D_MAXINFLATE},
};

struct dissect_args {
	struct dis_config cfg;
	struct disfmt_opts fmt;
	size_t hex_bytes;
};

static int dissect_set(void *ctx, int id, const char *val, char *err,
		       size_t errlen)
{
	struct dissect_args *a = ctx;
	uint64_t v;
	switch (id) {
	case D_JSON:
		a->fmt.json = 1;
		return 0;
	case D_MESSAGES:
		a->fmt.messages = 1;
		return 0;
	case D_HEX:
		a->fmt.hex = 1;
		return 0;
	case D_CHECK:
		a->fmt.check = 1;
		return 0;
	case D_STREAM:
		if (cli_parse_u64(val, 0, (uint64_t)1 << 62, &v) != 0)
			break;
		a->cfg.stream = (int64_t)v;
		return 0;
	case D_PORT:
		if (cli_parse_u64(val, 1, 65535, &v) != 0)
			break;
		a->cfg.port = (uint16_t)v;
		return 0;
	case D_PREVIEW:
		if (cli_parse_u64(val, 0, DISFMT_MAX_KEEP, &v) != 0)
			break;
		a->fmt.preview = (size_t)v;
		return 0;
	case D_HEXBYTES:
		if (cli_parse_u64(val, 1, DISFMT_MAX_KEEP, &v) != 0)
			break;
		a->hex_bytes = (size_t)v;
		return 0;
	case D_MAXBUF:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 40, &v) != 0)
			break;
		a->cfg.tcpr.max_buffer = (size_t)v;
		return 0;
	case D_MAXTOTAL:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 44, &v) != 0)
			break;
		a->cfg.tcpr.max_total = (size_t)v;
		return 0;
	case D_MAXSTREAMS:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 32, &v) != 0)
			break;
		a->cfg.tcpr.max_open = (size_t)v;
		return 0;
	case D_MAXINFLATE:
		if (cli_parse_u64(val, 1, (uint64_t)1 << 40, &v) != 0)
			break;
		a->cfg.max_inflate = v;
		return 0;
	default:
		return -1;
	}
	const char *name = "?";
	for (size_t i = 0; i < sizeof(dissect_table) / sizeof(dissect_table[0]);
	     i++)
		if (dissect_table[i].id == id)
			name = dissect_table[i].name;
	snprintf(err, errlen,
		 "dissect: --%s: bad value '%s' (see wsprobe dissect --help)",
		 name, val);
	return -1;
}

/* The output: a large buffer written out when nearly full. */
struct dissect_out {
	FILE *out;
	struct disfmt_opts *fmt;
	char *buf;
	size_t len, cap;
	int werr;
};

static void out_flush(struct dissect_out *o)
{
	if (o->len > 0 && !o->werr &&
	    fwrite(o->buf, 1, o->len, o->out) != o->len)
		o->werr = 1;
	o->len = 0;
}

static void on_event(const struct dis_event *ev, void *user)
{
	struct dissect_out *o = user;
	if (o->cap - o->len < DISFMT_MAX_LINE)
		out_flush(o);
	o->len += disfmt_event(o->fmt, ev, o->buf + o->len, o->cap - o->len);
}

int cli_dissect_io(int argc, char **argv, FILE *out, FILE *err)
{
	struct dissect_args a;
	memset(&a, 0, sizeof(a));
	a.cfg.stream = -1;
	a.fmt.preview = 32;
	a.hex_bytes = 256;
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0;
	char msg[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	int rc = cli_parse(argc, argv, dissect_table,
			   sizeof(dissect_table) / sizeof(dissect_table[0]),
			   dissect_set, &a,
			   "wsprobe dissect FILE [options]\n\n"
			   "Decodes the WebSocket traffic in a pcap or pcapng capture "
			   "(FILE - for standard input).\n"
			   "Exit codes: 0 done, 1 --check found violations, 2 usage,\n"
			   "3 the file cannot be read or is damaged, 5 out of memory.",
			   pos,
			   &npos, msg, sizeof(msg));
	const char *path = npos > 0 ? pos[0] : NULL;
	free(pos);
	if (rc == 1)
		return CLI_EXIT_OK;
	if (rc < 0) {
		fprintf(err, "wsprobe %s\n", msg);
		return CLI_EXIT_USAGE;
	}
	if (npos != 1) {
		fprintf(err, "wsprobe dissect: %s (see wsprobe dissect --help)\n",
			npos == 0 ? "a capture FILE is required (- for standard input)"
				  : "only one FILE may be given");
		return CLI_EXIT_USAGE;
	}
	/* Keep what the display needs: the preview, and -x's bytes. */
	a.cfg.keep = a.fmt.preview > 0 ? a.fmt.preview : 1;
	if (a.fmt.hex && a.hex_bytes > a.cfg.keep)
		a.cfg.keep = a.hex_bytes;

	struct capf f;
	rc = capf_open(&f, path, NULL);
	if (rc != 0) {
		fprintf(err, "wsprobe: dissect: %s: %s\n", path, f.err);
		capf_close(&f);
		return rc == WSP_E_NOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_INPUT;
	}
	struct dis d;
	if (dis_init(&d, &a.cfg) != 0) {
		fprintf(err, "wsprobe: dissect: out of memory\n");
		capf_close(&f);
		return CLI_EXIT_INTERNAL;
	}
	struct dissect_out o = {out, &a.fmt, NULL, 0, 1u << 20, 0};
	o.buf = malloc(o.cap);
	if (o.buf == NULL) {
		dis_free(&d);
		capf_close(&f);
		return CLI_EXIT_INTERNAL;
	}
	struct cap_pkt pkt;
	int first = 1, nomem = 0;
	while ((rc = capf_next(&f, &pkt)) > 0) {
		if (first) {
			a.fmt.t0 = pkt.ts;
			first = 0;
		}
		if (dis_packet(&d, &pkt, on_event, &o) != 0) {
			nomem = 1;
			break;
		}
		if (o.werr)
			break; /* the reader went away (a closed pipe) */
	}
	if (!nomem)
		dis_finish(&d, on_event, &o);
	out_flush(&o);
	fflush(out);
	int code = CLI_EXIT_OK;
	if (a.fmt.check && !a.fmt.json && !o.werr)
		fprintf(out, "%llu violation%s in %llu WebSocket session%s\n",
			(unsigned long long)d.violations,
			d.violations == 1 ? "" : "s",
			(unsigned long long)d.sessions,
			d.sessions == 1 ? "" : "s");
	if (a.fmt.check && d.violations > 0)
		code = CLI_EXIT_FAILED;
	if (rc < 0) {
		fprintf(err, "wsprobe: dissect: %s: %s\n", path, f.err);
		code = CLI_EXIT_INPUT;
	}
	if (nomem) {
		fprintf(err, "wsprobe: dissect: %s: out of memory\n", path);
		code = CLI_EXIT_INTERNAL;
	}
	free(o.buf);
	dis_free(&d);
	capf_close(&f);
	return code;
}

int cli_dissect(int argc, char **argv)
{
	return cli_dissect_io(argc, argv, stdout, stderr);
}
