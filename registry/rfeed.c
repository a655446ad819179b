/* The registry's change feed: events from the subscriber's callbacks. */
#include "registry/rfeed.h"

#include <pthread.h>
#include <stdlib.h>

#include "registry/rdepart.h"
#include "registry/rring.h"
#include "timing.h"

#define DEFAULT_EVENT_CAPACITY 4096
#define DEFAULT_MAX_DEPARTURES 10000
#define DELTA_WINDOW_MS 180000 /* Eureka's retentionTimeInMSInDeltaQueue */

struct rfeed {
	pthread_mutex_t mu; /* guards the ring, the departures and the notify hook */
	struct rring ring;  /* ids (ring.last - ring.count, ring.last] */
	struct rdepart departs;
	rfeed_notify_fn notify;
	void *notify_ctx;
	int64_t (*wall_ms)(void);
	rfeed_tap_fn tap; /* set before the subscriber starts, then only read */
	void *tap_ctx;
};

struct rfeed *rfeed_new(size_t event_capacity, uint64_t first_index, size_t max_departures,
			int64_t (*wall_ms)(void))
{
	struct rfeed *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (rring_init(&f->ring, event_capacity ? event_capacity : DEFAULT_EVENT_CAPACITY) < 0)
		goto out_free;
	f->ring.last = first_index;
	f->wall_ms = wall_ms ? wall_ms : timing_wall_ms;
	rdepart_init(&f->departs, max_departures ? max_departures : DEFAULT_MAX_DEPARTURES,
		     DELTA_WINDOW_MS);
	if (pthread_mutex_init(&f->mu, NULL) != 0)
		goto out_ring;
	return f;
out_ring:
	rring_free(&f->ring);
out_free:
	free(f);
	return NULL;
}

void rfeed_free(struct rfeed *f)
{
	if (!f)
		return;
	rring_free(&f->ring);
	rdepart_free(&f->departs);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

void rfeed_set_notify(struct rfeed *f, rfeed_notify_fn fn, void *ctx)
{
	pthread_mutex_lock(&f->mu);
	f->notify = fn;
	f->notify_ctx = ctx;
	pthread_mutex_unlock(&f->mu);
}

void rfeed_set_tap(struct rfeed *f, rfeed_tap_fn fn, void *ctx)
{
	f->tap = fn;
	f->tap_ctx = ctx;
}

/* Hands a recorded change to the tap, on the subscriber's thread. */
static void tell_tap(struct subscriber *sub, const char *event,
		     const struct subscriber_instance *in)
{
	struct rfeed *f = subscriber_data(sub);

	if (f->tap)
		f->tap(f->tap_ctx, sub, event, in);
}

/*
 * Records the event of one change, then wakes its service's watchers. A
 * departure is remembered with a copy of the instance's token (none on no
 * memory); a join ends the departures of the same instance.
 */
static void record(struct rfeed *f, const char *event, const struct subscriber_instance *in,
		   bool departs)
{
	struct rrender_times tm = rrender_times_of(in);
	struct token tok, *departed = NULL;
	char *frame;
	rfeed_notify_fn fn;
	void *ctx;

	/* Rendered and copied outside the lock; a frame that could not be
	 * rendered stays NULL and is skipped on replay. */
	rrender_token_of(in, &tok);
	frame = rrender_event(in->index, event, &tok, &tm);
	if (departs)
		departed = rrender_token_dup(&tok);
	pthread_mutex_lock(&f->mu);
	if (departed)
		rdepart_put(&f->departs, departed, &tm, in->ttl, f->wall_ms());
	else if (!departs && in->state != SUBSCRIBER_DOWN)
		rdepart_back(&f->departs, in->service, in->instance_id);
	/* A change the subscriber could not tell (no memory) left a gap: its
	 * id is kept, as a frame that is skipped, so ids stay consecutive. */
	while (f->ring.last + 1 < in->index)
		rring_push(&f->ring, f->ring.last + 1, NULL);
	if (in->index > f->ring.last)
		rring_push(&f->ring, in->index, frame);
	else
		free(frame);
	fn = f->notify;
	ctx = f->notify_ctx;
	pthread_mutex_unlock(&f->mu);
	if (fn)
		fn(ctx, in->service);
}

static void on_join(struct subscriber *sub, const struct subscriber_instance *in)
{
	record(subscriber_data(sub), "join", in, false);
	tell_tap(sub, "join", in);
}

static void on_update(struct subscriber *sub, const struct subscriber_instance *in)
{
	record(subscriber_data(sub), "update", in, false);
	tell_tap(sub, "update", in);
}

/* The listings' JSON of an instance, rendered when it joins or changes. */
static void *on_attach(struct subscriber *sub, const struct subscriber_instance *in)
{
	struct token tok;

	(void)sub;
	rrender_token_of(in, &tok);
	return rrender_frag_new(&tok);
}

static void on_leave(struct subscriber *sub, const struct subscriber_instance *in,
		     enum subscriber_leave_reason reason)
{
	const char *event = reason == SUBSCRIBER_LEFT_EXPIRED ? "expire" : "leave";

	/* Eureka's delta lists the instance as it left as DELETED. */
	record(subscriber_data(sub), event, in, true);
	tell_tap(sub, event, in);
}

static void on_detach(struct subscriber *sub, void *data)
{
	(void)sub;
	rrender_frag_release(data);
}

void rfeed_callbacks(struct subscriber_callbacks *out)
{
	*out = (struct subscriber_callbacks){
		.join = on_join,
		.update = on_update,
		.leave = on_leave,
		.attach = on_attach,
		.detach = on_detach,
	};
}

uint64_t rfeed_index(struct rfeed *f)
{
	uint64_t index;

	pthread_mutex_lock(&f->mu);
	index = f->ring.last;
	pthread_mutex_unlock(&f->mu);
	return index;
}

bool rfeed_resumable(struct rfeed *f, uint64_t after)
{
	bool ok;

	pthread_mutex_lock(&f->mu);
	ok = after <= f->ring.last && after >= f->ring.last - f->ring.count;
	pthread_mutex_unlock(&f->mu);
	return ok;
}

void rfeed_foreach_departure(struct rfeed *f, rfeed_departure_fn fn, void *ctx, int64_t *since)
{
	const struct rdepart_entry *e;
	int64_t now = f->wall_ms();
	size_t i;

	pthread_mutex_lock(&f->mu);
	*since = now - DELTA_WINDOW_MS;
	rdepart_prune(&f->departs, now);
	for (i = 0; i < f->departs.count; i++) {
		e = rdepart_at(&f->departs, i);
		if (!e->back)
			fn(ctx, e->tok, &e->tm, e->ttl, e->left_at);
	}
	pthread_mutex_unlock(&f->mu);
}

void rfeed_stats(struct rfeed *f, struct rfeed_stats *out)
{
	pthread_mutex_lock(&f->mu);
	out->departures = f->departs.count;
	out->departures_evicted = f->departs.evicted;
	pthread_mutex_unlock(&f->mu);
}

int rfeed_event_after(struct rfeed *f, uint64_t after, char **frame, uint64_t *id)
{
	int rc;

	pthread_mutex_lock(&f->mu);
	rc = rring_after(&f->ring, after, frame, id);
	pthread_mutex_unlock(&f->mu);
	return rc;
}
