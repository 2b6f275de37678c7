/*
 * check_lcase_lib.c: use "NAME", the preludes of cases/lib/ that case files
 * share (harness/lcase_lib.h): one value per Lua state, names that cannot
 * leave cases/lib/, no file read even for a case file loaded from disk,
 * cycles and failing preludes, and the data sets of categories 12 and 13
 * pinned by SHA-1 (the bytes those cases send must not change when the
 * prelude is edited).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>
#include <openssl/evp.h>

#include "cases_embed.h"
#include "lcase.h"
#include "lcase_lib.h"
#include "lib.h"
#include "wsp_err.h"

/* Loads src as the case file "t.lua" under the default limits. */
static int load(struct lcase_file *f, const char *src, char *err, size_t n)
{
	return lcase_load_buffer(f, "t.lua", src, strlen(src), NULL, err, n);
}

START_TEST(use_returns_one_value_per_state)
{
	static const char src[] =
		"local a = use 'deflate_data'\n"
		"local b = use 'deflate_data'\n"
		"assert(rawequal(a, b), 'a second use runs the prelude again')\n"
		"assert(type(a.dataset) == 'function' and a.COUNT == 1000)\n"
		"assert(#a.ROWS == 18 and #a.SETS == 5)\n"
		"case { id = '1', title = 't', run = function() end }\n";
	struct lcase_file f;
	char err[256] = "";
	ck_assert_msg(load(&f, src, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(f.ncases, 1);
	lcase_file_free(&f);
}
END_TEST

struct bad_use {
	const char *call;
	const char *want; /* the whole one-line message */
};

#define NAME_RULE                                                     \
	"use: a case library name is 1 to 64 bytes of a-z, 0-9 and _ " \
	"(cases/lib/NAME.lua)"

static const struct bad_use bad_uses[] = {
	{"use 'nope'", "t.lua:1: no case library 'nope' (cases/lib/nope.lua "
		       "is not compiled in)"},
	{"use '../12_deflate_payloads'", "t.lua:1: " NAME_RULE},
	{"use 'lib/deflate_data'", "t.lua:1: " NAME_RULE},
	{"use 'deflate_data.lua'", "t.lua:1: " NAME_RULE},
	{"use '/etc/passwd'", "t.lua:1: " NAME_RULE},
	{"use 'Deflate_data'", "t.lua:1: " NAME_RULE},
	{"use ''", "t.lua:1: " NAME_RULE},
	/* An embedded NUL must not reach the C string compare. */
	{"use 'deflate_data\\0x'", "t.lua:1: " NAME_RULE},
	/* A name with a newline is refused without being quoted. */
	{"use 'a\\nb'", "t.lua:1: " NAME_RULE},
	{"use(string.rep('a', 65))", "t.lua:1: " NAME_RULE},
	{"use(string.rep('a', 64))",
	 "t.lua:1: no case library "
	 "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
	 "(cases/lib/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaa.lua is not compiled in)"},
	{"use(12)", "t.lua:1: bad argument #1 to 'use' (string expected, got "
		    "number)"},
	{"use()", "t.lua:1: bad argument #1 to 'use' (string expected, got no "
		  "value)"},
};

START_TEST(use_refuses_what_is_not_a_compiled_in_prelude)
{
	const struct bad_use *v = &bad_uses[_i];
	char src[256];
	snprintf(src, sizeof(src),
		 "%s\ncase { id = '1', title = 't', run = function() end }\n",
		 v->call);
	struct lcase_file f;
	char err[512] = "";
	ck_assert_int_eq(load(&f, src, err, sizeof(err)), WSP_E_INVAL);
	ck_assert_str_eq(err, v->want);
	lcase_file_free(&f);
}
END_TEST

/* Writes text to dir/rel. */
static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(use_reads_no_file_even_for_a_case_file_on_disk)
{
	char dir[] = "/tmp/wsprobe-lcase-lib-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char sub[PATH_MAX], cwd[PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/cases", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/cases/lib", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	/* A prelude on disk, where a file-reading use would look for it. */
	write_file(dir, "cases/lib/ondisk.lua", "return 1\n");
	write_file(dir, "x.lua", "use 'ondisk'\n"
				 "case { id = '1', title = 't', run = function() end }\n");
	write_file(dir, "y.lua", "local D = use 'deflate_data'\n"
				 "case { id = '1', title = 't', run = function() end }\n");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	struct lcase_file f;
	char err[512] = "";
	int rc_x = lcase_load_file(&f, "x.lua", NULL, err, sizeof(err));
	char err_x[512];
	memcpy(err_x, err, sizeof(err));
	lcase_file_free(&f);
	int rc_y = lcase_load_file(&f, "y.lua", NULL, err, sizeof(err));
	lcase_file_free(&f);
	ck_assert_int_eq(chdir(cwd), 0);
	char path[PATH_MAX];
	const char *const rels[] = {"cases/lib/ondisk.lua", "x.lua", "y.lua"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rels[i]);
		unlink(path);
	}
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/cases", dir);
	rmdir(sub);
	rmdir(dir);
	ck_assert_int_eq(rc_x, WSP_E_INVAL);
	ck_assert_str_eq(err_x, "x.lua:1: no case library 'ondisk' "
				"(cases/lib/ondisk.lua is not compiled in)");
	/* The compiled-in preludes serve case files from disk too. */
	ck_assert_msg(rc_y == 0, "%s", err);
}
END_TEST

START_TEST(library_holds_only_preludes_and_each_loads)
{
	ck_assert_uint_ge(cases_library_count, 1);
	const struct cases_embedded_file *d = lcase_lib_find("deflate_data");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->name, "cases/lib/deflate_data.lua");
	const char *const no[] = {"deflate", "deflate_data.lua", "../deflate_data",
				  "", "lib/deflate_data", "DEFLATE_DATA"};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_ptr_null(lcase_lib_find(no[i]));
	/* The case files the runner and `wsprobe list` load hold no prelude,
	 * so a prelude never counts as a case file. */
	for (size_t i = 0; i < cases_embedded_count; i++)
		ck_assert_msg(strncmp(cases_embedded[i].name, "cases/lib/", 10) != 0,
			      "%s", cases_embedded[i].name);
	for (size_t i = 0; i < cases_library_count; i++) {
		const char *n = cases_library[i].name;
		size_t len = strlen(n);
		ck_assert_msg(strncmp(n, "cases/lib/", 10) == 0 && len > 14 &&
				      strcmp(n + len - 4, ".lua") == 0,
			      "%s", n);
		char name[LCASE_LIB_NAME_MAX + 1];
		ck_assert_uint_le(len - 14, LCASE_LIB_NAME_MAX);
		memcpy(name, n + 10, len - 14);
		name[len - 14] = '\0';
		ck_assert_ptr_eq(lcase_lib_find(name), &cases_library[i]);
		/* Each loads in the sandbox of a case file. */
		char src[256], err[512] = "";
		snprintf(src, sizeof(src),
			 "use '%s'\ncase { id = '1', title = 't', run = "
			 "function() end }\n",
			 name);
		struct lcase_file f;
		ck_assert_msg(load(&f, src, err, sizeof(err)) == 0, "%s: %s", n,
			      err);
		lcase_file_free(&f);
	}
}
END_TEST

