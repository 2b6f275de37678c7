/*
 * lsess.c: the session object Lua cases drive (docs/cases.md is the
 * guide).  Each method checks its arguments and maps onto sess.h; what a
 * case states about the expected outcome is collected in the
 * struct run_expect of its context for the runner to judge.
 *
 * Sending after the peer has closed is not an error: a case keeps going
 * and its sends do nothing, as in Autobahn, since a peer that fails the
 * connection early is often exactly what the case wants to see.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "run.h"
#include "wsf.h"
#include "wsp_err.h"
#include "zcache.h"

#define SESS_MT "wsprobe.session"

struct lsess {
	struct run_case_ctx *ctx;
};

static struct run_case_ctx *check_ctx(lua_State *L)
{
	struct lsess *u = luaL_checkudata(L, 1, SESS_MT);
	if (u->ctx == NULL)
		luaL_error(L, "a session object was used after its case ended");
	return u->ctx;
}

int lsess_ensure_open(struct run_case_ctx *ctx)
{
	if (ctx->open_tried)
		return ctx->open_failed;
	ctx->open_tried = 1;
	int rc;
	if (ctx->s->cfg.role == WSP_ROLE_CLIENT)
		rc = sess_connect(ctx->s, ctx->url, ctx->tls, NULL);
	else
		rc = sess_accept(ctx->s, ctx->server_open);
	ctx->open_failed = rc;
	return rc;
}

/* Opens implicitly; a failed handshake ends the script (the runner reports
 * the handshake error, not a script error). */
static void need_open(lua_State *L, struct run_case_ctx *ctx)
{
	if (lsess_ensure_open(ctx) != 0)
		luaL_error(L, "opening handshake failed: %s", ctx->s->open_error);
}

/* --- option tables ------------------------------------------------------ */

/* Is there an options table at index t (0: none given)? */
static int t_has(lua_State *L, int t)
{
	return t != 0 && !lua_isnoneornil(L, t);
}

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer def,
			   lua_Integer min, lua_Integer max)
{
	if (!t_has(L, t))
		return def;
	lua_getfield(L, t, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return def;
	}
	int ok;
	lua_Integer v = lua_tointegerx(L, -1, &ok);
	if (!ok || v < min || v > max)
		luaL_error(L, "option '%s' must be an integer from %I to %I", k,
			   min, max);
	lua_pop(L, 1);
	return v;
}

static int opt_bool(lua_State *L, int t, const char *k, int def)
{
	if (!t_has(L, t))
		return def;
	lua_getfield(L, t, k);
	int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
	lua_pop(L, 1);
	return v;
}

/* The options from and to of table t, as string.sub takes them (1-based,
 * inclusive, positive only), over a string of len bytes: the offset of
 * the first byte, and *n bytes from there (0 when to = from - 1). */
static size_t opt_range(lua_State *L, int t, size_t len, size_t *n)
{
	lua_Integer from = opt_int(L, t, "from", 1, 1, (lua_Integer)len + 1);
	lua_Integer to = opt_int(L, t, "to", (lua_Integer)len, from - 1,
				 (lua_Integer)len);
	*n = (size_t)(to - from + 1);
	return (size_t)(from - 1);
}

static void write_opts(lua_State *L, int t, struct sess_write *w)
{
	memset(w, 0, sizeof(*w));
	if (t != 0 && !lua_isnoneornil(L, t))
		luaL_checktype(L, t, LUA_TTABLE);
	w->chop = (size_t)opt_int(L, t, "chop", 0, 0, 1 << 30);
	w->sync = opt_bool(L, t, "sync", 0);
	w->chop_delay_us = (int64_t)opt_int(L, t, "delay_us", 0, 0, 10000000);
}

/* --- sending ------------------------------------------------------------ */

static int send_message(lua_State *L, uint8_t opcode)
{
	struct run_case_ctx *ctx = check_ctx(L);
	size_t len;
	const char *p = luaL_checklstring(L, 2, &len);
	struct sess_write w;
	write_opts(L, 3, &w);
	/* (deflate-cases helper) opts.from/opts.to send bytes from..to of
	 * the string, as string.sub would cut them, without making that
	 * string: 12.x/13.x cut 18,000 windows of up to 128 KiB per
	 * subcategory, and each copy (and its garbage) cost more than the
	 * framing. */
	size_t from = opt_range(L, 3, len, &len);
	p += from;
	size_t fragment = (size_t)opt_int(L, 3, "fragment", 0, 0, 1 << 30);
	int compress = opt_bool(L, 3, "compress", -1);
	/* opts.reuse = name: the caller promises that bytes from..to of a
	 * string it calls name are always the same bytes, so their
	 * compressed form may be kept and sent again (harness/zcache.h). */
	struct sess_reuse reuse = { NULL, 0, (uint64_t)from };
	if (t_has(L, 3)) {
		lua_getfield(L, 3, "reuse");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "option 'reuse' must be a string");
			reuse.name = lua_tolstring(L, -1, &reuse.name_len);
			if (reuse.name_len == 0 || reuse.name_len > ZC_NAME_MAX)
				return luaL_error(L, "option 'reuse' must be 1 to %d bytes",
						  ZC_NAME_MAX);
		}
		lua_pop(L, 1); /* the name stays alive in the options table */
	}
	need_open(L, ctx);
	sess_send_message_reused(ctx->s, opcode, (const uint8_t *)p, len,
				 fragment, compress, &w,
				 reuse.name != NULL ? &reuse : NULL);
	return 0;
}

static int l_send_text(lua_State *L)
{
	return send_message(L, WSP_OP_TEXT);
}

static int l_send_binary(lua_State *L)
{
	return send_message(L, WSP_OP_BINARY);
}

static int send_control(lua_State *L, uint8_t opcode)
{
	struct run_case_ctx *ctx = check_ctx(L);
	size_t len;
	const char *p = luaL_optlstring(L, 2, "", &len);
	struct sess_write w;
	write_opts(L, 3, &w);
	need_open(L, ctx);
	struct sess_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = opcode;
	f.mask = -1;
	f.payload = (const uint8_t *)p;
	f.len = len;
	sess_send_frames(ctx->s, &f, 1, &w);
	return 0;
}

static int l_send_ping(lua_State *L)
{
	return send_control(L, WSP_OP_PING);
}

static int l_send_pong(lua_State *L)
{
	return send_control(L, WSP_OP_PONG);
}

