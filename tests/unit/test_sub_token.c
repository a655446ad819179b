#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "subscriber/sub_int.h"

/* Deliveries are made by hand: the session is never opened, so it has no
 * current message and therefore no headers (no x-signature). */
struct fixture {
	struct subscriber *sub;
};

static int setup_with(void **state, struct subscriber_options opts)
{
	static struct fixture f;

	opts.amqp_url = "amqp://guest:guest@127.0.0.1:1/";
	f.sub = subscriber_new(&opts);
	if (!f.sub)
		return -1;
	*state = &f;
	return 0;
}

static int setup_plain(void **state)
{
	return setup_with(state, (struct subscriber_options){ .exchange = "discovery" });
}

static int setup_signed(void **state)
{
	return setup_with(state, (struct subscriber_options){ .secret = "s3cret" });
}

static int setup_legacy(void **state)
{
	return setup_with(state, (struct subscriber_options){ .legacy_queue = "discovery",
							      .legacy_service = "acct",
							      .legacy_ttl_s = 90 });
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	subscriber_free(f->sub);
	return 0;
}

static void deliver(struct fixture *f, const char *exchange, const char *key, const char *body)
{
	struct amqp_session_delivery d = { exchange, key, body, strlen(body), NULL };

	sub_token_handle(f->sub, &d, 1000);
}

static int reason_of(const char *name)
{
	for (int i = 0; i < SUBSCRIBER_REJECT_COUNT; i++)
		if (strcmp(subscriber_reject_name(i), name) == 0)
			return i;
	fail_msg("no reason %s", name);
	return -1;
}

struct seen {
	int count;
	int ttl;
	char address[64];
};

static void note(void *ctx, const struct subscriber_instance *in, void *data)
{
	struct seen *s = ctx;

	(void)data;
	s->count++;
	s->ttl = in->ttl;
	strcpy(s->address, in->address);
}

static struct seen listed(struct fixture *f, const char *service)
{
	struct seen s = { 0 };

	subscriber_foreach(f->sub, service, note, &s, NULL);
	return s;
}

static void sub_token_handle_should_apply_a_valid_token_and_a_down(void **state)
{
	struct fixture *f = *state;
	struct subscriber_stats st;

	deliver(f, "discovery", "discovery.acct.up",
		"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":6767,\"seq\":1}");
	assert_int_equal(listed(f, "acct").count, 1);
	deliver(f, "discovery", "discovery.acct.down",
		"{\"state\":\"DOWN\",\"address\":\"10.0.0.5\",\"port\":6767,\"seq\":2}");
	assert_int_equal(listed(f, "acct").count, 0);
	subscriber_stats(f->sub, &st);
	assert_int_equal(st.received, 2);
	assert_int_equal(st.applied, 2);
	assert_int_equal(st.outcomes[SUB_STORE_JOINED], 1);
	assert_int_equal(st.outcomes[SUB_STORE_LEFT], 1);
}

static void sub_token_handle_should_count_each_rejection_by_reason(void **state)
{
	struct fixture *f = *state;
	struct subscriber_stats st;

	deliver(f, "discovery", "discovery.acct.up", "not json");
	deliver(f, "discovery", "discovery.acct.up", "[1]");
	deliver(f, "discovery", "discovery.acct.up", "{\"state\":\"UP\",\"address\":\"nope\"}");
	deliver(f, "discovery", "discovery.acct.up", "{\"state\":\"SLEEPING\",\"address\":\"10.0.0.5\"}");
	deliver(f, "discovery", "discovery.Bad_Name.up", "{\"state\":\"UP\",\"address\":\"10.0.0.5\"}");
	subscriber_stats(f->sub, &st);
	assert_int_equal(st.received, 5);
	assert_int_equal(st.applied, 0);
	assert_int_equal(st.rejected[reason_of("not_json")], 1);
	assert_int_equal(st.rejected[reason_of("not_object")], 1);
	assert_int_equal(st.rejected[reason_of("bad_address")], 1);
	assert_int_equal(st.rejected[reason_of("bad_state")], 1);
	assert_int_equal(st.rejected[reason_of("bad_routing_key")], 1);
	assert_int_equal(listed(f, "acct").count, 0);
}

static void sub_token_handle_should_ignore_sync_requests(void **state)
{
	struct fixture *f = *state;
	struct subscriber_stats st;

	deliver(f, "discovery", "discovery.sync", "{}");
	subscriber_stats(f->sub, &st);
	assert_int_equal(st.received, 0);
	for (int i = 0; i < SUBSCRIBER_REJECT_COUNT; i++)
		assert_int_equal(st.rejected[i], 0);
}

static void sub_token_handle_should_reject_unsigned_tokens_in_signed_mode(void **state)
{
	struct fixture *f = *state;
	struct subscriber_stats st;

	deliver(f, "discovery", "discovery.acct.up",
		"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"ts\":1000}");
	subscriber_stats(f->sub, &st);
	assert_int_equal(st.rejected[SUB_TOKEN_UNSIGNED], 1);
	assert_int_equal(st.applied, 0);
	assert_int_equal(listed(f, "acct").count, 0);
}

static void sub_token_handle_should_give_legacy_tokens_their_service_and_ttl(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	deliver(f, "", "discovery", "{\"state\":\"UP\",\"address\":\"10.0.0.9\"}");
	s = listed(f, "acct");
	assert_int_equal(s.count, 1);
	assert_int_equal(s.ttl, 90);
	assert_string_equal(s.address, "10.0.0.9");
	/* A legacy token with its own ttl keeps it. */
	deliver(f, "", "discovery", "{\"state\":\"UP\",\"address\":\"10.0.0.9\",\"ttl\":7}");
	assert_int_equal(listed(f, "acct").ttl, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sub_token_handle_should_apply_a_valid_token_and_a_down,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(sub_token_handle_should_count_each_rejection_by_reason,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(sub_token_handle_should_ignore_sync_requests,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(sub_token_handle_should_reject_unsigned_tokens_in_signed_mode,
						setup_signed, teardown),
		cmocka_unit_test_setup_teardown(sub_token_handle_should_give_legacy_tokens_their_service_and_ttl,
						setup_legacy, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