/* A library of test preludes, for the paths the real one cannot show. */
#define LIBFILE(name, text) {"cases/lib/" name ".lua", text, sizeof(text) - 1}
static const struct cases_embedded_file test_lib[] = {
	LIBFILE("a", "runs_a = (runs_a or 0) + 1\nreturn { n = 1 }\n"),
	LIBFILE("cyc1", "return use 'cyc2'\n"),
	LIBFILE("cyc2", "return use 'cyc1'\n"),
	LIBFILE("bad", "runs_bad = (runs_bad or 0) + 1\nerror('broken')\n"),
	LIBFILE("none", "x = 1\n"),
	LIBFILE("falsy", "runs_falsy = (runs_falsy or 0) + 1\nreturn false\n"),
	LIBFILE("bin", "\x1bLua\x54\x00"),
	{"elsewhere/b.lua", "return 2\n", 9},
};

struct own_vec {
	const char *chunk; /* returns a string that sums up the behaviour */
	const char *want;
};

static const struct own_vec own_vecs[] = {
	{"local a = use 'a'\nlocal b = use 'a'\n"
	 "return tostring(a.n) .. ' ' .. tostring(rawequal(a, b)) .. ' ' .. runs_a",
	 "1 true 1"},
	{"local ok, e = pcall(use, 'cyc1')\nlocal ok2, e2 = pcall(use, 'cyc1')\n"
	 "return tostring(ok) .. ' ' .. e .. ' | ' .. tostring(e2 == e)",
	 "false cases/lib/cyc2.lua:1: case library 'cyc1' uses itself (through "
	 "use) | true"},
	{"local ok, e = pcall(use, 'bad')\nlocal ok2 = pcall(use, 'bad')\n"
	 "return tostring(ok) .. ' ' .. e .. ' ' .. tostring(ok2) .. ' ' .. runs_bad",
	 "false cases/lib/bad.lua:2: broken false 2"},
	{"return tostring(use 'none') .. ' ' .. x", "true 1"},
	{"local v = use 'falsy'\nlocal w = use 'falsy'\n"
	 "return tostring(v) .. ' ' .. tostring(w) .. ' ' .. runs_falsy",
	 "false false 1"},
	{"local ok, e = pcall(use, 'bin')\nreturn tostring(ok) .. ' ' .. e",
	 "false attempt to load a binary chunk (mode is 't')"},
	{"local ok, e = pcall(use, 'b')\nreturn tostring(ok) .. ' ' .. e",
	 "false no case library 'b' (cases/lib/b.lua is not compiled in)"},
};

