#ifndef DISCOVERY_REGISTRY_TABLE_H
#define DISCOVERY_REGISTRY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/render.h"
#include "token.h"

/*
 * The live instance table: instances keyed by service and instanceId, their
 * expiry, a table index and a per-service index, and a ring of change events.
 *
 * Thread-safe: one mutex guards everything; the notify hook runs after the
 * mutex is released, so it may call back into the table.
 *
 * Indexes: every change (join, update, leave, expire) increments the table
 * index; the service changed takes the new value as its own index, so a
 * service's index moves only when that service changes, and both only grow.
 * A pure renewal (same state, address, port and descriptive fields) refreshes
 * lastSeen, expiresAt and seq without moving any index: watchers wake for
 * changes, not for heartbeats. Each change is also one event whose id is the
 * table index it produced.
 */
struct table;

struct table_limits {
	size_t max_instances;   /* 0: 50000 (about 10 KB each at 4 KB tokens) */
	size_t max_services;    /* 0: 10000 */
	size_t max_per_service; /* instances of one service; 0: 10000 */
	int max_ttl_s;          /* a longer ttl is clamped to it; 0: 300 */
	size_t event_capacity;  /* events kept for Last-Event-ID; 0: 4096 */
	/* Signed mode: a seq not above the last seen is a replay, and a
	 * token without a seq has none to compare (the decoder refuses it). */
	bool strict_seq;
	/* How long a departed instance's last seq is kept beyond its ttl
	 * (the signed mode's clock-skew window); 0: 30 s. */
	int64_t tombstone_ms;
	size_t max_tombstones; /* 0: 100000 */
	/* Departures remembered for Eureka's delta, each for delta_window_ms
	 * (0: 180000, Eureka's); 0: 10000. */
	size_t max_departures;
	int64_t delta_window_ms;
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
};

/* The cap that refused a new instance (or its new service). */
enum table_cap {
	TABLE_CAP_INSTANCES,
	TABLE_CAP_SERVICES,
	TABLE_CAP_PER_SERVICE,
};
#define TABLE_CAP_COUNT 3
/* "max_instances", "max_services", "max_per_service". */
const char *table_cap_name(enum table_cap c);

enum table_outcome {
	TABLE_JOINED,
	TABLE_UPDATED,
	TABLE_RENEWED,
	TABLE_LEFT,
	TABLE_STALE_SEQ,  /* seq lower than the last seen: ignored */
	TABLE_ABSENT,     /* DOWN for an instance not in the table: no-op */
	TABLE_FULL,       /* a cap refused a new instance or service */
	TABLE_REPLAYED,   /* strict_seq: seq not above the last seen, also of one
			     that left (tombstones): ignored */
};
#define TABLE_OUTCOME_COUNT 8
const char *table_outcome_name(enum table_outcome o);

struct table_stats {
	uint64_t index;
	size_t instances;
	size_t services; /* with at least one instance */
	uint64_t joins, updates, leaves, expiries, refused;
	uint64_t conflicts; /* tokens of a second live process with the same instanceId */
	size_t tombstones;
	uint64_t tombstones_evicted; /* dropped early: the set was full */
	size_t departures;	     /* remembered for Eureka's delta */
	uint64_t departures_evicted; /* dropped before their window ended: full */
	uint64_t refused_by[TABLE_CAP_COUNT]; /* refused, by cap */
	uint64_t ttl_clamped; /* applied tokens whose ttl was above max_ttl_s */
	bool stale;
};

typedef void (*table_notify_fn)(void *ctx, const char *service);

struct table *table_new(const struct table_limits *limits)
	__attribute__((warn_unused_result));
void table_free(struct table *t);

/* Called after every change with the service that changed. */
void table_set_notify(struct table *t, table_notify_fn fn, void *ctx);

/* Applies a decoded token at wall time now_ms: an outcome, or
 * TOKEN_ERR_NO_MEMORY. A ttl above max_ttl_s is kept as max_ttl_s (and
 * listed so). A new instance past a cap is TABLE_FULL and changes nothing. */
int table_apply(struct table *t, const struct token *tok, int64_t now_ms)
	__attribute__((warn_unused_result));

