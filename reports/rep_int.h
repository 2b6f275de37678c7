/*
 * rep_int.h: helpers shared by the report writers (reports/rep_*.c) and
 * nothing else: a growable output buffer, the one escaper for XML and HTML
 * text, UTF-8 clean-up, case-id ordering and categories.  Not installed,
 * not for callers outside reports/ (hence the rep__ prefix).
 *
 * Why one escaper: JUnit XML and the HTML page carry the same peer-controlled
 * text (close reasons, handshake headers, agent names, events).  Both get
 * the five markup characters as entities and every character XML 1.0 does
 * not allow (C0 controls but tab, newline and carriage return; DEL and the
 * C1 controls, which HTML calls parse errors; noncharacters such as U+FFFE)
 * and every byte that is not well-formed UTF-8 replaced by U+FFFD.  The
 * output is therefore well-formed UTF-8 that gains no markup, whatever the
 * input bytes.
 */
#ifndef REP_INT_H
#define REP_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "res.h"

/* An output buffer that grows without limit checks of its own (the results
 * it renders are bounded already).  An allocation failure sets oom, after
 * which every append is a no-op and rep__sb_finish reports WSP_E_NOMEM. */
struct rep_sb {
	char *p;
	size_t len, cap;
	int oom;
};

void rep__sb_put(struct rep_sb *b, const char *s, size_t n);
void rep__sb_puts(struct rep_sb *b, const char *s);
/* printf into the buffer.  Callers use only %s, %c and the integer
 * conversions (d, u, zu, lld...), whose output no locale changes. */
void rep__sb_printf(struct rep_sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the text (NUL-terminated) to *out and *len and resets b.  Returns 0 or
 * WSP_E_NOMEM (nothing handed over, b freed). */
int rep__sb_finish(struct rep_sb *b, char **out, size_t *len);
void rep__sb_free(struct rep_sb *b);

/* Appends s (NULL: nothing), escaped for XML/HTML text and for attribute
 * values in double or single quotes (header comment).  attr also writes
 * tab, newline and carriage return as character references, so attribute
 * value normalisation keeps them. */
void rep__sb_esc(struct rep_sb *b, const char *s, int attr);
/* The same for s[0..n). */
void rep__sb_escn(struct rep_sb *b, const char *s, size_t n, int attr);

/* A malloc'd copy of s in which every byte that is not part of well-formed
 * UTF-8 is replaced by U+FFFD; NULL when out of memory. */
char *rep__utf8_clean(const char *s);
/* A jansson string for s (cleaned as above), json null for s == NULL, or
 * NULL when out of memory. */
json_t *rep__json_str(const char *s);

/* Replaces every control character of s (jansson quotes the input near a
 * syntax error, newlines and all) with '?', so an error stays one line. */
void rep__oneline(char *s);

/* Compares case ids component by component, numbers numerically ("2.10"
 * after "2.9"), anything else bytewise.  A total order. */
int rep__id_cmp(const char *a, const char *b);

/* The category of a case id: its first dot-separated component, cut to
 * cap - 1 bytes. */
void rep__category(const char *id, char *out, size_t cap);

/* Formats ms as seconds with three decimals ("1.234"), by integer
 * arithmetic: no locale can change it.  Negative values print as 0. */
void rep__seconds(char *buf, size_t cap, int64_t ms);

/* The reason to show for a FAILED case: the behaviour reason when the
 * behaviour failed, else the close reason (as the text summary picks). */
const char *rep__why(const struct res_case *c);

/* One entry of the merged, id-ordered list of an agent's played and
 * excluded cases. */
struct rep_item {
	const struct res_case *c;   /* NULL for an excluded case */
	const struct res_skip *x;   /* NULL for a played case */
	const char *id;
	const char *title;          /* may be NULL */
	size_t order;               /* played cases first, then excluded */
};

/* Builds the merged list for a (caller frees *items); returns the count,
 * or WSP_E_NOMEM. */
int rep__items(const struct res_agent *a, struct rep_item **items);

/* Looks a requirement id up in the embedded copy of docs/requirements.tsv.
 * Returns 1 and points *level and *summary (with lengths; not
 * NUL-terminated, static storage) at its "level" and "summary" columns, or
 * 0 when the id is unknown. */
int rep__req_lookup(const char *id, const char **level, size_t *level_len,
		    const char **summary, size_t *summary_len);

/* Reads the whole file path (at most max bytes) into a malloc'd,
 * NUL-terminated *text.  Returns 0, WSP_E_NOMEM, or WSP_E_INVAL with one
 * line "PATH: reason" in err (missing, unreadable, a directory, too
 * large). */
int rep__read_file(const char *path, size_t max, char **text, size_t *len,
		   char *err, size_t errlen);

/* The SHA-256 digest of data, base64-encoded into out (at least 45 bytes)
 * as a Content-Security-Policy hash source takes it.  Returns 0 or -1. */
int rep__sha256_b64(const char *data, size_t len, char *out, size_t cap);

/* The wire log of c (reports/rep_wire.c), decoded from what results.json
 * kept; role is the agent's (that of the implementation under test).
 * Out of memory sets b->oom (or returns NULL). */

/* index.html: a sentence on what was exchanged and kept, then a table with
 * one row per HTTP head, frame or run of raw bytes: time, direction,
 * header fields, violations, payload in hex and as text when printable. */
void rep__html_wire(struct rep_sb *b, const struct res_case *c,
		    const char *role);

/* junit.xml: "wire log (N heads and frames):" and one line for each of
 * the first `first` and the last `last` of them.  Nothing when c has no
 * log. */
void rep__wire_excerpt(struct rep_sb *t, const struct res_case *c,
		       const char *role, size_t first, size_t last);

/* Autobahn's "wirelog" (shared/reference/autobahn.md, section 4.3): json
 * null when c has no log, NULL when out of memory. */
json_t *rep__autobahn_wirelog(const struct res_case *c, const char *role);

#endif
