/*
 * check_net.c: the harness transport (harness/net.c, net_tls.c) and its
 * clock (harness/clock.c), on real loopback sockets: no mocks.
 *
 * Every test binds 127.0.0.1 or ::1 on port 0 and closes what it opened.
 * Where both ends must run at once (a slow reader, a TLS handshake) the
 * peer is a pthread; it records what happened in a struct and the test
 * asserts after joining it, so that every assertion runs on the main
 * thread.  Timing assertions allow 200 ms of slack past a deadline and
 * none before it: a wait must never end early.
 *
 * SIGPIPE is left at its default action in the write-to-a-closed-peer
 * tests, so those tests die if a write can raise it: they prove that
 * MSG_NOSIGNAL (TCP) and the custom BIO (TLS) do their job.
 *
 * The TLS tests make a self-signed P-256 certificate with the OpenSSL API
 * (CN and DNS SAN "localhost", IP SANs 127.0.0.1 and ::1) in a temporary
 * directory and remove it afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "clock.h"
#include "lib.h"
#include "net.h"
#include "wsp_err.h"

/* Slack allowed after a deadline (the brief's bound) and a generous
 * deadline for steps that should not wait at all. */
#define LATE_MS 200
#define LONG_MS 5000

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static struct clk_deadline in_ms(int64_t ms)
{
	return clk_deadline_in_ms(ms);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)((i ^ (i >> 8) ^ (i >> 16)) * 31u + 7u);
}

static uint8_t *pattern_buf(size_t n)
{
	uint8_t *b = malloc(n);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		b[i] = pattern(i);
	return b;
}

/* Listens on 127.0.0.1, port 0. */
static void listen_v4(struct net_listener *l)
{
	int rc = net_listen(l, "127.0.0.1", 0, 16);
	ck_assert_msg(rc == 0, "listen: %s %s", wsp_errname(rc), l->errmsg);
	ck_assert_uint_ne(net_listener_port(l), 0);
}

/* A connected pair over 127.0.0.1: c is the client, s the server side. */
static void tcp_pair(struct net_listener *l, struct net_conn *c,
		     struct net_conn *s)
{
	listen_v4(l);
	int rc = net_connect(c, "127.0.0.1", net_listener_port(l),
			     NET_FAMILY_ANY, in_ms(LONG_MS));
	ck_assert_msg(rc == 0, "connect: %s %s", wsp_errname(rc), c->errmsg);
	rc = net_accept(l, s, in_ms(LONG_MS));
	ck_assert_msg(rc == 0, "accept: %s %s", wsp_errname(rc), l->errmsg);
}

/* Reads exactly n bytes into buf. */
static int read_exact(struct net_conn *c, uint8_t *buf, size_t n,
		      struct clk_deadline dl)
{
	size_t got = 0;
	while (got < n) {
		int r = net_read(c, buf + got, n - got, dl);
		if (r <= 0)
			return r == 0 ? WSP_E_INCOMPLETE : r;
		got += (size_t)r;
	}
	return 0;
}

/* ========================================================================
 * clock
 * ===================================================================== */

START_TEST(clock_never_and_expired)
{
	struct clk_deadline n = clk_never();
	ck_assert(clk_is_never(n));
	ck_assert(!clk_expired(n));
	ck_assert_int_eq(clk_remaining_ms(n), -1);
	ck_assert(clk_is_never(clk_deadline_in_ms(-1)));

	struct clk_deadline z = clk_deadline_in_ms(0);
	ck_assert(!clk_is_never(z));
	ck_assert(clk_expired(z));
	ck_assert_int_eq(clk_remaining_ms(z), 0);

	struct clk_deadline past = {clk_now_ns() - 1000000000};
	ck_assert_int_eq(clk_remaining_ms(past), 0);
	ck_assert(clk_expired(past));

	struct clk_deadline d = clk_deadline_in_ms(100);
	int r = clk_remaining_ms(d);
	ck_assert_int_gt(r, 0);
	ck_assert_int_le(r, 100);
	ck_assert(!clk_expired(d));
	ck_assert_int_eq(clk_deadline_min(d, n).ns, d.ns);
	ck_assert_int_eq(clk_deadline_min(n, z).ns, z.ns);
	ck_assert_int_eq(clk_deadline_min(d, z).ns, z.ns);
}
END_TEST

/* Huge timeouts saturate (finite, not "never"); poll()'s argument is
 * clamped to INT_MAX. */
START_TEST(clock_saturates)
{
	struct clk_deadline d = clk_deadline_in_ms(INT64_MAX);
	ck_assert(!clk_is_never(d));
	ck_assert(!clk_expired(d));
	ck_assert_int_eq(clk_remaining_ms(d), INT_MAX);
	d = clk_deadline_in_ms((int64_t)INT_MAX + 10);
	ck_assert_int_eq(clk_remaining_ms(d), INT_MAX);
}
END_TEST

/* Rounding up: 10 ms and 1 ns away is 11 ms for poll(), and a poll() for
 * the remaining time never ends before the deadline. */
START_TEST(clock_remaining_rounds_up_never_early)
{
	struct clk_deadline d = {clk_now_ns() + 10 * 1000000 + 1};
	int r = clk_remaining_ms(d);
	ck_assert_int_ge(r, 10);
	ck_assert_int_le(r, 11);
	/* Rounding down would end with a burst of poll(0) calls for the
	 * last fraction of a millisecond; rounding up needs one poll (two
	 * if the kernel wakes a timer early). */
	for (int i = 0; i < 20; i++) {
		d = clk_deadline_in_ms(2);
		d.ns += 300000; /* a fraction of a millisecond */
		int polls = 0;
		while (!clk_expired(d)) {
			ck_assert_int_eq(poll(NULL, 0, clk_remaining_ms(d)),
					 0);
			polls++;
		}
		ck_assert_int_ge(clk_now_ns(), d.ns);
		ck_assert_int_le(polls, 2);
	}
	int64_t a = clk_now_ns(), b = clk_now_ns();
	ck_assert_int_ge(b, a);
	ck_assert_int_eq(clk_now_ms() >= a / 1000000, 1);
}
END_TEST

