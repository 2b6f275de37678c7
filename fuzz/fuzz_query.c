/*
 * fuzz_query.c: libFuzzer target for the request-target query parser of
 * the server role (run_server_query_get, run_server_path_len in
 * harness/role_server.c), which reads what the client under test sends.
 *
 * Input: byte 0 picks the output capacity (1..64), the bytes up to the
 * first '\n' are the parameter name, the rest is the request target (both
 * cut at a NUL, as the C strings the server passes).  Name, target and
 * output each live in an exactly-sized malloc'd buffer so ASan sees any
 * read or write past them.
 *
 * Checks:
 *   - with room to spare, the result equals an independent reference
 *     decoder's (absent, NUL inside, or the decoded bytes);
 *   - with the small capacity, a value that fits is the same, a value that
 *     does not is WSP_E_NOSPACE with out "", a value with a NUL byte is
 *     WSP_E_INVAL or WSP_E_NOSPACE exactly as the position of the NUL says;
 *   - out is always NUL-terminated within its capacity;
 *   - the path length is the offset of the first '?' (or the length);
 *   - run_server_unparsed_target, reading the target as a request head:
 *     -1 exactly when it does not start with "GET "; else ascii is the
 *     target up to a space or line end with only bytes >= 0x80 changed
 *     (to '_'), the result says whether there was one, and shown in the
 *     small capacity is NUL-terminated and a prefix of shown in a large
 *     one, which unescapes back to the target.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "role_server.h"
#include "wsp_err.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The reference: decodes the first matching parameter into out (room for
 * the whole target).  Returns the decoded length, -1 when absent; *nul_at
 * is the count of bytes decoded before a NUL, or -1 when there is none. */
static long reference(const char *target, const char *name, char *out,
		      long *nul_at)
{
	*nul_at = -1;
	const char *q = strchr(target, '?');
	if (q == NULL)
		return -1;
	size_t nl = strlen(name);
	const char *seg = q + 1;
	for (;;) {
		size_t sl = strcspn(seg, "&");
		size_t kl = 0;
		while (kl < sl && seg[kl] != '=')
			kl++;
		if (kl == nl && strncmp(seg, name, nl) == 0) {
			long n = 0;
			for (size_t i = kl < sl ? kl + 1 : sl; i < sl;) {
				char c = seg[i];
				if (c == '%' && i + 2 < sl &&
				    hexdig(seg[i + 1]) >= 0 &&
				    hexdig(seg[i + 2]) >= 0) {
					c = (char)(hexdig(seg[i + 1]) * 16 +
						   hexdig(seg[i + 2]));
					i += 3;
				} else {
					if (c == '+')
						c = ' ';
					i++;
				}
				if (c == '\0' && *nul_at < 0)
					*nul_at = n;
				out[n++] = c;
			}
			out[n] = '\0';
			return n;
		}
		if (seg[sl] == '\0')
			return -1;
		seg += sl + 1;
	}
}

static void check_unparsed(const char *head, size_t hlen, size_t cap)
{
	char *ascii = malloc(hlen + 1), *shown = malloc(4 * hlen + 1);
	char *ref = malloc(4 * hlen + 1), *small = malloc(cap);
	check(ascii && shown && ref && small);
	int rc = run_server_unparsed_target(head, ascii, hlen + 1, shown,
					    4 * hlen + 1);
	int rc_small = run_server_unparsed_target(head, ascii, hlen + 1, small,
						  cap);
	check(rc == rc_small);
	if (hlen < 4 || memcmp(head, "GET ", 4) != 0) {
		check(rc == -1);
		goto out;
	}
	const char *t = head + 4;
	size_t n = strcspn(t, " \r\n");
	check(strlen(ascii) == n);
	/* The reference: each byte as itself, or \xHH; fit is the end of
	 * the last whole item that leaves room for the NUL in cap. */
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, fit = 0;
	int raw = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		raw |= c >= 0x80;
		check(ascii[i] == (c >= 0x80 ? '_' : (char)c));
		if (c >= 0x80 || c < 0x20) {
			ref[o++] = '\\';
			ref[o++] = 'x';
			ref[o++] = hex[c >> 4];
			ref[o++] = hex[c & 15];
		} else {
			ref[o++] = (char)c;
		}
		if (o < cap && fit == o - (c >= 0x80 || c < 0x20 ? 4 : 1))
			fit = o;
	}
	ref[o] = '\0';
	check(rc == raw);
	check(strcmp(shown, ref) == 0);
	check(strnlen(small, cap) == fit && memcmp(small, ref, fit) == 0);
out:
	free(ascii);
	free(shown);
	free(ref);
	free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t cap = 1 + data[0] % 64;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	const uint8_t *nl = memchr(p, '\n', n);
	size_t namelen = nl != NULL ? (size_t)(nl - p) : 0;
	const uint8_t *t = nl != NULL ? nl + 1 : p;
	size_t tlen = n - (size_t)(t - p);
	const uint8_t *z = memchr(p, '\0', namelen);
	if (z != NULL)
		namelen = (size_t)(z - p);
	z = memchr(t, '\0', tlen);
	if (z != NULL)
		tlen = (size_t)(z - t);

	char *name = malloc(namelen + 1);
	char *target = malloc(tlen + 1);
	char *big = malloc(tlen + 2);
	char *ref = malloc(tlen + 2);
	char *small = malloc(cap);
	check(name && target && big && ref && small);
	memcpy(name, p, namelen);
	name[namelen] = '\0';
	memcpy(target, t, tlen);
	target[tlen] = '\0';

	const char *q = strchr(target, '?');
	check(run_server_path_len(target) ==
	      (q != NULL ? (size_t)(q - target) : tlen));

	long nul_at;
	long want = reference(target, name, ref, &nul_at);
	int rc = run_server_query_get(target, name, big, tlen + 2);
	if (want < 0) {
		check(rc == WSP_E_INCOMPLETE && big[0] == '\0');
	} else if (nul_at >= 0) {
		check(rc == WSP_E_INVAL && big[0] == '\0');
	} else {
		check(rc == want && memcmp(big, ref, (size_t)want + 1) == 0);
	}

	rc = run_server_query_get(target, name, small, cap);
	check(memchr(small, '\0', cap) != NULL);
	if (want < 0) {
		check(rc == WSP_E_INCOMPLETE && small[0] == '\0');
	} else if (nul_at >= 0) {
		if ((size_t)nul_at >= cap)
			check(rc == WSP_E_NOSPACE && small[0] == '\0');
		else
			check(rc == WSP_E_INVAL && small[0] == '\0');
	} else if ((size_t)want < cap) {
		check(rc == want && memcmp(small, ref, (size_t)want + 1) == 0);
	} else {
		check(rc == WSP_E_NOSPACE && small[0] == '\0');
	}
	check_unparsed(target, tlen, cap);
	free(name);
	free(target);
	free(big);
	free(ref);
	free(small);
	return 0;
}
