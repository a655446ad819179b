#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "accountservice/acct_config.h"

static const char *const vars[] = {
	"AMQP_SERVER_URL",
	"SERVICE_NAME",
	"SERVER_PORT",
	"DISCOVERY_EXCHANGE",
	"DISCOVERY_INTERVAL",
	"DISCOVERY_SECRET",
	"ADVERTISE_ADDR",
	"ADVERTISE_CIDR",
	"QUOTES_URL",
	"QUOTES_DISCOVERY",
	"QUOTES_TIMEOUT_MS",
	"QUOTES_CLOSE_WAIT_MS",
	"DB_PATH",
	"LOG_LEVEL",
	"ACCOUNT_TESTABILITY",
	"SERVER_MAX_CONNECTIONS",
	"SERVER_MAX_CONNECTIONS_PER_CLIENT",
	"SERVER_REQUEST_TIMEOUT",
	"SERVER_MAX_REQUEST_BODY",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

static void acct_config_load_should_give_the_contract_defaults(void **state)
{
	struct acct_config c;
	char err[256];
	char *argv[] = {"accountservice", NULL};
	(void)state;
	assert_int_equal(acct_config_load(&c, 1, argv, err, sizeof(err)), 0);
	assert_int_equal(c.port, 6767);
	assert_string_equal(c.service_name, "accountservice");
	assert_string_equal(c.quotes_url, "http://quotes-service:8080/api/quote?strength=4");
	assert_int_equal(c.quotes_timeout_ms, 1000);
	assert_int_equal(c.quotes_close_wait_ms, 500);
	assert_string_equal(c.db_path, "./accounts.db");
	assert_int_equal(c.interval_ms, 2000);
	assert_string_equal(c.exchange, "discovery");
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.max_connections, 1000);
	assert_int_equal(c.max_per_client, 100);
	assert_int_equal(c.request_timeout_ms, 5000);
	assert_int_equal(c.max_body, 1024);
	assert_int_equal(c.testability, 1);
	assert_string_equal(c.quotes_discovery, "");
}

static void acct_config_load_should_take_a_quotes_discovery_service(void **state)
{
	struct acct_config c;
	char err[256];
	char *argv[] = {"accountservice", NULL};
	char *flag[] = {"accountservice", "--quotes-discovery", "quotes.v2", NULL};
	char *bad[] = {"accountservice", "--quotes-discovery", "Quotes Service", NULL};
	(void)state;
	setenv("QUOTES_DISCOVERY", "quotes-service", 1);
	assert_int_equal(acct_config_load(&c, 1, argv, err, sizeof(err)), 0);
	assert_string_equal(c.quotes_discovery, "quotes-service");
	assert_int_equal(acct_config_load(&c, 3, flag, err, sizeof(err)), 0);
	assert_string_equal(c.quotes_discovery, "quotes.v2");
	assert_true(acct_config_load(&c, 3, bad, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "QUOTES_DISCOVERY"));
	unsetenv("QUOTES_DISCOVERY");
}

static void acct_config_load_should_turn_testability_off(void **state)
{
	struct acct_config c;
	char err[256];
	char *flag[] = {"accountservice", "--no-testability", NULL};
	char *none[] = {"accountservice", NULL};
	char *on[] = {"accountservice", "--testability", NULL};
	(void)state;
	assert_int_equal(acct_config_load(&c, 2, flag, err, sizeof(err)), 0);
	assert_int_equal(c.testability, 0);
	setenv("ACCOUNT_TESTABILITY", "0", 1);
	assert_int_equal(acct_config_load(&c, 1, none, err, sizeof(err)), 0);
	assert_int_equal(c.testability, 0);
	assert_int_equal(acct_config_load(&c, 2, on, err, sizeof(err)), 0);
	assert_int_equal(c.testability, 1);
	setenv("ACCOUNT_TESTABILITY", "off-ish", 1);
	assert_true(acct_config_load(&c, 1, none, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "ACCOUNT_TESTABILITY"));
}

static void acct_config_load_should_take_the_http_limits(void **state)
{
	struct acct_config c;
	char err[256];
	char *argv[] = {"accountservice",
			"--max-connections-per-client",
			"0",
			"--request-timeout",
			"1.5s",
			NULL};
	(void)state;
	setenv("SERVER_MAX_CONNECTIONS_PER_CLIENT", "10", 1);
	setenv("SERVER_MAX_CONNECTIONS", "50", 1);
	setenv("SERVER_MAX_REQUEST_BODY", "0", 1);
	assert_int_equal(acct_config_load(&c, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(c.max_per_client, 0);
	assert_int_equal(c.max_connections, 50);
	assert_int_equal(c.request_timeout_ms, 1500);
	assert_int_equal(c.max_body, 0);
	setenv("SERVER_MAX_CONNECTIONS", "0", 1);
	assert_true(acct_config_load(&c, 1, argv, err, sizeof(err)) < 0);
}

static void acct_config_load_should_let_flags_override_the_environment(void **state)
{
	struct acct_config c;
	char err[256];
	char *argv[] = {"accountservice", "--port", "7000", "--quotes-timeout-ms=250",
			"--log-level",	  "debug",  NULL};
	(void)state;
	setenv("SERVER_PORT", "6000", 1);
	setenv("DB_PATH", "/tmp/x.db", 1);
	setenv("DISCOVERY_INTERVAL", "500ms", 1);
	setenv("QUOTES_CLOSE_WAIT_MS", "0", 1);
	assert_int_equal(acct_config_load(&c, 6, argv, err, sizeof(err)), 0);
	assert_int_equal(c.quotes_close_wait_ms, 0);
	assert_int_equal(c.port, 7000);
	assert_int_equal(c.quotes_timeout_ms, 250);
	assert_string_equal(c.db_path, "/tmp/x.db");
	assert_int_equal(c.interval_ms, 500);
	assert_int_equal(c.log_level, LOG_DEBUG);
}

static void acct_config_load_should_reject_bad_values(void **state)
{
	struct acct_config c;
	char err[256];
	char *port[] = {"accountservice", "--port", "http", NULL};
	char *range[] = {"accountservice", "--port", "70000", NULL};
	char *level[] = {"accountservice", "--log-level", "loud", NULL};
	char *timeout[] = {"accountservice", "--quotes-timeout-ms", "0", NULL};
	char *unknown[] = {"accountservice", "--bogus", NULL};
	char *scheme[] = {"accountservice", "--quotes-url", "htp://quotes-service:8080/", NULL};
	(void)state;
	assert_true(acct_config_load(&c, 3, port, err, sizeof(err)) < 0);
	assert_true(acct_config_load(&c, 3, range, err, sizeof(err)) < 0);
	assert_true(acct_config_load(&c, 3, level, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "loud"));
	assert_true(acct_config_load(&c, 3, timeout, err, sizeof(err)) < 0);
	assert_true(acct_config_load(&c, 2, unknown, err, sizeof(err)) < 0);
	assert_true(acct_config_load(&c, 3, scheme, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "htp://quotes-service"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(acct_config_load_should_give_the_contract_defaults,
				       clear_env),
		cmocka_unit_test_setup(acct_config_load_should_let_flags_override_the_environment,
				       clear_env),
		cmocka_unit_test_setup(acct_config_load_should_reject_bad_values, clear_env),
		cmocka_unit_test_setup(acct_config_load_should_turn_testability_off, clear_env),
		cmocka_unit_test_setup(acct_config_load_should_take_the_http_limits, clear_env),
		cmocka_unit_test_setup(acct_config_load_should_take_a_quotes_discovery_service,
				       clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
