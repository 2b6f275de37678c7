/*
 * lcase.c: the Lua sandbox that loads case files and runs case functions
 * (contract in lcase.h).
 *
 * The sandbox is built from an allow-list: the base library minus the
 * functions that reach files or load code, plus string, table, math and
 * utf8.  Limits are enforced from C: a count hook charges every 1000 VM
 * instructions and checks the wall deadline, and the allocator refuses to
 * grow the state past its memory ceiling.  Script errors never escape as
 * longjmps: every entry into Lua goes through lua_pcall.
 *
 * The hook never runs inside a C function, so the library functions whose
 * work is not bounded by the memory ceiling (the pattern functions,
 * string.rep, table.move, finalizers) are replaced by harness/lbound.c,
 * which counts their work and charges it here to the instruction limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lbound.h"
#include "lcase.h"
#include "lcase_lib.h"
#include "rfile.h"
#include "wsp_err.h"

#define HOOK_STEP 1000

enum hook_reason { HOOK_NONE = 0, HOOK_INSTR, HOOK_DEADLINE };

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void lcase_limits_default(struct lcase_limits *lim)
{
	lim->max_instructions = 1000000000ull;
	lim->max_memory = (size_t)512 << 20;
}

/* The state's allocator: the C library's, with a ceiling on the total. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lcase_file *f = ud;
	size_t old = ptr != NULL ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		f->mem_used -= old;
		return NULL;
	}
	if (nsize > old && f->limits.max_memory > 0 &&
	    nsize - old > f->limits.max_memory - f->mem_used)
		return NULL; /* Lua raises "not enough memory" */
	void *p = realloc(ptr, nsize);
	if (p != NULL)
		f->mem_used = f->mem_used - old + nsize;
	return p;
}

static struct lcase_file *file_of(lua_State *L)
{
	return *(struct lcase_file **)lua_getextraspace(L);
}

static void limit_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct lcase_file *f = file_of(L);
	f->instr_used += HOOK_STEP;
	if (f->hook_reason == HOOK_NONE && f->instr_limit > 0 &&
	    f->instr_used > f->instr_limit)
		f->hook_reason = HOOK_INSTR;
	if (f->hook_reason == HOOK_NONE && f->deadline_ns > 0 &&
	    mono_ns() > f->deadline_ns)
		f->hook_reason = HOOK_DEADLINE;
	if (f->hook_reason == HOOK_NONE)
		return;
	/* From now on every instruction raises the error again, so a script
	 * that wraps its loop in pcall cannot swallow the limit: the first
	 * instruction outside the pcall fails too. */
	lua_sethook(L, limit_hook, LUA_MASKCOUNT, 1);
	luaL_error(L, f->hook_reason == HOOK_INSTR
			      ? "instruction limit exceeded"
			      : "case deadline exceeded");
}

/* Work done inside C functions (lbound.c: matcher steps, table.move
 * elements), charged one for one to the instruction limit, so that a
 * loop of costly calls stops like a loop of instructions.  The wall
 * deadline is read every 2^16 steps, about as often as the hook reads it.
 * Raises the same error as the hook, and arms it the same way. */
static uint64_t charge_steps(lua_State *L, void *ud, uint64_t steps)
{
	(void)ud;
	struct lcase_file *f = file_of(L);
	f->instr_used = steps > UINT64_MAX - f->instr_used
				? UINT64_MAX
				: f->instr_used + steps;
	f->clock_steps += steps;
	if (f->hook_reason == HOOK_NONE && f->instr_limit > 0 &&
	    f->instr_used > f->instr_limit)
		f->hook_reason = HOOK_INSTR;
	if (f->hook_reason == HOOK_NONE && f->deadline_ns > 0 &&
	    f->clock_steps >= 65536) {
		f->clock_steps = 0;
		if (mono_ns() > f->deadline_ns)
			f->hook_reason = HOOK_DEADLINE;
	}
	if (f->hook_reason != HOOK_NONE) {
		lua_sethook(L, limit_hook, LUA_MASKCOUNT, 1);
		luaL_error(L, f->hook_reason == HOOK_INSTR
				      ? "instruction limit exceeded"
				      : "case deadline exceeded");
	}
	return f->instr_limit == 0 ? UINT64_MAX
				   : f->instr_limit - f->instr_used;
}

