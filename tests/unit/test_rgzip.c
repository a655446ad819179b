/* gzip content coding of the registry's listings (registry/rgzip.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "registry/rgzip.h"
#include "tests/unit/gzip_fixture.h"

static void rgzip_choose_should_take_gzip_when_asked(void **state)
{
	(void)state;
	assert_int_equal(rgzip_choose("gzip"), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("deflate, gzip, br"), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("GZip"), RGZIP_GZIP); /* codings are case-insensitive */
	assert_int_equal(rgzip_choose("x-gzip"), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("  br ,\tgzip ; q=0.5 "), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("gzip;q=1.000"), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("*"), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("br;q=1, *;q=0.1"), RGZIP_GZIP);
	assert_int_equal(rgzip_choose("gzip;Q=0.8;level=9"), RGZIP_GZIP); /* other params ignored */
}

static void rgzip_choose_should_stay_plain_unless_asked(void **state)
{
	(void)state;
	assert_int_equal(rgzip_choose(NULL), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose(""), RGZIP_IDENTITY); /* empty: no coding wanted */
	assert_int_equal(rgzip_choose("identity"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("deflate, br"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzipx, xgzip"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=0"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=0.000, identity"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("*;q=0.5, gzip;q=0"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("*;q=0"), RGZIP_IDENTITY); /* nothing taken: plain anyway */
	/* Identity ranked above gzip. */
	assert_int_equal(rgzip_choose("gzip;q=0.4, identity;q=0.9"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=0.4, *;q=0.9"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=0.5, identity;q=0.5"), RGZIP_GZIP); /* a tie: smaller */
}

static void rgzip_choose_should_ignore_malformed_weights(void **state)
{
	(void)state;
	assert_int_equal(rgzip_choose("gzip;q=2"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=0.1234"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=1.5"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q="), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=-1"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip junk"), RGZIP_IDENTITY);
	assert_int_equal(rgzip_choose("gzip;q=abc, gzip"), RGZIP_GZIP); /* the good one counts */
	assert_int_equal(rgzip_choose(",,, ;q=1, gzip"), RGZIP_GZIP);
}

static void rgzip_choose_should_insist_when_identity_is_refused(void **state)
{
	(void)state;
	assert_int_equal(rgzip_choose("gzip, identity;q=0"), RGZIP_GZIP_ONLY);
	assert_int_equal(rgzip_choose("*;q=0, gzip"), RGZIP_GZIP_ONLY);
	assert_int_equal(rgzip_choose("*;q=0, identity;q=0.5, gzip"), RGZIP_GZIP);
	/* Refusing identity alone does not make gzip acceptable. */
	assert_int_equal(rgzip_choose("identity;q=0"), RGZIP_IDENTITY);
}

static void rgzip_deflate_should_round_trip_pieces(void **state)
{
	static const char *const pieces[] = { "{\"index\":7,", "", "\"instances\":[", "]}" };
	struct rgzip *z = rgzip_begin(0);
	char *gz, *plain;
	size_t len, plain_len, i;
	(void)state;

	assert_non_null(z);
	for (i = 0; i < 4; i++)
		assert_int_equal(rgzip_add(z, pieces[i], strlen(pieces[i])), 0);
	assert_int_equal(rgzip_end(z, &gz, &len), 0);
	assert_memory_equal(gz, "\x1f\x8b", 2); /* a gzip member */
	plain = gzip_inflated(gz, len, &plain_len);
	assert_int_equal(plain_len, strlen("{\"index\":7,\"instances\":[]}"));
	assert_memory_equal(plain, "{\"index\":7,\"instances\":[]}", plain_len);
	free(plain);
	free(gz);
}

static void rgzip_deflate_should_grow_past_its_first_guess(void **state)
{
	/* Random bytes do not shrink: the output outgrows hint / 4 + 64. */
	size_t n = 300000, len, plain_len, i;
	char *text = malloc(n), *gz, *plain;
	struct rgzip *z = rgzip_begin(n);
	uint32_t x = 12345;
	(void)state;

	assert_non_null(text);
	assert_non_null(z);
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		text[i] = (char)(x >> 23);
	}
	for (i = 0; i < n; i += 1000)
		assert_int_equal(rgzip_add(z, text + i, 1000), 0);
	assert_int_equal(rgzip_end(z, &gz, &len), 0);
	assert_true(len > n / 4 + 64);
	plain = gzip_inflated(gz, len, &plain_len);
	assert_int_equal(plain_len, n);
	assert_memory_equal(plain, text, n);
	free(plain);
	free(gz);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rgzip_choose_should_take_gzip_when_asked),
		cmocka_unit_test(rgzip_choose_should_stay_plain_unless_asked),
		cmocka_unit_test(rgzip_choose_should_ignore_malformed_weights),
		cmocka_unit_test(rgzip_choose_should_insist_when_identity_is_refused),
		cmocka_unit_test(rgzip_deflate_should_round_trip_pieces),
		cmocka_unit_test(rgzip_deflate_should_grow_past_its_first_guess),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
