#ifndef DISCOVERY_COMMON_HEAP_H
#define DISCOVERY_COMMON_HEAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * A binary min-heap of deadlines: what expires next, without a scan. The
 * nodes are embedded in their owners (container_of style); the heap keeps
 * each node's position, so a node can be removed or re-keyed in O(log n).
 * Not thread-safe: the owner's lock covers it.
 */
struct heap_node {
	int64_t at;  /* the key: a deadline */
	size_t pos;  /* the heap's own */
};

struct heap {
	struct heap_node **v;
	size_t len, cap;
};

/* An empty heap is all zeroes. */
void heap_free(struct heap *h);

/* 0, or -1 on no memory (the heap is unchanged). */
int heap_push(struct heap *h, struct heap_node *n) __attribute__((warn_unused_result));
void heap_remove(struct heap *h, struct heap_node *n);
/* Restores the order after n->at changed. */
void heap_fix(struct heap *h, struct heap_node *n);
/* Restores the order after the keys of many nodes changed. */
void heap_rebuild(struct heap *h);
/* The earliest node, or NULL when empty. */
struct heap_node *heap_top(const struct heap *h);

#endif
