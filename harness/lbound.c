/*
 * lbound.c: bounded replacements for the sandbox's C library functions
 * (contract and the list of what is replaced in lbound.h).
 *
 * Why our own pattern matcher.  Lua's string library gives no way to stop
 * its matcher, and the count hook never runs inside it.  Two designs were
 * possible: refuse, before the call, any pattern whose worst-case cost
 * bound (subject length ^ number of backtracking quantifiers) is too high,
 * or run a matcher that counts its steps.  The bound is far too pessimistic
 * for the patterns case files really use: the header parser
 * "^([^:]+):%s*(.-)%s*$" has four quantifiers, so on a 200-byte line its
 * bound is 1.6e9 although it runs in a few hundred steps; any limit low
 * enough to stop "a-a-a-...b" would refuse it.  A step counter bounds the
 * work actually done, so every pattern is allowed and only a call that
 * really runs long is stopped, with an error naming the function and the
 * pattern.  The matcher is written from the Lua 5.4 manual (section
 * 6.4.1): single-character classes, sets, the quantifiers * + - ?,
 * anchors, captures and position captures, back-references, %b and %f;
 * fuzz/fuzz_lcase.c compares it with Lua's own library on the inputs it
 * generates.  It is a backtracking matcher like Lua's, so its results and
 * its errors are Lua's; only its work is counted.
 *
 * What a step is: one entry into the match loop, one test of a subject
 * byte against a single-character class, one byte scanned by %b, 8 bytes
 * compared by a back-reference or a plain find, 16 bytes skipped by a plain
 * find.  Each is a few
 * nanoseconds, about the cost of one VM instruction, which is why lcase
 * charges them one for one to the case's instruction limit.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lbound.h"
#include "wsp_err.h"

#define CAP_UNFINISHED LBOUND_CAP_OPEN
#define CAP_POSITION LBOUND_CAP_POSITION
#define MAX_DEPTH 200 /* nested match calls, as Lua's matcher allows */
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

/* The state of one match attempt. */
struct ms {
	const char *src, *src_end; /* the whole subject */
	const char *p_end;
	uint64_t steps, budget;
	int depth;  /* nested calls still allowed */
	int rc;     /* 0, or the first error: WSP_E_INVAL or WSP_E_LIMIT */
	int level;  /* captures open or closed so far */
	const char *cap_init[LBOUND_MAXCAPTURES];
	ptrdiff_t cap_len[LBOUND_MAXCAPTURES];
	char *err;
	size_t errlen;
};

static int uc(char c)
{
	return (unsigned char)c;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void bad_pattern(struct ms *ms, const char *fmt, ...)
{
	if (ms->rc != 0)
		return;
	ms->rc = WSP_E_INVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ms->err, ms->errlen, fmt, ap);
	va_end(ap);
}

/* Counts one step; 0 once the budget is spent (ms->rc then says so). */
static int step(struct ms *ms, uint64_t n)
{
	if (ms->rc != 0)
		return 0;
	if (n > ms->budget - ms->steps) {
		ms->steps = ms->budget == UINT64_MAX ? UINT64_MAX
						     : ms->budget + 1;
		ms->rc = WSP_E_LIMIT;
		return 0;
	}
	ms->steps += n;
	return 1;
}

/* The end of the single-character class at p: after "%x", after a set
 * "[...]" (whose first character, even ']', is a member), or after p. */
static const char *class_end(struct ms *ms, const char *p)
{
	char c = *p++;
	if (c == ESC) {
		if (p == ms->p_end) {
			bad_pattern(ms, "malformed pattern (ends with '%%')");
			return NULL;
		}
		return p + 1;
	}
	if (c == '[') {
		if (p < ms->p_end && *p == '^')
			p++;
		do {
			if (p == ms->p_end) {
				bad_pattern(ms, "malformed pattern (missing ']')");
				return NULL;
			}
			c = *p++;
			if (c == ESC && p < ms->p_end)
				p++; /* "%]" is a member, not the end */
		} while (p == ms->p_end || *p != ']');
		return p + 1;
	}
	return p;
}

/* %a %c %d %g %l %p %s %u %w %x (and %z, the NUL byte: no longer in the
 * manual, but Lua 5.4 still accepts it; found by fuzz_lcase), complemented
 * when upper case; any other character after '%' stands for itself. */