START_TEST(use_caches_detects_cycles_and_retries_failures)
{
	const struct own_vec *v = &own_vecs[_i];
	lua_State *L = luaL_newstate();
	ck_assert_ptr_nonnull(L);
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	lua_settop(L, 0);
	lcase__open_use_in(L, test_lib, sizeof(test_lib) / sizeof(test_lib[0]));
	int rc = luaL_loadstring(L, v->chunk);
	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 1, 0);
	const char *got = lua_tostring(L, -1);
	ck_assert_msg(rc == LUA_OK, "%s", got != NULL ? got : "?");
	ck_assert_str_eq(got, v->want);
	lua_close(L);
}
END_TEST

/* The five data sets of cases/lib/deflate_data.lua: the SHA-1 and size
 * they had when the generators lived in cases/12_deflate_payloads.lua and
 * cases/13_deflate_params.lua (13 used set 1). */
struct pinned_set {
	int k;
	size_t len;
	const char *sha1;
};

static const struct pinned_set pinned[] = {
	{1, 194056, "5eee483b15b0074a954977bd9b2d574ad168bf9e"},
	{2, 263222, "b33578e3215486ddef8159d04ce7dad5a9ce73e0"},
	{3, 222218, "9587cf7eca578252d19f6c5bcdef8f89dcd0fd7c"},
	{4, 263647, "2371f306d42d7a58da93ac6ebbc34621687104bb"},
	{5, 1042328, "f626f7f831fcc540274e763e9c068a8eaf846773"},
};

