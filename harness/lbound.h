/*
 * lbound.h: bounded replacements for the C library functions of the Lua
 * case sandbox (harness/lcase.c) whose work the instruction hook cannot
 * see.
 *
 * The sandbox's count hook only runs between VM instructions, so a C
 * function of Lua's own library runs for as long as it likes.  Four of
 * them can be made to run for hours by a hostile case file without
 * allocating: the pattern functions (string.find, match, gmatch, gsub; Lua
 * patterns backtrack, so "a-a-a-...b" on a long subject costs
 * length ^ quantifiers), string.rep of an empty string and separator
 * (loops n times to copy nothing), table.move over a huge range of an
 * empty table (no allocation), and finalizers (__gc metamethods run with
 * hooks disabled).  lbound_install replaces them in a state:
 *
 *   - string.find/match/gmatch/gsub run our own matcher (lbound.c) which
 *     counts its steps: one call may take at most
 *     base_steps + steps_per_byte * #subject steps, and every step is
 *     charged to the host (lcase charges them to the case's instruction
 *     limit, so a loop of costly calls stops too).  Semantics are Lua
 *     5.4's, checked against Lua's own library by fuzz/fuzz_lcase.c;
 *   - string.rep returns "" at once when the string and separator are
 *     both empty; otherwise the memory ceiling bounds it (the result is at
 *     least n bytes);
 *   - table.move charges one step per element before moving;
 *   - setmetatable refuses a metatable with a __gc field.
 *
 * The same functions are reached as methods (s:find(...)) since the
 * string metatable's __index is the string table.
 */
#ifndef LBOUND_H
#define LBOUND_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#define LBOUND_MAXCAPTURES 32     /* as Lua's LUA_MAXCAPTURES */
#define LBOUND_CAP_POSITION (-2)  /* cap_len of a position capture "()" */
#define LBOUND_CAP_OPEN (-1)      /* cap_len of a capture never closed:
				   * "(a" matches "a"; Lua's functions then
				   * raise "unfinished capture" */

/*
 * Charges steps to the host and returns how many more it allows.  Called
 * with steps = 0 before a call (to learn the budget) and with the steps
 * used after it.  May raise a Lua error (it then does not return), which
 * is how a host reports its own limit.
 */
typedef uint64_t (*lbound_charge_fn)(lua_State *L, void *ud, uint64_t steps);

struct lbound_host {
	uint64_t base_steps;     /* steps any one matcher call may take */
	uint64_t steps_per_byte; /* plus this many per byte of subject */
	lbound_charge_fn charge; /* NULL: no budget beyond the call's own */
	void *ud;
};

/* Default per-call allowance: 4 million steps plus 64 per subject byte
 * (linear patterns over big payloads stay allowed; a pathological one
 * fails in tens of milliseconds). */
void lbound_host_default(struct lbound_host *h);

/*
 * Replaces the functions listed above in L's string and table libraries
 * and the global setmetatable (the libraries must be open).  host is
 * copied into the state (a userdata the new functions keep as upvalue);
 * ud must outlive L.  Allocates a few objects: like luaL_openlibs, call
 * it on a fresh state or under lua_pcall (an allocation failure raises).
 */
void lbound_install(lua_State *L, const struct lbound_host *host);

/* The result of a match (lbound_pat_match, lbound_pat_find). */
struct lbound_match {
	size_t start;                       /* offset of the match */
	size_t end;                         /* offset after the match */
	int ncap;                           /* captures opened by the match */
	size_t cap_start[LBOUND_MAXCAPTURES];
	ptrdiff_t cap_len[LBOUND_MAXCAPTURES]; /* or LBOUND_CAP_* */
	uint64_t steps;                     /* used; budget + 1 on LIMIT */
	char err[96];                       /* message on WSP_E_INVAL */
};

/*
 * The matcher itself, pure: tries pattern pat[0..patlen) at offset at of
 * src[0..srclen) (at <= srclen), anchored there (a leading '^' is the
 * caller's business, as in Lua: here it is a literal), taking at most
 * budget steps.  Returns 1 on a match (end, captures and steps set), 0 on
 * no match, WSP_E_INVAL for a malformed pattern (err says why, as Lua
 * would: "malformed pattern (missing ']')", "pattern too complex", ...)
 * or WSP_E_LIMIT when the budget ran out.  Neither buffer needs a NUL;
 * nothing is allocated and nothing is kept.
 */
int lbound_pat_match(const char *src, size_t srclen, size_t at,
		     const char *pat, size_t patlen, uint64_t budget,
		     struct lbound_match *m);

/*
 * The same tried at each offset from at to last (inclusive; last is cut
 * to srclen) until one matches, all within one budget: Lua's unanchored
 * search.  Returns as lbound_pat_match; on a match m->start is where.
 */
int lbound_pat_find(const char *src, size_t srclen, size_t at, size_t last,
		    const char *pat, size_t patlen, uint64_t budget,
		    struct lbound_match *m);

#endif
