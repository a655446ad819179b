#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "registry/rfeed.h"
#include "tests/unit/sub_fixture.h"

static int expire(struct subscriber *sub, int64_t now)
{
	struct token out[1];
	size_t n = sub_store_expire(sub->store, now, out, 1);

	if (n)
		token_clear(&out[0]);
	subscriber__drain(sub);
	return (int)n;
}

static void rfeed_event_after_should_replay_changes_in_order(void **state)
{
	struct subscriber *sub = sub_new_with(NULL, 0, 3, 0);
	struct rfeed *f = subscriber_data(sub);
	char *frame;
	uint64_t id;
	(void)state;

	assert_int_equal(rfeed_event_after(f, 0, &frame, &id), 0);
	assert_int_equal(sub_apply(sub, "a", "i1", "UP", 1, 1, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(sub, "a", "i1", "STARTING", 2, 1, 0), SUB_STORE_UPDATED);
	assert_int_equal(sub_apply(sub, "a", "i2", "UP", 1, 1, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(sub, "a", "i2", "DOWN", 2, 1, 0), SUB_STORE_LEFT);
	assert_int_equal(expire(sub, 1000), 1);

	/* The ring holds the last 3: ids 3, 4, 5; older ids restart at 3. */
	assert_int_equal(rfeed_event_after(f, 0, &frame, &id), 1);
	assert_int_equal(id, 3);
	free(frame);
	assert_int_equal(rfeed_event_after(f, 3, &frame, &id), 1);
	assert_int_equal(id, 4);
	assert_non_null(strstr(frame, "event: leave\n"));
	assert_non_null(strstr(frame, "\"state\":\"DOWN\""));
	assert_non_null(strstr(frame, "\"reason\":\"down\""));
	free(frame);
	assert_int_equal(rfeed_event_after(f, 4, &frame, &id), 1);
	assert_int_equal(id, 5);
	assert_true(strncmp(frame, "id: 5\nevent: expire\ndata: {", 27) == 0);
	assert_non_null(strstr(frame, "\"reason\":\"expired\""));
	assert_non_null(strstr(frame, "\"service\":\"a\""));
	assert_string_equal(frame + strlen(frame) - 2, "\n\n");
	free(frame);
	assert_int_equal(rfeed_event_after(f, 5, &frame, &id), 0);
	assert_int_equal(rfeed_index(f), subscriber_index(sub, NULL));
	sub_free(sub);
}

static void rfeed_resumable_should_know_what_the_ring_can_replay(void **state)
{
	struct subscriber *sub = sub_new_with(NULL, 1000, 2, 0);
	struct rfeed *f = subscriber_data(sub);
	(void)state;

	assert_int_equal(subscriber_index(sub, NULL), 1000);
	assert_int_equal(subscriber_index(sub, "none"), 1000);
	assert_true(rfeed_resumable(f, 1000));
	assert_false(rfeed_resumable(f, 999));  /* an earlier run */
	assert_false(rfeed_resumable(f, 1001)); /* another replica */
	assert_int_equal(sub_apply(sub, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(sub, "a", "i2", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(sub, "a", "i3", "UP", 1, 6, 0), SUB_STORE_JOINED);
	/* Ids 1002 and 1003 are kept: after 1001 they replay all. */
	assert_true(rfeed_resumable(f, 1003));
	assert_true(rfeed_resumable(f, 1001));
	assert_false(rfeed_resumable(f, 1000));
	sub_free(sub);
}

static int notified;
static void on_change(void *ctx, const char *service)
{
	(void)ctx;
	if (strcmp(service, "a") == 0)
		notified++;
}

static void rfeed_set_notify_should_call_back_for_changes_only(void **state)
{
	struct subscriber *sub = sub_new(NULL);
	(void)state;

	rfeed_set_notify(subscriber_data(sub), on_change, NULL);
	notified = 0;
	assert_int_equal(sub_apply(sub, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(sub, "a", "i1", "UP", 2, 6, 0), SUB_STORE_RENEWED);
	assert_int_equal(sub_apply(sub, "a", "i1", "DOWN", 3, 6, 0), SUB_STORE_LEFT);
	assert_int_equal(sub_apply(sub, "a", "i1", "DOWN", 4, 6, 0), SUB_STORE_ABSENT);
	assert_int_equal(notified, 2);
	sub_free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfeed_event_after_should_replay_changes_in_order),
		cmocka_unit_test(rfeed_resumable_should_know_what_the_ring_can_replay),
		cmocka_unit_test(rfeed_set_notify_should_call_back_for_changes_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
