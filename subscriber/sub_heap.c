/* The expiry heap of the table. */
#include "subscriber/sub_heap.h"

#include <stdlib.h>

static void set(struct sub_heap *h, size_t pos, struct sub_heap_node *n)
{
	h->v[pos] = n;
	n->pos = pos;
}

static void sift_up(struct sub_heap *h, size_t pos)
{
	struct sub_heap_node *n = h->v[pos];

	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (h->v[parent]->at <= n->at)
			break;
		set(h, pos, h->v[parent]);
		pos = parent;
	}
	set(h, pos, n);
}

static void sift_down(struct sub_heap *h, size_t pos)
{
	struct sub_heap_node *n = h->v[pos];

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

void sub_heap_free(struct sub_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->len = h->cap = 0;
}

int sub_heap_push(struct sub_heap *h, struct sub_heap_node *n)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct sub_heap_node **v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	set(h, h->len++, n);
	sift_up(h, h->len - 1);
	return 0;
}

void sub_heap_fix(struct sub_heap *h, struct sub_heap_node *n)
{
	sift_up(h, n->pos);
	sift_down(h, n->pos);
}

void sub_heap_remove(struct sub_heap *h, struct sub_heap_node *n)
{
	size_t pos = n->pos;
	struct sub_heap_node *last = h->v[--h->len];

	if (last == n)
		return;
	set(h, pos, last);
	sub_heap_fix(h, last);
}

void sub_heap_rebuild(struct sub_heap *h)
{
	size_t i;

	for (i = h->len / 2; i-- > 0;)
		sift_down(h, i);
}

struct sub_heap_node *sub_heap_top(const struct sub_heap *h)
{
	return h->len ? h->v[0] : NULL;
}
