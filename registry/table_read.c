/* The table's walks, views and counters: what reads it, under its lock. */
#include "registry/table.h"

#include <search.h>
#include <string.h>

#include "registry/table_int.h"

bool table_is_stale(struct table *t)
{
	bool stale;

	pthread_mutex_lock(&t->mu);
	stale = t->stale;
	pthread_mutex_unlock(&t->mu);
	return stale;
}

uint64_t table_index(struct table *t)
{
	uint64_t index;

	pthread_mutex_lock(&t->mu);
	index = t->index;
	pthread_mutex_unlock(&t->mu);
	return index;
}

uint64_t table_service_index(struct table *t, const char *service)
{
	struct svc *s;
	uint64_t index;

	pthread_mutex_lock(&t->mu);
	s = table__svc_find(t, service);
	index = s ? s->index : t->lim.first_index;
	pthread_mutex_unlock(&t->mu);
	return index;
}

static void count_active(const void *nodep, VISIT which, void *closure)
{
	if ((which == postorder || which == leaf) &&
	    (*(struct svc *const *)nodep)->count > 0)
		(*(size_t *)closure)++;
}

void table_stats(struct table *t, struct table_stats *out)
{
	pthread_mutex_lock(&t->mu);
	memset(out, 0, sizeof(*out));
	out->index = t->index;
	out->instances = t->instances;
	twalk_r(t->services, count_active, &out->services);
	out->joins = t->joins;
	out->updates = t->updates;
	out->leaves = t->leaves;
	out->expiries = t->expiries;
	out->refused = t->refused;
	out->conflicts = t->conflicts;
	out->tombstones = t->tombs.count;
	out->tombstones_evicted = t->tombs.evicted;
	out->departures = t->departs.count;
	out->departures_evicted = t->departs.evicted;
	memcpy(out->refused_by, t->refused_by, sizeof(out->refused_by));
	out->ttl_clamped = t->ttl_clamped;
	out->stale = t->stale;
	pthread_mutex_unlock(&t->mu);
}

/* ---- walks ---- */

struct render_times table__times(const struct inst *in)
{
	return (struct render_times){ in->first_seen, in->last_seen, in->expires_wall,
				      in->changed };
}

struct foreach {
	table_service_fn service_fn;
	table_instance_fn instance_fn;
	void *ctx;
};

static void visit_service(const void *nodep, VISIT which, void *closure)
{
	struct foreach *f = closure;
	const struct svc *s = *(struct svc *const *)nodep;

	if ((which == postorder || which == leaf) && s->count > 0)
		f->service_fn(f->ctx, s->name, s->by_state);
}

static void visit_instance(const void *nodep, VISIT which, void *closure)
{
	struct foreach *f = closure;
	const struct inst *in = *(struct inst *const *)nodep;
	struct render_times tm = table__times(in);

	if (which == postorder || which == leaf)
		f->instance_fn(f->ctx, &in->tok, &tm, in->frag);
}

void table_foreach_service(struct table *t, table_service_fn fn, void *ctx,
			   struct table_view *view)
{
	struct foreach f = { .service_fn = fn, .ctx = ctx };

	pthread_mutex_lock(&t->mu);
	if (view) {
		view->index = t->index;
		view->stale = t->stale;
	}
	twalk_r(t->services, visit_service, &f);
	pthread_mutex_unlock(&t->mu);
}

void table_foreach_instance(struct table *t, const char *service, table_instance_fn fn,
			    void *ctx, struct table_view *view)
{
	struct foreach f = { .instance_fn = fn, .ctx = ctx };
	struct svc *s;

	pthread_mutex_lock(&t->mu);
	s = table__svc_find(t, service);
	if (view) {
		view->index = s ? s->index : t->lim.first_index;
		view->stale = t->stale;
	}
	if (s)
		twalk_r(s->instances, visit_instance, &f);
	pthread_mutex_unlock(&t->mu);
}

static void visit_service_instances(const void *nodep, VISIT which, void *closure)
{
	const struct svc *s = *(struct svc *const *)nodep;

	if ((which == postorder || which == leaf) && s->count > 0)
		twalk_r(s->instances, visit_instance, closure);
}

void table_foreach_every_instance(struct table *t, table_instance_fn fn, void *ctx,
				  struct table_view *view)
{
	struct foreach f = { .instance_fn = fn, .ctx = ctx };

	pthread_mutex_lock(&t->mu);
	if (view) {
		view->index = t->index;
		view->stale = t->stale;
	}
	twalk_r(t->services, visit_service_instances, &f);
	pthread_mutex_unlock(&t->mu);
}

void table_foreach_recent(struct table *t, table_instance_fn fn, table_departure_fn departed,
			  void *ctx, struct table_view *view, int64_t *since)
{
	struct foreach f = { .instance_fn = fn, .ctx = ctx };
	const struct rdepart_entry *e;
	struct svc *s;
	int64_t now;
	size_t i;

	pthread_mutex_lock(&t->mu);
	now = t->lim.wall_ms();
	*since = now - t->lim.delta_window_ms;
	if (view) {
		view->index = t->index;
		view->stale = t->stale;
	}
	twalk_r(t->services, visit_service_instances, &f);
	rdepart_prune(&t->departs, now);
	for (i = 0; i < t->departs.count; i++) {
		e = rdepart_at(&t->departs, i);
		s = table__svc_find(t, e->frag->tok.service);
		/* One that came back is listed (ADDED), not DELETED. */
		if (!s || !table__inst_find(s, e->frag->tok.instance_id))
			departed(ctx, e->frag, &e->tm, e->ttl, e->left_at);
	}
	pthread_mutex_unlock(&t->mu);
}

bool table_event_resumable(struct table *t, uint64_t after)
{
	bool ok;

	pthread_mutex_lock(&t->mu);
	/* The ring holds ids (index - count, index]. */
	ok = after <= t->index && after >= t->index - t->ring.count;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void table_view(struct table *t, const char *service, struct table_view *out)
{
	struct svc *s;

	pthread_mutex_lock(&t->mu);
	if (service) {
		s = table__svc_find(t, service);
		out->index = s ? s->index : t->lim.first_index;
	} else {
		out->index = t->index;
	}
	out->stale = t->stale;
	pthread_mutex_unlock(&t->mu);
}

int table_event_after(struct table *t, uint64_t after, char **frame, uint64_t *id)
{
	int rc;

	pthread_mutex_lock(&t->mu);
	rc = rring_after(&t->ring, after, frame, id);
	pthread_mutex_unlock(&t->mu);
	return rc < 0 ? TOKEN_ERR_NO_MEMORY : rc;
}
