/*
 * The token model: encoding, routing keys, copy and clear, the names of
 * states and errors, service names. Decoding has test_token_decode.c and
 * signatures test_token_sign.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "token_fixture.h"

static void token_encode_should_write_contract_names_in_compact_json(void **state)
{
	(void)state;
	struct token t;
	char *json;

	assert_int_equal(decode(FULL, KEY, &t), 0);
	json = token_encode(&t);
	assert_non_null(json);
	/* FULL is written in the encoder's field order. */
	assert_string_equal(json, FULL);
	free(json);
	token_clear(&t);
}

static void token_encode_should_omit_absent_fields(void **state)
{
	(void)state;
	struct token t;
	char *json;

	assert_int_equal(decode(MINIMAL, KEY, &t), 0);
	json = token_encode(&t);
	assert_string_equal(json, "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":"
				  "\"accountservice\",\"instanceId\":\"10.0.0.5\",\"ttl\":6}");
	free(json);
	token_clear(&t);
}

static void token_encode_should_roundtrip_through_decode(void **state)
{
	(void)state;
	struct token a = {0}, b;
	char *json, key[128];

	a.state = TOKEN_OUT_OF_SERVICE;
	strcpy(a.address, "2001:db8::7");
	strcpy(a.service, "quotes-service");
	a.port = 8080;
	a.instance_id = strdup("q-\"1\"\\\xc3\xa9");
	a.hostname = strdup("quotes-7f9c");
	a.reason = strdup("expired");
	a.ttl = 86400;
	a.seq = 9007199254740992LL;
	a.ts = 1700000000999LL;
	a.metadata[0].key = strdup("a b");
	a.metadata[0].value = strdup("");
	a.metadata_count = 1;

	json = token_encode(&a);
	assert_non_null(json);
	assert_int_equal(token_routing_key(&a, key, sizeof(key)), 0);
	assert_string_equal(key, "discovery.quotes-service.out_of_service");
	assert_int_equal(token_decode(json, strlen(json), key, &b), 0);
	assert_true(token_equal(&a, &b));
	free(json);
	token_clear(&a);
	token_clear(&b);
}

static void token_encode_should_refuse_bodies_over_the_limit(void **state)
{
	(void)state;
	struct token t = {0};
	char value[1025];

	strcpy(t.address, "10.0.0.5");
	strcpy(t.service, "a");
	t.ttl = 6;
	memset(value, 'v', 1024);
	value[1024] = '\0';
	for (int i = 0; i < 4; i++) {
		char k[] = {'k', (char)('0' + i), '\0'};

		t.metadata[i].key = strdup(k);
		t.metadata[i].value = strdup(value);
		t.metadata_count++;
	}
	assert_null(token_encode(&t));
	token_clear(&t);
}

static void token_routing_key_should_name_service_and_state(void **state)
{
	(void)state;
	struct token t = {0};
	char key[64];

	strcpy(t.service, "accountservice");
	t.state = TOKEN_DOWN;
	assert_int_equal(token_routing_key(&t, key, sizeof(key)), 0);
	assert_string_equal(key, "discovery.accountservice.down");
	assert_true(token_routing_key(&t, key, strlen("discovery.accountservice.down")) < 0);
	strcpy(t.service, "Bad");
	assert_true(token_routing_key(&t, key, sizeof(key)) < 0);
}

static void token_copy_should_make_an_independent_deep_copy(void **state)
{
	(void)state;
	struct token a, b;

	assert_int_equal(decode(FULL, KEY, &a), 0);
	assert_int_equal(token_copy(&b, &a), 0);
	assert_true(token_equal(&a, &b));
	assert_ptr_not_equal(a.instance_id, b.instance_id);
	assert_ptr_not_equal(a.metadata[1].value, b.metadata[1].value);
	token_clear(&a);
	assert_string_equal(b.metadata[1].value, "1.2.3");
	assert_string_equal(b.health_url, "http://10.0.0.22:6767/health");
	token_clear(&b);
}

