/*
 * cli_cmds.c: the subcommands echo, client, run and list.  Each one parses
 * its options into a struct through its option table (cli_opts.h) and
 * calls the library; nothing here decides protocol behaviour.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "echo.h"
#include "rep.h"
#include "run.h"
#include "reqs_embed.h"
#include "spec.h"
#include "wsp_err.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ------------------------------------------------------------------------
 * wsprobe echo
 */

enum { E_LISTEN, E_CERT, E_KEY, E_MAXMSG, E_PORTFILE, E_ENGINE, E_ZCACHE };

static const struct cli_opt echo_table[] = {
	{"listen", 'l', 1, "HOST:PORT", "address to listen on (port 0: any free port)", E_LISTEN},
	{"tls-cert", 0, 1, "FILE", "serve wss:// with this PEM certificate chain", E_CERT},
	{"tls-key", 0, 1, "FILE", "the PEM private key for --tls-cert", E_KEY},
	{"max-message", 0, 1, "BYTES", "largest message accepted (default 67108864); larger ones are closed with 1009", E_MAXMSG},
	{"port-file", 0, 1, "FILE", "write the port listened on into FILE once listening", E_PORTFILE},
	{"deflate-engine", 0, 1, "NAME", "permessage-deflate engine: zlib or isa-l (default: isa-l when built in)", E_ENGINE},
	{"deflate-cache", 0, 1, "MIB", "compressed messages kept for reuse, in MiB (default 256; 0: off): with server_no_context_takeover a message of the same bytes (by SHA-256) is compressed once", E_ZCACHE},
};

struct echo_args {
	struct echo_opts o;
	char host[256];
	const char *listen;
	const char *port_file;
};

static int echo_set(void *ctx, int id, const char *val, char *err, size_t errlen)
{
	struct echo_args *a = ctx;
	uint64_t v;
	switch (id) {
	case E_LISTEN:
		a->listen = val;
		return cli_set_listen(val, a->host, sizeof(a->host), &a->o.host,
				      &a->o.port, "echo: ", err, errlen);
	case E_CERT:
		a->o.tls_cert = val;
		return 0;
	case E_KEY:
		a->o.tls_key = val;
		return 0;
	case E_MAXMSG:
		if (cli_set_max_message(val, &v, "echo: ", err, errlen) != 0)
			return -1;
		a->o.max_message = v;
		return 0;
	case E_PORTFILE:
		a->port_file = val;
		return 0;
	case E_ZCACHE:
		return cli_set_deflate_cache(val, "echo: ", err, errlen);
	case E_ENGINE:
		return cli_set_deflate_engine(val, &a->o.compressor, "echo: ",
					      err, errlen);
	}
	return -1;
}

static void echo_ready(uint16_t port, void *user)
{
	struct echo_args *a = user;
	printf("wsprobe echo: listening on %s%s%s:%u%s\n",
	       a->o.host && strchr(a->o.host, ':') ? "[" : "",
	       a->o.host ? a->o.host : "*",
	       a->o.host && strchr(a->o.host, ':') ? "]" : "", (unsigned)port,
	       a->o.tls_cert ? " (TLS)" : "");
	fflush(stdout);
	if (a->port_file != NULL)
		cli_write_port_file(a->port_file, port);
}

int cli_echo(int argc, char **argv)
{
	struct echo_args a;
	memset(&a, 0, sizeof(a));
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0;
	char err[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	int rc = cli_parse(argc, argv, echo_table,
			   sizeof(echo_table) / sizeof(echo_table[0]), echo_set, &a,
			   "wsprobe echo --listen HOST:PORT [options]", pos, &npos,
			   err, sizeof(err));
	free(pos);
	if (rc == 1)
		return CLI_EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "wsprobe %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (npos > 0) {
		fprintf(stderr, "wsprobe echo: unexpected argument (see wsprobe echo --help)\n");
		return CLI_EXIT_USAGE;
	}
	if (a.listen == NULL) {
		fprintf(stderr, "wsprobe echo: --listen HOST:PORT is required\n");
		return CLI_EXIT_USAGE;
	}
	catch_stop_signals();
	a.o.ready = echo_ready;
	a.o.user = &a;
	a.o.stop = &stop_flag;
	rc = echo_serve(&a.o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "wsprobe echo: %s\n", err);
		return rc == WSP_E_INVAL ? CLI_EXIT_INPUT : CLI_EXIT_UNREACH;
	}
	return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------
 * wsprobe client / wsprobe run
 */