struct wall_vec {
	int64_t ms;
	int rc;
	const char *want;
};

static const struct wall_vec wall_vecs[] = {
	{0, 24, "1970-01-01T00:00:00.000Z"},
	{1, 24, "1970-01-01T00:00:00.001Z"},
	{951782400000LL, 24, "2000-02-29T00:00:00.000Z"},
	{1714566896789LL, 24, "2024-05-01T12:34:56.789Z"},
	{253402300799999LL, 24, "9999-12-31T23:59:59.999Z"},
	{253402300800000LL, WSP_E_INVAL, NULL},
	{-1, WSP_E_INVAL, NULL},
};

START_TEST(clock_wall_format_utc_ms)
{
	const struct wall_vec *v = &wall_vecs[_i];
	char out[CLK_ISO8601_SIZE];
	ck_assert_int_eq(clk_wall_format(v->ms, out, sizeof(out)), v->rc);
	if (v->want != NULL)
		ck_assert_str_eq(out, v->want);
}
END_TEST

START_TEST(clock_wall_format_buffer_and_now)
{
	char out[CLK_ISO8601_SIZE];
	ck_assert_int_eq(clk_wall_format(0, out, CLK_ISO8601_SIZE - 1),
			 WSP_E_NOSPACE);
	ck_assert_int_eq(clk_wall_format(0, NULL, 64), WSP_E_NOSPACE);
	/* After 2020-01-01 and formattable. */
	int64_t now = clk_wall_now_ms();
	ck_assert_int_gt(now, 1577836800000LL);
	ck_assert_int_eq(clk_wall_format(now, out, sizeof(out)), 24);
	ck_assert_int_eq(out[10], 'T');
	ck_assert_int_eq(out[23], 'Z');
}
END_TEST

/* ========================================================================
 * TCP
 * ===================================================================== */

START_TEST(net_connect_ipv4_exchange)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	char want[NET_ADDR_MAX];
	snprintf(want, sizeof(want), "127.0.0.1:%u",
		 (unsigned)net_listener_port(&l));
	ck_assert_str_eq(c.peer, want);
	ck_assert_int_eq(c.role, WSP_ROLE_CLIENT);
	ck_assert_int_eq(s.role, WSP_ROLE_SERVER);
	ck_assert_int_eq(c.end, NET_END_OPEN);
	ck_assert_ptr_null(c.ssl);
	ck_assert_str_eq(net_tls_version(&c), "");

	ck_assert_int_eq(net_write_all(&c, "ping", 4, in_ms(LONG_MS)), 0);
	uint8_t buf[16];
	ck_assert_int_eq(read_exact(&s, buf, 4, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_int_eq(net_write_all(&s, "pong!", 5, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(read_exact(&c, buf, 5, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(memcmp(buf, "pong!", 5), 0);
	net_close(&c);
	net_close(&s);
	net_listener_close(&l);
	ck_assert_int_eq(c.fd, -1);
	ck_assert_int_eq(l.fd, -1);
	net_close(&c); /* twice is fine */
	net_listener_close(&l);
}
END_TEST

START_TEST(net_connect_ipv6_exchange)
{
	struct net_listener l;
	int rc = net_listen(&l, "::1", 0, 4);
	if (rc != 0) {
		printf("net_connect_ipv6_exchange: SKIPPED, ::1 cannot be "
		       "bound here (%s)\n",
		       l.errmsg);
		return;
	}
	ck_assert_int_eq(l.family, AF_INET6);
	struct net_conn c, s;
	rc = net_connect(&c, "::1", net_listener_port(&l), NET_FAMILY_V6,
			 in_ms(LONG_MS));
	ck_assert_msg(rc == 0, "%s %s", wsp_errname(rc), c.errmsg);
	ck_assert_int_eq(net_accept(&l, &s, in_ms(LONG_MS)), 0);
	char want[NET_ADDR_MAX];
	snprintf(want, sizeof(want), "[::1]:%u",
		 (unsigned)net_listener_port(&l));
	ck_assert_str_eq(c.peer, want);
	ck_assert_int_eq(strncmp(s.peer, "[::1]:", 6), 0);
	ck_assert_int_eq(net_write_all(&c, "v6", 2, in_ms(LONG_MS)), 0);
	uint8_t buf[2];
	ck_assert_int_eq(read_exact(&s, buf, 2, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(memcmp(buf, "v6", 2), 0);
	net_close(&c);
	net_close(&s);
	net_listener_close(&l);
}
END_TEST

/* A numeric address of the other family resolves to nothing. */
START_TEST(net_connect_family_mismatch_is_resolve_error)
{
	struct net_conn c;
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", 80, NET_FAMILY_V6,
				     in_ms(LONG_MS)),
			 WSP_E_NET_RESOLVE);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "127.0.0.1"));
	ck_assert_int_eq(c.fd, -1);
	ck_assert_int_eq(net_connect(&c, "::1", 80, NET_FAMILY_V4,
				     in_ms(LONG_MS)),
			 WSP_E_NET_RESOLVE);
}
END_TEST

/* A port nobody listens on: refused, at once, with the address named. */
START_TEST(net_connect_refused_quickly)
{
	struct net_listener l;
	listen_v4(&l);
	uint16_t port = net_listener_port(&l);
	net_listener_close(&l);
	struct net_conn c;
	int64_t t0 = clk_now_ms();
	int rc = net_connect(&c, "127.0.0.1", port, NET_FAMILY_V4,
			     in_ms(LONG_MS));
	int64_t el = clk_now_ms() - t0;
	ck_assert_msg(rc == WSP_E_NET_REFUSED, "%s", wsp_errname(rc));
	ck_assert_int_lt(el, 1000);
	ck_assert_int_eq(c.fd, -1);
	ck_assert_int_eq(c.last_errno, ECONNREFUSED);
	char want[64];
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u:",
		 (unsigned)port);
	ck_assert_msg(strstr(c.errmsg, want) != NULL, "%s", c.errmsg);
}
END_TEST

/* A listener with a full accept queue drops SYNs: connect must give up at
 * its deadline with the connect-timeout code. */
START_TEST(net_connect_times_out_at_deadline)
{
	struct net_listener l;
	ck_assert_int_eq(net_listen(&l, "127.0.0.1", 0, 0), 0);
	struct net_conn c[6];
	int rc = 0, i;
	int64_t el = 0;
	for (i = 0; i < 6; i++) {
		int64_t t0 = clk_now_ms();
		rc = net_connect(&c[i], "127.0.0.1", net_listener_port(&l),
				 NET_FAMILY_V4, in_ms(200));
		el = clk_now_ms() - t0;
		if (rc != 0)
			break;
	}
	ck_assert_msg(rc == WSP_E_NET_CONNECT_TIMEOUT, "attempt %d: %s", i,
		      wsp_errname(rc));
	ck_assert_int_ge(el, 200);
	ck_assert_int_le(el, 200 + LATE_MS);
	ck_assert_ptr_nonnull(strstr(c[i].errmsg, "timed out"));
	for (int j = 0; j < i; j++)
		net_close(&c[j]);
	net_listener_close(&l);
}
END_TEST

START_TEST(net_accept_times_out_at_deadline)
{
	struct net_listener l;
	listen_v4(&l);
	struct net_conn s;
	int64_t t0 = clk_now_ms();
	ck_assert_int_eq(net_accept(&l, &s, in_ms(200)), WSP_E_NET_TIMEOUT);
	int64_t el = clk_now_ms() - t0;
	ck_assert_int_ge(el, 200);
	ck_assert_int_le(el, 200 + LATE_MS);
	ck_assert_int_eq(s.fd, -1);
	net_listener_close(&l);
}
END_TEST

/* A peer that accepts and never answers: the read ends at its deadline,
 * not before, and the connection is still usable afterwards. */
START_TEST(net_read_times_out_at_deadline)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	uint8_t buf[8];
	int64_t t0 = clk_now_ms();
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(300)),
			 WSP_E_NET_TIMEOUT);
	int64_t el = clk_now_ms() - t0;
	ck_assert_int_ge(el, 300);
	ck_assert_int_le(el, 300 + LATE_MS);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "timed out"));
	ck_assert_int_eq(c.end, NET_END_OPEN);
	/* Still usable, and bytes already there come back even with an
	 * expired deadline. */
	ck_assert_int_eq(net_write_all(&s, "x", 1, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_wait_readable(&c, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(0)), 1);
	ck_assert_int_eq(buf[0], 'x');
	net_close(&c);
	net_close(&s);
	net_listener_close(&l);
}
END_TEST

