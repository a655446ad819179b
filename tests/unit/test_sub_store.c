#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subscriber/sub_store.h"
#include "tests/unit/store_fixture.h"

static void count_one(void *ctx, const struct subscriber_instance *in, void *data)
{
	(void)in;
	(void)data;
	(*(int *)ctx)++;
}

/* New instances refused, by any cap. */
static uint64_t refused(const struct subscriber_stats *st)
{
	return st->refused_by[0] + st->refused_by[1] + st->refused_by[2];
}

/* The table's index (service NULL) or one service's. */
static uint64_t index_of(struct sub_store *t, const char *service)
{
	struct subscriber_view v;

	sub_store_view(t, service, &v);
	return v.index;
}

static bool sub_store_stale_of(struct sub_store *t)
{
	struct subscriber_view v;

	sub_store_view(t, NULL, &v);
	return v.stale;
}

static int count_instances(struct sub_store *t, const char *service)
{
	int n = 0;

	sub_store_foreach(t, service, count_one, &n, NULL);
	return n;
}

static void sub_store_apply_should_join_renew_update_and_leave(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 1000), SUB_STORE_JOINED);
	assert_int_equal(count_instances(t, "a"), 1);
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 2000), SUB_STORE_RENEWED);
	assert_int_equal(apply(t, "a", "i1", "OUT_OF_SERVICE", 3, 6, 2500), SUB_STORE_UPDATED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 4, 6, 3000), SUB_STORE_LEFT);
	assert_int_equal(count_instances(t, "a"), 0);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 5, 6, 3000), SUB_STORE_ABSENT);
	sub_store_free(t);
}

static void sub_store_apply_should_ignore_a_lower_seq(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 1000), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 4, 6, 1000), SUB_STORE_STALE_SEQ);
	assert_int_equal(count_instances(t, "a"), 1);
	sub_store_free(t);
}

static void sub_store_apply_should_refuse_beyond_the_caps(void **state)
{
	struct sub_store_limits lim = { .max_instances = 2, .max_services = 2 };
	struct sub_store *t = sub_store_new(&lim);
	struct subscriber_stats st = { 0 };
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "b", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 6, 0), SUB_STORE_FULL);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 2, 6, 0), SUB_STORE_LEFT);
	/* Service "a" is empty now, so its record makes room for "c". */
	assert_int_equal(apply(t, "c", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "d", "i1", "UP", 1, 6, 0), SUB_STORE_FULL);
	sub_store_stats(t, &st);
	assert_int_equal(refused(&st), 2);
	assert_int_equal(st.refused_by[SUB_STORE_CAP_INSTANCES], 2);
	assert_int_equal(st.instances, 2);
	sub_store_free(t);
}

