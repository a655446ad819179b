/*
 * The instance table's hash index: every item found after adds, growth
 * and removals, also when every hash collides or a run wraps around the
 * end of the slots, and hashes of similar keys spread over the slots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "subscriber/sub_index.h"

#define ITEMS 5000

static int items[ITEMS];

static bool same_item(const void *item, const void *ctx)
{
	return item == ctx;
}

/* Every item i < n is found under hash_of(i) exactly when present[i]. */
static void check(const struct sub_index *x, uint64_t (*hash_of)(int), const bool *present,
		  int n)
{
	size_t count = 0;

	for (int i = 0; i < n; i++) {
		void *found = sub_index_find(x, hash_of(i), same_item, &items[i]);

		assert_ptr_equal(found, present[i] ? &items[i] : NULL);
		count += present[i];
	}
	assert_int_equal(x->count, count);
}

static uint64_t spread(int i)
{
	return sub_index_hash(&i, sizeof(i));
}

/* Every item in one long run, which also wraps around the last slot. */
static uint64_t colliding(int i)
{
	(void)i;
	return UINT64_C(0xfffffffffffffff0) | (uint64_t)(i % 3);
}

static void run(uint64_t (*hash_of)(int), int n)
{
	static bool present[ITEMS];
	struct sub_index x = { 0 };

	for (int i = 0; i < n; i++) {
		assert_int_equal(sub_index_add(&x, hash_of(i), &items[i]), 0);
		present[i] = true;
	}
	check(&x, hash_of, present, n);
	/* Every third, then every other of the rest, then the rest. */
	for (int step = 3; step >= 1; step--) {
		for (int i = 0; i < n; i += step)
			if (present[i]) {
				sub_index_remove(&x, hash_of(i), &items[i]);
				present[i] = false;
			}
		check(&x, hash_of, present, n);
	}
	/* Removing what is not there changes nothing. */
	sub_index_remove(&x, hash_of(0), &items[0]);
	assert_int_equal(x.count, 0);
	sub_index_free(&x);
}

static void sub_index_remove_should_keep_every_other_item_findable(void **state)
{
	(void)state;
	run(spread, ITEMS);
}

static void sub_index_remove_should_keep_colliding_items_findable(void **state)
{
	(void)state;
	run(colliding, 300);
}

static void sub_index_find_should_find_nothing_in_an_empty_index(void **state)
{
	struct sub_index x = { 0 };
	(void)state;

	assert_null(sub_index_find(&x, 42, same_item, &items[0]));
	sub_index_remove(&x, 42, &items[0]);
	sub_index_free(&x);
}

/* Keys that differ in one character land in different slots. */
static void sub_index_hash_should_spread_similar_keys(void **state)
{
	static bool used[1024];
	char key[64];
	int slots = 0;
	(void)state;

	for (int i = 0; i < 1024; i++) {
		int n = snprintf(key, sizeof(key), "ing%d", i % 10);

		n += 1 + snprintf(key + n + 1, sizeof(key) - (size_t)n - 1, "ing-%d", i);
		used[sub_index_hash(key, (size_t)n) & 1023] = true;
	}
	for (int i = 0; i < 1024; i++)
		slots += used[i];
	/* Random hashes would fill about 1 - 1/e of them: 647. */
	assert_true(slots > 600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sub_index_remove_should_keep_every_other_item_findable),
		cmocka_unit_test(sub_index_remove_should_keep_colliding_items_findable),
		cmocka_unit_test(sub_index_find_should_find_nothing_in_an_empty_index),
		cmocka_unit_test(sub_index_hash_should_spread_similar_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