START_TEST(net_wait_readable_tcp)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	int64_t t0 = clk_now_ms();
	ck_assert_int_eq(net_wait_readable(&c, in_ms(100)), WSP_E_NET_TIMEOUT);
	ck_assert_int_ge(clk_now_ms() - t0, 100);
	ck_assert_int_eq(net_write_all(&s, "ab", 2, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_wait_readable(&c, in_ms(LONG_MS)), 0);
	uint8_t b[2];
	ck_assert_int_eq(read_exact(&c, b, 2, in_ms(LONG_MS)), 0);
	/* End of stream also counts as readable. */
	net_close(&s);
	ck_assert_int_eq(net_wait_readable(&c, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_read(&c, b, 2, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_wait_readable(&c, in_ms(LONG_MS)), 0);
	net_close(&c);
	net_listener_close(&l);
}
END_TEST

/* Clean close: read returns 0, FIN is recorded, and stays so. */
START_TEST(net_read_peer_fin)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	ck_assert_int_eq(net_write_all(&s, "last", 4, in_ms(LONG_MS)), 0);
	net_close(&s);
	uint8_t buf[8];
	ck_assert_int_eq(read_exact(&c, buf, 4, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	ck_assert_int_eq(c.end, NET_END_FIN);
	ck_assert_str_eq(net_end_name(c.end), "FIN");
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	net_close(&c);
	net_listener_close(&l);
}
END_TEST

/* Abortive close (SO_LINGER 0): the reader sees RST and records it. */
START_TEST(net_read_peer_reset)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	net_abort(&s);
	ck_assert_int_eq(s.fd, -1);
	uint8_t buf[8];
	int rc = net_read(&c, buf, sizeof(buf), in_ms(LONG_MS));
	ck_assert_msg(rc == WSP_E_NET_RESET, "%s", wsp_errname(rc));
	ck_assert_int_eq(c.end, NET_END_RESET);
	ck_assert_str_eq(net_end_name(c.end), "RST");
	ck_assert_int_eq(c.last_errno, ECONNRESET);
	ck_assert_ptr_nonnull(strstr(c.errmsg, c.peer));
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)),
			 WSP_E_NET_RESET);
	ck_assert_int_eq(net_write_all(&c, "x", 1, in_ms(LONG_MS)),
			 WSP_E_NET_RESET);
	net_close(&c);
	net_listener_close(&l);
}
END_TEST

/* The peer sends, then resets before we read; our write meets the RST
 * first.  What it sent is still read (the harness drains it to judge the
 * case: tests/integration/hostile.sh "reset" mid-frame), then the reset. */
START_TEST(net_read_after_write_met_reset_returns_what_arrived)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	ck_assert_int_eq(net_write_all(&s, "hello", 5, in_ms(LONG_MS)), 0);
	net_abort(&s);
	/* The RST is on loopback at once; the write hears of it. */
	int rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++) {
		sleep_ms(5);
		rc = net_write_all(&c, "x", 1, in_ms(LONG_MS));
	}
	ck_assert_msg(rc == WSP_E_NET_RESET, "%s", wsp_errname(rc));
	ck_assert_int_eq(c.end, NET_END_RESET);
	uint8_t buf[16];
	int n = net_read(&c, buf, sizeof(buf), in_ms(LONG_MS));
	ck_assert_int_eq(n, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)),
			 WSP_E_NET_RESET);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)),
			 WSP_E_NET_RESET);
	net_close(&c);
	net_listener_close(&l);
}
END_TEST

/* Writes after the peer closed must fail with a code; SIGPIPE keeps its
 * default action here, so a raised SIGPIPE would kill this test. */
