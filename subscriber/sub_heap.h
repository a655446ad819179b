#ifndef DISCOVERY_SUBSCRIBER_SUB_HEAP_H
#define DISCOVERY_SUBSCRIBER_SUB_HEAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * A binary min-heap of deadlines: what expires next, without a scan. The
 * nodes are embedded in their owners (container_of style); the heap keeps
 * each node's position, so a node can be removed or re-keyed in O(log n).
 * Not thread-safe: the owner's lock covers it.
 */
struct sub_heap_node {
	int64_t at;  /* the key: a deadline */
	size_t pos;  /* the heap's own */
};

struct sub_heap {
	struct sub_heap_node **v;
	size_t len, cap;
};

/* An empty heap is all zeroes. */
void sub_heap_free(struct sub_heap *h);

/* 0, or -1 on no memory (the heap is unchanged). */
int sub_heap_push(struct sub_heap *h, struct sub_heap_node *n) __attribute__((warn_unused_result));
void sub_heap_remove(struct sub_heap *h, struct sub_heap_node *n);
/* Restores the order after n->at changed. */
void sub_heap_fix(struct sub_heap *h, struct sub_heap_node *n);
/* Restores the order after the keys of many nodes changed. */
void sub_heap_rebuild(struct sub_heap *h);
/* The earliest node, or NULL when empty. */
struct sub_heap_node *sub_heap_top(const struct sub_heap *h);

#endif
