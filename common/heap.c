/* A min-heap of deadlines (heap.h): the subscriber's expiries and
 * tombstones, the registry's held waiters. */
#include "heap.h"

#include <stdlib.h>

static void set(struct heap *h, size_t pos, struct heap_node *n)
{
	h->v[pos] = n;
	n->pos = pos;
}

static void sift_up(struct heap *h, size_t pos)
{
	struct heap_node *n = h->v[pos];

	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (h->v[parent]->at <= n->at)
			break;
		set(h, pos, h->v[parent]);
		pos = parent;
	}
	set(h, pos, n);
}

static void sift_down(struct heap *h, size_t pos)
{
	struct heap_node *n = h->v[pos];

	for (;;) {
		size_t child = 2 * pos + 1;
		if (child >= h->len)
			break;
		if (child + 1 < h->len && h->v[child + 1]->at < h->v[child]->at)
			child++;
		if (n->at <= h->v[child]->at)
			break;
		set(h, pos, h->v[child]);
		pos = child;
	}
	set(h, pos, n);
}

void heap_free(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->len = h->cap = 0;
}

int heap_push(struct heap *h, struct heap_node *n)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct heap_node **v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	set(h, h->len++, n);
	sift_up(h, h->len - 1);
	return 0;
}

void heap_fix(struct heap *h, struct heap_node *n)
{
	sift_up(h, n->pos);
	sift_down(h, n->pos);
}

void heap_remove(struct heap *h, struct heap_node *n)
{
	size_t pos = n->pos;
	struct heap_node *last = h->v[--h->len];

	if (last == n)
		return;
	set(h, pos, last);
	heap_fix(h, last);
}

void heap_rebuild(struct heap *h)
{
	size_t i;

	for (i = h->len / 2; i-- > 0;)
		sift_down(h, i);
}

struct heap_node *heap_top(const struct heap *h)
{
	return h->len ? h->v[0] : NULL;
}