START_TEST(net_write_to_closed_peer_no_sigpipe)
{
	signal(SIGPIPE, SIG_DFL);
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	net_close(&s);
	static uint8_t chunk[65536];
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++) {
		rc = net_write_all(&c, chunk, sizeof(chunk), in_ms(LONG_MS));
		if (rc == 0)
			sleep_ms(5);
	}
	ck_assert_msg(rc == WSP_E_NET_RESET || rc == WSP_E_NET_PIPE, "%s",
		      wsp_errname(rc));
	/* And once more, now certainly EPIPE territory. */
	rc = net_write_all(&c, chunk, sizeof(chunk), in_ms(LONG_MS));
	ck_assert_msg(rc == WSP_E_NET_RESET || rc == WSP_E_NET_PIPE, "%s",
		      wsp_errname(rc));
	net_close(&c);
	net_listener_close(&l);
}
END_TEST

/* A reader that takes small bites with pauses; the writer's several MiB
 * must go out through partial writes and arrive intact. */
struct slow_reader {
	struct net_conn *s;
	size_t want;
	size_t got;
	size_t first_bad; /* SIZE_MAX when every byte matched */
	int rc;
};

static void *slow_reader_main(void *arg)
{
	struct slow_reader *r = arg;
	static uint8_t buf[32768];
	struct clk_deadline dl = in_ms(10000);
	r->first_bad = SIZE_MAX;
	r->rc = 0;
	int bites = 0;
	while (r->got < r->want) {
		int n = net_read(r->s, buf, sizeof(buf), dl);
		if (n <= 0) {
			r->rc = n == 0 ? WSP_E_INCOMPLETE : n;
			return NULL;
		}
		for (int i = 0; i < n; i++)
			if (buf[i] != pattern(r->got + (size_t)i) &&
			    r->first_bad == SIZE_MAX)
				r->first_bad = r->got + (size_t)i;
		r->got += (size_t)n;
		if (++bites % 16 == 0)
			sleep_ms(1);
	}
	return NULL;
}

START_TEST(net_write_large_to_slow_reader)
{
	const size_t len = 6u << 20;
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	/* Small buffers on both sides force many partial sends. */
	int small = 16384;
	ck_assert_int_eq(setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)),
			 0);
	ck_assert_int_eq(setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)),
			 0);
	uint8_t *data = pattern_buf(len);
	struct slow_reader r = {.s = &s, .want = len};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, slow_reader_main, &r), 0);
	size_t sent = 0;
	int rc = net_write(&c, data, len, &sent, in_ms(10000));
	pthread_join(th, NULL);
	ck_assert_msg(rc == 0, "%s %s", wsp_errname(rc), c.errmsg);
	ck_assert_uint_eq(sent, len);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.got, len);
	ck_assert_msg(r.first_bad == SIZE_MAX, "byte %zu differs",
		      r.first_bad);
	free(data);
	net_close(&c);
	net_close(&s);
	net_listener_close(&l);
}
END_TEST

/* A peer that never reads: the write stops at the deadline and reports
 * how much went out; the rest can still be sent once the peer reads. */
START_TEST(net_write_reports_sent_on_timeout)
{
	const size_t len = 32u << 20;
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	uint8_t *data = pattern_buf(len);
	size_t sent = 12345;
	int64_t t0 = clk_now_ms();
	int rc = net_write(&c, data, len, &sent, in_ms(300));
	int64_t el = clk_now_ms() - t0;
	ck_assert_msg(rc == WSP_E_NET_TIMEOUT, "%s", wsp_errname(rc));
	ck_assert_int_ge(el, 300);
	ck_assert_int_le(el, 300 + LATE_MS);
	ck_assert_uint_gt(sent, 0);
	ck_assert_uint_lt(sent, len);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "timed out"));

	struct slow_reader r = {.s = &s, .want = len};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, slow_reader_main, &r), 0);
	size_t more = 0;
	rc = net_write(&c, data + sent, len - sent, &more, in_ms(10000));
	pthread_join(th, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(sent + more, len);
	ck_assert_uint_eq(r.got, len);
	ck_assert(r.first_bad == SIZE_MAX);
	free(data);
	net_close(&c);
	net_close(&s);
	net_listener_close(&l);
}
END_TEST

/* Half-close: after shutdown_write the peer reads end of stream but can
 * still answer, and we can still read. */
