#ifndef DISCOVERY_REGISTRY_RWAIT_H
#define DISCOVERY_REGISTRY_RWAIT_H

#include <stdint.h>

#include "registry/rwatch.h"

/*
 * The suspended waiters of rwatch, indexed twice so that no operation
 * walks the ones it does not concern:
 *
 * - by service: a change of one service finds that service's waiters and
 *   those that wait for any change (e->service NULL: event streams and
 *   blocking queries on /services), never the queries on other services;
 * - by deadline, in a binary heap: the watcher finds the waits that are
 *   due without looking at the others.
 *
 * An entry that waits for its socket to take more (want_write) is in the
 * heap only: no change wakes it.
 *
 * Adding and removing are O(log n) (the heap) plus a short hash chain.
 * Not thread-safe: rwatch calls it under its lock. e->service must stay
 * valid and unchanged while e is in the set.
 */
struct rwait;

struct rwait *rwait_new(void) __attribute__((warn_unused_result));
/* The set must be empty (rwatch resumes everything first). */
void rwait_free(struct rwait *s);

/* 0, or -1 on no memory (e is then not in the set). */
int rwait_add(struct rwait *s, struct rwatch_entry *e) __attribute__((warn_unused_result));
/* e must be in the set. */
void rwait_remove(struct rwait *s, struct rwatch_entry *e);

/* A waiter of exactly this service (NULL: one of those that wait for any
 * change), or NULL when there is none; a change wakes both kinds. */
struct rwatch_entry *rwait_of(struct rwait *s, const char *service);
/* The waiter whose deadline comes first, or NULL when the set is empty. */
struct rwatch_entry *rwait_earliest(const struct rwait *s);

#endif