static int match_class(int c, int cl)
{
	int res;
	switch (tolower(cl)) {
	case 'a': res = isalpha(c); break;
	case 'c': res = iscntrl(c); break;
	case 'd': res = isdigit(c); break;
	case 'g': res = isgraph(c); break;
	case 'l': res = islower(c); break;
	case 'p': res = ispunct(c); break;
	case 's': res = isspace(c); break;
	case 'u': res = isupper(c); break;
	case 'w': res = isalnum(c); break;
	case 'x': res = isxdigit(c); break;
	case 'z': res = c == 0; break; /* deprecated since 5.2, still in 5.4 */
	default: return cl == c;
	}
	if (isupper(cl))
		return res == 0;
	return res != 0;
}

/* A set: p at its '[', ec at its closing ']'. */
static int match_set(int c, const char *p, const char *ec)
{
	int in = 1;
	if (p[1] == '^') {
		in = 0;
		p++;
	}
	while (++p < ec) {
		if (*p == ESC) {
			p++;
			if (match_class(c, uc(*p)))
				return in;
		} else if (p[1] == '-' && p + 2 < ec) {
			p += 2;
			if (uc(p[-2]) <= c && c <= uc(*p))
				return in;
		} else if (uc(*p) == c) {
			return in;
		}
	}
	return !in;
}

/* Does the subject byte at s match the class p..ep?  No at the end. */
static int single_match(struct ms *ms, const char *s, const char *p,
			const char *ep)
{
	if (s >= ms->src_end || !step(ms, 1))
		return 0;
	int c = uc(*s);
	switch (*p) {
	case '.':
		return 1;
	case ESC:
		return match_class(c, uc(p[1]));
	case '[':
		return match_set(c, p, ep - 1);
	default:
		return uc(*p) == c;
	}
}

static const char *do_match(struct ms *ms, const char *s, const char *p);

/* %bxy at s: x, then the shortest run in which x and y balance, then y. */
static const char *match_balance(struct ms *ms, const char *s, const char *p)
{
	if (ms->p_end - p < 2) {
		bad_pattern(ms, "malformed pattern (missing arguments to '%%b')");
		return NULL;
	}
	if (s >= ms->src_end || *s != *p)
		return NULL;
	char open = p[0], close = p[1];
	size_t depth = 1;
	while (++s < ms->src_end) {
		if (!step(ms, 1))
			return NULL;
		if (*s == close) {
			if (--depth == 0)
				return s + 1;
		} else if (*s == open) {
			depth++;
		}
	}
	return NULL;
}

/* Item* and item+ (after its first byte): the longest run first, then one
 * byte shorter at a time. */
static const char *max_expand(struct ms *ms, const char *s, const char *p,
			      const char *ep)
{
	size_t i = 0;
	while (single_match(ms, s + i, p, ep))
		i++;
	if (ms->rc != 0)
		return NULL;
	for (;;) {
		const char *r = do_match(ms, s + i, ep + 1);
		if (r != NULL || ms->rc != 0 || i == 0)
			return r;
		i--;
	}
}

/* Item-: the shortest run first, then one byte longer at a time. */
static const char *min_expand(struct ms *ms, const char *s, const char *p,
			      const char *ep)
{
	for (;;) {
		const char *r = do_match(ms, s, ep + 1);
		if (r != NULL || ms->rc != 0)
			return r;
		if (!single_match(ms, s, p, ep))
			return NULL;
		s++;
	}
}

static const char *start_capture(struct ms *ms, const char *s,
				 const char *p, ptrdiff_t what)
{
	if (ms->level >= LBOUND_MAXCAPTURES) {
		bad_pattern(ms, "too many captures");
		return NULL;
	}
	ms->cap_init[ms->level] = s;
	ms->cap_len[ms->level] = what;
	ms->level++;
	const char *r = do_match(ms, s, p);
	if (r == NULL)
		ms->level--; /* undo */
	return r;
}

static const char *end_capture(struct ms *ms, const char *s, const char *p)
{
	int l = ms->level - 1;
	while (l >= 0 && ms->cap_len[l] != CAP_UNFINISHED)
		l--;
	if (l < 0) {
		bad_pattern(ms, "invalid pattern capture");
		return NULL;
	}
	ms->cap_len[l] = s - ms->cap_init[l];
	const char *r = do_match(ms, s, p);
	if (r == NULL)
		ms->cap_len[l] = CAP_UNFINISHED; /* undo */
	return r;
}

