#ifndef DISCOVERY_REGISTRY_RDEPART_H
#define DISCOVERY_REGISTRY_RDEPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/rrender.h"

/*
 * Recent departures (leave, expiry, connection lost), oldest first, for
 * Eureka's delta (/eureka/apps/delta), which lists what left within its
 * window as DELETED. Bounded twice: an entry older than the window goes,
 * and past max the oldest goes first (counted). Each entry holds the
 * instance's last token (the table no longer has it) and a few numbers.
 * Not thread-safe: the change feed's lock covers it (rfeed).
 */
struct rdepart_entry {
	struct token *tok; /* owned (rrender_token_dup) */
	struct rrender_times tm;
	int ttl;
	int64_t left_at; /* wall ms */
	bool back;       /* the instance joined again since: not a departure now */
};

struct rdepart {
	struct rdepart_entry *v; /* a ring of max entries, allocated on first use */
	size_t max, head, count; /* head: the oldest */
	int64_t window_ms;
	uint64_t evicted; /* dropped before the end of their window: the ring was full */
};

/* An empty ring of at most max entries kept window_ms each. */
void rdepart_init(struct rdepart *d, size_t max, int64_t window_ms);
void rdepart_free(struct rdepart *d);

/* Remembers one departure at wall time now; takes tok (an
 * rrender_token_dup), freed here when it cannot be kept (no memory). */
void rdepart_put(struct rdepart *d, struct token *tok, const struct rrender_times *tm, int ttl,
		 int64_t now);
/* Drops the entries whose window ended before wall time now. */
void rdepart_prune(struct rdepart *d, int64_t now);
/* The instance of that service and id joined again: its departures are
 * no longer (Eureka lists it ADDED, not DELETED). */
void rdepart_back(struct rdepart *d, const char *service, const char *instance_id);
/* The i-th entry kept, oldest first (i < d->count). */
const struct rdepart_entry *rdepart_at(const struct rdepart *d, size_t i);

#endif
