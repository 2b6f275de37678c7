/*
 * check_role_server.c: wsprobe's server role (harness/role_server.h)
 * driven over real loopback sockets by a test client that behaves like an
 * Autobahn fuzzingserver client driver (shared/reference/autobahn.md
 * section 6): /getCaseCount, then /runCase for each case echoing every
 * message with its opcode until the server closes, then /updateReports.
 * The client is built on harness/sess.h, a real WebSocket client, so every
 * frame it sends is masked and every rule the server breaks would fail it.
 *
 * Also here: the query-string parser and the fuzzingserver.json parser
 * (vector tables), the endpoints' answers and refusals (404, 1008), a
 * client that connects and stays silent, TLS, and `wsprobe server` itself
 * through cli_server (exit codes, --spec, --port-file).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli_opts.h"
#include "lib.h"
#include "rep.h"
#include "role_server.h"
#include "sess.h"
#include "wsp_err.h"

/* ========================================================================
 * Helpers: the server in a thread, temporary directories, the client
 * ===================================================================== */

struct srv_thread {
	pthread_t th;
	struct run_server_opts o;
	struct run_select sel;
	struct res_run results;
	char dir[64];
	volatile int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;
	int done;
	uint16_t port;
	int rc;
	char err[512];
};

static void on_ready(uint16_t port, void *user)
{
	struct srv_thread *t = user;
	pthread_mutex_lock(&t->mu);
	t->port = port;
	t->ready = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static void *srv_main(void *arg)
{
	struct srv_thread *t = arg;
	t->rc = run_server(&t->o, &t->results, t->err, sizeof(t->err));
	pthread_mutex_lock(&t->mu);
	t->done = 1;
	t->ready = 1; /* wake a waiter when listening failed */
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static void make_dir(char *dir, size_t cap)
{
	snprintf(dir, cap, "/tmp/wsprobe-rs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
	/* Only the test's own mkdtemp directory. */
	ck_assert_int_eq(strncmp(dir, "/tmp/wsprobe-rs-", 16), 0);
	tl_rm_rf(dir);
}

/* Fills t with defaults (the caller may change t->o before srv_start). */
static void srv_init(struct srv_thread *t)
{
	memset(t, 0, sizeof(*t));
	make_dir(t->dir, sizeof(t->dir));
	ck_assert_int_eq(res_run_init(&t->results, "test", 7), 0);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->o.host = "127.0.0.1";
	t->o.port = 0;
	t->o.report_dir = t->dir;
	t->o.seed = 7;
	t->o.ready = on_ready;
	t->o.user = t;
	t->o.stop = &t->stop;
	t->o.handshake_timeout_ms = 2000;
}

static void srv_start(struct srv_thread *t)
{
	ck_assert_int_eq(pthread_create(&t->th, NULL, srv_main, t), 0);
	pthread_mutex_lock(&t->mu);
	while (!t->ready)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	ck_assert_msg(!t->done, "server did not start: %s", t->err);
}

/* Waits up to ms for the server thread to end by itself; 1 if it did. */
static int srv_wait_done(struct srv_thread *t, int64_t ms)
{
	int64_t end = clk_now_ns() + ms * 1000000;
	for (;;) {
		pthread_mutex_lock(&t->mu);
		int d = t->done;
		pthread_mutex_unlock(&t->mu);
		if (d)
			return 1;
		if (clk_now_ns() > end)
			return 0;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
}

/* Stops the server (if still running), joins, frees. */
static void srv_finish(struct srv_thread *t)
{
	t->stop = 1;
	pthread_join(t->th, NULL);
	res_free(&t->results);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	remove_dir(t->dir);
}

/* The number of client-role cases in the embedded library that sel
 * selects (NULL: all). */
static size_t selected_client_cases(const struct run_select *sel)
{
	struct lcase_file *files;
	size_t nfiles, n = 0;
	char err[256];
	ck_assert_int_eq(run_load(NULL, &files, &nfiles, err, sizeof(err)), 0);
	for (size_t i = 0; i < nfiles; i++) {
		for (size_t k = 0; k < files[i].ncases; k++)
			n += (files[i].cases[k].roles & LCASE_ROLE_CLIENT) != 0 &&
			     run_selected(sel, files[i].cases[k].id);
		lcase_file_free(&files[i]);
	}
	free(files);
	return n;
}

/* A client session (sess.h) open on ws[s]://127.0.0.1:port + target
 * with the opening-handshake options open (NULL: none); returns the
 * sess_connect code.  tls may be NULL. */
static int ws_open_with(struct sess *s, uint16_t port, const char *target,
			struct net_tls *tls, const struct sess_open_opts *open)
{
	struct sess_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WSP_ROLE_CLIENT;
	/* A new seed per connection: the nonce and the masking keys of a
	 * client must be fresh on every connection (R6455-4.1-30,
	 * R6455-5.3-02), which cases 22.9.x check across /runCase
	 * connections. */
	static uint64_t next_seed = 99;
	cfg.seed = next_seed++;
	cfg.record = 1;
	cfg.deliver_before_fail = 1;
	cfg.max_message = (uint64_t)1 << 25;
	ck_assert_int_eq(sess_init(s, &cfg), 0);
	char u[512];
	snprintf(u, sizeof(u), "%s://127.0.0.1:%u%s", tls ? "wss" : "ws",
		 (unsigned)port, target);
	struct url url;
	ck_assert_int_eq(url_parse(&url, u, strlen(u)), 0);
	return sess_connect(s, &url, tls, open);
}

static int ws_open(struct sess *s, uint16_t port, const char *target,
		   struct net_tls *tls)
{
	return ws_open_with(s, port, target, tls, NULL);
}

/* What a one-message endpoint answered. */
struct answer {
	int opened;
	int nmsg;
	uint8_t opcode;
	char text[1024];
	int has_code;
	unsigned code;
	char reason[128];
	char open_error[256];
};

/* Connects to target and reads until the server closes (an Autobahn
 * driver's getCaseCount/updateReports step). */
static void ask(uint16_t port, const char *target, struct net_tls *tls,
		struct answer *a)
{
	memset(a, 0, sizeof(*a));
	struct sess s;
	if (ws_open(&s, port, target, tls) != 0) {
		snprintf(a->open_error, sizeof(a->open_error), "%s", s.open_error);
		sess_free(&s);
		return;
	}
	a->opened = 1;
	struct clk_deadline dl = clk_deadline_in_ms(5000);
	const struct sess_event *e;
	while ((e = sess_next_event(&s, dl)) != NULL) {
		if (e->type != VD_EV_MESSAGE)
			continue;
		if (a->nmsg++ == 0) {
			a->opcode = e->opcode;
			size_t n = e->len < sizeof(a->text) - 1 ? e->len
								: sizeof(a->text) - 1;
			memcpy(a->text, e->data, n);
			a->text[n] = '\0';
		}
	}
	if (s.state != SESS_CLOSED)
		sess_close(&s, 1, 1000, NULL, 0);
	a->has_code = s.has_remote_code;
	a->code = s.remote_code;
	snprintf(a->reason, sizeof(a->reason), "%s", s.remote_reason);
	sess_free(&s);
}

/* Plays one /runCase as an Autobahn driver does: echo every message with
 * its opcode until the server closes. */
static void run_case_echo(uint16_t port, const char *target)
{
	struct sess s;
	if (ws_open(&s, port, target, NULL) != 0) {
		sess_free(&s);
		return;
	}
	const struct sess_event *e;
	while ((e = sess_next_event(&s, clk_deadline_in_ms(10000))) != NULL) {
		if (e->type == VD_EV_MESSAGE)
			sess_send_message(&s, e->opcode, e->data, e->len, 0, -1,
					  NULL);
		sess_release_consumed(&s);
	}
	if (s.state != SESS_CLOSED)
		sess_close(&s, 1, 1000, NULL, 0);
	sess_free(&s);
}

/* Plays one /runCase as a client that offers Autobahn's default
 * permessage-deflate offer and echoes every message, except that echo
 * number 'corrupt' (1-based; 0: none) has byte 101 changed. */
static void run_case_deflate_echo(uint16_t port, const char *target,
				  int corrupt)
{
	static const char *const offer[] = {
		"permessage-deflate; client_no_context_takeover; "
		"client_max_window_bits"};
	struct sess s;
	struct sess_open_opts open;
	memset(&open, 0, sizeof(open));
	open.req.extensions = offer;
	open.req.nextensions = 1;
	ck_assert_int_eq(ws_open_with(&s, port, target, NULL, &open), 0);
	ck_assert_int_eq(s.pmd_on, 1);
	static uint8_t copy[4096];
	int n = 0;
	const struct sess_event *e;
	while ((e = sess_next_event(&s, clk_deadline_in_ms(10000))) != NULL) {
		if (e->type == VD_EV_MESSAGE) {
			ck_assert_uint_le(e->len, sizeof(copy));
			memcpy(copy, e->data, e->len);
			if (++n == corrupt && e->len > 100)
				copy[100] ^= 0x01;
			sess_send_message(&s, e->opcode, copy, e->len, 0, -1,
					  NULL);
		}
		sess_release_consumed(&s);
	}
	if (s.state != SESS_CLOSED)
		sess_close(&s, 1, 1000, NULL, 0);
	sess_free(&s);
}

static size_t case_count(uint16_t port)
{
	struct answer a;
	ask(port, "/getCaseCount", NULL, &a);
	ck_assert_msg(a.opened, "getCaseCount: %s", a.open_error);
	ck_assert_int_eq(a.nmsg, 1);
	ck_assert_uint_eq(a.opcode, WSP_OP_TEXT);
	ck_assert_int_eq(a.has_code, 1);
	ck_assert_uint_eq(a.code, 1000);
	uint64_t n;
	ck_assert_msg(cli_parse_u64(a.text, 0, 100000, &n) == 0, "'%s'", a.text);
	return (size_t)n;
}

/* Reads DIR/results.json back. */
static void read_results(const char *dir, struct res_run *r)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/results.json", dir);
	/* Issue 5: results.json now carries each case's wire log and is
	 * larger than a fixed 1 MiB buffer; rep_json_load reads any size. */
	char err[512] = "";
	int rc = rep_json_load(r, path, err, sizeof(err));
	ck_assert_msg(rc == 0, "results.json: %s", err);
	/* Issue 5: every results.json the tests produce matches the JSON
	 * Schema (docs/results.schema.json, checked by tests/reports/check.py
	 * with Debian's python3-jsonschema; the tests run from the top of the
	 * tree). */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 tests/reports/check.py schema '%s' >/dev/null",
		 path);
	ck_assert_msg(system(cmd) == 0, "%s does not match the schema", path);
}

static int file_exists(const char *dir, const char *name)
{
	char path[160];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* ========================================================================
 * The Autobahn driver loop, end to end
 * ===================================================================== */

START_TEST(autobahn_driver_runs_every_client_case_ok)
{
	struct srv_thread t;
	srv_init(&t);
	/* Autobahn's quick profile: the performance category and the
	 * permessage-deflate ones (this client offers no extension) would
	 * only make the suite slow. */
	t.sel.exclude[t.sel.nexclude++] = "9.*";
	t.sel.exclude[t.sel.nexclude++] = "12.*";
	t.sel.exclude[t.sel.nexclude++] = "13.*";
	t.o.sel = &t.sel;
	srv_start(&t);
	size_t n = case_count(t.port);
	ck_assert_uint_eq(n, selected_client_cases(&t.sel));
	ck_assert_uint_gt(n, 0);
	for (size_t i = 1; i <= n; i++) {
		char target[128];
		snprintf(target, sizeof(target), "/runCase?case=%zu&agent=my%%20agent",
			 i);
		run_case_echo(t.port, target);
	}
	struct answer a;
	ask(t.port, "/updateReports?agent=my%20agent", NULL, &a);
	ck_assert(a.opened);
	ck_assert_int_eq(a.nmsg, 0);
	ck_assert_uint_eq(a.code, 1000);

	/* The report is on disk once the close arrived, with Autobahn's
	 * index.json that client drivers parse next. */
	ck_assert(file_exists(t.dir, "index.json"));
	struct res_run r;
	read_results(t.dir, &r);
	ck_assert_uint_eq(r.nagents, 1);
	ck_assert_str_eq(r.agents[0].agent, "my agent");
	ck_assert_str_eq(r.agents[0].role, "client");
	char target[64];
	snprintf(target, sizeof(target), "127.0.0.1:%u", (unsigned)t.port);
	ck_assert_str_eq(r.agents[0].target, target);
	ck_assert_uint_eq(r.agents[0].ncases, n);
	ck_assert_uint_eq(r.agents[0].summary.total, n);
	for (size_t i = 0; i < r.agents[0].ncases; i++) {
		const struct res_case *c = &r.agents[0].cases[i];
		/* OK, or INFORMATIONAL where the case only records what the
		 * peer did (7.1.6), or UNIMPLEMENTED where the case needs
		 * permessage-deflate and this driver offers none (15.3.x,
		 * 19.x): what Autobahn client projects accept. */
		ck_assert_msg(c->verdict == VD_OK ||
				      c->verdict == VD_INFORMATIONAL ||
				      c->verdict == VD_UNIMPLEMENTED,
			      "case %s: %s (%s)", c->id,
			      vd_behavior_name(c->verdict),
			      c->reason ? c->reason : "");
		if (i > 0)
			ck_assert_int_lt(lcase_id_cmp(r.agents[0].cases[i - 1].id,
						      c->id),
					 0);
	}
	ck_assert_uint_eq(r.agents[0].summary.ok +
				  r.agents[0].summary.informational +
				  r.agents[0].summary.unimplemented,
			  n);
	ck_assert_uint_eq(r.agents[0].summary.failed, 0);
	ck_assert_uint_gt(r.agents[0].summary.ok, n / 2);
	res_free(&r);

	/* getCaseStatus answers the stored behavior. */
	ask(t.port, "/getCaseStatus?case=1&agent=my+agent", NULL, &a);
	ck_assert(a.opened);
	ck_assert_int_eq(a.nmsg, 1);
	ck_assert_str_eq(a.text, "{\"behavior\": \"OK\"}");
	ck_assert_uint_eq(a.code, 1000);

	/* /stopServer ends it. */
	ask(t.port, "/stopServer", NULL, &a);
	ck_assert(a.opened);
	ck_assert_uint_eq(a.code, 1000);
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_int_eq(t.rc, 0);
	ck_assert_str_eq(t.err, "");
	ck_assert_uint_eq(t.results.nagents, 1);
	ck_assert_uint_eq(t.results.agents[0].summary.failed, 0);
	srv_finish(&t);
}
END_TEST

START_TEST(case_count_honours_include_and_exclude)
{
	struct srv_thread t;
	srv_init(&t);
	t.sel.include[t.sel.ninclude++] = "1.*";
	t.sel.include[t.sel.ninclude++] = "2.1*";
	t.sel.exclude[t.sel.nexclude++] = "1.2.*";
	t.o.sel = &t.sel;
	srv_start(&t);
	/* 1.1.1-1.1.8, 2.1, 2.10, 2.11. */
	ck_assert_uint_eq(case_count(t.port), 11);
	/* The numbering is the filtered list in id order: 9 is 2.1, 10 is
	 * 2.10 (not 2.2), 11 is 2.11. */
	static const char *const ids[] = {"1.1.1", "1.1.8", "2.1", "2.10", "2.11"};
	static const int nums[] = {1, 8, 9, 10, 11};
	for (size_t i = 0; i < 5; i++) {
		char target[64];
		snprintf(target, sizeof(target), "/getCaseInfo?case=%d", nums[i]);
		struct answer a;
		ask(t.port, target, NULL, &a);
		json_error_t je;
		json_t *j = json_loads(a.text, 0, &je);
		ck_assert_msg(j != NULL, "'%s'", a.text);
		ck_assert_str_eq(json_string_value(json_object_get(j, "id")),
				 ids[i]);
		json_decref(j);
	}
	/* 1.2.1-1.2.8 are named by the include patterns but excluded. */
	run_case_echo(t.port, "/runCase?case=11&agent=q");
	ask(t.port, "/stopServer", NULL, &(struct answer){0});
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_uint_eq(t.results.nagents, 1);
	ck_assert_str_eq(t.results.agents[0].cases[0].id, "2.11");
	ck_assert_uint_eq(t.results.agents[0].nexcluded, 8);
	ck_assert_str_eq(t.results.agents[0].excluded[0].id, "1.2.1");
	srv_finish(&t);
}
END_TEST

START_TEST(case_info_answers_id_and_description)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	struct answer a;
	ask(t.port, "/getCaseInfo?casetuple=2.3", NULL, &a);
	ck_assert(a.opened);
	ck_assert_int_eq(a.nmsg, 1);
	ck_assert_uint_eq(a.opcode, WSP_OP_TEXT);
	ck_assert_uint_eq(a.code, 1000);
	/* Exactly two keys, in Autobahn's order. */
	static const char prefix[] = "{\"id\": \"2.3\", \"description\": \"";
	ck_assert_msg(strncmp(a.text, prefix, sizeof(prefix) - 1) == 0, "'%s'",
		      a.text);
	json_error_t je;
	json_t *j = json_loads(a.text, 0, &je);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_object_size(j), 2);
	/* The description is the case's own. */
	struct lcase_file *files;
	size_t nfiles;
	char err[256];
	ck_assert_int_eq(run_load(NULL, &files, &nfiles, err, sizeof(err)), 0);
	const struct lcase_meta *m = NULL;
	for (size_t i = 0; i < nfiles && m == NULL; i++)
		m = lcase_find(&files[i], "2.3");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(json_string_value(json_object_get(j, "description")),
			 m->description);
	for (size_t i = 0; i < nfiles; i++)
		lcase_file_free(&files[i]);
	free(files);
	json_decref(j);
	srv_finish(&t);
}
END_TEST

START_TEST(run_case_by_casetuple_stores_under_agent)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	run_case_echo(t.port, "/runCase?casetuple=2.3&agent=a%2Fb%C3%A9");
	run_case_echo(t.port, "/runCase?casetuple=3.1&agent=other");
	/* Played again: the result is replaced, not added. */
	run_case_echo(t.port, "/runCase?agent=a%2Fb%C3%A9&casetuple=2.3");
	ask(t.port, "/stopServer", NULL, &(struct answer){0});
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_uint_eq(t.results.nagents, 2);
	ck_assert_str_eq(t.results.agents[0].agent, "a/b\xc3\xa9");
	ck_assert_uint_eq(t.results.agents[0].ncases, 1);
	ck_assert_str_eq(t.results.agents[0].cases[0].id, "2.3");
	ck_assert_int_eq(t.results.agents[0].cases[0].verdict, VD_OK);
	ck_assert_str_eq(t.results.agents[1].agent, "other");
	ck_assert_str_eq(t.results.agents[1].cases[0].id, "3.1");
	ck_assert_int_eq(t.results.agents[1].cases[0].verdict, VD_OK);
	/* /stopServer wrote the reports (Autobahn loses them). */
	struct res_run r;
	read_results(t.dir, &r);
	ck_assert_uint_eq(r.nagents, 2);
	res_free(&r);
	srv_finish(&t);
}
END_TEST

