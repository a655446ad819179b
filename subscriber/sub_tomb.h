#ifndef DISCOVERY_SUBSCRIBER_SUB_TOMB_H
#define DISCOVERY_SUBSCRIBER_SUB_TOMB_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

/*
 * Tombstones: the last seq of instances that left, kept for a while, so
 * that a token captured before an instance's DOWN (or before it expired or
 * lost its connection) cannot bring it back when replayed. Bounded: past
 * max, the tombstone that would end first goes first. Not thread-safe: the
 * table's lock covers it.
 */
struct sub_tomb {
	void *tree;        /* tsearch tree of struct sub_tomb_entry, by key */
	struct heap heap; /* .at: when each one ends */
	size_t count, max;
	uint64_t evicted;  /* dropped early because the set was full */
};

/* An empty set holding at most max (0: none at all). */
void sub_tomb_init(struct sub_tomb *r, size_t max);
void sub_tomb_free(struct sub_tomb *r);

/* Remembers seq for the instance until until_ms (replacing an older one).
 * Quietly keeps nothing when out of memory. */
void sub_tomb_put(struct sub_tomb *r, const char *service, const char *instance_id, int64_t seq,
	       int64_t until_ms);
/* The remembered seq, or -1 when there is none (ended ones are dropped
 * first, at now_ms). */
int64_t sub_tomb_seq(struct sub_tomb *r, const char *service, const char *instance_id,
		  int64_t now_ms);
/* Drops the tombstone of an instance that is back. */
void sub_tomb_forget(struct sub_tomb *r, const char *service, const char *instance_id);

#endif
