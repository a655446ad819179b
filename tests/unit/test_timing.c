#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"
#include "timing.h"

static int64_t parse(const char *text)
{
	int64_t ms = -1;
	assert_int_equal(timing_parse_duration_ms(text, 600000, &ms), 0);
	return ms;
}

static void timing_parse_duration_ms_should_accept_contract_forms(void **state)
{
	(void)state;
	assert_int_equal(parse("2"), 2000);
	assert_int_equal(parse("0.5"), 500);
	assert_int_equal(parse("500ms"), 500);
	assert_int_equal(parse("2s"), 2000);
	assert_int_equal(parse("1m"), 60000);
	assert_int_equal(parse("1.5s"), 1500);
	assert_int_equal(parse("0"), 0);
	assert_int_equal(parse("10m"), 600000);
}

static void timing_parse_duration_ms_should_reject_garbage(void **state)
{
	(void)state;
	const char *bad[] = { "", "abc", "-1", "1x", "2 s", " 2", "1.2.3", ".5", "5.",
			      "inf", "nan", "0x10", "1e3", "11m", "2ss", "s" };
	int64_t ms;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(timing_parse_duration_ms(bad[i], 600000, &ms) < 0);
}

static void backoff_next_ms_should_double_up_to_the_cap(void **state)
{
	(void)state;
	struct backoff b;
	backoff_init(&b);
	int64_t first = backoff_next_ms(&b);
	assert_in_range(first, 80, BACKOFF_FIRST_MS);
	int64_t second = backoff_next_ms(&b);
	assert_in_range(second, 160, 200);
	for (int i = 0; i < 20; i++)
		assert_in_range(backoff_next_ms(&b), 1, BACKOFF_MAX_MS);
	assert_in_range(backoff_next_ms(&b), BACKOFF_MAX_MS * 8 / 10, BACKOFF_MAX_MS);
	backoff_reset(&b);
	assert_in_range(backoff_next_ms(&b), 80, BACKOFF_FIRST_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timing_parse_duration_ms_should_accept_contract_forms),
		cmocka_unit_test(timing_parse_duration_ms_should_reject_garbage),
		cmocka_unit_test(backoff_next_ms_should_double_up_to_the_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
