#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
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
	mask("AMQP://svc:pw@[::1]:5672/%2f", "AMQP://svc:***@[::1]:5672/%2f");
	mask("amqp://svc:pw@host", "amqp://svc:***@host");
}

/* Every character a password may hold ends it no sooner than the last '@'. */
static void log_mask_url_should_hide_passwords_with_awkward_characters(void **state)
{
	(void)state;
	mask("amqp://svc:Zm9v/YmFy@h/", "amqp://svc:***@h/");
	mask("amqp://u:a@b@host/", "amqp://u:***@host/");
	mask("amqp://u:p/a@s@s@host:5672/v", "amqp://u:***@host:5672/v");
	mask("amqp://u:p:a:ss@host/", "amqp://u:***@host/");
	mask("amqp://u:p?a=ss@host/", "amqp://u:***@host/");
	mask("amqp://u:p#ass@host/", "amqp://u:***@host/");
	mask("amqp://u:p%2Fa%40ss@host/", "amqp://u:***@host/");
	mask("amqp://u:p,ass@host/", "amqp://u:***@host/");
	mask("amqp://u:p ass@host/", "amqp://u:***@host/");
}

static void log_mask_url_should_hide_any_character_in_a_password(void **state)
{
	(void)state;
	char url[64], out[128];
	for (int c = 1; c < 256; c++) {
		snprintf(url, sizeof(url), "amqp://svc:PWone%cPWtwo%c@host/", c, c);
		log_mask_url(url, out, sizeof(out));
		if (strstr(out, "PWone") || strstr(out, "PWtwo"))
			fail_msg("character %d shows the password: %s", c, out);
	}
}

static void log_mask_url_should_mask_a_password_without_a_user(void **state)
{
	(void)state;
	mask("amqp://:secret@host/", "amqp://:***@host/");
}

static void log_mask_url_should_leave_urls_without_password(void **state)
{
	(void)state;
	mask("amqp://localhost:5672/", "amqp://localhost:5672/");
	mask("amqp://user@host/", "amqp://user@host/");
	mask("amqp://@host/", "amqp://@host/");
	mask("not a url", "not a url");
	mask("", "");
	mask("http://quotes-service:8080/api/quote?strength=4",
	     "http://quotes-service:8080/api/quote?strength=4");
}

/* Without a well-formed user:password, all of the userinfo goes. */
static void log_mask_url_should_mask_garbage_urls_whole(void **state)
{
	(void)state;
	mask("amqp://svc/Zm9v@host/", "amqp://***@host/");
	mask("amqp://svc@corp:pw@host/", "amqp://***@host/");
	/* An '@' in a path could be the end of a password with a '/'. */
	mask("http://host/path@x", "http://***@x");
	mask("svc:Zm9v/YmFy@host/", "svc:***@host/");
	mask("amqp:/svc:pw@host/", "amqp:***@host/");
	mask(" amqp://svc:pw@host/", "***@host/");
	mask("amqp://svc:pw@", "amqp://svc:***@");
}

static void log_mask_url_should_mask_each_url_of_a_list(void **state)
{
	(void)state;
	mask("amqp://a:x@h1/,amqps://b:y@h2:5671/v", "amqp://a:***@h1/,amqps://b:***@h2:5671/v");
	mask("amqp://a:x@h1,amqp://h2,amqp://c:z/@h3", "amqp://a:***@h1,amqp://h2,amqp://c:***@h3");
	/* A ',' that no URL follows is part of the previous one. */
	mask("amqp://a:x@h1/,garbage:pw@h2", "amqp://a:***@h2");
	mask("amqp://a:x@h1/,amqp://y@h2/", "amqp://a:***@h1/,amqp://y@h2/");
	mask(",amqp://a:x@h1/,", ",amqp://a:***@h1/,");
}

static void log_mask_url_should_truncate_safely(void **state)
{
	(void)state;
	char out[12];
	log_mask_url("amqp://guest:guest@host:5672/", out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_null(strstr(out, "guest:guest"));
	log_mask_url("amqp://a:b@c/,amqp://d:SECRET@e/", out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_null(strstr(out, "SEC"));
	log_mask_url("amqp://guest:guest@host:5672/", out, 1);
	assert_string_equal(out, "");
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
		cmocka_unit_test(log_mask_url_should_hide_passwords_with_awkward_characters),
		cmocka_unit_test(log_mask_url_should_hide_any_character_in_a_password),
		cmocka_unit_test(log_mask_url_should_mask_a_password_without_a_user),
		cmocka_unit_test(log_mask_url_should_leave_urls_without_password),
		cmocka_unit_test(log_mask_url_should_mask_garbage_urls_whole),
		cmocka_unit_test(log_mask_url_should_mask_each_url_of_a_list),
		cmocka_unit_test(log_mask_url_should_truncate_safely),
		cmocka_unit_test(log_parse_level_should_accept_known_names),
		cmocka_unit_test(log_ratelimit_allow_should_cap_a_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
