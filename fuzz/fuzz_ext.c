/*
 * fuzz_ext.c: ext_parse (proto/ext.h) on arbitrary bytes.
 *
 * Invariants: the result is a count or an ext code; counting without
 * storing gives the same answer; storing fewer elements gives the same
 * count and the same first elements; every stored name and value lies
 * inside the input, is a token (quoted values once unescaped) and quoted
 * values keep their quotes; and writing the parsed list back out in a
 * canonical form and parsing that gives the same names and values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ext.h"
#include "fuzz.h"
#include "wsp_err.h"

#define MAXE 8

static int inside(const char *base, size_t n, const char *p, size_t len)
{
	return p >= base && len <= n && (size_t)(p - base) <= n - len;
}

/* Compares two parses element by element, by content. */
static void same(const struct ext_elem *a, const struct ext_elem *b,
		 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		REQUIRE(a[i].name_len == b[i].name_len);
		REQUIRE(memcmp(a[i].name, b[i].name, a[i].name_len) == 0);
		REQUIRE(a[i].nparams == b[i].nparams);
		for (size_t j = 0; j < a[i].nparams; j++) {
			const struct ext_param *p = &a[i].params[j];
			const struct ext_param *q = &b[i].params[j];
			REQUIRE(p->name_len == q->name_len);
			REQUIRE(memcmp(p->name, q->name, p->name_len) == 0);
			REQUIRE(p->has_value == q->has_value);
			REQUIRE(p->quoted == q->quoted);
			REQUIRE(p->value_len == q->value_len);
			if (p->has_value)
				REQUIRE(memcmp(p->value, q->value,
					       p->value_len) == 0);
		}
	}
}

static size_t put(char *out, size_t at, const char *s, size_t n)
{
	memcpy(out + at, s, n);
	return at + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	struct ext_elem e[MAXE], e1[1], r[MAXE];
	REQUIRE(s != NULL);
	if (size > 0)
		memcpy(s, data, size);

	int rc = ext_parse(s, size, e, MAXE);
	REQUIRE(ext_parse(s, size, NULL, 0) == rc);
	int rc1 = ext_parse(s, size, e1, 1);
	REQUIRE(rc1 == rc);
	if (rc < 0) {
		REQUIRE((rc <= WSP_E_EXT_BAD_NAME &&
			 rc >= WSP_E_EXT_TOO_MANY_PARAMS) ||
			rc == WSP_E_LIMIT);
		REQUIRE(wsp_errname(rc)[0] == 'W');
		free(s);
		return 0;
	}
	size_t n = (size_t)rc < MAXE ? (size_t)rc : MAXE;
	if (n > 0)
		same(e, e1, 1);

	/* Canonical re-serialisation: "name;p=v, name2" with raw values. */
	size_t cap = 2 * size + 16, len = 0;
	char *out = malloc(cap);
	REQUIRE(out != NULL);
	for (size_t i = 0; i < n; i++) {
		REQUIRE(inside(s, size, e[i].name, e[i].name_len));
		REQUIRE(ext_is_token(e[i].name, e[i].name_len));
		REQUIRE(e[i].nparams <= EXT_MAX_PARAMS);
		if (i > 0)
			len = put(out, len, ", ", 2);
		len = put(out, len, e[i].name, e[i].name_len);
		for (size_t j = 0; j < e[i].nparams; j++) {
			const struct ext_param *p = &e[i].params[j];
			REQUIRE(inside(s, size, p->name, p->name_len));
			REQUIRE(ext_is_token(p->name, p->name_len));
			len = put(out, len, ";", 1);
			len = put(out, len, p->name, p->name_len);
			if (!p->has_value) {
				REQUIRE(!p->quoted);
				continue;
			}
			REQUIRE(inside(s, size, p->value, p->value_len));
			char *v = malloc(p->value_len);
			REQUIRE(v != NULL);
			int vn = ext_param_value(p, v, p->value_len);
			REQUIRE(vn > 0);
			REQUIRE(ext_is_token(v, (size_t)vn));
			if (p->quoted) {
				REQUIRE(p->value_len >= 3);
				REQUIRE(p->value[0] == '"');
				REQUIRE(p->value[p->value_len - 1] == '"');
				REQUIRE((size_t)vn <= p->value_len - 2);
			} else {
				REQUIRE((size_t)vn == p->value_len);
				REQUIRE(memcmp(v, p->value, p->value_len) == 0);
			}
			free(v);
			len = put(out, len, "=", 1);
			len = put(out, len, p->value, p->value_len);
		}
	}
	REQUIRE(len <= cap);
	if ((size_t)rc <= MAXE) {
		char *o2 = malloc(len ? len : 1);
		REQUIRE(o2 != NULL);
		if (len > 0)
			memcpy(o2, out, len);
		REQUIRE(ext_parse(o2, len, r, MAXE) == rc);
		same(e, r, n);
		free(o2);
	}
	free(out);
	free(s);
	return 0;
}
