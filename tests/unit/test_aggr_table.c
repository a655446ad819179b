/* The aggregator's member table (aggregator/aggr_table.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/aggr_table.h"

#define INTERVAL 1000

static struct subscriber_instance instance(const char *service, const char *id, int port)
{
	return (struct subscriber_instance){
		.service = service,
		.instance_id = id,
		.address = "127.0.0.1",
		.port = port,
		.state = SUBSCRIBER_UP,
		.ttl = 3,
	};
}

/* What aggr_table_read saw: a copy of the names and states, in order. */
struct seen {
	size_t n;
	char ids[8][64];
	enum subscriber_state states[8];
	bool healthy[8];
	char errors[8][AGGR_TABLE_ERROR_MAX];
};

static void seen_fn(void *ctx, const struct aggr_member *const *m, size_t n)
{
	struct seen *s = ctx;
	s->n = n;
	for (size_t i = 0; i < n && i < 8; i++) {
		snprintf(s->ids[i], sizeof(s->ids[i]), "%s/%s", m[i]->service, m[i]->instance_id);
		s->states[i] = m[i]->state;
		s->healthy[i] = m[i]->checked && m[i]->healthy;
		snprintf(s->errors[i], sizeof(s->errors[i]), "%s", m[i]->error);
	}
}

static struct seen seen(struct aggr_table *t)
{
	struct seen s = {0};
	aggr_table_read(t, seen_fn, &s);
	return s;
}

static void aggr_table_upsert_should_keep_members_sorted_and_check_new_ones_at_once(void **state)
{
	struct aggr_table *t = aggr_table_new(10, INTERVAL, 0);
	struct subscriber_instance b = instance("svc", "b", 2), a = instance("svc", "a", 1),
				   z = instance("other", "z", 3);
	struct aggr_job jobs[4];
	struct seen s;
	(void)state;

	assert_int_equal(aggr_table_upsert(t, &b, 0), 1);
	assert_int_equal(aggr_table_upsert(t, &a, 0), 1);
	assert_int_equal(aggr_table_upsert(t, &z, 0), 1);
	/* A state change alone is no reason for a check. */
	b.state = SUBSCRIBER_OUT_OF_SERVICE;
	assert_int_equal(aggr_table_upsert(t, &b, 10), 0);
	s = seen(t);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.ids[0], "other/z");
	assert_string_equal(s.ids[1], "svc/a");
	assert_string_equal(s.ids[2], "svc/b");
	assert_int_equal(s.states[2], SUBSCRIBER_OUT_OF_SERVICE);
	assert_int_equal(aggr_table_next_due(t), 0);
	assert_int_equal(aggr_table_take_due(t, 0, jobs, 4), 3);
	assert_string_equal(jobs[1].url, "http://127.0.0.1:1/health");
	/* In flight: not handed out twice, and not due meanwhile. */
	assert_int_equal(aggr_table_take_due(t, 5000, jobs + 3, 1), 0);
	assert_int_equal(aggr_table_next_due(t), INT64_MAX);
	for (int i = 0; i < 3; i++)
		aggr_job_free(&jobs[i]);
	aggr_table_free(t);
}

static void aggr_table_take_due_should_hand_out_each_member_once_per_interval(void **state)
{
	struct aggr_table *t = aggr_table_new(10, INTERVAL, 0);
	struct subscriber_instance a = instance("svc", "a", 1);
	struct aggr_job job;
	(void)state;

	a.health_url = "http://127.0.0.1:9/ready";
	assert_int_equal(aggr_table_upsert(t, &a, 100), 1);
	assert_int_equal(aggr_table_take_due(t, 50, &job, 1), 0);
	assert_int_equal(aggr_table_take_due(t, 100, &job, 1), 1);
	assert_string_equal(job.url, "http://127.0.0.1:9/ready");
	aggr_table_record(t, &job, true, NULL, 1234);
	assert_true(seen(t).healthy[0]);
	assert_int_equal(aggr_table_next_due(t), 100 + INTERVAL);
	aggr_job_free(&job);
	assert_int_equal(aggr_table_take_due(t, 100 + INTERVAL - 1, &job, 1), 0);
	assert_int_equal(aggr_table_take_due(t, 100 + INTERVAL, &job, 1), 1);
	aggr_table_record(t, &job, false, "HTTP 503", 2234);
	assert_false(seen(t).healthy[0]);
	assert_string_equal(seen(t).errors[0], "HTTP 503");
	aggr_job_free(&job);
	aggr_table_free(t);
}

