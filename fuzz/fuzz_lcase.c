/*
 * fuzz_lcase.c: loading a Lua case file (harness/lcase.h) from arbitrary
 * text, under small sandbox limits so that hostile scripts (endless loops,
 * string.rep bombs, loops wrapped in pcall) stop within milliseconds.
 *
 * Input: the case file itself.  Its first line, without a leading "--",
 * also serves as an Autobahn case pattern and as a free-form id (a Lua
 * comment, so the script still loads).
 *
 * Checks (abort on violation):
 *   - lcase_load_buffer returns 0, WSP_E_INVAL or WSP_E_NOMEM; on failure
 *     err is one non-empty line; the file frees cleanly either way (ASan's
 *     leak check covers the half-built declarations);
 *   - every declared case has an id of dotted numbers that lcase_find
 *     returns, a title, at most LCASE_MAX_REQS requirement ids of the form
 *     R6455-... or R7692-..., a non-empty subset of the two roles and a run
 *     function;
 *   - lcase_id_cmp is a total preorder on the ids and the pattern: zero on
 *     itself, antisymmetric, the sorted order agrees pairwise, and on ids
 *     it agrees with a reference comparison of components as numbers of
 *     any length;
 *   - lcase_pattern_match agrees with a reference matcher (dynamic
 *     programming) on the pattern and on patterns derived from each id, and
 *     every id matches itself and "*";
 *   - the run functions of up to three cases, called through lcase_call
 *     with a stub session (every method returns nothing), either return or
 *     fail with one line naming the case: never a crash, never beyond the
 *     instruction limit.  No sockets are involved;
 *   - the sandbox's bounded pattern functions (harness/lbound.h) agree
 *     with Lua's own: the first line is the pattern, the second a gsub
 *     replacement (each without a leading "--", so a seed can be a case
 *     file too), the rest (up to 256 bytes) the subject.  find (with an
 *     init and plain), match, gsub with a string, a function and a table,
 *     and every step of gmatch run in a Lua state with lbound installed
 *     (each call allowed DIFF_STEPS steps) and in one with the stock
 *     library; results must be equal, errors must be errors in both (the
 *     messages may differ).  Lua's matcher runs only when ours finished
 *     within its allowance: both backtrack over the same search tree, so
 *     Lua's work is then bounded too, and a pathological pattern never
 *     reaches it (our error says so and the comparison is skipped).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "fuzz.h"
#include "lbound.h"
#include "lcase.h"
#include "wsp_err.h"

/* Small enough that one input runs in milliseconds under ASan (the hook
 * charges every 1000 VM instructions), large enough that every case file
 * of cases/ loads. */
#define FUZZ_INSTR 500000ull
#define FUZZ_MEM ((size_t)4 << 20)
#define MAX_PAT 64
#define MAX_IDS 512
#define MAX_CALLS 3

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The reference order of dotted numeric ids: component by component, each
 * compared as a number of any length (leading zeros ignored); a proper
 * prefix sorts first. */
static int ref_id_cmp(const char *a, const char *b)
{
	for (;;) {
		while (*a == '0' && is_digit(a[1]))
			a++;
		while (*b == '0' && is_digit(b[1]))
			b++;
		size_t la = 0, lb = 0;
		while (is_digit(a[la]))
			la++;
		while (is_digit(b[lb]))
			lb++;
		if (la != lb)
			return la < lb ? -1 : 1;
		int c = memcmp(a, b, la);
		if (c != 0)
			return sign(c);
		a += la;
		b += lb;
		if (*a == '\0' || *b == '\0')
			return *a == *b ? 0 : (*a == '\0' ? -1 : 1);
		a++; /* both at a '.' */
		b++;
	}
}

/* Reference wildcard match: '*' any run, everything else literal. */
static int ref_match(const char *p, const char *s)
{
	size_t np = strlen(p), ns = strlen(s);
	/* row[j]: p[0..i) matches s[0..j) */
	unsigned char *row = calloc(ns + 1, 1), *nxt = calloc(ns + 1, 1);
	REQUIRE(row != NULL && nxt != NULL);
	row[0] = 1;
	for (size_t i = 0; i < np; i++) {
		memset(nxt, 0, ns + 1);
		for (size_t j = 0; j <= ns; j++) {
			if (p[i] == '*')
				nxt[j] = row[j] || (j > 0 && nxt[j - 1]);
			else if (j > 0)
				nxt[j] = row[j - 1] && p[i] == s[j - 1];
		}
		unsigned char *t = row;
		row = nxt;
		nxt = t;
	}
	int m = row[ns];
	free(row);
	free(nxt);
	return m;
}

