/*
 * check_lcase.c: the Lua case sandbox (harness/lcase.h): declarations are
 * validated with one-line errors naming file and line, the sandbox exposes
 * only base/string/table/math/utf8, and the instruction, deadline and
 * memory limits stop hostile scripts, even ones that catch errors.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <lua.h>

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

static void run_expect(const char *body, int64_t deadline_ms, const char *want)
{
	struct lcase_file f;
	char err[256] = "";
	char src[512];
	snprintf(src, sizeof(src),
		 "case { id = '9.9', title = 't', run = function(s) %s end }",
		 body);
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
	tc = tcase_create("selection");
	tcase_add_test(tc, lcase_ids_sort_numerically);
	tcase_add_loop_test(tc, lcase_id_cmp_is_a_total_preorder, 0,
			    (int)(sizeof(idcmp_vecs) / sizeof(idcmp_vecs[0])));
	tcase_add_test(tc, lcase_patterns_match_autobahn_style);
	suite_add_tcase(s, tc);
	return s;
}
