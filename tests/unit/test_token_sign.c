/*
 * token_sign and token_verify: known answers from `openssl dgst`, and every
 * way a received signature can be wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "token_sign.h"

#define MINIMAL "{\"state\":\"UP\",\"address\":\"10.0.0.5\"}"

/* printf '%s' '{"state":"UP","address":"10.0.0.5"}' | openssl dgst -sha256 -hmac secret */
#define KAT_HEX "f9e538dc914df37376c30f121539078aafd7ba7dcb47b98536ed8f86127cd8ad"

static void token_sign_should_match_openssl(void **state)
{
	(void)state;
	char hex[TOKEN_SIGNATURE_HEX + 1];

	token_sign("secret", MINIMAL, strlen(MINIMAL), hex);
	assert_string_equal(hex, KAT_HEX);
	/* printf '' | openssl dgst -sha256 -hmac key */
	token_sign("key", NULL, 0, hex);
	assert_string_equal(hex,
			    "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");
}

static void token_verify_should_accept_only_the_right_signature(void **state)
{
	(void)state;
	const char *body = MINIMAL;
	size_t len = strlen(body);
	char hex[TOKEN_SIGNATURE_HEX + 2];

	assert_true(token_verify("secret", body, len, KAT_HEX));
	strcpy(hex, KAT_HEX);
	for (char *p = hex; *p; p++) {
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	}
	assert_true(token_verify("secret", body, len, hex));
	/* A tampered body, another secret. */
	assert_false(token_verify("secret", "{\"state\":\"UP\",\"address\":\"10.0.0.6\"}", len,
				  KAT_HEX));
	assert_false(token_verify("secret", body, len - 1, KAT_HEX));
	assert_false(token_verify("Secret", body, len, KAT_HEX));
	/* Short, long, garbage, empty, missing. */
	strcpy(hex, KAT_HEX);
	hex[63] = '\0';
	assert_false(token_verify("secret", body, len, hex));
	strcpy(hex, KAT_HEX "0");
	assert_false(token_verify("secret", body, len, hex));
	strcpy(hex, KAT_HEX);
	hex[10] = 'g';
	assert_false(token_verify("secret", body, len, hex));
	assert_false(token_verify("secret", body, len, ""));
	assert_false(token_verify("secret", body, len, NULL));
	/* One flipped digit. */
	strcpy(hex, KAT_HEX);
	hex[0] = 'e';
	assert_false(token_verify("secret", body, len, hex));
}

static void token_verify_should_accept_any_key_of_a_list(void **state)
{
	(void)state;
	const char *body = MINIMAL;
	size_t len = strlen(body);
	char hex[TOKEN_SIGNATURE_HEX + 1];

	/* The known answer is "secret"'s wherever it stands in the list. */
	assert_true(token_verify("secret,next", body, len, KAT_HEX));
	assert_true(token_verify("old,secret", body, len, KAT_HEX));
	assert_true(token_verify("a,,secret,", body, len, KAT_HEX));
	assert_false(token_verify("secre,t", body, len, KAT_HEX));
	assert_false(token_verify("old,next", body, len, KAT_HEX));
	assert_false(token_verify(",", body, len, KAT_HEX));
	/* Signing uses the first key only. */
	token_sign("secret,other", body, len, hex);
	assert_string_equal(hex, KAT_HEX);
	token_sign("other,secret", body, len, hex);
	assert_string_not_equal(hex, KAT_HEX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_sign_should_match_openssl),
		cmocka_unit_test(token_verify_should_accept_only_the_right_signature),
		cmocka_unit_test(token_verify_should_accept_any_key_of_a_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