START_TEST(net_shutdown_write_half_close)
{
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	ck_assert_int_eq(net_write_all(&c, "req", 3, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_shutdown_write(&c, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(c.wr_closed, 1);
	ck_assert_int_eq(net_shutdown_write(&c, in_ms(LONG_MS)),
			 WSP_E_NET_CLOSED);
	ck_assert_int_eq(net_write_all(&c, "x", 1, in_ms(LONG_MS)),
			 WSP_E_NET_CLOSED);
	uint8_t buf[8];
	ck_assert_int_eq(read_exact(&s, buf, 3, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_read(&s, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	ck_assert_int_eq(s.end, NET_END_FIN);
	ck_assert_int_eq(net_write_all(&s, "bye", 3, in_ms(LONG_MS)), 0);
	net_close(&s);
	ck_assert_int_eq(read_exact(&c, buf, 3, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(memcmp(buf, "bye", 3), 0);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	ck_assert_int_eq(c.end, NET_END_FIN);
	net_close(&c);
	net_listener_close(&l);
}
END_TEST

START_TEST(net_listen_port_in_use)
{
	struct net_listener a, b;
	listen_v4(&a);
	int rc = net_listen(&b, "127.0.0.1", net_listener_port(&a), 4);
	ck_assert_int_eq(rc, WSP_E_NET_LISTEN);
	ck_assert_int_eq(b.fd, -1);
	ck_assert_msg(strstr(b.errmsg, "in use") != NULL, "%s", b.errmsg);
	net_listener_close(&a);
	/* The wildcard address works too (IPv6 dual-stack or IPv4). */
	ck_assert_int_eq(net_listen(&b, NULL, 0, 4), 0);
	ck_assert_uint_ne(net_listener_port(&b), 0);
	struct net_conn c, s;
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", net_listener_port(&b),
				     NET_FAMILY_V4, in_ms(LONG_MS)),
			 0);
	ck_assert_int_eq(net_accept(&b, &s, in_ms(LONG_MS)), 0);
	net_close(&c);
	net_close(&s);
	net_listener_close(&b);
}
END_TEST

START_TEST(net_bad_arguments)
{
	struct net_conn c;
	uint8_t b[4];
	net_conn_init(&c);
	ck_assert_int_eq(net_read(&c, b, sizeof(b), in_ms(0)),
			 WSP_E_NET_CLOSED);
	ck_assert_int_eq(net_read(&c, b, 0, in_ms(0)), WSP_E_INVAL);
	ck_assert_int_eq(net_read(&c, NULL, 4, in_ms(0)), WSP_E_INVAL);
	ck_assert_int_eq(net_write_all(&c, b, 4, in_ms(0)), WSP_E_NET_CLOSED);
	ck_assert_int_eq(net_write_all(&c, NULL, 4, in_ms(0)), WSP_E_INVAL);
	ck_assert_int_eq(net_wait_readable(&c, in_ms(0)), WSP_E_NET_CLOSED);
	ck_assert_int_eq(net_shutdown_write(&c, in_ms(0)), WSP_E_NET_CLOSED);
	ck_assert_int_eq(net_connect(&c, NULL, 80, NET_FAMILY_ANY, in_ms(0)),
			 WSP_E_INVAL);
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", 0, NET_FAMILY_ANY,
				     in_ms(0)),
			 WSP_E_INVAL);
	ck_assert_int_eq(net_listen(NULL, NULL, 0, 1), WSP_E_INVAL);
	struct net_listener l;
	ck_assert_int_eq(net_listen(&l, "127.0.0.1", 0, -1), WSP_E_INVAL);
	ck_assert_int_eq(net_accept(&l, &c, in_ms(0)), WSP_E_INVAL);
	net_close(&c);
	net_abort(&c);
	net_close(NULL);
	net_abort(NULL);
	net_listener_close(NULL);
	ck_assert_str_eq(net_end_name(NET_END_TLS_EOF),
			 "EOF without close_notify");
}
END_TEST

/* ========================================================================
 * TLS
 * ===================================================================== */

/* A self-signed certificate for localhost, 127.0.0.1 and ::1. */
static void make_cert(struct tl_certdir *cd)
{
	tl_certdir_make(cd, "DNS:localhost,IP:127.0.0.1,IP:::1");
}

/* What the TLS server thread does after the handshake. */
enum srv_mode {
	SRV_WAIT_EOF = 0,   /* read until the client ends, then close */
	SRV_ECHO,           /* read echo_len bytes, send them back */
	SRV_HALF_CLOSE,     /* read to close_notify, answer "bye", close */
	SRV_ABORT,          /* RST right away */
	SRV_FIN_NO_NOTIFY,  /* TCP FIN without close_notify */
	SRV_SEND_HELLO      /* send "hello world", then as SRV_WAIT_EOF */
};

struct tls_server {
	struct net_listener l;
	struct net_tls tls;
	enum srv_mode mode;
	size_t echo_len;
	/* results */
	int accept_rc;
	int hs_rc;
	char hs_err[NET_ERRMSG_MAX];
	char sni[256];
	int io_rc;
	enum net_end end;
	pthread_t th;
};

static void *tls_server_main(void *arg)
{
	struct tls_server *t = arg;
	struct net_conn s;
	t->accept_rc = net_accept(&t->l, &s, in_ms(LONG_MS));
	if (t->accept_rc != 0)
		return NULL;
	t->hs_rc = net_tls_handshake(&s, &t->tls, NULL, in_ms(LONG_MS));
	memcpy(t->hs_err, s.errmsg, sizeof(t->hs_err));
	if (s.ssl != NULL) {
		const char *sn =
			SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name);
		snprintf(t->sni, sizeof(t->sni), "%s", sn ? sn : "(none)");
	}
	if (t->hs_rc != 0) {
		net_close(&s);
		return NULL;
	}
	struct clk_deadline dl = in_ms(LONG_MS);
	static uint8_t buf[65536];
	uint8_t *echo = NULL;
	switch (t->mode) {
	case SRV_ABORT:
		net_abort(&s);
		return NULL;
	case SRV_FIN_NO_NOTIFY:
		shutdown(s.fd, SHUT_WR);
		break;
	case SRV_SEND_HELLO:
		t->io_rc = net_write_all(&s, "hello world", 11, dl);
		break;
	case SRV_ECHO:
		echo = malloc(t->echo_len);
		t->io_rc = echo ? read_exact(&s, echo, t->echo_len, dl)
				: WSP_E_NOMEM;
		if (t->io_rc == 0)
			t->io_rc = net_write_all(&s, echo, t->echo_len, dl);
		free(echo);
		break;
	case SRV_HALF_CLOSE:
		t->io_rc = net_read(&s, buf, sizeof(buf), dl);
		t->end = s.end;
		if (t->io_rc == 0)
			t->io_rc = net_write_all(&s, "bye", 3, dl);
		net_close(&s); /* sends close_notify */
		return NULL;
	case SRV_WAIT_EOF:
		break;
	}
	for (;;) {
		int n = net_read(&s, buf, sizeof(buf), dl);
		if (n <= 0)
			break;
	}
	t->end = s.end;
	net_close(&s);
	return NULL;
}

static void tls_server_start(struct tls_server *t, const struct tl_certdir *cd,
			     enum srv_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = mode;
	t->accept_rc = t->hs_rc = t->io_rc = 1;
	char err[NET_ERRMSG_MAX];
	int rc = net_tls_server_init(&t->tls, cd->cert, cd->key, err,
				     sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	listen_v4(&t->l);
	ck_assert_int_eq(pthread_create(&t->th, NULL, tls_server_main, t), 0);
}

static void tls_server_stop(struct tls_server *t)
{
	pthread_join(t->th, NULL);
	net_listener_close(&t->l);
	net_tls_free(&t->tls);
}

/* Connects to the server and runs the client handshake for name. */
static int tls_client(struct net_conn *c, struct net_tls *ct,
		      struct tls_server *t, const char *name)
{
	int rc = net_connect(c, "127.0.0.1", net_listener_port(&t->l),
			     NET_FAMILY_V4, in_ms(LONG_MS));
	ck_assert_msg(rc == 0, "%s", c->errmsg);
	return net_tls_handshake(c, ct, name, in_ms(LONG_MS));
}

static void client_ctx(struct net_tls *ct, const char *cacert, int insecure)
{
	char err[NET_ERRMSG_MAX];
	int rc = net_tls_client_init(ct, cacert, insecure, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
}

/* --cacert: the chain and the name "localhost" verify; SNI is sent. */
START_TEST(tls_cacert_verifies_name_and_sends_sni)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	int rc = tls_client(&c, &ct, &t, "localhost");
	ck_assert_msg(rc == 0, "%s: %s", wsp_errname(rc), c.errmsg);
	ck_assert_str_eq(net_tls_version(&c), "TLSv1.3");
	net_close(&c);
	tls_server_stop(&t);
	ck_assert_int_eq(t.hs_rc, 0);
	ck_assert_str_eq(t.sni, "localhost");
	ck_assert_int_eq(t.end, NET_END_TLS_CLOSE_NOTIFY);
	net_tls_free(&ct);
	net_tls_free(&ct); /* twice is fine */
	tl_certdir_remove(&cd);
}
END_TEST

/* An IP literal is checked against the iPAddress SAN and sends no SNI
 * (RFC 6066 section 3). */
START_TEST(tls_cacert_verifies_ip_literal_without_sni)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	int rc = tls_client(&c, &ct, &t, "127.0.0.1");
	ck_assert_msg(rc == 0, "%s: %s", wsp_errname(rc), c.errmsg);
	net_close(&c);
	tls_server_stop(&t);
	ck_assert_int_eq(t.hs_rc, 0);
	ck_assert_str_eq(t.sni, "(none)");
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

/* No --cacert, not insecure: the system store does not know our
 * self-signed certificate; the message says so in OpenSSL's words. */
START_TEST(tls_without_cacert_fails_verification)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	struct net_tls ct;
	client_ctx(&ct, NULL, 0);
	struct net_conn c;
	int rc = tls_client(&c, &ct, &t, "localhost");
	ck_assert_msg(rc == WSP_E_NET_TLS_VERIFY, "%s: %s", wsp_errname(rc),
		      c.errmsg);
	const char *why = X509_verify_cert_error_string(
		X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	ck_assert_msg(strstr(c.errmsg, why) != NULL, "'%s' lacks '%s'",
		      c.errmsg, why);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "rejected"));
	ck_assert_ptr_null(strchr(c.errmsg, '\n'));
	net_close(&c);
	tls_server_stop(&t);
	/* The server saw the client's alert. */
	ck_assert_int_eq(t.hs_rc, WSP_E_NET_TLS_HANDSHAKE);
	ck_assert_msg(strstr(t.hs_err, "alert") != NULL, "%s", t.hs_err);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

START_TEST(tls_insecure_skips_verification)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	struct net_tls ct;
	client_ctx(&ct, NULL, 1);
	ck_assert_int_eq(ct.insecure, 1);
	struct net_conn c;
	/* Neither the trust anchor nor the name would pass. */
	int rc = tls_client(&c, &ct, &t, "wrong.example");
	ck_assert_msg(rc == 0, "%s: %s", wsp_errname(rc), c.errmsg);
	net_close(&c);
	tls_server_stop(&t);
	ck_assert_int_eq(t.hs_rc, 0);
	ck_assert_str_eq(t.sni, "wrong.example");
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

START_TEST(tls_hostname_mismatch_fails)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	int rc = tls_client(&c, &ct, &t, "example.com");
	ck_assert_msg(rc == WSP_E_NET_TLS_VERIFY, "%s: %s", wsp_errname(rc),
		      c.errmsg);
	const char *why =
		X509_verify_cert_error_string(X509_V_ERR_HOSTNAME_MISMATCH);
	ck_assert_msg(strstr(c.errmsg, why) != NULL, "'%s' lacks '%s'",
		      c.errmsg, why);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "'example.com'"));
	net_close(&c);
	/* And an IP literal that is not in the certificate. */
	tls_server_stop(&t);
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	rc = tls_client(&c, &ct, &t, "127.0.0.2");
	ck_assert_msg(rc == WSP_E_NET_TLS_VERIFY, "%s: %s", wsp_errname(rc),
		      c.errmsg);
	why = X509_verify_cert_error_string(X509_V_ERR_IP_ADDRESS_MISMATCH);
	ck_assert_msg(strstr(c.errmsg, why) != NULL, "'%s' lacks '%s'",
		      c.errmsg, why);
	net_close(&c);
	tls_server_stop(&t);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

/* Client side: the listener never accepts, so no ServerHello comes. */
START_TEST(tls_client_handshake_times_out)
{
	struct net_listener l;
	listen_v4(&l);
	struct net_tls ct;
	client_ctx(&ct, NULL, 1);
	struct net_conn c;
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", net_listener_port(&l),
				     NET_FAMILY_V4, in_ms(LONG_MS)),
			 0);
	int64_t t0 = clk_now_ms();
	int rc = net_tls_handshake(&c, &ct, "localhost", in_ms(300));
	int64_t el = clk_now_ms() - t0;
	ck_assert_msg(rc == WSP_E_NET_TLS_TIMEOUT, "%s", wsp_errname(rc));
	ck_assert_int_ge(el, 300);
	ck_assert_int_le(el, 300 + LATE_MS);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "timed out"));
	net_close(&c);
	net_listener_close(&l);
	net_tls_free(&ct);
}
END_TEST

