/* rwait: rwatch's waiters by service and by deadline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "registry/rwait.h"

static struct rwatch_entry entry(const char *service, int64_t deadline_ms)
{
	return (struct rwatch_entry){.service = service, .deadline_ms = deadline_ms};
}

static void rwait_of_should_find_only_the_service_asked_for(void **state)
{
	struct rwait *s = rwait_new();
	struct rwatch_entry a = entry("alpha", 10), b = entry("beta", 20), any = entry(NULL, 30);

	(void)state;
	assert_non_null(s);
	assert_int_equal(rwait_add(s, &a), 0);
	assert_int_equal(rwait_add(s, &b), 0);
	assert_int_equal(rwait_add(s, &any), 0);
	assert_ptr_equal(rwait_of(s, "alpha"), &a);
	assert_ptr_equal(rwait_of(s, "beta"), &b);
	assert_ptr_equal(rwait_of(s, NULL), &any);
	assert_null(rwait_of(s, "gamma"));
	rwait_remove(s, &a);
	assert_null(rwait_of(s, "alpha"));
	assert_ptr_equal(rwait_of(s, "beta"), &b);
	rwait_remove(s, &b);
	rwait_remove(s, &any);
	assert_null(rwait_earliest(s));
	rwait_free(s);
}

static void rwait_of_should_give_every_waiter_of_a_service_in_turn(void **state)
{
	struct rwait *s = rwait_new();
	struct rwatch_entry e[50], other = entry("other", 1);
	struct rwatch_entry *got;
	size_t n = 0;
	bool seen[50] = {false};

	(void)state;
	for (size_t i = 0; i < 50; i++) {
		e[i] = entry("svc", (int64_t)(i * 7 % 50));
		assert_int_equal(rwait_add(s, &e[i]), 0);
	}
	assert_int_equal(rwait_add(s, &other), 0);
	while ((got = rwait_of(s, "svc")) != NULL) {
		size_t i = (size_t)(got - e);

		assert_true(i < 50);
		assert_false(seen[i]);
		seen[i] = true;
		rwait_remove(s, got);
		n++;
	}
	assert_int_equal(n, 50);
	assert_ptr_equal(rwait_earliest(s), &other);
	rwait_remove(s, &other);
	rwait_free(s);
}

static void rwait_earliest_should_come_in_deadline_order(void **state)
{
	struct rwait *s = rwait_new();
	struct rwatch_entry e[1000];
	int64_t last = INT64_MIN;

	(void)state;
	srand(7);
	for (size_t i = 0; i < 1000; i++) {
		e[i] = entry(i % 3 ? "svc" : NULL, rand() % 5000);
		assert_int_equal(rwait_add(s, &e[i]), 0);
	}
	/* Removing from the middle keeps the heap in order. */
	for (size_t i = 0; i < 1000; i += 4)
		rwait_remove(s, &e[i]);
	for (size_t n = 0; n < 750; n++) {
		struct rwatch_entry *first = rwait_earliest(s);

		assert_non_null(first);
		assert_true(first->deadline_ms >= last);
		last = first->deadline_ms;
		rwait_remove(s, first);
	}
	assert_null(rwait_earliest(s));
	assert_null(rwait_of(s, "svc"));
	assert_null(rwait_of(s, NULL));
	rwait_free(s);
}

static void rwait_remove_should_let_a_service_be_watched_again(void **state)
{
	struct rwait *s = rwait_new();
	char name[16];
	struct rwatch_entry a, b;

	(void)state;
	/* A group is freed with its last waiter and made again. */
	strcpy(name, "again");
	a = entry(name, 5);
	assert_int_equal(rwait_add(s, &a), 0);
	rwait_remove(s, &a);
	b = entry("again", 6);
	assert_int_equal(rwait_add(s, &b), 0);
	assert_ptr_equal(rwait_of(s, "again"), &b);
	assert_ptr_equal(rwait_earliest(s), &b);
	rwait_remove(s, &b);
	rwait_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rwait_of_should_find_only_the_service_asked_for),
		cmocka_unit_test(rwait_of_should_give_every_waiter_of_a_service_in_turn),
		cmocka_unit_test(rwait_earliest_should_come_in_deadline_order),
		cmocka_unit_test(rwait_remove_should_let_a_service_be_watched_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
