/* rwatch's waiters by service and by deadline; see rwait.h. */
#include "registry/rwait.h"

#include <stdlib.h>
#include <string.h>

/* A power of two; a chain holds the services that wait and share a hash. */
#define RWAIT_BUCKETS 1024

/* The waiters of one service (or, for rwait's own `any`, of any change). */
struct rwait_group {
	struct rwait_group *next; /* in its bucket */
	struct rwatch_entry *head;
	char service[]; /* "" for any */
};

struct rwait {
	struct rwatch_entry **heap; /* by deadline_ms, the earliest first */
	size_t n, cap;
	struct rwait_group *buckets[RWAIT_BUCKETS];
	struct rwait_group any;
};

struct rwait *rwait_new(void)
{
	return calloc(1, sizeof(struct rwait));
}

void rwait_free(struct rwait *s)
{
	if (!s)
		return;
	free(s->heap);
	free(s);
}

/* ---- the heap ---- */

static void rwait_heap_set(struct rwait *s, size_t i, struct rwatch_entry *e)
{
	s->heap[i] = e;
	e->heap_at = i;
}

static void rwait_sift_up(struct rwait *s, size_t i)
{
	struct rwatch_entry *e = s->heap[i];

	while (i > 0 && s->heap[(i - 1) / 2]->deadline_ms > e->deadline_ms) {
		rwait_heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	rwait_heap_set(s, i, e);
}

static void rwait_sift_down(struct rwait *s, size_t i)
{
	struct rwatch_entry *e = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n)
			break;
		if (c + 1 < s->n && s->heap[c + 1]->deadline_ms < s->heap[c]->deadline_ms)
			c++;
		if (s->heap[c]->deadline_ms >= e->deadline_ms)
			break;
		rwait_heap_set(s, i, s->heap[c]);
		i = c;
	}
	rwait_heap_set(s, i, e);
}

static int rwait_heap_push(struct rwait *s, struct rwatch_entry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct rwatch_entry **grown = realloc(s->heap, cap * sizeof(*grown));

		if (!grown)
			return -1;
		s->heap = grown;
		s->cap = cap;
	}
	s->heap[s->n++] = e;
	rwait_sift_up(s, s->n - 1);
	return 0;
}

static void rwait_heap_remove(struct rwait *s, struct rwatch_entry *e)
{
	size_t i = e->heap_at;
	struct rwatch_entry *last = s->heap[--s->n];

	if (i == s->n)
		return;
	rwait_heap_set(s, i, last);
	/* The moved one may belong above or below its new place. */
	if (i > 0 && s->heap[(i - 1) / 2]->deadline_ms > last->deadline_ms)
		rwait_sift_up(s, i);
	else
		rwait_sift_down(s, i);
}

/* ---- the groups ---- */

static struct rwait_group **rwait_slot(struct rwait *s, const char *service)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	struct rwait_group **g;
	const char *p;

	for (p = service; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	g = &s->buckets[h & (RWAIT_BUCKETS - 1)];
	while (*g && strcmp((*g)->service, service) != 0)
		g = &(*g)->next;
	return g;
}

struct rwatch_entry *rwait_of(struct rwait *s, const char *service)
{
	struct rwait_group *g = service ? *rwait_slot(s, service) : &s->any;

	return g ? g->head : NULL;
}

struct rwatch_entry *rwait_earliest(const struct rwait *s)
{
	return s->n ? s->heap[0] : NULL;
}

int rwait_add(struct rwait *s, struct rwatch_entry *e)
{
	struct rwait_group **slot = NULL, *g = &s->any;

	if (e->service) {
		slot = rwait_slot(s, e->service);
		g = *slot;
		if (!g) {
			size_t len = strlen(e->service) + 1;

			g = calloc(1, sizeof(*g) + len);
			if (!g)
				return -1;
			memcpy(g->service, e->service, len);
		}
	}
	if (rwait_heap_push(s, e) < 0) {
		if (g != &s->any && !*slot)
			free(g);
		return -1;
	}
	if (slot && !*slot)
		*slot = g;
	e->group = g;
	e->prev = NULL;
	e->next = g->head;
	if (g->head)
		g->head->prev = e;
	g->head = e;
	return 0;
}

void rwait_remove(struct rwait *s, struct rwatch_entry *e)
{
	struct rwait_group *g = e->group;

	rwait_heap_remove(s, e);
	if (e->prev)
		e->prev->next = e->next;
	else
		g->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->group = NULL;
	/* A service's group lives while it has waiters: thousands of
	 * services watched once each leave nothing behind. */
	if (!g->head && g != &s->any) {
		struct rwait_group **slot = rwait_slot(s, g->service);

		*slot = g->next;
		free(g);
	}
}
