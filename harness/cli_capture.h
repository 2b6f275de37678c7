/*
 * cli_capture.h: `wsprobe capture`: its parsed options, split from the
 * command so that tests reach the parsing (and the BPF filter it builds)
 * without privileges or an interface.
 */
#ifndef CLI_CAPTURE_H
#define CLI_CAPTURE_H

#include <stdint.h>
#include <stdio.h>

#include "cli_dis.h"

#define CLI_CAPTURE_FILTER_MAX 4096

struct cli_capture_args {
	struct cli_dis_args dis;  /* the options shared with dissect */
	const char *iface;        /* -i; NULL: live_default_iface */
	const char *write;        /* -w FILE, or NULL */
	uint64_t count;           /* -c: stop after N packets (0: no limit) */
	double duration;          /* --duration: seconds (0: no limit) */
	int snaplen;              /* 0: the default */
	int buffer_size;          /* 0: the default */
	int promisc;
	int quiet;                /* -q: no per-frame lines */
	/* The BPF program: FILTER words joined, "tcp port N" ANDed. */
	char filter[CLI_CAPTURE_FILTER_MAX];
};

/*
 * Parses `capture` arguments (argv[0] is "capture").  Returns 0; 1 when
 * --help was printed to stdout; -1 with a one-line message (without the
 * "wsprobe " prefix) in err: an unknown option, a bad value, -w -, or a
 * filter too long.  Strings point into argv.
 */
int cli_capture_parse(int argc, char **argv, struct cli_capture_args *a,
		      char *err, size_t errlen);

/* The command writing lines to out and diagnostics to err. */
int cli_capture_io(int argc, char **argv, FILE *out, FILE *err);

#endif