/* s:send_close([code [, reason]] [, opts]) */
static int l_send_close(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	uint8_t payload[2 + 65536];
	size_t plen = 0;
	int opts = 0;
	if (lua_isinteger(L, 2)) {
		lua_Integer code = lua_tointeger(L, 2);
		if (code < 0 || code > 65535)
			return luaL_error(L, "close code must be 0..65535");
		size_t rlen = 0;
		const char *r = NULL;
		if (lua_type(L, 3) == LUA_TSTRING) {
			r = lua_tolstring(L, 3, &rlen);
			opts = 4;
		} else {
			opts = 3;
		}
		if (rlen > sizeof(payload) - 2)
			return luaL_error(L, "close reason too long");
		int n = wsc_build(payload, sizeof(payload), 1, (unsigned)code,
				  (const uint8_t *)r, rlen);
		plen = n > 0 ? (size_t)n : 0;
	} else {
		opts = 2;
	}
	struct sess_write w;
	write_opts(L, opts, &w);
	need_open(L, ctx);
	struct sess_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = WSP_OP_CLOSE;
	f.mask = -1;
	f.payload = payload;
	f.len = plen;
	f.protocol_close = 1;
	sess_send_frames(ctx->s, &f, 1, &w);
	return 0;
}

/* s:send_frame{opcode=, payload=, fin=, rsv=, mask=, key=, len_form=,
 *              payload_len=, chop=, sync=} */
static int l_send_frame(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	struct sess_frame f;
	memset(&f, 0, sizeof(f));
	f.opcode = (uint8_t)opt_int(L, 2, "opcode", -1, 0, 15);
	lua_getfield(L, 2, "opcode");
	if (lua_isnil(L, -1))
		return luaL_error(L, "send_frame needs an opcode");
	lua_pop(L, 1);
	f.fin = (uint8_t)opt_bool(L, 2, "fin", 1);
	f.rsv = (uint8_t)opt_int(L, 2, "rsv", 0, 0, 7);
	lua_getfield(L, 2, "mask");
	f.mask = lua_isnil(L, -1) ? -1 : lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, 2, "key");
	if (!lua_isnil(L, -1)) {
		size_t kl;
		const char *k = lua_tolstring(L, -1, &kl);
		if (k == NULL || kl != 4)
			return luaL_error(L, "key must be a 4-byte string");
		memcpy(f.key, k, 4);
		f.has_key = 1;
	}
	lua_pop(L, 1);
	lua_Integer form = opt_int(L, 2, "len_form", 0, 0, 64);
	if (form != 0 && form != 7 && form != 16 && form != 64)
		return luaL_error(L, "len_form must be 7, 16 or 64");
	f.len_form = (uint8_t)form;
	lua_getfield(L, 2, "payload_len");
	if (!lua_isnil(L, -1)) {
		int ok;
		lua_Integer v = lua_tointegerx(L, -1, &ok);
		if (!ok)
			return luaL_error(L, "payload_len must be an integer");
		/* Negative values wrap, so -1 announces 2^64-1 and
		 * math.mininteger announces 2^63. */
		f.announced = (uint64_t)v;
		f.has_announced = 1;
	}
	lua_pop(L, 1);
	lua_getfield(L, 2, "payload");
	size_t len = 0;
	const char *p = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &len);
	if (p == NULL)
		return luaL_error(L, "payload must be a string");
	f.payload = (const uint8_t *)p;
	f.len = len;
	struct sess_write w;
	write_opts(L, 2, &w);
	need_open(L, ctx);
	sess_send_frames(ctx->s, &f, 1, &w);
	lua_pop(L, 1); /* payload, kept on the stack while sending */
	return 0;
}

/* Encodes the frame { opcode, payload [, fin = false] [, rsv = n] } at
 * index idx into a Lua string pushed on the stack; with parts, pushes the
 * header and the (masked) payload as two strings. */
static void push_encoded(lua_State *L, struct run_case_ctx *ctx, int idx,
			 int parts)
{
	luaL_checktype(L, idx, LUA_TTABLE);
	struct sess_frame f;
	memset(&f, 0, sizeof(f));
	lua_geti(L, idx, 1);
	int ok;
	lua_Integer op = lua_tointegerx(L, -1, &ok);
	if (!ok || op < 0 || op > 15)
		luaL_error(L, "a frame is { opcode, payload [, fin = false] }");
	lua_pop(L, 1);
	lua_geti(L, idx, 2);
	size_t len = 0;
	const char *p = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &len);
	if (p == NULL)
		luaL_error(L, "a frame's payload must be a string");
	f.opcode = (uint8_t)op;
	f.fin = (uint8_t)opt_bool(L, idx, "fin", 1);
	f.rsv = (uint8_t)opt_int(L, idx, "rsv", 0, 0, 7);
	f.mask = -1;
	f.payload = (const uint8_t *)p;
	f.len = len;
	size_t n;
	uint8_t *b = sess_encode_frame(ctx->s, &f, &n);
	lua_pop(L, 1); /* payload */
	if (b == NULL)
		luaL_error(L, "not enough memory");
	if (parts) {
		lua_pushlstring(L, (const char *)b, n - len);
		lua_pushlstring(L, (const char *)b + (n - len), len);
	} else {
		lua_pushlstring(L, (const char *)b, n);
	}
	free(b);
}

/* s:frames{ {opcode, payload [, fin = false] [, rsv = n]}, ... } -> bytes:
 * the frames encoded as this side sends them (masked by role with keys
 * from the session's seeded generator), for one s:send_raw write. */
static int l_frames(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_Buffer buf;
	lua_Integer n = luaL_len(L, 2);
	luaL_buffinit(L, &buf);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, 2, i);
		push_encoded(L, ctx, lua_gettop(L), 0);
		lua_remove(L, -2);
		luaL_addvalue(&buf);
	}
	luaL_pushresult(&buf);
	return 1;
}

/* s:frame_parts(opcode, fin, payload) -> header, masked payload: one frame
 * split so that it can be written in pieces. */
static int l_frame_parts(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_Integer op = luaL_checkinteger(L, 2);
	int fin = lua_toboolean(L, 3);
	luaL_checkstring(L, 4);
	lua_createtable(L, 2, 1);
	lua_pushinteger(L, op);
	lua_rawseti(L, -2, 1);
	lua_pushvalue(L, 4);
	lua_rawseti(L, -2, 2);
	lua_pushboolean(L, fin);
	lua_setfield(L, -2, "fin");
	push_encoded(L, ctx, lua_gettop(L), 1);
	return 2;
}

