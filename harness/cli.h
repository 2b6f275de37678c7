/*
 * cli.h: exit codes and the subcommands of the wsprobe command line.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

/* Exit codes, documented in --help and the README. */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* no case FAILED */
	CLI_EXIT_FAILED = 1,   /* at least one case FAILED */
	CLI_EXIT_USAGE = 2,    /* usage error */
	CLI_EXIT_INPUT = 3,    /* bad input: case script, spec file, capture */
	CLI_EXIT_UNREACH = 4,  /* target unreachable */
	CLI_EXIT_INTERNAL = 5  /* internal error */
};

/* Prints "wsprobe VERSION" and the versions of the libraries linked in. */
int cli_version(FILE *out);

/* Subcommands: argv[0] is the subcommand's name.  Each returns an exit
 * code. */
int cli_echo(int argc, char **argv);
int cli_client(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_server(int argc, char **argv); /* cli_server.c */
int cli_dissect(int argc, char **argv); /* cli_dissect.c */
int cli_capture(int argc, char **argv); /* cli_capture.c */
/* cli_dissect writing to out/err (the golden tests call it). */
int cli_dissect_io(int argc, char **argv, FILE *out, FILE *err);
int cli_report(int argc, char **argv); /* cli_report.c */
int cli_fuzz(int argc, char **argv); /* cli_fuzz.c */

#endif
