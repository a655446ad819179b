/* The registry's routes and query parameters (registry/rroute.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "registry/rroute.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void rroute_of_should_route_origin_and_absolute_form(void **state)
{
	char service[TOKEN_SERVICE_MAX + 1] = "";
	bool bad;
	(void)state;
	assert_int_equal(rroute_of("/services", service, &bad), RROUTE_SERVICES);
	assert_int_equal(rroute_of("http://127.0.0.1:6868/services/acct", service, &bad),
			 RROUTE_SERVICE);
	assert_false(bad);
	assert_string_equal(service, "acct");
	assert_int_equal(rroute_of("http://127.0.0.1:6868", service, &bad), RROUTE_DASHBOARD);
	assert_int_equal(rroute_of("/turbine/x", service, &bad), RROUTE_TURBINE);
	assert_int_equal(rroute_of("/events", service, &bad), RROUTE_EVENTS);
}

static void rroute_of_should_match_paths_as_sent(void **state)
{
	static const char *const unknown[] = {"//services",	     "/services/", "/services/a/b",
					      "/services/../health", "/health/",   ""};
	char service[TOKEN_SERVICE_MAX + 1];
	bool bad;
	(void)state;
	for (size_t i = 0; i < N(unknown); i++)
		assert_int_equal(rroute_of(unknown[i], service, &bad), RROUTE_UNKNOWN);
	assert_int_equal(rroute_of("/services/Bad", service, &bad), RROUTE_SERVICE);
	assert_true(bad);
	assert_int_equal(rroute_of("/services/\xff", service, &bad), RROUTE_SERVICE);
	assert_true(bad);
}

static void rroute_query_should_refuse_a_parameter_without_value(void **state)
{
	static const char *const keys[] = {"state", "index", "wait"};
	struct rquery q;
	const char *err = NULL;
	(void)state;
	for (size_t i = 0; i < N(keys); i++) {
		struct hreq_field args[] = {{keys[i], NULL}};
		err = NULL;
		assert_int_equal(rroute_query(args, 1, &q, &err), -1);
		assert_non_null(strstr(err, keys[i]));
	}
}

static void rroute_query_should_read_the_parameters(void **state)
{
	struct hreq_field args[] = {{"foo", NULL}, {"wait", "2s"}, {"index", "7"}, {"state", "UP"}};
	struct rquery q;
	const char *err = NULL;
	(void)state;
	assert_int_equal(rroute_query(args, N(args), &q, &err), 0);
	assert_true(q.blocking);
	assert_int_equal(q.index, 7);
	assert_int_equal(q.wait_ms, 2000);
	assert_true(q.has_state);
	assert_int_equal(q.state, TOKEN_UP);
	assert_int_equal(rroute_query(NULL, 0, &q, &err), 0);
	assert_false(q.blocking);
	assert_false(q.has_state);
}

static void rroute_of_should_route_the_discovery_of_other_tools(void **state)
{
	char service[TOKEN_SERVICE_MAX + 1];
	bool bad;
	(void)state;
	assert_int_equal(rroute_of("/prometheus/targets", service, &bad), RROUTE_PROMETHEUS);
	assert_int_equal(rroute_of("/prometheus/targets/", service, &bad), RROUTE_UNKNOWN);
	assert_int_equal(rroute_of("/eureka/apps", service, &bad), RROUTE_EUREKA);
	assert_int_equal(rroute_of("/eureka/apps/delta", service, &bad), RROUTE_EUREKA);
	/* Eureka's names are upper case: rroute_eureka() judges them. */
	assert_int_equal(rroute_of("/eureka/apps/SHOP/i-1", service, &bad), RROUTE_EUREKA);
	assert_false(bad);
	assert_int_equal(rroute_of("/eureka/appsx", service, &bad), RROUTE_UNKNOWN);
}

static void rroute_filter_should_read_service_and_state(void **state)
{
	struct hreq_field args[] = {{"service", "shop"}, {"state", "up"}, {"x", NULL}};
	struct hreq_field bad_service[] = {{"service", "Shop"}};
	struct hreq_field bad_state[] = {{"state", "SLEEPING"}};
	struct hreq_field no_value[] = {{"service", NULL}};
	struct rroute_filter f;
	const char *err = NULL;
	(void)state;
	assert_int_equal(rroute_filter(args, N(args), &f, &err), 0);
	assert_true(f.has_service);
	assert_string_equal(f.service, "shop");
	assert_true(f.has_state);
	assert_int_equal(f.state, TOKEN_UP);
	assert_int_equal(rroute_filter(NULL, 0, &f, &err), 0);
	assert_false(f.has_service || f.has_state);
	assert_int_equal(rroute_filter(bad_service, 1, &f, &err), -1);
	assert_non_null(strstr(err, "service"));
	assert_int_equal(rroute_filter(bad_state, 1, &f, &err), -1);
	assert_non_null(strstr(err, "state"));
	assert_int_equal(rroute_filter(no_value, 1, &f, &err), -1);
}

static void rroute_eureka_should_read_eurekas_paths(void **state)
{
	char app[TOKEN_SERVICE_MAX + 1];
	(void)state;

	assert_int_equal(rroute_eureka("/eureka/apps", app), RROUTE_EUREKA_APPS);
	assert_int_equal(rroute_eureka("/eureka/apps/", app), RROUTE_EUREKA_APPS);
	assert_int_equal(rroute_eureka("/eureka/apps/delta", app), RROUTE_EUREKA_DELTA);
	assert_int_equal(rroute_eureka("/eureka/apps/ACCOUNT-SERVICE", app), RROUTE_EUREKA_APP);
	assert_string_equal(app, "account-service");
	assert_int_equal(rroute_eureka("/eureka/apps/shop", app), RROUTE_EUREKA_APP);
	assert_string_equal(app, "shop");
	assert_int_equal(rroute_eureka("/eureka/apps/SHOP/shop-1", app), RROUTE_EUREKA_NOTHING);
	assert_int_equal(rroute_eureka("/eureka/apps/-AB", app), RROUTE_EUREKA_NOTHING);
	assert_int_equal(rroute_eureka("/eureka/apps//", app), RROUTE_EUREKA_NOTHING);
	assert_int_equal(rroute_eureka("/eureka/appsX", app), RROUTE_EUREKA_NOTHING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rroute_of_should_route_origin_and_absolute_form),
		cmocka_unit_test(rroute_of_should_match_paths_as_sent),
		cmocka_unit_test(rroute_query_should_refuse_a_parameter_without_value),
		cmocka_unit_test(rroute_query_should_read_the_parameters),
		cmocka_unit_test(rroute_of_should_route_the_discovery_of_other_tools),
		cmocka_unit_test(rroute_filter_should_read_service_and_state),
		cmocka_unit_test(rroute_eureka_should_read_eurekas_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