/* s:send_raw(bytes [, opts]) */
static int l_send_raw(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	size_t len;
	const char *p = luaL_checklstring(L, 2, &len);
	struct sess_write w;
	write_opts(L, 3, &w);
	need_open(L, ctx);
	sess_send_raw(ctx->s, (const uint8_t *)p, len, &w);
	return 0;
}

/* --- waiting ------------------------------------------------------------ */

/* s:pause(seconds [, tag]) */
static int l_pause(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_Number sec = luaL_checknumber(L, 2);
	if (!(sec >= 0) || sec > 3600)
		return luaL_error(L, "pause takes 0 to 3600 seconds");
	size_t tl = 0;
	const char *tag = luaL_optlstring(L, 3, NULL, &tl);
	need_open(L, ctx);
	struct clk_deadline dl =
		clk_deadline_in_ms(sess_scaled_ms(ctx->s, (double)sec));
	while (!clk_expired(dl) && ctx->s->state != SESS_CLOSED)
		sess_pump(ctx->s, dl, 0);
	if (tag != NULL)
		sess_mark_timeout(ctx->s, tag, tl);
	return 0;
}

/* Where two byte strings first differ (1-based), or 0 when they are the
 * same; a string that is a prefix of the other differs just after it. */
static size_t first_difference(const uint8_t *a, size_t alen,
			       const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	if (n == 0 || memcmp(a, b, n) == 0)
		return alen == blen ? 0 : n + 1;
	size_t i = 0;
	while (a[i] == b[i])
		i++;
	return i + 1;
}

/* s:receive([seconds [, compare]]) -> {type=, opcode=, data=} or nil.
 * With compare = { str, from = i, to = j } the event has len and
 * differs_at (nil when the message is bytes i..j of str, else the first
 * byte that differs) instead of data: the echo cases (12.x, 13.x) check
 * 18,000 echoes per subcategory, and pushing each into Lua first was one
 * more copy of it and more garbage. */
static int l_receive(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_Number sec = luaL_optnumber(L, 2, 10);
	if (!(sec >= 0) || sec > 3600)
		return luaL_error(L, "receive takes 0 to 3600 seconds");
	const uint8_t *want = NULL;
	size_t want_len = 0;
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		lua_rawgeti(L, 3, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			return luaL_error(L, "receive: compare[1] must be a string");
		size_t n;
		const char *str = lua_tolstring(L, -1, &n);
		want = (const uint8_t *)str + opt_range(L, 3, n, &want_len);
		/* The string stays referenced from the table at index 3. */
		lua_pop(L, 1);
	}
	need_open(L, ctx);
	/* (deflate-cases helper) Events handed out earlier were copied into
	 * Lua and are judged by nobody (the verdict skips consumed events):
	 * free them, so 1000 round trips of 128 KiB (12.x, 13.x) do not keep
	 * 128 MiB per case. */
	sess_release_consumed(ctx->s);
	struct clk_deadline dl =
		clk_deadline_in_ms(sess_scaled_ms(ctx->s, (double)sec));
	const struct sess_event *e = sess_next_event(ctx->s, dl);
	if (e == NULL) {
		lua_pushnil(L);
		return 1;
	}
	lua_createtable(L, 0, 3);
	lua_pushstring(L, e->type == VD_EV_PONG	   ? "pong"
			  : e->opcode == WSP_OP_TEXT ? "text"
						     : "binary");
	lua_setfield(L, -2, "type");
	lua_pushinteger(L, e->opcode);
	lua_setfield(L, -2, "opcode");
	if (want != NULL) {
		lua_pushinteger(L, (lua_Integer)e->len);
		lua_setfield(L, -2, "len");
		size_t at = first_difference(e->data, e->len, want, want_len);
		if (at != 0) {
			lua_pushinteger(L, (lua_Integer)at);
			lua_setfield(L, -2, "differs_at");
		}
	} else {
		lua_pushlstring(L, (const char *)e->data, e->len);
		lua_setfield(L, -2, "data");
	}
	/* (limits-cases helper, category 9) Free it now too, not only at
	 * the next receive: Lua holds its own copy, and a 16 MiB echo
	 * (9.1.6) need not be kept twice while the case compares it.  e is
	 * invalid from here on. */
	sess_release_consumed(ctx->s);
	return 1;
}

/* s:stop_wirelog(): the bytes from here on are counted but not kept in
 * the wire log (Autobahn switches its wire log off for the bulk cases 9.x,
 * 12.x and 13.x).  (deflate-cases helper) */
static int l_stop_wirelog(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	/* With --pcap the whole log is wanted (up to --pcap-max): the
	 * capture is written from it (capcase.h). */
	if (ctx->pcap != NULL)
		return 0;
	if (ctx->s->cfg.wirelog_max > ctx->s->wire_len)
		ctx->s->cfg.wirelog_max = ctx->s->wire_len;
	return 0;
}

/* s:close([code [, reason]]): the closing handshake, now. */
static int l_close(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	need_open(L, ctx);
	if (lua_isinteger(L, 2)) {
		lua_Integer code = lua_tointeger(L, 2);
		if (code < 0 || code > 65535)
			return luaL_error(L, "close code must be 0..65535");
		size_t rl = 0;
		const char *r = luaL_optlstring(L, 3, NULL, &rl);
		sess_close(ctx->s, 1, (uint16_t)code, r, rl);
	} else {
		sess_close(ctx->s, 0, 0, NULL, 0);
	}
	return 0;
}

/* --- expectations ------------------------------------------------------- */

static uint8_t *keep_payload(lua_State *L, struct run_expect *x,
			     const char *p, size_t n)
{
	uint8_t **np = realloc(x->payloads, (x->npayloads + 1) * sizeof(*np));
	if (np == NULL)
		luaL_error(L, "not enough memory");
	x->payloads = np;
	uint8_t *copy = malloc(n ? n : 1);
	if (copy == NULL)
		luaL_error(L, "not enough memory");
	memcpy(copy, p, n);
	x->payloads[x->npayloads++] = copy;
	return copy;
}