/* Server side: a client connects and never sends a ClientHello. */
START_TEST(tls_server_handshake_times_out)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct net_tls st;
	char err[NET_ERRMSG_MAX];
	ck_assert_int_eq(net_tls_server_init(&st, cd.cert, cd.key, err,
					     sizeof(err)),
			 0);
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	int64_t t0 = clk_now_ms();
	int rc = net_tls_handshake(&s, &st, NULL, in_ms(300));
	int64_t el = clk_now_ms() - t0;
	ck_assert_msg(rc == WSP_E_NET_TLS_TIMEOUT, "%s", wsp_errname(rc));
	ck_assert_int_ge(el, 300);
	ck_assert_int_le(el, 300 + LATE_MS);
	net_close(&s);
	net_close(&c);
	net_listener_close(&l);
	net_tls_free(&st);
	tl_certdir_remove(&cd);
}
END_TEST

/* A plain-HTTP client talking to the TLS server: a clear handshake
 * error, not a hang. */
START_TEST(tls_server_rejects_garbage)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct net_tls st;
	char err[NET_ERRMSG_MAX];
	ck_assert_int_eq(net_tls_server_init(&st, cd.cert, cd.key, err,
					     sizeof(err)),
			 0);
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	ck_assert_int_eq(net_write_all(&c, req, sizeof(req) - 1,
				       in_ms(LONG_MS)),
			 0);
	int rc = net_tls_handshake(&s, &st, NULL, in_ms(LONG_MS));
	ck_assert_msg(rc == WSP_E_NET_TLS_HANDSHAKE, "%s", wsp_errname(rc));
	ck_assert_int_eq(s.end, NET_END_TLS_ERROR);
	ck_assert_msg(strstr(s.errmsg, "http request") != NULL, "%s",
		      s.errmsg);
	/* The connection is dead for TLS now. */
	uint8_t b[4];
	ck_assert_int_eq(net_read(&s, b, sizeof(b), in_ms(0)), WSP_E_NET_TLS);
	net_close(&s);
	net_close(&c);
	net_listener_close(&l);
	net_tls_free(&st);
	tl_certdir_remove(&cd);
}
END_TEST

