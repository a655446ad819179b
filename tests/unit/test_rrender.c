#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/rrender.h"
#include "token_decode.h"

static struct token decode(const char *body)
{
	struct token t;

	assert_int_equal(token_decode(body, strlen(body), "discovery.acct.up", &t), 0);
	return t;
}

/* The instance object of a listing: head, tail and the closing brace. */
static void instance_text(const struct token *t, const struct rrender_times *tm, char *out,
			  size_t len)
{
	struct rrender_frag *f = rrender_frag_new(t);
	char tail[RRENDER_TAIL_MAX];

	assert_non_null(f);
	rrender_tail(tail, t->ttl, t->seq, tm);
	snprintf(out, len, "%.*s%s}", (int)f->head_len, f->head, tail);
	rrender_frag_release(f);
}

static void rrender_frag_should_give_every_key_with_nulls_for_absent_values(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\"}");
	struct rrender_times tm = { 1, 2, 3, 1 };
	char text[1024];
	(void)state;

	instance_text(&t, &tm, text, sizeof(text));
	assert_string_equal(text, "{\"instanceId\":\"10.0.0.5\",\"address\":\"10.0.0.5\","
				  "\"port\":null,\"state\":\"UP\",\"hostname\":null,"
				  "\"healthUrl\":null,\"streamUrl\":null,\"metadata\":{},"
				  "\"firstSeen\":1,\"lastSeen\":2,\"expiresAt\":3,\"ttl\":6,"
				  "\"seq\":null}");
	token_clear(&t);
}

static void rrender_tail_should_fit_the_longest_numbers(void **state)
{
	struct rrender_times tm = { INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN };
	char tail[RRENDER_TAIL_MAX];
	size_t n;
	(void)state;

	n = rrender_tail(tail, INT32_MIN, INT64_MAX, &tm);
	assert_int_equal(n, strlen(tail));
	assert_string_equal(tail + strlen(tail) - 26, ",\"seq\":9223372036854775807");
}

static void rrender_event_should_add_service_and_reason(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":6767,"
				"\"seq\":41,\"metadata\":{\"v\":\"1\"}}");
	struct rrender_times tm = { 1795705688688, 1795705688688, 1795705694688, 1795705688688 };
	char *frame, *data;
	cJSON *obj;
	(void)state;

	t.reason = strdup("expired \"now\"");
	frame = rrender_event(3, "expire", &t, &tm);
	assert_non_null(frame);
	data = strstr(frame, "data: ");
	assert_non_null(data);
	obj = cJSON_Parse(data + 6);
	assert_non_null(obj);
	assert_string_equal(cJSON_GetObjectItem(obj, "service")->valuestring, "acct");
	assert_string_equal(cJSON_GetObjectItem(obj, "reason")->valuestring, "expired \"now\"");
	assert_int_equal(cJSON_GetObjectItem(obj, "port")->valueint, 6767);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "v")->valuestring,
			    "1");
	assert_non_null(strstr(data, "\"expiresAt\":1795705694688,"));
	assert_non_null(strstr(data, "\"seq\":41,\"reason\""));
	cJSON_Delete(obj);
	free(frame);
	token_clear(&t);
}

static void rrender_event_should_frame_one_sse_event(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\"}");
	struct rrender_times tm = { 1, 2, 3, 1 };
	char *frame = rrender_event(7, "join", &t, &tm);
	(void)state;

	assert_non_null(frame);
	assert_memory_equal(frame, "id: 7\nevent: join\ndata: {\"service\":\"acct\",", 41);
	/* The data is one line, and the frame ends with the blank line. */
	assert_ptr_equal(strchr(frame + 41, '\n'), frame + strlen(frame) - 2);
	assert_string_equal(frame + strlen(frame) - 3, "}\n\n");
	free(frame);
	token_clear(&t);
}

static void rrender_frag_should_bracket_ipv6_hosts_for_turbine(void **state)
{
	struct token t = decode("{\"state\":\"STARTING\",\"address\":\"fd00::5\",\"port\":6767}");
	struct rrender_frag *f = rrender_frag_new(&t);
	(void)state;

	assert_non_null(f);
	assert_string_equal(f->turbine, "{\"hostname\":\"[fd00::5]:6767\",\"cluster\":\"acct\","
					"\"isUp\":false}");
	assert_int_equal(f->turbine_len, strlen(f->turbine));
	rrender_frag_release(f);
	token_clear(&t);
}

static void rrender_frag_should_keep_no_copy_of_the_token(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":1,"
				"\"hostname\":\"h\",\"metadata\":{\"zone\":\"a\"}}");
	struct rrender_frag *f = rrender_frag_new(&t);
	char head[256];
	(void)state;

	assert_non_null(f);
	/* The table holds the token's one copy; the fragment, its text only
	 * (a struct token alone is over 600 bytes, before its strings). */
	assert_true(sizeof(*f) < 64);
	snprintf(head, sizeof(head), "%.*s", (int)f->head_len, f->head);
	token_clear(&t); /* nothing of the fragment points into the token */
	assert_string_equal(head, f->head);
	assert_string_equal(f->service, "acct");
	assert_non_null(strstr(f->head, "\"metadata\":{\"zone\":\"a\"}"));
	assert_string_equal(f->turbine, "{\"hostname\":\"10.0.0.5:1\",\"cluster\":\"acct\",\"isUp\":true}");
	rrender_frag_release(f);
}

static void rrender_token_dup_should_copy_every_string(void **state)
{
	struct token t = decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"hostname\":\"h\","
				"\"metadata\":{\"zone\":\"a\"}}");
	struct token *copy = rrender_token_dup(&t);
	(void)state;

	assert_non_null(copy);
	assert_ptr_not_equal(copy->hostname, t.hostname);
	token_clear(&t);
	assert_string_equal(copy->hostname, "h");
	assert_string_equal(copy->instance_id, "10.0.0.5");
	assert_string_equal(copy->metadata[0].value, "a");
	rrender_token_free(copy);
	rrender_token_free(NULL);
}

static void rrender_error_should_give_message_and_status(void **state)
{
	char *text = rrender_error(404, "no such route");
	(void)state;

	assert_string_equal(text, "{\"error\":\"no such route\",\"status\":404}");
	cJSON_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rrender_frag_should_give_every_key_with_nulls_for_absent_values),
		cmocka_unit_test(rrender_tail_should_fit_the_longest_numbers),
		cmocka_unit_test(rrender_event_should_add_service_and_reason),
		cmocka_unit_test(rrender_event_should_frame_one_sse_event),
		cmocka_unit_test(rrender_frag_should_bracket_ipv6_hosts_for_turbine),
		cmocka_unit_test(rrender_frag_should_keep_no_copy_of_the_token),
		cmocka_unit_test(rrender_token_dup_should_copy_every_string),
		cmocka_unit_test(rrender_error_should_give_message_and_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
