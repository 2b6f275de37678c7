/*
 * url.c: the strict ws/wss URL parser and the Host header builder (see
 * url.h for the accepted grammar and the deliberate limits).
 *
 * The parser walks the input once per component with explicit lengths, never
 * relying on a NUL terminator, and copies the host and the resource name
 * into the caller's struct only after each has been validated.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "url.h"
#include "wsp_err.h"

/* The longest textual IPv6 address inet_pton accepts (INET6_ADDRSTRLEN
 * counts the NUL). */
#define URL_IPV6_TEXT_MAX 45

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Bytes that may never appear in a URI (RFC 3986 section 2: they are in
 * no production): controls, space, DEL, non-ASCII and the characters RFC
 * 2396 called "unwise". */
static int is_excluded(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 1;
	return memchr("\"<>\\^`{|}", c, 9) != NULL;
}

/* RFC 3986 pchar without pct-encoded (checked separately), plus '/' and
 * '?' which path and query also allow. */
static int is_path_char(unsigned char c)
{
	if (is_alpha(c) || is_digit(c))
		return 1;
	return memchr("-._~!$&'()*+,;=:@/?", c, 19) != NULL;
}

static int is_host_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.';
}

/* Matches the scheme at s[0..len) against "ws" or "wss", ignoring case.
 * Returns 0 for ws, 1 for wss, -1 otherwise. */
static int scheme_kind(const char *s, size_t len)
{
	if (len == 2 && lower((unsigned char)s[0]) == 'w' &&
	    lower((unsigned char)s[1]) == 's')
		return 0;
	if (len == 3 && lower((unsigned char)s[0]) == 'w' &&
	    lower((unsigned char)s[1]) == 's' &&
	    lower((unsigned char)s[2]) == 's')
		return 1;
	return -1;
}

/* A DNS name or a dotted quad in h[0..n), n >= 1.  Sets *kind. */
static int check_name_host(const char *h, size_t n, enum url_host_kind *kind)
{
	int only_digits_dots = 1;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!is_host_char(c))
			return WSP_E_URL_BAD_HOST;
		if (c != '.' && !is_digit(c))
			only_digits_dots = 0;
		if (c == '.') {
			if (label == 0)
				return WSP_E_URL_BAD_HOST; /* ".x", "x..y" */
			label = 0;
		} else if (++label > 63) {
			return WSP_E_URL_BAD_HOST;
		}
	}
	if (only_digits_dots) {
		/* Anything that looks numeric must be a real address, so
		 * that "1.2.3" is never sent to DNS (or read by the resolver
		 * as an inet_aton shorthand). */
		char tmp[16];
		struct in_addr a;
		if (n >= sizeof(tmp))
			return WSP_E_URL_BAD_HOST;
		memcpy(tmp, h, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET, tmp, &a) != 1)
			return WSP_E_URL_BAD_HOST;
		*kind = URL_HOST_IPV4;
		return 0;
	}
	*kind = URL_HOST_NAME;
	return 0;
}

static int check_ipv6_host(const char *h, size_t n)
{
	char tmp[URL_IPV6_TEXT_MAX + 1];
	struct in6_addr a;
	if (n == 0 || n > URL_IPV6_TEXT_MAX)
		return WSP_E_URL_BAD_HOST;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, &a) != 1)
		return WSP_E_URL_BAD_HOST;
	return 0;
}

/* Decimal port in p[0..n): 1..65535, digits only, not empty. */
static int parse_port(const char *p, size_t n, uint16_t *port)
{
	uint32_t v = 0;
	if (n == 0)
		return WSP_E_URL_BAD_PORT;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return WSP_E_URL_BAD_PORT;
		v = v * 10 + (uint32_t)(p[i] - '0');
		if (v > 65535) /* stop before any overflow */
			return WSP_E_URL_BAD_PORT;
	}
	if (v == 0)
		return WSP_E_URL_BAD_PORT;
	*port = (uint16_t)v;
	return 0;
}

/* Path and query in p[0..n): pchar, '/', '?' and well-formed %HH. */
static int check_resource(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '%') {
			if (n - i < 3 || !is_hex((unsigned char)p[i + 1]) ||
			    !is_hex((unsigned char)p[i + 2]))
				return WSP_E_URL_BAD_PERCENT;
			i += 2;
		} else if (!is_path_char(c)) {
			return WSP_E_URL_BAD_CHAR; /* '[', ']' */
		}
	}
	return 0;
}