/* %1 .. %9: the text of a closed capture again. */
static const char *match_backref(struct ms *ms, const char *s, int d)
{
	int l = d - '1';
	if (l < 0 || l >= ms->level || ms->cap_len[l] == CAP_UNFINISHED) {
		bad_pattern(ms, "invalid capture index %%%d in pattern", l + 1);
		return NULL;
	}
	ptrdiff_t len = ms->cap_len[l];
	if (len < 0) /* a position capture is no text: never matches */
		return NULL;
	if (!step(ms, (uint64_t)len / 8 + 1))
		return NULL;
	if ((size_t)(ms->src_end - s) >= (size_t)len &&
	    memcmp(ms->cap_init[l], s, (size_t)len) == 0)
		return s + len;
	return NULL;
}

/* The match loop: plain items advance in place; quantifiers, captures
 * and '?' recurse (MAX_DEPTH deep at most). */
static const char *match_loop(struct ms *ms, const char *s, const char *p)
{
	for (;;) {
		if (!step(ms, 1))
			return NULL;
		if (p == ms->p_end)
			return s;
		switch (*p) {
		case '(':
			if (p + 1 < ms->p_end && p[1] == ')')
				return start_capture(ms, s, p + 2, CAP_POSITION);
			return start_capture(ms, s, p + 1, CAP_UNFINISHED);
		case ')':
			return end_capture(ms, s, p + 1);
		case '$':
			if (p + 1 == ms->p_end)
				return s == ms->src_end ? s : NULL;
			break; /* a '$' elsewhere is a literal */
		case ESC:
			if (p + 1 == ms->p_end)
				break; /* class_end reports it */
			if (p[1] == 'b') {
				s = match_balance(ms, s, p + 2);
				if (s == NULL)
					return NULL;
				p += 4;
				continue;
			}
			if (p[1] == 'f') {
				p += 2;
				if (p == ms->p_end || *p != '[') {
					bad_pattern(ms, "missing '[' after '%%f'"
							" in pattern");
					return NULL;
				}
				const char *ep = class_end(ms, p);
				if (ep == NULL)
					return NULL;
				int prev = s == ms->src ? 0 : uc(s[-1]);
				int cur = s < ms->src_end ? uc(*s) : 0;
				if (match_set(prev, p, ep - 1) ||
				    !match_set(cur, p, ep - 1))
					return NULL;
				p = ep;
				continue;
			}
			if (isdigit(uc(p[1]))) {
				s = match_backref(ms, s, uc(p[1]));
				if (s == NULL)
					return NULL;
				p += 2;
				continue;
			}
			break;
		default:
			break;
		}
		/* One single-character item, perhaps with a quantifier. */
		const char *ep = class_end(ms, p);
		if (ep == NULL)
			return NULL;
		char q = ep < ms->p_end ? *ep : '\0';
		if (!single_match(ms, s, p, ep)) {
			if (ms->rc != 0)
				return NULL;
			if (q == '*' || q == '?' || q == '-') {
				p = ep + 1; /* zero of them will do */
				continue;
			}
			return NULL;
		}
		switch (q) {
		case '?': {
			const char *r = do_match(ms, s + 1, ep + 1);
			if (r != NULL || ms->rc != 0)
				return r;
			p = ep + 1;
			continue;
		}
		case '+':
			return max_expand(ms, s + 1, p, ep);
		case '*':
			return max_expand(ms, s, p, ep);
		case '-':
			return min_expand(ms, s, p, ep);
		default:
			s++;
			p = ep;
			continue;
		}
	}
}

static const char *do_match(struct ms *ms, const char *s, const char *p)
{
	if (ms->rc != 0)
		return NULL;
	if (ms->depth == 0) {
		bad_pattern(ms, "pattern too complex");
		return NULL;
	}
	ms->depth--;
	const char *r = match_loop(ms, s, p);
	ms->depth++;
	return ms->rc != 0 ? NULL : r;
}