enum {
	C_CASES, C_EXCLUDE, C_AGENT, C_JOBS, C_SCALE, C_REPORT, C_SEED, C_CACERT,
	C_INSECURE, C_MAXMSG, C_ENGINE, C_URL, C_QUIET, C_SPEC, C_BASELINE, C_PCAP,
	C_PCAPMAX, C_ZCACHE
};

static const struct cli_opt client_table[] = {
	{"cases", 'c', 1, "PATTERNS", "cases to run: comma-separated ids, '*' is a wildcard (repeatable)", C_CASES},
	{"exclude", 'x', 1, "PATTERNS", "cases to leave out, same form (repeatable)", C_EXCLUDE},
	{"agent", 'a', 1, "NAME", "name of the implementation under test in reports", C_AGENT},
	{"jobs", 'j', 1, "N", "cases in parallel, each on its own connection (default 1)", C_JOBS},
	{"timeout-scale", 0, 1, "F", "multiply every timer by F (slow machines; default 1)", C_SCALE},
	{"report-dir", 'o', 1, "DIR", "where reports go (default ./wsprobe-report)", C_REPORT},
	{"seed", 0, 1, "N", "seed for mask keys and nonces (default: from the clock; printed)", C_SEED},
	{"cacert", 0, 1, "FILE", "wss://: trust the PEM certificates in FILE", C_CACERT},
	{"insecure", 'k', 0, NULL, "wss://: do not verify the server certificate", C_INSECURE},
	{"max-message", 0, 1, "BYTES", "largest message accepted from the peer (default 67108864)", C_MAXMSG},
	{"deflate-engine", 0, 1, "NAME", "permessage-deflate engine: zlib or isa-l (default: isa-l when built in)", C_ENGINE},
	{"deflate-cache", 0, 1, "MIB", "compressed messages kept for reuse, in MiB (default 256; 0: off): a message our compressor starts afresh is compressed once per run", C_ZCACHE},
	{"quiet", 'q', 0, NULL, "no summary on stdout", C_QUIET},
	{"spec", 's', 1, "FILE", "Autobahn's fuzzingclient.json: servers, cases, exclude-cases, exclude-agent-cases, outdir", C_SPEC},
	{"baseline", 'b', 1, "FILE", "expected verdicts (wsprobe report DIR --make-baseline): exit 1 only when a case is worse", C_BASELINE},
	{"pcap", 0, 0, NULL, "write each case's traffic as DIR/pcap/CASEID.pcap (plaintext even over TLS; several servers: DIR/pcap/AGENT/)", C_PCAP},
	{"pcap-max", 0, 1, "BYTES", "largest capture per case (default 268435456; implies --pcap); a case over it is cut and marked pcap_truncated", C_PCAPMAX},
};

static const struct cli_opt run_table[] = {
	{"url", 'u', 1, "URL", "the server to test (ws:// or wss://)", C_URL},
	{"cases", 'c', 1, "PATTERNS", "cases to run (repeatable)", C_CASES},
	{"exclude", 'x', 1, "PATTERNS", "cases to leave out (repeatable)", C_EXCLUDE},
	{"agent", 'a', 1, "NAME", "name of the implementation under test", C_AGENT},
	{"jobs", 'j', 1, "N", "cases in parallel (default 1)", C_JOBS},
	{"timeout-scale", 0, 1, "F", "multiply every timer by F", C_SCALE},
	{"report-dir", 'o', 1, "DIR", "where reports go (default ./wsprobe-report)", C_REPORT},
	{"seed", 0, 1, "N", "seed for mask keys and nonces", C_SEED},
	{"cacert", 0, 1, "FILE", "wss://: trust the PEM certificates in FILE", C_CACERT},
	{"insecure", 'k', 0, NULL, "wss://: do not verify the server certificate", C_INSECURE},
	{"max-message", 0, 1, "BYTES", "largest message accepted from the peer", C_MAXMSG},
	{"deflate-engine", 0, 1, "NAME", "permessage-deflate engine: zlib or isa-l (default: isa-l when built in)", C_ENGINE},
	{"deflate-cache", 0, 1, "MIB", "compressed messages kept for reuse, in MiB (default 256; 0: off): a message our compressor starts afresh is compressed once per run", C_ZCACHE},
	{"quiet", 'q', 0, NULL, "no summary on stdout", C_QUIET},
	{"baseline", 'b', 1, "FILE", "expected verdicts: exit 1 only when a case is worse", C_BASELINE},
	{"pcap", 0, 0, NULL, "write each case's traffic as DIR/pcap/CASEID.pcap (plaintext even over TLS)", C_PCAP},
	{"pcap-max", 0, 1, "BYTES", "largest capture per case (default 268435456; implies --pcap)", C_PCAPMAX},
};

