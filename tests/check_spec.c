/*
 * check_spec.c: reading Autobahn's fuzzingclient.json (harness/spec.h):
 * the buffer parser spec_client_load_buffer reads Autobahn's own example,
 * refuses bad documents with one line naming the file (JSON syntax errors
 * included, whose jansson text may quote a newline), and spec_client_load
 * reads a file through the same parser; spec_agent_select adds exactly the
 * exclusions of the agent rules that match.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"
#include "spec.h"
#include "wsp_err.h"

static const char example[] =
	"{\n"
	"  \"options\": {\"failByDrop\": false},\n"
	"  \"outdir\": \"./reports/servers\",\n"
	"  \"servers\": [\n"
	"    {\"agent\": \"AutobahnServer\", \"url\": \"ws://127.0.0.1:9001\",\n"
	"     \"options\": {\"version\": 18}},\n"
	"    {\"url\": \"ws://[::1]:9002/x\"}\n"
	"  ],\n"
	"  \"cases\": [\"*\"],\n"
	"  \"exclude-cases\": [\"9.*\", \"12.*\", \"13.*\"],\n"
	"  \"exclude-agent-cases\": {\"Auto*\": [\"1.1.7\", \"1.1.8\"],"
	" \"X\": [\"2.*\"]}\n"
	"}\n";

START_TEST(spec_reads_autobahn_fuzzingclient_json)
{
	struct spec_client sc;
	char err[256] = "";
	ck_assert_msg(spec_client_load_buffer(&sc, "fc.json", example,
					      strlen(example), err,
					      sizeof(err)) == 0,
		      "%s", err);
	ck_assert_str_eq(sc.outdir, "./reports/servers");
	ck_assert_uint_eq(sc.nservers, 2);
	ck_assert_str_eq(sc.servers[0].agent, "AutobahnServer");
	ck_assert_str_eq(sc.servers[0].url, "ws://127.0.0.1:9001");
	/* No agent: the URL names the server. */
	ck_assert_str_eq(sc.servers[1].agent, "ws://[::1]:9002/x");
	ck_assert_uint_eq(sc.ncases, 1);
	ck_assert_str_eq(sc.cases[0], "*");
	ck_assert_uint_eq(sc.nexclude, 3);
	ck_assert_str_eq(sc.exclude[2], "13.*");
	ck_assert_uint_eq(sc.nagent_excludes, 2);
	ck_assert_str_eq(sc.agent_excludes[0].agent_pattern, "Auto*");
	ck_assert_uint_eq(sc.agent_excludes[0].ncases, 2);

	struct run_select sel;
	memset(&sel, 0, sizeof(sel));
	spec_agent_select(&sc, "AutobahnServer", &sel);
	ck_assert_uint_eq(sel.nexclude, 2);
	ck_assert_str_eq(sel.exclude[0], "1.1.7");
	ck_assert_str_eq(sel.exclude[1], "1.1.8");
	memset(&sel, 0, sizeof(sel));
	spec_agent_select(&sc, "Y", &sel);
	ck_assert_uint_eq(sel.nexclude, 0);
	spec_client_free(&sc);
}
END_TEST

struct bad_client_spec {
	const char *text;
	const char *msg;
};