int lbound_pat_find(const char *src, size_t srclen, size_t at, size_t last,
		    const char *pat, size_t patlen, uint64_t budget,
		    struct lbound_match *m)
{
	struct ms ms; /* no memset: the capture arrays are written before
		       * they are read */
	ms.steps = 0;
	ms.rc = 0;
	ms.src = src;
	ms.src_end = src + srclen;
	ms.p_end = pat + patlen;
	ms.budget = budget;
	ms.err = m->err;
	ms.errlen = sizeof(m->err);
	m->err[0] = '\0';
	m->ncap = 0;
	m->start = m->end = 0;
	if (last > srclen)
		last = srclen;
	for (size_t i = at;; i++) {
		ms.level = 0;
		ms.depth = MAX_DEPTH;
		const char *e = do_match(&ms, src + i, pat);
		if (ms.rc != 0) {
			m->steps = ms.steps;
			return ms.rc;
		}
		if (e != NULL) {
			m->steps = ms.steps;
			m->start = i;
			m->end = (size_t)(e - src);
			m->ncap = ms.level;
			for (int k = 0; k < ms.level; k++) {
				m->cap_start[k] = (size_t)(ms.cap_init[k] - src);
				m->cap_len[k] = ms.cap_len[k];
			}
			return 1;
		}
		if (i >= last)
			break;
	}
	m->steps = ms.steps;
	return 0;
}

int lbound_pat_match(const char *src, size_t srclen, size_t at,
		     const char *pat, size_t patlen, uint64_t budget,
		     struct lbound_match *m)
{
	return lbound_pat_find(src, srclen, at, at, pat, patlen, budget, m);
}

/* ---- the Lua functions ------------------------------------------------ */

void lbound_host_default(struct lbound_host *h)
{
	memset(h, 0, sizeof(*h));
	h->base_steps = 4000000;
	h->steps_per_byte = 64;
}

static struct lbound_host *host_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* One call of a pattern function: its allowance and what is left. */
struct call {
	lua_State *L;
	const struct lbound_host *h;
	const char *fname; /* "string.find", for messages */
	const char *shown; /* the pattern as the script gave it */
	size_t shownlen;
	const char *pat; /* what is matched: without a leading '^' anchor */
	size_t patlen, srclen;
	uint64_t allowance, left;
};

static void call_init(struct call *c, lua_State *L, const char *fname,
		      const char *pat, size_t patlen, size_t srclen)
{
	c->L = L;
	c->h = host_of(L);
	c->fname = fname;
	c->shown = c->pat = pat;
	c->shownlen = c->patlen = patlen;
	c->srclen = srclen;
	uint64_t a = c->h->base_steps;
	uint64_t k = c->h->steps_per_byte;
	if (k > 0 && srclen > (UINT64_MAX - a) / k)
		a = UINT64_MAX;
	else
		a += k * srclen;
	c->allowance = a;
	c->left = a;
}

/* The step budget of the next attempt: the call's own, cut to what the
 * host has left (learning that may raise the host's error). */
static uint64_t call_budget(struct call *c)
{
	uint64_t b = c->left;
	if (c->h->charge != NULL) {
		uint64_t host = c->h->charge(c->L, c->h->ud, 0);
		if (host < b)
			b = host;
	}
	return b;
}

/* Charges steps to the host and to the call.  Raises the host's error
 * when its budget is spent, else ours when the call's is. */
static void call_charge(struct call *c, uint64_t steps, int exhausted)
{
	if (c->h->charge != NULL)
		c->h->charge(c->L, c->h->ud, steps);
	c->left -= steps < c->left ? steps : c->left;
	if (!exhausted)
		return;
	/* The pattern, printable and short, so the error is one line. */
	char shown[80];
	size_t k = 0, i = 0;
	for (; i < c->shownlen && k + 5 < sizeof(shown); i++) {
		unsigned char ch = (unsigned char)c->shown[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			shown[k++] = (char)ch;
		} else {
			snprintf(shown + k, sizeof(shown) - k, "\\x%02x", ch);
			k += 4;
		}
	}
	int cut = i < c->shownlen;
	shown[k] = '\0';
	char msg[256];
	snprintf(msg, sizeof(msg),
		 "%s: pattern \"%s%s\" needs more than %llu matching steps"
		 " on a subject of %zu bytes (Lua patterns backtrack; this"
		 " sandbox bounds them)",
		 c->fname, shown, cut ? "..." : "",
		 (unsigned long long)c->allowance, c->srclen);
	luaL_error(c->L, "%s", msg);
}