/* A client that does not echo fails the case. */
START_TEST(deflate_echo_that_differs_fails_naming_the_byte)
{
	/* 12.x/13.x compare every echo with the window sent (R7692-6.2-01:
	 * the payload of a compressed message is what decompressing gives):
	 * a client whose third echo has one bit changed fails the case, the
	 * reason naming the echo and the byte; the same client echoing
	 * faithfully passes. */
	struct srv_thread t;
	srv_init(&t);
	t.sel.include[t.sel.ninclude++] = "12.2.4";
	t.o.sel = &t.sel;
	srv_start(&t);
	run_case_deflate_echo(t.port, "/runCase?casetuple=12.2.4&agent=bad", 3);
	run_case_deflate_echo(t.port, "/runCase?casetuple=12.2.4&agent=good", 0);
	struct answer a;
	ask(t.port, "/getCaseStatus?casetuple=12.2.4&agent=bad", NULL, &a);
	ck_assert_str_eq(a.text, "{\"behavior\": \"FAILED\"}");
	ask(t.port, "/getCaseStatus?casetuple=12.2.4&agent=good", NULL, &a);
	ck_assert_str_eq(a.text, "{\"behavior\": \"OK\"}");
	ask(t.port, "/updateReports", NULL, &a);
	struct res_run r;
	read_results(t.dir, &r);
	int found = 0;
	for (size_t i = 0; i < r.nagents; i++) {
		if (strcmp(r.agents[i].agent, "bad") != 0)
			continue;
		ck_assert_uint_eq(r.agents[i].ncases, 1);
		const char *why = r.agents[i].cases[0].reason;
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, "echo 3 differs from what was sent "
					  "(1024 bytes back, 1024 sent, first "
					  "difference at byte 101)") != NULL,
			      "%s", why);
		found = 1;
	}
	ck_assert_int_eq(found, 1);
	res_free(&r);
	srv_finish(&t);
}
END_TEST

