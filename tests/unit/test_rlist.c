#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/rlist.h"
#include "tests/unit/table_fixture.h"
#include "timing.h"

static void rlist_service_json_should_filter_by_state_and_sort(void **state)
{
	struct table *t = table_new(NULL);
	enum token_state up = TOKEN_UP;
	uint64_t index;
	cJSON *root, *list;
	(void)state;

	assert_int_equal(apply(t, "a", "z", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "b", "STARTING", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "m", "UP", 1, 6, 0), TABLE_JOINED);
	root = rlist_service_json(t, "a", NULL, &index);
	list = cJSON_GetObjectItem(root, "instances");
	assert_int_equal(cJSON_GetArraySize(list), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "instanceId")->valuestring, "b");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 2), "instanceId")->valuestring, "z");
	assert_null(cJSON_GetObjectItem(root, "stale"));
	cJSON_Delete(root);
	root = rlist_service_json(t, "a", &up, &index);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "instances")), 2);
	cJSON_Delete(root);

	table_set_stale(t, true, 0);
	root = rlist_services_json(t, &index);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(root, "stale")));
	list = cJSON_GetObjectItem(root, "services");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "instances")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "up")->valueint, 2);
	cJSON_Delete(root);
	table_free(t);
}

static void rlist_turbine_json_should_give_host_port_and_is_up(void **state)
{
	struct table *t = table_new(NULL);
	uint64_t index;
	char *text;
	cJSON *arr;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	arr = rlist_turbine_json(t, "a", &index);
	text = cJSON_PrintUnformatted(arr);
	assert_string_equal(text,
			    "[{\"hostname\":\"10.0.0.5:6767\",\"cluster\":\"a\",\"isUp\":true}]");
	cJSON_free(text);
	cJSON_Delete(arr);
	table_free(t);
}

static void rlist_service_should_serve_the_cache_until_the_index_moves(void **state)
{
	struct table *t = table_new(NULL);
	struct rlist *l = rlist_new(t, 60000);
	struct rlist_body *a, *b;
	enum token_state up = TOKEN_UP;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	a = rlist_service(l, "a", NULL);
	b = rlist_service(l, "a", NULL);
	assert_ptr_equal(a, b); /* one rendering, shared */
	rlist_release(b);
	b = rlist_service(l, "a", &up); /* another variant */
	assert_ptr_not_equal(a, b);
	rlist_release(b);
	assert_int_equal(apply(t, "b", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	b = rlist_service(l, "a", NULL); /* another service changed */
	assert_ptr_equal(a, b);
	rlist_release(b);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 6, 0), TABLE_JOINED);
	b = rlist_service(l, "a", NULL);
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->index, table_service_index(t, "a"));
	assert_non_null(strstr(b->text, "\"i2\""));
	rlist_release(b);
	rlist_release(a); /* still valid after the cache dropped it */
	rlist_free(l);
	table_free(t);
}

static void rlist_service_should_render_renewals_again_after_max_age(void **state)
{
	struct table *t = table_new(NULL);
	struct rlist *l = rlist_new(t, 30);
	struct rlist_body *a, *b;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 1000), TABLE_JOINED);
	a = rlist_service(l, "a", NULL);
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 2000), TABLE_RENEWED);
	b = rlist_service(l, "a", NULL);
	assert_ptr_equal(a, b); /* a renewal moves no index */
	rlist_release(b);
	timing_sleep_ms(40);
	b = rlist_service(l, "a", NULL);
	assert_ptr_not_equal(a, b);
	assert_non_null(strstr(b->text, "\"lastSeen\":2000"));
	assert_non_null(strstr(b->text, "\"seq\":2"));
	rlist_release(b);
	rlist_release(a);
	rlist_free(l);
	table_free(t);
}

static void rlist_services_should_render_again_when_staleness_flips(void **state)
{
	struct table *t = table_new(NULL);
	struct rlist *l = rlist_new(t, 60000);
	struct rlist_body *a, *b;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	a = rlist_services(l);
	assert_null(strstr(a->text, "stale"));
	table_set_stale(t, true, 0);
	b = rlist_services(l);
	assert_ptr_not_equal(a, b);
	assert_non_null(strstr(b->text, "\"stale\":true"));
	rlist_release(b);
	b = rlist_turbine(l, "a");
	assert_string_equal(b->text,
			    "[{\"hostname\":\"10.0.0.5:6767\",\"cluster\":\"a\",\"isUp\":true}]");
	rlist_release(b);
	rlist_release(a);
	rlist_free(l);
	table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rlist_service_json_should_filter_by_state_and_sort),
		cmocka_unit_test(rlist_turbine_json_should_give_host_port_and_is_up),
		cmocka_unit_test(rlist_service_should_serve_the_cache_until_the_index_moves),
		cmocka_unit_test(rlist_service_should_render_renewals_again_after_max_age),
		cmocka_unit_test(rlist_services_should_render_again_when_staleness_flips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