static void token_clear_should_free_and_zero_the_token(void **state)
{
	(void)state;
	struct token t, zero;

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(decode(FULL, KEY, &t), 0);
	token_clear(&t);
	assert_memory_equal(&t, &zero, sizeof(t));
	token_clear(&t); /* twice is harmless */
}

static void token_parse_state_should_accept_upper_and_lower_case(void **state)
{
	(void)state;
	enum token_state s;

	assert_int_equal(token_parse_state("OUT_OF_SERVICE", &s), 0);
	assert_int_equal(s, TOKEN_OUT_OF_SERVICE);
	assert_int_equal(token_parse_state("starting", &s), 0);
	assert_int_equal(s, TOKEN_STARTING);
	assert_int_equal(token_parse_state("Up", &s), TOKEN_ERR_BAD_STATE);
	assert_int_equal(token_parse_state("", &s), TOKEN_ERR_BAD_STATE);
	assert_int_equal(token_parse_state(NULL, &s), TOKEN_ERR_BAD_STATE);
	assert_string_equal(token_state_name(TOKEN_DOWN), "DOWN");
	assert_string_equal(token_state_name((enum token_state)9), "UNKNOWN");
}

static void token_error_name_should_label_every_code(void **state)
{
	(void)state;
	static const char *names[TOKEN_ERROR_COUNT] = {
		"too_large",	   "not_json",	  "not_object", "bad_type", "bad_state",
		"bad_address",	   "bad_service", "bad_port",	"bad_ttl",  "bad_metadata",
		"bad_routing_key", "bad_field",	  "no_memory",  "unbound",
	};

	for (int i = 0; i < TOKEN_ERROR_COUNT; i++)
		assert_string_equal(token_error_name(-i - 1), names[i]);
	assert_string_equal(token_error_name(TOKEN_ERR_BAD_FIELD), "bad_field");
	assert_string_equal(token_error_name(0), "unknown");
	assert_string_equal(token_error_name(-TOKEN_ERROR_COUNT - 1), "unknown");
}

static void token_service_is_valid_should_follow_the_pattern(void **state)
{
	(void)state;
	assert_true(token_service_is_valid("a"));
	assert_true(token_service_is_valid("0quotes_v2.eu-west"));
	assert_true(token_service_is_valid(
		"a12345678901234567890123456789012345678901234567890123456789012"));
	assert_false(token_service_is_valid(
		"a123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(token_service_is_valid(""));
	assert_false(token_service_is_valid(NULL));
	assert_false(token_service_is_valid(".a"));
	assert_false(token_service_is_valid("_a"));
	assert_false(token_service_is_valid("a/b"));
	assert_false(token_service_is_valid("aB"));
}

static void token_state_key_should_give_the_lower_case_name(void **state)
{
	(void)state;
	static const char *keys[] = {"up", "down", "starting", "out_of_service"};
	enum token_state s;

	for (int i = 0; i < 4; i++) {
		assert_string_equal(token_state_key((enum token_state)i), keys[i]);
		assert_int_equal(token_parse_state(keys[i], &s), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(token_state_key((enum token_state)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_encode_should_write_contract_names_in_compact_json),
		cmocka_unit_test(token_encode_should_omit_absent_fields),
		cmocka_unit_test(token_encode_should_roundtrip_through_decode),
		cmocka_unit_test(token_encode_should_refuse_bodies_over_the_limit),
		cmocka_unit_test(token_routing_key_should_name_service_and_state),
		cmocka_unit_test(token_copy_should_make_an_independent_deep_copy),
		cmocka_unit_test(token_clear_should_free_and_zero_the_token),
		cmocka_unit_test(token_parse_state_should_accept_upper_and_lower_case),
		cmocka_unit_test(token_error_name_should_label_every_code),
		cmocka_unit_test(token_service_is_valid_should_follow_the_pattern),
		cmocka_unit_test(token_state_key_should_give_the_lower_case_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
