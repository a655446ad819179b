/* The health checker's outcomes (aggregator/aggr_check.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "aggregator/aggr_check.h"

static void aggr_check_classify_should_give_short_errors(void **state)
{
	char e[AGGR_TABLE_ERROR_MAX];
	(void)state;

	assert_int_equal(aggr_check_classify(CURLE_OK, 200, e, sizeof(e)), AGGR_CHECK_HEALTHY);
	assert_string_equal(e, "");
	assert_int_equal(aggr_check_classify(CURLE_OK, 204, e, sizeof(e)), AGGR_CHECK_HEALTHY);
	assert_int_equal(aggr_check_classify(CURLE_OK, 503, e, sizeof(e)), AGGR_CHECK_HTTP_ERROR);
	assert_string_equal(e, "HTTP 503");
	assert_int_equal(aggr_check_classify(CURLE_OK, 301, e, sizeof(e)), AGGR_CHECK_HTTP_ERROR);
	assert_string_equal(e, "HTTP 301");
	assert_int_equal(aggr_check_classify(CURLE_OPERATION_TIMEDOUT, 0, e, sizeof(e)),
			 AGGR_CHECK_TIMEOUT);
	assert_string_equal(e, "timeout");
	assert_int_equal(aggr_check_classify(CURLE_COULDNT_CONNECT, 0, e, sizeof(e)),
			 AGGR_CHECK_REFUSED);
	assert_string_equal(e, "refused");
	assert_int_equal(aggr_check_classify(CURLE_GOT_NOTHING, 0, e, sizeof(e)), AGGR_CHECK_OTHER);
	assert_string_equal(e, curl_easy_strerror(CURLE_GOT_NOTHING));
}

static void aggr_check_outcome_name_should_name_every_outcome(void **state)
{
	(void)state;
	assert_string_equal(aggr_check_outcome_name(AGGR_CHECK_HEALTHY), "healthy");
	assert_string_equal(aggr_check_outcome_name(AGGR_CHECK_HTTP_ERROR), "http_error");
	assert_string_equal(aggr_check_outcome_name(AGGR_CHECK_TIMEOUT), "timeout");
	assert_string_equal(aggr_check_outcome_name(AGGR_CHECK_REFUSED), "refused");
	assert_string_equal(aggr_check_outcome_name(AGGR_CHECK_OTHER), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggr_check_classify_should_give_short_errors),
		cmocka_unit_test(aggr_check_outcome_name_should_name_every_outcome),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
