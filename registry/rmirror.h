#ifndef DISCOVERY_REGISTRY_RMIRROR_H
#define DISCOVERY_REGISTRY_RMIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "discovery/subscriber.h"

/*
 * The out-bridge (REGISTRY_LEGACY_OUT_QUEUE): every join and every
 * departure of the services it mirrors, written to a plain queue in the
 * blog series' form, {"state":"UP","address":"10.0.0.5"} or "DOWN", for
 * consumers that know nothing else (eriklupander/turbine-amqp-plugin).
 * Its tap runs on the subscriber's thread (rfeed_set_tap) and writes over
 * the subscriber's own connection; the counters may be read from any
 * thread.
 */
struct rmirror;

/* queue: the queue's name; services: comma-separated names ("": all);
 * ttl_ms: how long a message waits in the queue for a reader (0: for
 * ever). NULL with a sentence in err on a bad name or no memory. */
struct rmirror *rmirror_new(const char *queue, const char *services, int64_t ttl_ms, char *err,
			    size_t errlen) __attribute__((warn_unused_result));
void rmirror_free(struct rmirror *m);

/* An rfeed_tap_fn, ctx the mirror. */
void rmirror_tap(void *ctx, struct subscriber *sub, const char *event,
		 const struct subscriber_instance *in);

/* Messages written to the queue, and those the broker connection did not
 * take (the feed down, or the publish refused). */
struct rmirror_counts {
	uint64_t written, failed;
};
void rmirror_counts(const struct rmirror *m, struct rmirror_counts *out);

#endif
