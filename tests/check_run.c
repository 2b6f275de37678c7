/*
 * check_run.c: the runner end to end on loopback.  The embedded cases
 * against wsprobe's own echo server (every case OK, the same verdicts with
 * one job or several); custom case files against small raw servers built in
 * the test that break the protocol on purpose, each case ending FAILED with
 * a reason that names the broken requirement, within its deadline.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "hs.h"
#include "lib.h"
#include "net.h"
#include "run.h"
#include "wsf.h"
#include "wsp_err.h"
#include "zcache.h"

static int run_against(const char *url, unsigned jobs, const char *path,
		       double scale, struct res_run *r, char *err)
{
	struct run_client_opts o;
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.agent = "test";
	o.jobs = jobs;
	o.timeout_scale = scale;
	o.seed = 42;
	/* Autobahn's quick profile: the bulk categories (9.x: up to 16 MiB
	 * messages, 12.x/13.x: 1000 compressed round trips each) belong to
	 * the integration run and the benchmarks, not to a unit suite under
	 * ASan. */
	static struct run_select quick = {
		.exclude = {"9.*", "12.*", "13.*"},
		.nexclude = 3,
	};
	o.sel = &quick;
	const char *paths[1] = {path};
	struct run_source src = {path ? paths : NULL, path ? 1 : 0};
	o.src = &src;
	ck_assert_int_eq(res_run_init(r, "test", 42), 0);
	return run_client(&o, r, err, 256);
}

START_TEST(run_embedded_cases_all_ok_against_echo)
{
	struct tl_echo e;
	tl_echo_start(&e, NULL, NULL);
	char url[64], err[256];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", e.port);
	struct res_run r1, r3;
	ck_assert_int_eq(run_against(url, 1, NULL, 1.0, &r1, err), 0);
	ck_assert_int_eq(run_against(url, 3, NULL, 1.0, &r3, err), 0);
	tl_echo_stop(&e);
	ck_assert_uint_eq(r1.nagents, 1);
	const struct res_agent *a = &r1.agents[0], *b = &r3.agents[0];
	ck_assert_uint_ge(a->ncases, 247);
	/* Every case OK, or INFORMATIONAL / UNIMPLEMENTED where the case
	 * only reports what the peer did (7.1.6, 7.13.x, limits found) or
	 * the echo server declines an extension. */
	for (size_t i = 0; i < a->ncases; i++)
		ck_assert_msg(a->cases[i].verdict == VD_OK ||
				      a->cases[i].verdict == VD_INFORMATIONAL ||
				      a->cases[i].verdict == VD_UNIMPLEMENTED,
			      "%s: %s / %s", a->cases[i].id, a->cases[i].reason,
			      a->cases[i].close_reason);
	ck_assert_uint_eq(a->summary.failed, 0);
	ck_assert_uint_eq(a->summary.non_strict, 0);
	/* Same cases, same order, same verdicts with three jobs. */
	ck_assert_uint_eq(a->ncases, b->ncases);
	for (size_t i = 0; i < a->ncases; i++) {
		ck_assert_str_eq(a->cases[i].id, b->cases[i].id);
		ck_assert_int_eq(a->cases[i].verdict, b->cases[i].verdict);
	}
	/* Ids come out sorted numerically. */
	for (size_t i = 1; i < a->ncases; i++)
		ck_assert_int_lt(lcase_id_cmp(a->cases[i - 1].id, a->cases[i].id), 0);
	res_free(&r1);
	res_free(&r3);
}
END_TEST

START_TEST(run_unreachable_target_is_an_error)
{
	/* Bind a port, close it: nothing listens there now. */
	struct net_listener l;
	ck_assert_int_eq(net_listen(&l, "127.0.0.1", 0, 1), 0);
	char url[64], err[256];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%u/", net_listener_port(&l));
	net_listener_close(&l);
	struct res_run r;
	int rc = run_against(url, 1, NULL, 1.0, &r, err);
	ck_assert_int_eq(rc, WSP_E_NET_REFUSED);
	ck_assert_ptr_nonnull(strstr(err, "cannot reach"));
	ck_assert_uint_eq(r.nagents, 0);
	res_free(&r);
}
END_TEST

/* --- raw misbehaving servers ------------------------------------------- */

enum misbehaviour {
	MB_MASKED_FRAME,  /* a server frame with the MASK bit set */
	MB_SILENT,        /* accepts TCP, never answers the handshake */
	MB_BAD_ACCEPT,    /* a 101 with a wrong Sec-WebSocket-Accept */
	MB_HUGE_FRAME     /* announces a 2^63-1 byte frame, sends 10 bytes */
};