START_TEST(non_echoing_client_fails_the_case)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	struct sess s;
	ck_assert_int_eq(ws_open(&s, t.port, "/runCase?casetuple=1.1.2&agent=x",
				 NULL),
			 0);
	sess_close(&s, 1, 1000, NULL, 0);
	sess_free(&s);
	struct answer a;
	ask(t.port, "/getCaseStatus?casetuple=1.1.2&agent=x", NULL, &a);
	ck_assert_str_eq(a.text, "{\"behavior\": \"FAILED\"}");
	srv_finish(&t);
}
END_TEST

/* ========================================================================
 * Refusals
 * ===================================================================== */

struct refusal {
	const char *target;
	const char *reason_part;
};

static const struct refusal refusals[] = {
	{"/runCase?case=0&agent=a", "no case 0"},
	{"/runCase?case=100000&agent=a", "no case 100000"},
	{"/runCase?case=abc&agent=a", "no case abc"},
	{"/runCase?case=-1&agent=a", "no case -1"},
	{"/runCase?case=1", "missing agent"},
	{"/runCase?case=1&agent=", "missing agent"},
	{"/runCase?case=1&agent=%00", "NUL"},
	{"/runCase?case=1&agent=%FF", "UTF-8"},
	{"/runCase?agent=a", "missing case"},
	{"/runCase?casetuple=9.9.9&agent=a", "no case 9.9.9"},
	{"/runCase?casetuple=1.1&agent=a", "no case 1.1"},
	{"/getCaseInfo?case=0", "no case 0"},
	{"/getCaseInfo", "missing case"},
	{"/getCaseStatus?case=1", "missing agent"},
	{"/getCaseStatus?case=1&agent=nobody", "has not run"},
};

