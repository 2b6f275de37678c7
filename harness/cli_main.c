/*
 * cli_main.c: the wsprobe command line: global options and the table of
 * subcommands.  This file and cli_cmds.c are the only code that touches
 * argv; every behaviour lives in library modules that tests can reach.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"client", cli_client, "test WebSocket servers: play the cases against URL..."},
	{"capture", cli_capture, "capture live (libpcap) and decode the WebSocket traffic"},
	{"dissect", cli_dissect, "decode the WebSocket traffic in a pcap/pcapng capture"},
	{"echo", cli_echo, "run the built-in strict RFC 6455/7692 echo server"},
	{"fuzz", cli_fuzz, "fuzz a live server (URL) or client (--listen): crashes, hangs, violations"},
	{"list", cli_list, "list the cases (--json for scripts)"},
	{"report", cli_report, "render a report folder again, make or check a baseline"},
	{"run", cli_run, "play custom case files against a server (--url URL)"},
	{"server", cli_server, "test WebSocket clients: serve Autobahn's fuzzingserver URLs"},
};

static void usage(FILE *out)
{
	fputs("Usage: wsprobe [--help] [--version] <command> [options]\n"
	      "\n"
	      "wsprobe tests WebSocket implementations against RFC 6455 and\n"
	      "RFC 7692 (permessage-deflate).\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("  version  print the version and the library versions\n"
	      "\n"
	      "Run 'wsprobe <command> --help' for a command's options.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help       show this help and exit\n"
	      "  -V, --version    print the version and exit\n"
	      "\n"
	      "Exit codes:\n"
	      "  0  no case FAILED          1  at least one case FAILED\n"
	      "  2  usage error             3  bad input (case script, spec, capture)\n"
	      "  4  target unreachable      5  internal error\n",
	      out);
}

int main(int argc, char **argv)
{
	/* A peer that closes while we write must never kill the process; the
	 * transport also sends with MSG_NOSIGNAL. */
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "wsprobe: unknown command or option '%s' (see wsprobe --help)\n",
		cmd);
	return CLI_EXIT_USAGE;
}
