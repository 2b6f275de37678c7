/*
 * check_rep_json.c: results.json is written atomically, byte-identical for
 * the same results, escapes whatever a peer controls, and reads back into
 * the same results; malformed documents give one-line errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib.h"
#include "rep.h"
#include "wsp_err.h"

static void sample(struct res_run *r)
{
	ck_assert_int_eq(res_run_init(r, "0.1.0", 18446744073709551615ull), 0);
	struct res_agent *a = res_add_agent(r, "echo<\"script\">", "server",
					    "ws://127.0.0.1:9001/");
	ck_assert_ptr_nonnull(a);
	struct res_case *c = res_add_case(a);
	res_set_str(&c->id, "2.2");
	res_set_str(&c->title, "Ping with a short text payload");
	c->reqs = calloc(2, sizeof(char *));
	res_set_str(&c->reqs[0], "R6455-5.5.2-02");
	res_set_str(&c->reqs[1], "R6455-5.5.3-01");
	c->nreqs = 2;
	c->verdict = c->behavior = VD_OK;
	c->close_behavior = VDC_OK;
	c->has_remote_code = 1;
	c->remote_code = 1000;
	c->duration_ms = 3;
	res_set_str(&c->reason, "observed events match the OK expectation");
	res_set_str(&c->remote_reason, "bye \"</script>\" \x01");
	c = res_add_case(a);
	res_set_str(&c->id, "2.5");
	c->verdict = VD_FAILED;
	c->behavior = VD_OK;
	c->close_behavior = VDC_FAILED;
	res_count(a);
}

START_TEST(rep_json_round_trip_is_byte_identical)
{
	struct res_run r, back;
	sample(&r);
	ck_assert_uint_eq(r.agents[0].summary.total, 2);
	ck_assert_uint_eq(r.agents[0].summary.failed, 1);
	char *t1, *t2;
	size_t n1, n2;
	ck_assert_int_eq(rep_json_render(&r, &t1, &n1), 0);
	ck_assert_ptr_nonnull(strstr(t1, "\"seed\": \"18446744073709551615\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"remote_close_code\": 1000"));
	ck_assert_ptr_nonnull(strstr(t1, "\"close_behavior\": \"FAILED\""));
	/* Peer-controlled text is escaped, never raw. */
	ck_assert_ptr_null(strstr(t1, "<\"script"));
	ck_assert_ptr_nonnull(strstr(t1, "\\u0001"));
	char err[256] = "";
	ck_assert_msg(rep_json_parse(&back, t1, n1, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_uint_eq(back.seed, 18446744073709551615ull);
	ck_assert_str_eq(back.agents[0].agent, "echo<\"script\">");
	ck_assert_uint_eq(back.agents[0].summary.failed, 1);
	ck_assert_int_eq(rep_json_render(&back, &t2, &n2), 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(t1, t2, n1), 0);
	free(t1);
	free(t2);
	res_free(&r);
	res_free(&back);
}
END_TEST

static const struct {
	const char *doc;
	const char *want;
} bad[] = {
	{"{", "1:1: "},
	{"[]", "the document must be a JSON object"},
	{"{\"agents\": []}", "\"seed\" is missing or not a number"},
	{"{\"seed\": \"12x\", \"agents\": []}", "\"seed\" must be a decimal number"},
	{"{\"seed\": \"1\"}", "\"agents\" is missing or not a list"},
	{"{\"seed\": \"1\", \"agents\": [{\"agent\": 1}]}",
	 "agents[0]: \"agent\" and \"role\" must be strings"},
	{"{\"seed\": \"1\", \"agents\": [{\"agent\": \"a\", \"role\": \"server\","
	 " \"cases\": [{\"id\": \"1.1\", \"verdict\": \"PASS\"}]}]}",
	 "agents[0].cases[0]: \"verdict\" must be OK, NON-STRICT"},
	{"{\"seed\": \"1\", \"agents\": [{\"agent\": \"a\", \"role\": \"server\","
	 " \"cases\": [{\"verdict\": \"OK\"}]}]}",
	 "agents[0].cases[0]: \"id\" is missing"},
	{"{\"seed\": \"1\", \"agents\": [{\"agent\": \"a\", \"role\": \"server\","
	 " \"cases\": [{\"id\": \"1\", \"verdict\": \"OK\", \"behavior\": \"OK\","
	 " \"close_behavior\": \"OK\", \"remote_close_code\": 70000}]}]}",
	 "\"remote_close_code\" must be 0..65535"},
	{"{\"seed\": \"1\", \"seed\": \"2\", \"agents\": []}", "duplicate"},
};

START_TEST(rep_json_bad_documents)
{
	struct res_run r;
	char err[256] = "";
	ck_assert_int_eq(rep_json_parse(&r, bad[_i].doc, strlen(bad[_i].doc), err,
					sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_msg(strstr(err, bad[_i].want) != NULL, "\"%s\" lacks \"%s\"",
		      err, bad[_i].want);
	ck_assert_ptr_null(strchr(err, '\n'));
	res_free(&r);
}
END_TEST

START_TEST(rep_write_is_atomic)
{
	char dir[] = "/tmp/wsprobe-rep-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char sub[128], err[256];
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	ck_assert_int_eq(rep_mkdir_p(sub, err, sizeof(err)), 0);
	ck_assert_int_eq(rep_write_atomic(sub, "x.txt", "one", 3, err, sizeof(err)),
			 0);
	ck_assert_int_eq(rep_write_atomic(sub, "x.txt", "two!", 4, err, sizeof(err)),
			 0);
	char path[256], buf[16] = "";
	snprintf(path, sizeof(path), "%s/x.txt", sub);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(buf, 1, sizeof(buf), f), 4);
	fclose(f);
	ck_assert_str_eq(buf, "two!");
	/* A target that is a directory cannot be replaced: error, the
	 * temporary file is gone, nothing else changed. */
	char d2[256];
	snprintf(d2, sizeof(d2), "%s/y", sub);
	ck_assert_int_eq(mkdir(d2, 0700), 0);
	ck_assert_int_eq(rep_write_atomic(sub, "y", "z", 1, err, sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "cannot rename into place"));
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s/y.tmp.%ld", sub, (long)getpid());
	ck_assert_int_ne(access(tmp, F_OK), 0);
	/* A report directory that is a file is refused with its name. */
	ck_assert_int_eq(rep_mkdir_p(path, err, sizeof(err)), WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "x.txt"));
	tl_rm_rf(dir);
}
END_TEST

Suite *rep_json_suite(void)
{
	Suite *s = suite_create("rep_json");
	TCase *tc = tcase_create("results.json");
	tcase_add_test(tc, rep_json_round_trip_is_byte_identical);
	tcase_add_loop_test(tc, rep_json_bad_documents, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, rep_write_is_atomic);
	suite_add_tcase(s, tc);
	return s;
}
