#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

struct sample {
	const char *url;
	const char *secret;
	int port;
	long count;
	int64_t interval_ms;
	int verbose;
};

#define SAMPLE_OPTIONS(s)                                                              \
	{                                                                              \
		{ "amqp-url", "T_AMQP_URL", CONFIG_URL, &(s)->url, 0, 0, "broker" },   \
		{ "secret", "T_SECRET", CONFIG_SECRET, &(s)->secret, 0, 0, "secret" }, \
		{ "port", "T_PORT", CONFIG_PORT, &(s)->port, 1, 65535, "port" },       \
		{ "count", "T_COUNT", CONFIG_INT, &(s)->count, 1, 100, "count" },      \
		{ "interval", "T_INTERVAL", CONFIG_DURATION_MS, &(s)->interval_ms, 100, \
		  600000, "interval" },                                                \
		{ "verbose", NULL, CONFIG_FLAG, &(s)->verbose, 0, 1, "more output" },  \
	}

static int load(struct sample *s, int argc, char **argv, char *err, size_t errlen)
{
	struct config_option opts[] = SAMPLE_OPTIONS(s);
	return config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv, "test", err,
			   errlen);
}

static void defaults(struct sample *s)
{
	*s = (struct sample){ .url = "amqp://guest:guest@localhost:5672/", .port = 6767,
			      .count = 5, .interval_ms = 2000 };
}

static int setup(void **state)
{
	(void)state;
	unsetenv("T_AMQP_URL");
	unsetenv("T_PORT");
	unsetenv("T_COUNT");
	unsetenv("T_INTERVAL");
	unsetenv("T_SECRET");
	return 0;
}

static void config_load_should_keep_defaults_without_input(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *argv[] = { "prog" };
	defaults(&s);
	assert_int_equal(load(&s, 1, argv, err, sizeof(err)), 0);
	assert_int_equal(s.port, 6767);
	assert_int_equal(s.interval_ms, 2000);
}