struct client_args {
	struct run_select sel;
	const char *agent;
	const char *report_dir;
	const char *url;
	uint64_t jobs, seed, max_message;
	int seed_given, insecure, quiet;
	int compressor;
	double scale;
	const char *cacert;
	const char *spec;
	const char *baseline;
	int pcap;
	uint64_t pcap_max;
	struct cli_keep lists; /* the --cases/--exclude values */
};

static int client_set(void *ctx, int id, const char *val, char *err,
		      size_t errlen)
{
	struct client_args *a = ctx;
	switch (id) {
	case C_CASES:
		return cli_set_patterns(&a->lists, 0, a->sel.include,
					&a->sel.ninclude, RUN_MAX_PATTERNS, val,
					"", err, errlen);
	case C_EXCLUDE:
		return cli_set_patterns(&a->lists, 1, a->sel.exclude,
					&a->sel.nexclude, RUN_MAX_PATTERNS, val,
					"", err, errlen);
	case C_AGENT:
		a->agent = val;
		return 0;
	case C_JOBS:
		if (cli_parse_u64(val, 1, 256, &a->jobs) != 0) {
			snprintf(err, errlen, "--jobs takes 1 to 256, not '%s'", val);
			return -1;
		}
		return 0;
	case C_SCALE:
		return cli_set_scale(val, &a->scale, "", err, errlen);
	case C_REPORT:
		a->report_dir = val;
		return 0;
	case C_SEED:
		return cli_set_seed(val, &a->seed, &a->seed_given, "", err, errlen);
	case C_CACERT:
		a->cacert = val;
		return 0;
	case C_INSECURE:
		a->insecure = 1;
		return 0;
	case C_MAXMSG:
		return cli_set_max_message(val, &a->max_message, "", err, errlen);
	case C_ENGINE:
		return cli_set_deflate_engine(val, &a->compressor, "", err,
					      errlen);
	case C_ZCACHE:
		return cli_set_deflate_cache(val, "", err, errlen);
	case C_URL:
		a->url = val;
		return 0;
	case C_QUIET:
		a->quiet = 1;
		return 0;
	case C_SPEC:
		a->spec = val;
		return 0;
	case C_BASELINE:
		a->baseline = val;
		return 0;
	case C_PCAP:
		a->pcap = 1;
		return 0;
	case C_PCAPMAX:
		return cli_set_pcap_max(val, &a->pcap_max, &a->pcap, "", err,
					errlen);
	}
	return -1;
}

static int write_reports(const struct res_run *results, const char *dir,
			 int quiet)
{
	char err[512];
	/* Every format: results.json, junit.xml, Autobahn's layout,
	 * index.html (rep.h). */
	int rc = rep_write_all(results, dir, err, sizeof(err));
	if (!quiet) {
		int colour = isatty(1) && getenv("NO_COLOR") == NULL;
		rep_text_print(stdout, results, colour);
	}
	if (rc != 0) {
		fprintf(stderr, "wsprobe: cannot write the report: %s\n", err);
		return -1;
	}
	if (!quiet)
		printf("report: %s/index.html (and results.json, junit.xml, "
		       "index.json)\n", dir);
	return 0;
}

static int any_failed(const struct res_run *r)
{
	for (size_t i = 0; i < r->nagents; i++)
		if (r->agents[i].summary.failed > 0)
			return 1;
	return 0;
}

/* Shared by client (URLs positional, embedded cases) and run (case files
 * positional, --url). */
