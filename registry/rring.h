#ifndef DISCOVERY_REGISTRY_RRING_H
#define DISCOVERY_REGISTRY_RRING_H

#include <stddef.h>
#include <stdint.h>

/*
 * The ring of the latest change events, as preformatted SSE frames,
 * so that /events can replay what a client missed (Last-Event-ID). Event
 * ids are consecutive: the ring holds ids (last - count, last]. Not
 * thread-safe: the change feed's lock covers it (rfeed).
 */
struct rring {
	char **frames;
	size_t cap, head, count;
	uint64_t last; /* id of the newest event, 0 before the first */
};

/* 0, or -1 on no memory. */
int rring_init(struct rring *r, size_t cap) __attribute__((warn_unused_result));
void rring_free(struct rring *r);

/* Records event id (last + 1), taking ownership of frame; a NULL frame (one
 * that could not be rendered) keeps its id and is skipped on replay. The
 * oldest event is dropped when the ring is full. */
void rring_push(struct rring *r, uint64_t id, char *frame);

/*
 * A malloc()ed copy of the first frame with id > after into *frame, its id
 * into *id. Returns 1, 0 when there is none, or -1 on no memory. When after
 * is older than the ring, delivery restarts at the oldest event kept.
 */
int rring_after(const struct rring *r, uint64_t after, char **frame, uint64_t *id)
	__attribute__((warn_unused_result));

#endif
