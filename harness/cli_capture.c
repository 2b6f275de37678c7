/*
 * cli_capture.c: `wsprobe capture [-i IFACE] [-w FILE] [--port N]
 * [FILTER...]`: live capture through libpcap (pcap/live.h), dissected on
 * the fly by the same dissector and printer as `wsprobe dissect`
 * (harness/cli_dis.h), so a capture prints, packet by packet, the lines
 * `wsprobe dissect` prints for the file `-w` writes.
 *
 * The run ends after -c packets, after --duration seconds, or at SIGINT or
 * SIGTERM; in every case the stream ends are dissected, the file written
 * with -w is flushed and renamed from FILE.part to FILE, and one summary
 * line goes to stderr.  Nothing blocks for long: the loop waits at most
 * LIVE_WAIT_MAX_MS for packets, then reads without blocking, so a signal
 * or the deadline is noticed within that time.
 *
 * Default interface (documented choice): "any" where libpcap has it
 * (Linux: every interface, loopback included, with cooked headers), else
 * the first interface libpcap lists.  `--port N` both adds "tcp port N" to
 * the BPF filter and tells the dissector that port N is the server side,
 * so a capture that starts mid-session is still decoded.
 *
 * Exit codes: 0 done; 1 --check saw a violation; 2 usage or a filter that
 * does not compile; 4 the interface cannot be captured on (no such
 * interface, permission denied, not up, libpcap failed); 5 out of memory
 * or the -w file cannot be written.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_capture.h"
#include "cli_opts.h"
#include "clock.h"
#include "dis.h"
#include "live.h"
#include "wsp_err.h"

enum {
	C_IFACE = CLI_DIS_LAST + 1,
	C_WRITE,
	C_COUNT,
	C_DURATION,
	C_SNAPLEN,
	C_BUFFER,
	C_PROMISC,
	C_QUIET,
	C_PORT
};

static const struct cli_opt capture_own[] = {
	{"interface", 'i', 1, "IFACE", "interface to capture on (default: any, else the first libpcap lists)", C_IFACE},
	{"write", 'w', 1, "FILE", "also write the raw packets to FILE (pcap; FILE.part until the end)", C_WRITE},
	{"count", 'c', 1, "N", "stop after N packets", C_COUNT},
	{"duration", 0, 1, "SEC", "stop after SEC seconds", C_DURATION},
	{"port", 'p', 1, "N", "capture TCP port N only (ANDed with FILTER); the server is on port N", C_PORT},
	{"snaplen", 0, 1, "BYTES", "bytes kept per packet (default 262144)", C_SNAPLEN},
	{"buffer-size", 'B', 1, "BYTES", "kernel capture buffer (default 67108864)", C_BUFFER},
	{"promisc", 0, 0, NULL, "put the interface in promiscuous mode", C_PROMISC},
	{"quiet", 'q', 0, NULL, "no per-frame lines (only the summary, and --check's exit code)", C_QUIET},
};

#define CAPTURE_USAGE \
	"wsprobe capture [-i IFACE] [-w FILE] [--port N] [options] [FILTER...]\n\n" \
	"Captures live through libpcap and decodes the WebSocket traffic as it\n" \
	"comes, printing the lines `wsprobe dissect` prints.  FILTER is a BPF\n" \
	"expression (its words are joined by spaces; put -- before it when it\n" \
	"starts with '-').  SIGINT or SIGTERM end the capture cleanly.\n" \
	"Exit codes: 0 done, 1 --check found violations, 2 usage or bad filter,\n" \
	"4 cannot capture on the interface (missing, not permitted, down),\n" \
	"5 out of memory or the -w file cannot be written."

#define CAPTURE_NOPTS \
	(sizeof(capture_own) / sizeof(capture_own[0]) + 16)

static struct cli_opt capture_table[CAPTURE_NOPTS];
static size_t capture_ntable;

static const char *opt_name(int id)
{
	for (size_t i = 0; i < capture_ntable; i++)
		if (capture_table[i].id == id)
			return capture_table[i].name;
	return "?";
}

static int capture_set(void *ctx, int id, const char *val, char *err,
		       size_t errlen)
{
	struct cli_capture_args *a = ctx;
	uint64_t v;
	double d;
	int rc = cli_dis_set(&a->dis, "capture", id, val, err, errlen);
	if (rc <= 0)
		return rc;
	switch (id) {
	case C_IFACE:
		a->iface = val;
		return 0;
	case C_WRITE:
		if (strcmp(val, "-") == 0) {
			snprintf(err, errlen,
				 "capture: -w -: writing the capture to "
				 "standard output is not supported (give a FILE)");
			return -1;
		}
		a->write = val;
		return 0;
	case C_COUNT:
		if (cli_parse_u64(val, 1, UINT64_MAX >> 1, &v) != 0)
			break;
		a->count = v;
		return 0;
	case C_DURATION:
		if (cli_parse_double(val, 0.001, 1e9, &d) != 0)
			break;
		a->duration = d;
		return 0;
	case C_PORT:
		return cli_dis_set(&a->dis, "capture", CLI_DIS_PORT, val, err,
				   errlen) == 0
			       ? 0
			       : -1;
	case C_SNAPLEN:
		if (cli_parse_u64(val, 64, LIVE_SNAPLEN, &v) != 0)
			break;
		a->snaplen = (int)v;
		return 0;
	case C_BUFFER:
		if (cli_parse_u64(val, 65536, 1u << 30, &v) != 0)
			break;
		a->buffer_size = (int)v;
		return 0;
	case C_PROMISC:
		a->promisc = 1;
		return 0;
	case C_QUIET:
		a->quiet = 1;
		return 0;
	default:
		return -1;
	}
	snprintf(err, errlen,
		 "capture: --%s: bad value '%s' (see wsprobe capture --help)",
		 opt_name(id), val);
	return -1;
}

static void build_table(void)
{
	/* The dissector's --port is replaced by capture's own (same
	 * letter), which also filters. */
	static const int skip[] = {CLI_DIS_PORT};
	if (capture_ntable == 0)
		capture_ntable = cli_dis_table_merge(
			capture_table, CAPTURE_NOPTS, capture_own,
			sizeof(capture_own) / sizeof(capture_own[0]), skip, 1);
}

