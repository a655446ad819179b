#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "subscriber/sub_grace.h"

static struct sub_grace_close close_of(const char *instance, const char *incarnation, int64_t due)
{
	struct sub_grace_close c = { .due_ms = due };

	snprintf(c.service, sizeof(c.service), "svc");
	snprintf(c.instance_id, sizeof(c.instance_id), "%s", instance);
	snprintf(c.incarnation, sizeof(c.incarnation), "%s", incarnation);
	return c;
}

static void sub_grace_take_due_should_return_only_closes_whose_grace_ran_out(void **state)
{
	struct sub_grace *g = sub_grace_new(8);
	struct sub_grace_close a = close_of("a", "0000000000000001", 100), out[4];
	struct sub_grace_close b = close_of("b", "0000000000000002", 200);

	(void)state;
	assert_non_null(g);
	assert_int_equal(sub_grace_defer(g, &a), 0);
	assert_int_equal(sub_grace_defer(g, &b), 0);
	assert_int_equal(sub_grace_take_due(g, 99, out, 4), 0);
	assert_int_equal(sub_grace_take_due(g, 150, out, 4), 1);
	assert_string_equal(out[0].instance_id, "a");
	assert_int_equal(sub_grace_count(g), 1);
	assert_int_equal(sub_grace_take_due(g, 200, out, 4), 1);
	assert_string_equal(out[0].instance_id, "b");
	assert_int_equal(sub_grace_count(g), 0);
	sub_grace_free(g);
}

static void sub_grace_cancel_should_forget_only_the_same_incarnation(void **state)
{
	struct sub_grace *g = sub_grace_new(8);
	struct sub_grace_close a = close_of("a", "0000000000000001", 100), out[4];

	(void)state;
	assert_int_equal(sub_grace_defer(g, &a), 0);
	assert_int_equal(sub_grace_cancel(g, "svc", "a", "0000000000000009"), 0);
	assert_int_equal(sub_grace_cancel(g, "other", "a", "0000000000000001"), 0);
	assert_int_equal(sub_grace_cancel(g, "svc", "a", "0000000000000001"), 1);
	assert_int_equal(sub_grace_take_due(g, 1000, out, 4), 0);
	sub_grace_free(g);
}

static void sub_grace_defer_should_refuse_past_its_bound(void **state)
{
	struct sub_grace *g = sub_grace_new(2);
	struct sub_grace_close a = close_of("a", "0000000000000001", 100);

	(void)state;
	assert_int_equal(sub_grace_defer(g, &a), 0);
	assert_int_equal(sub_grace_defer(g, &a), 0);
	assert_int_equal(sub_grace_defer(g, &a), -1);
	assert_int_equal(sub_grace_count(g), 2);
	sub_grace_free(g);
	g = sub_grace_new(0);
	assert_int_equal(sub_grace_defer(g, &a), -1);
	sub_grace_free(g);
}

static void sub_grace_postpone_should_move_deadlines_later_only(void **state)
{
	struct sub_grace *g = sub_grace_new(4);
	struct sub_grace_close a = close_of("a", "0000000000000001", 100), out[4];
	struct sub_grace_close b = close_of("b", "0000000000000002", 900);

	(void)state;
	assert_int_equal(sub_grace_defer(g, &a), 0);
	assert_int_equal(sub_grace_defer(g, &b), 0);
	sub_grace_postpone(g, 500);
	assert_int_equal(sub_grace_take_due(g, 499, out, 4), 0);
	assert_int_equal(sub_grace_take_due(g, 500, out, 4), 1);
	assert_string_equal(out[0].instance_id, "a");
	assert_int_equal(sub_grace_take_due(g, 899, out, 4), 0);
	assert_int_equal(sub_grace_take_due(g, 900, out, 4), 1);
	sub_grace_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sub_grace_take_due_should_return_only_closes_whose_grace_ran_out),
		cmocka_unit_test(sub_grace_cancel_should_forget_only_the_same_incarnation),
		cmocka_unit_test(sub_grace_defer_should_refuse_past_its_bound),
		cmocka_unit_test(sub_grace_postpone_should_move_deadlines_later_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
