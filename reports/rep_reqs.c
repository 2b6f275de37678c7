/*
 * rep_reqs.c: looking requirement ids up in the embedded requirements table
 * (reqs_embed.h), so a report can print each cited id with its level and
 * summary.  The table is a few hundred lines; a linear scan per lookup is
 * cheap next to writing the report.
 */
#include <string.h>

#include "rep_int.h"
#include "reqs_embed.h"

/* Column col (0-based) of the tab-separated line line[0..n). */
static int column(const char *line, size_t n, int col, const char **out,
		  size_t *outlen)
{
	size_t start = 0;
	for (int c = 0; c < col; c++) {
		const char *tab = memchr(line + start, '\t', n - start);
		if (tab == NULL)
			return 0;
		start = (size_t)(tab - line) + 1;
	}
	const char *tab = memchr(line + start, '\t', n - start);
	*out = line + start;
	*outlen = tab != NULL ? (size_t)(tab - (line + start)) : n - start;
	return 1;
}

int rep__req_lookup(const char *id, const char **level, size_t *level_len,
		    const char **summary, size_t *summary_len)
{
	size_t idlen = strlen(id);
	const char *p = rep_reqs_tsv, *end = rep_reqs_tsv + rep_reqs_tsv_len;
	if (idlen == 0)
		return 0;
	/* The first line names the columns. */
	const char *nl0 = memchr(p, '\n', (size_t)(end - p));
	p = nl0 != NULL ? nl0 + 1 : end;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > idlen && memcmp(p, id, idlen) == 0 && p[idlen] == '\t')
			return column(p, n, 3, level, level_len) &&
			       column(p, n, 6, summary, summary_len);
		p += n + 1;
	}
	return 0;
}
