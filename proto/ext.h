/*
 * ext.h: the Sec-WebSocket-Extensions header grammar (RFC 6455 section 9.1).
 *
 *   Sec-WebSocket-Extensions = extension-list
 *   extension-list = 1#extension
 *   extension = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * A quoted-string value must be a token once unescaped (R6455-9.1-02,
 * R6455-4.3-01).  The parser is zero-copy: names and values point into the
 * caller's string; ext_param_value() unescapes a value into a caller buffer.
 * Both the handshake module (hs_) and permessage-deflate (pmd_) use it.
 */
#ifndef EXT_H
#define EXT_H

#include <stddef.h>

#define EXT_MAX_PARAMS 16

struct ext_param {
	const char *name; /* into the input */
	size_t name_len;
	const char *value; /* into the input, raw (quotes and escapes kept) */
	size_t value_len;
	int has_value;     /* 0 for a valueless parameter */
	int quoted;        /* 1 when value is a quoted-string (raw, with quotes) */
};

struct ext_elem {
	const char *name; /* extension token, into the input */
	size_t name_len;
	struct ext_param params[EXT_MAX_PARAMS];
	size_t nparams;
};

/* Parses header value s[0..n) (one header line, or several joined with ", "
 * as RFC 6455 section 9.1 allows) into out[0..max).  Returns the number of
 * elements found (0 for an empty list; may exceed max, in which case only the
 * first max are filled, but every element is still checked), or a negative
 * WSP_E_EXT_* code naming the first grammar violation (R6455-9.1-01, or
 * R6455-9.1-02 for a quoted value that is not a token once unescaped).  More
 * than EXT_MAX_PARAMS parameters on one element is WSP_E_EXT_TOO_MANY_PARAMS
 * (a tool limit); WSP_E_INVAL for s == NULL with n > 0 or out == NULL with
 * max > 0.  Empty list elements ("a, , b") are skipped (RFC 2616 section
 * 2.1); OWS is SP and HTAB.  Names are returned as written: comparing them is
 * the caller's business (pmd_ compares case-sensitively).  The pointers in
 * out stay valid as long as s does; out is unspecified after an error.
 * Linear time in n. */
int ext_parse(const char *s, size_t n, struct ext_elem *out, size_t max);

/* Writes the unescaped value of p into buf[0..cap) (no NUL is added) and
 * returns its length, WSP_E_NOSPACE if it does not fit, or WSP_E_INVAL if p
 * has no value.  A token value is copied as is. */
int ext_param_value(const struct ext_param *p, char *buf, size_t cap);

/* 1 when the n bytes at s are a non-empty RFC 2616 token, else 0. */
int ext_is_token(const char *s, size_t n);

#endif
