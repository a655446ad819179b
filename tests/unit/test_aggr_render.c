/* The aggregator's JSON answers (aggregator/aggr_render.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "aggregator/aggr_render.h"

static struct aggr_member member(char *service, char *id, char *address, int port)
{
	return (struct aggr_member){
		.service = service,
		.instance_id = id,
		.address = address,
		.port = port,
		.state = SUBSCRIBER_UP,
	};
}

static void aggr_render_status_should_group_members_by_service_with_counts(void **state)
{
	struct aggr_member a = member("accountservice", "a", "10.0.0.1", 6767),
			   b = member("accountservice", "b", "10.0.0.2", 6767),
			   q = member("quotes", "q", "fd00::1", 0);
	const struct aggr_member *const list[] = {&a, &b, &q};
	char *text;
	(void)state;

	a.checked = true;
	a.healthy = true;
	a.checked_at = 1795700000123;
	b.checked = true;
	b.state = SUBSCRIBER_DOWN;
	b.checked_at = 1795700000456;
	strcpy(b.error, "HTTP 503");
	text = aggr_render_status(list, 3);
	assert_non_null(text);
	assert_string_equal(
		text,
		"{\"services\":[{\"name\":\"accountservice\",\"instances\":2,\"healthy\":1,"
		"\"members\":["
		"{\"instanceId\":\"a\",\"address\":\"10.0.0.1\",\"port\":6767,\"state\":\"UP\","
		"\"healthy\":true,\"checkedAt\":1795700000123,\"error\":null},"
		"{\"instanceId\":\"b\",\"address\":\"10.0.0.2\",\"port\":6767,\"state\":\"DOWN\","
		"\"healthy\":false,\"checkedAt\":1795700000456,\"error\":\"HTTP 503\"}]},"
		"{\"name\":\"quotes\",\"instances\":1,\"healthy\":0,\"members\":["
		"{\"instanceId\":\"q\",\"address\":\"fd00::1\",\"port\":null,\"state\":\"UP\","
		"\"healthy\":false,\"checkedAt\":null,\"error\":null}]}]}");
	cJSON_free(text);
}

static void aggr_render_status_should_render_an_empty_table(void **state)
{
	char *text = aggr_render_status(NULL, 0);
	(void)state;
	assert_string_equal(text, "{\"services\":[]}");
	cJSON_free(text);
}

static void aggr_render_turbine_should_list_one_service_as_the_registry_does(void **state)
{
	struct aggr_member a = member("accountservice", "a", "10.0.0.1", 6767),
			   b = member("accountservice", "b", "fd00::2", 6767),
			   c = member("accountservice", "c", "10.0.0.3", 6767),
			   q = member("quotes", "q", "10.0.0.9", 8080);
	const struct aggr_member *const list[] = {&a, &b, &c, &q};
	char *text;
	(void)state;

	/* b is UP but its check failed; c is DOWN. */
	b.checked = true;
	c.state = SUBSCRIBER_DOWN;
	text = aggr_render_turbine(list, 4, "accountservice");
	assert_string_equal(
		text,
		"[{\"hostname\":\"10.0.0.1:6767\",\"cluster\":\"accountservice\",\"isUp\":true},"
		"{\"hostname\":\"[fd00::2]:6767\",\"cluster\":\"accountservice\",\"isUp\":false},"
		"{\"hostname\":\"10.0.0.3:6767\",\"cluster\":\"accountservice\",\"isUp\":false}]");
	cJSON_free(text);
	text = aggr_render_turbine(list, 4, "nosuch");
	assert_string_equal(text, "[]");
	cJSON_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggr_render_status_should_group_members_by_service_with_counts),
		cmocka_unit_test(aggr_render_status_should_render_an_empty_table),
		cmocka_unit_test(aggr_render_turbine_should_list_one_service_as_the_registry_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
