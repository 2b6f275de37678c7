/*
 * lcase_lib.h: code that case files share, without opening the sandbox.
 *
 * A case file may start with
 *
 *   local D = use "deflate_data"
 *
 * to run the prelude cases/lib/deflate_data.lua in its own Lua state and
 * get the value that file returns (a table of functions and constants, as
 * a Lua module would).  use reads only the preludes compiled into the
 * binary (cases_library, cases_embed.h): it never touches the file system,
 * whether the case file itself came from the embedded set or from disk, so
 * the sandbox of lcase.h stays closed (no require, dofile or load).
 *
 * The prelude runs in the case file's sandbox, with its globals, limits
 * and memory ceiling, and at most once per Lua state: later calls return
 * the same value, so a data set a prelude caches is built once per file
 * (per thread with --jobs), exactly as a local of the case file would be.
 */
#ifndef LCASE_LIB_H
#define LCASE_LIB_H

#include <stddef.h>

#include <lua.h>

#include "cases_embed.h"

/* The longest NAME use accepts. */
#define LCASE_LIB_NAME_MAX 64

/*
 * The prelude cases/lib/NAME.lua compiled into the binary, or NULL when
 * there is none or NAME is not 1 to LCASE_LIB_NAME_MAX bytes of [a-z0-9_]
 * (so no name can reach outside cases/lib/).  The returned entry is static.
 */
const struct cases_embedded_file *lcase_lib_find(const char *name);

/*
 * Defines the global function use(NAME) in L (lcase.c's sandbox calls this
 * once per state).  use(NAME) returns what the prelude returned (true when
 * it returned nothing).  It raises a Lua error, which the case file's load
 * or lcase_call reports as one line, when NAME is not a string or not a
 * name as lcase_lib_find says ("use: a case library name is ..."; the
 * name is not quoted), names no prelude ("no case library 'NAME'
 * (cases/lib/NAME.lua is not compiled in)"), the prelude uses itself
 * through a cycle ("case library 'NAME' uses itself (through use)"), or the
 * prelude fails (its own message, "cases/lib/NAME.lua:LINE: ...", passed
 * on as a plain error: a prelude out of memory is then reported as a
 * script error whose message says so).  A prelude that failed may be tried
 * again by a later use.
 */
void lcase__open_use(lua_State *L);

/* lcase__open_use with another library, lib[0..count) (entries named
 * "cases/lib/NAME.lua"; both must outlive L): for tests of use itself. */
void lcase__open_use_in(lua_State *L, const struct cases_embedded_file *lib,
			size_t count);

#endif
