/* rwatch's waiters by service and by deadline; see rwait.h. */
#include "registry/rwait.h"

#include <stddef.h>
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
	struct heap deadlines; /* the entries' due nodes, the earliest first */
	struct rwait_group *buckets[RWAIT_BUCKETS];
	struct rwait_group any;
	struct rwait_group writers; /* want_write: no change wakes them */
};

struct rwait *rwait_new(void)
{
	return calloc(1, sizeof(struct rwait));
}

void rwait_free(struct rwait *s)
{
	if (!s)
		return;
	heap_free(&s->deadlines);
	free(s);
}

/* The entry whose deadline node n is. */
static struct rwatch_entry *rwait_entry_of(struct heap_node *n)
{
	return (struct rwatch_entry *)(void *)((char *)n - offsetof(struct rwatch_entry, due));
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
	struct heap_node *n = heap_top(&s->deadlines);

	return n ? rwait_entry_of(n) : NULL;
}

int rwait_add(struct rwait *s, struct rwatch_entry *e)
{
	struct rwait_group **slot = NULL, *g = e->want_write ? &s->writers : &s->any;

	if (e->service && !e->want_write) {
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
	e->due.at = e->deadline_ms;
	if (heap_push(&s->deadlines, &e->due) < 0) {
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

	heap_remove(&s->deadlines, &e->due);
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
	if (!g->head && g != &s->any && g != &s->writers) {
		struct rwait_group **slot = rwait_slot(s, g->service);

		*slot = g->next;
		free(g);
	}
}
