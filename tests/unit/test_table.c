#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/table.h"
#include "tests/unit/table_fixture.h"

static void count_one(void *ctx, const struct token *tok, const struct render_times *tm,
		      struct render_frag *frag)
{
	(void)tok;
	(void)tm;
	(void)frag;
	(*(int *)ctx)++;
}

static int count_instances(struct table *t, const char *service)
{
	int n = 0;

	table_foreach_instance(t, service, count_one, &n, NULL);
	return n;
}

static void table_apply_should_join_renew_update_and_leave(void **state)
{
	struct table *t = table_new(NULL);
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 1000), TABLE_JOINED);
	assert_int_equal(count_instances(t, "a"), 1);
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 2000), TABLE_RENEWED);
	assert_int_equal(apply(t, "a", "i1", "OUT_OF_SERVICE", 3, 6, 2500), TABLE_UPDATED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 4, 6, 3000), TABLE_LEFT);
	assert_int_equal(count_instances(t, "a"), 0);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 5, 6, 3000), TABLE_ABSENT);
	table_free(t);
}

static void table_apply_should_ignore_a_lower_seq(void **state)
{
	struct table *t = table_new(NULL);
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 1000), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 4, 6, 1000), TABLE_STALE_SEQ);
	assert_int_equal(count_instances(t, "a"), 1);
	table_free(t);
}

static void table_apply_should_refuse_beyond_the_caps(void **state)
{
	struct table_limits lim = { .max_instances = 2, .max_services = 2 };
	struct table *t = table_new(&lim);
	struct table_stats st;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "b", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 6, 0), TABLE_FULL);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 2, 6, 0), TABLE_LEFT);
	/* Service "a" is empty now, so its record makes room for "c". */
	assert_int_equal(apply(t, "c", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "d", "i1", "UP", 1, 6, 0), TABLE_FULL);
	table_stats(t, &st);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.refused_by[TABLE_CAP_INSTANCES], 2);
	assert_int_equal(st.instances, 2);
	table_free(t);
}

