/* The ring of change events of the change feed. */
#include "registry/rring.h"

#include <stdlib.h>
#include <string.h>

int rring_init(struct rring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->frames = calloc(cap, sizeof(*r->frames));
	if (!r->frames)
		return -1;
	r->cap = cap;
	return 0;
}

void rring_free(struct rring *r)
{
	size_t i;

	for (i = 0; i < r->cap; i++)
		free(r->frames[i]);
	free(r->frames);
	r->frames = NULL;
}

void rring_push(struct rring *r, uint64_t id, char *frame)
{
	if (r->count == r->cap)
		free(r->frames[r->head]);
	else
		r->count++;
	r->frames[r->head] = frame;
	r->head = (r->head + 1) % r->cap;
	r->last = id;
}

int rring_after(const struct rring *r, uint64_t after, char **frame, uint64_t *id)
{
	uint64_t oldest = r->last - r->count + 1;
	uint64_t want = after + 1 > oldest ? after + 1 : oldest;

	*frame = NULL;
	for (; want <= r->last; want++) {
		size_t back = (size_t)(r->last - want + 1);
		const char *f = r->frames[(r->head + r->cap - back) % r->cap];
		if (!f)
			continue;
		*frame = strdup(f);
		*id = want;
		return *frame ? 1 : -1;
	}
	return 0;
}
