#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "registry/rconfig.h"

static int load(struct rconfig *c, char **argv, char *err, size_t errlen)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return rconfig_load(c, argc, argv, err, errlen);
}

static void rconfig_load_should_default_to_the_contract_limits(void **state)
{
	char *argv[] = { "registry", NULL };
	struct rconfig c;
	char err[256];
	(void)state;

	unsetenv("REGISTRY_MAX_PER_SERVICE");
	unsetenv("REGISTRY_MAX_TTL");
	assert_int_equal(load(&c, argv, err, sizeof(err)), 0);
	assert_int_equal(c.max_per_service, 10000);
	assert_int_equal(c.max_ttl_ms, 300000);
	assert_int_equal(c.max_instances, 50000);
}

static void rconfig_load_should_take_the_limits_from_env_and_flags(void **state)
{
	char *argv[] = { "registry", "--max-ttl", "2m", NULL };
	struct rconfig c;
	char err[256];
	(void)state;

	setenv("REGISTRY_MAX_PER_SERVICE", "25", 1);
	setenv("REGISTRY_MAX_TTL", "10m", 1);
	assert_int_equal(load(&c, argv, err, sizeof(err)), 0);
	assert_int_equal(c.max_per_service, 25);
	assert_int_equal(c.max_ttl_ms, 120000); /* the flag wins */
	setenv("REGISTRY_MAX_TTL", "500ms", 1); /* under the 1 s a ttl can be */
	argv[1] = NULL;
	assert_true(load(&c, argv, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "REGISTRY_MAX_TTL"));
	unsetenv("REGISTRY_MAX_PER_SERVICE");
	unsetenv("REGISTRY_MAX_TTL");
}

static void rconfig_load_should_refuse_a_legacy_ttl_above_the_max_ttl(void **state)
{
	char *argv[] = { "registry", "--legacy-queue", "discovery", "--max-ttl", "60", NULL };
	char *no_legacy[] = { "registry", "--max-ttl", "60", NULL };
	struct rconfig c;
	char err[256];
	(void)state;

	unsetenv("REGISTRY_LEGACY_TTL");
	assert_true(load(&c, argv, err, sizeof(err)) < 0); /* the legacy default is 90 s */
	assert_non_null(strstr(err, "REGISTRY_LEGACY_TTL"));
	/* Without the legacy queue the legacy ttl is unused. */
	assert_int_equal(load(&c, no_legacy, err, sizeof(err)), 0);
	assert_int_equal(c.max_ttl_ms, 60000);
}

static void rconfig_load_should_refuse_the_legacy_queue_as_the_out_queue(void **state)
{
	char *same[] = { "registry", "--legacy-queue", "discovery", "--legacy-out-queue",
			 "discovery", NULL };
	char *other[] = { "registry", "--legacy-queue", "discovery", "--legacy-out-queue",
			  "turbine", "--legacy-out-services", "a,b", NULL };
	struct rconfig c;
	char err[256];
	(void)state;

	assert_true(load(&c, same, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "REGISTRY_LEGACY_OUT_QUEUE"));
	assert_int_equal(load(&c, other, err, sizeof(err)), 0);
	assert_string_equal(c.legacy_out_queue, "turbine");
	assert_string_equal(c.legacy_out_services, "a,b");
}

static const char *const http_vars[] = {
	"REGISTRY_MAX_CONNECTIONS", "REGISTRY_MAX_CONNECTIONS_PER_CLIENT", "REGISTRY_MAX_WAITING",
	"REGISTRY_MAX_STREAMS",	    "REGISTRY_REQUEST_TIMEOUT",		   "REGISTRY_MAX_REQUEST_BODY",
	"REGISTRY_HTTP_THREADS",
};

static void unset_http_vars(void)
{
	for (size_t i = 0; i < sizeof(http_vars) / sizeof(http_vars[0]); i++)
		unsetenv(http_vars[i]);
}

static void rconfig_load_should_give_the_http_limits_defaults(void **state)
{
	char *argv[] = { "registry", NULL };
	struct rconfig c;
	char err[256];
	(void)state;

	unset_http_vars();
	assert_int_equal(load(&c, argv, err, sizeof(err)), 0);
	assert_int_equal(c.max_connections, 20000);
	assert_int_equal(c.max_per_client, 256);
	assert_int_equal(c.max_waiting, 10000);
	assert_int_equal(c.max_streams, 5000);
	assert_int_equal(c.request_timeout_ms, 5000);
	assert_int_equal(c.max_body, 1024);
}

static void rconfig_load_should_give_one_http_thread_per_cpu(void **state)
{
	char *argv[] = { "registry", NULL };
	char *three[] = { "registry", "--http-threads", "3", NULL };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct rconfig c;
	char err[256];
	(void)state;

	unset_http_vars();
	assert_int_equal(load(&c, argv, err, sizeof(err)), 0);
	assert_int_equal(c.http_threads, cpus < 1 ? 1 : cpus > 16 ? 16 : cpus);
	setenv("REGISTRY_HTTP_THREADS", "5", 1);
	assert_int_equal(load(&c, argv, err, sizeof(err)), 0);
	assert_int_equal(c.http_threads, 5);
	assert_int_equal(load(&c, three, err, sizeof(err)), 0);
	assert_int_equal(c.http_threads, 3); /* the flag wins */
	setenv("REGISTRY_HTTP_THREADS", "257", 1);
	assert_true(load(&c, argv, err, sizeof(err)) < 0);
	unset_http_vars();
}

static void rconfig_load_should_take_the_http_limits(void **state)
{
	char *argv[] = { "registry", "--max-waiting", "7", "--request-timeout=250ms", NULL };
	char *none[] = { "registry", NULL };
	struct rconfig c;
	char err[256];
	(void)state;

	unset_http_vars();
	setenv("REGISTRY_MAX_WAITING", "9", 1);
	setenv("REGISTRY_MAX_STREAMS", "0", 1);
	setenv("REGISTRY_MAX_CONNECTIONS_PER_CLIENT", "3", 1);
	setenv("REGISTRY_MAX_REQUEST_BODY", "10", 1);
	assert_int_equal(load(&c, argv, err, sizeof(err)), 0);
	assert_int_equal(c.max_waiting, 7); /* the flag wins */
	assert_int_equal(c.max_streams, 0);
	assert_int_equal(c.max_per_client, 3);
	assert_int_equal(c.request_timeout_ms, 250);
	assert_int_equal(c.max_body, 10);
	setenv("REGISTRY_MAX_CONNECTIONS", "0", 1);
	assert_true(load(&c, none, err, sizeof(err)) < 0);
	setenv("REGISTRY_MAX_CONNECTIONS", "100", 1);
	setenv("REGISTRY_REQUEST_TIMEOUT", "soon", 1);
	assert_true(load(&c, none, err, sizeof(err)) < 0);
	unset_http_vars();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rconfig_load_should_default_to_the_contract_limits),
		cmocka_unit_test(rconfig_load_should_take_the_limits_from_env_and_flags),
		cmocka_unit_test(rconfig_load_should_refuse_a_legacy_ttl_above_the_max_ttl),
		cmocka_unit_test(rconfig_load_should_refuse_the_legacy_queue_as_the_out_queue),
		cmocka_unit_test(rconfig_load_should_give_the_http_limits_defaults),
		cmocka_unit_test(rconfig_load_should_take_the_http_limits),
		cmocka_unit_test(rconfig_load_should_give_one_http_thread_per_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