static void table_apply_should_refuse_past_the_per_service_cap_only(void **state)
{
	struct table_limits lim = { .max_per_service = 2 };
	struct table *t = table_new(&lim);
	struct table_stats st;
	uint64_t index;
	(void)state;

	assert_int_equal(apply(t, "flood", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "flood", "i2", "UP", 1, 6, 0), TABLE_JOINED);
	index = table_service_index(t, "flood");
	assert_int_equal(apply(t, "flood", "i3", "UP", 1, 6, 0), TABLE_FULL);
	/* What is already there renews, changes and leaves as before. */
	assert_int_equal(apply(t, "flood", "i1", "UP", 2, 6, 1000), TABLE_RENEWED);
	assert_int_equal(table_service_index(t, "flood"), index);
	assert_int_equal(apply(t, "flood", "i2", "STARTING", 2, 6, 1000), TABLE_UPDATED);
	/* Another service is not affected by the full one. */
	assert_int_equal(apply(t, "other", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(count_instances(t, "flood"), 2);
	assert_int_equal(apply(t, "flood", "i2", "DOWN", 3, 6, 1000), TABLE_LEFT);
	assert_int_equal(apply(t, "flood", "i3", "UP", 1, 6, 0), TABLE_JOINED);
	table_stats(t, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.refused_by[TABLE_CAP_PER_SERVICE], 1);
	assert_int_equal(st.refused_by[TABLE_CAP_INSTANCES], 0);
	assert_string_equal(table_cap_name(TABLE_CAP_PER_SERVICE), "max_per_service");
	table_free(t);
}

static void ttl_of(void *ctx, const struct token *tok, const struct render_times *tm,
		      struct render_frag *frag)
{
	(void)tm;
	(void)frag;
	*(int *)ctx = tok->ttl;
}

static void table_apply_should_clamp_a_long_ttl_and_count_it(void **state)
{
	struct table_limits lim = { .max_ttl_s = 300 };
	struct table *t = table_new(&lim);
	struct table_stats st;
	int ttl = 0;
	(void)state;

	assert_int_equal(apply(t, "a", "day", "UP", 1, 86400, 1000), TABLE_JOINED);
	assert_int_equal(table_next_expiry(t), 1000 + 300 * 1000);
	table_foreach_instance(t, "a", ttl_of, &ttl, NULL);
	assert_int_equal(ttl, 300);
	assert_int_equal(apply(t, "a", "day", "UP", 2, 86400, 2000), TABLE_RENEWED);
	assert_int_equal(table_next_expiry(t), 2000 + 300 * 1000);
	/* At the limit is not above it. */
	assert_int_equal(apply(t, "a", "five", "UP", 1, 300, 2000), TABLE_JOINED);
	table_stats(t, &st);
	assert_int_equal(st.ttl_clamped, 2);
	table_free(t);
	/* The default is the contract's 5 minutes. */
	t = table_new(NULL);
	assert_int_equal(apply(t, "a", "day", "UP", 1, 86400, 0), TABLE_JOINED);
	assert_int_equal(table_next_expiry(t), 300 * 1000);
	table_free(t);
}

static void table_service_index_should_move_only_for_its_service(void **state)
{
	struct table *t = table_new(NULL);
	uint64_t a, b;
	(void)state;

	assert_int_equal(table_service_index(t, "a"), 0);
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	a = table_service_index(t, "a");
	assert_true(a > 0);
	assert_int_equal(apply(t, "b", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	b = table_service_index(t, "b");
	assert_true(b > a);
	assert_int_equal(table_service_index(t, "a"), a);
	assert_int_equal(table_index(t), b);
	/* A renewal moves nothing. */
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 10), TABLE_RENEWED);
	assert_int_equal(table_index(t), b);
	table_free(t);
}

static void table_expire_should_remove_only_expired_instances(void **state)
{
	struct table *t = table_new(NULL);
	struct token out[4];
	(void)state;

	assert_int_equal(apply(t, "a", "short", "UP", 1, 1, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "long", "UP", 1, 5, 0), TABLE_JOINED);
	assert_int_equal(table_next_expiry(t), 1000);
	assert_int_equal(table_expire(t, 999, out, 4), 0);
	assert_int_equal(table_expire(t, 1000, out, 4), 1);
	assert_string_equal(out[0].instance_id, "short");
	assert_int_equal(out[0].state, TOKEN_UP);
	token_clear(&out[0]);
	assert_int_equal(count_instances(t, "a"), 1);
	/* Renewal pushes the expiry. */
	assert_int_equal(apply(t, "a", "long", "UP", 2, 5, 4000), TABLE_RENEWED);
	assert_int_equal(table_expire(t, 5000, out, 4), 0);
	assert_int_equal(table_next_expiry(t), 9000);
	table_free(t);
}

static void table_set_stale_should_hold_expiry_and_refresh_windows(void **state)
{
	struct table *t = table_new(NULL);
	struct token out[1];
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 3, 0), TABLE_JOINED);
	table_set_stale(t, true, 1000);
	assert_true(table_is_stale(t));
	assert_int_equal(table_expire(t, 20000, out, 1), 0);
	table_set_stale(t, false, 20000);
	assert_int_equal(table_next_expiry(t), 23000);
	assert_int_equal(table_expire(t, 22999, out, 1), 0);
	assert_int_equal(table_expire(t, 23000, out, 1), 1);
	token_clear(&out[0]);
	table_free(t);
}

