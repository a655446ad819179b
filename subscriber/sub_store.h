#ifndef DISCOVERY_SUBSCRIBER_SUB_STORE_H
#define DISCOVERY_SUBSCRIBER_SUB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/subscriber.h"
#include "token.h"

/*
 * The live instance table: instances keyed by service and instanceId, their
 * expiry, a table index and a per-service index. No view: what the host
 * keeps per instance comes from its attach hook, and every change is queued
 * for sub_store_drain(), which tells it with the lock released.
 *
 * Thread-safe: one mutex guards everything. The changes are made by one
 * thread (the feed's), which drains them after each call, in order.
 *
 * Indexes: every change (join, update, leave, expire) increments the table
 * index; the service changed takes the new value as its own index, so a
 * service's index moves only when that service changes, and both only grow.
 * A pure renewal (same state, address, port and descriptive fields) refreshes
 * lastSeen, expiresAt and seq without moving any index: watchers wake for
 * changes, not for heartbeats. Each change is also one queued change whose
 * index is the table index it produced.
 */
struct sub_store;

struct sub_store_limits {
	size_t max_instances;   /* 0: 50000 (about 10 KB each at 4 KB tokens) */
	size_t max_services;    /* 0: 10000 */
	size_t max_per_service; /* instances of one service; 0: 10000 */
	int max_ttl_s;          /* a longer ttl is clamped to it; 0: 300 */
	/* Signed mode: a seq not above the last seen is a replay, and a
	 * token without a seq has none to compare (the decoder refuses it). */
	bool strict_seq;
	/* How long a departed instance's last seq is kept beyond its ttl
	 * (the signed mode's clock-skew window); 0: 30 s. */
	int64_t tombstone_ms;
	size_t max_tombstones; /* 0: 100000 */
	/* The clock of the fields people read (firstSeen, lastSeen,
	 * expiresAt); NULL: timing_wall_ms. Every deadline runs on the now_ms
	 * the callers pass, a monotonic clock, so that a step of the wall
	 * clock (NTP, a resumed VM) expires nothing early and nothing late. */
	int64_t (*wall_ms)(void);
	/* The index before the first change, and the index of a service that
	 * has none yet. The registry starts it from the wall clock in
	 * microseconds, so that an index never goes backwards across
	 * restarts; 0: 0. */
	uint64_t first_index;
	/* The host's per-instance data (subscriber_callbacks.attach, detach),
	 * called under the lock with ctx; both may be NULL. */
	void *(*attach)(void *ctx, const struct subscriber_instance *in);
	void (*detach)(void *ctx, void *data);
	void *hook_ctx;
};

/* The cap that refused a new instance (or its new service), in the order
 * of subscriber_cap_name(). */
enum sub_store_cap {
	SUB_STORE_CAP_INSTANCES,
	SUB_STORE_CAP_SERVICES,
	SUB_STORE_CAP_PER_SERVICE,
};
#define SUB_STORE_CAP_COUNT SUBSCRIBER_CAP_COUNT

/* In the order of subscriber_outcome_name(). */
enum sub_store_outcome {
	SUB_STORE_JOINED,
	SUB_STORE_UPDATED,
	SUB_STORE_RENEWED,
	SUB_STORE_LEFT,
	SUB_STORE_STALE_SEQ,  /* seq lower than the last seen: ignored */
	SUB_STORE_ABSENT,     /* DOWN for an instance not in the table: no-op */
	SUB_STORE_FULL,       /* a cap refused a new instance or service */
	SUB_STORE_REPLAYED,   /* strict_seq: seq not above the last seen, also of one
			     that left (tombstones): ignored */
};
#define SUB_STORE_OUTCOME_COUNT SUBSCRIBER_OUTCOME_COUNT
_Static_assert(SUB_STORE_REPLAYED + 1 == SUB_STORE_OUTCOME_COUNT, "an outcome without a name");


/* Fills out's token fields from tok (borrowed); the times and index are
 * the caller's. */
