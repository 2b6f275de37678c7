/*
 * check_wsp_err.c: the error table (proto/wsp_err.h) is consistent: every
 * code has a unique value in its module's range, a name, a one-line message,
 * and a requirement id that exists in ../shared/spec/requirements.tsv form.
 */
#include <string.h>

#include "lib.h"
#include "wsp_err.h"

struct entry {
	const char *name;
	int value;
	const char *req;
	const char *msg;
};

static const struct entry table[] = {
#define XX(name, value, req, msg) {#name, (value), (req), (msg)},
#include "wsp_err.def"
#undef XX
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

START_TEST(err_codes_unique_negative_named)
{
	for (size_t i = 0; i < NTABLE; i++) {
		ck_assert_int_lt(table[i].value, 0);
		ck_assert_int_ne(table[i].value, WSP_E_FATAL);
		for (size_t j = i + 1; j < NTABLE; j++)
			ck_assert_msg(table[i].value != table[j].value,
				      "%s and %s share %d", table[i].name,
				      table[j].name, table[i].value);
		const char *name = wsp_errname(table[i].value);
		ck_assert_str_eq(name + 6, table[i].name);
		const char *msg = wsp_strerror(table[i].value);
		ck_assert_ptr_nonnull(msg);
		ck_assert_msg(strlen(msg) > 0 && strchr(msg, '\n') == NULL,
			      "%s: message must be one non-empty line",
			      table[i].name);
	}
}
END_TEST

START_TEST(err_requirement_ids_well_formed)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const char *req = wsp_errreq(table[i].value);
		if (req == NULL)
			continue;
		ck_assert_msg(strncmp(req, "R6455-", 6) == 0 ||
				      strncmp(req, "R7692-", 6) == 0,
			      "%s: bad requirement id %s", table[i].name, req);
		ck_assert_ptr_nonnull(strrchr(req, '-'));
	}
}
END_TEST

START_TEST(err_fatal_threshold)
{
	ck_assert(wsp_is_fatal(WSP_E_NOMEM));
	ck_assert(!wsp_is_fatal(WSP_E_INVAL));
	ck_assert(!wsp_is_fatal(WSP_OK));
	ck_assert(!wsp_is_fatal(-1001)); /* pcap's range is not fatal */
	ck_assert_str_eq(wsp_errname(0), "WSP_OK");
	ck_assert_str_eq(wsp_errname(-12345), "WSP_E_UNKNOWN");
	ck_assert_ptr_null(wsp_errreq(WSP_E_NOMEM));
}
END_TEST

Suite *wsp_err_suite(void)
{
	Suite *s = suite_create("wsp_err");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, err_codes_unique_negative_named);
	tcase_add_test(tc, err_requirement_ids_well_formed);
	tcase_add_test(tc, err_fatal_threshold);
	suite_add_tcase(s, tc);
	return s;
}