/* 1 MiB each way through TLS, byte for byte. */
START_TEST(tls_roundtrip_1mib)
{
	const size_t len = 1u << 20;
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_ECHO);
	t.echo_len = len; /* read by the thread only after the handshake */
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	int rc = tls_client(&c, &ct, &t, "localhost");
	ck_assert_msg(rc == 0, "%s", c.errmsg);
	uint8_t *data = pattern_buf(len);
	size_t sent = 0;
	ck_assert_int_eq(net_write(&c, data, len, &sent, in_ms(10000)), 0);
	ck_assert_uint_eq(sent, len);
	uint8_t *back = malloc(len);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(read_exact(&c, back, len, in_ms(10000)), 0);
	ck_assert_int_eq(memcmp(back, data, len), 0);
	net_close(&c);
	tls_server_stop(&t);
	ck_assert_int_eq(t.io_rc, 0);
	free(data);
	free(back);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

/* close_notify both ways, with the half-closed direction still usable. */
START_TEST(tls_close_notify_half_close)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_HALF_CLOSE);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	ck_assert_int_eq(tls_client(&c, &ct, &t, "localhost"), 0);
	ck_assert_int_eq(net_shutdown_write(&c, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(net_write_all(&c, "x", 1, in_ms(0)),
			 WSP_E_NET_CLOSED);
	uint8_t buf[8];
	ck_assert_int_eq(read_exact(&c, buf, 3, in_ms(LONG_MS)), 0);
	ck_assert_int_eq(memcmp(buf, "bye", 3), 0);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	ck_assert_int_eq(c.end, NET_END_TLS_CLOSE_NOTIFY);
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	net_close(&c);
	tls_server_stop(&t);
	ck_assert_int_eq(t.io_rc, 0);
	ck_assert_int_eq(t.end, NET_END_TLS_CLOSE_NOTIFY);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

START_TEST(tls_peer_reset_recorded)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_ABORT);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	ck_assert_int_eq(tls_client(&c, &ct, &t, "localhost"), 0);
	tls_server_stop(&t); /* the RST has been sent */
	uint8_t buf[8];
	int rc = net_read(&c, buf, sizeof(buf), in_ms(LONG_MS));
	ck_assert_msg(rc == WSP_E_NET_RESET, "%s %s", wsp_errname(rc),
		      c.errmsg);
	ck_assert_int_eq(c.end, NET_END_RESET);
	net_close(&c);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

/* TCP FIN without close_notify: read returns 0 and says which end. */
START_TEST(tls_fin_without_close_notify_recorded)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_FIN_NO_NOTIFY);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	ck_assert_int_eq(tls_client(&c, &ct, &t, "localhost"), 0);
	uint8_t buf[8];
	int rc = net_read(&c, buf, sizeof(buf), in_ms(LONG_MS));
	ck_assert_msg(rc == 0, "%s %s", wsp_errname(rc), c.errmsg);
	ck_assert_int_eq(c.end, NET_END_TLS_EOF);
	ck_assert_ptr_nonnull(strstr(c.errmsg, "without close_notify"));
	ck_assert_int_eq(net_read(&c, buf, sizeof(buf), in_ms(LONG_MS)), 0);
	net_close(&c);
	tls_server_stop(&t);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

/* Through the BIO too, a write to a vanished peer is an error code, never
 * SIGPIPE (left at its default action here). */
START_TEST(tls_write_to_closed_peer_no_sigpipe)
{
	signal(SIGPIPE, SIG_DFL);
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_ABORT);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	ck_assert_int_eq(tls_client(&c, &ct, &t, "localhost"), 0);
	tls_server_stop(&t);
	static uint8_t chunk[16384];
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++) {
		rc = net_write_all(&c, chunk, sizeof(chunk), in_ms(LONG_MS));
		if (rc == 0)
			sleep_ms(5);
	}
	ck_assert_msg(rc == WSP_E_NET_RESET || rc == WSP_E_NET_PIPE, "%s %s",
		      wsp_errname(rc), c.errmsg);
	/* Closing sends nothing more and raises nothing. */
	net_close(&c);

	/* EPIPE for certain: our own TCP sending side is shut down under
	 * the TLS layer, so the BIO's send() fails with EPIPE, which
	 * raises SIGPIPE unless MSG_NOSIGNAL is there. */
	tls_server_start(&t, &cd, SRV_WAIT_EOF);
	ck_assert_int_eq(tls_client(&c, &ct, &t, "localhost"), 0);
	ck_assert_int_eq(shutdown(c.fd, SHUT_WR), 0);
	rc = net_write_all(&c, chunk, sizeof(chunk), in_ms(LONG_MS));
	ck_assert_msg(rc == WSP_E_NET_PIPE, "%s %s", wsp_errname(rc),
		      c.errmsg);
	ck_assert_int_eq(c.last_errno, EPIPE);
	net_close(&c);
	tls_server_stop(&t);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