START_TEST(bad_requests_close_with_1008)
{
	const struct refusal *v = &refusals[_i];
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	struct answer a;
	ask(t.port, v->target, NULL, &a);
	ck_assert_msg(a.opened, "%s: %s", v->target, a.open_error);
	ck_assert_int_eq(a.nmsg, 0);
	ck_assert_int_eq(a.has_code, 1);
	ck_assert_uint_eq(a.code, 1008);
	ck_assert_msg(strstr(a.reason, v->reason_part) != NULL, "%s: '%s'",
		      v->target, a.reason);
	/* The server is still there, and stored nothing. */
	ck_assert_uint_gt(case_count(t.port), 0);
	ask(t.port, "/stopServer", NULL, &a);
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_uint_eq(t.results.nagents, 0);
	srv_finish(&t);
}
END_TEST

/* Raw HTTP: the request head, and what came back. */
static void raw_request(uint16_t port, const char *head, char *out, size_t cap)
{
	struct net_conn c;
	ck_assert_int_eq(net_connect(&c, "127.0.0.1", port, NET_FAMILY_V4,
				     clk_deadline_in_ms(2000)),
			 0);
	ck_assert_int_eq(net_write_all(&c, head, strlen(head),
				       clk_deadline_in_ms(2000)),
			 0);
	size_t n = 0;
	struct clk_deadline dl = clk_deadline_in_ms(3000);
	while (n + 1 < cap) {
		int r = net_read(&c, out + n, cap - 1 - n, dl);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	net_close(&c);
}

static const char *const unknown_paths[] = {
	"/", "/foo", "/runcase?case=1&agent=a", "/getCaseCount/x",
	"/getCaseCountx", "/%2FgetCaseCount",
};

START_TEST(unknown_path_gets_404)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	char head[512], resp[2048];
	snprintf(head, sizeof(head),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Version: 13\r\n\r\n",
		 unknown_paths[_i]);
	raw_request(t.port, head, resp, sizeof(resp));
	ck_assert_msg(strncmp(resp, "HTTP/1.1 404 ", 13) == 0, "'%s'", resp);
	ck_assert_ptr_nonnull(strstr(resp, "\r\n\r\n"));
	/* And through a WebSocket client: the handshake fails. */
	struct answer a;
	ask(t.port, unknown_paths[_i], NULL, &a);
	ck_assert_int_eq(a.opened, 0);
	ck_assert_msg(strstr(a.open_error, "404") != NULL, "%s", a.open_error);
	ck_assert_uint_gt(case_count(t.port), 0);
	srv_finish(&t);
}
END_TEST

START_TEST(non_websocket_request_is_refused_and_server_goes_on)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	char resp[2048];
	/* A plain GET to a protocol path: the handshake is refused. */
	raw_request(t.port, "GET /getCaseCount HTTP/1.1\r\nHost: x\r\n\r\n", resp,
		    sizeof(resp));
	ck_assert_msg(strncmp(resp, "HTTP/1.1 4", 10) == 0, "'%s'", resp);
	/* Garbage. */
	raw_request(t.port, "\x16\x03\x01 not http\r\n\r\n", resp, sizeof(resp));
	ck_assert_msg(strncmp(resp, "HTTP/1.1 400", 12) == 0, "'%s'", resp);
	ck_assert_uint_gt(case_count(t.port), 0);
	srv_finish(&t);
}
END_TEST

/* ========================================================================
 * Deadlines and stopping
 * ===================================================================== */

START_TEST(silent_client_does_not_block_beyond_handshake_timeout)
{
	struct srv_thread t;
	srv_init(&t);
	t.o.handshake_timeout_ms = 400;
	srv_start(&t);
	struct net_conn silent;
	ck_assert_int_eq(net_connect(&silent, "127.0.0.1", t.port, NET_FAMILY_V4,
				     clk_deadline_in_ms(2000)),
			 0);
	/* Let the server accept the silent one first. */
	struct timespec ts = {0, 300 * 1000000};
	nanosleep(&ts, NULL);
	int64_t t0 = clk_now_ns();
	size_t n = case_count(t.port);
	int64_t ms = (clk_now_ns() - t0) / 1000000;
	ck_assert_uint_eq(n, selected_client_cases(NULL));
	ck_assert_msg(ms < 2500, "served after %lld ms", (long long)ms);
	/* The silent connection was closed by the server. */
	char b[16];
	int r = net_read(&silent, b, sizeof(b), clk_deadline_in_ms(2000));
	ck_assert_msg(r == 0 || r == WSP_E_NET_RESET, "read %d", r);
	net_close(&silent);
	srv_finish(&t);
}
END_TEST

START_TEST(shutdown_on_complete_stops_after_writing)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	run_case_echo(t.port, "/runCase?case=1&agent=z");
	struct answer a;
	ask(t.port, "/updateReports?agent=z&shutdownOnComplete=true", NULL, &a);
	ck_assert_uint_eq(a.code, 1000);
	ck_assert(file_exists(t.dir, "results.json"));
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_int_eq(t.rc, 0);
	srv_finish(&t);
}
END_TEST

START_TEST(update_reports_without_shutdown_keeps_serving)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	struct answer a;
	ask(t.port, "/updateReports?agent=z&shutdownOnComplete=false", NULL, &a);
	ck_assert_uint_eq(a.code, 1000);
	ck_assert(file_exists(t.dir, "results.json"));
	ck_assert_int_eq(srv_wait_done(&t, 300), 0);
	ck_assert_uint_gt(case_count(t.port), 0);
	srv_finish(&t);
}
END_TEST

