#ifndef DISCOVERY_REGISTRY_RHEAP_H
#define DISCOVERY_REGISTRY_RHEAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * A binary min-heap of deadlines: what expires next, without a scan. The
 * nodes are embedded in their owners (container_of style); the heap keeps
 * each node's position, so a node can be removed or re-keyed in O(log n).
 * Not thread-safe: the owner's lock covers it.
 */
struct rheap_node {
	int64_t at;  /* the key: a deadline */
	size_t pos;  /* the heap's own */
};

struct rheap {
	struct rheap_node **v;
	size_t len, cap;
};

/* An empty heap is all zeroes. */
void rheap_free(struct rheap *h);

/* 0, or -1 on no memory (the heap is unchanged). */
int rheap_push(struct rheap *h, struct rheap_node *n) __attribute__((warn_unused_result));
void rheap_remove(struct rheap *h, struct rheap_node *n);
/* Restores the order after n->at changed. */
void rheap_fix(struct rheap *h, struct rheap_node *n);
/* Restores the order after the keys of many nodes changed. */
void rheap_rebuild(struct rheap *h);
/* The earliest node, or NULL when empty. */
struct rheap_node *rheap_top(const struct rheap *h);

#endif
