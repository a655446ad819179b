/*
 * The instance table's hash index. Hand-written, because the libraries
 * Debian offers did not fit: uthash (tried first) chains its entries
 * through the items themselves at about 2.4 items a bucket, a load it
 * does not let its user lower, and with 10,000 instances 71 % of each
 * lookup was that chain walk's cache misses (perf annotate), a lookup
 * being 12 % of the ingest's CPU; GLib's GHashTable probes a dense array
 * as this does, but would make libglib a run-time dependency of a small
 * library that has none of its size. This is the few lines that are
 * needed: linear probing at a load of at most one half, and deletion by
 * backward shift, so that there are no tombstones to sweep.
 */
#include "subscriber/sub_index.h"

#include <stdlib.h>

#define FIRST_SLOTS 64

uint64_t sub_index_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* MurmurHash3's fmix64: FNV's low bits alone are weak. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

void *sub_index_find(const struct sub_index *x, uint64_t hash, sub_index_match_fn match,
		     const void *ctx)
{
	size_t i;

	if (!x->slots)
		return NULL;
	for (i = hash & x->mask; x->slots[i].item; i = (i + 1) & x->mask)
		if (x->slots[i].hash == hash && match(x->slots[i].item, ctx))
			return x->slots[i].item;
	return NULL;
}

static void place(struct sub_index_slot *slots, size_t mask, uint64_t hash, void *item)
{
	size_t i = hash & mask;

	while (slots[i].item)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].item = item;
}

/* Doubles the slots (or makes the first ones); -1 on no memory. */
static int grow(struct sub_index *x)
{
	size_t n = x->slots ? 2 * (x->mask + 1) : FIRST_SLOTS;
	struct sub_index_slot *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; x->slots && i <= x->mask; i++)
		if (x->slots[i].item)
			place(slots, n - 1, x->slots[i].hash, x->slots[i].item);
	free(x->slots);
	x->slots = slots;
	x->mask = n - 1;
	return 0;
}

int sub_index_add(struct sub_index *x, uint64_t hash, void *item)
{
	/* At most half full: a lookup probes about 1.5 slots. */
	if ((!x->slots || 2 * (x->count + 1) > x->mask + 1) && grow(x) < 0)
		return -1;
	place(x->slots, x->mask, hash, item);
	x->count++;
	return 0;
}

void sub_index_remove(struct sub_index *x, uint64_t hash, const void *item)
{
	size_t i, j, home;

	if (!x->slots)
		return;
	for (i = hash & x->mask; x->slots[i].item != item; i = (i + 1) & x->mask)
		if (!x->slots[i].item)
			return;
	/* Backward shift: every later item of the run that may live in the
	 * hole (its home is not cyclically within (i, j]) moves into it. */
	for (j = (i + 1) & x->mask; x->slots[j].item; j = (j + 1) & x->mask) {
		home = x->slots[j].hash & x->mask;
		if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->slots[i].item = NULL;
	x->count--;
}

void sub_index_free(struct sub_index *x)
{
	free(x->slots);
	x->slots = NULL;
	x->mask = x->count = 0;
}
