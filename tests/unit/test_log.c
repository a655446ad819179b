#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "log.h"

static void mask(const char *url, const char *want)
{
	char out[256];
	log_mask_url(url, out, sizeof(out));
	assert_string_equal(out, want);
}

static void log_mask_url_should_hide_the_password(void **state)
{
	(void)state;
	mask("amqp://guest:guest@host:5672/", "amqp://guest:***@host:5672/");
	mask("amqps://svc:p%40ss@broker.example:5671/vhost", "amqps://svc:***@broker.example:5671/vhost");
	/* An '@' inside the password: the last '@' before the path ends it. */
	mask("amqp://u:a@b@host/", "amqp://u:***@host/");
}

static void log_mask_url_should_leave_urls_without_password(void **state)
{
	(void)state;
	mask("amqp://localhost:5672/", "amqp://localhost:5672/");
	mask("amqp://user@host/", "amqp://user@host/");
	mask("not a url", "not a url");
	mask("http://host/path@x", "http://host/path@x");
}

static void log_mask_url_should_truncate_safely(void **state)
{
	(void)state;
	char out[12];
	log_mask_url("amqp://guest:guest@host:5672/", out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_null(strstr(out, "guest:guest"));
}

static void log_parse_level_should_accept_known_names(void **state)
{
	(void)state;
	enum log_level level;
	assert_int_equal(log_parse_level("DEBUG", &level), 0);
	assert_int_equal(level, LOG_DEBUG);
	assert_int_equal(log_parse_level("warning", &level), 0);
	assert_int_equal(level, LOG_WARN);
	assert_int_equal(log_parse_level("error", &level), 0);
	assert_int_equal(level, LOG_ERROR);
	assert_true(log_parse_level("loud", &level) < 0);
}

static void log_ratelimit_allow_should_cap_a_burst(void **state)
{
	(void)state;
	struct log_ratelimit rl = { 0 };
	int allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += log_ratelimit_allow(&rl, 5, 60000);
	assert_int_equal(allowed, 5);
	assert_int_equal(rl.suppressed, 95);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_mask_url_should_hide_the_password),
		cmocka_unit_test(log_mask_url_should_leave_urls_without_password),
		cmocka_unit_test(log_mask_url_should_truncate_safely),
		cmocka_unit_test(log_parse_level_should_accept_known_names),
		cmocka_unit_test(log_ratelimit_allow_should_cap_a_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
