#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publisher/announce.h"
#include "token_decode.h"
#include "token_sign.h"

static struct token base_token(void)
{
	struct token t = {.state = TOKEN_UP, .port = 8080, .seq = -1};

	snprintf(t.address, sizeof(t.address), "10.0.0.5");
	snprintf(t.service, sizeof(t.service), "accountservice");
	t.instance_id = "i-1";
	t.hostname = "host-a";
	return t;
}

static void announce_ttl_s_should_be_three_intervals_rounded_up(void **state)
{
	(void)state;
	assert_int_equal(announce_ttl_s(2000), 6);
	assert_int_equal(announce_ttl_s(1000), 3);
	assert_int_equal(announce_ttl_s(500), 2);
	assert_int_equal(announce_ttl_s(334), 2);
	assert_int_equal(announce_ttl_s(333), 1);
	assert_int_equal(announce_ttl_s(60000), 180);
}

static void announce_ttl_s_should_be_at_least_one_second(void **state)
{
	(void)state;
	assert_int_equal(announce_ttl_s(100), 1);
	assert_int_equal(announce_ttl_s(1), 1);
	assert_int_equal(announce_ttl_s(0), 1);
	assert_int_equal(announce_ttl_s(-5), 1);
}

static void announce_state_should_follow_health_and_stop(void **state)
{
	(void)state;
	assert_int_equal(announce_state(false, true, false), TOKEN_UP);
	assert_int_equal(announce_state(false, true, true), TOKEN_UP);
	assert_int_equal(announce_state(false, false, false), TOKEN_DOWN);
	assert_int_equal(announce_state(false, false, true), TOKEN_OUT_OF_SERVICE);
	assert_int_equal(announce_state(true, true, true), TOKEN_DOWN);
	assert_int_equal(announce_state(true, false, true), TOKEN_DOWN);
}

static void announce_build_should_make_a_valid_token_with_the_publisher_fields(void **state)
{
	struct token base = base_token();
	struct announce_message m;
	struct token got;

	(void)state;
	base.reason = "left over";
	assert_int_equal(announce_build(&base, TOKEN_UP, 6, 42, 1700000000123LL, NULL, &m), 0);
	assert_string_equal(m.routing_key, "discovery.accountservice.up");
	assert_int_equal(m.len, strlen(m.body));
	assert_int_equal(token_decode(m.body, m.len, m.routing_key, &got), 0);
	assert_int_equal(got.state, TOKEN_UP);
	assert_string_equal(got.address, "10.0.0.5");
	assert_string_equal(got.service, "accountservice");
	assert_int_equal(got.port, 8080);
	assert_string_equal(got.instance_id, "i-1");
	assert_string_equal(got.hostname, "host-a");
	assert_null(got.reason);
	assert_int_equal(got.ttl, 6);
	assert_int_equal(got.seq, 42);
	assert_int_equal(got.ts, 1700000000123LL);
	token_clear(&got);
	announce_message_clear(&m);
	assert_null(m.body);
}

static void announce_build_should_set_expiration_and_timestamp(void **state)
{
	struct token base = base_token();
	struct announce_message m;

	(void)state;
	assert_int_equal(announce_build(&base, TOKEN_UP, 3, 1, 1700000000999LL, NULL, &m), 0);
	assert_int_equal(m.expiration_ms, 3000);
	assert_int_equal(m.timestamp_s, 1700000000LL);
	announce_message_clear(&m);
}

static void announce_build_should_use_the_state_in_the_routing_key(void **state)
{
	struct token base = base_token();
	struct announce_message m;

	(void)state;
	assert_int_equal(announce_build(&base, TOKEN_OUT_OF_SERVICE, 6, 1, 1, NULL, &m), 0);
	assert_string_equal(m.routing_key, "discovery.accountservice.out_of_service");
	assert_non_null(strstr(m.body, "\"state\":\"OUT_OF_SERVICE\""));
	announce_message_clear(&m);
	assert_int_equal(announce_build(&base, TOKEN_DOWN, 6, 1, 1, NULL, &m), 0);
	assert_string_equal(m.routing_key, "discovery.accountservice.down");
	announce_message_clear(&m);
}

static void announce_build_should_sign_the_body_when_a_secret_is_set(void **state)
{
	struct token base = base_token();
	struct announce_message m;

	(void)state;
	assert_int_equal(announce_build(&base, TOKEN_UP, 6, 7, 1, "s3cret", &m), 0);
	assert_true(m.has_signature);
	assert_int_equal(strlen(m.signature), TOKEN_SIGNATURE_HEX);
	assert_true(token_verify("s3cret", m.body, m.len, m.signature));
	assert_false(token_verify("other", m.body, m.len, m.signature));
	announce_message_clear(&m);
}

static void announce_build_should_not_sign_without_a_secret(void **state)
{
	struct token base = base_token();
	struct announce_message m;

	(void)state;
	assert_int_equal(announce_build(&base, TOKEN_UP, 6, 7, 1, NULL, &m), 0);
	assert_false(m.has_signature);
	announce_message_clear(&m);
	assert_int_equal(announce_build(&base, TOKEN_UP, 6, 7, 1, "", &m), 0);
	assert_false(m.has_signature);
	announce_message_clear(&m);
}

static void announce_build_should_refuse_a_body_over_the_limit(void **state)
{
	struct token base = base_token();
	struct announce_message m;
	char keys[TOKEN_MAX_METADATA][16];
	char value[200];

	(void)state;
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	for (int i = 0; i < TOKEN_MAX_METADATA; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		base.metadata[i].key = keys[i];
		base.metadata[i].value = value;
	}
	base.metadata_count = TOKEN_MAX_METADATA;
	assert_int_equal(announce_build(&base, TOKEN_UP, 6, 1, 1, NULL, &m), TOKEN_ERR_TOO_LARGE);
	assert_null(m.body);
}

static void announce_build_should_refuse_a_bad_service_name(void **state)
{
	struct token base = base_token();
	struct announce_message m;

	(void)state;
	base.service[0] = '\0';
	assert_true(announce_build(&base, TOKEN_UP, 6, 1, 1, NULL, &m) < 0);
	assert_null(m.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announce_ttl_s_should_be_three_intervals_rounded_up),
		cmocka_unit_test(announce_ttl_s_should_be_at_least_one_second),
		cmocka_unit_test(announce_state_should_follow_health_and_stop),
		cmocka_unit_test(
			announce_build_should_make_a_valid_token_with_the_publisher_fields),
		cmocka_unit_test(announce_build_should_set_expiration_and_timestamp),
		cmocka_unit_test(announce_build_should_use_the_state_in_the_routing_key),
		cmocka_unit_test(announce_build_should_sign_the_body_when_a_secret_is_set),
		cmocka_unit_test(announce_build_should_not_sign_without_a_secret),
		cmocka_unit_test(announce_build_should_refuse_a_body_over_the_limit),
		cmocka_unit_test(announce_build_should_refuse_a_bad_service_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