/*
 * Removes one instance at once (event "leave" with reason) when match,
 * called under the table's lock with the instance's latest token, returns
 * 0 (match NULL: always). Returns 1 when removed, 0 when there is no such
 * instance, or match's negative answer (the instance stays).
 */
typedef int (*table_match_fn)(void *ctx, const struct token *latest);
int table_remove(struct table *t, const char *service, const char *instance_id,
		 table_match_fn match, void *ctx, const char *reason, int64_t now_ms);

/*
 * Removes the instances whose expiresAt <= now_ms (event "expire", reason
 * "expired") and copies up to max of them into out (the caller
 * token_clear()s each) so that it can announce them. Returns how many were
 * copied; more remain for the next call when it equals max. Does nothing
 * while the table is stale.
 */
size_t table_expire(struct table *t, int64_t now_ms, struct token *out,
		    size_t max);
/* Milliseconds until the next expiry (INT64_MAX when none). */
int64_t table_next_expiry(struct table *t);

/*
 * Self-preservation. stale=true: the feed is down, nothing expires and
 * answers say "stale":true. stale=false: every instance gets a fresh ttl
 * window from now_ms, so expiry resumes from tokens received from now on.
 */
void table_set_stale(struct table *t, bool stale, int64_t now_ms);
bool table_is_stale(struct table *t);

uint64_t table_index(struct table *t);
uint64_t table_service_index(struct table *t, const char *service);
void table_stats(struct table *t, struct table_stats *out);

/* What a listing saw, read under the lock of its walk. */
struct table_view {
	uint64_t index; /* the table's, or the service's for one service */
	bool stale;
};

/* The index and staleness of the table (service NULL) or of one service
 * (index 0 when unknown), under one lock. */
void table_view(struct table *t, const char *service, struct table_view *out);

/*
 * Walks under the table's lock, so fn sees one consistent state and must
 * not call into the table. view (may be NULL) gets what the walk saw.
 * table_foreach_service: every service with instances, by name, with its
 * counts by token_state; view->index is the table index.
 * table_foreach_instance: the instances of one service by instanceId, each
 * with its rendered fragment (borrowed: render_frag_ref() it to keep it
 * past the walk); view->index is the service's index.
 */
typedef void (*table_service_fn)(void *ctx, const char *service, const size_t counts[4]);
typedef void (*table_instance_fn)(void *ctx, const struct token *tok,
				  const struct render_times *tm, struct render_frag *frag);
void table_foreach_service(struct table *t, table_service_fn fn, void *ctx,
			   struct table_view *view);
void table_foreach_instance(struct table *t, const char *service, table_instance_fn fn,
			    void *ctx, struct table_view *view);
/* Every instance of every service, by service then instanceId; view->index
 * is the table index. */
void table_foreach_every_instance(struct table *t, table_instance_fn fn, void *ctx,
				  struct table_view *view);
/*
 * For Eureka's delta, under one lock: every instance (as
 * table_foreach_every_instance), then each departure of the last
 * delta_window_ms whose instance is not back, oldest first. *since gets
 * the window's start, wall ms, before fn is first called; view->index is
 * the table index.
 */
typedef void (*table_departure_fn)(void *ctx, struct render_frag *frag,
				   const struct render_times *tm, int ttl, int64_t left_at);
void table_foreach_recent(struct table *t, table_instance_fn fn, table_departure_fn departed,
			  void *ctx, struct table_view *view, int64_t *since);
/* Can the events after `after` still be replayed: after is the current
 * index, or no older than the oldest event kept, and not ahead. */
bool table_event_resumable(struct table *t, uint64_t after);

/*
 * The first event with id > after, as an SSE frame ("id: …\nevent: …\n
 * data: …\n\n"), malloc()ed into *frame, its id in *id. Returns 1, or 0
 * when there is none yet, or TOKEN_ERR_NO_MEMORY. When after is older than
 * the ring, delivery restarts at the oldest event kept.
 */
int table_event_after(struct table *t, uint64_t after, char **frame,
		      uint64_t *id) __attribute__((warn_unused_result));

#endif