static void aggr_table_leave_should_keep_a_down_member_for_its_ttl_and_an_interval(void **state)
{
	struct aggr_table *t = aggr_table_new(10, INTERVAL, 0);
	struct subscriber_instance a = instance("svc", "a", 1);
	struct aggr_job job;
	(void)state;

	assert_int_equal(aggr_table_upsert(t, &a, 0), 1);
	assert_int_equal(aggr_table_take_due(t, 0, &job, 1), 1);
	aggr_table_record(t, &job, true, NULL, 1);
	aggr_job_free(&job);
	assert_int_equal(aggr_table_leave(t, &a, SUBSCRIBER_LEFT_DOWN, 500), 1);
	assert_int_equal(seen(t).states[0], SUBSCRIBER_DOWN);
	/* Checked at once, so that it shows unhealthy now. */
	assert_int_equal(aggr_table_take_due(t, 500, &job, 1), 1);
	aggr_table_record(t, &job, false, "HTTP 503", 501);
	aggr_job_free(&job);
	assert_int_equal(aggr_table_next_due(t), 500 + INTERVAL);
	/* Listed until its ttl (3 s) and one interval have passed. */
	assert_int_equal(aggr_table_take_due(t, 500 + 3000 + INTERVAL - 1, &job, 1), 1);
	aggr_table_record(t, &job, false, "refused", 4499);
	aggr_job_free(&job);
	assert_int_equal(seen(t).n, 1);
	assert_int_equal(aggr_table_take_due(t, 500 + 3000 + INTERVAL, &job, 1), 0);
	assert_int_equal(seen(t).n, 0);
	aggr_table_free(t);
}

static void aggr_table_upsert_should_bring_a_down_member_back_up(void **state)
{
	struct aggr_table *t = aggr_table_new(10, INTERVAL, 60000);
	struct subscriber_instance a = instance("svc", "a", 1);
	struct aggr_job job;
	(void)state;

	assert_int_equal(aggr_table_upsert(t, &a, 0), 1);
	assert_int_equal(aggr_table_leave(t, &a, SUBSCRIBER_LEFT_DOWN, 10), 1);
	assert_int_equal(aggr_table_take_due(t, 10, &job, 1), 1);
	/* It comes back while the check of its DOWN self is in flight: that
	 * result is not what it is now. */
	assert_int_equal(aggr_table_upsert(t, &a, 20), 1);
	aggr_table_record(t, &job, false, "refused", 30);
	aggr_job_free(&job);
	assert_int_equal(seen(t).states[0], SUBSCRIBER_UP);
	assert_string_equal(seen(t).errors[0], "");
	/* Kept with AGGREGATOR_KEEP_DOWN's minute, but back: it stays. */
	assert_int_equal(aggr_table_take_due(t, 120000, &job, 1), 1);
	aggr_job_free(&job);
	assert_int_equal(seen(t).n, 1);
	aggr_table_free(t);
}

static void aggr_table_leave_should_drop_at_once_on_connection_lost_and_expiry(void **state)
{
	struct aggr_table *t = aggr_table_new(10, INTERVAL, 0);
	struct subscriber_instance a = instance("svc", "a", 1), b = instance("svc", "b", 2);
	struct aggr_table_stats st;
	struct aggr_job job;
	(void)state;

	assert_int_equal(aggr_table_upsert(t, &a, 0), 1);
	assert_int_equal(aggr_table_upsert(t, &b, 0), 1);
	assert_int_equal(aggr_table_take_due(t, 0, &job, 1), 1);
	assert_int_equal(aggr_table_leave(t, &a, SUBSCRIBER_LEFT_CONNECTION_LOST, 1), 0);
	assert_int_equal(aggr_table_leave(t, &b, SUBSCRIBER_LEFT_EXPIRED, 1), 0);
	/* The result of a check of a member that is gone goes nowhere. */
	aggr_table_record(t, &job, true, NULL, 2);
	aggr_job_free(&job);
	aggr_table_stats(t, &st);
	assert_int_equal(st.members, 0);
	assert_int_equal(st.removed, 2);
	aggr_table_free(t);
}

static void aggr_table_upsert_should_refuse_and_count_past_the_cap(void **state)
{
	struct aggr_table *t = aggr_table_new(2, INTERVAL, 0);
	struct subscriber_instance a = instance("svc", "a", 1), b = instance("svc", "b", 2),
				   c = instance("svc", "c", 3);
	struct aggr_table_stats st;
	(void)state;

	assert_int_equal(aggr_table_upsert(t, &a, 0), 1);
	assert_int_equal(aggr_table_upsert(t, &b, 0), 1);
	assert_int_equal(aggr_table_upsert(t, &c, 0), -1);
	/* Full, but what is listed still takes its updates. */
	a.port = 11;
	assert_int_equal(aggr_table_upsert(t, &a, 0), 1);
	aggr_table_stats(t, &st);
	assert_int_equal(st.members, 2);
	assert_int_equal(st.refused, 1);
	aggr_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			aggr_table_upsert_should_keep_members_sorted_and_check_new_ones_at_once),
		cmocka_unit_test(aggr_table_take_due_should_hand_out_each_member_once_per_interval),
		cmocka_unit_test(
			aggr_table_leave_should_keep_a_down_member_for_its_ttl_and_an_interval),
		cmocka_unit_test(aggr_table_upsert_should_bring_a_down_member_back_up),
		cmocka_unit_test(
			aggr_table_leave_should_drop_at_once_on_connection_lost_and_expiry),
		cmocka_unit_test(aggr_table_upsert_should_refuse_and_count_past_the_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