/* Copies a Lua string into memory owned by nobody but the file (freed in
 * lcase_file_free through the strings list kept in the registry-free
 * struct: we simply strdup and free per field). */
static const char *dup_field(lua_State *L, int idx, const char *field,
			     int required)
{
	lua_getfield(L, idx, field);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		if (required)
			luaL_error(L, "case field '%s' is missing", field);
		return NULL;
	}
	if (lua_type(L, -1) != LUA_TSTRING) {
		lua_pop(L, 1);
		luaL_error(L, "case field '%s' must be a string", field);
	}
	size_t n;
	const char *s = lua_tolstring(L, -1, &n);
	char *copy = malloc(n + 1);
	if (copy == NULL) {
		lua_pop(L, 1);
		luaL_error(L, "not enough memory");
	}
	memcpy(copy, s, n + 1);
	lua_pop(L, 1);
	return copy;
}

static int valid_case_id(const char *s, size_t n)
{
	/* Digits separated by single dots: "1.1.1", "14.2.10". */
	if (n == 0 || n >= LCASE_ID_MAX)
		return 0;
	int digit_before = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			digit_before = 1;
		} else if (s[i] == '.' && digit_before && i + 1 < n) {
			digit_before = 0;
		} else {
			return 0;
		}
	}
	return digit_before;
}

static int valid_req_id(const char *s)
{
	/* R6455-<section>-NN or R7692-<section>-NN. */
	if (strncmp(s, "R6455-", 6) != 0 && strncmp(s, "R7692-", 6) != 0)
		return 0;
	const char *dash = strrchr(s, '-');
	if (dash == s + 5)
		return 0;
	size_t tail = strlen(dash + 1);
	return tail == 2 && dash[1] >= '0' && dash[1] <= '9' &&
	       dash[2] >= '0' && dash[2] <= '9';
}

static void meta_free(struct lcase_meta *m)
{
	free((void *)m->title);
	free((void *)m->description);
	free((void *)m->expectation);
	free((void *)m->target);
	for (size_t i = 0; i < m->nreqs; i++)
		free((void *)m->reqs[i]);
	memset(m, 0, sizeof(*m));
}

/* case{ field = "value" } for a client-role case: sets flag in mp->conn
 * (lcase.h, LCASE_CONN_*); any other value, or a case without the client
 * role, is an error. */
static void conn_field(lua_State *L, struct lcase_meta *mp, const char *field,
		       const char *value, unsigned flag)
{
	lua_getfield(L, 1, field);
	if (!lua_isnil(L, -1)) {
		const char *v = lua_type(L, -1) == LUA_TSTRING
					? lua_tostring(L, -1)
					: NULL;
		if (v == NULL || strcmp(v, value) != 0)
			luaL_error(L, "case %s: %s can only be \"%s\"", mp->id,
				   field, value);
		if (!(mp->roles & LCASE_ROLE_CLIENT))
			luaL_error(L, "case %s: %s needs the client role",
				   mp->id, field);
		mp->conn |= flag;
	}
	lua_pop(L, 1);
}

/* case{ target = "...", connections = N } for a client-role case: what
 * /getCaseInfo asks a driver that speaks wsprobe's extension to do
 * (harness/role_server.c).  A template with a placeholder
 * lcase_target_expand does not know is refused here, not when a driver
 * asks for it. */
static void driver_fields(lua_State *L, struct lcase_meta *mp)
{
	mp->target = dup_field(L, 1, "target", 0);
	if (mp->target != NULL) {
		static const struct lcase_target_vars probe = {
			"ws", "h", 1, 1, "a"};
		char buf[1024];
		if (!(mp->roles & LCASE_ROLE_CLIENT))
			luaL_error(L, "case %s: target needs the client role",
				   mp->id);
		int rc = lcase_target_expand(mp->target, &probe, buf,
					     sizeof(buf));
		if (rc != 0)
			luaL_error(L, "case %s: target %s", mp->id,
				   rc == WSP_E_NOSPACE
					   ? "is too long"
					   : "has a placeholder other than "
					     "{scheme}, {host}, {port}, {case} "
					     "and {agent}");
	}
	lua_getfield(L, 1, "connections");
	if (!lua_isnil(L, -1)) {
		int isnum = 0;
		lua_Integer n = lua_tointegerx(L, -1, &isnum);
		if (!isnum || lua_type(L, -1) != LUA_TNUMBER || n < 1 ||
		    n > LCASE_MAX_CONNECTIONS)
			luaL_error(L, "case %s: connections must be an integer "
				   "from 1 to %d", mp->id,
				   LCASE_MAX_CONNECTIONS);
		if (!(mp->roles & LCASE_ROLE_CLIENT))
			luaL_error(L, "case %s: connections needs the client "
				   "role", mp->id);
		mp->connections = n > 1 ? (unsigned)n : 0;
	}
	lua_pop(L, 1);
}

