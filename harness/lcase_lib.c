/*
 * lcase_lib.c: use "NAME", the preludes of cases/lib/ that case files share
 * (contract in lcase_lib.h).
 *
 * Loaded preludes are kept in a table in the registry, keyed by name, like
 * package.loaded; while a prelude runs its entry is a marker (a light
 * userdata no script can make), which is how a cycle (a uses b uses a) is
 * told from a finished prelude.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "lcase_lib.h"

/* The registry key of the table of loaded preludes. */
#define LOADED_KEY "wsprobe.lcase_lib.loaded"

/* The address of this byte marks a prelude that is running. */
static const char running;

/* 1 when name[0..n) is 1 to LCASE_LIB_NAME_MAX bytes of [a-z0-9_]: no
 * '/', '.', NUL or control byte, so nothing but a name in cases/lib/, and
 * safe to quote in a one-line message. */
static int valid_name(const char *name, size_t n)
{
	if (n == 0 || n > LCASE_LIB_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

/* The prelude NAME in lib[0..count), as lcase_lib_find describes. */
static const struct cases_embedded_file *
find_in(const struct cases_embedded_file *lib, size_t count, const char *name)
{
	size_t n = strlen(name);
	if (!valid_name(name, n))
		return NULL;
	static const char dir[] = "cases/lib/";
	for (size_t i = 0; i < count; i++) {
		const char *f = lib[i].name;
		if (f != NULL && strncmp(f, dir, sizeof(dir) - 1) == 0 &&
		    strncmp(f + sizeof(dir) - 1, name, n) == 0 &&
		    strcmp(f + sizeof(dir) - 1 + n, ".lua") == 0)
			return &lib[i];
	}
	return NULL;
}

const struct cases_embedded_file *lcase_lib_find(const char *name)
{
	return find_in(cases_library, cases_library_count, name);
}

static int l_use(lua_State *L)
{
	/* A number would be converted to a string by luaL_checkstring; a
	 * prelude name is always written as a string. */
	luaL_checktype(L, 1, LUA_TSTRING);
	size_t len;
	const char *name = lua_tolstring(L, 1, &len);
	if (!valid_name(name, len)) /* also refuses an embedded NUL */
		return luaL_error(L, "use: a case library name is 1 to %d "
				     "bytes of a-z, 0-9 and _ (cases/lib/NAME.lua)",
				  LCASE_LIB_NAME_MAX);
	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY); /* 2: loaded */
	lua_getfield(L, 2, name);                       /* 3: loaded[name] */
	if (lua_touserdata(L, 3) == &running)
		return luaL_error(L, "case library '%s' uses itself (through "
				     "use)", name);
	if (!lua_isnil(L, 3))
		return 1;
	lua_pop(L, 1);
	/* The library this use reads: upvalues set by lcase__open_use_in. */
	const struct cases_embedded_file *lib =
		lua_touserdata(L, lua_upvalueindex(1));
	size_t count = (size_t)lua_tointeger(L, lua_upvalueindex(2));
	const struct cases_embedded_file *f = find_in(lib, count, name);
	if (f == NULL)
		return luaL_error(L, "no case library '%s' (cases/lib/%s.lua is "
				     "not compiled in)", name, name);
	lua_pushlightuserdata(L, (void *)&running);
	lua_setfield(L, 2, name);
	char chunk[LCASE_LIB_NAME_MAX + 32];
	snprintf(chunk, sizeof(chunk), "@%s", f->name);
	/* Text only, as for case files: no precompiled chunks. */
	int rc = luaL_loadbufferx(L, f->text, f->len, chunk, "t");
	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 1, 0);
	if (rc != LUA_OK) {
		/* Forget the attempt, then pass the error on unchanged. */
		lua_pushnil(L);
		lua_setfield(L, 2, name);
		return lua_error(L);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	return 1;
}

void lcase__open_use_in(lua_State *L, const struct cases_embedded_file *lib,
			size_t count)
{
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
	lua_pushlightuserdata(L, (void *)lib);
	lua_pushinteger(L, (lua_Integer)count);
	lua_pushcclosure(L, l_use, 2);
	lua_setglobal(L, "use");
}

void lcase__open_use(lua_State *L)
{
	lcase__open_use_in(L, cases_library, cases_library_count);
}
