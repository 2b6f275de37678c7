/*
 * ext.c: the Sec-WebSocket-Extensions header grammar (RFC 6455 section 9.1).
 *
 * One left-to-right pass over the header value, no allocation and no copy:
 * names and values come back as pointer-and-length pairs into the caller's
 * string.  The grammar, with RFC 2616's implied linear white space:
 *
 *   extension-list  = 1#extension
 *   extension       = token *( OWS ";" OWS extension-param )
 *   extension-param = token [ OWS "=" OWS ( token / quoted-string ) ]
 *   quoted-string   = DQUOTE *( qdtext / "\" CHAR ) DQUOTE
 *   qdtext          = any byte except CTLs and DQUOTE, but HT is allowed
 *
 * Every byte is looked at a bounded number of times (at most twice: once by
 * the scan, once more for a quoted value's token check), so the running time
 * is linear in the input.  This matters: CVE-2020-7662 was a backtracking
 * regular expression in the websocket-extensions package that took
 * exponential time on an unclosed quoted value made of backslash pairs.
 *
 * Leniency, stated on purpose:
 *   - Empty list elements ("a, , b", a trailing ",") are skipped, as RFC 2616
 *     section 2.1 allows for #rules.  An empty or all-empty list returns 0;
 *     whether the header may be empty is the handshake module's call.
 *   - OWS is SP and HTAB only; obsolete line folding must already have been
 *     removed by the HTTP layer.
 * Strictness: bytes >= 0x80 are never token characters, and a quoted value
 * must unescape to a non-empty token (R6455-9.1-02).
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "ext.h"
#include "wsp_err.h"

/* RFC 2616 section 2.2: token = 1*<any CHAR except CTLs or separators>.
 * Returns 1 for a token character. */
static int is_tchar(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	switch (c) {
	case '(': case ')': case '<': case '>': case '@':
	case ',': case ';': case ':': case '\\': case '"':
	case '/': case '[': case ']': case '?': case '=':
	case '{': case '}':
		return 0;
	default:
		return 1;
	}
}