/* Reads the event list at the top of the stack into x. */
static void read_list(lua_State *L, struct run_expect *x, enum vd_behavior name)
{
	if (x->nlists == RUN_MAX_EXPECT)
		luaL_error(L, "too many expectation lists");
	luaL_checktype(L, -1, LUA_TTABLE);
	lua_Integer n = luaL_len(L, -1);
	if (n < 0 || n > 100000)
		luaL_error(L, "expectation list too long");
	size_t first = x->nevents;
	struct vd_event *ne =
		realloc(x->events, (x->nevents + (size_t)n + 1) * sizeof(*ne));
	if (ne == NULL)
		luaL_error(L, "not enough memory");
	x->events = ne;
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, -1, i);
		if (!lua_istable(L, -1))
			luaL_error(L, "expected event %d must be a table such as "
				      "{ \"text\", \"Hello\" }",
				   (int)i);
		lua_geti(L, -1, 1);
		const char *kind = lua_tostring(L, -1);
		lua_geti(L, -2, 2);
		size_t plen = 0;
		const char *p = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &plen);
		if (kind == NULL || p == NULL)
			luaL_error(L, "expected event %d: a kind and a payload string",
				   (int)i);
		struct vd_event *e = &x->events[x->nevents];
		memset(e, 0, sizeof(*e));
		if (strcmp(kind, "text") == 0) {
			e->type = VD_EV_MESSAGE;
			e->opcode = WSP_OP_TEXT;
		} else if (strcmp(kind, "binary") == 0) {
			e->type = VD_EV_MESSAGE;
			e->opcode = WSP_OP_BINARY;
		} else if (strcmp(kind, "pong") == 0) {
			e->type = VD_EV_PONG;
		} else if (strcmp(kind, "timeout") == 0) {
			e->type = VD_EV_TIMEOUT;
		} else {
			luaL_error(L, "expected event %d: kind must be text, binary, "
				      "pong or timeout",
				   (int)i);
		}
		e->data = keep_payload(L, x, p, plen);
		e->len = plen;
		x->nevents++;
		lua_pop(L, 3);
	}
	/* Lists point into x->events, which may move on the next realloc:
	 * store offsets now and fix pointers in run_play. */
	x->lists[x->nlists].name = name;
	x->lists[x->nlists].events = (const struct vd_event *)(uintptr_t)first;
	x->lists[x->nlists].nevents = x->nevents - first;
	x->nlists++;
}

/* s:expect{ ok = {...}, non_strict = {...}, informational = {...} } */
static int l_expect(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	static const struct {
		const char *key;
		enum vd_behavior name;
	} keys[] = {{"ok", VD_OK},
		    {"non_strict", VD_NON_STRICT},
		    {"informational", VD_INFORMATIONAL}};
	ctx->x.nlists = 0;
	ctx->x.nevents = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		lua_getfield(L, 2, keys[i].key);
		if (!lua_isnil(L, -1))
			read_list(L, &ctx->x, keys[i].name);
		lua_pop(L, 1);
	}
	if (ctx->x.nlists == 0)
		return luaL_error(L, "expect needs at least an 'ok' list");
	return 0;
}

/* s:expect_close{ by_me = bool, codes = {...}, clean = bool } */
static int l_expect_close(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	struct run_expect *x = &ctx->x;
	x->has_close = 1;
	x->close.closed_by_me = opt_bool(L, 2, "by_me", 1);
	x->close.require_clean = opt_bool(L, 2, "clean", 1);
	x->close.ncodes = 0;
	lua_getfield(L, 2, "codes");
	if (!lua_isnil(L, -1)) {
		luaL_checktype(L, -1, LUA_TTABLE);
		lua_Integer n = luaL_len(L, -1);
		if (n > RUN_MAX_CODES)
			return luaL_error(L, "at most %d close codes",
					  RUN_MAX_CODES);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_geti(L, -1, i);
			int ok;
			lua_Integer c = lua_tointegerx(L, -1, &ok);
			if (!ok || c < 0 || c > 65535)
				return luaL_error(L, "close codes are 0..65535");
			x->codes[x->close.ncodes++] = (uint16_t)c;
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	x->close.codes = x->codes;
	return 0;
}

/* s:rules{ wrong_code_fails = bool, wrong_endpoint_fails = bool,
 *          informational = bool } */
static int l_rules(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	ctx->x.rules.wrong_code_fails_behavior =
		opt_bool(L, 2, "wrong_code_fails", 0);
	ctx->x.rules.wrong_endpoint_fails_behavior =
		opt_bool(L, 2, "wrong_endpoint_fails", 0);
	ctx->x.rules.informational = opt_bool(L, 2, "informational", 0);
	return 0;
}

/* s:verdict(name [, reason]): the case judges behavior itself. */
static int l_verdict(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	const char *name = luaL_checkstring(L, 2);
	int b = vd_behavior_parse(name);
	if (b < 0)
		return luaL_error(L, "verdict must be OK, NON-STRICT, FAILED, "
				     "INFORMATIONAL or UNIMPLEMENTED");
	const char *reason = luaL_optstring(L, 3, name);
	ctx->x.rules.behavior_set = 1;
	ctx->x.rules.behavior = (enum vd_behavior)b;
	snprintf(ctx->x.behavior_reason, sizeof(ctx->x.behavior_reason), "%s",
		 reason);
	ctx->x.rules.behavior_reason = ctx->x.behavior_reason;
	return 0;
}

static int set_timer(lua_State *L, int kind)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_Number sec = luaL_checknumber(L, 2);
	if (!(sec >= 0) || sec > 3600)
		return luaL_error(L, "timers take 0 to 3600 seconds");
	ctx->x.timer = kind;
	ctx->x.timer_s = (double)sec;
	return 0;
}

static int l_close_after(lua_State *L)
{
	return set_timer(L, 1);
}

static int l_kill_after(lua_State *L)
{
	return set_timer(L, 2);
}

#define OPEN_MAX_LIST 16

/* Reads a list of strings at key of table t into out[0..max); the strings
 * stay valid while the table is on the stack.  Returns the count. */
