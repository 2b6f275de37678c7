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
#include "cli_dis.h"
#include "cli_opts.h"
#include "dis.h"
#include "disfmt.h"
#include "wsp_err.h"

static int dissect_set(void *ctx, int id, const char *val, char *err,
		       size_t errlen)
{
	int rc = cli_dis_set(ctx, "dissect", id, val, err, errlen);
	return rc > 0 ? -1 : rc;
}

int cli_dissect_io(int argc, char **argv, FILE *out, FILE *err)
{
	struct cli_dis_args a;
	cli_dis_defaults(&a);
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0;
	char msg[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	int rc = cli_parse(argc, argv, cli_dis_opts, cli_dis_nopts,
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
	cli_dis_finish_args(&a);

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
	struct cli_dis_out o;
	if (cli_dis_out_init(&o, out, &a.fmt) != 0) {
		dis_free(&d);
		capf_close(&f);
		return CLI_EXIT_INTERNAL;
	}
	struct cap_pkt pkt;
	int nomem = 0;
	while ((rc = capf_next(&f, &pkt)) > 0) {
		if (cli_dis_packet(&o, &d, &pkt) != 0) {
			nomem = 1;
			break;
		}
		if (o.werr)
			break; /* the reader went away (a closed pipe) */
	}
	if (!nomem)
		dis_finish(&d, cli_dis_on_event, &o);
	cli_dis_out_flush(&o);
	fflush(out);
	int code = CLI_EXIT_OK;
	cli_dis_check_summary(&o, &d);
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
	cli_dis_out_free(&o);
	dis_free(&d);
	capf_close(&f);
	return code;
}

int cli_dissect(int argc, char **argv)
{
	return cli_dissect_io(argc, argv, stdout, stderr);
}
