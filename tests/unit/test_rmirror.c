#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "registry/rmirror.h"
#include "tests/unit/sub_fixture.h"

static void rmirror_new_should_take_a_list_with_spaces_and_empty_items(void **state)
{
	char err[128];
	struct rmirror *m;
	(void)state;

	m = rmirror_new("discovery", " a , b,,c,", 0, err, sizeof(err));
	assert_non_null(m);
	rmirror_free(m);
	m = rmirror_new("discovery", "", 0, err, sizeof(err));
	assert_non_null(m);
	rmirror_free(m);
	m = rmirror_new("discovery", " , ", 0, err, sizeof(err));
	assert_non_null(m);
	rmirror_free(m);
}

static void rmirror_new_should_refuse_a_bad_service_name(void **state)
{
	char err[128];
	(void)state;

	assert_null(rmirror_new("discovery", "good,Bad", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "'Bad'"));
	assert_null(rmirror_new("discovery", "a b", 0, err, sizeof(err)));
}

/* The tap's messages, counted as failed: this subscriber never connects. */
static uint64_t sent(const struct rmirror *m)
{
	struct rmirror_counts c;

	rmirror_counts(m, &c);
	assert_int_equal(c.written, 0);
	return c.failed;
}

static void rmirror_tap_should_write_joins_up_and_departures_of_mirrored_services(void **state)
{
	char err[128];
	struct subscriber *sub = sub_new(NULL);
	struct rmirror *m = rmirror_new("discovery", "acct", 0, err, sizeof(err));
	(void)state;

	assert_non_null(m);
	rfeed_set_tap(subscriber_data(sub), rmirror_tap, m);
	assert_int_equal(sub_apply(sub, "acct", "i1", "UP", 1, 5, 0), SUB_STORE_JOINED);
	assert_int_equal(sent(m), 1);
	/* Not mirrored. */
	assert_int_equal(sub_apply(sub, "other", "o1", "UP", 1, 5, 0), SUB_STORE_JOINED);
	assert_int_equal(sent(m), 1);
	/* A join that is not UP is no news to an UP/DOWN consumer. */
	assert_int_equal(sub_apply(sub, "acct", "i2", "STARTING", 1, 5, 0), SUB_STORE_JOINED);
	assert_int_equal(sent(m), 1);
	/* Out of service: DOWN; back: UP; a leave: DOWN. */
	assert_int_equal(sub_apply(sub, "acct", "i1", "OUT_OF_SERVICE", 2, 5, 0),
			 SUB_STORE_UPDATED);
	assert_int_equal(sub_apply(sub, "acct", "i1", "UP", 3, 5, 0), SUB_STORE_UPDATED);
	assert_int_equal(sub_apply(sub, "acct", "i1", "DOWN", 4, 5, 0), SUB_STORE_LEFT);
	assert_int_equal(sent(m), 4);
	sub_free(sub);
	rmirror_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rmirror_new_should_take_a_list_with_spaces_and_empty_items),
		cmocka_unit_test(rmirror_new_should_refuse_a_bad_service_name),
		cmocka_unit_test(
			rmirror_tap_should_write_joins_up_and_departures_of_mirrored_services),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