static void table_event_after_should_replay_changes_in_order(void **state)
{
	struct table_limits lim = { .event_capacity = 3 };
	struct table *t = table_new(&lim);
	struct token out[1];
	char *frame;
	uint64_t id;
	(void)state;

	assert_int_equal(table_event_after(t, 0, &frame, &id), 0);
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 1, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "STARTING", 2, 1, 0), TABLE_UPDATED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 1, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i2", "DOWN", 2, 1, 0), TABLE_LEFT);
	assert_int_equal(table_expire(t, 1000, out, 1), 1);
	token_clear(&out[0]);

	/* The ring holds the last 3: ids 3, 4, 5; older ids restart at 3. */
	assert_int_equal(table_event_after(t, 0, &frame, &id), 1);
	assert_int_equal(id, 3);
	free(frame);
	assert_int_equal(table_event_after(t, 3, &frame, &id), 1);
	assert_int_equal(id, 4);
	assert_non_null(strstr(frame, "event: leave\n"));
	assert_non_null(strstr(frame, "\"reason\":\"down\""));
	free(frame);
	assert_int_equal(table_event_after(t, 4, &frame, &id), 1);
	assert_int_equal(id, 5);
	assert_true(strncmp(frame, "id: 5\nevent: expire\ndata: {", 27) == 0);
	assert_non_null(strstr(frame, "\"reason\":\"expired\""));
	assert_non_null(strstr(frame, "\"service\":\"a\""));
	assert_string_equal(frame + strlen(frame) - 2, "\n\n");
	free(frame);
	assert_int_equal(table_event_after(t, 5, &frame, &id), 0);
	table_free(t);
}

static int notified;
static void on_change(void *ctx, const char *service)
{
	(void)ctx;
	if (strcmp(service, "a") == 0)
		notified++;
}

static void table_set_notify_should_call_back_for_changes_only(void **state)
{
	struct table *t = table_new(NULL);
	(void)state;

	table_set_notify(t, on_change, NULL);
	notified = 0;
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 0), TABLE_RENEWED);
	assert_int_equal(table_remove(t, "a", "i1", NULL, NULL, "connection-lost", 0), 1);
	assert_int_equal(table_remove(t, "a", "i1", NULL, NULL, "connection-lost", 0), 0);
	assert_int_equal(notified, 2);
	table_free(t);
}

static void table_apply_should_refuse_replays_in_strict_mode_also_after_a_leave(void **state)
{
	struct table_limits lim = { .strict_seq = true, .tombstone_ms = 30000 };
	struct table *t = table_new(&lim);
	struct token out[1];
	struct table_stats st;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 10), TABLE_REPLAYED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 6, 6, 20), TABLE_LEFT);
	/* The UP captured before the DOWN, replayed 5 s later. */
	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 5000), TABLE_REPLAYED);
	assert_int_equal(apply(t, "a", "i1", "UP", 6, 6, 5000), TABLE_REPLAYED);
	assert_int_equal(count_instances(t, "a"), 0);
	/* After an expiry and after a connection loss, too. */
	assert_int_equal(apply(t, "a", "i1", "UP", 7, 1, 6000), TABLE_JOINED);
	assert_int_equal(table_expire(t, 7000, out, 1), 1);
	token_clear(&out[0]);
	assert_int_equal(apply(t, "a", "i1", "UP", 7, 1, 7100), TABLE_REPLAYED);
	assert_int_equal(apply(t, "a", "i1", "UP", 8, 6, 7200), TABLE_JOINED);
	assert_int_equal(table_remove(t, "a", "i1", NULL, NULL, "connection-lost", 7300), 1);
	assert_int_equal(apply(t, "a", "i1", "UP", 8, 6, 7400), TABLE_REPLAYED);
	table_stats(t, &st);
	assert_int_equal(st.tombstones, 1);
	/* The tombstone ends after the ttl plus the skew window. */
	assert_int_equal(apply(t, "a", "i1", "UP", 8, 6, 7300 + 6000 + 30000), TABLE_JOINED);
	table_stats(t, &st);
	assert_int_equal(st.tombstones, 0);
	table_free(t);
}

