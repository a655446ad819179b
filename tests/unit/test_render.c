#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "registry/render.h"
#include "token_decode.h"

static struct token decode(const char *body)
{
	struct token t;

	assert_int_equal(token_decode(body, strlen(body), "discovery.acct.up", &t), 0);
	return t;
}

static char *print(cJSON *obj)
{
	char *text;

	assert_non_null(obj);
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	assert_non_null(text);
	return text;
}

static void render_instance_should_give_every_key_with_nulls_for_absent_values(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\"}");
	struct render_times tm = { 1, 2, 3 };
	char *text = print(render_instance(&t, &tm, 0));
	(void)state;

	assert_string_equal(text, "{\"instanceId\":\"10.0.0.5\",\"address\":\"10.0.0.5\","
				  "\"port\":null,\"state\":\"UP\",\"hostname\":null,"
				  "\"healthUrl\":null,\"streamUrl\":null,\"metadata\":{},"
				  "\"firstSeen\":1,\"lastSeen\":2,\"expiresAt\":3,\"ttl\":6,"
				  "\"seq\":null}");
	cJSON_free(text);
	token_clear(&t);
}

static void render_instance_should_add_service_and_reason_for_events(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":6767,"
				"\"seq\":41,\"metadata\":{\"v\":\"1\"}}");
	struct render_times tm = { 1795705688688, 1795705688688, 1795705694688 };
	cJSON *obj;
	char *text;
	(void)state;

	t.reason = strdup("expired");
	obj = render_instance(&t, &tm, 1);
	assert_string_equal(cJSON_GetObjectItem(obj, "service")->valuestring, "acct");
	assert_string_equal(cJSON_GetObjectItem(obj, "reason")->valuestring, "expired");
	text = print(obj);
	assert_non_null(strstr(text, "\"port\":6767,"));
	assert_non_null(strstr(text, "\"metadata\":{\"v\":\"1\"}"));
	assert_non_null(strstr(text, "\"expiresAt\":1795705694688,"));
	assert_non_null(strstr(text, "\"seq\":41"));
	cJSON_free(text);
	token_clear(&t);
}

static void render_event_should_frame_one_sse_event(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\"}");
	struct render_times tm = { 1, 2, 3 };
	char *frame = render_event(7, "join", &t, &tm);
	(void)state;

	assert_non_null(frame);
	assert_memory_equal(frame, "id: 7\nevent: join\ndata: {\"service\":\"acct\",", 41);
	/* The data is one line, and the frame ends with the blank line. */
	assert_ptr_equal(strchr(frame + 41, '\n'), frame + strlen(frame) - 2);
	assert_string_equal(frame + strlen(frame) - 3, "}\n\n");
	free(frame);
	token_clear(&t);
}

static void render_turbine_should_bracket_ipv6_hosts(void **state)
{
	struct token t = decode("{\"state\":\"STARTING\",\"address\":\"fd00::5\",\"port\":6767}");
	char *text = print(render_turbine(&t));
	(void)state;

	assert_string_equal(text, "{\"hostname\":\"[fd00::5]:6767\",\"cluster\":\"acct\","
				  "\"isUp\":false}");
	cJSON_free(text);
	token_clear(&t);
}

static void render_error_should_give_message_and_status(void **state)
{
	char *text = render_error(404, "no such route");
	(void)state;

	assert_string_equal(text, "{\"error\":\"no such route\",\"status\":404}");
	cJSON_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_instance_should_give_every_key_with_nulls_for_absent_values),
		cmocka_unit_test(render_instance_should_add_service_and_reason_for_events),
		cmocka_unit_test(render_event_should_frame_one_sse_event),
		cmocka_unit_test(render_turbine_should_bracket_ipv6_hosts),
		cmocka_unit_test(render_error_should_give_message_and_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