/* The stop flag (SIGINT in the CLI) writes what ran. */
START_TEST(stop_flag_writes_the_reports_of_what_ran)
{
	struct srv_thread t;
	srv_init(&t);
	srv_start(&t);
	run_case_echo(t.port, "/runCase?case=2&agent=int");
	ck_assert(!file_exists(t.dir, "results.json"));
	t.stop = 1;
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	struct res_run r;
	read_results(t.dir, &r);
	ck_assert_uint_eq(r.nagents, 1);
	ck_assert_str_eq(r.agents[0].agent, "int");
	ck_assert_str_eq(r.agents[0].cases[0].id, "1.1.2");
	res_free(&r);
	srv_finish(&t);
}
END_TEST

START_TEST(unwritable_report_dir_is_reported)
{
	struct srv_thread t;
	srv_init(&t);
	char bad[128];
	snprintf(bad, sizeof(bad), "%s/file", t.dir);
	FILE *f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	char sub[160];
	snprintf(sub, sizeof(sub), "%s/sub", bad); /* under a regular file */
	t.o.report_dir = sub;
	srv_start(&t);
	struct answer a;
	ask(t.port, "/updateReports?agent=z", NULL, &a);
	ck_assert_uint_eq(a.code, 1011);
	ask(t.port, "/stopServer", NULL, &a);
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_int_eq(t.rc, 0);
	ck_assert_msg(strstr(t.err, "cannot write the report") != NULL, "%s",
		      t.err);
	srv_finish(&t);
}
END_TEST

START_TEST(excluded_agent_case_is_not_played)
{
	static const char *const pats[] = {"1.1.*"};
	struct run_server_agent_rule rule = {"bad*", pats, 1};
	struct srv_thread t;
	srv_init(&t);
	t.o.agent_rules = &rule;
	t.o.nagent_rules = 1;
	srv_start(&t);
	struct answer a;
	ask(t.port, "/runCase?case=1&agent=badclient", NULL, &a);
	ck_assert(a.opened);
	ck_assert_uint_eq(a.code, 1000);
	ck_assert_ptr_nonnull(strstr(a.reason, "excluded"));
	run_case_echo(t.port, "/runCase?case=1&agent=goodclient");
	run_case_echo(t.port, "/runCase?case=9&agent=badclient"); /* 1.2.1 */
	ask(t.port, "/stopServer", NULL, &a);
	ck_assert_int_eq(srv_wait_done(&t, 3000), 1);
	ck_assert_uint_eq(t.results.nagents, 2);
	ck_assert_str_eq(t.results.agents[0].agent, "goodclient");
	ck_assert_str_eq(t.results.agents[1].agent, "badclient");
	ck_assert_uint_eq(t.results.agents[1].ncases, 1);
	ck_assert_str_eq(t.results.agents[1].cases[0].id, "1.2.1");
	/* The reports list what each agent was not offered. */
	ck_assert_uint_eq(t.results.agents[0].nexcluded, 0);
	ck_assert_uint_eq(t.results.agents[1].nexcluded, 8);
	ck_assert_str_eq(t.results.agents[1].excluded[0].id, "1.1.1");
	ck_assert_str_eq(t.results.agents[1].excluded[7].id, "1.1.8");
	srv_finish(&t);
}
END_TEST

START_TEST(listen_failure_and_bad_tls_files_are_errors)
{
	struct net_listener l;
	ck_assert_int_eq(net_listen(&l, "127.0.0.1", 0, 4), 0);
	struct srv_thread t;
	srv_init(&t);
	t.o.port = net_listener_port(&l);
	/* SO_REUSEADDR does not let two sockets listen on one port. */
	t.rc = run_server(&t.o, &t.results, t.err, sizeof(t.err));
	ck_assert_int_eq(t.rc, WSP_E_NET_LISTEN);
	ck_assert_str_ne(t.err, "");
	net_listener_close(&l);
	t.o.port = 0;
	t.o.tls_cert = "/nonexistent/cert.pem";
	t.o.tls_key = "/nonexistent/key.pem";
	ck_assert_int_eq(run_server(&t.o, &t.results, t.err, sizeof(t.err)),
			 WSP_E_INVAL);
	t.o.tls_key = NULL;
	ck_assert_int_eq(run_server(&t.o, &t.results, t.err, sizeof(t.err)),
			 WSP_E_INVAL);
	res_free(&t.results);
	remove_dir(t.dir);
}
END_TEST

/* ========================================================================
 * TLS
 * ===================================================================== */

/* A throwaway self-signed certificate for 127.0.0.1 in dir. */
static void write_cert(const char *dir, char *cert, char *key, size_t cap)
{
	tl_cert_write(dir, "127.0.0.1", "IP:127.0.0.1", cert, key, cap);
}

START_TEST(wss_serves_the_protocol_over_tls)
{
	struct srv_thread t;
	srv_init(&t);
	char cert[128], key[128];
	write_cert(t.dir, cert, key, sizeof(cert));
	t.o.tls_cert = cert;
	t.o.tls_key = key;
	srv_start(&t);
	struct net_tls tls;
	char err[256];
	ck_assert_int_eq(net_tls_client_init(&tls, cert, 0, err, sizeof(err)), 0);
	struct answer a;
	ask(t.port, "/getCaseCount", &tls, &a);
	ck_assert_msg(a.opened, "%s", a.open_error);
	char want[16];
	snprintf(want, sizeof(want), "%zu", selected_client_cases(NULL));
	ck_assert_str_eq(a.text, want);
	/* A plain-TCP client fails the TLS handshake and the server goes on. */
	ask(t.port, "/getCaseCount", NULL, &a);
	ck_assert_int_eq(a.opened, 0);
	ask(t.port, "/getCaseInfo?case=1", &tls, &a);
	ck_assert_int_eq(strncmp(a.text, "{\"id\": \"1.1.1\"", 14), 0);
	net_tls_free(&tls);
	srv_finish(&t);
}
END_TEST

/* ========================================================================
 * The query parser
 * ===================================================================== */

struct qvec {
	const char *target;
	const char *name;
	size_t cap;
	int rc;
	const char *value;
};