static void check_match(const char *p, const char *s)
{
	REQUIRE(lcase_pattern_match(p, s) == ref_match(p, s));
}

static int qcmp(const void *x, const void *y)
{
	return lcase_id_cmp(*(const char *const *)x, *(const char *const *)y);
}

static void check_order(const char **ids, size_t n, int numeric)
{
	for (size_t i = 0; i < n; i++)
		REQUIRE(lcase_id_cmp(ids[i], ids[i]) == 0);
	qsort(ids, n, sizeof(*ids), qcmp);
	for (size_t i = 0; i + 1 < n; i++) {
		int c = lcase_id_cmp(ids[i], ids[i + 1]);
		REQUIRE(c <= 0);
		REQUIRE(sign(lcase_id_cmp(ids[i + 1], ids[i])) == -sign(c));
		if (numeric)
			REQUIRE(sign(c) == ref_id_cmp(ids[i], ids[i + 1]));
	}
	/* Transitivity through the sorted order: the first is never after
	 * the last. */
	if (n > 1)
		REQUIRE(lcase_id_cmp(ids[0], ids[n - 1]) <= 0);
}

static int stub_method(lua_State *L)
{
	(void)L;
	return 0;
}

static int stub_index(lua_State *L)
{
	lua_pushcfunction(L, stub_method);
	return 1;
}

/* Returns a session stand-in: any field is a method returning nothing.
 * Run through lua_pcall: the script may have used up the memory ceiling,
 * and an allocation failure outside a protected call would panic. */
static int make_stub(lua_State *L)
{
	lua_newtable(L);
	lua_newtable(L);
	lua_pushcfunction(L, stub_index);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	return 1;
}

static void check_err_line(const char *err)
{
	size_t n = strlen(err);
	REQUIRE(n > 0);
	REQUIRE(strchr(err, '\n') == NULL);
}

static void check_meta(const struct lcase_file *f, const struct lcase_meta *m)
{
	size_t n = strlen(m->id);
	REQUIRE(n > 0 && n < LCASE_ID_MAX);
	REQUIRE(is_digit(m->id[0]) && is_digit(m->id[n - 1]));
	for (size_t i = 0; i < n; i++)
		REQUIRE(is_digit(m->id[i]) ||
		      (m->id[i] == '.' && m->id[i + 1] != '.'));
	REQUIRE(lcase_find(f, m->id) == m);
	REQUIRE(m->title != NULL);
	REQUIRE(m->nreqs <= LCASE_MAX_REQS);
	for (size_t i = 0; i < m->nreqs; i++)
		REQUIRE(strncmp(m->reqs[i], "R6455-", 6) == 0 ||
		      strncmp(m->reqs[i], "R7692-", 6) == 0);
	REQUIRE(m->roles >= 1 &&
	      m->roles <= (LCASE_ROLE_SERVER | LCASE_ROLE_CLIENT));
	REQUIRE(m->run_ref != LUA_NOREF && m->run_ref != LUA_REFNIL);
}

/* The first line, minus a leading "--", cut at NUL and at MAX_PAT bytes. */
static void first_line(const uint8_t *data, size_t size, char *out)
{
	size_t i = 0, k = 0;
	if (size >= 2 && data[0] == '-' && data[1] == '-')
		i = 2;
	for (; i < size && k < MAX_PAT && data[i] != '\n' && data[i] != 0; i++)
		out[k++] = (char)data[i];
	out[k] = '\0';
}

