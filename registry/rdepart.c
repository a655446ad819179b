/* Recent departures in a ring, for Eureka's delta; see rdepart.h. */
#include "registry/rdepart.h"

#include <stdlib.h>
#include <string.h>

void rdepart_init(struct rdepart *d, size_t max, int64_t window_ms)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
	d->window_ms = window_ms;
}

static void drop_oldest(struct rdepart *d)
{
	rrender_token_free(d->v[d->head].tok);
	d->head = (d->head + 1) % d->max;
	d->count--;
}

void rdepart_free(struct rdepart *d)
{
	while (d->count > 0)
		drop_oldest(d);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void rdepart_prune(struct rdepart *d, int64_t now)
{
	while (d->count > 0 && d->v[d->head].left_at < now - d->window_ms)
		drop_oldest(d);
}

void rdepart_put(struct rdepart *d, struct token *tok, const struct rrender_times *tm, int ttl,
		 int64_t now)
{
	struct rdepart_entry *e;

	if (d->max == 0) {
		rrender_token_free(tok);
		return;
	}
	/* The ring costs nothing until something leaves. */
	if (!d->v) {
		d->v = calloc(d->max, sizeof(*d->v));
		if (!d->v) {
			rrender_token_free(tok);
			return;
		}
	}
	rdepart_prune(d, now);
	if (d->count == d->max) {
		drop_oldest(d);
		d->evicted++;
	}
	e = &d->v[(d->head + d->count) % d->max];
	e->tok = tok;
	e->tm = *tm;
	e->ttl = ttl;
	e->left_at = now;
	e->back = false;
	d->count++;
}

void rdepart_back(struct rdepart *d, const char *service, const char *instance_id)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		struct rdepart_entry *e = &d->v[(d->head + i) % d->max];

		if (strcmp(e->tok->service, service) == 0 &&
		    strcmp(e->tok->instance_id, instance_id) == 0)
			e->back = true;
	}
}

const struct rdepart_entry *rdepart_at(const struct rdepart *d, size_t i)
{
	return &d->v[(d->head + i) % d->max];
}