static const struct qvec qvecs[] = {
	{"/runCase?case=3&agent=ws", "case", 64, 1, "3"},
	{"/runCase?case=3&agent=ws", "agent", 64, 2, "ws"},
	{"/runCase?case=3&agent=ws", "cas", 64, WSP_E_INCOMPLETE, ""},
	{"/runCase?case=3&agent=ws", "agents", 64, WSP_E_INCOMPLETE, ""},
	{"/runCase", "case", 64, WSP_E_INCOMPLETE, ""},
	{"/runCase?", "case", 64, WSP_E_INCOMPLETE, ""},
	{"/runCase?agent=my%20agent", "agent", 64, 8, "my agent"},
	{"/runCase?agent=my+agent", "agent", 64, 8, "my agent"},
	{"/runCase?agent=%2B%2b", "agent", 64, 2, "++"},
	{"/runCase?agent=%C3%A9t%C3%A9", "agent", 64, 5, "\xc3\xa9t\xc3\xa9"},
	/* A '%' without two hex digits stays. */
	{"/runCase?agent=100%", "agent", 64, 4, "100%"},
	{"/runCase?agent=%4", "agent", 64, 2, "%4"},
	{"/runCase?agent=%zz1", "agent", 64, 4, "%zz1"},
	{"/runCase?agent=%%41", "agent", 64, 2, "%A"},
	/* Empty and bare. */
	{"/runCase?agent=&case=1", "agent", 64, 0, ""},
	{"/runCase?agent&case=1", "agent", 64, 0, ""},
	{"/runCase?case=1&agent", "agent", 64, 0, ""},
	/* The first occurrence wins; empty segments are skipped. */
	{"/x?a=1&a=2", "a", 64, 1, "1"},
	{"/x?&&a=1&&", "a", 64, 1, "1"},
	/* '=' inside a value; '?' inside the query. */
	{"/x?a=b=c", "a", 64, 3, "b=c"},
	{"/x?q=1?2", "q", 64, 3, "1?2"},
	/* Names are not decoded. */
	{"/x?%61gent=x", "agent", 64, WSP_E_INCOMPLETE, ""},
	{"/x?%61gent=x", "%61gent", 64, 1, "x"},
	/* Limits: cap includes the NUL. */
	{"/x?a=abcd", "a", 5, 4, "abcd"},
	{"/x?a=abcd", "a", 4, WSP_E_NOSPACE, ""},
	{"/x?a=%41%42", "a", 3, 2, "AB"},
	{"/x?a=%41%42", "a", 2, WSP_E_NOSPACE, ""},
	{"/x?a=", "a", 1, 0, ""},
	{"/x?a=b", "a", 1, WSP_E_NOSPACE, ""},
	/* A NUL byte cannot be a value. */
	{"/x?a=b%00c", "a", 64, WSP_E_INVAL, ""},
	{"/x?a=b&c=%00", "a", 64, 1, "b"},
	{"/x?a=b", "a", 0, WSP_E_INVAL, NULL},
};

START_TEST(query_values_decode_exactly)
{
	const struct qvec *v = &qvecs[_i];
	char out[64];
	memset(out, 'Z', sizeof(out));
	int rc = run_server_query_get(v->target, v->name, out, v->cap);
	ck_assert_msg(rc == v->rc, "%s [%s]: %d, want %d", v->target, v->name, rc,
		      v->rc);
	if (v->value != NULL)
		ck_assert_str_eq(out, v->value);
	if (v->cap > 0)
		ck_assert_uint_lt(strlen(out), v->cap);
	/* Never a write past cap. */
	for (size_t i = v->cap; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], 'Z');
}
END_TEST

START_TEST(query_parser_reads_no_byte_past_the_target)
{
	/* Each prefix of a target, ending at a guard page. */
	static const char full[] = "/runCase?case=12&agent=a%20b+c%4";
	for (size_t n = 0; n < sizeof(full); n++) {
		struct tl_guard g;
		tl_guard_init(&g, full, n + 1);
		g.data[n] = '\0';
		char out[32];
		int rc = run_server_query_get((const char *)g.data, "agent", out,
					      sizeof(out));
		ck_assert_int_ge(rc, WSP_E_INCOMPLETE);
		ck_assert_uint_eq(run_server_path_len((const char *)g.data),
				  n < 8 ? n : 8);
		tl_guard_free(&g);
	}
}
END_TEST

START_TEST(unparsed_target_is_cut_and_shown_escaped)
{
	/* 22.7.2 (R6455-11.1.1-02): the target of a request that did not
	 * parse, for the query parser ('_' for raw bytes) and for a reason
	 * (\xHH), each cut to its buffer. */
	static const char head[] =
		"GET /runCase?via=target&t=Gr\xC3\xBC\x01" "e HTTP/1.1\r\nHost: x\r\n";
	char ascii[64], shown[64];
	ck_assert_int_eq(run_server_unparsed_target(head, ascii, sizeof(ascii),
						    shown, sizeof(shown)),
			 1);
	ck_assert_str_eq(ascii, "/runCase?via=target&t=Gr__\x01" "e");
	ck_assert_str_eq(shown, "/runCase?via=target&t=Gr\\xC3\\xBC\\x01e");
	/* Cut at a whole item: 26 bytes hold "...t=Gr" (24) but not the
	 * 4-byte escape after it, nor anything later. */
	char small[27];
	ck_assert_int_eq(run_server_unparsed_target(head, ascii, sizeof(ascii),
						    small, sizeof(small)),
			 1);
	ck_assert_str_eq(small, "/runCase?via=target&t=Gr");
	/* ASCII only: 0; up to CR or LF when there is no space. */
	ck_assert_int_eq(run_server_unparsed_target("GET /a?b=c\r\n", ascii,
						    sizeof(ascii), shown,
						    sizeof(shown)),
			 0);
	ck_assert_str_eq(ascii, "/a?b=c");
	ck_assert_str_eq(shown, "/a?b=c");
	/* Not a GET, a target that does not fit, no room at all. */
	ck_assert_int_eq(run_server_unparsed_target("POST /\xC3 HTTP/1.1", ascii,
						    sizeof(ascii), shown,
						    sizeof(shown)),
			 -1);
	ck_assert_int_eq(run_server_unparsed_target("GET /0123456789", ascii, 11,
						    shown, sizeof(shown)),
			 -1);
	ck_assert_int_eq(run_server_unparsed_target("GET /012345678", ascii, 11,
						    shown, sizeof(shown)),
			 0);
	ck_assert_int_eq(run_server_unparsed_target("GET /", ascii, sizeof(ascii),
						    shown, 0),
			 -1);
	ck_assert_int_eq(run_server_unparsed_target(NULL, ascii, sizeof(ascii),
						    shown, sizeof(shown)),
			 -1);
}
END_TEST

/* ========================================================================
 * fuzzingserver.json
 * ===================================================================== */