START_TEST(deflate_data_sets_are_byte_for_byte_pinned)
{
	const struct pinned_set *p = &pinned[_i];
	static const char src[] =
		"local D = use 'deflate_data'\n"
		"case { id = '1', title = 't',\n"
		"  run = function(k) out = D.dataset(k).bytes end }\n";
	struct lcase_file f;
	char err[512] = "";
	ck_assert_msg(load(&f, src, err, sizeof(err)) == 0, "%s", err);
	lua_pushinteger(f.L, p->k);
	ck_assert_msg(lcase_call(&f, &f.cases[0], 0, err, sizeof(err)) == 0,
		      "%s", err);
	lua_getglobal(f.L, "out");
	size_t len = 0;
	const char *bytes = lua_tolstring(f.L, -1, &len);
	ck_assert_ptr_nonnull(bytes);
	ck_assert_uint_eq(len, p->len);
	unsigned char md[20];
	unsigned int mdlen = 0;
	ck_assert_int_eq(EVP_Digest(bytes, len, md, &mdlen, EVP_sha1(), NULL), 1);
	char hex[41];
	for (unsigned i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(hex, p->sha1);
	lcase_file_free(&f);
}
END_TEST

START_TEST(deflate_data_windows_are_the_units_asked_for)
{
	/* The windows 12.x/13.x send: len units (code points for the text
	 * sets) from ptr, wrapping at the end of the set, as an independent
	 * cut (its own code point table, two pieces joined) gives them, for
	 * the smallest, a middle and the largest size, and at least one wrap
	 * each. */
	static const char src[] =
		"local D = use 'deflate_data'\n"
		"local function ref(d, offs, ptr, len)\n"
		"  local to = (ptr + len) % d.n\n"
		"  local a = offs and offs[ptr + 1] or ptr + 1\n"
		"  local b = offs and offs[to + 1] - 1 or to\n"
		"  if to > ptr then return d.bytes:sub(a, b), to end\n"
		"  return d.bytes:sub(a) .. d.bytes:sub(1, b), to\n"
		"end\n"
		"case { id = '1', title = 't', run = function(k)\n"
		"  local d = D.dataset(k)\n"
		"  local offs\n"
		"  if d.text then\n"
		"    offs = {}\n"
		"    for p in utf8.codes(d.bytes) do offs[#offs + 1] = p end\n"
		"    assert(#offs == d.n, 'code points')\n"
		"    offs[#offs + 1] = #d.bytes + 1\n"
		"  end\n"
		"  local wraps = 0\n"
		"  for _, len in ipairs { 16, 256, 131072 } do\n"
		"    local p1, p2, w = 0, 0\n"
		"    for i = 1, 40 do\n"
		"      local a, b\n"
		"      a, p1 = ref(d, offs, p1, len)\n"
		"      local from, to\n"
		"      from, to, p2 = D.window(d, p2, len)\n"
		"      b = d.twice:sub(from, to)\n"
		"      assert(a == b and p1 == p2, 'window ' .. i .. ' of ' .. len)\n"
		"      if utf8.len(b) ~= (d.text and len or utf8.len(b)) then\n"
		"        error('units ' .. i)\n"
		"      end\n"
		"      if not d.text then assert(#b == len, 'bytes') end\n"
		"      if p1 < (p1 - len) % d.n then wraps = wraps + 1 end\n"
		"    end\n"
		"  end\n"
		"  out = wraps\n"
		"end }\n";
	struct lcase_file f;
	char err[512] = "";
	ck_assert_msg(load(&f, src, err, sizeof(err)) == 0, "%s", err);
	lua_pushinteger(f.L, pinned[_i].k);
	ck_assert_msg(lcase_call(&f, &f.cases[0], 0, err, sizeof(err)) == 0,
		      "%s", err);
	lua_getglobal(f.L, "out");
	ck_assert_int_ge(lua_tointeger(f.L, -1), 1);
	lcase_file_free(&f);
}
END_TEST

Suite *lcase_lib_suite(void)
{
	Suite *s = suite_create("lcase_lib");
	TCase *tc = tcase_create("use_prelude");
	tcase_add_test(tc, use_returns_one_value_per_state);
	tcase_add_loop_test(tc, use_refuses_what_is_not_a_compiled_in_prelude, 0,
			    (int)(sizeof(bad_uses) / sizeof(bad_uses[0])));
	tcase_add_test(tc, use_reads_no_file_even_for_a_case_file_on_disk);
	tcase_add_test(tc, library_holds_only_preludes_and_each_loads);
	tcase_add_loop_test(tc, use_caches_detects_cycles_and_retries_failures,
			    0, (int)(sizeof(own_vecs) / sizeof(own_vecs[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("autobahn_12_13_data_sets");
	tcase_add_loop_test(tc, deflate_data_sets_are_byte_for_byte_pinned, 0,
			    (int)(sizeof(pinned) / sizeof(pinned[0])));
	tcase_add_loop_test(tc, deflate_data_windows_are_the_units_asked_for,
			    0, (int)(sizeof(pinned) / sizeof(pinned[0])));
	suite_add_tcase(s, tc);
	return s;
}