/* Bytes decrypted into OpenSSL's buffer do not make the socket readable:
 * net_wait_readable must see them anyway (SSL_pending). */
START_TEST(tls_wait_readable_sees_buffered_bytes)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct tls_server t;
	tls_server_start(&t, &cd, SRV_SEND_HELLO);
	struct net_tls ct;
	client_ctx(&ct, cd.cert, 0);
	struct net_conn c;
	ck_assert_int_eq(tls_client(&c, &ct, &t, "localhost"), 0);
	uint8_t b[16];
	ck_assert_int_eq(net_read(&c, b, 1, in_ms(LONG_MS)), 1);
	ck_assert_int_eq(b[0], 'h');
	/* The socket itself has nothing more (the record was read whole). */
	struct pollfd p = {.fd = c.fd, .events = POLLIN, .revents = 0};
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(net_wait_readable(&c, in_ms(0)), 0);
	ck_assert_int_eq(read_exact(&c, b, 10, in_ms(0)), 0);
	ck_assert_int_eq(memcmp(b, "ello world", 10), 0);
	/* Now nothing is buffered: waiting times out. */
	ck_assert_int_eq(net_wait_readable(&c, in_ms(50)), WSP_E_NET_TIMEOUT);
	net_close(&c);
	tls_server_stop(&t);
	ck_assert_int_eq(t.io_rc, 0);
	net_tls_free(&ct);
	tl_certdir_remove(&cd);
}
END_TEST

START_TEST(tls_config_errors_name_the_file)
{
	struct tl_certdir cd;
	make_cert(&cd);
	struct net_tls t;
	char err[NET_ERRMSG_MAX];
	ck_assert_int_eq(net_tls_client_init(&t, "/nonexistent/ca.pem", 0, err,
					     sizeof(err)),
			 WSP_E_NET_TLS_CONFIG);
	ck_assert_ptr_null(t.ctx);
	ck_assert_msg(strstr(err, "'/nonexistent/ca.pem'") != NULL, "%s", err);
	ck_assert_int_eq(net_tls_server_init(&t, "/nonexistent/c.pem",
					     cd.key, err, sizeof(err)),
			 WSP_E_NET_TLS_CONFIG);
	ck_assert_msg(strstr(err, "certificate") != NULL, "%s", err);
	/* The certificate file is not a key. */
	ck_assert_int_eq(net_tls_server_init(&t, cd.cert, cd.cert, err,
					     sizeof(err)),
			 WSP_E_NET_TLS_CONFIG);
	ck_assert_msg(strstr(err, "private key") != NULL, "%s", err);
	/* Role mismatch: a client connection with a server context. */
	ck_assert_int_eq(net_tls_server_init(&t, cd.cert, cd.key, err,
					     sizeof(err)),
			 0);
	struct net_listener l;
	struct net_conn c, s;
	tcp_pair(&l, &c, &s);
	ck_assert_int_eq(net_tls_handshake(&c, &t, "localhost", in_ms(0)),
			 WSP_E_INVAL);
	ck_assert_ptr_null(c.ssl);
	net_close(&c);
	net_close(&s);
	net_listener_close(&l);
	net_tls_free(&t);
	tl_certdir_remove(&cd);
}
END_TEST

Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("clock");
	tcase_add_test(tc, clock_never_and_expired);
	tcase_add_test(tc, clock_saturates);
	tcase_add_test(tc, clock_remaining_rounds_up_never_early);
	tcase_add_loop_test(tc, clock_wall_format_utc_ms, 0,
			    (int)(sizeof(wall_vecs) / sizeof(wall_vecs[0])));
	tcase_add_test(tc, clock_wall_format_buffer_and_now);
	suite_add_tcase(s, tc);

	tc = tcase_create("tcp");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, net_connect_ipv4_exchange);
	tcase_add_test(tc, net_connect_ipv6_exchange);
	tcase_add_test(tc, net_connect_family_mismatch_is_resolve_error);
	tcase_add_test(tc, net_connect_refused_quickly);
	tcase_add_test(tc, net_connect_times_out_at_deadline);
	tcase_add_test(tc, net_accept_times_out_at_deadline);
	tcase_add_test(tc, net_read_times_out_at_deadline);
	tcase_add_test(tc, net_wait_readable_tcp);
	tcase_add_test(tc, net_read_peer_fin);
	tcase_add_test(tc, net_read_peer_reset);
	tcase_add_test(tc, net_read_after_write_met_reset_returns_what_arrived);
	tcase_add_test(tc, net_write_to_closed_peer_no_sigpipe);
	tcase_add_test(tc, net_write_large_to_slow_reader);
	tcase_add_test(tc, net_write_reports_sent_on_timeout);
	tcase_add_test(tc, net_shutdown_write_half_close);
	tcase_add_test(tc, net_listen_port_in_use);
	tcase_add_test(tc, net_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tls_cacert_verifies_name_and_sends_sni);
	tcase_add_test(tc, tls_cacert_verifies_ip_literal_without_sni);
	tcase_add_test(tc, tls_without_cacert_fails_verification);
	tcase_add_test(tc, tls_insecure_skips_verification);
	tcase_add_test(tc, tls_hostname_mismatch_fails);
	tcase_add_test(tc, tls_client_handshake_times_out);
	tcase_add_test(tc, tls_server_handshake_times_out);
	tcase_add_test(tc, tls_server_rejects_garbage);
	tcase_add_test(tc, tls_roundtrip_1mib);
	tcase_add_test(tc, tls_close_notify_half_close);
	tcase_add_test(tc, tls_peer_reset_recorded);
	tcase_add_test(tc, tls_fin_without_close_notify_recorded);
	tcase_add_test(tc, tls_write_to_closed_peer_no_sigpipe);
	tcase_add_test(tc, tls_wait_readable_sees_buffered_bytes);
	tcase_add_test(tc, tls_config_errors_name_the_file);
	suite_add_tcase(s, tc);
	return s;
}