int lcase_target_expand(const char *t, const struct lcase_target_vars *v,
			char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return WSP_E_NOSPACE;
	while (*t != '\0') {
		char num[32];
		const char *put = NULL;
		size_t skip = 1;
		if (*t == '{') {
			const char *e = strchr(t, '}');
			if (e == NULL)
				return WSP_E_INVAL;
			size_t n = (size_t)(e - t) + 1;
			if (n == 8 && memcmp(t, "{scheme}", 8) == 0)
				put = v->scheme;
			else if (n == 6 && memcmp(t, "{host}", 6) == 0)
				put = v->host;
			else if (n == 6 && memcmp(t, "{port}", 6) == 0) {
				snprintf(num, sizeof(num), "%u", v->port);
				put = num;
			} else if (n == 6 && memcmp(t, "{case}", 6) == 0) {
				snprintf(num, sizeof(num), "%zu", v->index);
				put = num;
			} else if (n == 7 && memcmp(t, "{agent}", 7) == 0)
				put = v->agent;
			else
				return WSP_E_INVAL;
			skip = n;
		}
		size_t len = put != NULL ? strlen(put) : 1;
		if (len >= cap - o)
			return WSP_E_NOSPACE;
		memcpy(out + o, put != NULL ? put : t, len);
		o += len;
		t += skip;
	}
	out[o] = '\0';
	return 0;
}

/* case{...}: validates one declaration and appends it to the file. */
static int l_case(lua_State *L)
{
	struct lcase_file *f = file_of(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Debug ar;
	int line = 0;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
		line = ar.currentline;

	if (f->ncases == f->cap) { /* room for the slot being built */
		size_t ncap = f->cap ? f->cap * 2 : 64;
		struct lcase_meta *nc = realloc(f->cases, ncap * sizeof(*nc));
		if (nc == NULL)
			return luaL_error(L, "not enough memory");
		f->cases = nc;
		f->cap = ncap;
	}
	struct lcase_meta m;
	memset(&m, 0, sizeof(m));
	m.run_ref = LUA_NOREF;
	m.line = line;

	lua_getfield(L, 1, "id");
	size_t idlen;
	const char *id = lua_tolstring(L, -1, &idlen);
	if (id == NULL || lua_type(L, -1) != LUA_TSTRING ||
	    !valid_case_id(id, idlen))
		return luaL_error(L, "case id must be a string of dotted numbers"
				     " such as \"1.1.1\"");
	memcpy(m.id, id, idlen + 1);
	lua_pop(L, 1);
	if (lcase_find(f, m.id) != NULL)
		return luaL_error(L, "case %s is declared twice", m.id);

	/* The declaration is built in the slot after the last case and only
	 * counted once complete.  An error raised half-way (a script may even
	 * catch it with pcall) leaves the slot marked pending, so that its
	 * strings are freed by the next declaration or by lcase_file_free. */
	if (f->pending) {
		meta_free(&f->cases[f->ncases]);
		f->pending = 0;
	}
	f->cases[f->ncases] = m;
	struct lcase_meta *mp = &f->cases[f->ncases];
	f->pending = 1;
	mp->title = dup_field(L, 1, "title", 1);
	mp->description = dup_field(L, 1, "description", 0);
	mp->expectation = dup_field(L, 1, "expectation", 0);

	lua_getfield(L, 1, "requirements");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			return luaL_error(L, "case %s: requirements must be a list",
					  mp->id);
		lua_Integer n = luaL_len(L, -1);
		if (n > LCASE_MAX_REQS)
			return luaL_error(L, "case %s: more than %d requirements",
					  mp->id, LCASE_MAX_REQS);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_geti(L, -1, i);
			const char *r = lua_tostring(L, -1);
			if (r == NULL || lua_type(L, -1) != LUA_TSTRING ||
			    !valid_req_id(r))
				return luaL_error(L, "case %s: requirement %d is not"
						     " an id such as R6455-5.2-03",
						  mp->id, (int)i);
			char *copy = malloc(strlen(r) + 1);
			if (copy == NULL)
				return luaL_error(L, "not enough memory");
			memcpy(copy, r, strlen(r) + 1);
			mp->reqs[mp->nreqs++] = copy;
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);

	lua_getfield(L, 1, "roles");
	if (lua_isnil(L, -1)) {
		mp->roles = LCASE_ROLE_SERVER | LCASE_ROLE_CLIENT;
	} else {
		if (!lua_istable(L, -1))
			return luaL_error(L, "case %s: roles must be a list",
					  mp->id);
		lua_Integer n = luaL_len(L, -1);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_geti(L, -1, i);
			const char *r = lua_tostring(L, -1);
			if (r != NULL && strcmp(r, "server") == 0)
				mp->roles |= LCASE_ROLE_SERVER;
			else if (r != NULL && strcmp(r, "client") == 0)
				mp->roles |= LCASE_ROLE_CLIENT;
			else
				return luaL_error(L, "case %s: a role is \"server\""
						     " or \"client\"",
						  mp->id);
			lua_pop(L, 1);
		}
		if (mp->roles == 0)
			return luaL_error(L, "case %s: roles is empty", mp->id);
	}
	lua_pop(L, 1);

	conn_field(L, mp, "server_certificate", "untrusted",
		   LCASE_CONN_UNTRUSTED_CERT);
	conn_field(L, mp, "proxy", "refuse", LCASE_CONN_PROXY_REFUSED);
	driver_fields(L, mp);

	lua_getfield(L, 1, "run");
	if (!lua_isfunction(L, -1))
		return luaL_error(L, "case %s: run must be a function", mp->id);
	mp->run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	f->pending = 0;
	f->ncases++;
	return 0;
}