static void sub_store_apply_should_refuse_past_the_per_service_cap_only(void **state)
{
	struct sub_store_limits lim = { .max_per_service = 2 };
	struct sub_store *t = sub_store_new(&lim);
	struct subscriber_stats st = { 0 };
	uint64_t index;
	(void)state;

	assert_int_equal(apply(t, "flood", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "flood", "i2", "UP", 1, 6, 0), SUB_STORE_JOINED);
	index = index_of(t, "flood");
	assert_int_equal(apply(t, "flood", "i3", "UP", 1, 6, 0), SUB_STORE_FULL);
	/* What is already there renews, changes and leaves as before. */
	assert_int_equal(apply(t, "flood", "i1", "UP", 2, 6, 1000), SUB_STORE_RENEWED);
	assert_int_equal(index_of(t, "flood"), index);
	assert_int_equal(apply(t, "flood", "i2", "STARTING", 2, 6, 1000), SUB_STORE_UPDATED);
	/* Another service is not affected by the full one. */
	assert_int_equal(apply(t, "other", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(count_instances(t, "flood"), 2);
	assert_int_equal(apply(t, "flood", "i2", "DOWN", 3, 6, 1000), SUB_STORE_LEFT);
	assert_int_equal(apply(t, "flood", "i3", "UP", 1, 6, 0), SUB_STORE_JOINED);
	sub_store_stats(t, &st);
	assert_int_equal(refused(&st), 1);
	assert_int_equal(st.refused_by[SUB_STORE_CAP_PER_SERVICE], 1);
	assert_int_equal(st.refused_by[SUB_STORE_CAP_INSTANCES], 0);
	assert_string_equal(subscriber_cap_name(SUB_STORE_CAP_PER_SERVICE), "max_per_service");
	sub_store_free(t);
}

static void ttl_of(void *ctx, const struct subscriber_instance *in, void *data)
{
	(void)data;
	*(int *)ctx = in->ttl;
}

static void sub_store_apply_should_clamp_a_long_ttl_and_count_it(void **state)
{
	struct sub_store_limits lim = { .max_ttl_s = 300 };
	struct sub_store *t = sub_store_new(&lim);
	struct subscriber_stats st = { 0 };
	int ttl = 0;
	(void)state;

	assert_int_equal(apply(t, "a", "day", "UP", 1, 86400, 1000), SUB_STORE_JOINED);
	assert_int_equal(sub_store_next_expiry(t), 1000 + 300 * 1000);
	sub_store_foreach(t, "a", ttl_of, &ttl, NULL);
	assert_int_equal(ttl, 300);
	assert_int_equal(apply(t, "a", "day", "UP", 2, 86400, 2000), SUB_STORE_RENEWED);
	assert_int_equal(sub_store_next_expiry(t), 2000 + 300 * 1000);
	/* At the limit is not above it. */
	assert_int_equal(apply(t, "a", "five", "UP", 1, 300, 2000), SUB_STORE_JOINED);
	sub_store_stats(t, &st);
	assert_int_equal(st.ttl_clamped, 2);
	sub_store_free(t);
	/* The default is the contract's 5 minutes. */
	t = sub_store_new(NULL);
	assert_int_equal(apply(t, "a", "day", "UP", 1, 86400, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_store_next_expiry(t), 300 * 1000);
	sub_store_free(t);
}

static void sub_store_view_should_move_a_service_index_only_for_its_service(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	uint64_t a, b;
	(void)state;

	assert_int_equal(index_of(t, "a"), 0);
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	a = index_of(t, "a");
	assert_true(a > 0);
	assert_int_equal(apply(t, "b", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	b = index_of(t, "b");
	assert_true(b > a);
	assert_int_equal(index_of(t, "a"), a);
	assert_int_equal(index_of(t, NULL), b);
	/* A renewal moves nothing. */
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 10), SUB_STORE_RENEWED);
	assert_int_equal(index_of(t, NULL), b);
	sub_store_free(t);
}

static void sub_store_expire_should_remove_only_expired_instances(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	struct token out[4];
	(void)state;

	assert_int_equal(apply(t, "a", "short", "UP", 1, 1, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "long", "UP", 1, 5, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_store_next_expiry(t), 1000);
	assert_int_equal(sub_store_expire(t, 999, out, 4), 0);
	assert_int_equal(sub_store_expire(t, 1000, out, 4), 1);
	assert_string_equal(out[0].instance_id, "short");
	assert_int_equal(out[0].state, TOKEN_UP);
	token_clear(&out[0]);
	assert_int_equal(count_instances(t, "a"), 1);
	/* Renewal pushes the expiry. */
	assert_int_equal(apply(t, "a", "long", "UP", 2, 5, 4000), SUB_STORE_RENEWED);
	assert_int_equal(sub_store_expire(t, 5000, out, 4), 0);
	assert_int_equal(sub_store_next_expiry(t), 9000);
	sub_store_free(t);
}

static void sub_store_set_stale_should_hold_expiry_and_refresh_windows(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	struct token out[1];
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 3, 0), SUB_STORE_JOINED);
	sub_store_set_stale(t, true, 1000);
	assert_true(sub_store_stale_of(t));
	assert_int_equal(sub_store_expire(t, 20000, out, 1), 0);
	sub_store_set_stale(t, false, 20000);
	assert_int_equal(sub_store_next_expiry(t), 23000);
	assert_int_equal(sub_store_expire(t, 22999, out, 1), 0);
	assert_int_equal(sub_store_expire(t, 23000, out, 1), 1);
	token_clear(&out[0]);
	sub_store_free(t);
}

/* What the drain told, in order: kind, index and reason of each change. */
struct told {
	char text[512];
};

static void tell(void *ctx, enum sub_store_outcome kind, const struct subscriber_instance *in,
		 enum subscriber_leave_reason reason)
{
	struct told *t = ctx;
	size_t n = strlen(t->text);

	snprintf(t->text + n, sizeof(t->text) - n, "%s %s %llu %s %s;",
		 subscriber_outcome_name(kind), in->instance_id, (unsigned long long)in->index,
		 subscriber_state_name(in->state),
		 kind == SUB_STORE_LEFT ? subscriber_leave_reason_name(reason) : "-");
	if (kind == SUB_STORE_LEFT)
		assert_non_null(in->reason);
}

static void sub_store_drain_should_tell_changes_only_in_order(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	struct told told = { "" };
	struct token out[1];
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "UP", 2, 6, 0), SUB_STORE_RENEWED);
	assert_int_equal(apply(t, "a", "i1", "STARTING", 3, 6, 0), SUB_STORE_UPDATED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 1, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_store_remove(t, "a", "i1", NULL, NULL,
					  SUBSCRIBER_LEFT_CONNECTION_LOST, 0), 1);
	assert_int_equal(sub_store_remove(t, "a", "i1", NULL, NULL,
					  SUBSCRIBER_LEFT_CONNECTION_LOST, 0), 0);
	assert_int_equal(sub_store_expire(t, 1000, out, 1), 1);
	token_clear(&out[0]);
	sub_store_drain(t, tell, &told);
	assert_string_equal(told.text, "joined i1 1 UP -;updated i1 2 STARTING -;joined i2 3 UP -;"
				       "left i1 4 DOWN connection-lost;left i2 5 DOWN expired;");
	/* Told once. */
	told.text[0] = '\0';
	sub_store_drain(t, tell, &told);
	assert_string_equal(told.text, "");
	sub_store_free(t);
}

