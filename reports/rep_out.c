/*
 * rep_out.c: what the report writers share (rep_int.h): the output buffer,
 * the XML/HTML escaper, UTF-8 clean-up, case-id order, and the table of
 * formats with rep_write_all, the one call a run makes to write its report
 * folder (rep.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rep.h"
#include "rep_int.h"
#include "wsp_err.h"

/* --- output buffer ------------------------------------------------------ */

static int sb_reserve(struct rep_sb *b, size_t more)
{
	if (b->oom)
		return -1;
	if (more < b->cap - b->len)
		return 0;
	size_t ncap = b->cap ? b->cap : 4096;
	while (more >= ncap - b->len) {
		if (ncap > ((size_t)-1) / 2) {
			b->oom = 1;
			return -1;
		}
		ncap *= 2;
	}
	char *np = realloc(b->p, ncap);
	if (np == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void rep__sb_put(struct rep_sb *b, const char *s, size_t n)
{
	if (n == 0 || sb_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void rep__sb_puts(struct rep_sb *b, const char *s)
{
	rep__sb_put(b, s, strlen(s));
}

void rep__sb_printf(struct rep_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		rep__sb_put(b, small, (size_t)n);
		return;
	}
	if (sb_reserve(b, (size_t)n + 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

int rep__sb_finish(struct rep_sb *b, char **out, size_t *len)
{
	if (!b->oom && sb_reserve(b, 1) == 0) {
		b->p[b->len] = '\0';
		*out = b->p;
		*len = b->len;
		memset(b, 0, sizeof(*b));
		return 0;
	}
	rep__sb_free(b);
	return WSP_E_NOMEM;
}

void rep__sb_free(struct rep_sb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- UTF-8 and escaping ------------------------------------------------- */

/* The length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) with its code
 * point in *cp, or 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* 1 when XML 1.0 and HTML both take code point cp as a character as it
 * is: no C0 control but tab, newline and carriage return, no DEL or C1
 * control, no noncharacter. */
static int char_ok(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	if (cp >= 0x7f && cp <= 0x9f)
		return 0;
	if (cp >= 0xfdd0 && cp <= 0xfdef)
		return 0;
	if ((cp & 0xfffe) == 0xfffe)
		return 0;
	return 1;
}

void rep__sb_escn(struct rep_sb *b, const char *s, size_t n, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			rep__sb_puts(b, REPLACEMENT);
			i++;
			continue;
		}
		if (!char_ok(cp)) {
			rep__sb_puts(b, REPLACEMENT);
		} else if (cp == '&') {
			rep__sb_puts(b, "&amp;");
		} else if (cp == '<') {
			rep__sb_puts(b, "&lt;");
		} else if (cp == '>') {
			rep__sb_puts(b, "&gt;");
		} else if (cp == '"') {
			rep__sb_puts(b, "&quot;");
		} else if (cp == '\'') {
			rep__sb_puts(b, "&#39;");
		} else if (attr && (cp == '\t' || cp == '\n' || cp == '\r')) {
			rep__sb_printf(b, "&#%u;", (unsigned)cp);
		} else {
			rep__sb_put(b, s + i, k);
		}
		i += k;
	}
}

void rep__sb_esc(struct rep_sb *b, const char *s, int attr)
{
	if (s != NULL)
		rep__sb_escn(b, s, strlen(s), attr);
}

char *rep__utf8_clean(const char *s)
{
	size_t n = strlen(s);
	/* Each bad byte becomes three; the worst case is 3n. */
	if (n > ((size_t)-1 - 1) / 3)
		return NULL;
	char *out = malloc(3 * n + 1);
	if (out == NULL)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return out;
}

json_t *rep__json_str(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *v = json_string(s);
	if (v != NULL)
		return v;
	/* Not UTF-8 (or out of memory): jansson refuses the bytes, so the
	 * field would silently vanish; clean and try again. */
	char *clean = rep__utf8_clean(s);
	if (clean == NULL)
		return NULL;
	v = json_string(clean);
	free(clean);
	return v;
}

void rep__oneline(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* --- ids, times, reasons ------------------------------------------------ */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int rep__id_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int numeric = la > 0 && lb > 0;
		for (size_t i = 0; numeric && i < la; i++)
			numeric = is_digit(a[i]);
		for (size_t i = 0; numeric && i < lb; i++)
			numeric = is_digit(b[i]);
		if (numeric) {
			/* Compare the numbers without converting them: skip
			 * leading zeros, then the longer one is larger. */
			size_t za = 0, zb = 0;
			while (za + 1 < la && a[za] == '0')
				za++;
			while (zb + 1 < lb && b[zb] == '0')
				zb++;
			if (la - za != lb - zb)
				return la - za < lb - zb ? -1 : 1;
			int c = memcmp(a + za, b + zb, la - za);
			if (c != 0)
				return c < 0 ? -1 : 1;
			if (la != lb) /* "01" after "1": still a total order */
				return la < lb ? -1 : 1;
		} else {
			size_t m = la < lb ? la : lb;
			int c = memcmp(a, b, m);
			if (c != 0)
				return c < 0 ? -1 : 1;
			if (la != lb)
				return la < lb ? -1 : 1;
		}
		a += la;
		b += lb;
		if (*a == '\0' || *b == '\0')
			return (*a != '\0') - (*b != '\0');
		a++;
		b++;
	}
}

void rep__category(const char *id, char *out, size_t cap)
{
	size_t n = strcspn(id, ".");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, id, n);
	out[n] = '\0';
}

void rep__seconds(char *buf, size_t cap, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	snprintf(buf, cap, "%lld.%03lld", (long long)(ms / 1000),
		 (long long)(ms % 1000));
}

const char *rep__why(const struct res_case *c)
{
	const char *why = c->behavior == VD_FAILED || c->close_reason == NULL
				  ? c->reason
				  : c->close_reason;
	return why != NULL ? why : "no reason recorded";
}

static int item_cmp(const void *x, const void *y)
{
	const struct rep_item *a = x, *b = y;
	int c = rep__id_cmp(a->id, b->id);
	if (c != 0)
		return c;
	/* Same id twice (a hand-edited results.json): model order. */
	return a->order < b->order ? -1 : a->order > b->order;
}

int rep__items(const struct res_agent *a, struct rep_item **items)
{
	size_t n = a->ncases + a->nexcluded;
	struct rep_item *it = calloc(n ? n : 1, sizeof(*it));
	if (it == NULL)
		return WSP_E_NOMEM;
	size_t k = 0;
	for (size_t i = 0; i < a->ncases; i++, k++) {
		it[k].c = &a->cases[i];
		it[k].id = a->cases[i].id ? a->cases[i].id : "";
		it[k].title = a->cases[i].title;
	}
	for (size_t i = 0; i < a->nexcluded; i++, k++) {
		it[k].x = &a->excluded[i];
		it[k].id = a->excluded[i].id ? a->excluded[i].id : "";
		it[k].title = a->excluded[i].title;
	}
	/* qsort is not stable: the position in the model is the last key,
	 * so the order (and the output) is the same on every run. */
	for (size_t i = 0; i < n; i++)
		it[i].order = i;
	qsort(it, n, sizeof(*it), item_cmp);
	*items = it;
	return (int)n;
}

int rep__read_file(const char *path, size_t max, char **text, size_t *len,
		   char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return WSP_E_INVAL;
	}
	struct rep_sb sb = {0};
	char buf[65536];
	size_t n;
	while (sb.len <= max && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		rep__sb_put(&sb, buf, n);
	int bad = ferror(f);
	int saved = errno;
	fclose(f);
	if (bad || sb.len > max) {
		if (bad)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(saved));
		else
			snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		rep__sb_free(&sb);
		return WSP_E_INVAL;
	}
	if (rep__sb_finish(&sb, text, len) != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return WSP_E_NOMEM;
	}
	return 0;
}

int rep_json_load(struct res_run *r, const char *path, char *err,
		  size_t errlen)
{
	memset(r, 0, sizeof(*r));
	char *text;
	size_t len;
	int rc = rep__read_file(path, REP_JSON_MAX_BYTES, &text, &len, err,
				errlen);
	if (rc != 0)
		return rc;
	char e2[384] = "";
	rc = rep_json_parse(r, text, len, e2, sizeof(e2));
	if (rc != 0) /* "PATH:LINE:COL: ..." for syntax, "PATH: ..." else */
		snprintf(err, errlen, "%s:%s%s", path,
			 is_digit(e2[0]) ? "" : " ", e2);
	free(text);
	return rc;
}

int rep__sha256_b64(const char *data, size_t len, char *out, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (cap < 45 ||
	    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	return 0;
}

/* --- the formats -------------------------------------------------------- */

const struct rep_format rep_formats[] = {
	{"json", "results.json", rep_json_write},
	{"junit", "junit.xml", rep_junit_write},
	{"autobahn", "index.json and <agent>_case_<id>.json", rep_autobahn_write},
	{"html", "index.html", rep_html_write},
};
const size_t rep_nformats = sizeof(rep_formats) / sizeof(rep_formats[0]);

const struct rep_format *rep_format_find(const char *name)
{
	for (size_t i = 0; i < rep_nformats; i++)
		if (strcmp(rep_formats[i].name, name) == 0)
			return &rep_formats[i];
	return NULL;
}

int rep_write_all(const struct res_run *r, const char *dir, char *err,
		  size_t errlen)
{
	int first = 0;
	char one[512];
	for (size_t i = 0; i < rep_nformats; i++) {
		one[0] = '\0';
		int rc = rep_formats[i].write(r, dir, one, sizeof(one));
		if (rc != 0 && first == 0) {
			first = rc;
			if (rc == WSP_E_NOMEM && one[0] == '\0')
				snprintf(one, sizeof(one), "%s: out of memory",
					 rep_formats[i].files);
			snprintf(err, errlen, "%s", one);
		}
	}
	return first;
}