static size_t str_list(lua_State *L, int t, const char *key, const char **out,
		       size_t max)
{
	lua_getfield(L, t, key);
	size_t n = 0;
	if (!lua_isnil(L, -1)) {
		luaL_checktype(L, -1, LUA_TTABLE);
		lua_Integer len = luaL_len(L, -1);
		if (len > (lua_Integer)max)
			luaL_error(L, "open: '%s' has more than %d entries", key,
				   (int)max);
		for (lua_Integer i = 1; i <= len; i++) {
			lua_geti(L, -1, i);
			out[n] = lua_tostring(L, -1);
			if (out[n] == NULL)
				luaL_error(L, "open: '%s' must list strings", key);
			n++;
			lua_pop(L, 1); /* the table keeps the string alive */
		}
	}
	lua_pop(L, 1);
	return n;
}

static const char *opt_str(lua_State *L, int t, const char *key)
{
	lua_getfield(L, t, key);
	const char *v = lua_isnil(L, -1) ? NULL : lua_tostring(L, -1);
	if (!lua_isnil(L, -1) && v == NULL)
		luaL_error(L, "open: '%s' must be a string", key);
	lua_pop(L, 1);
	return v;
}

/* Header edits: set = { Name = "value" | false }, headers = { {n, v}, ... },
 * raw = "...", eol = "\n". */
static void read_edits(lua_State *L, int t, struct hs_edits *e,
		       struct hs_field *set, struct hs_field *add)
{
	memset(e, 0, sizeof(*e));
	lua_getfield(L, t, "set");
	if (!lua_isnil(L, -1)) {
		luaL_checktype(L, -1, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			if (e->nset == OPEN_MAX_LIST)
				luaL_error(L, "open: too many 'set' headers");
			if (lua_type(L, -2) != LUA_TSTRING)
				luaL_error(L, "open: 'set' keys are header names");
			set[e->nset].name = lua_tostring(L, -2);
			set[e->nset].value = lua_type(L, -1) == LUA_TSTRING
						     ? lua_tostring(L, -1)
						     : NULL;
			e->nset++;
			lua_pop(L, 1);
		}
		e->set = set;
	}
	lua_pop(L, 1);
	lua_getfield(L, t, "headers");
	if (!lua_isnil(L, -1)) {
		luaL_checktype(L, -1, LUA_TTABLE);
		lua_Integer len = luaL_len(L, -1);
		if (len > OPEN_MAX_LIST)
			luaL_error(L, "open: too many 'headers'");
		for (lua_Integer i = 1; i <= len; i++) {
			lua_geti(L, -1, i);
			luaL_checktype(L, -1, LUA_TTABLE);
			lua_geti(L, -1, 1);
			lua_geti(L, -2, 2);
			add[e->nadd].name = lua_tostring(L, -2);
			add[e->nadd].value = lua_tostring(L, -1);
			if (add[e->nadd].name == NULL || add[e->nadd].value == NULL)
				luaL_error(L, "open: headers are { name, value }");
			e->nadd++;
			lua_pop(L, 3);
		}
		e->add = add;
	}
	lua_pop(L, 1);
	lua_getfield(L, t, "raw");
	if (!lua_isnil(L, -1))
		e->raw = lua_tolstring(L, -1, &e->raw_len);
	lua_pop(L, 1);
	e->eol = opt_str(L, t, "eol");
}

#define OPEN_MAX_ANSWERS 8

/* Reads one permessage-deflate answer at index d: true, or a table
 * { server_no_context_takeover = bool, client_no_context_takeover = bool,
 *   server_max_window_bits = n, client_max_window_bits = n,
 *   only_if_offered = bool }.  With only_if_offered, the client parameters
 * asked for are asked only of offers that carry them, as Autobahn's 13.x
 * server does; other offers are not answered with this configuration. */
static void read_answer(lua_State *L, int d, struct sess_pmd_answer *a)
{
	memset(a, 0, sizeof(*a));
	pmd_server_cfg_init(&a->cfg);
	if (!lua_istable(L, d)) {
		if (!lua_toboolean(L, d))
			luaL_error(L, "open: a deflate answer is true or a table");
		return;
	}
	a->cfg.server_no_context_takeover =
		opt_bool(L, d, "server_no_context_takeover", 0);
	a->cfg.client_no_context_takeover =
		opt_bool(L, d, "client_no_context_takeover", 0);
	a->cfg.server_max_window_bits =
		(int)opt_int(L, d, "server_max_window_bits", 15, 8, 15);
	a->cfg.client_max_window_bits =
		(int)opt_int(L, d, "client_max_window_bits", 15, 8, 15);
	if (opt_bool(L, d, "only_if_offered", 0)) {
		a->need_client_no_context_takeover =
			a->cfg.client_no_context_takeover;
		lua_getfield(L, d, "client_max_window_bits");
		a->need_client_max_window_bits = !lua_isnil(L, -1);
		lua_pop(L, 1);
	}
}

/* s:open([opts]) -> true | false, reason
 *
 * Client role: extensions = { offer, ... }, protocols = { ... },
 *   origin, path, method, http_version, key (literal Sec-WebSocket-Key),
 *   version (Sec-WebSocket-Version), host, plus the edits set, headers, raw,
 *   eol (docs/cases.md).
 * Server role: deflate = true | { server_no_context_takeover = bool,
 *   client_no_context_takeover = bool, server_max_window_bits = n,
 *   client_max_window_bits = n, only_if_offered = bool } to accept
 *   permessage-deflate, or a list of such answers tried in order,
 *   protocols = { ... } we accept, and the edits for the 101 response. */