static void sub_store_apply_should_refuse_replays_in_strict_mode_also_after_a_leave(void **state)
{
	struct sub_store_limits lim = { .strict_seq = true, .tombstone_ms = 30000 };
	struct sub_store *t = sub_store_new(&lim);
	struct token out[1];
	struct subscriber_stats st = { 0 };
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 10), SUB_STORE_REPLAYED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 6, 6, 20), SUB_STORE_LEFT);
	/* The UP captured before the DOWN, replayed 5 s later. */
	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 5000), SUB_STORE_REPLAYED);
	assert_int_equal(apply(t, "a", "i1", "UP", 6, 6, 5000), SUB_STORE_REPLAYED);
	assert_int_equal(count_instances(t, "a"), 0);
	/* After an expiry and after a connection loss, too. */
	assert_int_equal(apply(t, "a", "i1", "UP", 7, 1, 6000), SUB_STORE_JOINED);
	assert_int_equal(sub_store_expire(t, 7000, out, 1), 1);
	token_clear(&out[0]);
	assert_int_equal(apply(t, "a", "i1", "UP", 7, 1, 7100), SUB_STORE_REPLAYED);
	assert_int_equal(apply(t, "a", "i1", "UP", 8, 6, 7200), SUB_STORE_JOINED);
	assert_int_equal(sub_store_remove(t, "a", "i1", NULL, NULL, SUBSCRIBER_LEFT_CONNECTION_LOST, 7300), 1);
	assert_int_equal(apply(t, "a", "i1", "UP", 8, 6, 7400), SUB_STORE_REPLAYED);
	sub_store_stats(t, &st);
	assert_int_equal(st.tombstones, 1);
	/* The tombstone ends after the ttl plus the skew window. */
	assert_int_equal(apply(t, "a", "i1", "UP", 8, 6, 7300 + 6000 + 30000), SUB_STORE_JOINED);
	sub_store_stats(t, &st);
	assert_int_equal(st.tombstones, 0);
	sub_store_free(t);
}

static void sub_store_apply_should_keep_a_lower_seq_out_after_a_leave(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 5, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "i1", "DOWN", 6, 6, 0), SUB_STORE_LEFT);
	assert_int_equal(apply(t, "a", "i1", "UP", 4, 6, 100), SUB_STORE_STALE_SEQ);
	/* Without strict_seq an equal seq is not a replay. */
	assert_int_equal(apply(t, "a", "i1", "UP", 6, 6, 100), SUB_STORE_JOINED);
	sub_store_free(t);
}

static void sub_store_apply_should_bound_the_tombstones(void **state)
{
	struct sub_store_limits lim = { .strict_seq = true, .max_tombstones = 2 };
	struct sub_store *t = sub_store_new(&lim);
	struct subscriber_stats st = { 0 };
	char id[16];
	(void)state;

	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "i%d", i);
		assert_int_equal(apply(t, "a", id, "UP", 1, 6, i), SUB_STORE_JOINED);
		assert_int_equal(apply(t, "a", id, "DOWN", 2, 6, i), SUB_STORE_LEFT);
	}
	sub_store_stats(t, &st);
	assert_int_equal(st.tombstones, 2);
	assert_int_equal(st.tombstones_evicted, 1);
	/* The one that would have ended first went first. */
	assert_int_equal(apply(t, "a", "i0", "UP", 1, 6, 10), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "i2", "UP", 1, 6, 10), SUB_STORE_REPLAYED);
	sub_store_free(t);
}

