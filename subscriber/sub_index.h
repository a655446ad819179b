#ifndef DISCOVERY_SUBSCRIBER_SUB_INDEX_H
#define DISCOVERY_SUBSCRIBER_SUB_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An open-addressing hash index (linear probing, backward-shift deletion):
 * items by a 64-bit hash of their key, the keys themselves kept by the
 * items. A lookup reads one dense array of (hash, item) slots and touches
 * an item only when its whole hash matches, so finding one of many
 * thousand instances costs about one cache miss: the item's own, which
 * its caller reads next anyway. Not thread-safe: the owner's lock covers
 * it. An empty index is all zeroes.
 */
struct sub_index_slot {
	uint64_t hash;
	void *item; /* NULL: empty */
};

struct sub_index {
	struct sub_index_slot *slots;
	size_t mask; /* slots - 1, slots a power of two */
	size_t count;
};

/* The hash of len bytes at key (FNV-1a, then a finalizer that spreads
 * every bit into the low ones, which pick the slot). */
uint64_t sub_index_hash(const void *key, size_t len);

/* Tells whether item has the key a lookup looks for. */
typedef bool (*sub_index_match_fn)(const void *item, const void *ctx);

/* The item of that hash that match accepts, or NULL. */
void *sub_index_find(const struct sub_index *x, uint64_t hash, sub_index_match_fn match,
		     const void *ctx);
/* Adds item (not already in) under hash: 0, or -1 on no memory (the
 * index is unchanged). */
int sub_index_add(struct sub_index *x, uint64_t hash, void *item)
	__attribute__((warn_unused_result));
/* Removes item, added under hash; nothing when it is not in. */
void sub_index_remove(struct sub_index *x, uint64_t hash, const void *item);
void sub_index_free(struct sub_index *x);

#endif
