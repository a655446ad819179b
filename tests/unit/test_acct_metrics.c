#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "accountservice/acct_metrics.h"

static char *render(struct acct_metrics *m)
{
	size_t len = 0;
	char *text = acct_metrics_render(m, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void acct_metrics_render_should_count_requests_by_route_and_status(void **state)
{
	struct acct_metrics m;
	char *text;
	(void)state;
	acct_metrics_init(&m);
	acct_metrics_request(&m, ACCT_ROUTE_ACCOUNTS, 200, 100);
	acct_metrics_request(&m, ACCT_ROUTE_ACCOUNTS, 200, 100);
	acct_metrics_request(&m, ACCT_ROUTE_ACCOUNTS, 404, 100);
	acct_metrics_request(&m, ACCT_ROUTE_OTHER, 418, 100);
	text = render(&m);
	assert_non_null(strstr(text, "# TYPE accountservice_http_requests_total counter\n"));
	assert_non_null(strstr(
		text, "accountservice_http_requests_total{route=\"accounts\",status=\"200\"} 2\n"));
	assert_non_null(strstr(
		text, "accountservice_http_requests_total{route=\"accounts\",status=\"404\"} 1\n"));
	assert_non_null(strstr(
		text, "accountservice_http_requests_total{route=\"other\",status=\"other\"} 1\n"));
	assert_null(strstr(text, "route=\"health\""));
	free(text);
}

static void acct_metrics_render_should_count_quote_outcomes(void **state)
{
	struct acct_metrics m;
	char *text;
	(void)state;
	acct_metrics_init(&m);
	acct_metrics_quote(&m, ACCT_QUOTE_OK);
	acct_metrics_quote(&m, ACCT_QUOTE_TIMEOUT);
	acct_metrics_quote(&m, ACCT_QUOTE_FALLBACK);
	text = render(&m);
	assert_non_null(strstr(text, "accountservice_quote_calls_total{outcome=\"ok\"} 1\n"));
	assert_non_null(strstr(text, "accountservice_quote_calls_total{outcome=\"timeout\"} 1\n"));
	assert_non_null(strstr(text, "accountservice_quote_calls_total{outcome=\"error\"} 0\n"));
	assert_non_null(strstr(text, "accountservice_quote_calls_total{outcome=\"fallback\"} 1\n"));
	free(text);
}

static void acct_metrics_render_should_count_who_closed_quote_connections(void **state)
{
	struct acct_metrics m;
	char *text;
	(void)state;
	acct_metrics_init(&m);
	acct_metrics_quote_closed(&m, ACCT_CLOSED_BY_SERVER);
	acct_metrics_quote_closed(&m, ACCT_CLOSED_BY_SERVER);
	text = render(&m);
	assert_non_null(strstr(
		text, "accountservice_quote_connections_closed_total{first=\"server\"} 2\n"));
	assert_non_null(strstr(
		text, "accountservice_quote_connections_closed_total{first=\"service\"} 0\n"));
	free(text);
}

static void acct_metrics_render_should_count_quote_discovery_choices(void **state)
{
	struct acct_metrics m;
	char *text;
	(void)state;
	acct_metrics_init(&m);
	acct_metrics_quote_chose(&m, ACCT_CHOSE_NEXT);
	acct_metrics_quote_chose(&m, ACCT_CHOSE_NEXT);
	acct_metrics_quote_chose(&m, ACCT_CHOSE_RETRY);
	acct_metrics_set_quote_instances(&m, 3);
	acct_metrics_set_quote_instances(&m, 2);
	text = render(&m);
	assert_non_null(
		strstr(text, "accountservice_quote_discovery_calls_total{choice=\"next\"} 2\n"));
	assert_non_null(
		strstr(text, "accountservice_quote_discovery_calls_total{choice=\"retry\"} 1\n"));
	assert_non_null(
		strstr(text, "accountservice_quote_discovery_calls_total{choice=\"none\"} 0\n"));
	assert_non_null(strstr(text, "# TYPE accountservice_quote_discovery_instances gauge\n"
				     "accountservice_quote_discovery_instances 2\n"));
	free(text);
}

static void acct_metrics_render_should_give_a_cumulative_histogram(void **state)
{
	struct acct_metrics m;
	char *text;
	(void)state;
	acct_metrics_init(&m);
	acct_metrics_request(&m, ACCT_ROUTE_HEALTH, 200, 200);	   /* 0.2 ms */
	acct_metrics_request(&m, ACCT_ROUTE_HEALTH, 200, 3000);	   /* 3 ms */
	acct_metrics_request(&m, ACCT_ROUTE_HEALTH, 200, 9000000); /* 9 s */
	text = render(&m);
	assert_non_null(
		strstr(text, "# TYPE accountservice_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(text, "_bucket{le=\"0.00025\"} 1\n"));
	assert_non_null(strstr(text, "_bucket{le=\"0.0025\"} 1\n"));
	assert_non_null(strstr(text, "_bucket{le=\"0.005\"} 2\n"));
	assert_non_null(strstr(text, "_bucket{le=\"5\"} 2\n"));
	assert_non_null(strstr(text, "_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(
		strstr(text, "accountservice_http_request_duration_seconds_sum 9.003200\n"));
	assert_non_null(strstr(text, "accountservice_http_request_duration_seconds_count 3\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acct_metrics_render_should_count_requests_by_route_and_status),
		cmocka_unit_test(acct_metrics_render_should_count_quote_outcomes),
		cmocka_unit_test(acct_metrics_render_should_count_who_closed_quote_connections),
		cmocka_unit_test(acct_metrics_render_should_count_quote_discovery_choices),
		cmocka_unit_test(acct_metrics_render_should_give_a_cumulative_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