START_TEST(spec_reads_autobahn_fuzzingserver_json)
{
	static const char text[] =
		"{\n"
		"  \"url\": \"ws://127.0.0.1:9001\",\n"
		"  \"outdir\": \"./reports/clients\",\n"
		"  \"webport\": 8080,\n"
		"  \"options\": {\"failByDrop\": false, "
		"\"maxMessagePayloadSize\": 16777216},\n"
		"  \"protocols\": [\"chat\"],\n"
		"  \"cases\": [\"1.*\", \"2.*\"],\n"
		"  \"exclude-cases\": [\"9.*\", \"12.*\", \"13.*\"],\n"
		"  \"exclude-agent-cases\": {\"Slow*\": [\"1.1.7\", \"1.1.8\"], "
		"\"X\": []}\n"
		"}\n";
	struct run_server_spec sp;
	char err[256] = "";
	ck_assert_msg(run_server_spec_parse(&sp, "fs.json", text, strlen(text),
					    err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(sp.has_url, 1);
	ck_assert_str_eq(sp.host, "127.0.0.1");
	ck_assert_uint_eq(sp.port, 9001);
	ck_assert_int_eq(sp.secure, 0);
	ck_assert_str_eq(sp.outdir, "./reports/clients");
	ck_assert_ptr_null(sp.key);
	ck_assert_uint_eq(sp.max_message, 16777216);
	ck_assert_uint_eq(sp.nprotocols, 1);
	ck_assert_str_eq(sp.protocols[0], "chat");
	ck_assert_uint_eq(sp.ncases, 2);
	ck_assert_str_eq(sp.cases[1], "2.*");
	ck_assert_uint_eq(sp.nexclude, 3);
	ck_assert_str_eq(sp.exclude[2], "13.*");
	ck_assert_uint_eq(sp.nagent_rules, 2);
	ck_assert_str_eq(sp.agent_rules[0].agent, "Slow*");
	ck_assert_uint_eq(sp.agent_rules[0].ncases, 2);
	ck_assert_str_eq(sp.agent_rules[0].cases[1], "1.1.8");
	ck_assert_str_eq(sp.agent_rules[1].agent, "X");
	ck_assert_uint_eq(sp.agent_rules[1].ncases, 0);
	run_server_spec_free(&sp);

	/* The smallest spec: nothing at all. */
	ck_assert_int_eq(run_server_spec_parse(&sp, "e.json", "{}", 2, err,
					       sizeof(err)),
			 0);
	ck_assert_int_eq(sp.has_url, 0);
	run_server_spec_free(&sp);

	/* wss with key and cert; an IPv6 url. */
	static const char tls[] = "{\"url\": \"wss://[::1]:9443\", "
				  "\"key\": \"k.pem\", \"cert\": \"c.pem\"}";
	ck_assert_int_eq(run_server_spec_parse(&sp, "t.json", tls, strlen(tls),
					       err, sizeof(err)),
			 0);
	ck_assert_str_eq(sp.host, "::1");
	ck_assert_uint_eq(sp.port, 9443);
	ck_assert_int_eq(sp.secure, 1);
	ck_assert_str_eq(sp.key, "k.pem");
	ck_assert_str_eq(sp.cert, "c.pem");
	run_server_spec_free(&sp);
}
END_TEST

struct bad_spec {
	const char *text;
	const char *msg_part;
};

static const struct bad_spec bad_specs[] = {
	{"", "bad.json:"},
	{"{\"url\": ", "bad.json:1:"},
	{"[1]", "top level must be a JSON object"},
	{"{\"url\": 9001}", "\"url\" must be a string"},
	{"{\"url\": \"http://127.0.0.1:9001\"}", "\"url\": http://"},
	{"{\"url\": \"ws://127.0.0.1:0\"}", "\"url\""},
	{"{\"outdir\": 1}", "\"outdir\" must be a string"},
	{"{\"cases\": \"*\"}", "\"cases\" must be an array of strings"},
	{"{\"cases\": [1]}", "\"cases\"[0] must be a string"},
	{"{\"exclude-cases\": [\"1.*\", null]}", "\"exclude-cases\"[1]"},
	{"{\"exclude-agent-cases\": []}", "\"exclude-agent-cases\" must be an object"},
	{"{\"exclude-agent-cases\": {\"a\": \"1.*\"}}", "\"exclude-agent-cases\".\"a\""},
	{"{\"exclude-agent-cases\": {\"a\": [2]}}", "\"exclude-agent-cases\".\"a\"[0]"},
	{"{\"exclude-agent-cases\": {\"a\": null}}",
	 "\"exclude-agent-cases\".\"a\" must be an array of strings"},
	{"{\"options\": []}", "\"options\" must be an object"},
	{"{\"options\": {\"maxMessagePayloadSize\": -1}}", "maxMessagePayloadSize"},
	{"{\"options\": {\"maxMessagePayloadSize\": \"big\"}}", "maxMessagePayloadSize"},
	{"{\"key\": \"k.pem\"}", "\"key\" and \"cert\" go together"},
	{"{\"url\": \"wss://127.0.0.1:9001\"}", "needs \"key\" and \"cert\""},
	{"{\"cases\": [], \"cases\": []}", "duplicate"},
	{"{\"protocols\": {}}", "\"protocols\" must be an array"},
	/* jansson quotes the input near a syntax error: a newline there
	 * must not end the line. */
	{"{\"url\": \"x\\\n\"}", "bad.json:2:0: invalid escape near '\"x\\ '"},
	{"{\"outdir\": \"a\001b\"}", "bad.json:1:13: control character 0x1 near '\"a'"},
	{"{\"url\": \"ws://a\\nb\\u0001c/\"}", "bad.json: \"url\": ws://a?b?c/: "},
	/* An agent name is shown with its control bytes replaced. */
	{"{\"exclude-agent-cases\": {\"a\\nb\\r\\t\\u0001\\u007fc\": 1}}",
	 "\"exclude-agent-cases\".\"a?b????c\" must be an array"},
	/* A long one is cut to 100 bytes, never inside a UTF-8 sequence:
	 * 99 'x' then "\u00e9" (2 bytes) keeps the 99 'x' only. */
	{"{\"exclude-agent-cases\": {\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\u00e9\": 1}}",
	 "xxxxxxxxx\" must be"},
};

START_TEST(spec_errors_are_one_line_naming_the_file)
{
	const struct bad_spec *v = &bad_specs[_i];
	struct run_server_spec sp;
	char err[256] = "";
	ck_assert_int_eq(run_server_spec_parse(&sp, "bad.json", v->text,
					       strlen(v->text), err, sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_msg(strncmp(err, "bad.json", 8) == 0, "'%s'", err);
	ck_assert_msg(strstr(err, v->msg_part) != NULL, "'%s' lacks '%s'", err,
		      v->msg_part);
	for (const char *p = err; *p != '\0'; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f,
			      "control byte 0x%02x in '%s'", (unsigned)*p, err);
	run_server_spec_free(&sp);
}
END_TEST

START_TEST(spec_with_too_many_patterns_is_refused)
{
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof(text), "{\"cases\": [");
	for (int i = 0; i <= RUN_MAX_PATTERNS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"%d.*\"",
				      i ? ", " : "", i);
	snprintf(text + n, sizeof(text) - n, "]}");
	struct run_server_spec sp;
	char err[256];
	ck_assert_int_eq(run_server_spec_parse(&sp, "many.json", text,
					       strlen(text), err, sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "at most 64"));
	run_server_spec_free(&sp);
	ck_assert_int_eq(run_server_spec_load(&sp, "/nonexistent/fs.json", err,
					      sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/fs.json: "));
	run_server_spec_free(&sp);
}
END_TEST

/* ========================================================================
 * wsprobe server (cli_server)
 * ===================================================================== */

static int call_cli(const char *const *args)
{
	char *argv[32];
	int argc = 0;
	for (; args[argc] != NULL; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	return cli_server(argc, argv);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(cli_usage_and_input_errors_have_their_exit_codes)
{
	char dir[64], spec[128];
	make_dir(dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "%s/fs.json", dir);
	write_file(spec, "{\"cases\": 1}");
	const char *const unknown[] = {"server", "--bogus", NULL};
	ck_assert_int_eq(call_cli(unknown), CLI_EXIT_USAGE);
	const char *const nolisten[] = {"server", NULL};
	ck_assert_int_eq(call_cli(nolisten), CLI_EXIT_USAGE);
	const char *const badlisten[] = {"server", "--listen", "nowhere", NULL};
	ck_assert_int_eq(call_cli(badlisten), CLI_EXIT_USAGE);
	const char *const onlycert[] = {"server", "-l", "127.0.0.1:0",
					"--tls-cert", "c.pem", NULL};
	ck_assert_int_eq(call_cli(onlycert), CLI_EXIT_USAGE);
	const char *const extra[] = {"server", "-l", "127.0.0.1:0", "x", NULL};
	ck_assert_int_eq(call_cli(extra), CLI_EXIT_USAGE);
	const char *const badspec[] = {"server", "--spec", spec, NULL};
	ck_assert_int_eq(call_cli(badspec), CLI_EXIT_INPUT);
	const char *const nospec[] = {"server", "--spec", "/nonexistent.json",
				      NULL};
	ck_assert_int_eq(call_cli(nospec), CLI_EXIT_INPUT);
	const char *const badtls[] = {"server", "-l", "127.0.0.1:0", "--tls-cert",
				      "/nonexistent/c.pem", "--tls-key",
				      "/nonexistent/k.pem", "-q", NULL};
	ck_assert_int_eq(call_cli(badtls), CLI_EXIT_INPUT);
	/* Cannot listen: exit 4. */
	struct net_listener l;
	ck_assert_int_eq(net_listen(&l, "127.0.0.1", 0, 4), 0);
	char listen[32];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u",
		 (unsigned)net_listener_port(&l));
	const char *const busy[] = {"server", "-q", "-l", listen, NULL};
	ck_assert_int_eq(call_cli(busy), CLI_EXIT_UNREACH);
	net_listener_close(&l);
	const char *const help[] = {"server", "--help", NULL};
	ck_assert_int_eq(call_cli(help), CLI_EXIT_OK);
	remove_dir(dir);
}
END_TEST

struct cli_thread {
	pthread_t th;
	const char *const *args;
	int code;
};

static void *cli_main_thread(void *arg)
{
	struct cli_thread *c = arg;
	c->code = call_cli(c->args);
	return NULL;
}

/* Waits for the port file and returns the port. */
static uint16_t wait_port(const char *path)
{
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		if (f != NULL) {
			char line[32] = "";
			char *ok = fgets(line, sizeof(line), f);
			fclose(f);
			uint64_t p;
			line[strcspn(line, "\n")] = '\0';
			if (ok != NULL && cli_parse_u64(line, 1, 65535, &p) == 0)
				return (uint16_t)p;
		}
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("no port file %s", path);
	return 0;
}

/* The whole command: --spec selects cases and the report directory, a
 * failed case makes the exit code 1, /stopServer ends it. */
START_TEST(cli_server_with_spec_runs_and_exits_with_verdict)
{
	char dir[64], spec[128], pf[128], out[128], text[512];
	make_dir(dir, sizeof(dir));
	snprintf(spec, sizeof(spec), "%s/fs.json", dir);
	snprintf(pf, sizeof(pf), "%s/port", dir);
	snprintf(out, sizeof(out), "%s/reports", dir);
	snprintf(text, sizeof(text),
		 "{\"url\": \"ws://127.0.0.1:9001\", \"outdir\": \"%s\", "
		 "\"cases\": [\"1.1.2\", \"2.*\"], \"exclude-cases\": [\"2.1*\"], "
		 "\"options\": {\"failByDrop\": false}}",
		 out);
	write_file(spec, text);
	/* --listen overrides the spec's url (port 0 for the test). */
	const char *const args[] = {"server", "--spec", spec, "--listen",
				    "127.0.0.1:0", "--port-file", pf, "-q",
				    "--seed", "5", NULL};
	struct cli_thread c = {0, args, -1};
	ck_assert_int_eq(pthread_create(&c.th, NULL, cli_main_thread, &c), 0);
	uint16_t port = wait_port(pf);
	/* 1.1.2, then 2.2 .. 2.9. */
	ck_assert_uint_eq(case_count(port), 9);
	/* 1.1.2 without the echo: FAILED. */
	struct sess s;
	ck_assert_int_eq(ws_open(&s, port, "/runCase?case=1&agent=cli", NULL), 0);
	sess_close(&s, 1, 1000, NULL, 0);
	sess_free(&s);
	run_case_echo(port, "/runCase?case=2&agent=cli");
	struct answer a;
	ask(port, "/getCaseStatus?case=2&agent=cli", NULL, &a);
	ck_assert_str_eq(a.text, "{\"behavior\": \"OK\"}");
	ask(port, "/stopServer", NULL, &a);
	pthread_join(c.th, NULL);
	struct res_run r;
	read_results(out, &r);
	ck_assert_uint_eq(r.nagents, 1);
	ck_assert_uint_eq(r.agents[0].ncases, 2);
	ck_assert_str_eq(r.agents[0].cases[0].id, "1.1.2");
	ck_assert_int_eq(r.agents[0].cases[0].verdict, VD_FAILED);
	ck_assert_str_eq(r.agents[0].cases[1].id, "2.2");
	ck_assert_int_eq(r.agents[0].cases[1].verdict, VD_OK);
	ck_assert_uint_eq(r.seed, 5);
	res_free(&r);
	ck_assert_int_eq(c.code, CLI_EXIT_FAILED);
	remove_dir(dir);
}
END_TEST

Suite *role_server_suite(void)
{
	Suite *s = suite_create("role_server");
	TCase *tc = tcase_create("autobahn_3_3_fuzzingserver_protocol");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, autobahn_driver_runs_every_client_case_ok);
	tcase_add_test(tc, case_count_honours_include_and_exclude);
	tcase_add_test(tc, case_info_answers_id_and_description);
	tcase_add_test(tc, run_case_by_casetuple_stores_under_agent);
	tcase_add_test(tc, non_echoing_client_fails_the_case);
	tcase_add_test(tc, deflate_echo_that_differs_fails_naming_the_byte);
	tcase_add_loop_test(tc, bad_requests_close_with_1008, 0,
			    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_loop_test(tc, unknown_path_gets_404, 0,
			    (int)(sizeof(unknown_paths) / sizeof(unknown_paths[0])));
	tcase_add_test(tc, non_websocket_request_is_refused_and_server_goes_on);
	suite_add_tcase(s, tc);

	tc = tcase_create("server_lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, silent_client_does_not_block_beyond_handshake_timeout);
	tcase_add_test(tc, shutdown_on_complete_stops_after_writing);
	tcase_add_test(tc, update_reports_without_shutdown_keeps_serving);
	tcase_add_test(tc, stop_flag_writes_the_reports_of_what_ran);
	tcase_add_test(tc, unwritable_report_dir_is_reported);
	tcase_add_test(tc, excluded_agent_case_is_not_played);
	tcase_add_test(tc, listen_failure_and_bad_tls_files_are_errors);
	tcase_add_test(tc, wss_serves_the_protocol_over_tls);
	suite_add_tcase(s, tc);

	tc = tcase_create("query_string");
	tcase_add_loop_test(tc, query_values_decode_exactly, 0,
			    (int)(sizeof(qvecs) / sizeof(qvecs[0])));
	tcase_add_test(tc, query_parser_reads_no_byte_past_the_target);
	tcase_add_test(tc, unparsed_target_is_cut_and_shown_escaped);
	suite_add_tcase(s, tc);

	tc = tcase_create("fuzzingserver_json");
	tcase_add_test(tc, spec_reads_autobahn_fuzzingserver_json);
	tcase_add_loop_test(tc, spec_errors_are_one_line_naming_the_file, 0,
			    (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	tcase_add_test(tc, spec_with_too_many_patterns_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli_server");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cli_usage_and_input_errors_have_their_exit_codes);
	tcase_add_test(tc, cli_server_with_spec_runs_and_exits_with_verdict);
	suite_add_tcase(s, tc);
	return s;
}
