/*
 * check_verdict.c: Autobahn's decision algorithm (harness/verdict.h).  Each
 * test sets up what a case expected and what the peer did, and checks both
 * verdict fields, the overall verdict and the one-line reasons.
 */
#include <string.h>

#include "lib.h"
#include "verdict.h"

static const uint8_t hello[] = "Hello";
static const struct vd_event ev_hello = {VD_EV_MESSAGE, 1, hello, 5};
static const struct vd_event ev_hello_bin = {VD_EV_MESSAGE, 2, hello, 5};
static const struct vd_event ev_pong = {VD_EV_PONG, 0, hello, 5};
static const struct vd_event ev_tA = {VD_EV_TIMEOUT, 0, (const uint8_t *)"A", 1};
static const struct vd_event ev_tB = {VD_EV_TIMEOUT, 0, (const uint8_t *)"B", 1};

static const uint16_t c1000[] = {1000};
static const uint16_t c1002[] = {1002};

/* A normal echo case: we close, 1000, clean. */
static const struct vd_expect_close normal = {1, c1000, 1, 1};
/* A fail case: the peer must fail the connection with 1002 or drop. */
static const struct vd_expect_close failcase = {0, c1002, 1, 0};

static struct vd_observed_close clean_by_me(void)
{
	struct vd_observed_close oc = {0};
	oc.opened = 1;
	oc.closed_by_me = 1;
	oc.has_remote_code = 1;
	oc.remote_code = 1000;
	oc.was_clean = 1;
	oc.is_client = 1;
	return oc;
}

START_TEST(verdict_echo_ok)
{
	struct vd_expectation x = {VD_OK, &ev_hello, 1};
	struct vd_observed_close oc = clean_by_me();
	struct vd_result r;
	vd_judge(&x, 1, &normal, NULL, &ev_hello, 1, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_OK);
	ck_assert_int_eq(r.close_behavior, VDC_OK);
	ck_assert_int_eq(r.verdict, VD_OK);
	ck_assert_str_eq(r.reason, "observed events match the OK expectation");
}
END_TEST

START_TEST(verdict_wrong_type_fails_with_reason)
{
	struct vd_expectation x = {VD_OK, &ev_hello, 1};
	struct vd_observed_close oc = clean_by_me();
	struct vd_result r;
	vd_judge(&x, 1, &normal, NULL, &ev_hello_bin, 1, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_FAILED);
	ck_assert_int_eq(r.verdict, VD_FAILED);
	ck_assert_str_eq(r.reason, "event 1: expected message text 5 bytes "
				   "\"Hello\", got message binary 5 bytes \"Hello\"");
}
END_TEST

START_TEST(verdict_missing_and_extra_events_explained)
{
	struct vd_expectation x = {VD_OK, &ev_hello, 1};
	struct vd_observed_close oc = clean_by_me();
	struct vd_result r;
	vd_judge(&x, 1, &normal, NULL, NULL, 0, &oc, &r);
	ck_assert_str_eq(r.reason, "expected 1 events, got 0: missing message "
				   "text 5 bytes \"Hello\"");
	struct vd_event two[2] = {ev_hello, ev_pong};
	vd_judge(&x, 1, &normal, NULL, two, 2, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_FAILED);
	ck_assert_str_eq(r.reason, "expected 1 events, got 2: unexpected pong "
				   "5 bytes \"Hello\"");
}
END_TEST

START_TEST(verdict_non_strict_list_matches)
{
	/* 6.4.1: OK = failure after the first timer, NON-STRICT = after both. */
	struct vd_event ok[] = {ev_tA};
	struct vd_event ns[] = {ev_tA, ev_tB};
	struct vd_expectation x[] = {{VD_OK, ok, 1}, {VD_NON_STRICT, ns, 2}};
	struct vd_observed_close oc = {0};
	oc.opened = 1; /* the peer failed the connection: not closed by me */
	struct vd_result r;
	vd_judge(x, 2, &failcase, NULL, ns, 2, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_NON_STRICT);
	ck_assert_int_eq(r.close_behavior, VDC_OK);
	ck_assert_int_eq(r.verdict, VD_NON_STRICT);
	vd_judge(x, 2, &failcase, NULL, ok, 1, &oc, &r);
	ck_assert_int_eq(r.verdict, VD_OK);
}
END_TEST