static void check_ids(const struct lcase_file *f, const char *pat)
{
	size_t n = f->ncases < MAX_IDS ? f->ncases : MAX_IDS;
	const char **ids = malloc((n + 1) * sizeof(*ids));
	REQUIRE(ids != NULL);
	for (size_t i = 0; i < n; i++) {
		const char *id = f->cases[i].id;
		ids[i] = id;
		REQUIRE(lcase_pattern_match(id, id));
		REQUIRE(lcase_pattern_match("*", id));
		check_match(pat, id);
		/* The id with one component replaced by '*'. */
		char p[LCASE_ID_MAX + 2];
		const char *dot = strchr(id, '.');
		size_t head = dot != NULL ? (size_t)(dot - id) + 1 : 0;
		memcpy(p, id, head);
		p[head] = '*';
		p[head + 1] = '\0';
		check_match(p, id);
		if (i > 0) {
			check_match(p, ids[i - 1]);
			check_match(ids[i - 1], id);
		}
	}
	check_order(ids, n, 1);
	ids[n] = pat;
	check_order(ids, n + 1, 0);
	free(ids);
}

/* Steps one call of a bounded pattern function may take in the
 * comparison: enough for every ordinary pattern on 256 bytes. */
#define DIFF_STEPS 50000
#define DIFF_SUBJECT 256

/* Runs the pattern functions on (s, p, r, init) and returns their results
 * as one string (an error is "E") and whether our matcher's step limit
 * stopped any of them (then Lua's must not run). */
static const char diff_script[] =
	"local skip\n"
	"local function ser(ok, ...)\n"
	"  if not ok then\n"
	"    local m = tostring((...))\n"
	"    if m:find('matching steps', 1, true) then skip = true end\n"
	"    return 'E'\n"
	"  end\n"
	"  local t = { 'O', tostring(select('#', ...)) }\n"
	"  for i = 1, select('#', ...) do\n"
	"    local v = select(i, ...)\n"
	"    t[#t + 1] = math.type(v) or type(v)\n"
	"    t[#t + 1] = tostring(v)\n"
	"  end\n"
	"  return table.concat(t, '\\0')\n"
	"end\n"
	"local function fn(...)\n"
	"  local n = select('#', ...)\n"
	"  if n > 1 then return nil end\n"
	"  return '<' .. n .. tostring((...)) .. '>'\n"
	"end\n"
	"local tab = { a = 'A', [''] = '!', ['1'] = false }\n"
	"return function(s, p, r, init)\n"
	"  local o = {}\n"
	"  skip = false\n"
	"  o[#o + 1] = ser(pcall(string.find, s, p))\n"
	"  o[#o + 1] = ser(pcall(string.find, s, p, init))\n"
	"  o[#o + 1] = ser(pcall(string.find, s, p, init, true))\n"
	"  o[#o + 1] = ser(pcall(string.match, s, p, init))\n"
	"  o[#o + 1] = ser(pcall(string.gsub, s, p, r))\n"
	"  o[#o + 1] = ser(pcall(string.gsub, s, p, r, 2))\n"
	"  o[#o + 1] = ser(pcall(string.gsub, s, p, fn))\n"
	"  o[#o + 1] = ser(pcall(string.gsub, s, p, tab))\n"
	"  local ok, it = pcall(string.gmatch, s, p, init)\n"
	"  if not ok then return table.concat(o, '\\2') .. 'E', skip end\n"
	"  for _ = 1, 2 * #s + 4 do\n"
	"    local r = table.pack(pcall(it))\n"
	"    o[#o + 1] = ser(table.unpack(r, 1, r.n))\n"
	"    if not r[1] or r[2] == nil then break end\n"
	"  end\n"
	"  return table.concat(o, '\\2'), skip\n"
	"end\n";

static lua_State *diff_state(int bounded)
{
	lua_State *L = luaL_newstate();
	REQUIRE(L != NULL);
	luaL_openlibs(L);
	if (bounded) {
		struct lbound_host h;
		lbound_host_default(&h);
		h.base_steps = DIFF_STEPS;
		h.steps_per_byte = 0;
		lbound_install(L, &h);
	}
	REQUIRE(luaL_loadstring(L, diff_script) == LUA_OK);
	REQUIRE(lua_pcall(L, 0, 1, 0) == LUA_OK);
	lua_setglobal(L, "diff");
	return L;
}

/* Runs diff in L; the result stays on L's stack until the next run.
 * *skip tells whether our step limit stopped a call. */
static const char *diff_run(lua_State *L, const char *s, size_t ls,
			    const char *p, size_t lp, const char *r, size_t lr,
			    int init, size_t *len, int *skip)
{
	lua_settop(L, 0);
	lua_getglobal(L, "diff");
	lua_pushlstring(L, s, ls);
	lua_pushlstring(L, p, lp);
	lua_pushlstring(L, r, lr);
	lua_pushinteger(L, init);
	REQUIRE(lua_pcall(L, 4, 2, 0) == LUA_OK);
	*skip = lua_toboolean(L, -1);
	return lua_tolstring(L, -2, len);
}

