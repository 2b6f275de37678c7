/*
 * cli_fuzz.c: `wsprobe fuzz URL` and `wsprobe fuzz --listen HOST:PORT`:
 * the options of the live-target fuzzer (fuzzlive.h) and its summary.
 * Everything else lives in harness/fuzzlive.c.
 *
 * Exit codes: 0 nothing found; 1 at least one finding; 2 usage; 4 the
 * target cannot be reached (or nothing can be listened on); 5 internal
 * error or a findings folder that cannot be written.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "fuzzlive.h"
#include "wsp_err.h"

enum {
	OPT_LISTEN = 1,
	OPT_SEED,
	OPT_ITER,
	OPT_TIME,
	OPT_HANDSHAKE,
	OPT_OUT,
	OPT_TIMEOUT,
	OPT_RESTART,
	OPT_TRIALS,
	OPT_DEFLATE,
	OPT_INSECURE,
	OPT_QUIET
};

static const struct cli_opt fuzz_opts[] = {
	{"listen", 'l', 1, "HOST:PORT",
	 "play the server: each accepted connection is one iteration",
	 OPT_LISTEN},
	{"seed", 0, 1, "N", "seed of every random choice (default 1)",
	 OPT_SEED},
	{"iterations", 'n', 1, "N",
	 "stop after N iterations (default 1000 when --time is not given)",
	 OPT_ITER},
	{"time", 0, 1, "SEC", "stop after SEC seconds", OPT_TIME},
	{"handshake", 0, 0, NULL,
	 "mutate the opening handshake instead of frames", OPT_HANDSHAKE},
	{"output", 'o', 1, "DIR",
	 "findings go to DIR/findings/ and DIR/findings.txt "
	 "(default ./wsprobe-fuzz)", OPT_OUT},
	{"timeout", 0, 1, "MS", "wait MS for each answer (default 1000)",
	 OPT_TIMEOUT},
	{"restart", 0, 1, "CMD",
	 "shell command that brings a crashed target back (else stop)",
	 OPT_RESTART},
	{"min-trials", 0, 1, "N",
	 "replays allowed to minimise one finding (default 300)", OPT_TRIALS},
	{"deflate", 0, 0, NULL, "offer (or accept) permessage-deflate",
	 OPT_DEFLATE},
	{"insecure", 'k', 0, NULL, "wss: do not verify the certificate",
	 OPT_INSECURE},
	{"quiet", 'q', 0, NULL, "no progress lines on stderr", OPT_QUIET},
};

struct fuzz_args {
	struct fzl_opts o;
	char host[256];
	int quiet;
};

static int fuzz_set(void *ctx, int id, const char *val, char *err,
		    size_t errlen)
{
	struct fuzz_args *a = ctx;
	uint64_t u;
	double d;
	switch (id) {
	case OPT_LISTEN:
		if (cli_parse_listen(val, a->host, sizeof(a->host),
				     &a->o.listen_host,
				     &a->o.listen_port) != 0) {
			snprintf(err, errlen, "fuzz: --listen: expected "
				 "HOST:PORT, got '%s'", val);
			return -1;
		}
		a->o.listen = 1;
		return 0;
	case OPT_SEED:
		if (cli_parse_u64(val, 0, UINT64_MAX, &u) != 0)
			goto bad;
		a->o.seed = u;
		return 0;
	case OPT_ITER:
		if (cli_parse_u64(val, 1, UINT64_MAX, &u) != 0)
			goto bad;
		a->o.iterations = u;
		return 0;
	case OPT_TIME:
		if (cli_parse_double(val, 0.001, 1e9, &d) != 0)
			goto bad;
		a->o.time_s = d;
		return 0;
	case OPT_HANDSHAKE:
		a->o.handshake = 1;
		return 0;
	case OPT_OUT:
		a->o.outdir = val;
		return 0;
	case OPT_TIMEOUT:
		if (cli_parse_u64(val, 1, 3600000, &u) != 0)
			goto bad;
		a->o.timeout_ms = (int64_t)u;
		return 0;
	case OPT_RESTART:
		a->o.restart_cmd = val;
		return 0;
	case OPT_TRIALS:
		if (cli_parse_u64(val, 1, 1000000, &u) != 0)
			goto bad;
		a->o.min_trials = (unsigned)u;
		return 0;
	case OPT_DEFLATE:
		a->o.deflate = 1;
		return 0;
	case OPT_INSECURE:
		a->o.insecure = 1;
		return 0;
	case OPT_QUIET:
		a->quiet = 1;
		return 0;
	default:
		break;
	}
bad:
	snprintf(err, errlen, "fuzz: bad value '%s'", val);
	return -1;
}

static volatile int fuzz_stop;

static void on_signal(int sig)
{
	(void)sig;
	fuzz_stop = 1;
}

int cli_fuzz(int argc, char **argv)
{
	struct fuzz_args a;
	memset(&a, 0, sizeof(a));
	a.o.seed = 1;
	a.o.outdir = "wsprobe-fuzz";
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0;
	char msg[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	int rc = cli_parse(
		argc, argv, fuzz_opts, sizeof(fuzz_opts) / sizeof(fuzz_opts[0]),
		fuzz_set, &a,
		"wsprobe fuzz URL [options]\n"
		"       wsprobe fuzz --listen HOST:PORT [options]\n\n"
		"Fuzzes a live WebSocket server (URL) or client (--listen): each\n"
		"iteration opens a connection, sends a frame sequence from the\n"
		"structure-aware mutator (or a mutated handshake), then a Ping,\n"
		"and judges the answer: crash (connection gone and the target\n"
		"no longer accepts connections), hang (no Pong, no Close within\n"
		"--timeout) or violation (the answer breaks an RFC 6455/7692\n"
		"rule).  Each new finding is minimised against the target and\n"
		"saved as DIR/findings/NNN-CLASS/{input.bin,case.lua,capture.pcap}:\n"
		"`wsprobe run --url URL .../case.lua` replays it.\n"
		"Exit codes: 0 nothing found, 1 findings, 2 usage, 4 target\n"
		"unreachable, 5 internal error.",
		pos, &npos, msg, sizeof(msg));
	const char *url = npos > 0 ? pos[0] : NULL;
	free(pos);
	if (rc == 1)
		return CLI_EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "wsprobe %s\n", msg);
		return CLI_EXIT_USAGE;
	}
	if (npos > 1 || (url == NULL) == (a.o.listen == 0)) {
		fprintf(stderr, "wsprobe fuzz: give one URL or --listen "
				"HOST:PORT (see wsprobe fuzz --help)\n");
		return CLI_EXIT_USAGE;
	}
	a.o.url = url;
	a.o.progress = !a.quiet;
	a.o.stop = &fuzz_stop;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (a.o.listen && !a.quiet)
		fprintf(stderr, "fuzz: waiting for clients on %s:%u\n",
			a.o.listen_host ? a.o.listen_host : "*",
			(unsigned)a.o.listen_port);
	struct fzl_stats st;
	char err[512];
	rc = fzl_run(&a.o, &st, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "wsprobe: fuzz: %s\n",
			err[0] ? err : wsp_strerror(rc));
		if (rc == WSP_E_INVAL)
			return st.findings ? CLI_EXIT_INTERNAL : CLI_EXIT_USAGE;
		return rc <= -820 && rc >= -899 ? CLI_EXIT_UNREACH
						: CLI_EXIT_INTERNAL;
	}
	if (err[0])
		fprintf(stderr, "wsprobe: fuzz: %s\n", err);
	printf("fuzz: %llu iterations in %.1f s (%.0f exec/s), %zu findings",
	       (unsigned long long)st.iterations, st.seconds,
	       st.seconds > 0 ? (double)st.iterations / st.seconds : 0.0,
	       st.findings);
	if (st.restarts)
		printf(", %u restarts", st.restarts);
	printf("\n");
	for (int c = 1; c < FZL_NCLASS; c++)
		if (st.first_iter[c])
			printf("fuzz: first %s at iteration %llu, minimised "
			       "from %zu to %zu bytes in %u replays\n",
			       fzl_class_name((enum fzl_class)c),
			       (unsigned long long)st.first_iter[c],
			       st.orig_size[c], st.min_size[c], st.trials[c]);
	return st.findings ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