static int client_like(int argc, char **argv, int is_run)
{
	struct client_args a;
	memset(&a, 0, sizeof(a));
	a.scale = 1.0;
	a.jobs = 1;
	struct spec_client sc;
	memset(&sc, 0, sizeof(sc));
	struct rep_baseline base;
	memset(&base, 0, sizeof(base));
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0, exit_code = CLI_EXIT_OK;
	char err[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	const struct cli_opt *table = is_run ? run_table : client_table;
	size_t ntable = is_run ? sizeof(run_table) / sizeof(run_table[0])
			       : sizeof(client_table) / sizeof(client_table[0]);
	int rc = cli_parse(argc, argv, table, ntable, client_set, &a,
			   is_run ? "wsprobe run FILE.lua... --url URL [options]\n"
				    "       wsprobe run FILE.lua... --listen HOST:PORT "
				    "[server options]"
				  : "wsprobe client [options] URL...",
			   pos, &npos, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0) {
			fprintf(stderr, "wsprobe %s\n", err);
			exit_code = CLI_EXIT_USAGE;
		}
		goto out;
	}
	const char *const *urls;
	const char *const *agents = NULL;
	size_t nurls;
	struct run_source src = {NULL, 0};
	const char *spec_urls[64], *spec_agents[64];
	if (a.spec != NULL) {
		/* Autobahn's fuzzingclient.json; the command line wins where
		 * both say something. */
		if (spec_client_load(&sc, a.spec, err, sizeof(err)) != 0) {
			fprintf(stderr, "wsprobe: %s\n", err);
			exit_code = CLI_EXIT_INPUT;
			goto out;
		}
		if (sc.nservers > 64) {
			fprintf(stderr, "wsprobe: %s: more than 64 servers\n", a.spec);
			exit_code = CLI_EXIT_INPUT;
			goto out;
		}
		for (size_t i = 0; i < sc.nservers; i++) {
			spec_urls[i] = sc.servers[i].url;
			spec_agents[i] = sc.servers[i].agent;
		}
		if (a.sel.ninclude == 0)
			for (size_t i = 0; i < sc.ncases; i++)
				a.sel.include[a.sel.ninclude++] = sc.cases[i];
		for (size_t i = 0; i < sc.nexclude &&
				   a.sel.nexclude < RUN_MAX_PATTERNS; i++)
			a.sel.exclude[a.sel.nexclude++] = sc.exclude[i];
		if (a.report_dir == NULL)
			a.report_dir = sc.outdir;
	}
	if (a.spec != NULL && npos == 0 && !is_run) {
		urls = spec_urls;
		agents = spec_agents;
		nurls = sc.nservers;
	} else if (is_run) {
		if (npos == 0 || a.url == NULL) {
			fprintf(stderr, "wsprobe run: give case files and --url URL "
					"(see wsprobe run --help)\n");
			exit_code = CLI_EXIT_USAGE;
			goto out;
		}
		src.paths = (const char *const *)pos;
		src.npaths = (size_t)npos;
		urls = &a.url;
		nurls = 1;
	} else {
		if (npos == 0) {
			fprintf(stderr, "wsprobe client: give at least one URL "
					"(see wsprobe client --help)\n");
			exit_code = CLI_EXIT_USAGE;
			goto out;
		}
		urls = (const char *const *)pos;
		nurls = (size_t)npos;
	}
	/* A bad baseline is bad input, found before any case runs. */
	if (a.baseline != NULL &&
	    rep_baseline_load(&base, a.baseline, err, sizeof(err)) != 0) {
		fprintf(stderr, "wsprobe: %s\n", err);
		exit_code = CLI_EXIT_INPUT;
		goto out;
	}
	if (!a.seed_given)
		a.seed = cli_clock_seed();
	const char *dir = a.report_dir ? a.report_dir : "wsprobe-report";
	struct res_run results;
	if (res_run_init(&results, WSPROBE_VERSION, a.seed) != 0) {
		exit_code = CLI_EXIT_INTERNAL;
		goto out;
	}
	catch_stop_signals();
	if (!a.quiet)
		fprintf(stderr, "wsprobe: seed %llu\n", (unsigned long long)a.seed);
	/* --pcap: DIR/pcap/CASEID.pcap; with several servers, one folder per
	 * agent so their captures do not overwrite each other. */
	struct capcase_opts pc;
	memset(&pc, 0, sizeof(pc));
	pc.dir = dir;
	pc.max_bytes = a.pcap_max;
	for (size_t i = 0; i < nurls && !stop_flag; i++) {
		struct run_client_opts o;
		memset(&o, 0, sizeof(o));
		pc.subdir = nurls == 1 ? NULL : agents != NULL ? agents[i] : urls[i];
		o.pcap = a.pcap ? &pc : NULL;
		o.url = urls[i];
		o.agent = agents != NULL ? agents[i] : nurls == 1 ? a.agent : NULL;
		struct run_select sel = a.sel;
		if (a.spec != NULL && o.agent != NULL)
			spec_agent_select(&sc, o.agent, &sel);
		o.sel = &sel;
		o.src = &src;
		o.jobs = (unsigned)a.jobs;
		o.timeout_scale = a.scale;
		o.seed = a.seed;
		o.max_message = a.max_message;
		o.compressor = a.compressor;
		o.cacert = a.cacert;
		o.insecure = a.insecure;
		o.progress = 1;
		o.stop = &stop_flag;
		rc = run_client(&o, &results, err, sizeof(err));
		if (rc == WSP_E_INVAL) {
			fprintf(stderr, "wsprobe: %s\n", err);
			exit_code = CLI_EXIT_INPUT;
			break;
		}
		if (rc != 0) {
			fprintf(stderr, "wsprobe: %s\n", err);
			exit_code = CLI_EXIT_UNREACH;
			break;
		}
	}
	/* What ran is written even after an error or SIGINT. */
	if (results.nagents > 0 || exit_code == CLI_EXIT_OK) {
		struct rep_cmp cmp;
		if (a.pcap && !a.quiet)
			printf("captures: %s/pcap/ (one .pcap per case)\n", dir);
		if (write_reports(&results, dir, a.quiet) != 0)
			exit_code = CLI_EXIT_INTERNAL;
		else if (exit_code == CLI_EXIT_OK && a.baseline != NULL)
			/* With a baseline, only a regression fails. */
			exit_code = rep_baseline_compare(&base, &results, stdout,
							 &cmp) > 0
					    ? CLI_EXIT_FAILED
					    : CLI_EXIT_OK;
		else if (exit_code == CLI_EXIT_OK && any_failed(&results))
			exit_code = CLI_EXIT_FAILED;
	}
	res_free(&results);
out:
	rep_baseline_free(&base);
	spec_client_free(&sc);
	cli_keep_free(&a.lists);
	free(pos);
	return exit_code;
}

