/*
 * cli_opts.c: the table-driven option parser (contract in cli_opts.h).
 * It does its own scanning rather than use getopt_long, so that it keeps no
 * global state, can be called once per subcommand and in tests, and words
 * every error the same way.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pmd.h"
#include "cli_opts.h"
#include "zcache.h"

static const struct cli_opt *find_long(const struct cli_opt *opts, size_t n,
				       const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, size_t n,
					char c)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].shortopt == c)
			return &opts[i];
	return NULL;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts,
	      cli_setter set, void *ctx, const char *usage, char **pos,
	      int *npos, char *err, size_t errlen)
{
	int np = 0, only_pos = 0;
	const char *cmd = argc > 0 ? argv[0] : "wsprobe";
	err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			pos[np++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_help(stdout, usage, opts, nopts);
			return 1;
		}
		const struct cli_opt *o;
		const char *val = NULL;
		char shown[80];
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			o = find_long(opts, nopts, name, len);
			snprintf(shown, sizeof(shown), "--%.*s", (int)len, name);
			if (o == NULL) {
				snprintf(err, errlen,
					 "%s: unknown option '%s' (see wsprobe %s --help)",
					 cmd, shown, cmd);
				return -1;
			}
			if (eq != NULL) {
				if (!o->has_arg) {
					snprintf(err, errlen,
						 "%s: option '%s' takes no value", cmd,
						 shown);
					return -1;
				}
				val = eq + 1;
			}
		} else {
			o = find_short(opts, nopts, a[1]);
			snprintf(shown, sizeof(shown), "-%c", a[1]);
			if (o == NULL) {
				snprintf(err, errlen,
					 "%s: unknown option '%s' (see wsprobe %s --help)",
					 cmd, shown, cmd);
				return -1;
			}
			if (a[2] != '\0') {
				if (!o->has_arg) {
					snprintf(err, errlen,
						 "%s: option '%s' takes no value", cmd,
						 shown);
					return -1;
				}
				val = a + 2;
			}
		}
		if (o->has_arg && val == NULL) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s: option '%s' needs a value (%s)",
					 cmd, shown, o->metavar ? o->metavar : "value");
				return -1;
			}
			val = argv[++i];
		}
		int rc = set(ctx, o->id, val, err, errlen);
		if (rc < 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "%s: bad value for '%s'", cmd,
					 shown);
			return -1;
		}
	}
	*npos = np;
	return 0;
}

void cli_help(FILE *out, const char *usage, const struct cli_opt *opts,
	      size_t nopts)
{
	fprintf(out, "Usage: %s\n\nOptions:\n", usage);
	for (size_t i = 0; i < nopts; i++) {
		char left[64];
		if (opts[i].shortopt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].shortopt,
				 opts[i].name, opts[i].has_arg ? " " : "",
				 opts[i].has_arg && opts[i].metavar ? opts[i].metavar
								    : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name,
				 opts[i].has_arg ? " " : "",
				 opts[i].has_arg && opts[i].metavar ? opts[i].metavar
								    : "");
		fprintf(out, "  %-28s %s\n", left, opts[i].help);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "show this help and exit");
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_listen(const char *s, char *host, size_t cap, const char **hostp,
		     uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	if (colon == NULL)
		return -1;
	size_t hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= cap)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*hostp = hl ? host : NULL;
	uint64_t p;
	if (cli_parse_u64(colon + 1, 0, 65535, &p) != 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

int cli_split_list(const char **out, size_t *n, size_t max, char *list,
		   char *err, size_t errlen, const char *opt)
{
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (*t == '\0')
			continue;
		if (*n == max) {
			snprintf(err, errlen, "%s: at most %zu patterns", opt, max);
			return -1;
		}
		out[(*n)++] = t;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Setters shared by the subcommands
 */

void cli_keep_free(struct cli_keep *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	k->n = 0;
}