static int refuse_unless_ctx(void *ctx, const struct token *latest)
{
	assert_string_equal(latest->instance_id, "i1");
	return ctx ? 0 : -7;
}

static void sub_store_remove_should_keep_an_instance_its_match_refuses(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	int yes = 1;
	(void)state;

	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_store_remove(t, "a", "i1", refuse_unless_ctx, NULL, SUBSCRIBER_LEFT_CONNECTION_LOST, 0), -7);
	assert_int_equal(count_instances(t, "a"), 1);
	assert_int_equal(sub_store_remove(t, "a", "i1", refuse_unless_ctx, &yes, SUBSCRIBER_LEFT_CONNECTION_LOST, 0), 1);
	assert_int_equal(count_instances(t, "a"), 0);
	sub_store_free(t);
}

/* What a removal's match sees: the latest token's user and incarnation. */
static int latest_of(void *ctx, const struct token *latest)
{
	char *out = ctx;

	snprintf(out, 64, "%s/%s/%lld/%d", latest->user_id ? latest->user_id : "-",
		 latest->incarnation, (long long)latest->seq, latest->ttl);
	return -1; /* keep it */
}

static int apply_as(struct sub_store *t, const char *user, const char *incarnation, int64_t seq,
		    int ttl)
{
	struct token tok = make("a", "i1", "UP", seq, ttl);
	int rc;

	tok.user_id = user ? strdup(user) : NULL;
	snprintf(tok.incarnation, sizeof(tok.incarnation), "%s", incarnation);
	rc = sub_store_apply(t, &tok, 0);
	token_clear(&tok);
	return rc;
}

/* A renewal changes no description, but the user, incarnation, seq and
 * ttl it came with are the instance's from then on. */
static void sub_store_apply_should_keep_what_a_renewal_brings(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	const enum subscriber_leave_reason x = SUBSCRIBER_LEFT_CONNECTION_LOST;
	char latest[64];
	(void)state;

	assert_int_equal(apply_as(t, "alice", "0123456789abcdef", 1, 6), SUB_STORE_JOINED);
	assert_int_equal(sub_store_remove(t, "a", "i1", latest_of, latest, x, 0), -1);
	assert_string_equal(latest, "alice/0123456789abcdef/1/6");
	assert_int_equal(apply_as(t, "bob", "fedcba9876543210", 2, 9), SUB_STORE_RENEWED);
	assert_int_equal(sub_store_remove(t, "a", "i1", latest_of, latest, x, 0), -1);
	assert_string_equal(latest, "bob/fedcba9876543210/2/9");
	assert_int_equal(apply_as(t, NULL, "fedcba9876543210", 3, 9), SUB_STORE_RENEWED);
	assert_int_equal(sub_store_remove(t, "a", "i1", latest_of, latest, x, 0), -1);
	assert_string_equal(latest, "-/fedcba9876543210/3/9");
	assert_int_equal(apply(t, "a", "i1", "STARTING", 4, 6, 0), SUB_STORE_UPDATED);
	assert_int_equal(sub_store_remove(t, "a", "i1", latest_of, latest, x, 0), -1);
	assert_string_equal(latest, "-//4/6");
	sub_store_free(t);
}

static int64_t stepped_wall;
static int64_t stepped_wall_ms(void)
{
	return stepped_wall;
}

static void collect_times(void *ctx, const struct subscriber_instance *in, void *data)
{
	(void)data;
	*(struct subscriber_instance *)ctx = *in;
}

static void sub_store_expire_should_ignore_steps_of_the_wall_clock(void **state)
{
	struct sub_store *t = sub_store_new(&(struct sub_store_limits){ .wall_ms = stepped_wall_ms });
	struct subscriber_instance tm;
	struct token out[1];
	(void)state;

	stepped_wall = 1795700000000;
	assert_int_equal(apply(t, "a", "i1", "UP", 1, 6, 500), SUB_STORE_JOINED);
	sub_store_foreach(t, "a", collect_times, &tm, NULL);
	assert_int_equal(tm.last_seen, 1795700000000);
	assert_int_equal(tm.expires_at, 1795700006000);
	/* An hour forward, an hour back: the deadline is 6 s after the
	 * token on the monotonic clock either way. */
	stepped_wall += 3600 * 1000;
	assert_int_equal(sub_store_expire(t, 6499, out, 1), 0);
	stepped_wall -= 2 * 3600 * 1000;
	assert_int_equal(sub_store_next_expiry(t), 6500);
	assert_int_equal(sub_store_expire(t, 6500, out, 1), 1);
	token_clear(&out[0]);
	sub_store_free(t);
}