void sub_store_describe(const struct token *tok, struct subscriber_instance *out);

struct sub_store *sub_store_new(const struct sub_store_limits *limits)
	__attribute__((warn_unused_result));
void sub_store_free(struct sub_store *t);

/* One change, as sub_store_drain() tells it: kind is SUB_STORE_JOINED,
 * SUB_STORE_UPDATED or SUB_STORE_LEFT; reason says why one left. */
typedef void (*sub_store_change_fn)(void *ctx, enum sub_store_outcome kind,
				    const struct subscriber_instance *in,
				    enum subscriber_leave_reason reason);
/* Tells fn, with the lock released, every change queued since the last
 * drain, oldest first. A change that could not be queued (no memory) is
 * lost to the hooks, never to the table. */
void sub_store_drain(struct sub_store *t, sub_store_change_fn fn, void *ctx);

/* Applies a decoded token at monotonic time now_ms: an outcome, or
 * TOKEN_ERR_NO_MEMORY (TOKEN_ERR_BAD_FIELD for an instanceId longer than
 * TOKEN_TEXT_MAX, which no decoded token has). A ttl above max_ttl_s is kept as max_ttl_s (and
 * listed so). A new instance past a cap is SUB_STORE_FULL and changes nothing. */
int sub_store_apply(struct sub_store *t, const struct token *tok, int64_t now_ms)
	__attribute__((warn_unused_result));

/*
 * Removes one instance at once (event "leave" with reason) when match,
 * called under the table's lock with the instance's latest token, returns
 * 0 (match NULL: always). Returns 1 when removed, 0 when there is no such
 * instance, or match's negative answer (the instance stays).
 */
typedef int (*sub_store_match_fn)(void *ctx, const struct token *latest);
int sub_store_remove(struct sub_store *t, const char *service, const char *instance_id,
		     sub_store_match_fn match, void *ctx, enum subscriber_leave_reason reason,
		     int64_t now_ms);

/*
 * Removes the instances whose expiresAt <= now_ms (event "expire", reason
 * "expired") and copies up to max of them into out (the caller
 * token_clear()s each) so that it can announce them. Returns how many were
 * copied; more remain for the next call when it equals max. Does nothing
 * while the table is stale.
 */
size_t sub_store_expire(struct sub_store *t, int64_t now_ms, struct token *out,
			size_t max);
/* When the next expiry may be due, monotonic ms (INT64_MAX when none):
 * never after it, perhaps up to the heap's precision (0.5 s) before it. */
int64_t sub_store_next_expiry(struct sub_store *t);

/*
 * Self-preservation. stale=true: the feed is down, nothing expires and
 * answers say "stale":true. stale=false: every instance gets a fresh ttl
 * window from now_ms, so expiry resumes from tokens received from now on.
 */
void sub_store_set_stale(struct sub_store *t, bool stale, int64_t now_ms);

/* Fills the table's figures of out (index … stale), leaving the others. */
void sub_store_stats(struct sub_store *t, struct subscriber_stats *out);

/* The index and staleness of the table (service NULL) or of one service
 * (first_index when unknown), under one lock. */
void sub_store_view(struct sub_store *t, const char *service, struct subscriber_view *out);

/*
 * Walks under the table's lock, so fn sees one consistent state and must
 * not call into the table. view (may be NULL) gets what the walk saw.
 * sub_store_foreach_service: every service with instances, by name, with
 * its counts by token_state; view->index is the table index.
 * sub_store_foreach: the instances of one service (NULL: of every service,
 * by service) by instanceId, each with its attached data; view->index is
 * the service's index (the table's for NULL).
 */
void sub_store_foreach_service(struct sub_store *t, subscriber_service_fn fn, void *ctx,
			       struct subscriber_view *view);
void sub_store_foreach(struct sub_store *t, const char *service, subscriber_instance_fn fn,
		       void *ctx, struct subscriber_view *view);

#endif