static const struct bad_client_spec bad[] = {
	{"", "bad.json:"},
	{"{\"servers\": ", "bad.json:1:"},
	/* jansson's message quotes the input: "... near '"\<newline>'". */
	{"{\"\\\n\"servers\": []}", "bad.json:"},
	{"[1]", "the spec must be a JSON object"},
	{"{}", "\"servers\" must be a non-empty list"},
	{"{\"servers\": []}", "\"servers\" must be a non-empty list"},
	{"{\"servers\": [{\"agent\": \"a\"}]}", "servers[0] needs a \"url\""},
	{"{\"servers\": [{\"url\": \"ws://a\", \"agent\": 1}]}",
	 "servers[0].agent must be a string"},
	{"{\"servers\": [{\"url\": \"ws://a\"}], \"outdir\": 1}",
	 "\"outdir\" must be a string"},
	{"{\"servers\": [{\"url\": \"ws://a\"}], \"cases\": \"*\"}",
	 "\"cases\" must be a list of strings"},
	{"{\"servers\": [{\"url\": \"ws://a\"}], \"exclude-cases\": [1]}",
	 "\"exclude-cases\"[0] must be a string"},
	{"{\"servers\": [{\"url\": \"ws://a\"}], \"exclude-agent-cases\": []}",
	 "\"exclude-agent-cases\" must be an object"},
	{"{\"servers\": [{\"url\": \"ws://a\"}], "
	 "\"exclude-agent-cases\": {\"a\": \"1.*\"}}",
	 "\"exclude-agent-cases\" must be a list of strings"},
	{"{\"servers\": [{\"url\": \"ws://a\"}], \"cases\": [], \"cases\": []}",
	 "duplicate"},
};

START_TEST(spec_errors_are_one_line_naming_the_file)
{
	const struct bad_client_spec *v = &bad[_i];
	struct spec_client sc;
	char err[256] = "";
	ck_assert_int_eq(spec_client_load_buffer(&sc, "bad.json", v->text,
						 strlen(v->text), err,
						 sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_msg(strstr(err, v->msg) != NULL, "'%s' lacks '%s'", err,
		      v->msg);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(strncmp(err, "bad.json", 8), 0);
	spec_client_free(&sc);
}
END_TEST

START_TEST(spec_too_many_patterns_refused)
{
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof(text),
				    "{\"servers\": [{\"url\": \"ws://a\"}], "
				    "\"cases\": [\"0\"");
	for (int i = 1; i <= RUN_MAX_PATTERNS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ", \"%d\"", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "]}");
	ck_assert_uint_lt(n, sizeof(text));
	struct spec_client sc;
	char err[256] = "";
	ck_assert_int_eq(spec_client_load_buffer(&sc, "m.json", text, n, err,
						 sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than 64 patterns"));
	spec_client_free(&sc);
}
END_TEST

START_TEST(spec_file_goes_through_the_buffer_parser)
{
	char path[] = "/tmp/check_spec.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, example, strlen(example)),
			 (ssize_t)strlen(example));
	close(fd);
	struct spec_client a, b;
	char err[256] = "";
	ck_assert_int_eq(spec_client_load(&a, path, err, sizeof(err)), 0);
	ck_assert_int_eq(spec_client_load_buffer(&b, path, example,
						 strlen(example), err,
						 sizeof(err)),
			 0);
	ck_assert_uint_eq(a.nservers, b.nservers);
	ck_assert_str_eq(a.servers[1].url, b.servers[1].url);
	ck_assert_uint_eq(a.nexclude, b.nexclude);
	spec_client_free(&a);
	spec_client_free(&b);

	/* A syntax error is reported with the path, line and column. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\n  x", 5), 5);
	close(fd);
	ck_assert_int_eq(spec_client_load(&a, path, err, sizeof(err)),
			 WSP_E_INVAL);
	char want[64];
	snprintf(want, sizeof(want), "%s:2:", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	spec_client_free(&a);
	unlink(path);

	ck_assert_int_eq(spec_client_load(&a, "/nonexistent/fc.json", err,
					  sizeof(err)),
			 WSP_E_INVAL);
	ck_assert_str_eq(err, "/nonexistent/fc.json: No such file or directory");
	spec_client_free(&a);
}
END_TEST

Suite *spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("fuzzingclient.json");
	tcase_add_test(tc, spec_reads_autobahn_fuzzingclient_json);
	tcase_add_loop_test(tc, spec_errors_are_one_line_naming_the_file, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, spec_too_many_patterns_refused);
	tcase_add_test(tc, spec_file_goes_through_the_buffer_parser);
	suite_add_tcase(s, tc);
	return s;
}
