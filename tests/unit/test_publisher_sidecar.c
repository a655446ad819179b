#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "publisher/sidecar.h"

static void sidecar_parse_metadata_should_parse_pairs_in_order(void **state)
{
	struct token t = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(
		sidecar_parse_metadata("zone=eu-1,version=1.2.3,empty=", &t, err, sizeof(err)), 0);
	assert_int_equal(t.metadata_count, 3);
	assert_string_equal(t.metadata[0].key, "zone");
	assert_string_equal(t.metadata[0].value, "eu-1");
	assert_string_equal(t.metadata[1].key, "version");
	assert_string_equal(t.metadata[1].value, "1.2.3");
	assert_string_equal(t.metadata[2].key, "empty");
	assert_string_equal(t.metadata[2].value, "");
	token_clear(&t);
}

static void sidecar_parse_metadata_should_keep_equals_signs_in_values(void **state)
{
	struct token t = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(sidecar_parse_metadata("q=a=b", &t, err, sizeof(err)), 0);
	assert_int_equal(t.metadata_count, 1);
	assert_string_equal(t.metadata[0].value, "a=b");
	token_clear(&t);
}

static void sidecar_parse_metadata_should_accept_an_empty_list(void **state)
{
	struct token t = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(sidecar_parse_metadata(NULL, &t, err, sizeof(err)), 0);
	assert_int_equal(t.metadata_count, 0);
	assert_int_equal(sidecar_parse_metadata("", &t, err, sizeof(err)), 0);
	assert_int_equal(t.metadata_count, 0);
}

static void sidecar_parse_metadata_should_replace_earlier_pairs(void **state)
{
	struct token t = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(sidecar_parse_metadata("a=1,b=2", &t, err, sizeof(err)), 0);
	assert_int_equal(sidecar_parse_metadata("c=3", &t, err, sizeof(err)), 0);
	assert_int_equal(t.metadata_count, 1);
	assert_string_equal(t.metadata[0].key, "c");
	token_clear(&t);
}

/* Each bad list fails with a message naming the problem, leaving nothing. */
static void expect_rejected(const char *list, const char *words)
{
	struct token t = {0};
	char err[256] = "";

	assert_int_equal(sidecar_parse_metadata(list, &t, err, sizeof(err)), -1);
	assert_int_equal(t.metadata_count, 0);
	assert_non_null(strstr(err, words));
}

static void sidecar_parse_metadata_should_reject_bad_lists(void **state)
{
	(void)state;
	expect_rejected("novalue", "not key=value");
	expect_rejected("a=1,,b=2", "empty entry");
	expect_rejected("a=1,", "empty entry");
	expect_rejected(",a=1", "empty entry");
	expect_rejected("=v", "metadata key");
	expect_rejected("bad key=v", "metadata key");
	expect_rejected("-lead=v", "metadata key");
	expect_rejected("k\xc3\xa9=v", "metadata key");
	expect_rejected("a=1,a=2", "given twice");
}

static void sidecar_parse_metadata_should_reject_more_than_the_token_allows(void **state)
{
	char list[TOKEN_MAX_METADATA * 8 + 16] = "";
	size_t used = 0;

	(void)state;
	for (int i = 0; i <= TOKEN_MAX_METADATA; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%sk%d=v", i ? "," : "",
					 i);
	expect_rejected(list, "more than");
}

static void sidecar_parse_metadata_should_reject_long_keys_and_values(void **state)
{
	char list[SIDECAR_META_VALUE_MAX + 16];

	(void)state;
	memset(list, 'k', SIDECAR_META_KEY_MAX + 1);
	snprintf(list + SIDECAR_META_KEY_MAX + 1, sizeof(list) - SIDECAR_META_KEY_MAX - 1, "=v");
	expect_rejected(list, "metadata key");

	memcpy(list, "k=", 2);
	memset(list + 2, 'v', SIDECAR_META_VALUE_MAX + 1);
	list[SIDECAR_META_VALUE_MAX + 3] = '\0';
	expect_rejected(list, "longer than");
}

static void sidecar_meta_key_is_valid_should_follow_the_key_rule(void **state)
{
	(void)state;
	assert_true(sidecar_meta_key_is_valid("a", 1));
	assert_true(sidecar_meta_key_is_valid("Zone_1.x-y", 10));
	assert_false(sidecar_meta_key_is_valid("", 0));
	assert_false(sidecar_meta_key_is_valid(".a", 2));
	assert_false(sidecar_meta_key_is_valid("a/b", 3));
}

static void sidecar_url_is_valid_should_accept_only_http_urls(void **state)
{
	(void)state;
	assert_true(sidecar_url_is_valid("http://10.0.0.5:8080/health"));
	assert_true(sidecar_url_is_valid("https://svc.example/stream"));
	assert_true(sidecar_url_is_valid("HTTP://host"));
	assert_false(sidecar_url_is_valid("ftp://host/"));
	assert_false(sidecar_url_is_valid("10.0.0.5:8080/health"));
	assert_false(sidecar_url_is_valid("http://"));
	assert_false(sidecar_url_is_valid("http:///path"));
	assert_false(sidecar_url_is_valid("http://host/a b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sidecar_parse_metadata_should_parse_pairs_in_order),
		cmocka_unit_test(sidecar_parse_metadata_should_keep_equals_signs_in_values),
		cmocka_unit_test(sidecar_parse_metadata_should_accept_an_empty_list),
		cmocka_unit_test(sidecar_parse_metadata_should_replace_earlier_pairs),
		cmocka_unit_test(sidecar_parse_metadata_should_reject_bad_lists),
		cmocka_unit_test(sidecar_parse_metadata_should_reject_more_than_the_token_allows),
		cmocka_unit_test(sidecar_parse_metadata_should_reject_long_keys_and_values),
		cmocka_unit_test(sidecar_meta_key_is_valid_should_follow_the_key_rule),
		cmocka_unit_test(sidecar_url_is_valid_should_accept_only_http_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
