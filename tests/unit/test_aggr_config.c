/* The aggregator's configuration (aggregator/aggr_config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aggregator/aggr_config.h"

static void aggr_config_load_should_take_defaults_env_then_flags(void **state)
{
	static struct aggr_config c;
	char *argv[] = {"aggregator", "--port", "8000", "--timeout=250ms", NULL};
	char err[256];
	(void)state;

	setenv("AGGREGATOR_PORT", "7000", 1);
	setenv("AGGREGATOR_INTERVAL", "1s", 1);
	assert_int_equal(aggr_config_load(&c, 4, argv, err, sizeof(err)), 0);
	unsetenv("AGGREGATOR_PORT");
	unsetenv("AGGREGATOR_INTERVAL");
	assert_int_equal(c.port, 8000);
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.timeout_ms, 250);
	assert_int_equal(c.max_parallel, 32);
	assert_int_equal(c.keep_down_ms, 0);
	assert_null(c.services[0]);
}

static void aggr_config_services_should_split_a_list_and_refuse_bad_names(void **state)
{
	static struct aggr_config c;
	char err[256];
	(void)state;

	assert_int_equal(
		aggr_config_services(&c, "accountservice,,quotes-service", err, sizeof(err)), 0);
	assert_string_equal(c.services[0], "accountservice");
	assert_string_equal(c.services[1], "quotes-service");
	assert_null(c.services[2]);
	assert_int_equal(aggr_config_services(&c, "ok,Not-OK", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'Not-OK'"));
	assert_int_equal(aggr_config_services(&c, "", err, sizeof(err)), 0);
	assert_null(c.services[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggr_config_load_should_take_defaults_env_then_flags),
		cmocka_unit_test(aggr_config_services_should_split_a_list_and_refuse_bad_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