static int l_open(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	if (ctx->open_tried)
		return luaL_error(L, "the session is already open");
	int t = lua_isnoneornil(L, 2) ? 0 : 2;
	if (t)
		luaL_checktype(L, t, LUA_TTABLE);
	const char *exts[OPEN_MAX_LIST], *protos[OPEN_MAX_LIST];
	struct hs_field set[OPEN_MAX_LIST], add[OPEN_MAX_LIST];
	struct sess_open_opts o;
	memset(&o, 0, sizeof(o));
	struct sess_pmd_answer answers[OPEN_MAX_ANSWERS];
	int rc;
	ctx->open_tried = 1;
	if (ctx->s->cfg.role == WSP_ROLE_CLIENT) {
		if (t) {
			o.req.nextensions = str_list(L, t, "extensions", exts,
						     OPEN_MAX_LIST);
			o.req.extensions = exts;
			o.req.nprotocols = str_list(L, t, "protocols", protos,
						    OPEN_MAX_LIST);
			o.req.protocols = protos;
			o.req.origin = opt_str(L, t, "origin");
			o.req.target = opt_str(L, t, "path");
			o.req.method = opt_str(L, t, "method");
			o.req.http_version = opt_str(L, t, "http_version");
			o.req.key = opt_str(L, t, "key");
			o.req.ws_version = opt_str(L, t, "version");
			o.req.host = opt_str(L, t, "host");
			read_edits(L, t, &o.req.edits, set, add);
		}
		rc = sess_connect(ctx->s, ctx->url, ctx->tls, &o);
	} else {
		if (ctx->server_open != NULL)
			o = *ctx->server_open;
		if (t) {
			lua_getfield(L, t, "deflate");
			if (lua_istable(L, -1) && lua_rawlen(L, -1) > 0) {
				/* (deflate-cases helper) A list of answers,
				 * tried in order (Autobahn 13.7). */
				int d = lua_gettop(L);
				size_t na = lua_rawlen(L, d);
				if (na > OPEN_MAX_ANSWERS)
					return luaL_error(L, "open: at most %d "
							     "deflate answers",
							  OPEN_MAX_ANSWERS);
				for (size_t i = 0; i < na; i++) {
					lua_rawgeti(L, d, (lua_Integer)i + 1);
					read_answer(L, lua_gettop(L), &answers[i]);
					lua_pop(L, 1);
				}
				o.pmd = NULL;
				o.pmd_answers = answers;
				o.npmd_answers = na;
			} else if (lua_toboolean(L, -1)) {
				read_answer(L, lua_gettop(L), &answers[0]);
				o.pmd = NULL;
				o.pmd_answers = answers;
				o.npmd_answers = 1;
			}
			lua_pop(L, 1);
			size_t np = str_list(L, t, "protocols", protos, OPEN_MAX_LIST);
			if (np > 0) {
				o.protocols = protos;
				o.nprotocols = np;
			}
			read_edits(L, t, &o.resp_edits, set, add);
		}
		rc = sess_accept(ctx->s, &o);
	}
	ctx->open_failed = rc;
	if (rc != 0) {
		lua_pushboolean(L, 0);
		lua_pushstring(L, ctx->s->open_error);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* --- the coverage cases (cases/22_*, issue 4) --------------------------- */

/* s:peer_frames([max]) -> { {opcode=, fin=, rsv=, masked=, key=, len=}, ...
 * }, complete: the headers of the frames the peer sent so far, in order,
 * read back from the wire log (the bytes after the peer's HTTP head), so a
 * case can judge what the session does not keep, such as the masking key
 * of every client frame (R6455-5.3-02).  key is the 4-byte key as a string
 * (nil when unmasked), len the announced payload length.  At most max
 * (default 100000) headers are returned; complete is false when the wire
 * log was cut (wirelog_max, s:stop_wirelog) so later frames are missing. */
static int l_peer_frames(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_Integer max = luaL_optinteger(L, 2, 100000);
	luaL_argcheck(L, max >= 0 && max <= 1000000, 2, "0 to 1000000 frames");
	const struct sess *s = ctx->s;
	struct wsf_decoder d;
	wsf_decoder_init(&d, NULL);
	static const char term[4] = {'\r', '\n', '\r', '\n'};
	size_t matched = 0;
	int in_frames = 0;
	lua_Integer n = 0;
	uint8_t buf[4096];
	lua_newtable(L);
	for (size_t i = 0; i < s->nrecs && n < max; i++) {
		if (s->recs[i].dir != 1)
			continue;
		const uint8_t *p = s->wire + s->recs[i].off;
		size_t len = s->recs[i].len;
		while (!in_frames && len > 0) {
			if (*p == (uint8_t)term[matched])
				matched++;
			else
				matched = *p == '\r';
			p++;
			len--;
			in_frames = matched == sizeof(term);
		}
		while (len > 0 && n < max) {
			size_t k = len < sizeof(buf) ? len : sizeof(buf);
			memcpy(buf, p, k); /* the decoder unmasks in place */
			size_t off = 0;
			while (off < k && n < max) {
				struct wsf_event ev;
				ssize_t c = wsf_decode(&d, buf + off, k - off, &ev);
				if (c < 0)
					break;
				off += (size_t)c;
				if (ev.flags & WSF_EV_HEADER) {
					const struct wsf_header *h = ev.hdr;
					lua_createtable(L, 0, 6);
					lua_pushinteger(L, h->opcode);
					lua_setfield(L, -2, "opcode");
					lua_pushboolean(L, h->fin);
					lua_setfield(L, -2, "fin");
					lua_pushinteger(L, h->rsv);
					lua_setfield(L, -2, "rsv");
					lua_pushboolean(L, h->masked);
					lua_setfield(L, -2, "masked");
					if (h->masked) {
						lua_pushlstring(L, (const char *)
								   h->mask_key, 4);
						lua_setfield(L, -2, "key");
					}
					lua_pushinteger(L, (lua_Integer)h->payload_len);
					lua_setfield(L, -2, "len");
					lua_rawseti(L, -2, ++n);
				}
				if (c == 0 && ev.flags == 0 && ev.len == 0)
					break;
			}
			p += k;
			len -= k;
		}
	}
	lua_pushboolean(L, !s->wire_truncated);
	return 2;
}

/* s:respond{ status = 403, reason = "...", status_line = "...",
 *            upgrade = bool, body = "...", set/headers/raw/eol }
 *   -> true | false, why
 * Server role, instead of s:open: answers the client's request with a
 * response that is not a 101 (R6455-4.1-42).  status and reason make the
 * status line (status_line replaces it verbatim); upgrade = true adds the
 * headers of a valid 101 (Upgrade, Connection, the right
 * Sec-WebSocket-Accept), so a client that looks only at the headers is
 * caught; body is written right after the head (for example the bytes of
 * a frame, as if the connection were open); the edits are those of
 * s:open.  The session never opens: the
 * other methods then fail as after a refused handshake, except
 * s:read_raw. */
static int l_respond(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	struct sess *s = ctx->s;
	if (s->cfg.role != WSP_ROLE_SERVER)
		return luaL_error(L, "respond is for the server role");
	if (ctx->open_tried)
		return luaL_error(L, "the session is already open");
	luaL_checktype(L, 2, LUA_TTABLE);
	int status = (int)opt_int(L, 2, "status", 0, 0, 999);
	const char *line = opt_str(L, 2, "status_line");
	if (status == 101 || (status == 0 && line == NULL))
		return luaL_error(L, "respond needs a status other than 101 "
				     "or a status_line (s:open sends a 101)");
	struct hs_resp_desc rd;
	memset(&rd, 0, sizeof(rd));
	struct hs_field set[OPEN_MAX_LIST], add[OPEN_MAX_LIST];
	read_edits(L, 2, &rd.edits, set, add);
	rd.reason = opt_str(L, 2, "reason");
	char first[256], keybuf[128];
	if (opt_bool(L, 2, "upgrade", 0)) {
		/* status 101 makes hs_build_response write the handshake
		 * headers; the status line is ours. */
		if (line == NULL) {
			snprintf(first, sizeof(first), "HTTP/1.1 %d %s", status,
				 rd.reason ? rd.reason : hs_reason_phrase(status));
			line = first;
		}
		struct hs_header hdrs[64];
		struct hs_msg m;
		hs_msg_init(&m, hdrs, 64);
		m.max_head = s->http_request_len;
		const struct hs_header *key = NULL;
		if (s->http_request != NULL &&
		    hs_parse_request(&m, s->http_request, s->http_request_len,
				     0) > 0)
			key = hs_find(&m, "Sec-WebSocket-Key");
		if (key == NULL || key->value_len >= sizeof(keybuf))
			return luaL_error(L, "respond: the request has no usable "
					     "Sec-WebSocket-Key");
		memcpy(keybuf, key->value, key->value_len);
		keybuf[key->value_len] = '\0';
		rd.key = keybuf;
		rd.status = 101;
	} else {
		rd.status = status != 0 ? status : 200;
	}
	rd.status_line = line;
	ctx->open_tried = 1;
	ctx->open_failed = WSP_E_INVAL;
	snprintf(s->open_error, sizeof(s->open_error),
		 "the case answered the request without a 101");
	size_t blen = 0;
	lua_getfield(L, 2, "body");
	const char *body = lua_isnil(L, -1) ? NULL : lua_tolstring(L, -1, &blen);
	lua_pop(L, 1); /* the option table keeps the string alive */
	char resp[8192];
	int n = hs_build_response(&rd, resp, sizeof(resp));
	if (n >= 0 && blen > sizeof(resp) - (size_t)n)
		n = WSP_E_NOSPACE;
	if (n < 0) {
		lua_pushboolean(L, 0);
		lua_pushstring(L, wsp_strerror(n));
		return 2;
	}
	if (blen > 0) {
		memcpy(resp + n, body, blen);
		n += (int)blen;
	}
	free(s->http_response);
	s->http_response = malloc((size_t)n + 1);
	if (s->http_response != NULL) {
		memcpy(s->http_response, resp, (size_t)n);
		s->http_response[n] = '\0';
	}
	int rc = net_write_all(&s->conn, resp, (size_t)n,
			       clk_deadline_in_ms(sess_scaled_ms(s, 2.0)));
	if (rc != 0) {
		lua_pushboolean(L, 0);
		lua_pushstring(L, wsp_strerror(rc));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* Reads c until the peer ends the connection (returns 1), dl, or enough
 * bytes have arrived (0), at most 64 KiB, into the Lua buffer b. */
static int read_until_end(struct net_conn *c, luaL_Buffer *b, size_t enough,
			  struct clk_deadline dl)
{
	size_t total = 0;
	char chunk[4096];
	if (c->fd < 0)
		return 1;
	while (total < enough && total < 65536) {
		int n = net_read(c, chunk, sizeof(chunk), dl);
		if (n == WSP_E_NET_TIMEOUT)
			return 0;
		if (n <= 0)
			return 1;
		luaL_addlstring(b, chunk, (size_t)n);
		total += (size_t)n;
	}
	return 0;
}

/* s:read_raw([seconds [, enough]]) -> bytes, ended: after s:respond,
 * what the client sends until it ends the TCP connection (ended true: FIN,
 * reset or error), the deadline (default 2 s) or, once at least enough
 * bytes came (default: 64 KiB, the most returned), at once (ended false
 * in both cases). */
static int l_read_raw(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_Number sec = luaL_optnumber(L, 2, 2);
	if (!(sec >= 0) || sec > 3600)
		return luaL_error(L, "read_raw takes 0 to 3600 seconds");
	lua_Integer enough = luaL_optinteger(L, 3, 65536);
	luaL_argcheck(L, enough >= 1 && enough <= 65536, 3, "1 to 65536 bytes");
	struct sess *s = ctx->s;
	if (s->opened)
		return luaL_error(L, "read_raw is for a session s:respond "
				     "answered (the session is open)");
	struct clk_deadline dl =
		clk_deadline_in_ms(sess_scaled_ms(s, (double)sec));
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	int ended = read_until_end(&s->conn, &b, (size_t)enough, dl);
	luaL_pushresult(&b);
	lua_pushboolean(L, ended);
	return 2;
}

/* s:probe(bytes [, seconds [, same_transport]]) -> reply, ended: client
 * role, a second TCP connection to the target's host and port: writes
 * bytes, then returns what came back until the server ended the connection
 * (ended true) or the deadline (default 3 s; ended false), at most 64 KiB.
 * Plain TCP by default, even for a wss:// target: for what the server
 * does with plaintext on its TLS port (R6455-4.2.2-02).  With
 * same_transport true it speaks TLS when the session does, so a case can
 * send the server any request bytes over wss:// too (category 23).  A
 * connection (or TLS handshake) that cannot be made raises an error. */
static int l_probe(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	size_t len;
	const char *p = luaL_checklstring(L, 2, &len);
	lua_Number sec = luaL_optnumber(L, 3, 3);
	if (!(sec >= 0) || sec > 3600)
		return luaL_error(L, "probe takes 0 to 3600 seconds");
	int same = lua_toboolean(L, 4);
	if (ctx->s->cfg.role != WSP_ROLE_CLIENT || ctx->url == NULL)
		return luaL_error(L, "probe is for the client role");
	struct clk_deadline dl =
		clk_deadline_in_ms(sess_scaled_ms(ctx->s, (double)sec));
	struct net_conn c;
	net_conn_init(&c);
	int rc = net_connect(&c, ctx->url->host, ctx->url->port,
			     NET_FAMILY_ANY, dl);
	if (rc == 0 && same && ctx->tls != NULL)
		rc = net_tls_handshake(&c, ctx->tls, ctx->url->host, dl);
	if (rc != 0) {
		/* The message is copied by luaL_error before c goes. */
		lua_pushfstring(L, "probe: %s", c.errmsg);
		net_close(&c);
		return lua_error(L);
	}
	rc = net_write_all(&c, p, len, dl);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	int ended = rc != 0 && rc != WSP_E_NET_TIMEOUT;
	if (!ended)
		ended = read_until_end(&c, &b, 65536, dl);
	net_close(&c);
	luaL_pushresult(&b);
	lua_pushboolean(L, ended);
	return 2;
}

/* s:is_open() -> bool: the connection has not been closed yet. */
static int l_is_open(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	lua_pushboolean(L, ctx->s->opened && ctx->s->state != SESS_CLOSED);
	return 1;
}

static int l_index(lua_State *L)
{
	struct run_case_ctx *ctx = check_ctx(L);
	const char *k = luaL_checkstring(L, 2);
	if (strcmp(k, "role") == 0) {
		/* Our role; the peer under test plays the other. */
		lua_pushstring(L, ctx->s->cfg.role == WSP_ROLE_CLIENT ? "client"
								      : "server");
		return 1;
	}
	if (strcmp(k, "deflate") == 0) {
		lua_pushboolean(L, ctx->s->pmd_on);
		return 1;
	}
	if (strcmp(k, "elapsed") == 0) {
		/* (deflate-cases helper) Seconds since the session started,
		 * divided by --timeout-scale, so a case can keep an overall
		 * timeout (12.x, 13.x) in the units of its timers. */
		lua_pushnumber(L, (lua_Number)(clk_now_ns() - ctx->s->t0_ns) /
					  1e9 / ctx->s->cfg.timeout_scale);
		return 1;
	}
	if (strcmp(k, "peer_close_code") == 0) {
		/* (limits-cases helper, category 9) The code of the Close the
		 * peer sent, nil if none (yet), so a case can say "the peer
		 * closed with 1009 before echoing" in its reason. */
		if (ctx->s->has_remote_code)
			lua_pushinteger(L, ctx->s->remote_code);
		else
			lua_pushnil(L);
		return 1;
	}
	/* Added for the limit cases (cases/18_*): the close code the peer
	 * sent, nil when it sent none (yet), and its reason ("" if none). */
	if (strcmp(k, "close_code") == 0) {
		if (ctx->s->has_remote_code)
			lua_pushinteger(L, ctx->s->remote_code);
		else
			lua_pushnil(L);
		return 1;
	}
	if (strcmp(k, "close_reason") == 0) {
		lua_pushstring(L, ctx->s->remote_reason);
		return 1;
	}
	/* Added for the handshake cases (cases/14_*, 15_*): the opening
	 * handshake as sent or received, so a case can read a refusal's status
	 * line and headers or the peer's request; nil before the handshake. */
	if (strcmp(k, "http_request") == 0 || strcmp(k, "http_response") == 0) {
		const char *v = strcmp(k, "http_request") == 0 ? ctx->s->http_request
							 : ctx->s->http_response;
		if (v == NULL)
			lua_pushnil(L);
		else
			lua_pushstring(L, v);
		return 1;
	}
	/* (coverage helper, issue 4) TLS facts for cases/22_*: the version
	 * negotiated (nil on plain TCP) and, as the server, the SNI host name
	 * the client sent (nil when none); proxy_request below. */
	if (strcmp(k, "tls_version") == 0) {
		const char *v = net_tls_version(&ctx->s->conn);
		if (v[0] == '\0')
			lua_pushnil(L);
		else
			lua_pushstring(L, v);
		return 1;
	}
	if (strcmp(k, "proxy_request") == 0) {
		/* Server role: "CONNECT host:port HTTP/1.1" when the client
		 * came through wsprobe server as its HTTP proxy, else nil. */
		if (ctx->proxy_request == NULL)
			lua_pushnil(L);
		else
			lua_pushstring(L, ctx->proxy_request);
		return 1;
	}
	if (strcmp(k, "sni") == 0) {
		const char *v = net_tls_sni(&ctx->s->conn);
		if (v == NULL)
			lua_pushnil(L);
		else
			lua_pushstring(L, v);
		return 1;
	}
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "__methods");
	lua_getfield(L, -1, k);
	return 1;
}

static const luaL_Reg methods[] = {
	{"open", l_open},
	{"is_open", l_is_open},
	{"send_text", l_send_text},
	{"send_binary", l_send_binary},
	{"send_ping", l_send_ping},
	{"send_pong", l_send_pong},
	{"send_close", l_send_close},
	{"send_frame", l_send_frame},
	{"send_raw", l_send_raw},
	{"frames", l_frames},
	{"frame_parts", l_frame_parts},
	{"pause", l_pause},
	{"receive", l_receive},
	{"stop_wirelog", l_stop_wirelog},
	{"close", l_close},
	{"expect", l_expect},
	{"expect_close", l_expect_close},
	{"rules", l_rules},
	{"verdict", l_verdict},
	{"close_after", l_close_after},
	{"kill_after", l_kill_after},
	{"peer_frames", l_peer_frames},
	{"respond", l_respond},
	{"read_raw", l_read_raw},
	{"probe", l_probe},
	{NULL, NULL},
};

int lsess_push(lua_State *L, struct run_case_ctx *ctx)
{
	struct lsess *u = lua_newuserdatauv(L, sizeof(*u), 0);
	u->ctx = ctx;
	if (luaL_newmetatable(L, SESS_MT)) {
		lua_newtable(L);
		luaL_setfuncs(L, methods, 0);
		lua_setfield(L, -2, "__methods");
		lua_pushcfunction(L, l_index);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, "session");
		lua_setfield(L, -2, "__name");
	}
	lua_setmetatable(L, -2);
	/* A script may keep the object in a global; lsess_invalidate cuts it
	 * off from the context once the case is over. */
	lua_pushvalue(L, -1);
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

void lsess_invalidate(lua_State *L, int ref)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	struct lsess *u = luaL_testudata(L, -1, SESS_MT);
	if (u != NULL)
		u->ctx = NULL;
	lua_pop(L, 1);
	luaL_unref(L, LUA_REGISTRYINDEX, ref);
}

void run_expect_free(struct run_expect *x)
{
	for (size_t i = 0; i < x->npayloads; i++)
		free(x->payloads[i]);
	free(x->payloads);
	free(x->events);
	memset(x, 0, sizeof(*x));
}