int cli_capture_parse(int argc, char **argv, struct cli_capture_args *a,
		      char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	cli_dis_defaults(&a->dis);
	build_table();
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0;
	if (pos == NULL) {
		snprintf(err, errlen, "capture: out of memory");
		return -1;
	}
	int rc = cli_parse(argc, argv, capture_table, capture_ntable,
			   capture_set, a, CAPTURE_USAGE, pos, &npos, err,
			   errlen);
	if (rc == 0 &&
	    live_filter_build(a->filter, sizeof(a->filter),
			      (const char *const *)pos, (size_t)npos,
			      a->dis.cfg.port) < 0) {
		snprintf(err, errlen, "capture: the filter is longer than %d bytes",
			 CLI_CAPTURE_FILTER_MAX - 1);
		rc = -1;
	}
	free(pos);
	if (rc == 0)
		cli_dis_finish_args(&a->dis);
	return rc;
}

/* Set by the SIGINT/SIGTERM handler; the loop polls it. */
static volatile sig_atomic_t capture_stop;

static void on_stop(int sig)
{
	capture_stop = sig;
}

struct capture_run {
	struct cli_dis_out o;
	struct dis d;
	int quiet;
	int nomem;
};

static void quiet_event(const struct dis_event *ev, void *user)
{
	(void)ev;
	(void)user;
}

static void on_live_packet(struct cap_pkt *pkt, void *user)
{
	struct capture_run *r = user;
	if (r->nomem)
		return;
	int rc;
	if (r->quiet)
		rc = dis_packet(&r->d, pkt, quiet_event, NULL);
	else
		rc = cli_dis_packet(&r->o, &r->d, pkt);
	if (rc != 0)
		r->nomem = 1;
}

static int live_exit(int rc)
{
	switch (rc) {
	case WSP_E_PCAP_LIVE_BAD_FILTER:
		return CLI_EXIT_USAGE;
	case WSP_E_NOMEM:
		return CLI_EXIT_INTERNAL;
	default:
		return CLI_EXIT_UNREACH;
	}
}