/* The first match starting at an offset from at to last; raises on any
 * error. */
static int search(struct call *c, const char *src, size_t at, size_t last,
		  struct lbound_match *m)
{
	int rc = lbound_pat_find(src, c->srclen, at, last, c->pat, c->patlen,
				 call_budget(c), m);
	call_charge(c, m->steps, rc == WSP_E_LIMIT); /* raises on LIMIT */
	if (rc < 0)
		luaL_error(c->L, "%s", m->err);
	return rc;
}

/* Plain search (find with plain = true, or a pattern without specials),
 * counted like the matcher: 8 bytes compared or 16 skipped per step. */
static int plain_find(struct call *c, const char *s, size_t init,
		      size_t *at)
{
	const char *p = c->pat;
	size_t lp = c->patlen, ls = c->srclen;
	if (lp == 0) {
		*at = init;
		return 1;
	}
	uint64_t budget = call_budget(c), steps = 0;
	int found = 0, out = 0;
	size_t i = init;
	while (lp <= ls - i) {
		const char *hit = memchr(s + i, uc(p[0]), ls - i - lp + 1);
		size_t next = hit != NULL ? (size_t)(hit - s) : ls - lp + 1;
		steps += (next - i) / 16 + 1 + lp / 8;
		if (steps > budget) {
			out = 1;
			break;
		}
		if (hit == NULL)
			break;
		if (memcmp(hit, p, lp) == 0) {
			*at = next;
			found = 1;
			break;
		}
		i = next + 1;
	}
	if (out)
		steps = budget == UINT64_MAX ? budget : budget + 1;
	call_charge(c, steps, out);
	return found;
}

static size_t pos_start(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 1;
	return len + (size_t)pos + 1;
}

static int has_specials(const char *p, size_t lp)
{
	for (size_t i = 0; i < lp; i++)
		if (p[i] != '\0' && strchr(SPECIALS, p[i]) != NULL)
			return 1;
	return 0;
}

/* Pushes capture i of a match of src[s..m->end) (the whole match when the
 * pattern has no capture and i is 0). */
static void push_one(lua_State *L, const char *src,
		     const struct lbound_match *m, int i, size_t s)
{
	if (i >= m->ncap) {
		if (i != 0)
			luaL_error(L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(L, src + s, m->end - s);
	} else if (m->cap_len[i] == CAP_UNFINISHED) {
		luaL_error(L, "unfinished capture");
	} else if (m->cap_len[i] == CAP_POSITION) {
		lua_pushinteger(L, (lua_Integer)m->cap_start[i] + 1);
	} else {
		lua_pushlstring(L, src + m->cap_start[i],
				(size_t)m->cap_len[i]);
	}
}

static int push_captures(lua_State *L, const char *src,
			 const struct lbound_match *m, size_t s, int whole)
{
	int n = m->ncap == 0 && whole ? 1 : m->ncap;
	luaL_checkstack(L, n, "too many captures");
	for (int i = 0; i < n; i++)
		push_one(L, src, m, i, s);
	return n;
}

static int find_aux(lua_State *L, int find)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = pos_start(luaL_optinteger(L, 3, 1), ls) - 1;
	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	struct call c;
	if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
		call_init(&c, L, "string.find", p, lp, ls);
		size_t at;
		if (plain_find(&c, s, init, &at)) {
			lua_pushinteger(L, (lua_Integer)at + 1);
			lua_pushinteger(L, (lua_Integer)(at + lp));
			return 2;
		}
		luaL_pushfail(L);
		return 1;
	}
	call_init(&c, L, find ? "string.find" : "string.match", p, lp, ls);
	int anchor = lp > 0 && *p == '^';
	if (anchor) {
		c.pat++;
		c.patlen--;
	}
	struct lbound_match m;
	if (search(&c, s, init, anchor ? init : ls, &m)) {
		if (!find)
			return push_captures(L, s, &m, m.start, 1);
		lua_pushinteger(L, (lua_Integer)m.start + 1);
		lua_pushinteger(L, (lua_Integer)m.end);
		return push_captures(L, s, &m, m.start, 0) + 2;
	}
	luaL_pushfail(L);
	return 1;
}