static void open_sandbox(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base},
		{LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table},
		{LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8},
	};
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	/* Nothing that reads files or loads (possibly binary) chunks. */
	static const char *const removed[] = {"dofile", "loadfile", "load",
					      "require", "collectgarbage"};
	for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}
	/* string.dump would hand out bytecode; without load it is useless,
	 * but remove it so no script depends on it. */
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	/* Bounded pattern functions, string.rep, table.move and
	 * setmetatable (lbound.h says why each). */
	struct lbound_host host;
	lbound_host_default(&host);
	host.charge = charge_steps;
	lbound_install(L, &host);
	lua_pushcfunction(L, l_case);
	lua_setglobal(L, "case");
	/* use "NAME": the compiled-in preludes of cases/lib/ only. */
	lcase__open_use(L);
}

/* Writes "where: what" into err. */
static void set_err(char *err, size_t errlen, const char *where,
		    const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", where, what);
}

/* Lua messages may carry newlines (tracebacks); reports want one line. */
static void one_line(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

int lcase_load_buffer(struct lcase_file *f, const char *name,
		      const char *buf, size_t len,
		      const struct lcase_limits *lim, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	if (lim != NULL)
		f->limits = *lim;
	else
		lcase_limits_default(&f->limits);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->L = lua_newstate(sandbox_alloc, f);
	if (f->L == NULL) {
		set_err(err, errlen, name, "out of memory");
		return WSP_E_NOMEM;
	}
	*(struct lcase_file **)lua_getextraspace(f->L) = f;
	lua_sethook(f->L, limit_hook, LUA_MASKCOUNT, HOOK_STEP);

	char chunk[260];
	snprintf(chunk, sizeof(chunk), "@%s", name);
	/* Text only: "t" refuses precompiled chunks, which can crash the VM. */
	int rc = luaL_loadbufferx(f->L, buf, len, chunk, "t");
	if (rc == LUA_OK) {
		open_sandbox(f->L);
		f->instr_used = 0;
		f->instr_limit = f->limits.max_instructions;
		f->deadline_ns = mono_ns() + 10 * (int64_t)1000000000;
		rc = lua_pcall(f->L, 0, 0, 0);
		f->deadline_ns = 0;
	}
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(f->L, -1);
		char line[512];
		snprintf(line, sizeof(line), "%s",
			 msg != NULL ? msg : "error object is not a string");
		one_line(line);
		/* Messages from luaL_error already start with "name:line:". */
		if (strncmp(line, name, strlen(name)) == 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s", line);
		} else
			set_err(err, errlen, name, line);
		return rc == LUA_ERRMEM ? WSP_E_NOMEM : WSP_E_INVAL;
	}
	if (f->ncases == 0) {
		set_err(err, errlen, name, "declares no case");
		return WSP_E_INVAL;
	}
	return 0;
}