int ext_is_token(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A cursor over the header value: p[0..n), at position i. */
struct cur {
	const char *p;
	size_t n;
	size_t i;
};

static void skip_ows(struct cur *c)
{
	while (c->i < c->n && (c->p[c->i] == ' ' || c->p[c->i] == '\t'))
		c->i++;
}

static int at(const struct cur *c, char ch)
{
	return c->i < c->n && c->p[c->i] == ch;
}

/* Consumes a run of token characters; returns its length (0 if none). */
static size_t take_token(struct cur *c)
{
	size_t start = c->i;
	while (c->i < c->n && is_tchar((unsigned char)c->p[c->i]))
		c->i++;
	return c->i - start;
}

/* Consumes a quoted-string starting at the opening quote.  On success the
 * cursor sits after the closing quote.  Then checks, in a second pass over
 * the same bytes, that the unescaped content is a token. */
static int take_quoted(struct cur *c)
{
	size_t start = c->i;
	c->i++; /* the opening quote */
	for (;;) {
		if (c->i >= c->n)
			return WSP_E_EXT_UNCLOSED_QUOTE;
		unsigned char ch = (unsigned char)c->p[c->i];
		if (ch == '"')
			break;
		if (ch == '\\') {
			/* quoted-pair = "\" CHAR, CHAR being any US-ASCII byte. */
			if (c->n - c->i < 2)
				return WSP_E_EXT_UNCLOSED_QUOTE;
			if ((unsigned char)c->p[c->i + 1] > 0x7f)
				return WSP_E_EXT_BAD_QUOTED_CHAR;
			c->i += 2;
			continue;
		}
		/* qdtext: TEXT minus DQUOTE; TEXT excludes CTLs but admits HT
		 * as linear white space. */
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return WSP_E_EXT_BAD_QUOTED_CHAR;
		c->i++;
	}
	c->i++; /* the closing quote */

	/* R6455-9.1-02: once unescaped, the value must be a token. */
	size_t len = 0;
	for (size_t k = start + 1; k < c->i - 1; k++) {
		if (c->p[k] == '\\')
			k++;
		if (!is_tchar((unsigned char)c->p[k]))
			return WSP_E_EXT_QUOTED_NOT_TOKEN;
		len++;
	}
	if (len == 0)
		return WSP_E_EXT_QUOTED_NOT_TOKEN;
	return 0;
}

/* Parses one parameter; the cursor is just after ";" and its OWS. */
static int take_param(struct cur *c, struct ext_param *pa)
{
	memset(pa, 0, sizeof(*pa));
	pa->name = c->p + c->i;
	pa->name_len = take_token(c);
	if (pa->name_len == 0)
		return WSP_E_EXT_BAD_PARAM_NAME;
	skip_ows(c);
	if (!at(c, '='))
		return 0;
	c->i++;
	skip_ows(c);
	size_t start = c->i;
	if (at(c, '"')) {
		int rc = take_quoted(c);
		if (rc < 0)
			return rc;
		pa->quoted = 1;
	} else if (take_token(c) == 0) {
		return WSP_E_EXT_BAD_VALUE;
	}
	pa->value = c->p + start;
	pa->value_len = c->i - start;
	pa->has_value = 1;
	skip_ows(c);
	return 0;
}

/* Parses one extension; the cursor is at its first byte (not OWS). */
static int take_elem(struct cur *c, struct ext_elem *e)
{
	e->name = c->p + c->i;
	e->name_len = take_token(c);
	e->nparams = 0;
	if (e->name_len == 0)
		return WSP_E_EXT_BAD_NAME;
	skip_ows(c);
	while (at(c, ';')) {
		c->i++;
		skip_ows(c);
		if (e->nparams == EXT_MAX_PARAMS)
			return WSP_E_EXT_TOO_MANY_PARAMS;
		int rc = take_param(c, &e->params[e->nparams]);
		if (rc < 0)
			return rc;
		e->nparams++;
	}
	if (c->i < c->n && !at(c, ','))
		return WSP_E_EXT_EXPECTED_SEP;
	return 0;
}

int ext_parse(const char *s, size_t n, struct ext_elem *out, size_t max)
{
	struct cur c = {s, n, 0};
	struct ext_elem scratch; /* elements past max are still checked */
	int count = 0;

	if (s == NULL && n != 0)
		return WSP_E_INVAL;
	if (out == NULL && max != 0)
		return WSP_E_INVAL;
	for (;;) {
		skip_ows(&c);
		if (c.i >= c.n)
			break;
		if (at(&c, ',')) { /* an empty list element */
			c.i++;
			continue;
		}
		if (count == INT_MAX)
			return WSP_E_LIMIT;
		struct ext_elem *e =
			(size_t)count < max ? &out[count] : &scratch;
		int rc = take_elem(&c, e);
		if (rc < 0)
			return rc;
		count++;
		if (at(&c, ','))
			c.i++;
	}
	return count;
}

int ext_param_value(const struct ext_param *p, char *buf, size_t cap)
{
	if (p == NULL || !p->has_value)
		return WSP_E_INVAL;
	const char *v = p->value;
	size_t n = p->value_len;
	size_t len = 0;
	if (!p->quoted) {
		if (n > cap || n > INT_MAX)
			return WSP_E_NOSPACE;
		memcpy(buf, v, n);
		return (int)n;
	}
	/* Raw form "...": drop the quotes, undo the backslash escapes. */
	if (n < 2)
		return WSP_E_INVAL;
	for (size_t k = 1; k < n - 1; k++) {
		if (v[k] == '\\' && k + 1 < n - 1)
			k++;
		if (len == cap || len == INT_MAX)
			return WSP_E_NOSPACE;
		buf[len++] = v[k];
	}
	return (int)len;
}