START_TEST(verdict_silent_ignore_fails_overall)
{
	/* The peer ignored a bad frame and wsprobe had to close: behavior is
	 * OK (no events expected) but close is FAILED, and the single verdict
	 * field says FAILED (the trap Autobahn users fall into). */
	struct vd_expectation x = {VD_OK, NULL, 0};
	struct vd_observed_close oc = clean_by_me();
	struct vd_result r;
	vd_judge(&x, 1, &failcase, NULL, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_OK);
	ck_assert_int_eq(r.close_behavior, VDC_FAILED);
	ck_assert_int_eq(r.verdict, VD_FAILED);
	ck_assert_str_eq(r.close_reason, "the peer did not fail the connection;"
					 " wsprobe had to close it");
}
END_TEST

START_TEST(verdict_drop_without_code_passes_code_check)
{
	struct vd_expectation x = {VD_OK, NULL, 0};
	struct vd_observed_close oc = {0};
	oc.opened = 1;
	struct vd_result r;
	vd_judge(&x, 1, &failcase, NULL, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.close_behavior, VDC_OK);
	oc.has_remote_code = 1;
	oc.remote_code = 1000;
	vd_judge(&x, 1, &failcase, NULL, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.close_behavior, VDC_WRONG_CODE);
	ck_assert_str_eq(r.close_reason,
			 "the peer closed with code 1000; expected 1002");
	ck_assert_int_eq(r.verdict, VD_FAILED);
	ck_assert_int_eq(r.behavior, VD_OK);
	struct vd_rules rules = {0};
	rules.wrong_code_fails_behavior = 1; /* category 7 */
	vd_judge(&x, 1, &failcase, &rules, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_FAILED);
}
END_TEST

START_TEST(verdict_unclean_and_failed_by_client)
{
	struct vd_expectation x = {VD_OK, &ev_hello, 1};
	struct vd_observed_close oc = clean_by_me();
	struct vd_result r;
	oc.was_clean = 0;
	oc.not_clean_reason = "peer dropped TCP before its close frame";
	vd_judge(&x, 1, &normal, NULL, &ev_hello, 1, &oc, &r);
	ck_assert_int_eq(r.close_behavior, VDC_UNCLEAN);
	ck_assert_str_eq(r.close_reason, "the closing handshake was not clean: "
					 "peer dropped TCP before its close frame");
	ck_assert_int_eq(r.verdict, VD_FAILED);
	oc = clean_by_me();
	oc.dropped_by_me = 1;
	vd_judge(&x, 1, &normal, NULL, &ev_hello, 1, &oc, &r);
	ck_assert_int_eq(r.close_behavior, VDC_FAILED_BY_CLIENT);
	ck_assert_int_eq(r.verdict, VD_FAILED);
	oc.is_client = 0; /* as the server, dropping is ours to do */
	vd_judge(&x, 1, &normal, NULL, &ev_hello, 1, &oc, &r);
	ck_assert_int_eq(r.close_behavior, VDC_OK);
}
END_TEST

START_TEST(verdict_wrong_endpoint_rule)
{
	struct vd_expectation x = {VD_OK, NULL, 0};
	struct vd_observed_close oc = clean_by_me();
	struct vd_rules rules = {0};
	rules.wrong_endpoint_fails_behavior = 1;
	struct vd_result r;
	vd_judge(&x, 1, &failcase, &rules, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_FAILED);
	ck_assert_int_eq(r.close_behavior, VDC_FAILED);
}
END_TEST

START_TEST(verdict_informational_and_behavior_set)
{
	struct vd_observed_close oc = clean_by_me();
	struct vd_rules rules = {0};
	rules.informational = 1;
	struct vd_result r;
	vd_judge(NULL, 0, &normal, &rules, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_INFORMATIONAL);
	ck_assert_int_eq(r.close_behavior, VDC_INFORMATIONAL);
	ck_assert_int_eq(r.verdict, VD_INFORMATIONAL);
	memset(&rules, 0, sizeof(rules));
	rules.behavior_set = 1;
	rules.behavior = VD_UNIMPLEMENTED;
	rules.behavior_reason = "peer declined permessage-deflate";
	vd_judge(NULL, 0, &normal, &rules, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.verdict, VD_UNIMPLEMENTED);
	ck_assert_str_eq(r.reason, "peer declined permessage-deflate");
}
END_TEST

