/* Deferred connection closes: a small unordered array, scanned linearly
 * (it is empty but for the second after a broker node stops). */
#include "subscriber/sub_grace.h"

#include <stdlib.h>
#include <string.h>

struct sub_grace {
	struct sub_grace_close *closes;
	size_t count, max;
};

struct sub_grace *sub_grace_new(size_t max)
{
	struct sub_grace *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->max = max;
	return g;
}

void sub_grace_free(struct sub_grace *g)
{
	if (!g)
		return;
	free(g->closes);
	free(g);
}

int sub_grace_defer(struct sub_grace *g, const struct sub_grace_close *c)
{
	/* Allocated at the first close only: most registries never need it. */
	if (!g->closes && g->max > 0)
		g->closes = calloc(g->max, sizeof(*g->closes));
	if (!g->closes || g->count >= g->max)
		return -1;
	g->closes[g->count++] = *c;
	return 0;
}

static void sub_grace_drop(struct sub_grace *g, size_t i)
{
	g->closes[i] = g->closes[--g->count];
}

size_t sub_grace_cancel(struct sub_grace *g, const char *service, const char *instance_id,
		     const char *incarnation)
{
	size_t i = 0, n = 0;

	while (i < g->count) {
		const struct sub_grace_close *c = &g->closes[i];

		if (strcmp(c->incarnation, incarnation) == 0 &&
		    strcmp(c->instance_id, instance_id) == 0 && strcmp(c->service, service) == 0) {
			sub_grace_drop(g, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

void sub_grace_postpone(struct sub_grace *g, int64_t due_ms)
{
	for (size_t i = 0; i < g->count; i++)
		if (g->closes[i].due_ms < due_ms)
			g->closes[i].due_ms = due_ms;
}

size_t sub_grace_take_due(struct sub_grace *g, int64_t now_ms, struct sub_grace_close *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < g->count && n < max) {
		if (g->closes[i].due_ms <= now_ms) {
			out[n++] = g->closes[i];
			sub_grace_drop(g, i);
		} else {
			i++;
		}
	}
	return n;
}

size_t sub_grace_count(const struct sub_grace *g)
{
	return g->count;
}
