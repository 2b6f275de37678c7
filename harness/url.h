/*
 * url.h: parsing of ws:// and wss:// URLs (RFC 6455 section 3) into the
 * pieces the harness needs to connect and to build the opening handshake:
 * scheme, host, port and resource name.
 *
 * The parser is strict on purpose: a target URL is typed by a user, and a
 * surprise (a silently dropped fragment, userinfo, a space) would make a run
 * test something else than intended.  It accepts:
 *
 *   ws-URI  = ("ws" | "wss") "://" host [ ":" port ] [ path ] [ "?" query ]
 *   host    = DNS name | dotted-quad IPv4 | "[" IPv6 "]"
 *   port    = 1*DIGIT in 1..65535 (default 80 for ws, 443 for wss;
 *             R6455-3-01)
 *
 * The scheme is case-insensitive.  Rejected, each with its own code: any
 * other scheme, a fragment (R6455-3-02; a literal '#' must be sent as %23,
 * R6455-3-03), userinfo, an empty port, bytes outside the RFC 3986 URI
 * character set (spaces, controls, non-ASCII, '"', '<', '>', '\', '^', '`',
 * '{', '|', '}'), and '%' not followed by two hex digits.
 *
 * Deliberate limits: a DNS name is letters, digits, '-', '_' and '.', in
 * labels of 1..63 bytes, at most 253 bytes (a trailing dot is allowed); a
 * host of only digits and dots must be a valid dotted quad; IPv6 zone ids
 * ("%25eth0") and IPvFuture literals are not supported.  Percent-encoding is
 * validated but never decoded: the resource name is sent as written.
 */
#ifndef URL_URL_H
#define URL_URL_H

#include <stddef.h>
#include <stdint.h>

#define URL_HOST_MAX 253      /* longest DNS name; any IPv6 literal fits */
#define URL_RESOURCE_MAX 8192 /* longest path + query accepted */

enum url_host_kind {
	URL_HOST_NAME = 1, /* DNS name: used for SNI and certificate checks */
	URL_HOST_IPV4 = 2, /* dotted quad */
	URL_HOST_IPV6 = 3  /* written in brackets; host holds it without them */
};

/* A parsed URL.  Caller-owned; fixed buffers, so it holds no pointer into
 * the input and needs no freeing. */
struct url {
	int secure;                  /* 1 for wss, 0 for ws */
	enum url_host_kind host_kind;
	char host[URL_HOST_MAX + 1]; /* NUL-terminated, brackets stripped */
	size_t host_len;
	uint16_t port;               /* 1..65535, the default when not given */
	int port_given;              /* the URL spelled a port out */
	/* The resource name of RFC 6455 section 3: the path ("/" when empty)
	 * followed by "?" and the query when the URL has a '?'. */
	char resource[URL_RESOURCE_MAX + 1];
	size_t resource_len;
};

/* Parses s[0..len) (no NUL needed; a NUL byte inside is rejected as a
 * control byte) into *u.  Returns 0, or:
 *   WSP_E_INVAL            u or s is NULL
 *   WSP_E_URL_SCHEME       the scheme is not ws or wss (e.g. http)
 *   WSP_E_URL_SYNTAX       no "scheme://", or junk after the host
 *   WSP_E_URL_FRAGMENT     a '#' anywhere (R6455-3-02)
 *   WSP_E_URL_USERINFO     a '@' in the authority
 *   WSP_E_URL_BAD_CHAR     space, control, non-ASCII or excluded character
 *   WSP_E_URL_BAD_PERCENT  '%' not followed by two hex digits
 *   WSP_E_URL_BAD_HOST     empty or invalid host
 *   WSP_E_URL_BAD_PORT     empty, zero, non-digit or > 65535 port
 *   WSP_E_URL_TOO_LONG     host over URL_HOST_MAX or resource name over
 *                          URL_RESOURCE_MAX bytes
 * On error *u is left zeroed.  The '#' check runs first, so a URL with a
 * fragment is always reported as such. */
int url_parse(struct url *u, const char *s, size_t len);

/* The Host header value for u (R6455-4.1-23): the host, in brackets when it
 * is an IPv6 literal, followed by ":port" only when the port is not the
 * scheme's default (even when the URL spelled the default out).  Writes it
 * NUL-terminated into out[0..cap) and returns its length, or WSP_E_NOSPACE
 * (out is then the empty string when cap > 0) or WSP_E_INVAL. */
int url_host_header(const struct url *u, char *out, size_t cap);

/* 80 for ws, 443 for wss (R6455-3-01). */
uint16_t url_default_port(int secure);

/* "ws" or "wss" (static storage). */
const char *url_scheme(const struct url *u);

#endif
