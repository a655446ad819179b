/* The accountservice's routes and path parameters (accountservice/acct_path.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "accountservice/acct_path.h"

static void acct_path_route_should_route_origin_and_absolute_form(void **state)
{
	const char *param;
	(void)state;
	assert_int_equal(acct_path_route("/accounts/10000", &param), ACCT_ROUTE_ACCOUNTS);
	assert_string_equal(param, "10000");
	assert_int_equal(acct_path_route("http://h:6767/accounts/1", &param), ACCT_ROUTE_ACCOUNTS);
	assert_string_equal(param, "1");
	assert_int_equal(acct_path_route("/testability/healthy/true", &param),
			 ACCT_ROUTE_TESTABILITY);
	assert_string_equal(param, "true");
	assert_int_equal(acct_path_route("/health", &param), ACCT_ROUTE_HEALTH);
	assert_null(param);
	assert_int_equal(acct_path_route("//accounts/1", &param), ACCT_ROUTE_OTHER);
}

static void acct_path_id_is_valid_should_take_1_to_32_digits_only(void **state)
{
	char id[40];
	(void)state;
	assert_true(acct_path_id_is_valid("0"));
	memset(id, '9', 32);
	id[32] = '\0';
	assert_true(acct_path_id_is_valid(id));
	id[32] = '9';
	id[33] = '\0';
	assert_false(acct_path_id_is_valid(id));
	assert_false(acct_path_id_is_valid(""));
	assert_false(acct_path_id_is_valid("+1"));
	assert_false(acct_path_id_is_valid("1 "));
	assert_false(acct_path_id_is_valid("../health"));
}

static void acct_path_flag_should_take_true_or_false_only(void **state)
{
	bool healthy = false;
	(void)state;
	assert_int_equal(acct_path_flag("true", &healthy), 0);
	assert_true(healthy);
	assert_int_equal(acct_path_flag("false", &healthy), 0);
	assert_false(healthy);
	assert_int_equal(acct_path_flag("False", &healthy), -1);
	assert_int_equal(acct_path_flag("false%00", &healthy), -1);
	assert_int_equal(acct_path_flag("", &healthy), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acct_path_route_should_route_origin_and_absolute_form),
		cmocka_unit_test(acct_path_id_is_valid_should_take_1_to_32_digits_only),
		cmocka_unit_test(acct_path_flag_should_take_true_or_false_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
