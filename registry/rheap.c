/* The expiry heap of the table. */
#include "registry/rheap.h"

#include <stdlib.h>

static void set(struct rheap *h, size_t pos, struct rheap_node *n)
{
	h->v[pos] = n;
	n->pos = pos;
}

static void sift_up(struct rheap *h, size_t pos)
{
	struct rheap_node *n = h->v[pos];

	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (h->v[parent]->at <= n->at)
			break;
		set(h, pos, h->v[parent]);
		pos = parent;
	}
	set(h, pos, n);
}

static void sift_down(struct rheap *h, size_t pos)
{
	struct rheap_node *n = h->v[pos];

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

void rheap_free(struct rheap *h)
{
	free(h->v);
	h->v = NULL;
	h->len = h->cap = 0;
}

int rheap_push(struct rheap *h, struct rheap_node *n)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct rheap_node **v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	set(h, h->len++, n);
	sift_up(h, h->len - 1);
	return 0;
}

void rheap_fix(struct rheap *h, struct rheap_node *n)
{
	sift_up(h, n->pos);
	sift_down(h, n->pos);
}

void rheap_remove(struct rheap *h, struct rheap_node *n)
{
	size_t pos = n->pos;
	struct rheap_node *last = h->v[--h->len];

	if (last == n)
		return;
	set(h, pos, last);
	rheap_fix(h, last);
}

void rheap_rebuild(struct rheap *h)
{
	size_t i;

	for (i = h->len / 2; i-- > 0;)
		sift_down(h, i);
}

struct rheap_node *rheap_top(const struct rheap *h)
{
	return h->len ? h->v[0] : NULL;
}
