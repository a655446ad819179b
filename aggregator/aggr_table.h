#ifndef DISCOVERY_AGGR_TABLE_H
#define DISCOVERY_AGGR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <discovery/subscriber.h>

/*
 * The aggregator's members: what the subscriber's callbacks said about
 * each instance, and what its last health check found. It is a table of
 * its own, not the subscriber's, because it keeps what the subscriber
 * drops: an instance that said DOWN stays listed (state DOWN) and checked
 * for keep_down_ms, or its ttl plus one interval, so that an instance
 * flipped unhealthy shows as healthy:false rather than vanishing; one
 * whose connection was lost or whose ttl ran out goes at once.
 *
 * Kept sorted by service and instanceId, bounded (max members: a new one
 * past it is refused and counted), behind one lock: the subscriber's
 * thread writes it, the checker takes due checks and records results, the
 * HTTP thread reads it. Times: *_mono on the monotonic clock, checked_at
 * on the wall clock, all in milliseconds.
 */
#define AGGR_TABLE_ERROR_MAX 64

struct aggr_member {
	char *service, *instance_id, *address, *url; /* url: what is checked */
	int port;
	enum subscriber_state state;
	int ttl_s;
	bool left; /* it said DOWN: listed until keep_until_mono */
	int64_t keep_until_mono;
	int64_t due_mono; /* its next check */
	bool in_flight;
	bool checked; /* a check has finished */
	bool healthy;
	int64_t checked_at;		  /* wall ms of the last finished check */
	char error[AGGR_TABLE_ERROR_MAX]; /* "" when the last check passed */
	uint64_t serial;		  /* changes when what is checked changes */
};

struct aggr_table_stats {
	size_t members, healthy, left;
	uint64_t refused; /* new members past the cap */
	uint64_t removed; /* members that left, kept ones included */
};

/* One check to run: what to fetch, and whom the result is for. */
struct aggr_job {
	char *service, *instance_id, *url;
	uint64_t serial;
};

struct aggr_table;

struct aggr_table *aggr_table_new(size_t max_members, int64_t interval_ms, int64_t keep_down_ms)
	__attribute__((warn_unused_result));
void aggr_table_free(struct aggr_table *t);

/*
 * A join or an update: the member is new (or comes back after a DOWN) or
 * its description changed. Returns 1 when a check is due at once (a new
 * member, or its address or health URL changed), 0 when not, -1 when it
 * was refused (the table is full, or no memory).
 */
int aggr_table_upsert(struct aggr_table *t, const struct subscriber_instance *in, int64_t now_mono)
	__attribute__((warn_unused_result));
/* A leave: with SUBSCRIBER_LEFT_DOWN the member stays, DOWN and due for a
 * check at once (returns 1); otherwise it goes (returns 0). */
int aggr_table_leave(struct aggr_table *t, const struct subscriber_instance *in,
		     enum subscriber_leave_reason reason, int64_t now_mono);

/* Drops the kept members whose time is up, then hands out up to max due
 * checks (in jobs, each to aggr_job_free) and marks them in flight. */
size_t aggr_table_take_due(struct aggr_table *t, int64_t now_mono, struct aggr_job *jobs,
			   size_t max);
/* The result of a job (error NULL or "" when healthy); a member that
 * left or came back since is not touched. */
void aggr_table_record(struct aggr_table *t, const struct aggr_job *job, bool healthy,
		       const char *error, int64_t checked_at);
void aggr_job_free(struct aggr_job *job);
/* When the next check or removal is due (INT64_MAX: nothing). */
int64_t aggr_table_next_due(struct aggr_table *t);

/* fn gets the members, sorted, with the table locked. */
typedef void (*aggr_table_read_fn)(void *ctx, const struct aggr_member *const *members, size_t n);
void aggr_table_read(struct aggr_table *t, aggr_table_read_fn fn, void *ctx);
void aggr_table_stats(struct aggr_table *t, struct aggr_table_stats *out);

#endif
