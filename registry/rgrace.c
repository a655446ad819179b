/* Deferred connection closes: a small unordered array, scanned linearly
 * (it is empty but for the second after a broker node stops). */
#include "registry/rgrace.h"

#include <stdlib.h>
#include <string.h>

struct rgrace {
	struct rgrace_close *closes;
	size_t count, max;
};

struct rgrace *rgrace_new(size_t max)
{
	struct rgrace *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->max = max;
	return g;
}

void rgrace_free(struct rgrace *g)
{
	if (!g)
		return;
	free(g->closes);
	free(g);
}

int rgrace_defer(struct rgrace *g, const struct rgrace_close *c)
{
	/* Allocated at the first close only: most registries never need it. */
	if (!g->closes && g->max > 0)
		g->closes = calloc(g->max, sizeof(*g->closes));
	if (!g->closes || g->count >= g->max)
		return -1;
	g->closes[g->count++] = *c;
	return 0;
}

static void rgrace_drop(struct rgrace *g, size_t i)
{
	g->closes[i] = g->closes[--g->count];
}

size_t rgrace_cancel(struct rgrace *g, const char *service, const char *instance_id,
		     const char *incarnation)
{
	size_t i = 0, n = 0;

	while (i < g->count) {
		const struct rgrace_close *c = &g->closes[i];

		if (strcmp(c->incarnation, incarnation) == 0 &&
		    strcmp(c->instance_id, instance_id) == 0 && strcmp(c->service, service) == 0) {
			rgrace_drop(g, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

void rgrace_postpone(struct rgrace *g, int64_t due_ms)
{
	for (size_t i = 0; i < g->count; i++)
		if (g->closes[i].due_ms < due_ms)
			g->closes[i].due_ms = due_ms;
}

size_t rgrace_take_due(struct rgrace *g, int64_t now_ms, struct rgrace_close *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < g->count && n < max) {
		if (g->closes[i].due_ms <= now_ms) {
			out[n++] = g->closes[i];
			rgrace_drop(g, i);
		} else {
			i++;
		}
	}
	return n;
}

size_t rgrace_count(const struct rgrace *g)
{
	return g->count;
}