struct raw_server {
	pthread_t t;
	struct net_listener l;
	enum misbehaviour mb;
};

static void *raw_main(void *arg)
{
	struct raw_server *rs = arg;
	struct net_conn c;
	char buf[4096];
	size_t have = 0;
	struct hs_header h[32];
	struct hs_msg m;
	int head = WSP_E_INCOMPLETE;
	/* The runner first probes the port with a bare TCP connection that
	 * sends nothing: skip connections that close without a request. */
	for (int k = 0; k < 3; k++) {
		net_conn_init(&c);
		if (net_accept(&rs->l, &c, clk_deadline_in_ms(5000)) != 0)
			return NULL;
		have = 0;
		hs_msg_init(&m, h, 32);
		head = WSP_E_INCOMPLETE;
		int closed = 0;
		while (head == WSP_E_INCOMPLETE && have < sizeof(buf)) {
			int n = net_read(&c, buf + have, sizeof(buf) - have,
					 clk_deadline_in_ms(3000));
			if (n <= 0) {
				closed = n == 0;
				break;
			}
			size_t last = have;
			have += (size_t)n;
			head = hs_parse_request(&m, buf, have, last);
		}
		if (!closed || have > 0)
			break;
		net_close(&c);
	}
	if (rs->mb == MB_SILENT) {
		/* Hold the connection until the client gives up. */
		char x[64];
		net_read(&c, x, sizeof(x), clk_deadline_in_ms(5000));
		net_close(&c);
		return NULL;
	}
	if (head <= 0) {
		net_close(&c);
		return NULL;
	}
	const struct hs_header *key = hs_find(&m, "Sec-WebSocket-Key");
	char keybuf[64] = "";
	if (key != NULL && key->value_len < sizeof(keybuf))
		memcpy(keybuf, key->value, key->value_len);
	struct hs_resp_desc rd;
	memset(&rd, 0, sizeof(rd));
	rd.status = 101;
	rd.key = keybuf;
	if (rs->mb == MB_BAD_ACCEPT)
		rd.accept = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char resp[1024];
	int n = hs_build_response(&rd, resp, sizeof(resp));
	net_write_all(&c, resp, (size_t)n, clk_deadline_in_ms(1000));
	uint8_t frame[64];
	struct wsf_frame f;
	memset(&f, 0, sizeof(f));
	f.fin = 1;
	f.opcode = WSP_OP_TEXT;
	ssize_t fl = 0;
	if (rs->mb == MB_MASKED_FRAME) {
		f.masked = 1;
		memcpy(f.mask_key, "\x01\x02\x03\x04", 4);
		f.payload_len = 5;
		fl = wsf_encode(frame, sizeof(frame), &f, (const uint8_t *)"Hello", 5);
	} else if (rs->mb == MB_HUGE_FRAME) {
		f.opcode = WSP_OP_BINARY;
		f.payload_len = UINT64_MAX >> 1;
		fl = wsf_encode(frame, sizeof(frame), &f,
				(const uint8_t *)"0123456789", 10);
	}
	if (fl > 0)
		net_write_all(&c, frame, (size_t)fl, clk_deadline_in_ms(1000));
	/* Read until the client goes away. */
	for (;;) {
		int r = net_read(&c, buf, sizeof(buf), clk_deadline_in_ms(5000));
		if (r <= 0)
			break;
	}
	net_close(&c);
	return NULL;
}

static const char *write_case(const char *body)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/wsprobe-case-%ld.lua", (long)getpid());
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "case { id = '99.1', title = 't', run = function(s) %s end }\n",
		body);
	fclose(f);
	return path;
}

static void expect_failed(enum misbehaviour mb, const char *body,
			  const char *want, int64_t max_ms)
{
	struct raw_server rs;
	memset(&rs, 0, sizeof(rs));
	rs.mb = mb;
	ck_assert_int_eq(net_listen(&rs.l, "127.0.0.1", 0, 4), 0);
	char url[64], err[256];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%u/", net_listener_port(&rs.l));
	const char *path = write_case(body);
	int64_t t0 = clk_now_ms();
	struct res_run r;
	ck_assert_int_eq(pthread_create(&rs.t, NULL, raw_main, &rs), 0);
	int rc = run_against(url, 1, path, 0.2, &r, err);
	int64_t took = clk_now_ms() - t0;
	pthread_join(rs.t, NULL);
	net_listener_close(&rs.l);
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(r.agents[0].ncases, 1);
	const struct res_case *c = &r.agents[0].cases[0];
	ck_assert_int_eq(c->verdict, VD_FAILED);
	ck_assert_msg(strstr(c->reason, want) != NULL ||
			      (c->close_reason && strstr(c->close_reason, want)),
		      "reason \"%s\" / \"%s\" lacks \"%s\"", c->reason,
		      c->close_reason, want);
	ck_assert_msg(took <= max_ms, "took %lld ms", (long long)took);
	res_free(&r);
}

