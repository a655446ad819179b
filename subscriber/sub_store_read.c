/* The table's walks, views and counters: what reads it, under its lock. */
#include "subscriber/sub_store.h"

#include <search.h>
#include <stddef.h>
#include <string.h>

#include "subscriber/sub_store_int.h"

static void count_active(const void *nodep, VISIT which, void *closure)
{
	if ((which == postorder || which == leaf) &&
	    (*(struct svc *const *)nodep)->count > 0)
		(*(size_t *)closure)++;
}

void sub_store_stats(struct sub_store *t, struct subscriber_stats *out)
{
	pthread_mutex_lock(&t->mu);
	out->index = t->index;
	out->instances = t->instances;
	out->services = 0;
	twalk_r(t->services, count_active, &out->services);
	out->joins = t->joins;
	out->updates = t->updates;
	out->leaves = t->leaves;
	out->expiries = t->expiries;
	out->conflicts = t->conflicts;
	out->tombstones = t->tombs.count;
	out->tombstones_evicted = t->tombs.evicted;
	memcpy(out->refused_by, t->refused_by, sizeof(out->refused_by));
	out->ttl_clamped = t->ttl_clamped;
	out->stale = t->stale;
	pthread_mutex_unlock(&t->mu);
}

/* ---- descriptions ---- */

/* The token's metadata is handed out as the public array: same members,
 * same order, only the constness differs. */
_Static_assert(sizeof(struct token_meta) == sizeof(struct subscriber_metadata) &&
		       offsetof(struct token_meta, value) ==
			       offsetof(struct subscriber_metadata, value),
	       "struct token_meta and struct subscriber_metadata differ");
_Static_assert((int)TOKEN_UP == (int)SUBSCRIBER_UP && (int)TOKEN_DOWN == (int)SUBSCRIBER_DOWN &&
		       (int)TOKEN_STARTING == (int)SUBSCRIBER_STARTING &&
		       (int)TOKEN_OUT_OF_SERVICE == (int)SUBSCRIBER_OUT_OF_SERVICE,
	       "token and subscriber states differ");

void sub_store_describe(const struct token *tok, struct subscriber_instance *out)
{
	memset(out, 0, sizeof(*out));
	out->service = tok->service;
	out->instance_id = tok->instance_id;
	out->address = tok->address;
	out->port = tok->port;
	out->state = (enum subscriber_state)tok->state;
	out->hostname = tok->hostname;
	out->health_url = tok->health_url;
	out->stream_url = tok->stream_url;
	out->incarnation = tok->incarnation;
	out->user_id = tok->user_id;
	out->reason = tok->reason;
	out->metadata = (const struct subscriber_metadata *)(const void *)tok->metadata;
	out->metadata_count = tok->metadata_count;
	out->ttl = tok->ttl;
	out->seq = tok->seq;
	out->ts = tok->ts;
}

void sub_store__instance(const struct inst *in, struct subscriber_instance *out)
{
	sub_store_describe(&in->tok, out);
	out->first_seen = in->first_seen;
	out->last_seen = in->last_seen;
	out->expires_at = in->expires_wall;
	out->changed = in->changed;
	out->index = in->index;
}

/* ---- walks ---- */

struct foreach {
	subscriber_service_fn service_fn;
	subscriber_instance_fn instance_fn;
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
	struct subscriber_instance view;

	if (which != postorder && which != leaf)
		return;
	sub_store__instance(in, &view);
	f->instance_fn(f->ctx, &view, in->data);
}

static void view_locked(struct sub_store *t, const struct svc *s, bool whole,
			struct subscriber_view *out)
{
	if (!out)
		return;
	out->index = whole ? t->index : s ? s->index : t->lim.first_index;
	out->stale = t->stale;
}

void sub_store_foreach_service(struct sub_store *t, subscriber_service_fn fn, void *ctx,
			       struct subscriber_view *view)
{
	struct foreach f = { .service_fn = fn, .ctx = ctx };

	pthread_mutex_lock(&t->mu);
	view_locked(t, NULL, true, view);
	twalk_r(t->services, visit_service, &f);
	pthread_mutex_unlock(&t->mu);
}

static void visit_service_instances(const void *nodep, VISIT which, void *closure)
{
	const struct svc *s = *(struct svc *const *)nodep;

	if ((which == postorder || which == leaf) && s->count > 0)
		twalk_r(s->instances, visit_instance, closure);
}

void sub_store_foreach(struct sub_store *t, const char *service, subscriber_instance_fn fn,
		       void *ctx, struct subscriber_view *view)
{
	struct foreach f = { .instance_fn = fn, .ctx = ctx };
	struct svc *s;

	pthread_mutex_lock(&t->mu);
	if (!service) {
		view_locked(t, NULL, true, view);
		twalk_r(t->services, visit_service_instances, &f);
	} else {
		s = sub_store__svc_find(t, service);
		view_locked(t, s, false, view);
		if (s)
			twalk_r(s->instances, visit_instance, &f);
	}
	pthread_mutex_unlock(&t->mu);
}

void sub_store_view(struct sub_store *t, const char *service, struct subscriber_view *out)
{
	pthread_mutex_lock(&t->mu);
	view_locked(t, service ? sub_store__svc_find(t, service) : NULL, !service, out);
	pthread_mutex_unlock(&t->mu);
}
