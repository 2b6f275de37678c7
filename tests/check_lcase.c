/*
 * check_lcase.c: the Lua case sandbox (harness/lcase.h): declarations are
 * validated with one-line errors naming file and line, the sandbox exposes
 * only base/string/table/math/utf8, and the instruction, deadline and
 * memory limits stop hostile scripts, even ones that catch errors.  The
 * C functions the hook cannot interrupt (Lua patterns, string.rep,
 * table.move, finalizers) are bounded (harness/lbound.h): a backtracking
 * bomb fails in well under a second with an error naming the case and
 * the pattern, while ordinary patterns behave exactly as Lua's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <lua.h>

#include "lbound.h"
#include "lcase.h"
#include "lib.h"
#include "wsp_err.h"

static int load(struct lcase_file *f, const char *src, char *err, size_t n)
{
	struct lcase_limits lim;
	lcase_limits_default(&lim);
	lim.max_instructions = 2000000;
	lim.max_memory = (size_t)16 << 20;
	return lcase_load_buffer(f, "t.lua", src, strlen(src), &lim, err, n);
}

static const char good[] =
	"case {\n"
	"  id = '2.10', title = 'ten pings',\n"
	"  description = 'd', expectation = 'e',\n"
	"  requirements = { 'R6455-5.5.2-02', 'R6455-5.5.3-01' },\n"
	"  roles = { 'server' },\n"
	"  run = function(s) s.hit = (s.hit or 0) + 1 end,\n"
	"}\n"
	"case { id = '2.9', title = 'nine', run = function(s) end }\n";

START_TEST(lcase_declarations_are_read)
{
	struct lcase_file f;
	char err[256] = "";
	ck_assert_int_eq(load(&f, good, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.ncases, 2);
	const struct lcase_meta *c = lcase_find(&f, "2.10");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->title, "ten pings");
	ck_assert_str_eq(c->description, "d");
	ck_assert_uint_eq(c->nreqs, 2);
	ck_assert_str_eq(c->reqs[1], "R6455-5.5.3-01");
	ck_assert_uint_eq(c->roles, LCASE_ROLE_SERVER);
	ck_assert_int_eq(c->line, 1);
	const struct lcase_meta *d = lcase_find(&f, "2.9");
	ck_assert_uint_eq(d->roles, LCASE_ROLE_SERVER | LCASE_ROLE_CLIENT);
	ck_assert_ptr_null(d->description);
	ck_assert_int_eq(d->line, 8);
	ck_assert_ptr_null(lcase_find(&f, "2.11"));

	/* Run the first case twice with a table argument: state persists in
	 * the table the caller passed. */
	lua_newtable(f.L);
	lua_pushvalue(f.L, -1);
	ck_assert_int_eq(lcase_call(&f, c, 0, err, sizeof(err)), 0);
	lua_pushvalue(f.L, -1);
	ck_assert_int_eq(lcase_call(&f, c, 0, err, sizeof(err)), 0);
	lua_getfield(f.L, -1, "hit");
	ck_assert_int_eq((int)lua_tointeger(f.L, -1), 2);
	lcase_file_free(&f);
}
END_TEST

