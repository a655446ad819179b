/*
 * utf8_is_valid, utf8_json_has_escaped_nul and utf8_json_has_lone_surrogate:
 * every rule at every offset
 * of strings longer than a word, so that the word-at-a-time path and the
 * byte path agree wherever a byte falls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

#define LONGEST 40

/* "aaa…" of len bytes with byte b at pos. */
static void with_byte(char *s, size_t len, size_t pos, char b)
{
	memset(s, 'a', len);
	s[pos] = b;
}

/* "aaa…" of len bytes with the sequence seq at pos. */
static void with_seq(char *s, size_t len, size_t pos, const char *seq)
{
	memset(s, 'a', len);
	memcpy(s + pos, seq, strlen(seq));
}

static void utf8_is_valid_should_refuse_nul_and_controls_at_any_offset(void **state)
{
	char s[LONGEST];
	(void)state;

	for (size_t len = 1; len <= LONGEST; len++)
		for (size_t pos = 0; pos < len; pos++) {
			with_byte(s, len, pos, '\0');
			assert_false(utf8_is_valid(s, len, false));
			assert_false(utf8_is_valid(s, len, true));
			with_byte(s, len, pos, 0x1f);
			assert_true(utf8_is_valid(s, len, false));
			assert_false(utf8_is_valid(s, len, true));
			with_byte(s, len, pos, 0x7f);
			assert_true(utf8_is_valid(s, len, false));
			assert_false(utf8_is_valid(s, len, true));
			with_byte(s, len, pos, ' ');
			assert_true(utf8_is_valid(s, len, true));
			with_byte(s, len, pos, '~');
			assert_true(utf8_is_valid(s, len, true));
			with_byte(s, len, pos, (char)0x80); /* a lone continuation byte */
			assert_false(utf8_is_valid(s, len, false));
		}
}

static void utf8_is_valid_should_check_sequences_at_any_offset(void **state)
{
	char s[LONGEST + 4];
	(void)state;

	for (size_t len = 4; len <= LONGEST; len++)
		for (size_t pos = 0; pos + 4 <= len; pos++) {
			with_seq(s, len, pos, "\xf0\x9f\x98\x80"); /* U+1F600 */
			assert_true(utf8_is_valid(s, len, true));
			with_seq(s, len, pos, "\xc2\x85"); /* U+0085, a C1 control */
			assert_true(utf8_is_valid(s, len, false));
			assert_false(utf8_is_valid(s, len, true));
			with_seq(s, len, pos, "\xed\xa0\x80"); /* a surrogate */
			assert_false(utf8_is_valid(s, len, false));
			with_seq(s, len, pos, "\xc0\xaf"); /* overlong */
			assert_false(utf8_is_valid(s, len, false));
			with_seq(s, len, len - 1, "\xc3"); /* truncated at the very end */
			assert_false(utf8_is_valid(s, len, false));
		}
}

static void utf8_json_has_escaped_nul_should_find_only_a_real_escape(void **state)
{
	(void)state;
	static const char *const yes[] = {
		"\\u0000", "{\"a\":\"x\\u0000\"}", "\\n\\u0000", "abcdefghij\\u0000",
	};
	static const char *const no[] = {
		"", "\\\\u0000", "\\u000", "x\\", "\\u0001", "abcdefghij\\\\", "u0000",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(utf8_json_has_escaped_nul(yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(utf8_json_has_escaped_nul(no[i], strlen(no[i])));
	/* The length bounds the search. */
	assert_false(utf8_json_has_escaped_nul("\\u0000", 5));
}

static void utf8_json_has_lone_surrogate_should_find_only_half_a_pair(void **state)
{
	(void)state;
	static const char *const yes[] = {
		"\\udc00",	   "\\uD800",	     "\\ud800x",	  "\\ud800\\u0041",
		"\\ud800\\ud800", "a\\ud83d\\n", "\\ud83d\\ude00\\ude00",
	};
	static const char *const no[] = {
		"", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\\\ud800", "\\u00e9", "\\uzzzz", "\\n\\\\",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(utf8_json_has_lone_surrogate(yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(utf8_json_has_lone_surrogate(no[i], strlen(no[i])));
	/* The length bounds the search: a pair cut short is half a pair. */
	assert_true(utf8_json_has_lone_surrogate("\\ud83d\\ude00", 11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_is_valid_should_refuse_nul_and_controls_at_any_offset),
		cmocka_unit_test(utf8_is_valid_should_check_sequences_at_any_offset),
		cmocka_unit_test(utf8_json_has_escaped_nul_should_find_only_a_real_escape),
		cmocka_unit_test(utf8_json_has_lone_surrogate_should_find_only_half_a_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
