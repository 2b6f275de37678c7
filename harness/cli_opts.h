/*
 * cli_opts.h: one option table per subcommand drives parsing, --help and
 * error messages (curl's aliases[] and masscan's config_parameters[] are
 * the models).  Each entry names a long option, an optional short letter,
 * whether it takes an argument, a metavariable and a help line; parsing
 * calls a setter with the entry's id, so the table is the only place an
 * option is declared.
 */
#ifndef CLI_OPTS_H
#define CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_opt {
	const char *name;    /* long name without "--" */
	char shortopt;       /* 0 when none */
	int has_arg;         /* 0 flag, 1 requires a value */
	const char *metavar; /* "N", "FILE", ... (NULL for flags) */
	const char *help;    /* one line */
	int id;              /* passed to the setter */
};

/* Called once per option found.  val is NULL for flags.  Returns 0, or a
 * negative value after writing a one-line message into err (the parse then
 * stops and returns that value). */
typedef int (*cli_setter)(void *ctx, int id, const char *val, char *err,
			  size_t errlen);

/*
 * Parses argv[1..argc) against opts (argv[0] is the subcommand name).
 * Options and positional arguments may be mixed; "--" ends the options.
 * Positional arguments are moved, in order, to the front of pos[], whose
 * count is stored in *npos (pos must have room for argc entries).
 * Returns 0; 1 when --help/-h was given (help already printed to stdout);
 * or -1 with a one-line message in err for an unknown option, a missing
 * value, or a setter's refusal.
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts,
	      cli_setter set, void *ctx, const char *usage, char **pos,
	      int *npos, char *err, size_t errlen);

/* Prints "Usage: ..." and the table, aligned, to out. */
void cli_help(FILE *out, const char *usage, const struct cli_opt *opts,
	      size_t nopts);

/* Strict number parsers for option values: the whole string must be a
 * number in [min, max].  Return 0 or -1. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int cli_parse_double(const char *s, double min, double max, double *out);

/* Splits a comma-separated list in place (list is modified) and appends
 * its non-empty items, leading spaces dropped, to out[*n..max).  Returns 0,
 * or -1 with "OPT: at most MAX patterns" in err when there are too many. */
int cli_split_list(const char **out, size_t *n, size_t max, char *list,
		   char *err, size_t errlen, const char *opt);

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (any address) into host[0..cap)
 * (*hostp is NULL for any address, else host) and *port (0 allowed: any
 * free port).  Returns 0 or -1. */
int cli_parse_listen(const char *s, char *host, size_t cap, const char **hostp,
		     uint16_t *port);

#endif
