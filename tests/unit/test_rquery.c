#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "registry/rquery.h"

static void rquery_parse_should_accept_a_blocking_query(void **state)
{
	struct rquery q;
	const char *err = NULL;
	(void)state;

	assert_int_equal(rquery_parse("up", "42", "30s", &q, &err), 0);
	assert_true(q.has_state);
	assert_int_equal(q.state, TOKEN_UP);
	assert_true(q.blocking);
	assert_int_equal(q.index, 42);
	assert_int_equal(q.wait_ms, 30000);
}

static void rquery_parse_should_default_the_wait(void **state)
{
	struct rquery q;
	const char *err = NULL;
	(void)state;

	assert_int_equal(rquery_parse(NULL, "0", NULL, &q, &err), 0);
	assert_true(q.blocking);
	assert_int_equal(q.wait_ms, RQUERY_DEFAULT_WAIT_MS);
	assert_int_equal(rquery_parse(NULL, NULL, "5s", &q, &err), 0);
	assert_false(q.blocking);
	assert_false(q.has_state);
}

static void rquery_parse_should_reject_bad_values(void **state)
{
	static const char *const bad_index[] = { "", "-1", "+1", " 1", "1x", "abc",
						 "99999999999999999999999" };
	struct rquery q;
	const char *err;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad_index) / sizeof(bad_index[0]); i++) {
		err = NULL;
		assert_int_equal(rquery_parse(NULL, bad_index[i], NULL, &q, &err), -1);
		assert_non_null(err);
	}
	assert_int_equal(rquery_parse(NULL, "1", "abc", &q, &err), -1);
	assert_int_equal(rquery_parse(NULL, "1", "11m", &q, &err), -1);
	assert_int_equal(rquery_parse(NULL, "1", "-5s", &q, &err), -1);
	assert_int_equal(rquery_parse("SLEEPING", NULL, NULL, &q, &err), -1);
	assert_int_equal(rquery_parse(NULL, "1", "10m", &q, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rquery_parse_should_accept_a_blocking_query),
		cmocka_unit_test(rquery_parse_should_default_the_wait),
		cmocka_unit_test(rquery_parse_should_reject_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