/* Renewals within the heap's precision leave the instance where it was in
 * the heap; expiry still goes by its deadline, never early, never late. */
static void sub_store_expire_should_keep_the_deadline_of_small_renewals(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	struct token out[2];
	(void)state;

	assert_int_equal(apply(t, "a", "i", "UP", 1, 6, 0), SUB_STORE_JOINED);
	for (int seq = 2; seq <= 11; seq++) /* every 100 ms: 1 s later in all */
		assert_int_equal(apply(t, "a", "i", "UP", seq, 6, (seq - 1) * 100),
				 SUB_STORE_RENEWED);
	assert_true(sub_store_next_expiry(t) <= 7000);
	assert_int_equal(sub_store_expire(t, 6999, out, 2), 0);
	assert_int_equal(sub_store_next_expiry(t), 7000);
	assert_int_equal(sub_store_expire(t, 7000, out, 2), 1);
	token_clear(&out[0]);
	/* A shorter ttl moves the deadline earlier: at once. */
	assert_int_equal(apply(t, "a", "j", "UP", 1, 60, 0), SUB_STORE_JOINED);
	assert_int_equal(apply(t, "a", "j", "UP", 2, 2, 100), SUB_STORE_RENEWED);
	assert_int_equal(sub_store_next_expiry(t), 2100);
	assert_int_equal(sub_store_expire(t, 2100, out, 2), 1);
	token_clear(&out[0]);
	sub_store_free(t);
}

/* Lookups by service and instanceId: one instanceId in several services
 * is several instances, and each token finds its own. */
static void sub_store_apply_should_find_each_instance_among_many(void **state)
{
	struct sub_store *t = sub_store_new(NULL);
	char id[32];
	(void)state;

	for (int round = 1; round <= 2; round++)
		for (int i = 0; i < 3000; i++) {
			snprintf(id, sizeof(id), "i%d", i / 3);
			assert_int_equal(apply(t, i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", id, "UP",
					       round, 6, round * 1000),
					 round == 1 ? SUB_STORE_JOINED : SUB_STORE_RENEWED);
		}
	assert_int_equal(count_instances(t, "a"), 1000);
	assert_int_equal(count_instances(t, "c"), 1000);
	assert_int_equal(apply(t, "b", "i7", "DOWN", 3, 6, 3000), SUB_STORE_LEFT);
	assert_int_equal(apply(t, "b", "i7", "UP", 2, 6, 3000), SUB_STORE_STALE_SEQ);
	assert_int_equal(count_instances(t, "b"), 999);
	assert_int_equal(apply(t, "a", "i7", "UP", 3, 6, 3000), SUB_STORE_RENEWED);
	sub_store_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sub_store_apply_should_join_renew_update_and_leave),
		cmocka_unit_test(sub_store_apply_should_ignore_a_lower_seq),
		cmocka_unit_test(sub_store_apply_should_refuse_beyond_the_caps),
		cmocka_unit_test(sub_store_apply_should_refuse_past_the_per_service_cap_only),
		cmocka_unit_test(sub_store_apply_should_clamp_a_long_ttl_and_count_it),
		cmocka_unit_test(sub_store_view_should_move_a_service_index_only_for_its_service),
		cmocka_unit_test(sub_store_expire_should_remove_only_expired_instances),
		cmocka_unit_test(sub_store_expire_should_keep_the_deadline_of_small_renewals),
		cmocka_unit_test(sub_store_apply_should_find_each_instance_among_many),
		cmocka_unit_test(sub_store_set_stale_should_hold_expiry_and_refresh_windows),
		cmocka_unit_test(sub_store_drain_should_tell_changes_only_in_order),
		cmocka_unit_test(sub_store_apply_should_refuse_replays_in_strict_mode_also_after_a_leave),
		cmocka_unit_test(sub_store_apply_should_keep_a_lower_seq_out_after_a_leave),
		cmocka_unit_test(sub_store_apply_should_bound_the_tombstones),
		cmocka_unit_test(sub_store_remove_should_keep_an_instance_its_match_refuses),
		cmocka_unit_test(sub_store_apply_should_keep_what_a_renewal_brings),
		cmocka_unit_test(sub_store_expire_should_ignore_steps_of_the_wall_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