static int l_find(lua_State *L)
{
	return find_aux(L, 1);
}

static int l_match(lua_State *L)
{
	return find_aux(L, 0);
}

/* The state of a gmatch iterator (its upvalue 4). */
struct gmatch_state {
	size_t pos;  /* where the next search starts */
	size_t last; /* end of the last match, SIZE_MAX for none */
};

static int gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(2), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(3), &lp);
	struct gmatch_state *g = lua_touserdata(L, lua_upvalueindex(4));
	struct call c;
	/* Each call of the iterator has its own allowance.  A '^' is a
	 * literal here: an anchor would stop the iteration (Lua 5.4). */
	call_init(&c, L, "string.gmatch", p, lp, ls);
	struct lbound_match m;
	while (g->pos <= ls) {
		if (!search(&c, s, g->pos, ls, &m))
			break;
		if (m.end == g->last) {
			/* An empty match where the last one ended (only
			 * possible at g->pos): not a new one, go on. */
			g->pos = m.start + 1;
			continue;
		}
		g->pos = g->last = m.end;
		return push_captures(L, s, &m, m.start, 1);
	}
	g->pos = ls + 1; /* a rescan would find nothing either */
	return 0;
}

static int l_gmatch(lua_State *L)
{
	size_t ls;
	luaL_checklstring(L, 1, &ls);
	luaL_checkstring(L, 2);
	size_t init = pos_start(luaL_optinteger(L, 3, 1), ls) - 1;
	if (init > ls)
		init = ls + 1; /* nothing to find */
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	struct gmatch_state *g = lua_newuserdatauv(L, sizeof(*g), 0);
	g->pos = init;
	g->last = SIZE_MAX;
	lua_pushcclosure(L, gmatch_next, 4);
	return 1;
}

/* A replacement string: %0 the match, %1..%9 captures, %% a '%'. */
static void add_string(lua_State *L, luaL_Buffer *b, const char *src,
		       const struct lbound_match *m, size_t s)
{
	size_t l;
	const char *r = lua_tolstring(L, 3, &l);
	const char *end = r + l, *q;
	while ((q = memchr(r, ESC, (size_t)(end - r))) != NULL) {
		luaL_addlstring(b, r, (size_t)(q - r));
		q++;
		if (q < end && *q == ESC) {
			luaL_addchar(b, ESC);
		} else if (q < end && *q == '0') {
			luaL_addlstring(b, src + s, m->end - s);
		} else if (q < end && isdigit(uc(*q))) {
			push_one(L, src, m, *q - '1', s);
			luaL_tolstring(L, -1, NULL);
			lua_remove(L, -2);
			luaL_addvalue(b);
		} else {
			luaL_error(L, "invalid use of '%c' in replacement"
				      " string", ESC);
		}
		r = q + 1;
	}
	luaL_addlstring(b, r, (size_t)(end - r));
}

/* Adds the replacement of one match; returns whether it changed it. */
static int add_value(lua_State *L, luaL_Buffer *b, const char *src,
		     const struct lbound_match *m, size_t s, int tr)
{
	if (tr == LUA_TFUNCTION) {
		lua_pushvalue(L, 3);
		int n = push_captures(L, src, m, s, 1);
		lua_call(L, n, 1);
	} else if (tr == LUA_TTABLE) {
		push_one(L, src, m, 0, s);
		lua_gettable(L, 3);
	} else {
		add_string(L, b, src, m, s);
		return 1;
	}
	if (!lua_toboolean(L, -1)) { /* nil or false: keep the match */
		lua_pop(L, 1);
		luaL_addlstring(b, src + s, m->end - s);
		return 0;
	}
	if (!lua_isstring(L, -1))
		return luaL_error(L, "invalid replacement value (a %s)",
				  luaL_typename(L, -1));
	luaL_addvalue(b);
	return 1;
}