static void table_apply_should_keep_a_lower_seq_out_after_a_leave(void **state)
{
	struct table *t = table_new(NULL);
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 6, 6, 0), TABLE_LEFT);
	assert_int_equal(apply(t, "a", "i1", "UP", 4, 6, 100), TABLE_STALE_SEQ);
	/* Without strict_seq an equal seq is not a replay. */
	assert_int_equal(apply(t, "a", "i1", "UP", 6, 6, 100), TABLE_JOINED);
	table_free(t);
}

static void table_apply_should_bound_the_tombstones(void **state)
{
	struct table_limits lim = { .strict_seq = true, .max_tombstones = 2 };
	struct table *t = table_new(&lim);
	struct table_stats st;
	char id[16];
	(void)state;

	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "i%d", i);
		assert_int_equal(apply(t, "a", id, "UP", 1, 6, i), TABLE_JOINED);
		assert_int_equal(apply(t, "a", id, "DOWN", 2, 6, i), TABLE_LEFT);
	}
	table_stats(t, &st);
	assert_int_equal(st.tombstones, 2);
	assert_int_equal(st.tombstones_evicted, 1);
	/* The one that would have ended first went first. */
	assert_int_equal(apply(t, "a", "i0", "UP", 1, 6, 10), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 6, 10), TABLE_REPLAYED);
	table_free(t);
}

static int refuse_unless_ctx(void *ctx, const struct token *latest)
{
	assert_string_equal(latest->instance_id, "i1");
	return ctx ? 0 : -7;
}

static void table_remove_should_keep_an_instance_its_match_refuses(void **state)
{
	struct table *t = table_new(NULL);
	int yes = 1;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(table_remove(t, "a", "i1", refuse_unless_ctx, NULL, "x", 0), -7);
	assert_int_equal(count_instances(t, "a"), 1);
	assert_int_equal(table_remove(t, "a", "i1", refuse_unless_ctx, &yes, "x", 0), 1);
	assert_int_equal(count_instances(t, "a"), 0);
	table_free(t);
}

/* What a removal's match sees: the latest token's user and incarnation. */
static int latest_of(void *ctx, const struct token *latest)
{
	char *out = ctx;

	snprintf(out, 64, "%s/%s/%lld/%d", latest->user_id ? latest->user_id : "-",
		 latest->incarnation, (long long)latest->seq, latest->ttl);
	return -1; /* keep it */
}

static int apply_as(struct table *t, const char *user, const char *incarnation, int64_t seq,
		    int ttl)
{
	struct token tok = make("a", "i1", "UP", seq, ttl);
	int rc;

	tok.user_id = user ? strdup(user) : NULL;
	snprintf(tok.incarnation, sizeof(tok.incarnation), "%s", incarnation);
	rc = table_apply(t, &tok, 0);
	token_clear(&tok);
	return rc;
}

/* A renewal changes no description, but the user, incarnation, seq and
 * ttl it came with are the instance's from then on. */
static void table_apply_should_keep_what_a_renewal_brings(void **state)
{
	struct table *t = table_new(NULL);
	char latest[64];
	(void)state;

	assert_int_equal(apply_as(t, "alice", "0123456789abcdef", 1, 6), TABLE_JOINED);
	assert_int_equal(table_remove(t, "a", "i1", latest_of, latest, "x", 0), -1);
	assert_string_equal(latest, "alice/0123456789abcdef/1/6");
	assert_int_equal(apply_as(t, "bob", "fedcba9876543210", 2, 9), TABLE_RENEWED);
	assert_int_equal(table_remove(t, "a", "i1", latest_of, latest, "x", 0), -1);
	assert_string_equal(latest, "bob/fedcba9876543210/2/9");
	assert_int_equal(apply_as(t, NULL, "fedcba9876543210", 3, 9), TABLE_RENEWED);
	assert_int_equal(table_remove(t, "a", "i1", latest_of, latest, "x", 0), -1);
	assert_string_equal(latest, "-/fedcba9876543210/3/9");
	assert_int_equal(apply(t, "a", "i1", "STARTING", 4, 6, 0), TABLE_UPDATED);
	assert_int_equal(table_remove(t, "a", "i1", latest_of, latest, "x", 0), -1);
	assert_string_equal(latest, "-//4/6");
	table_free(t);
}