int cli_client(int argc, char **argv)
{
	return client_like(argc, argv, 0);
}

int cli_run(int argc, char **argv)
{
	/* With --listen the files are played in the server role, against a
	 * client driver: the server command's options apply. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--listen") == 0 || strcmp(argv[i], "-l") == 0 ||
		    strncmp(argv[i], "--listen=", 9) == 0)
			return cli_server(argc, argv);
	}
	return client_like(argc, argv, 1);
}

/* ------------------------------------------------------------------------
 * wsprobe list
 */

enum { L_CASES, L_JSON, L_COVERAGE };

static const struct cli_opt list_table[] = {
	{"cases", 'c', 1, "PATTERNS", "only the cases these patterns name (repeatable)", L_CASES},
	{"json", 0, 0, NULL, "print {\"cases\": [{\"id\", \"title\", \"roles\", \"requirements\"}]}", L_JSON},
	{"coverage", 0, 0, NULL, "per RFC and level, the wire-testable requirements the cases cite, and those none does", L_COVERAGE},
};

struct list_args {
	struct run_select sel;
	int json;
	int coverage;
	char *lists[RUN_MAX_PATTERNS];
	size_t nlists;
};

static int list_set(void *ctx, int id, const char *val, char *err, size_t errlen)
{
	struct list_args *a = ctx;
	if (id == L_JSON) {
		a->json = 1;
		return 0;
	}
	if (id == L_COVERAGE) {
		a->coverage = 1;
		return 0;
	}
	if (a->nlists == RUN_MAX_PATTERNS)
		return -1;
	char *copy = strdup(val);
	if (copy == NULL)
		return -1;
	a->lists[a->nlists++] = copy;
	return cli_split_list(a->sel.include, &a->sel.ninclude, RUN_MAX_PATTERNS, copy, err, errlen,
			    "--cases");
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

struct list_item {
	const struct lcase_meta *c;
};

static int cmp_items(const void *x, const void *y)
{
	const struct list_item *a = x, *b = y;
	return lcase_id_cmp(a->c->id, b->c->id);
}

/* --coverage: the requirements table compiled in (reqs_embed.h) against
 * the requirement ids the listed cases cite.  A wire-testable row counts as
 * covered when a case whose roles include the row's role cites it: "server"
 * rows need a case for servers, "client" rows a case for clients,
 * "endpoint" rows any case.  Rows for intermediaries apply to neither role
 * a case can test; they are counted apart. */

#define COV_LEVELS 8

/* Column col (0-based) of the tab-separated line[0..n) into out (NUL-
 * terminated, truncated to cap). */
static void cov_col(const char *line, size_t n, int col, char *out, size_t cap)
{
	size_t i = 0;
	for (int c = 0; c < col && i < n; i++)
		if (line[i] == '\t')
			c++;
	size_t k = 0;
	while (i < n && line[i] != '\t' && k + 1 < cap)
		out[k++] = line[i++];
	out[k] = '\0';
}

static int cov_cited(const struct list_item *items, size_t n, const char *id,
		     const char *role)
{
	unsigned need = strcmp(role, "server") == 0   ? LCASE_ROLE_SERVER
			: strcmp(role, "client") == 0 ? LCASE_ROLE_CLIENT
						      : LCASE_ROLE_SERVER |
								LCASE_ROLE_CLIENT;
	for (size_t i = 0; i < n; i++) {
		if ((items[i].c->roles & need) == 0)
			continue;
		for (size_t r = 0; r < items[i].c->nreqs; r++)
			if (strcmp(items[i].c->reqs[r], id) == 0)
				return 1;
	}
	return 0;
}

/* (coverage helper, issue 4) Why no case can check a row: what the
 * fuzzingserver URL protocol never shows wsprobe (docs/cases.md,
 * "Requirements no case can check, and why"). */
static const struct {
	const char *id;
	const char *why;
} cov_why[] = {
	{"R6455-4.1-09", "needs many connections at once through a proxy counting CONNECTs; 22.8.1 asks for two"},
	{"R6455-7.2.3-01", "drivers open each case's connection themselves; no reconnect logic runs"},
	{"R6455-7.2.3-02", "drivers open each case's connection themselves; no reconnect logic runs"},
	{"R6455-7.2.3-04", "drivers open each case's connection themselves; no reconnect logic runs"},
};

static void print_coverage(const struct list_item *items, size_t n)
{
	static const char *const rfcs[] = {"RFC6455", "RFC7692"};
	static const char *const levels[COV_LEVELS] = {
		"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "RECOMMENDED",
		"MAY", "OPTIONAL", "NOT RECOMMENDED"};
	for (size_t f = 0; f < 2; f++) {
		unsigned tot[COV_LEVELS] = {0}, cov[COV_LEVELS] = {0};
		unsigned inter = 0;
		printf("%s%s (wire-testable rows cited by a case of the "
		       "row's role)\n", f ? "\n" : "", rfcs[f]);
		for (int pass = 0; pass < 2; pass++) {
			const char *p = rep_reqs_tsv;
			const char *end = rep_reqs_tsv + rep_reqs_tsv_len;
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl != NULL ? nl + 1 : end; /* header line */
			if (pass == 1)
				printf("  not cited:\n");
			while (p < end) {
				nl = memchr(p, '\n', (size_t)(end - p));
				size_t len = nl != NULL ? (size_t)(nl - p)
							: (size_t)(end - p);
				char id[64], rfc[16], level[32], role[32], wt[8],
					sum[160];
				cov_col(p, len, 0, id, sizeof(id));
				cov_col(p, len, 1, rfc, sizeof(rfc));
				cov_col(p, len, 3, level, sizeof(level));
				cov_col(p, len, 4, role, sizeof(role));
				cov_col(p, len, 5, wt, sizeof(wt));
				p += len + 1;
				if (strcmp(rfc, rfcs[f]) != 0 ||
				    strcmp(wt, "yes") != 0)
					continue;
				if (strcmp(role, "intermediary") == 0) {
					inter += pass == 0;
					continue;
				}
				size_t lv = 0;
				while (lv < COV_LEVELS &&
				       strcmp(levels[lv], level) != 0)
					lv++;
				if (lv == COV_LEVELS)
					continue;
				int c = cov_cited(items, n, id, role);
				if (pass == 0) {
					tot[lv]++;
					cov[lv] += (unsigned)c;
				} else if (!c) {
					cov_col(p - len - 1, len, 6, sum,
						sizeof(sum));
					printf("    %-17s %-11s %-8s %s\n", id,
					       level, role, sum);
					for (size_t w = 0;
					     w < sizeof(cov_why) / sizeof(cov_why[0]);
					     w++)
						if (strcmp(cov_why[w].id, id) == 0)
							printf("%44s%s\n",
							       "why none: ",
							       cov_why[w].why);
				}
			}
			for (size_t lv = 0; pass == 0 && lv < COV_LEVELS; lv++)
				if (tot[lv] > 0)
					printf("  %-15s %3u/%-3u %3u%%\n",
					       levels[lv], cov[lv], tot[lv],
					       cov[lv] * 100 / tot[lv]);
			if (pass == 0 && inter > 0)
				printf("  (%u intermediary rows: no case role "
				       "applies)\n", inter);
		}
	}
}

int cli_list(int argc, char **argv)
{
	struct list_args a;
	memset(&a, 0, sizeof(a));
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos = 0, exit_code = CLI_EXIT_OK;
	char err[512];
	if (pos == NULL)
		return CLI_EXIT_INTERNAL;
	int rc = cli_parse(argc, argv, list_table,
			   sizeof(list_table) / sizeof(list_table[0]), list_set, &a,
			   "wsprobe list [--cases PATTERNS] [--json] [--coverage] "
			   "[FILE.lua...]",
			   pos, &npos, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0) {
			fprintf(stderr, "wsprobe %s\n", err);
			exit_code = CLI_EXIT_USAGE;
		}
		goto out;
	}
	struct run_source src = {npos ? (const char *const *)pos : NULL,
				 (size_t)npos};
	struct lcase_file *files;
	size_t nfiles;
	if (run_load(&src, &files, &nfiles, err, sizeof(err)) != 0) {
		fprintf(stderr, "wsprobe: %s\n", err);
		exit_code = CLI_EXIT_INPUT;
		goto out;
	}
	size_t total = 0, n = 0;
	for (size_t i = 0; i < nfiles; i++)
		total += files[i].ncases;
	struct list_item *items = calloc(total ? total : 1, sizeof(*items));
	for (size_t i = 0; items != NULL && i < nfiles; i++)
		for (size_t k = 0; k < files[i].ncases; k++)
			if (run_selected(&a.sel, files[i].cases[k].id))
				items[n++].c = &files[i].cases[k];
	if (items != NULL)
		qsort(items, n, sizeof(*items), cmp_items);
	if (a.coverage && items != NULL) {
		print_coverage(items, n);
		n = 0; /* no case list */
	} else if (a.json) {
		printf("{\"cases\": [");
	}
	for (size_t i = 0; items != NULL && i < n; i++) {
		const struct lcase_meta *c = items[i].c;
		if (a.json) {
			printf("%s\n  {\"id\": ", i ? "," : "");
			json_str(stdout, c->id);
			printf(", \"title\": ");
			json_str(stdout, c->title);
			printf(", \"roles\": [%s%s%s], \"requirements\": [",
			       c->roles & LCASE_ROLE_SERVER ? "\"server\"" : "",
			       c->roles == (LCASE_ROLE_SERVER | LCASE_ROLE_CLIENT)
				       ? ", "
				       : "",
			       c->roles & LCASE_ROLE_CLIENT ? "\"client\"" : "");
			for (size_t r = 0; r < c->nreqs; r++) {
				printf("%s", r ? ", " : "");
				json_str(stdout, c->reqs[r]);
			}
			printf("]}");
		} else {
			printf("%-9s %s\n", c->id, c->title);
		}
	}
	if (a.json && !a.coverage)
		printf("\n]}\n");
	free(items);
	for (size_t i = 0; i < nfiles; i++)
		lcase_file_free(&files[i]);
	free(files);
out:
	for (size_t i = 0; i < a.nlists; i++)
		free(a.lists[i]);
	free(pos);
	return exit_code;
}