START_TEST(verdict_handshake_failure)
{
	struct vd_expectation x = {VD_OK, &ev_hello, 1};
	struct vd_observed_close oc = {0};
	oc.open_error = "status 400, not 101";
	struct vd_result r;
	vd_judge(&x, 1, &normal, NULL, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.behavior, VD_FAILED);
	ck_assert_int_eq(r.close_behavior, VDC_FAILED);
	ck_assert_str_eq(r.reason, "the opening handshake did not complete: "
				   "status 400, not 101");
}
END_TEST

START_TEST(verdict_handshake_case_judges_itself)
{
	/* A case that expected the peer to refuse the handshake. */
	struct vd_observed_close oc = {0};
	oc.open_error = "status 426";
	struct vd_rules rules = {0};
	rules.behavior_set = 1;
	rules.behavior = VD_OK;
	rules.behavior_reason = "refused with 426 as required";
	struct vd_result r;
	vd_judge(NULL, 0, &normal, &rules, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.verdict, VD_OK);
	ck_assert_int_eq(r.close_behavior, VDC_OK);
	ck_assert_str_eq(r.reason, "refused with 426 as required");
	rules.behavior = VD_FAILED;
	vd_judge(NULL, 0, &normal, &rules, NULL, 0, &oc, &r);
	ck_assert_int_eq(r.verdict, VD_FAILED);
}
END_TEST

START_TEST(verdict_names_round_trip)
{
	for (int b = VD_OK; b <= VD_UNIMPLEMENTED; b++)
		ck_assert_int_eq(vd_behavior_parse(vd_behavior_name(b)), b);
	ck_assert_int_eq(vd_behavior_parse("PASS"), -1);
	ck_assert_str_eq(vd_close_name(VDC_WRONG_CODE), "WRONG CODE");
	ck_assert_str_eq(vd_close_name(VDC_FAILED_BY_CLIENT), "FAILED BY CLIENT");
	ck_assert_str_eq(vd_behavior_name(VD_NON_STRICT), "NON-STRICT");
}
END_TEST

START_TEST(verdict_describe_binary_and_long)
{
	uint8_t bin[40];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(0xf0 + (i & 15));
	struct vd_event e = {VD_EV_MESSAGE, 2, bin, sizeof(bin)};
	char buf[128];
	vd_event_describe(&e, buf, sizeof(buf));
	ck_assert_str_eq(buf, "message binary 40 bytes f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
			      "f0f1f2f3f4f5f6f7...");
	struct vd_event t = {VD_EV_TIMEOUT, 0, (const uint8_t *)"A", 1};
	vd_event_describe(&t, buf, sizeof(buf));
	ck_assert_str_eq(buf, "timeout A");
	vd_event_describe(&e, buf, 10); /* truncation stays terminated */
	ck_assert_uint_eq(strlen(buf), 9);
}
END_TEST

Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("autobahn-2.3");
	tcase_add_test(tc, verdict_echo_ok);
	tcase_add_test(tc, verdict_wrong_type_fails_with_reason);
	tcase_add_test(tc, verdict_missing_and_extra_events_explained);
	tcase_add_test(tc, verdict_non_strict_list_matches);
	tcase_add_test(tc, verdict_silent_ignore_fails_overall);
	tcase_add_test(tc, verdict_drop_without_code_passes_code_check);
	tcase_add_test(tc, verdict_unclean_and_failed_by_client);
	tcase_add_test(tc, verdict_wrong_endpoint_rule);
	tcase_add_test(tc, verdict_informational_and_behavior_set);
	tcase_add_test(tc, verdict_handshake_failure);
	tcase_add_test(tc, verdict_handshake_case_judges_itself);
	tcase_add_test(tc, verdict_names_round_trip);
	tcase_add_test(tc, verdict_describe_binary_and_long);
	suite_add_tcase(s, tc);
	return s;
}
