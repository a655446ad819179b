#ifndef DISCOVERY_TESTS_SUB_FIXTURE_H
#define DISCOVERY_TESTS_SUB_FIXTURE_H

/* A subscriber that never connects, with the registry's change feed as its
 * host, for the registry's unit tests: tokens go straight into its table
 * (sub_apply), and the change feed hears of them as it would from the
 * feed's thread. Include after <cmocka.h>. */
#include "registry/rfeed.h"
#include "subscriber/sub_int.h"
#include "tests/unit/store_fixture.h"

/* wall_ms: the clock of the table's readable fields (NULL: the real one);
 * first_index: the index before the first change; events, departures: how
 * many the change feed keeps (0: its defaults). The table is not stale, as
 * after a connect. */
static inline struct subscriber *sub_new_with(int64_t (*wall_ms)(void), uint64_t first_index,
					      size_t events, size_t departures)
{
	struct rfeed *feed = rfeed_new(events, first_index, departures, wall_ms);
	struct subscriber_options o = {
		.amqp_url = "amqp://guest:guest@127.0.0.1:1/",
		.data = feed,
	};
	struct subscriber *sub;

	assert_non_null(feed);
	rfeed_callbacks(&o.callbacks);
	sub = subscriber_new(&o);
	assert_non_null(sub);
	sub_store_free(sub->store);
	sub->store = sub_store_new(&(struct sub_store_limits){
		.wall_ms = wall_ms,
		.first_index = first_index,
		.attach = subscriber__attach,
		.detach = subscriber__detach,
		.hook_ctx = sub,
	});
	assert_non_null(sub->store);
	sub_store_set_stale(sub->store, false, 0);
	return sub;
}

static inline struct subscriber *sub_new(int64_t (*wall_ms)(void))
{
	return sub_new_with(wall_ms, 0, 0, 0);
}

static inline void sub_free(struct subscriber *sub)
{
	struct rfeed *feed = subscriber_data(sub);

	subscriber_free(sub);
	rfeed_free(feed);
}

static inline int sub_apply(struct subscriber *sub, const char *service, const char *id,
		     const char *state, int64_t seq, int ttl, int64_t now)
{
	struct token tok = make(service, id, state, seq, ttl);
	int rc = sub_store_apply(sub->store, &tok, now);

	token_clear(&tok);
	subscriber__drain(sub);
	return rc;
}

#endif