/* Splits the authority a[0..n) into host and port and fills u. */
static int parse_authority(struct url *u, const char *a, size_t n)
{
	const char *host;
	size_t host_n;
	size_t rest; /* index of what follows the host */
	int rc;

	if (memchr(a, '@', n) != NULL)
		return WSP_E_URL_USERINFO;
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (close == NULL)
			return WSP_E_URL_BAD_HOST;
		host = a + 1;
		host_n = (size_t)(close - host);
		rc = check_ipv6_host(host, host_n);
		if (rc < 0)
			return rc;
		u->host_kind = URL_HOST_IPV6;
		rest = host_n + 2;
	} else {
		const char *colon = memchr(a, ':', n);
		host = a;
		host_n = colon != NULL ? (size_t)(colon - a) : n;
		if (host_n == 0)
			return WSP_E_URL_BAD_HOST;
		if (host_n > URL_HOST_MAX)
			return WSP_E_URL_TOO_LONG;
		rc = check_name_host(host, host_n, &u->host_kind);
		if (rc < 0)
			return rc;
		rest = host_n;
	}
	if (rest < n) {
		if (a[rest] != ':')
			return WSP_E_URL_SYNTAX; /* "[::1]x" */
		rc = parse_port(a + rest + 1, n - rest - 1, &u->port);
		if (rc < 0)
			return rc;
		u->port_given = 1;
	} else {
		u->port = url_default_port(u->secure);
	}
	memcpy(u->host, host, host_n);
	u->host[host_n] = '\0';
	u->host_len = host_n;
	return 0;
}

static int parse(struct url *u, const char *s, size_t len)
{
	/* R6455-3-02: fragment identifiers are meaningless in ws/wss URIs
	 * and must not be used; a literal '#' must be written %23
	 * (R6455-3-03), so any '#' is an error. */
	if (memchr(s, '#', len) != NULL)
		return WSP_E_URL_FRAGMENT;
	for (size_t i = 0; i < len; i++)
		if (is_excluded((unsigned char)s[i]))
			return WSP_E_URL_BAD_CHAR;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	size_t i = 0;
	while (i < len && (is_alpha((unsigned char)s[i]) ||
			   (i > 0 && (is_digit((unsigned char)s[i]) ||
				      s[i] == '+' || s[i] == '-' ||
				      s[i] == '.'))))
		i++;
	if (i == 0 || len - i < 3 || memcmp(s + i, "://", 3) != 0)
		return WSP_E_URL_SYNTAX;
	int kind = scheme_kind(s, i);
	if (kind < 0)
		return WSP_E_URL_SCHEME;
	u->secure = kind;

	const char *auth = s + i + 3;
	size_t left = len - i - 3;
	size_t auth_n = 0;
	while (auth_n < left && auth[auth_n] != '/' && auth[auth_n] != '?')
		auth_n++;
	int rc = parse_authority(u, auth, auth_n);
	if (rc < 0)
		return rc;

	const char *res = auth + auth_n;
	size_t res_n = left - auth_n;
	rc = check_resource(res, res_n);
	if (rc < 0)
		return rc;
	/* RFC 6455 section 3: the resource name is "/" when the path is
	 * empty, then the path, then "?" and the query if there is one. */
	size_t prefix = (res_n == 0 || res[0] != '/') ? 1 : 0;
	if (res_n > URL_RESOURCE_MAX - prefix)
		return WSP_E_URL_TOO_LONG;
	u->resource[0] = '/';
	memcpy(u->resource + prefix, res, res_n);
	u->resource_len = prefix + res_n;
	u->resource[u->resource_len] = '\0';
	return 0;
}

int url_parse(struct url *u, const char *s, size_t len)
{
	if (u == NULL || s == NULL)
		return WSP_E_INVAL;
	memset(u, 0, sizeof(*u));
	int rc = parse(u, s, len);
	if (rc < 0)
		memset(u, 0, sizeof(*u));
	return rc;
}

uint16_t url_default_port(int secure)
{
	return secure ? 443 : 80;
}

const char *url_scheme(const struct url *u)
{
	return u->secure ? "wss" : "ws";
}

int url_host_header(const struct url *u, char *out, size_t cap)
{
	if (u == NULL || out == NULL || u->host_len == 0)
		return WSP_E_INVAL;
	int v6 = u->host_kind == URL_HOST_IPV6;
	int n;
	/* R6455-4.1-23: ":port" only when it is not the default. */
	if (u->port != url_default_port(u->secure))
		n = snprintf(out, cap, "%s%s%s:%u", v6 ? "[" : "", u->host,
			     v6 ? "]" : "", (unsigned)u->port);
	else
		n = snprintf(out, cap, "%s%s%s", v6 ? "[" : "", u->host,
			     v6 ? "]" : "");
	if (n < 0)
		return WSP_E_INTERNAL;
	if ((size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return WSP_E_NOSPACE;
	}
	return n;
}