int lcase_load_file(struct lcase_file *f, const char *path,
		    const struct lcase_limits *lim, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		set_err(err, errlen, path, strerror(errno));
		return WSP_E_INVAL;
	}
	char *buf;
	size_t len;
	/* Case files are small; refuse anything over 64 MiB. */
	int rc = rfile_read(fp, 65536, (size_t)64 << 20, &buf, &len);
	fclose(fp);
	if (rc != 0) {
		set_err(err, errlen, path,
			rc == WSP_E_LIMIT ? "larger than 64 MiB"
					  : "cannot be read");
		return WSP_E_INVAL;
	}
	rc = lcase_load_buffer(f, path, buf, len, lim, err, errlen);
	free(buf);
	return rc;
}

void lcase_file_free(struct lcase_file *f)
{
	if (f->L != NULL)
		lua_close(f->L);
	for (size_t i = 0; i < f->ncases; i++)
		meta_free(&f->cases[i]);
	if (f->pending)
		meta_free(&f->cases[f->ncases]);
	free(f->cases);
	memset(f, 0, sizeof(*f));
}

const struct lcase_meta *lcase_find(const struct lcase_file *f,
				    const char *id)
{
	for (size_t i = 0; i < f->ncases; i++)
		if (strcmp(f->cases[i].id, id) == 0)
			return &f->cases[i];
	return NULL;
}

int lcase_call(struct lcase_file *f, const struct lcase_meta *c,
	       int64_t deadline_ns, char *err, size_t errlen)
{
	lua_State *L = f->L;
	int arg = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->run_ref);
	lua_insert(L, arg); /* function below its argument */
	f->instr_used = 0;
	f->instr_limit = f->limits.max_instructions;
	f->deadline_ns = deadline_ns;
	f->hook_reason = HOOK_NONE;
	lua_sethook(L, limit_hook, LUA_MASKCOUNT, HOOK_STEP);
	int rc = lua_pcall(L, 1, 0, 0);
	f->deadline_ns = 0;
	if (rc == LUA_OK)
		return 0;
	const char *msg = lua_tostring(L, -1);
	char line[512];
	snprintf(line, sizeof(line), "%s",
		 rc == LUA_ERRMEM ? "memory limit exceeded"
		 : msg != NULL    ? msg
				  : "error object is not a string");
	one_line(line);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "case %s: %s", c->id, line);
	lua_pop(L, 1);
	return WSP_E_INVAL;
}

static int id_digit(char c)
{
	return c >= '0' && c <= '9';
}

int lcase_id_cmp(const char *a, const char *b)
{
	/* Runs of digits compare as numbers of any length (leading zeros
	 * ignored, then the longer run is the larger number, then digit by
	 * digit); every other byte compares as itself.  Since a digit sorts
	 * the same against any non-digit byte, this is a total preorder on
	 * all strings, which qsort needs: results.json ids are arbitrary. */
	while (*a != '\0' && *b != '\0') {
		if (id_digit(*a) && id_digit(*b)) {
			while (*a == '0' && id_digit(a[1]))
				a++;
			while (*b == '0' && id_digit(b[1]))
				b++;
			size_t la = 0, lb = 0;
			while (id_digit(a[la]))
				la++;
			while (id_digit(b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = memcmp(a, b, la);
			if (c != 0)
				return c < 0 ? -1 : 1;
			a += la;
			b += lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	/* A shorter id ("2") sorts before its extensions ("2.1"). */
	if (*a == *b)
		return 0;
	return *a == '\0' ? -1 : 1;
}

int lcase_pattern_match(const char *p, const char *s)
{
	/* Iterative wildcard match with one backtrack point: linear enough
	 * for case ids, no recursion on hostile patterns. */
	const char *star = NULL, *resume = NULL;
	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}
