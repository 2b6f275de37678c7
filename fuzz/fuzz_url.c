/*
 * fuzz_url.c: libFuzzer target for the ws/wss URL parser (harness/url.c).
 *
 * Checks, beyond "no crash, no over-read" (the input is copied into an
 * exactly-sized buffer so ASan sees any read past it):
 *   - a URL with '#' is always rejected as a fragment (R6455-3-02);
 *   - a parsed URL is consistent: host non-empty, NUL-terminated at
 *     host_len and free of brackets, port in 1..65535 and the default when
 *     none was given, resource name starting with '/';
 *   - round trip: rebuilding "scheme://host[:port]resource" from the
 *     fields (port always explicit) parses again to the same fields;
 *   - the Host header is the host (bracketed for IPv6) plus ":port" exactly
 *     when the port is not the default (R6455-4.1-23).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "url.h"
#include "wsp_err.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_fields(const struct url *u)
{
	check(u->host_len > 0 && u->host_len <= URL_HOST_MAX);
	check(strlen(u->host) == u->host_len);
	check(strchr(u->host, '[') == NULL && strchr(u->host, ']') == NULL);
	check(u->port >= 1);
	if (!u->port_given)
		check(u->port == url_default_port(u->secure));
	check(u->resource_len >= 1 && u->resource_len <= URL_RESOURCE_MAX);
	check(strlen(u->resource) == u->resource_len);
	check(u->resource[0] == '/');
	check(strchr(u->resource, '#') == NULL);
	check(u->host_kind == URL_HOST_NAME || u->host_kind == URL_HOST_IPV4 ||
	      u->host_kind == URL_HOST_IPV6);
}

static void check_host_header(const struct url *u)
{
	char hh[URL_HOST_MAX + 16], want[URL_HOST_MAX + 16];
	int n = url_host_header(u, hh, sizeof(hh));
	int v6 = u->host_kind == URL_HOST_IPV6;
	int w;
	if (u->port == url_default_port(u->secure))
		w = snprintf(want, sizeof(want), "%s%s%s", v6 ? "[" : "",
			     u->host, v6 ? "]" : "");
	else
		w = snprintf(want, sizeof(want), "%s%s%s:%u", v6 ? "[" : "",
			     u->host, v6 ? "]" : "", (unsigned)u->port);
	check(n == w && strcmp(hh, want) == 0);
}

static void check_round_trip(const struct url *u)
{
	static char buf[URL_RESOURCE_MAX + URL_HOST_MAX + 32];
	int v6 = u->host_kind == URL_HOST_IPV6;
	int n = snprintf(buf, sizeof(buf), "%s://%s%s%s:%u%s", url_scheme(u),
			 v6 ? "[" : "", u->host, v6 ? "]" : "",
			 (unsigned)u->port, u->resource);
	check(n > 0 && (size_t)n < sizeof(buf));
	static struct url again;
	check(url_parse(&again, buf, (size_t)n) == 0);
	check(again.secure == u->secure);
	check(again.host_kind == u->host_kind);
	check(strcmp(again.host, u->host) == 0);
	check(again.port == u->port);
	check(again.port_given == 1);
	check(strcmp(again.resource, u->resource) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes (1 for empty input), so ASan sees any read past
	 * the end; calloc so that the empty case is initialised. */
	char *in = calloc(size > 0 ? size : 1, 1);
	if (in == NULL)
		return 0;
	if (size > 0)
		memcpy(in, data, size);
	static struct url u;
	int rc = url_parse(&u, in, size);
	if (memchr(in, '#', size) != NULL)
		check(rc == WSP_E_URL_FRAGMENT);
	if (rc == 0) {
		check_fields(&u);
		check_host_header(&u);
		check_round_trip(&u);
	} else {
		check(rc <= -800 && rc > -900);
		check(u.host_len == 0 && u.resource_len == 0);
	}
	free(in);
	return 0;
}