int cli_set_patterns(struct cli_keep *k, int exclude, const char **out,
		     size_t *n, size_t max, const char *val, const char *pre,
		     char *err, size_t errlen)
{
	if (k->n == sizeof(k->v) / sizeof(k->v[0])) {
		snprintf(err, errlen, "%stoo many --cases/--exclude options", pre);
		return -1;
	}
	char *copy = strdup(val);
	if (copy == NULL)
		return -1;
	k->v[k->n++] = copy;
	return cli_split_list(out, n, max, copy, err, errlen,
			      exclude ? "--exclude" : "--cases");
}

int cli_set_seed(const char *val, uint64_t *seed, int *given,
		 const char *pre, char *err, size_t errlen)
{
	if (cli_parse_u64(val, 0, UINT64_MAX, seed) != 0) {
		snprintf(err, errlen, "%s--seed takes a number from 0 to 2^64-1, "
				      "not '%s'", pre, val);
		return -1;
	}
	*given = 1;
	return 0;
}

int cli_set_scale(const char *val, double *scale, const char *pre, char *err,
		  size_t errlen)
{
	if (cli_parse_double(val, 0.05, 1000, scale) != 0) {
		snprintf(err, errlen, "%s--timeout-scale takes 0.05 to 1000, "
				      "not '%s'", pre, val);
		return -1;
	}
	return 0;
}

int cli_set_deflate_engine(const char *val, int *engine, const char *pre,
			   char *err, size_t errlen)
{
	static const enum pmd_engine all[] = {PMD_ENGINE_ZLIB,
					      PMD_ENGINE_ISAL};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(val, pmd_engine_name(all[i])) != 0)
			continue;
		if (!pmd_engine_available(all[i])) {
			snprintf(err, errlen, "%s--deflate-engine: %s is not "
					      "built into this wsprobe (it "
					      "needs libisal-dev at build "
					      "time)", pre, val);
			return -1;
		}
		*engine = 1 + (int)all[i];
		return 0;
	}
	snprintf(err, errlen, "%s--deflate-engine takes zlib or isa-l, not "
			      "'%s'", pre, val);
	return -1;
}

int cli_set_max_message(const char *val, uint64_t *max, const char *pre,
			char *err, size_t errlen)
{
	if (cli_parse_u64(val, 1, (uint64_t)1 << 40, max) != 0) {
		snprintf(err, errlen, "%s--max-message takes 1 to 2^40 bytes, "
				      "not '%s'", pre, val);
		return -1;
	}
	return 0;
}

int cli_set_deflate_cache(const char *val, const char *pre, char *err,
			  size_t errlen)
{
	uint64_t mib;
	if (cli_parse_u64(val, 0, 65536, &mib) != 0) {
		snprintf(err, errlen, "%s--deflate-cache takes 0 to 65536 MiB, "
				      "not '%s'", pre, val);
		return -1;
	}
	zc_set_budget((size_t)mib << 20);
	return 0;
}

int cli_set_pcap_max(const char *val, uint64_t *max, int *pcap,
		     const char *pre, char *err, size_t errlen)
{
	if (cli_parse_u64(val, 4096, (uint64_t)1 << 40, max) != 0) {
		snprintf(err, errlen, "%s--pcap-max takes 4096 to 2^40 bytes, "
				      "not '%s'", pre, val);
		return -1;
	}
	*pcap = 1;
	return 0;
}

int cli_set_listen(const char *val, char *host, size_t cap,
		   const char **hostp, uint16_t *port, const char *pre,
		   char *err, size_t errlen)
{
	if (cli_parse_listen(val, host, cap, hostp, port) != 0) {
		snprintf(err, errlen, "%s--listen takes HOST:PORT, not '%s'", pre,
			 val);
		return -1;
	}
	return 0;
}

void cli_write_port_file(const char *path, unsigned port)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f != NULL) {
		fprintf(f, "%u\n", port);
		if (fclose(f) == 0)
			rename(tmp, path);
	}
}

uint64_t cli_clock_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
}
