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

/*
 * Setters of the options several subcommands share (echo, client, run,
 * server), so that each option is checked and worded in one place.  pre
 * starts the message ("" or "server: "), so every subcommand keeps its own
 * wording.  Each returns 0, or -1 with one line in err[0..errlen) and (but
 * for cli_set_patterns) the outputs left as they were.
 */

/* The strdup'd values of the repeatable --cases/--exclude options, which
 * the patterns of a struct run_select point into; cli_keep_free frees
 * them (the struct itself is the caller's, zero-filled to start). */
struct cli_keep {
	char *v[128];
	size_t n;
};
void cli_keep_free(struct cli_keep *k);

/* --cases (exclude 0) or --exclude (exclude 1): keeps a copy of val in k
 * and appends its comma-separated patterns to *n/out[0..max) (the include
 * or exclude list of a struct run_select), which point into the copy.
 * Errors: "PREtoo many --cases/--exclude options" past 128 options,
 * cli_split_list's "--cases: at most MAX patterns" (the patterns before
 * the limit stay appended), or out of memory (-1, err left empty). */
int cli_set_patterns(struct cli_keep *k, int exclude, const char **out,
		     size_t *n, size_t max, const char *val, const char *pre,
		     char *err, size_t errlen);

/* --seed: 0 to 2^64-1 into *seed, and *given = 1. */
int cli_set_seed(const char *val, uint64_t *seed, int *given,
		 const char *pre, char *err, size_t errlen);

/* --timeout-scale: 0.05 to 1000 into *scale. */
int cli_set_scale(const char *val, double *scale, const char *pre, char *err,
		  size_t errlen);

/* --deflate-engine: "zlib" or "isa-l" (built in) into *engine as
 * 1 + enum pmd_engine, sess_cfg.compressor's encoding. */
int cli_set_deflate_engine(const char *val, int *engine, const char *pre,
			   char *err, size_t errlen);

/* --deflate-cache MIB: the budget of the process's cache of compressed
 * messages (harness/zcache.h); 0 turns it off. */
int cli_set_deflate_cache(const char *val, const char *pre, char *err,
			  size_t errlen);

/* --max-message: 1 to 2^40 bytes into *max. */
int cli_set_max_message(const char *val, uint64_t *max, const char *pre,
			char *err, size_t errlen);

/* --pcap-max: 4096 to 2^40 bytes into *max, and *pcap = 1 (it implies
 * --pcap). */
int cli_set_pcap_max(const char *val, uint64_t *max, int *pcap,
		     const char *pre, char *err, size_t errlen);

/* --listen: cli_parse_listen, with "PRE--listen takes HOST:PORT, not
 * 'VAL'" on error. */
int cli_set_listen(const char *val, char *host, size_t cap,
		   const char **hostp, uint16_t *port, const char *pre,
		   char *err, size_t errlen);

/* --port-file: writes "PORT\n" to path.tmp and renames it to path, so a
 * script polling for path never reads half a line.  Best effort: a file
 * that cannot be written is left out silently (the port is printed too). */
void cli_write_port_file(const char *path, unsigned port);

/* The default --seed when none is given: from the wall clock and the pid. */
uint64_t cli_clock_seed(void);

#endif