static int l_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *src = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	int tr = lua_type(L, 3);
	lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
	luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING ||
				    tr == LUA_TFUNCTION || tr == LUA_TTABLE,
			 3, "string/function/table");
	struct call c;
	call_init(&c, L, "string.gsub", p, lp, ls);
	int anchor = lp > 0 && *p == '^';
	if (anchor) {
		c.pat++;
		c.patlen--;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	size_t at = 0, last = SIZE_MAX;
	lua_Integer n = 0;
	int changed = 0;
	while (n < max_n) {
		struct lbound_match m;
		if (!search(&c, src, at, anchor ? at : ls, &m))
			break; /* the rest is copied below */
		if (m.end == last) {
			/* An empty match where the last one ended (only
			 * possible at at): keep the byte and go on. */
			if (at == ls || anchor)
				break;
			luaL_addchar(&b, src[at++]);
			continue;
		}
		luaL_addlstring(&b, src + at, m.start - at);
		n++;
		changed |= add_value(L, &b, src, &m, m.start, tr);
		at = last = m.end;
		if (anchor)
			break;
	}
	if (!changed) {
		lua_pushvalue(L, 1);
	} else {
		luaL_addlstring(&b, src + at, ls - at);
		luaL_pushresult(&b);
	}
	lua_pushinteger(L, n);
	return 2;
}

/* Calls the library function a wrapper replaces (its upvalue 2) with the
 * wrapper's arguments; its one result is the wrapper's. */
static int call_original(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* string.rep: Lua's loops n times even when there is nothing to copy, so
 * string.rep("", 2^62) never returns and allocates nothing.  With
 * something to copy the result has n bytes or more, and the memory
 * ceiling refuses it before any copying. */
static int l_rep(lua_State *L)
{
	size_t l, lsep;
	luaL_checklstring(L, 1, &l);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || (l == 0 && lsep == 0)) {
		lua_pushliteral(L, "");
		return 1;
	}
	if (l + lsep < l || l + lsep > (size_t)INT_MAX / (lua_Unsigned)n)
		return luaL_error(L, "resulting string too large");
	return call_original(L);
}

/* table.move: Lua's copies element by element with no instruction
 * counted, and moving nils into an empty table allocates nothing, so
 * table.move({}, 1, math.maxinteger - 1, 2) never returns.  Each element
 * is charged as one step before anything moves. */
static int l_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2);
	lua_Integer e = luaL_checkinteger(L, 3);
	lua_Integer t = luaL_checkinteger(L, 4);
	if (e >= f) {
		luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3,
			      "too many elements to move");
		lua_Integer n = e - f + 1;
		luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4,
			      "destination wrap around");
		const struct lbound_host *h = host_of(L);
		if (h->charge != NULL)
			h->charge(L, h->ud, (uint64_t)n);
	}
	return call_original(L);
}

/* setmetatable, refusing finalizers: Lua runs __gc metamethods with hooks
 * off, so a finalizer's endless loop would escape every limit.  Lua marks
 * an object for finalization only when its metatable has __gc at the time
 * it is set, so checking here suffices. */
static int l_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		int gc = lua_rawget(L, 2) != LUA_TNIL;
		lua_pop(L, 1);
		if (gc)
			return luaL_error(L, "__gc metamethods are not allowed"
					     " in case files (finalizers run"
					     " outside the sandbox's limits)");
	}
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/* Replaces field name of the table on top with cfn, whose upvalues are the
 * host (on the stack at hidx) and, when keep, the original function. */
static void replace(lua_State *L, int hidx, const char *name,
		    lua_CFunction cfn, int keep)
{
	lua_pushvalue(L, hidx);
	if (keep)
		lua_getfield(L, -2, name);
	lua_pushcclosure(L, cfn, keep ? 2 : 1);
	lua_setfield(L, -2, name);
}

void lbound_install(lua_State *L, const struct lbound_host *host)
{
	struct lbound_host *h = lua_newuserdatauv(L, sizeof(*h), 0);
	*h = *host;
	int hidx = lua_gettop(L);
	lua_getglobal(L, LUA_STRLIBNAME);
	replace(L, hidx, "find", l_find, 0);
	replace(L, hidx, "match", l_match, 0);
	replace(L, hidx, "gmatch", l_gmatch, 0);
	replace(L, hidx, "gsub", l_gsub, 0);
	replace(L, hidx, "rep", l_rep, 1);
	lua_pop(L, 1);
	lua_getglobal(L, LUA_TABLIBNAME);
	replace(L, hidx, "move", l_move, 1);
	lua_pop(L, 1);
	lua_pushcfunction(L, l_setmetatable);
	lua_setglobal(L, "setmetatable");
	lua_pop(L, 1); /* the host */
}