START_TEST(run_masked_server_frame_fails_with_requirement)
{
	expect_failed(MB_MASKED_FRAME,
		      "s:send_text('x') s:expect{ok={{'text','Hello'}}} s:kill_after(1)",
		      "R6455-5.1-04", 3000);
}
END_TEST

START_TEST(run_silent_server_fails_handshake_in_time)
{
	/* Opening handshake timeout 5 s scaled by 0.2. */
	expect_failed(MB_SILENT, "s:send_text('x') s:expect{ok={}}",
		      "no opening handshake response in time", 3000);
}
END_TEST

START_TEST(run_bad_accept_fails_handshake)
{
	expect_failed(MB_BAD_ACCEPT, "s:send_text('x') s:expect{ok={}}",
		      "R6455-4.1-45", 3000);
}
END_TEST

START_TEST(run_huge_frame_costs_nothing)
{
	/* 2^63-1 announced: over the message limit before any payload, the
	 * connection is failed at once (1009), nothing is allocated. */
	expect_failed(MB_HUGE_FRAME,
		      "s:send_text('x') s:expect{ok={}} s:kill_after(2)",
		      "R6455-10.4-01", 3000);
}
END_TEST

static uint64_t stat_bytes(const struct res_stats *st)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < st->n; i++)
		sum += st->v[i].key * st->v[i].count;
	return sum;
}

START_TEST(run_stats_cover_what_the_wire_log_left_out)
{
	/* docs/report-format.md: the frame and octet statistics and the
	 * first Close we sent cover the whole connection, even after the
	 * wire log stopped (s:stop_wirelog here; its 64 MiB bound in 18.1,
	 * where the peer's Close came after it and was missed). */
	struct tl_echo e;
	tl_echo_start(&e, NULL, NULL);
	char url[64], err[256];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", e.port);
	const char *path = write_case(
		"s:send_text('before') s:stop_wirelog() "
		"for i = 1, 3 do s:send_text('after') end "
		"s:send_binary('bin') "
		"s:expect{ok={{'text','before'},{'text','after'},"
		"{'text','after'},{'text','after'},{'binary','bin'}}} "
		"s:close(1000, 'after the log') "
		"s:expect_close{by_me = true, codes = {1000}, clean = true}");
	struct res_run r;
	int rc = run_against(url, 1, path, 1.0, &r, err);
	tl_echo_stop(&e);
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	const struct res_case *c = &r.agents[0].cases[0];
	ck_assert_msg(c->verdict == VD_OK, "%s / %s", c->reason, c->close_reason);
	ck_assert_uint_eq(tl_stat_count(&c->tx_frames, WSP_OP_TEXT), 4);
	ck_assert_uint_eq(tl_stat_count(&c->tx_frames, WSP_OP_BINARY), 1);
	ck_assert_uint_eq(tl_stat_count(&c->tx_frames, WSP_OP_CLOSE), 1);
	ck_assert_uint_eq(tl_stat_count(&c->rx_frames, WSP_OP_TEXT), 4);
	ck_assert_uint_eq(tl_stat_count(&c->rx_frames, WSP_OP_BINARY), 1);
	ck_assert_uint_eq(tl_stat_count(&c->rx_frames, WSP_OP_CLOSE), 1);
	/* The Close we sent came after the log stopped. */
	ck_assert_int_eq(c->has_local_code, 1);
	ck_assert_uint_eq(c->local_code, 1000);
	ck_assert_str_eq(c->local_reason, "after the log");
	/* Every byte is in the octet statistics; the log keeps a prefix
	 * only (the handshake, our first frame) and says so. */
	ck_assert_uint_eq(stat_bytes(&c->tx_octets), c->wire.bytes_sent);
	ck_assert_uint_eq(stat_bytes(&c->rx_octets), c->wire.bytes_received);
	ck_assert_int_eq(c->wire.truncated, 1);
	ck_assert_uint_lt(c->wire.len, c->wire.bytes_sent + c->wire.bytes_received);
	int found = 0;
	for (size_t i = 0; i + 12 <= c->wire.len && !found; i++)
		found = memcmp(c->wire.data + i, "HTTP/1.1 101", 12) == 0;
	ck_assert_int_eq(found, 1);
	res_free(&r);
}
END_TEST

