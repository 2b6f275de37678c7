/*
 * cli_dis.h: what `wsprobe dissect` (a file) and `wsprobe capture` (live)
 * share: the dissector's options (--json, --messages, -x, --check, the
 * stream and port filters, the preview sizes and the reassembly limits),
 * parsed by one setter, and the output sink that formats each dissector
 * event (pcap/disfmt.h) into a buffer and writes it out.  Both commands
 * therefore print byte-identical lines for the same packets.
 *
 * Option ids of this table are 1..CLI_DIS_LAST; a command that adds its
 * own options gives them ids above CLI_DIS_LAST and builds its table from
 * its entries and these (cli_dis_table_merge).
 */
#ifndef CLI_DIS_H
#define CLI_DIS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_opts.h"
#include "dis.h"
#include "disfmt.h"

enum cli_dis_opt_id {
	CLI_DIS_JSON = 1,
	CLI_DIS_MESSAGES,
	CLI_DIS_HEX,
	CLI_DIS_STREAM,
	CLI_DIS_PORT,
	CLI_DIS_CHECK,
	CLI_DIS_PREVIEW,
	CLI_DIS_HEXBYTES,
	CLI_DIS_MAXBUF,
	CLI_DIS_MAXTOTAL,
	CLI_DIS_MAXSTREAMS,
	CLI_DIS_MAXINFLATE,
	CLI_DIS_DIGEST,
	CLI_DIS_LAST = CLI_DIS_DIGEST
};

/* The shared option table (dissect uses it as it is). */
extern const struct cli_opt cli_dis_opts[];
extern const size_t cli_dis_nopts;

struct cli_dis_args {
	struct dis_config cfg;
	struct disfmt_opts fmt;
	size_t hex_bytes;
};

/* The defaults: every stream, a 32-byte preview, 256 bytes for -x. */
void cli_dis_defaults(struct cli_dis_args *a);

/*
 * Applies option id (one of enum cli_dis_opt_id) with value val (NULL for
 * flags).  cmd names the command in the error line ("dissect").  Returns 0;
 * -1 with "CMD: --NAME: bad value 'V' (see wsprobe CMD --help)" in err;
 * 1 when id is not one of this table's (the caller handles it).
 */
int cli_dis_set(struct cli_dis_args *a, const char *cmd, int id,
		const char *val, char *err, size_t errlen);

/* After parsing: the bytes the dissector keeps per frame follow from the
 * preview and -x. */
void cli_dis_finish_args(struct cli_dis_args *a);

/*
 * Copies own[0..nown) then every shared option but those whose id is in
 * skip[0..nskip) into out[0..cap) (cap >= nown + cli_dis_nopts).  A
 * shared option whose short letter an own option uses loses its letter
 * (capture's -c is --count, so its --check is long-only).  Returns the
 * number of entries written.
 */
size_t cli_dis_table_merge(struct cli_opt *out, size_t cap,
			   const struct cli_opt *own, size_t nown,
			   const int *skip, size_t nskip);

/*
 * The output sink: lines are formatted into a 1 MiB buffer and written to
 * out when it is nearly full, or at cli_dis_out_flush (capture flushes
 * after each batch of packets, so lines appear as the traffic does).
 * A write error (a closed pipe) sets werr; later lines are dropped.
 */
struct cli_dis_out {
	FILE *out;
	struct disfmt_opts *fmt;
	char *buf;
	size_t len, cap;
	int werr;
	int started; /* fmt->t0 was taken from the first packet */
};

/* Returns 0 or WSP_E_NOMEM.  fmt is kept (not copied): it must outlive o,
 * and its t0 is set from the first packet by cli_dis_packet. */
int cli_dis_out_init(struct cli_dis_out *o, FILE *out,
		     struct disfmt_opts *fmt);
void cli_dis_out_flush(struct cli_dis_out *o);
void cli_dis_out_free(struct cli_dis_out *o);

/* The dissector callback: formats ev into o (user). */
void cli_dis_on_event(const struct dis_event *ev, void *user);

/* Dissects one packet into o (the first packet's time becomes t0).
 * Returns dis_packet's result: 0 or WSP_E_NOMEM. */
int cli_dis_packet(struct cli_dis_out *o, struct dis *d,
		   const struct cap_pkt *pkt);

/* --check in text mode: "N violations in M WebSocket sessions" to o. */
void cli_dis_check_summary(struct cli_dis_out *o, const struct dis *d);

#endif