static const struct {
	const char *src;
	const char *want; /* substring of the one-line error */
} bad[] = {
	{"case { id = '1.1', title = 't', run = function() end ", "t.lua:1:"},
	{"case { title = 't', run = function() end }", "case id must be"},
	{"case { id = '1..1', title = 't', run = function() end }", "case id must be"},
	{"case { id = 'a.1', title = 't', run = function() end }", "case id must be"},
	{"case { id = '1.1', run = function() end }", "'title' is missing"},
	{"case { id = '1.1', title = 7, run = function() end }", "must be a string"},
	{"case { id = '1.1', title = 't' }", "run must be a function"},
	{"case { id = '1.1', title = 't', requirements = {'5.2-03'},"
	 " run = function() end }", "requirement 1 is not an id"},
	{"case { id = '1.1', title = 't', roles = {'proxy'},"
	 " run = function() end }", "a role is"},
	{"case { id = '1.1', title = 't', server_certificate = 'expired',"
	 " run = function() end }", "server_certificate can only be"},
	{"case { id = '1.1', title = 't', server_certificate = true,"
	 " run = function() end }", "server_certificate can only be"},
	{"case { id = '1.1', title = 't', roles = {'server'},"
	 " server_certificate = 'untrusted', run = function() end }",
	 "server_certificate needs the client role"},
	{"case { id = '1.1', title = 't', proxy = 'allow',"
	 " run = function() end }", "proxy can only be \"refuse\""},
	{"case { id = '1.1', title = 't', roles = {'server'},"
	 " proxy = 'refuse', run = function() end }",
	 "proxy needs the client role"},
	{"case { id = '1.1', title = 't', target = 'ws://{hots}/',"
	 " run = function() end }", "target has a placeholder other than"},
	{"case { id = '1.1', title = 't', target = 'ws://{host/',"
	 " run = function() end }", "target has a placeholder other than"},
	{"case { id = '1.1', title = 't', target = 7,"
	 " run = function() end }", "'target' must be a string"},
	{"case { id = '1.1', title = 't', roles = {'server'},"
	 " target = 'ws://{host}/', run = function() end }",
	 "target needs the client role"},
	{"case { id = '1.1', title = 't', target = string.rep('x', 2000),"
	 " run = function() end }", "target is too long"},
	{"case { id = '1.1', title = 't', connections = 3,"
	 " run = function() end }", "connections must be an integer from 1 to 2"},
	{"case { id = '1.1', title = 't', connections = 0,"
	 " run = function() end }", "connections must be an integer from 1 to 2"},
	{"case { id = '1.1', title = 't', connections = 1.5,"
	 " run = function() end }", "connections must be an integer"},
	{"case { id = '1.1', title = 't', connections = '2',"
	 " run = function() end }", "connections must be an integer"},
	{"case { id = '1.1', title = 't', roles = {'server'},"
	 " connections = 2, run = function() end }",
	 "connections needs the client role"},
	{"case { id = '1.1', title = 't', run = function() end }\n"
	 "case { id = '1.1', title = 't', run = function() end }",
	 "t.lua:2: case 1.1 is declared twice"},
	{"local x = 1", "declares no case"},
	{"error('boom')", "t.lua:1: boom"},
	{"\x1bLua\x54\x00", "attempt to load a binary chunk"},
};

START_TEST(lcase_bad_declarations_rejected)
{
	struct lcase_file f;
	char err[256] = "";
	int rc = load(&f, bad[_i].src, err, sizeof(err));
	ck_assert_int_eq(rc, WSP_E_INVAL);
	ck_assert_msg(strstr(err, bad[_i].want) != NULL,
		      "error \"%s\" lacks \"%s\"", err, bad[_i].want);
	ck_assert_ptr_null(strchr(err, '\n'));
	lcase_file_free(&f);
}
END_TEST

/* server_certificate = "untrusted" and proxy = "refuse" mark a
 * client-role case for the server role (22.3.5, 22.5.2); other cases carry
 * no such mark. */