/* Runs body as case 99.1 against a fresh echo server; the case's result. */
static struct res_case run_one_on_echo(const char *body, struct res_run *r)
{
	struct tl_echo e;
	tl_echo_start(&e, NULL, NULL);
	char url[64], err[256];
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", e.port);
	const char *path = write_case(body);
	int rc = run_against(url, 1, path, 1.0, r, err);
	tl_echo_stop(&e);
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(r->agents[0].ncases, 1);
	return r->agents[0].cases[0];
}

START_TEST(run_send_range_and_compare_echo_in_place)
{
	/* s:send_text's from/to send part of a string as string.sub cuts
	 * it; s:receive's compare says whether (and where) the echo
	 * differs, instead of handing it over (the 12.x/13.x driver). */
	struct res_run r;
	struct res_case c = run_one_on_echo(
		"local src = 'xxHELLO, WORLDyy' "
		"local function check(cond, what) "
		"  if not cond then s:verdict('FAILED', what) error(what) end "
		"end "
		"s:send_text(src, { from = 3, to = 14 }) "
		"local ev = s:receive(5, { src, from = 3, to = 14 }) "
		"check(ev and ev.type == 'text' and ev.len == 12, 'type/len') "
		"check(ev.differs_at == nil and ev.data == nil, 'same') "
		"s:send_binary(src, { from = 3, to = 14 }) "
		"ev = s:receive(5, { src, from = 3, to = 15 }) "
		"check(ev.type == 'binary' and ev.differs_at == 13, 'prefix') "
		"s:send_text(src, { from = 3, to = 14 }) "
		"ev = s:receive(5, { 'xxHELLO, WXRLD', from = 3 }) "
		"check(ev.differs_at == 9, 'at ' .. tostring(ev.differs_at)) "
		"s:send_text(src, { from = 5, to = 4 }) "
		"ev = s:receive(5, { src, from = 1, to = 0 }) "
		"check(ev.len == 0 and ev.differs_at == nil, 'empty') "
		"s:send_text(src) "
		"ev = s:receive(5) "
		"check(ev.data == src, 'whole') "
		"for _, bad in ipairs { { from = 0 }, { from = 18 }, "
		"    { from = 3, to = 1 }, { to = 17 }, { from = 'x' } } do "
		"  check(not pcall(s.send_text, s, src, bad), 'bad range') "
		"end "
		"check(not pcall(s.receive, s, 1, { 42 }), 'compare[1]') "
		"check(not pcall(s.send_text, s, src, { reuse = '' }), 'reuse') "
		"check(not pcall(s.send_text, s, src, { reuse = 7 }), 'reuse 7') "
		"s:verdict('OK', 'all checked') "
		"s:close(1000)",
		&r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	ck_assert_str_eq(c.reason, "all checked");
	res_free(&r);
}
END_TEST

/* A case body that opens with permessage-deflate (offer as given), sends
 * the same named 4 KiB window n times and another once, and checks each
 * echo in place. */
static const char *reuse_body(const char *offer)
{
	static char body[2048];
	snprintf(body, sizeof(body),
		 "local src = string.rep('{\"id\":1,\"tags\":[\"alpha\",\"beta\"]}', 400) "
		 "if not s:open { extensions = { '%s' } } or not s.deflate then "
		 "  s:verdict('FAILED', 'no deflate') return end "
		 "for i = 1, 5 do "
		 "  local from = i == 5 and 101 or 1 "
		 "  s:send_text(src, { from = from, to = from + 4095, "
		 "                     reuse = 'test set', fragment = 1000 }) "
		 "  local ev = s:receive(5, { src, from = from, to = from + 4095 }) "
		 "  if not ev or ev.differs_at or ev.len ~= 4096 then "
		 "    s:verdict('FAILED', 'echo ' .. i) s:close(1000) return end "
		 "end "
		 "s:verdict('OK', 'five echoes') s:close(1000)",
		 offer);
	return body;
}

/* The cache's counters since the last zc_clear are these. */
static void expect_zc(uint64_t hits, uint64_t misses, uint64_t entries)
{
	struct zc_stats st;
	zc_get_stats(&st);
	ck_assert_uint_eq(st.hits, hits);
	ck_assert_uint_eq(st.misses, misses);
	ck_assert_uint_eq(st.entries, entries);
}

START_TEST(run_reuse_compresses_a_named_message_once)
{
	/* With client_no_context_takeover agreed, the same named window is
	 * compressed once and sent again from the cache (one miss, three
	 * hits; the fifth window starts elsewhere: a second miss); the echo
	 * server inflates every one of them back to the window. */
	zc_clear();
	zc_set_budget(ZC_DEFAULT_BUDGET);
	struct res_run r;
	struct res_case c = run_one_on_echo(
		reuse_body("permessage-deflate; client_no_context_takeover"), &r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	expect_zc(3, 2, 2);
	struct zc_stats st;
	zc_get_stats(&st);
	ck_assert_uint_gt(st.stored_bytes, 0);
	ck_assert_uint_lt(st.stored_bytes, 2 * 4096 / 4);
	res_free(&r);

	/* With context takeover the compressor is not fresh: no lookups,
	 * nothing stored, and every echo still right. */
	zc_clear();
	c = run_one_on_echo(reuse_body("permessage-deflate"), &r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	expect_zc(0, 0, 0);
	res_free(&r);

	/* A case that gives two different messages one name and offset
	 * gets each compressed for itself: the CRC in the key tells them
	 * apart (two misses, then a hit for each). */
	zc_clear();
	c = run_one_on_echo(
		"local a = string.rep('{\"id\":1,\"tags\":[\"alpha\"]}', 300) "
		"local b = a:gsub('alpha', 'gamma') "
		"if not s:open { extensions = { "
		"  'permessage-deflate; client_no_context_takeover' } } then "
		"  s:verdict('FAILED', 'no deflate') return end "
		"for i, m in ipairs { a, b, a, b } do "
		"  s:send_text(m, { from = 1, to = 4096, reuse = 'same name' }) "
		"  local ev = s:receive(5, { m, from = 1, to = 4096 }) "
		"  if not ev or ev.differs_at then "
		"    s:verdict('FAILED', 'echo ' .. i) s:close(1000) return end "
		"end "
		"s:verdict('OK', 'four echoes') s:close(1000)",
		&r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	expect_zc(2, 2, 2);
	res_free(&r);

	/* Budget 0 (--deflate-cache 0): off. */
	zc_clear();
	zc_set_budget(0);
	c = run_one_on_echo(
		reuse_body("permessage-deflate; client_no_context_takeover"), &r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	expect_zc(0, 0, 0);
	res_free(&r);
	zc_set_budget(ZC_DEFAULT_BUDGET);
	zc_clear();
}
END_TEST

START_TEST(run_echo_compresses_a_repeated_message_once)
{
	/* wsprobe echo with server_no_context_takeover: a message of the
	 * same bytes (SHA-256) is compressed once, its echo sent again from
	 * the cache; a different message is compressed; every echo still
	 * inflates to what was sent.  (The client here names nothing.) */
	static const char body[] =
		"local a = string.rep('{\"id\":1,\"tags\":[\"alpha\"]}', 300) "
		"local b = a:sub(2) .. 'x' "
		"if not s:open { extensions = { 'permessage-deflate; %s' } } "
		"   or not s.deflate then "
		"  s:verdict('FAILED', 'no deflate') return end "
		"for i, m in ipairs { a, a, b, a, b } do "
		"  s:send_text(m) "
		"  local ev = s:receive(5, { m }) "
		"  if not ev or ev.differs_at then "
		"    s:verdict('FAILED', 'echo ' .. i) s:close(1000) return end "
		"end "
		"s:verdict('OK', 'five echoes') s:close(1000)";
	char src[1024];
	zc_clear();
	zc_set_budget(ZC_DEFAULT_BUDGET);
	struct res_run r;
	snprintf(src, sizeof(src), body, "server_no_context_takeover");
	struct res_case c = run_one_on_echo(src, &r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	expect_zc(3, 2, 2);
	res_free(&r);
	/* With context takeover the echo's compressor is not fresh. */
	zc_clear();
	snprintf(src, sizeof(src), body, "client_no_context_takeover");
	c = run_one_on_echo(src, &r);
	ck_assert_msg(c.verdict == VD_OK, "%s / %s", c.reason, c.close_reason);
	expect_zc(0, 0, 0);
	res_free(&r);
	zc_clear();
}
END_TEST

Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("echo");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, run_embedded_cases_all_ok_against_echo);
	tcase_add_test(tc, run_unreachable_target_is_an_error);
	tcase_add_test(tc, run_stats_cover_what_the_wire_log_left_out);
	tcase_add_test(tc, run_send_range_and_compare_echo_in_place);
	tcase_add_test(tc, run_reuse_compresses_a_named_message_once);
	tcase_add_test(tc, run_echo_compresses_a_repeated_message_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, run_masked_server_frame_fails_with_requirement);
	tcase_add_test(tc, run_silent_server_fails_handshake_in_time);
	tcase_add_test(tc, run_bad_accept_fails_handshake);
	tcase_add_test(tc, run_huge_frame_costs_nothing);
	suite_add_tcase(s, tc);
	return s;
}
