/* Prometheus' HTTP SD document over a table (registry/rprom.c). The shape
 * is http_sd_config's: a JSON array of {"targets":[…],"labels":{…}}. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "registry/rprom.h"
#include "tests/unit/sub_fixture.h"

static void put(struct subscriber *t, const char *service, const char *body)
{
	char key[128];
	struct token tok;

	snprintf(key, sizeof(key), "discovery.%s.up", service);
	assert_int_equal(token_decode(body, strlen(body), key, &tok), 0);
	assert_int_equal(sub_store_apply(t->store, &tok, 1000), SUB_STORE_JOINED);
	token_clear(&tok);
	subscriber__drain(t);
}

static struct subscriber *fixture(void)
{
	struct subscriber *t = sub_new_with(NULL, 1, 0, 0);

	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":6767,"
		       "\"instanceId\":\"s1\",\"hostname\":\"h1\","
		       "\"metadata\":{\"zone\":\"eu-1\",\"team.name\":\"x\",\"team-name\":\"y\"}}");
	put(t, "shop", "{\"state\":\"STARTING\",\"address\":\"::1\",\"port\":6768,\"instanceId\":\"s2\"}");
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.6\",\"instanceId\":\"noport\"}");
	put(t, "cart", "{\"state\":\"UP\",\"address\":\"10.0.0.7\",\"port\":80}");
	return t;
}

static char *targets(struct subscriber *t, const char *service, const enum token_state *state)
{
	uint64_t index = 0;
	char *text = rprom_targets(t, service, state, &index);

	assert_non_null(text);
	assert_true(index >= 1);
	return text;
}

static void rprom_targets_should_give_one_group_per_instance_with_a_port(void **state)
{
	struct subscriber *t = fixture();
	char *text = targets(t, "shop", NULL);
	(void)state;

	assert_string_equal(
		text, "[{\"targets\":[\"10.0.0.5:6767\"],\"labels\":{"
		      "\"__meta_discovery_service\":\"shop\",\"__meta_discovery_instance_id\":\"s1\","
		      "\"__meta_discovery_state\":\"UP\",\"__meta_discovery_hostname\":\"h1\","
		      "\"__meta_discovery_metadata_zone\":\"eu-1\","
		      "\"__meta_discovery_metadata_team_name\":\"x\"}},"
		      "{\"targets\":[\"[::1]:6768\"],\"labels\":{"
		      "\"__meta_discovery_service\":\"shop\",\"__meta_discovery_instance_id\":\"s2\","
		      "\"__meta_discovery_state\":\"STARTING\"}}]");
	cJSON_free(text);
	sub_free(t);
}

static void rprom_targets_should_filter_by_service_and_state(void **state)
{
	struct subscriber *t = fixture();
	enum token_state up = TOKEN_UP;
	cJSON *all, *ups;
	char *text;
	(void)state;

	text = targets(t, NULL, NULL);
	all = cJSON_Parse(text);
	cJSON_free(text);
	assert_int_equal(cJSON_GetArraySize(all), 3); /* cart, then shop's two with a port */
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0),
								   "targets"), 0)->valuestring,
			    "10.0.0.7:80");
	text = targets(t, NULL, &up);
	ups = cJSON_Parse(text);
	cJSON_free(text);
	assert_int_equal(cJSON_GetArraySize(ups), 2);
	text = targets(t, "nothing", NULL);
	assert_string_equal(text, "[]");
	cJSON_free(text);
	cJSON_Delete(all);
	cJSON_Delete(ups);
	sub_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rprom_targets_should_give_one_group_per_instance_with_a_port),
		cmocka_unit_test(rprom_targets_should_filter_by_service_and_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
