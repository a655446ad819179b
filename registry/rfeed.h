#ifndef DISCOVERY_REGISTRY_RFEED_H
#define DISCOVERY_REGISTRY_RFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/subscriber.h"
#include "registry/rrender.h"

/*
 * The registry's change feed, fed by the subscriber's callbacks: every
 * join, update and leave becomes an SSE frame in a ring (for /events and
 * Last-Event-ID) whose id is the table index the change produced, and
 * wakes the watchers of its service; a departure is also remembered for
 * Eureka's delta (rdepart). It also keeps, per instance, the rendered JSON
 * the listings are built from (the subscriber's attach and detach hooks).
 * Thread-safe: ring and departures have their own lock, and nothing here
 * calls into the subscriber.
 */
struct rfeed;

/* first_index: the subscriber's, the index before the first change;
 * max_departures: departures kept for Eureka's delta (0: 10000); wall_ms:
 * the clock of their window, the subscriber's (NULL: timing_wall_ms). */
struct rfeed *rfeed_new(size_t event_capacity, uint64_t first_index, size_t max_departures,
			int64_t (*wall_ms)(void)) __attribute__((warn_unused_result));
void rfeed_free(struct rfeed *f);

/* The callbacks to give the subscriber, whose data must be the feed. */
void rfeed_callbacks(struct subscriber_callbacks *out);

/* Called after every change with the service that changed; set before the
 * subscriber starts, cleared after it stopped. */
typedef void (*rfeed_notify_fn)(void *ctx, const char *service);
void rfeed_set_notify(struct rfeed *f, rfeed_notify_fn fn, void *ctx);

/* Called on the subscriber's thread after every change is recorded, with
 * the event's name ("join", "update", "leave", "expire"): for whoever
 * passes changes on (rmirror). Set before the subscriber starts. */
typedef void (*rfeed_tap_fn)(void *ctx, struct subscriber *sub, const char *event,
			     const struct subscriber_instance *in);
void rfeed_set_tap(struct rfeed *f, rfeed_tap_fn fn, void *ctx);

/* The id of the newest event (the index before the first one when none). */
uint64_t rfeed_index(struct rfeed *f);
/* Can the events after `after` still be replayed: after is the newest
 * event's id, or no older than the oldest kept, and not ahead. */
bool rfeed_resumable(struct rfeed *f, uint64_t after);
/*
 * The first event with id > after, as an SSE frame ("id: …\nevent: …\n
 * data: …\n\n"), malloc()ed into *frame, its id in *id. Returns 1, 0 when
 * there is none yet, or -1 on no memory. When after is older than the
 * ring, delivery restarts at the oldest event kept.
 */
int rfeed_event_after(struct rfeed *f, uint64_t after, char **frame, uint64_t *id)
	__attribute__((warn_unused_result));

/*
 * The departures of the last 3 minutes (Eureka's delta window) whose
 * instance did not join again, oldest first, under the feed's lock: fn
 * must not call into the feed. *since gets the window's start, wall ms.
 */
typedef void (*rfeed_departure_fn)(void *ctx, const struct token *tok,
				   const struct rrender_times *tm, int ttl, int64_t left_at);
void rfeed_foreach_departure(struct rfeed *f, rfeed_departure_fn fn, void *ctx, int64_t *since);

struct rfeed_stats {
	size_t departures;	     /* remembered for Eureka's delta */
	uint64_t departures_evicted; /* dropped before their window ended: full */
};
void rfeed_stats(struct rfeed *f, struct rfeed_stats *out);

#endif