static void config_load_should_let_flags_override_environment(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *argv[] = { "prog", "--port", "7000", "--interval=500ms", "--verbose" };
	defaults(&s);
	setenv("T_PORT", "6000", 1);
	setenv("T_COUNT", "9", 1);
	setenv("T_INTERVAL", "0.5", 1);
	assert_int_equal(load(&s, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(s.port, 7000);
	assert_int_equal(s.count, 9);
	assert_int_equal(s.interval_ms, 500);
	assert_int_equal(s.verbose, 1);
}

static void config_load_should_reject_non_numeric_port(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *argv[] = { "prog", "--port", "http" };
	defaults(&s);
	assert_true(load(&s, 3, argv, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--port"));
	assert_non_null(strstr(err, "http"));
}

static void config_load_should_reject_port_out_of_range(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *argv[] = { "prog" };
	defaults(&s);
	setenv("T_PORT", "70000", 1);
	assert_true(load(&s, 1, argv, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "T_PORT"));
	setenv("T_PORT", "0", 1);
	assert_true(load(&s, 1, argv, err, sizeof(err)) < 0);
	setenv("T_PORT", "-1", 1);
	assert_true(load(&s, 1, argv, err, sizeof(err)) < 0);
}

static void config_load_should_reject_unknown_flag(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *argv[] = { "prog", "--colour", "red" };
	defaults(&s);
	assert_true(load(&s, 3, argv, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--colour"));
}

static void config_load_should_reject_missing_value(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *argv[] = { "prog", "--port" };
	defaults(&s);
	assert_true(load(&s, 2, argv, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "needs a value"));
}

static void config_load_should_reject_bad_duration_and_range(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *bad[] = { "prog", "--interval", "abc" };
	char *small[] = { "prog", "--interval", "10ms" };
	char *count[] = { "prog", "--count", "101" };
	defaults(&s);
	assert_true(load(&s, 3, bad, err, sizeof(err)) < 0);
	assert_true(load(&s, 3, small, err, sizeof(err)) < 0);
	assert_true(load(&s, 3, count, err, sizeof(err)) < 0);
}

/* A flag that is on by default is turned off by "--no-NAME" or "=false";
 * "--no-" names no option that is not a flag. */
static void config_load_should_turn_a_flag_off_with_no(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *no[] = { "prog", "--no-verbose" };
	char *eq[] = { "prog", "--verbose=false" };
	char *no_port[] = { "prog", "--no-port" };
	char *no_eq[] = { "prog", "--no-verbose=1" };
	defaults(&s);
	s.verbose = 1;
	assert_int_equal(load(&s, 2, no, err, sizeof(err)), 0);
	assert_int_equal(s.verbose, 0);
	s.verbose = 1;
	assert_int_equal(load(&s, 2, eq, err, sizeof(err)), 0);
	assert_int_equal(s.verbose, 0);
	assert_true(load(&s, 2, no_port, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--no-port"));
	assert_true(load(&s, 2, no_eq, err, sizeof(err)) < 0);
}

/* A value without its flag, or glued to it, may be a password: the
 * message names the argument or the option, never the value. */
static void config_load_should_not_echo_stray_values(void **state)
{
	(void)state;
	struct sample s;
	char err[256] = "";
	char *stray[] = { "prog", "--port", "80", "amqp://u:hunter2@h/" };
	char *glued_url[] = { "prog", "--amqp-urlamqp://u:hunter2@h/" };
	char *glued_secret[] = { "prog", "--secrethunter2" };
	char *glued_eq[] = { "prog", "--secrets=hunter2" };
	defaults(&s);
	assert_true(load(&s, 4, stray, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "argument 3 is not an option"));
	assert_null(strstr(err, "hunter2"));
	assert_true(load(&s, 2, glued_url, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--amqp-url=VALUE"));
	assert_null(strstr(err, "hunter2"));
	assert_true(load(&s, 2, glued_secret, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--secret..."));
	assert_null(strstr(err, "hunter2"));
	assert_true(load(&s, 2, glued_eq, err, sizeof(err)) < 0);
	assert_null(strstr(err, "hunter2"));
}

static void config_print_help_should_mask_secrets(void **state)
{
	(void)state;
	struct sample s;
	defaults(&s);
	s.secret = "hunter2";
	struct config_option opts[] = SAMPLE_OPTIONS(&s);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	config_print_help(opts, sizeof(opts) / sizeof(opts[0]), "prog", "A test.", out);
	fclose(out);
	assert_non_null(strstr(text, "--port VALUE"));
	assert_non_null(strstr(text, "--[no-]verbose"));
	assert_non_null(strstr(text, "(default: off)"));
	assert_non_null(strstr(text, "T_PORT"));
	assert_non_null(strstr(text, "amqp://guest:***@localhost:5672/"));
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "guest:guest"));
	free(text);
}

static void config_print_help_should_keep_two_spaces_after_a_long_flag(void **state)
{
	(void)state;
	int on = 0;
	struct config_option opts[] = {
		{"a-flag-longer-than-the-column", NULL, CONFIG_FLAG, &on, 0, 1, "its text"},
	};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	config_print_help(opts, 1, "prog", "A test.", out);
	fclose(out);
	/* help2man takes one space as part of the flag, two as its end. */
	assert_non_null(strstr(text, "  --[no-]a-flag-longer-than-the-column  its text"));
	free(text);
}

static void config_usage_error_should_name_the_program_and_hint_once(void **state)
{
	(void)state;
	char path[] = "/tmp/test_config_usage.XXXXXX";
	char text[256] = "";
	int fd = mkstemp(path), saved = dup(2);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	int rc = config_usage_error("prog", "--port: '%s' is not a port", "x");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(path);
	assert_int_equal(rc, CONFIG_EXIT_USAGE);
	assert_true(n > 0);
	assert_string_equal(text, "prog: --port: 'x' is not a port (see --help)\n");
}

static void config_load_should_parse_log_levels(void **state)
{
	(void)state;
	enum log_level level = LOG_INFO;
	struct config_option opts[] = {
		{ "log-level", "T_LOG_LEVEL", CONFIG_LOG_LEVEL, &level, 0, 0, "level" },
	};
	char err[256] = "";
	char *good[] = { "prog", "--log-level", "WARNING" };
	char *bad[] = { "prog", "--log-level=loud" };
	assert_int_equal(config_load(opts, 1, 3, good, "test", err, sizeof(err)), 0);
	assert_int_equal(level, LOG_WARN);
	assert_true(config_load(opts, 1, 2, bad, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "loud"));
	assert_int_equal(level, LOG_WARN);
}

static void config_load_should_reject_an_unreadable_file(void **state)
{
	(void)state;
	const char *ca = "";
	struct config_option opts[] = {
		{ "ca", "T_CA", CONFIG_FILE, &ca, 0, 0, "CA file" },
	};
	char err[256] = "";
	char *missing[] = { "prog", "--ca", "/nonexistent/ca.pem" };
	char *readable[] = { "prog", "--ca", "/dev/null" };
	char *empty[] = { "prog", "--ca=" };
	assert_true(config_load(opts, 1, 3, missing, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--ca: cannot read '/nonexistent/ca.pem'"));
	assert_string_equal(ca, "");
	assert_int_equal(config_load(opts, 1, 3, readable, "test", err, sizeof(err)), 0);
	assert_string_equal(ca, "/dev/null");
	/* Empty means "not set", as for the other text options. */
	assert_int_equal(config_load(opts, 1, 2, empty, "test", err, sizeof(err)), 0);
	assert_string_equal(ca, "");
}

static void config_load_should_say_what_is_wrong_with_an_amqp_url(void **state)
{
	(void)state;
	const char *url = "amqp://localhost/";
	struct config_option opts[] = {
		{ "amqp-url", "T_AMQP", CONFIG_AMQP_URL, &url, 0, 0, "broker" },
	};
	char err[512] = "";
	char *scheme[] = { "prog", "--amqp-url", "http://u:pw@h/" };
	char *port[] = { "prog", "--amqp-url", "amqp://u:pw@h:99999/" };
	char *list[] = { "prog", "--amqp-url", "amqp://a/,amqp://b:pw@b:0x/" };
	char *nodes[] = { "prog", "--amqp-url", "amqp://a/,amqps://u:pw@b/v" };
	char *good[] = { "prog", "--amqp-url", "amqps://u:p%2Fw@h:5671/vh" };

	assert_true(config_load(opts, 1, 3, scheme, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--amqp-url: 'http://u:***@h/' is not an amqp://"));
	assert_true(config_load(opts, 1, 3, port, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "does not parse"));
	assert_null(strstr(err, "pw"));
	assert_true(config_load(opts, 1, 3, list, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "URL 2 of 2: 'amqp://b:***@b:0x/' does not parse"));
	assert_int_equal(config_load(opts, 1, 3, nodes, "test", err, sizeof(err)), 0);
	assert_string_equal(url, "amqp://a/,amqps://u:pw@b/v");
	assert_int_equal(config_load(opts, 1, 3, good, "test", err, sizeof(err)), 0);
	assert_string_equal(url, "amqps://u:p%2Fw@h:5671/vh");
}

static void config_load_should_read_a_secret_from_name_file(void **state)
{
	(void)state;
	const char *secret = "", *url = "amqp://localhost/";
	struct config_option opts[] = {
		{ "secret", "T_FSECRET", CONFIG_SECRET, &secret, 0, 0, "key" },
		{ "amqp-url", "T_FAMQP", CONFIG_AMQP_URL, &url, 0, 0, "broker" },
	};
	char path[] = "/tmp/test_config_secret.XXXXXX";
	char err[512] = "";
	char *argv[] = { "prog" };
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fputs("k3y-from-a-file\n", f);
	fclose(f);
	setenv("T_FSECRET_FILE", path, 1);
	assert_int_equal(config_load(opts, 2, 1, argv, "test", err, sizeof(err)), 0);
	assert_string_equal(secret, "k3y-from-a-file"); /* without the newline */
	/* The variable itself wins over its file. */
	setenv("T_FSECRET", "from-env", 1);
	assert_int_equal(config_load(opts, 2, 1, argv, "test", err, sizeof(err)), 0);
	assert_string_equal(secret, "from-env");
	unsetenv("T_FSECRET");
	unsetenv("T_FSECRET_FILE");
	/* A file that is not there, and a URL file with a bad URL. */
	setenv("T_FAMQP_FILE", "/nonexistent/url", 1);
	assert_true(config_load(opts, 2, 1, argv, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "T_FAMQP_FILE: cannot read '/nonexistent/url'"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("http://u:pw@h/", f);
	fclose(f);
	setenv("T_FAMQP_FILE", path, 1);
	assert_true(config_load(opts, 2, 1, argv, "test", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "T_FAMQP_FILE: 'http://u:***@h/'"));
	unsetenv("T_FAMQP_FILE");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(config_load_should_keep_defaults_without_input, setup),
		cmocka_unit_test_setup(config_load_should_let_flags_override_environment, setup),
		cmocka_unit_test_setup(config_load_should_reject_non_numeric_port, setup),
		cmocka_unit_test_setup(config_load_should_reject_port_out_of_range, setup),
		cmocka_unit_test_setup(config_load_should_reject_unknown_flag, setup),
		cmocka_unit_test_setup(config_load_should_reject_missing_value, setup),
		cmocka_unit_test_setup(config_load_should_reject_bad_duration_and_range, setup),
		cmocka_unit_test_setup(config_load_should_turn_a_flag_off_with_no, setup),
		cmocka_unit_test_setup(config_load_should_not_echo_stray_values, setup),
		cmocka_unit_test_setup(config_print_help_should_mask_secrets, setup),
		cmocka_unit_test(config_print_help_should_keep_two_spaces_after_a_long_flag),
		cmocka_unit_test(config_usage_error_should_name_the_program_and_hint_once),
		cmocka_unit_test_setup(config_load_should_parse_log_levels, setup),
		cmocka_unit_test_setup(config_load_should_reject_an_unreadable_file, setup),
		cmocka_unit_test_setup(config_load_should_say_what_is_wrong_with_an_amqp_url, setup),
		cmocka_unit_test_setup(config_load_should_read_a_secret_from_name_file, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
