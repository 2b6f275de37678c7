/*
 * cli_main.c: the wsprobe command line.  This is the only file that touches
 * argv; every behaviour lives in library modules that tests can reach.
 * Later issues add subcommands (echo, client, server, run, list, report,
 * dissect, capture, fuzz) to the table below.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fputs("Usage: wsprobe [--help] [--version] <command> [options]\n"
	      "\n"
	      "wsprobe tests WebSocket implementations against RFC 6455 and\n"
	      "RFC 7692 (permessage-deflate).\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help       show this help and exit\n"
	      "  -V, --version    print the version and exit\n"
	      "\n"
	      "Commands:\n"
	      "  version          print the version and the library versions\n"
	      "\n"
	      "Exit codes:\n"
	      "  0  no case FAILED          1  at least one case FAILED\n"
	      "  2  usage error             3  bad input (case script, spec, capture)\n"
	      "  4  target unreachable      5  internal error\n",
	      out);
}

int main(int argc, char **argv)
{
	/* A peer that closes while we write must never kill the process. */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 ||
	    strcmp(cmd, "version") == 0)
		return cli_version(stdout);
	fprintf(stderr, "wsprobe: unknown command or option '%s' (see wsprobe --help)\n",
		cmd);
	return CLI_EXIT_USAGE;
}