static int64_t stepped_wall;
static int64_t stepped_wall_ms(void)
{
	return stepped_wall;
}

static void collect_times(void *ctx, const struct token *tok, const struct render_times *tm,
			  struct render_frag *frag)
{
	(void)tok;
	(void)frag;
	*(struct render_times *)ctx = *tm;
}

static void table_expire_should_ignore_steps_of_the_wall_clock(void **state)
{
	struct table *t = table_new(&(struct table_limits){ .wall_ms = stepped_wall_ms });
	struct render_times tm;
	struct token out[1];
	(void)state;

	stepped_wall = 1795700000000;
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 500), TABLE_JOINED);
	table_foreach_instance(t, "a", collect_times, &tm, NULL);
	assert_int_equal(tm.last_seen, 1795700000000);
	assert_int_equal(tm.expires_at, 1795700006000);
	/* An hour forward, an hour back: the deadline is 6 s after the
	 * token on the monotonic clock either way. */
	stepped_wall += 3600 * 1000;
	assert_int_equal(table_expire(t, 6499, out, 1), 0);
	stepped_wall -= 2 * 3600 * 1000;
	assert_int_equal(table_next_expiry(t), 6500);
	assert_int_equal(table_expire(t, 6500, out, 1), 1);
	token_clear(&out[0]);
	table_free(t);
}

static void table_event_resumable_should_know_what_the_ring_can_replay(void **state)
{
	struct table *t = table_new(&(struct table_limits){ .first_index = 1000,
							    .event_capacity = 2 });
	(void)state;

	assert_int_equal(table_index(t), 1000);
	assert_int_equal(table_service_index(t, "none"), 1000);
	assert_true(table_event_resumable(t, 1000));
	assert_false(table_event_resumable(t, 999));  /* an earlier run */
	assert_false(table_event_resumable(t, 1001)); /* another replica */
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 6, 0), TABLE_JOINED);
	assert_int_equal(apply(t, "a", "i3", "UP", 1, 6, 0), TABLE_JOINED);
	/* Ids 1002 and 1003 are kept: after 1001 they replay all. */
	assert_true(table_event_resumable(t, 1003));
	assert_true(table_event_resumable(t, 1001));
	assert_false(table_event_resumable(t, 1000));
	table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_apply_should_join_renew_update_and_leave),
		cmocka_unit_test(table_apply_should_ignore_a_lower_seq),
		cmocka_unit_test(table_apply_should_refuse_beyond_the_caps),
		cmocka_unit_test(table_apply_should_refuse_past_the_per_service_cap_only),
		cmocka_unit_test(table_apply_should_clamp_a_long_ttl_and_count_it),
		cmocka_unit_test(table_service_index_should_move_only_for_its_service),
		cmocka_unit_test(table_expire_should_remove_only_expired_instances),
		cmocka_unit_test(table_set_stale_should_hold_expiry_and_refresh_windows),
		cmocka_unit_test(table_event_after_should_replay_changes_in_order),
		cmocka_unit_test(table_set_notify_should_call_back_for_changes_only),
		cmocka_unit_test(table_apply_should_refuse_replays_in_strict_mode_also_after_a_leave),
		cmocka_unit_test(table_apply_should_keep_a_lower_seq_out_after_a_leave),
		cmocka_unit_test(table_apply_should_bound_the_tombstones),
		cmocka_unit_test(table_remove_should_keep_an_instance_its_match_refuses),
		cmocka_unit_test(table_apply_should_keep_what_a_renewal_brings),
		cmocka_unit_test(table_expire_should_ignore_steps_of_the_wall_clock),
		cmocka_unit_test(table_event_resumable_should_know_what_the_ring_can_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