/* The capture proper, with the signal handlers in place. */
static int capture_run_io(struct cli_capture_args *argp, FILE *out, FILE *err)
{
	struct cli_capture_args a = *argp;
	int rc;

	struct live_config lc = {a.iface, a.snaplen, a.buffer_size, a.promisc,
				 a.filter};
	struct live l;
	rc = live_open(&l, &lc);
	if (rc != 0) {
		fprintf(err, "wsprobe: capture: %s\n", l.err);
		live_close(&l);
		return live_exit(rc);
	}
	if (l.warn[0] != '\0')
		fprintf(err, "wsprobe: capture: warning: %s\n", l.warn);

	struct live_dump dump;
	memset(&dump, 0, sizeof(dump));
	if (a.write != NULL) {
		rc = live_dump_open(&dump, a.write, (int)l.linktype, l.snaplen,
				    l.nsec);
		if (rc != 0) {
			fprintf(err, "wsprobe: capture: -w %s: %s\n", a.write,
				dump.err);
			live_close(&l);
			return CLI_EXIT_INTERNAL;
		}
		l.dump = &dump;
	}

	static struct capture_run r;
	memset(&r, 0, sizeof(r));
	r.quiet = a.quiet;
	if (dis_init(&r.d, &a.dis.cfg) != 0 ||
	    cli_dis_out_init(&r.o, out, &a.dis.fmt) != 0) {
		fprintf(err, "wsprobe: capture: out of memory\n");
		cli_dis_out_free(&r.o);
		dis_free(&r.d);
		live_dump_close(&dump);
		live_close(&l);
		return CLI_EXIT_INTERNAL;
	}

	const char *ltname = cap_linktype_name(l.linktype);
	fprintf(err,
		"wsprobe: capture: listening on %s, link type %s (%u), "
		"snapshot length %d bytes, filter \"%s\"\n",
		l.iface, ltname != NULL ? ltname : "?", (unsigned)l.linktype,
		l.snaplen, a.filter);
	fflush(err);

	struct clk_deadline end = a.duration > 0
		? clk_deadline_in_ms((int64_t)(a.duration * 1000.0 + 0.5))
		: clk_never();
	int code = CLI_EXIT_OK;
	for (;;) {
		if (capture_stop || r.nomem || r.o.werr ||
		    (a.count != 0 && l.packets >= a.count) || clk_expired(end))
			break;
		int wait = clk_remaining_ms(end);
		live_wait(&l, wait < 0 ? LIVE_WAIT_MAX_MS : wait);
		int n = live_dispatch(&l, a.count != 0 ? a.count - l.packets : 0,
				      on_live_packet, &r);
		if (n < 0) {
			fprintf(err, "wsprobe: capture: %s\n",
				n == WSP_E_PCAP_LIVE_DUMP ? dump.err : l.err);
			code = n == WSP_E_PCAP_LIVE_DUMP ? CLI_EXIT_INTERNAL
							 : CLI_EXIT_UNREACH;
			break;
		}
		if (n > 0) {
			cli_dis_out_flush(&r.o);
			fflush(out);
			if (live_dump_flush(&dump) != 0) {
				fprintf(err, "wsprobe: capture: %s\n", dump.err);
				code = CLI_EXIT_INTERNAL;
				break;
			}
		}
	}
	if (!r.nomem)
		dis_finish(&r.d, r.quiet ? quiet_event : cli_dis_on_event,
			   &r.o);
	cli_dis_out_flush(&r.o);
	cli_dis_check_summary(&r.o, &r.d);
	fflush(out);
	uint64_t recv, drop, ifdrop;
	live_stats(&l, &recv, &drop, &ifdrop);
	if (a.write != NULL && live_dump_close(&dump) != 0) {
		fprintf(err, "wsprobe: capture: %s\n", dump.err);
		code = CLI_EXIT_INTERNAL;
	}
	fprintf(err,
		"wsprobe: capture: %llu packets, %llu frames, %llu violations, "
		"%llu dropped by the kernel, %llu by the interface%s%s\n",
		(unsigned long long)l.packets, (unsigned long long)r.d.frames,
		(unsigned long long)r.d.violations, (unsigned long long)drop,
		(unsigned long long)ifdrop, a.write != NULL ? ", written to " : "",
		a.write != NULL ? a.write : "");
	if (r.nomem) {
		fprintf(err, "wsprobe: capture: out of memory\n");
		code = CLI_EXIT_INTERNAL;
	}
	if (code == CLI_EXIT_OK && a.dis.fmt.check && r.d.violations > 0)
		code = CLI_EXIT_FAILED;
	cli_dis_out_free(&r.o);
	dis_free(&r.d);
	live_close(&l);
	return code;
}

int cli_capture_io(int argc, char **argv, FILE *out, FILE *err)
{
	static struct cli_capture_args a; /* the filter buffer is large */
	char msg[LIVE_ERR_LEN];
	int rc = cli_capture_parse(argc, argv, &a, msg, sizeof(msg));
	if (rc == 1)
		return CLI_EXIT_OK;
	if (rc < 0) {
		fprintf(err, "wsprobe %s\n", msg);
		return CLI_EXIT_USAGE;
	}
	/* Installed before the interface and the file are opened, so a
	 * signal at any point ends the run through the normal path (the
	 * loop sees the flag at once).  No SA_RESTART: the signal
	 * interrupts the poll. */
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	capture_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = capture_run_io(&a, out, err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

int cli_capture(int argc, char **argv)
{
	return cli_capture_io(argc, argv, stdout, stderr);
}