/* Line k (0-based) of data: its offset and length, without the '\n'. */
static size_t line_of(const uint8_t *data, size_t size, int k, size_t *off)
{
	size_t i = 0;
	for (; k > 0 && i < size; i++)
		if (data[i] == '\n')
			k--;
	*off = i;
	size_t n = 0;
	while (i + n < size && data[i + n] != '\n')
		n++;
	return n;
}

/* The two states live for one input only: states kept across inputs
 * would make libFuzzer see more mallocs than frees in every run and scan
 * for leaks each time, which is ten times slower than building them. */
static void check_patterns(const uint8_t *data, size_t size)
{
	lua_State *ours = diff_state(1), *ref = diff_state(0);
	size_t po, ro, so;
	size_t lp = line_of(data, size, 0, &po);
	size_t lr = line_of(data, size, 1, &ro);
	line_of(data, size, 2, &so);
	/* A leading "--" is dropped, so that a seed is a case file too. */
	if (lp >= 2 && data[po] == '-' && data[po + 1] == '-') {
		po += 2;
		lp -= 2;
	}
	if (lr >= 2 && data[ro] == '-' && data[ro + 1] == '-') {
		ro += 2;
		lr -= 2;
	}
	if (lp > MAX_PAT)
		lp = MAX_PAT;
	if (lr > 16)
		lr = 16;
	size_t ls = size - so < DIFF_SUBJECT ? size - so : DIFF_SUBJECT;
	const char *p = (const char *)data + po;
	const char *r = (const char *)data + ro;
	const char *s = (const char *)data + so;
	int init = (int)(size % 11) - 5;
	size_t na, nb;
	int skip, ref_skip;
	const char *a = diff_run(ours, s, ls, p, lp, r, lr, init, &na, &skip);
	REQUIRE(a != NULL);
	if (!skip) {
		const char *b = diff_run(ref, s, ls, p, lp, r, lr, init, &nb,
					 &ref_skip);
		REQUIRE(b != NULL && !ref_skip);
		REQUIRE(na == nb && memcmp(a, b, na) == 0);
	}
	lua_close(ref);
	lua_close(ours);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_patterns(data, size);

	char *buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);

	struct lcase_limits lim = {FUZZ_INSTR, FUZZ_MEM};
	struct lcase_file f;
	char err[256];
	err[0] = '\0';
	int rc = lcase_load_buffer(&f, "fuzz.lua", buf, size, &lim, err,
				   sizeof(err));
	free(buf);
	REQUIRE(rc == 0 || rc == WSP_E_INVAL || rc == WSP_E_NOMEM);

	char pat[MAX_PAT + 1];
	first_line(data, size, pat);
	REQUIRE(lcase_id_cmp(pat, pat) == 0);
	REQUIRE(lcase_pattern_match("*", pat));
	check_match(pat, pat);

	if (rc != 0) {
		check_err_line(err);
		lcase_file_free(&f);
		return 0;
	}
	REQUIRE(f.ncases >= 1);
	for (size_t i = 0; i < f.ncases; i++)
		check_meta(&f, &f.cases[i]);
	check_ids(&f, pat);

	/* The first, the last and one picked by the input. */
	size_t pick[MAX_CALLS] = {0, f.ncases - 1, size % f.ncases};
	for (size_t k = 0; k < MAX_CALLS; k++) {
		if (k > 0 && pick[k] == pick[k - 1])
			continue;
		const struct lcase_meta *m = &f.cases[pick[k]];
		lua_settop(f.L, 0);
		lua_pushcfunction(f.L, make_stub);
		if (lua_pcall(f.L, 0, 1, 0) != LUA_OK)
			break;
		err[0] = '\0';
		int crc = lcase_call(&f, m, 0, err, sizeof(err));
		REQUIRE(crc == 0 || crc == WSP_E_INVAL);
		if (crc != 0) {
			check_err_line(err);
			REQUIRE(strncmp(err, "case ", 5) == 0);
		}
		lua_settop(f.L, 0);
	}
	lcase_file_free(&f);
	return 0;
}