START_TEST(lcase_server_certificate_marks_the_case)
{
	struct lcase_file f;
	char err[256] = "";
	const char *src =
		"case { id = '1.1', title = 't', roles = {'client'},"
		" server_certificate = 'untrusted', run = function() end }\n"
		"case { id = '1.2', title = 'u', run = function() end }\n"
		"case { id = '1.3', title = 'v', roles = {'client'},"
		" proxy = 'refuse', run = function() end }\n";
	ck_assert_int_eq(load(&f, src, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.ncases, 3);
	ck_assert_uint_eq(f.cases[0].conn, LCASE_CONN_UNTRUSTED_CERT);
	ck_assert_uint_eq(f.cases[1].conn, 0);
	ck_assert_uint_eq(f.cases[2].conn, LCASE_CONN_PROXY_REFUSED);
	lcase_file_free(&f);
}
END_TEST

/* target and connections (22.7.x, 22.8.1) are kept for /getCaseInfo;
 * connections = 1 is the default, stored as 0. */
START_TEST(lcase_driver_fields_kept)
{
	struct lcase_file f;
	char err[256] = "";
	const char *src =
		"case { id = '1.1', title = 't', roles = {'client'},"
		" target = '{scheme}://{host}/x?c={case}&a={agent}&p={port}',"
		" run = function() end }\n"
		"case { id = '1.2', title = 'u', connections = 2,"
		" run = function() end }\n"
		"case { id = '1.3', title = 'v', connections = 1,"
		" run = function() end }\n";
	ck_assert_int_eq(load(&f, src, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.ncases, 3);
	ck_assert_str_eq(f.cases[0].target,
			 "{scheme}://{host}/x?c={case}&a={agent}&p={port}");
	ck_assert_uint_eq(f.cases[0].connections, 0);
	ck_assert_ptr_null(f.cases[1].target);
	ck_assert_uint_eq(f.cases[1].connections, 2);
	ck_assert_uint_eq(f.cases[2].connections, 0);
	struct lcase_target_vars v = {"wss", "127.0.0.1:9001", 9001, 17,
				      "a%20b"};
	char out[128];
	ck_assert_int_eq(lcase_target_expand(f.cases[0].target, &v, out,
					     sizeof(out)), 0);
	ck_assert_str_eq(out, "wss://127.0.0.1:9001/x?c=17&a=a%20b&p=9001");
	/* Exactly the room needed, then one byte less. */
	size_t need = strlen(out) + 1;
	ck_assert_int_eq(lcase_target_expand(f.cases[0].target, &v, out,
					     need), 0);
	ck_assert_int_eq(lcase_target_expand(f.cases[0].target, &v, out,
					     need - 1), WSP_E_NOSPACE);
	ck_assert_int_eq(lcase_target_expand("x", &v, out, 0), WSP_E_NOSPACE);
	ck_assert_int_eq(lcase_target_expand("{nope}", &v, out, sizeof(out)),
			 WSP_E_INVAL);
	lcase_file_free(&f);
}
END_TEST

START_TEST(lcase_pcall_half_declaration_is_not_a_case)
{
	struct lcase_file f;
	char err[256] = "";
	const char *src =
		"pcall(case, { id = '1.1', title = 't', description = 'x' })\n"
		"case { id = '1.2', title = 'u', run = function() end }\n";
	ck_assert_int_eq(load(&f, src, err, sizeof(err)), 0);
	ck_assert_uint_eq(f.ncases, 1);
	ck_assert_str_eq(f.cases[0].id, "1.2");
	lcase_file_free(&f); /* ASan: the half-built strings are freed */
}
END_TEST

START_TEST(lcase_sandbox_allows_only_safe_libraries)
{
	struct lcase_file f;
	char err[256] = "";
	const char *src =
		"assert(io == nil and os == nil and package == nil)\n"
		"assert(require == nil and load == nil and loadfile == nil)\n"
		"assert(dofile == nil and collectgarbage == nil)\n"
		"assert(debug == nil and coroutine == nil)\n"
		"assert(string.dump == nil)\n"
		"assert(string.rep and table.concat and math.floor and utf8.char)\n"
		"case { id = '1.1', title = 't', run = function() end }\n";
	ck_assert_msg(load(&f, src, err, sizeof(err)) == 0, "%s", err);
	lcase_file_free(&f);
}
END_TEST

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs body as case 9.9 under the test limits (2e6 instructions, 16 MiB)
 * or, with big, the default ones (1e9 instructions, 512 MiB), and expects
 * it to fail with want in the error. */
static void run_expect_lim(const char *body, int64_t deadline_ms,
			   const char *want, int big)
{
	struct lcase_file f;
	char err[512] = "";
	char src[1024];
	snprintf(src, sizeof(src),
		 "case { id = '9.9', title = 't', run = function(s) %s end }",
		 body);
	if (big)
		ck_assert_int_eq(lcase_load_buffer(&f, "t.lua", src,
						   strlen(src), NULL, err,
						   sizeof(err)),
				 0);
	else
		ck_assert_int_eq(load(&f, src, err, sizeof(err)), 0);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	int64_t deadline = deadline_ms > 0 ? now + deadline_ms * 1000000 : 0;
	lua_pushnil(f.L);
	ck_assert_int_eq(lcase_call(&f, &f.cases[0], deadline, err, sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"",
		      err, want);
	ck_assert_msg(strncmp(err, "case 9.9: ", 10) == 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t took_ms = ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - now) /
			  1000000;
	ck_assert_int_lt(took_ms, 5000);
	if (deadline_ms > 0)
		ck_assert_int_ge(took_ms, deadline_ms);
	lcase_file_free(&f);
}

static void run_expect(const char *body, int64_t deadline_ms, const char *want)
{
	run_expect_lim(body, deadline_ms, want, 0);
}

START_TEST(lcase_instruction_limit_stops_endless_loop)
{
	run_expect("while true do end", 0, "instruction limit exceeded");
}
END_TEST

START_TEST(lcase_limit_cannot_be_swallowed_by_pcall)
{
	run_expect("while true do pcall(function() while true do end end) end",
		   0, "instruction limit exceeded");
}
END_TEST

START_TEST(lcase_deadline_stops_slow_script)
{
	/* string.rep of 1 KiB costs few VM instructions but real time; the
	 * deadline, not the instruction limit, ends it. */
	run_expect("local t = {} while true do t[1] = string.rep('x', 4096) end",
		   150, "case deadline exceeded");
}
END_TEST

START_TEST(lcase_memory_limit_stops_growth)
{
	run_expect("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 65536)"
		   " .. i end",
		   0, "memory limit exceeded");
}
END_TEST

START_TEST(lcase_script_error_is_one_line)
{
	run_expect("error('peer\\nsaid no')", 0, "t.lua:1: peer said no");
}
END_TEST

/* ---- C functions the hook cannot interrupt (harness/lbound.h) -------- */

/* The backtracking bomb: twelve lazy items and a byte that is not there,
 * on 3000 bytes.  Lua's own matcher would run for hours. */
#define BOMB_S "string.rep('a', 3000)"
#define BOMB_P "string.rep('a-', 12) .. 'b'"

static const struct {
	const char *body;
	const char *want;
} bombs[] = {
	{"string.find(" BOMB_S ", " BOMB_P ")",
	 "case 9.9: t.lua:1: string.find: pattern "
	 "\"a-a-a-a-a-a-a-a-a-a-a-a-b\" needs more than 4192000 matching"
	 " steps on a subject of 3000 bytes"},
	{"local x = " BOMB_S " x:find(" BOMB_P ")",
	 "string.find: pattern \"a-a-a-"},
	{"local x = " BOMB_S " x:match(" BOMB_P ")",
	 "string.match: pattern \"a-a-a-"},
	{"for w in (" BOMB_S "):gmatch(" BOMB_P ") do end",
	 "string.gmatch: pattern \"a-a-a-"},
	{"local x = (" BOMB_S "):gsub(" BOMB_P ", '')",
	 "string.gsub: pattern \"a-a-a-"},
	{"local x = (" BOMB_S "):gsub(" BOMB_P ", function() end)",
	 "string.gsub: pattern \"a-a-a-"},
	/* Anchored and greedy: the same explosion, the '^' shown. */
	{"string.match(" BOMB_S ", '^' .. string.rep('a*', 12) .. 'b')",
	 "string.match: pattern \"^a*a*a*"},
	/* A pattern too long to show is cut. */
	{"string.find(" BOMB_S ", string.rep('a-', 40) .. 'b')",
	 "string.find: pattern \"a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-"
	 "a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a...\" needs"},
	/* Plain find is counted too. */
	{"local x = string.rep('a', 1 << 18) .. 'b' for i = 1, 1e9 do"
	 " x:find(string.rep('a', 4096) .. 'c', 1, true) end",
	 "t.lua:1: string.find: pattern \"aaaa"},
};

/* Under the default limits (10^9 instructions, as `wsprobe run`), each
 * bomb fails with an error naming the case, the function and the
 * pattern, well within a second. */
START_TEST(lcase_pattern_bomb_fails_fast)
{
	int64_t t0 = now_ms();
	run_expect_lim(bombs[_i].body, 0, bombs[_i].want, 1);
	ck_assert_int_lt(now_ms() - t0, 1000);
}
END_TEST

/* The steps are charged to the instruction limit: a loop of costly calls
 * wrapped in pcall stops at the limit, or at the deadline. */
START_TEST(lcase_pattern_steps_count_as_instructions)
{
	int64_t t0 = now_ms();
	run_expect("for i = 1, 1e9 do pcall(string.find, " BOMB_S ", " BOMB_P
		   ") end",
		   0, "instruction limit exceeded");
	ck_assert_int_lt(now_ms() - t0, 1000);
	t0 = now_ms();
	run_expect_lim("for i = 1, 1e9 do pcall(string.gsub, " BOMB_S ", "
		       BOMB_P ", '') end",
		       200, "case deadline exceeded", 1);
	ck_assert_int_lt(now_ms() - t0, 1000);
}
END_TEST

static const struct {
	const char *body;
	const char *want;
} c_bombs[] = {
	/* Lua's string.rep loops n times even with nothing to copy. */
	{"assert(string.rep('', math.maxinteger) == '')"
	 " assert(('').rep('', 1 << 53, '') == '') error('fast')",
	 "t.lua:1: fast"},
	{"string.rep('x', 2^31)", "t.lua:1: resulting string too large"},
	{"string.rep('x', 1 << 30)", "memory limit exceeded"},
	{"string.rep('ab', 1 << 24, ',')", "memory limit exceeded"},
	{"string.format('%s', string.rep('x', 1 << 23)):rep(4)",
	 "memory limit exceeded"},
	{"table.concat(setmetatable({}, { __index = function() return 'x'"
	 " end }), '', 1, 1e12)",
	 "instruction limit exceeded"},
	/* Lua's table.move moves nils into an empty table forever. */
	{"table.move({}, 1, math.maxinteger - 1, 2)",
	 "t.lua:1: instruction limit exceeded"},
	{"table.move({}, -5, math.maxinteger, 1)",
	 "too many elements to move"},
	{"assert(table.move({1, 2, 3}, 1, 3, 2)[4] == 3) error('moved')",
	 "t.lua:1: moved"},
	/* Finalizers run with hooks off: refused. */
	{"setmetatable({}, { __gc = function() while true do end end })",
	 "t.lua:1: __gc metamethods are not allowed"},
	{"local t = setmetatable({}, { __index = string }) assert(t.rep"
	 " == string.rep) setmetatable(t, nil) error('ok')",
	 "t.lua:1: ok"},
	{"setmetatable({}, setmetatable({}, { __index = { __gc = print }"
	 " })) error('raw')",
	 "t.lua:1: raw"},
	{"setmetatable(setmetatable({}, { __metatable = 1 }), {})",
	 "cannot change a protected metatable"},
};

START_TEST(lcase_c_functions_are_bounded)
{
	int64_t t0 = now_ms();
	run_expect(c_bombs[_i].body, 0, c_bombs[_i].want);
	ck_assert_int_lt(now_ms() - t0, 1000);
}
END_TEST

static const char *const pattern_checks[] = {
	"assert(string.find('hello world', 'o w') == 5)",
	"local a, b = string.find('hello world', 'o w') assert(a == 5 and"
	" b == 7)",
	"local a, b, c = ('key = value'):find('(%w+)%s*=') assert(a == 1 "
	"and b == 5 and c == 'key')",
	"assert(('a.b'):find('.', 1, true) == 2 and ('a.b'):find('.') == 1)",
	"assert(('abc'):find('b', -1) == nil and ('abc'):find('c', -1) =="
	" 3)",
	"assert(('abc'):find('', 10) == nil and ('abc'):find('', 4) == 4)",
	"local n, v = ('Host: example.com  '):match('^([^:]+):%s*(.-)%s*$"
	"') assert(n == 'Host' and v == 'example.com')",
	"assert(('HTTP/1.1 101 Switching'):match('^HTTP/%d+%.%d+ (%d%d%d)"
	"') == '101')",
	"local p1, w, p2 = ('  word  '):match('()(%a+)()') assert(p1 == 3"
	" and w == 'word' and p2 == 7)",
	"assert(('f(a(b)c) g()'):match('%b()') == '(a(b)c)')",
	"local t = {} for w in ('THE (quick) fox'):gmatch('%f[%a]%a+') do"
	" t[#t + 1] = w end assert(table.concat(t, ',') == 'THE,quick,fox"
	"')",
	"local t = {} for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do t"
	"[#t + 1] = k .. v end assert(table.concat(t) == 'a1b2')",
	"local t = {} for e in ('abc'):gmatch('x*') do t[#t + 1] = '[' .."
	" e .. ']' end assert(table.concat(t) == '[][][][]')",
	"local t = {} for e in ('abc'):gmatch('.', 2) do t[#t + 1] = e en"
	"d assert(table.concat(t) == 'bc')",
	"local r, n = ('abc'):gsub('', '-') assert(r == '-a-b-c-' and n ="
	"= 4)",
	"assert(('hello world'):gsub('(%w+)', '<%1>') == '<hello> <world>')",
	"assert(('hello world'):gsub('%w+', '%0 %0', 1) == 'hello hello w"
	"orld')",
	"assert(('$name is $age'):gsub('%$(%w+)', { name = 'Ann', age = 7"
	" }) == 'Ann is 7')",
	"assert(('abc'):gsub('%w', function(c) return c:byte() .. ' ' end"
	") == '97 98 99 ')",
	"assert(('abc'):gsub('%w', function(c) if c == 'b' then return fa"
	"lse end return 'x' end) == 'xbx')",
	"assert(('  x = 1 '):gsub('^%s*(.-)%s*$', '%1') == 'x = 1')",
	"assert(('xabba'):find('(a)(b)%2%1') == 2)",
	"assert(('100%'):gsub('%%', '%%%%') == '100%%')",
	"assert(('a,b;c'):gsub('[,;]', ' ') == 'a b c')",
	"assert(('x^2'):find('^', 1, true) == 2 and ('^x'):find('^^') == 1)",
	"assert(select(2, pcall(string.find, 'a', '[a')):find(\"missing '"
	"]'\", 1, true))",
	"assert(select(2, pcall(string.find, 'a', 'a%')):find(\"ends with"
	" '%'\", 1, true))",
	"assert(select(2, pcall(string.gsub, 'a', 'a', '%2')):find('inval"
	"id capture index', 1, true))",
	"assert(select(2, pcall(string.gsub, 'a', 'a', '%')):find('replac"
	"ement string', 1, true))",
	"assert(select(2, pcall(string.find, 'a', '(()')):find('unfinishe"
	"d capture', 1, true))",
	"assert(select(2, pcall(string.gsub, 'a', 'a', true)):find('strin"
	"g/function/table', 1, true))",
	"assert(not pcall(string.find, string.rep('a', 300), string.rep('"
	"a?', 300)))",
	"assert(string.find(string.rep('a', 300), string.rep('a?', 150)) "
	"== 1)",
};

/* Ordinary patterns give Lua's results through the bounded functions,
 * called both ways (string.find(s, ...) and s:find(...)). */
START_TEST(lcase_ordinary_patterns_work)
{
	struct lcase_file f;
	char err[512] = "";
	char src[1024];
	snprintf(src, sizeof(src),
		 "case { id = '9.8', title = 't', run = function(s) %s end }",
		 pattern_checks[_i]);
	ck_assert_int_eq(load(&f, src, err, sizeof(err)), 0);
	lua_pushnil(f.L);
	ck_assert_msg(lcase_call(&f, &f.cases[0], 0, err, sizeof(err)) == 0,
		      "%s", err);
	lcase_file_free(&f);
}
END_TEST

/* The matcher itself, on guarded buffers: results, captures, errors. */
struct pat_vec {
	const char *pat, *src;
	size_t at;
	int rc; /* 1 match, 0 none, or WSP_E_INVAL */
	size_t end;
	int ncap;
	const char *err; /* substring of the message on WSP_E_INVAL */
};

static const struct pat_vec pat_vecs[] = {
	{"a*", "aaab", 0, 1, 3, 0, NULL},
	{"a-b", "aaab", 0, 1, 4, 0, NULL},
	{"a-", "aaab", 0, 1, 0, 0, NULL},
	{"a+$", "aaa", 0, 1, 3, 0, NULL},
	{"a+$", "aaab", 0, 0, 0, 0, NULL},
	{"a?b", "b", 0, 1, 1, 0, NULL},
	{"^a", "^a", 0, 1, 2, 0, NULL}, /* anchors are the caller's */
	{"a$b", "a$b", 0, 1, 3, 0, NULL},
	{"(a)(b)", "ab", 0, 1, 2, 2, NULL},
	{"()", "xy", 1, 1, 1, 1, NULL},
	{"(a", "a", 0, 1, 1, 1, NULL}, /* unfinished: the caller's error */
	{"%bxy", "xxyy", 0, 1, 4, 0, NULL},
	{"%bxy", "xxy", 0, 0, 0, 0, NULL},
	{"%f[%a]a", "1a", 1, 1, 2, 0, NULL},
	{"%f[%a]a", "ba", 1, 0, 0, 0, NULL},
	{"a%f[%z]", "a", 0, 1, 1, 0, NULL}, /* %z: NUL, also at the end */
	{"%z", "z", 0, 0, 0, 0, NULL},
	{"%Z+", "ab\0", 0, 1, 2, 0, NULL},
	{"a%f[^%w]", "a", 0, 1, 1, 0, NULL},
	{"[]]", "]", 0, 1, 1, 0, NULL},
	{"[^]]", "]", 0, 0, 0, 0, NULL},
	{"[a-]", "-", 0, 1, 1, 0, NULL},
	{"[%a-]+", "ab-c1", 0, 1, 4, 0, NULL},
	{"%S+", "ab c", 0, 1, 2, 0, NULL},
	{"(.)%1", "xx", 0, 1, 2, 1, NULL},
	{"()%1", "xx", 0, 0, 0, 0, NULL}, /* a position is no text */
	{"%", "a", 0, WSP_E_INVAL, 0, 0, "ends with '%'"},
	{"[a", "a", 0, WSP_E_INVAL, 0, 0, "missing ']'"},
	{"[a%", "a", 0, WSP_E_INVAL, 0, 0, "missing ']'"},
	{"[", "", 0, WSP_E_INVAL, 0, 0, "missing ']'"},
	{"%b", "a", 0, WSP_E_INVAL, 0, 0, "missing arguments to '%b'"},
	{"%bx", "a", 0, WSP_E_INVAL, 0, 0, "missing arguments to '%b'"},
	{"%fa", "a", 0, WSP_E_INVAL, 0, 0, "missing '[' after '%f'"},
	{"%f", "a", 0, WSP_E_INVAL, 0, 0, "missing '[' after '%f'"},
	{"%1", "a", 0, WSP_E_INVAL, 0, 0, "invalid capture index %1"},
	{"(a)%2", "aa", 0, WSP_E_INVAL, 0, 0, "invalid capture index %2"},
	{"(a%1)", "aa", 0, WSP_E_INVAL, 0, 0, "invalid capture index %1"},
	{"%0", "a", 0, WSP_E_INVAL, 0, 0, "invalid capture index %0"},
	{")", "a", 0, WSP_E_INVAL, 0, 0, "invalid pattern capture"},
	{"(((((((((((((((((((((((((((((((((", "a", 0, WSP_E_INVAL, 0, 0,
	 "too many captures"},
};

START_TEST(lbound_matcher_vectors)
{
	const struct pat_vec *v = &pat_vecs[_i];
	struct tl_guard gs, gp;
	tl_guard_init(&gs, v->src, strlen(v->src));
	tl_guard_init(&gp, v->pat, strlen(v->pat));
	struct lbound_match m;
	int rc = lbound_pat_match((const char *)gs.data, gs.n, v->at,
				  (const char *)gp.data, gp.n, 100000, &m);
	ck_assert_int_eq(rc, v->rc);
	if (rc == 1) {
		ck_assert_uint_eq(m.end, v->end);
		ck_assert_int_eq(m.ncap, v->ncap);
	}
	if (v->err != NULL)
		ck_assert_msg(strstr(m.err, v->err) != NULL,
			      "\"%s\" lacks \"%s\"", m.err, v->err);
	ck_assert_uint_gt(m.steps, 0);
	ck_assert_uint_le(m.steps, 100000);
	tl_guard_free(&gs);
	tl_guard_free(&gp);
}
END_TEST

START_TEST(lbound_matcher_captures_and_budget)
{
	static char a_big[1000];
	struct lbound_match m;
	const char *s = "key = value;";
	ck_assert_int_eq(lbound_pat_match(s, strlen(s), 0, "(%w+)%s*=%s*()",
					  14, 1000, &m),
			 1);
	ck_assert_uint_eq(m.end, 6);
	ck_assert_int_eq(m.ncap, 2);
	ck_assert_uint_eq(m.cap_start[0], 0);
	ck_assert_int_eq(m.cap_len[0], 3);
	ck_assert_uint_eq(m.cap_start[1], 6);
	ck_assert_int_eq(m.cap_len[1], LBOUND_CAP_POSITION);

	/* Unanchored: the first offset from at to last that matches. */
	ck_assert_int_eq(lbound_pat_find("aabbb", 5, 0, 5, "b+", 2, 1000, &m),
			 1);
	ck_assert_uint_eq(m.start, 2);
	ck_assert_uint_eq(m.end, 5);
	ck_assert_int_eq(lbound_pat_find("aabbb", 5, 0, 1, "b+", 2, 1000, &m),
			 0);
	ck_assert_int_eq(lbound_pat_find("aab", 3, 1, 99, "$", 1, 1000, &m),
			 1);
	ck_assert_uint_eq(m.start, 3);

	/* A search stops after exactly budget + 1 steps. */
	memset(a_big, 'a', sizeof(a_big));
	ck_assert_int_eq(lbound_pat_find(a_big, sizeof(a_big), 0,
					 sizeof(a_big), "a-a-a-b", 7, 50000, &m),
			 WSP_E_LIMIT);
	ck_assert_uint_eq(m.steps, 50001);
	char a[3000], p[25];
	memset(a, 'a', sizeof(a));
	for (int i = 0; i < 12; i++) {
		p[2 * i] = 'a';
		p[2 * i + 1] = '-';
	}
	p[24] = 'b';
	ck_assert_int_eq(lbound_pat_match(a, sizeof(a), 0, p, 25, 5000, &m),
			 WSP_E_LIMIT);
	ck_assert_uint_eq(m.steps, 5001);
	/* On a short subject it just fails. */
	ck_assert_int_eq(lbound_pat_match(a, 4, 0, p, 25, 1000000, &m), 0);
	ck_assert_uint_lt(m.steps, 100000);

	/* Nesting is bounded as in Lua: 200 calls deep. */
	char q[402];
	for (int i = 0; i < 201; i++) {
		q[2 * i] = 'a';
		q[2 * i + 1] = '?';
	}
	ck_assert_int_eq(lbound_pat_match(a, 201, 0, q, 398, 1000000, &m), 1);
	ck_assert_uint_eq(m.end, 199);
	ck_assert_int_eq(lbound_pat_match(a, 201, 0, q, 402, 1000000, &m),
			 WSP_E_INVAL);
	ck_assert_str_eq(m.err, "pattern too complex");
}
END_TEST

START_TEST(lcase_missing_file_named)
{
	struct lcase_file f;
	char err[256] = "";
	ck_assert_int_eq(lcase_load_file(&f, "/nonexistent/x.lua", NULL, err,
					 sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_str_eq(err, "/nonexistent/x.lua: No such file or directory");
	lcase_file_free(&f);
}
END_TEST

START_TEST(lcase_ids_sort_numerically)
{
	ck_assert_int_lt(lcase_id_cmp("2.9", "2.10"), 0);
	ck_assert_int_lt(lcase_id_cmp("1.1.8", "1.2.1"), 0);
	ck_assert_int_lt(lcase_id_cmp("9.8.6", "10.1.1"), 0);
	ck_assert_int_lt(lcase_id_cmp("2", "2.1"), 0);
	ck_assert_int_gt(lcase_id_cmp("13.7.18", "13.7.2"), 0);
	ck_assert_int_eq(lcase_id_cmp("6.4.3", "6.4.3"), 0);
}
END_TEST

/* Found by fuzz_lcase: components of ten digits or more, and any string
 * that is not an id (results.json ids are sorted with this function). */
struct idcmp_vec {
	const char *a, *b;
	int want; /* sign of lcase_id_cmp(a, b) */
};

static const struct idcmp_vec idcmp_vecs[] = {
	{"1234567890", "1234567890", 0},
	{"1000000000", "999999999", 1},
	{"1.12345678901", "1.12345678902", -1},
	{"99999999999999999999.1", "99999999999999999999.2", -1},
	{"1.01", "1.1", 0},
	{"007", "7", 0},
	{"a", "a", 0},
	{"", "", 0},
	{"", "1", -1},
	{"x.1", "x.1", 0},
	{"x.2", "x.10", -1},
	{"1a", "1b", -1},
	{"9", "a", -1},
	{"1", "1a", -1},
};

START_TEST(lcase_id_cmp_is_a_total_preorder)
{
	const struct idcmp_vec *v = &idcmp_vecs[_i];
	int c = lcase_id_cmp(v->a, v->b);
	int r = lcase_id_cmp(v->b, v->a);
	ck_assert_int_eq((c > 0) - (c < 0), v->want);
	ck_assert_int_eq((r > 0) - (r < 0), -v->want);
	ck_assert_int_eq(lcase_id_cmp(v->a, v->a), 0);
}
END_TEST

START_TEST(lcase_patterns_match_autobahn_style)
{
	ck_assert(lcase_pattern_match("*", "1.1.1"));
	ck_assert(lcase_pattern_match("1.*", "1.2.8"));
	ck_assert(!lcase_pattern_match("1.*", "10.1.1"));
	ck_assert(lcase_pattern_match("6.4.*", "6.4.3"));
	ck_assert(lcase_pattern_match("2.10", "2.10"));
	ck_assert(!lcase_pattern_match("2.1", "2.10"));
	ck_assert(lcase_pattern_match("12.*.1", "12.3.1"));
	ck_assert(!lcase_pattern_match("12.*.1", "12.3.10"));
	ck_assert(lcase_pattern_match("*.*.*.*.*.*.*.*.*.*.*.*.*x",
				      "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1x"));
	ck_assert(!lcase_pattern_match("*.*.*.*.*.*.*.*.*.*.*.*.*x",
				       "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1"));
}
END_TEST

Suite *lcase_suite(void)
{
	Suite *s = suite_create("lcase");
	TCase *tc = tcase_create("declarations");
	tcase_add_test(tc, lcase_declarations_are_read);
	tcase_add_loop_test(tc, lcase_bad_declarations_rejected, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, lcase_pcall_half_declaration_is_not_a_case);
	tcase_add_test(tc, lcase_server_certificate_marks_the_case);
	tcase_add_test(tc, lcase_driver_fields_kept);
	tcase_add_test(tc, lcase_missing_file_named);
	suite_add_tcase(s, tc);
	tc = tcase_create("sandbox");
	tcase_add_test(tc, lcase_sandbox_allows_only_safe_libraries);
	tcase_add_test(tc, lcase_instruction_limit_stops_endless_loop);
	tcase_add_test(tc, lcase_limit_cannot_be_swallowed_by_pcall);
	tcase_add_test(tc, lcase_deadline_stops_slow_script);
	tcase_add_test(tc, lcase_memory_limit_stops_growth);
	tcase_add_test(tc, lcase_script_error_is_one_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("bounded_c_functions");
	tcase_add_loop_test(tc, lcase_pattern_bomb_fails_fast, 0,
			    (int)(sizeof(bombs) / sizeof(bombs[0])));
	tcase_add_test(tc, lcase_pattern_steps_count_as_instructions);
	tcase_add_loop_test(tc, lcase_c_functions_are_bounded, 0,
			    (int)(sizeof(c_bombs) / sizeof(c_bombs[0])));
	tcase_add_loop_test(tc, lcase_ordinary_patterns_work, 0,
			    (int)(sizeof(pattern_checks) /
				  sizeof(pattern_checks[0])));
	tcase_add_loop_test(tc, lbound_matcher_vectors, 0,
			    (int)(sizeof(pat_vecs) / sizeof(pat_vecs[0])));
	tcase_add_test(tc, lbound_matcher_captures_and_budget);
	suite_add_tcase(s, tc);
	tc = tcase_create("selection");
	tcase_add_test(tc, lcase_ids_sort_numerically);
	tcase_add_loop_test(tc, lcase_id_cmp_is_a_total_preorder, 0,
			    (int)(sizeof(idcmp_vecs) / sizeof(idcmp_vecs[0])));
	tcase_add_test(tc, lcase_patterns_match_autobahn_style);
	suite_add_tcase(s, tc);
	return s;
}
