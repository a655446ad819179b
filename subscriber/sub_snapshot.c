/*
 * Snapshots: copies of the instances one walk saw, each copied into one
 * block (the struct, then its strings), so that the host may keep them as
 * long as it likes while the table goes on changing.
 */
#include <stdlib.h>
#include <string.h>

#include "subscriber/sub_int.h"

struct subscriber_snapshot {
	struct subscriber_view view;
	unsigned mask;
	struct subscriber_instance **v;
	size_t n, cap;
	bool failed;
};

static size_t text_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copies s to *at and moves *at past it; NULL stays NULL. */
static const char *place(char **at, const char *s)
{
	char *d = *at;
	size_t n = text_size(s);

	if (!s)
		return NULL;
	memcpy(d, s, n);
	*at += n;
	return d;
}

static struct subscriber_instance *copy_instance(const struct subscriber_instance *in)
{
	size_t size = sizeof(*in) + in->metadata_count * sizeof(struct subscriber_metadata), i;
	struct subscriber_instance *c;
	struct subscriber_metadata *meta;
	char *at;

	size += text_size(in->service) + text_size(in->instance_id) + text_size(in->address) +
		text_size(in->hostname) + text_size(in->health_url) +
		text_size(in->stream_url) + text_size(in->incarnation) +
		text_size(in->user_id) + text_size(in->reason);
	for (i = 0; i < in->metadata_count; i++)
		size += text_size(in->metadata[i].key) + text_size(in->metadata[i].value);
	c = malloc(size);
	if (!c)
		return NULL;
	*c = *in;
	meta = (struct subscriber_metadata *)(void *)(c + 1);
	at = (char *)(meta + in->metadata_count);
	c->service = place(&at, in->service);
	c->instance_id = place(&at, in->instance_id);
	c->address = place(&at, in->address);
	c->hostname = place(&at, in->hostname);
	c->health_url = place(&at, in->health_url);
	c->stream_url = place(&at, in->stream_url);
	c->incarnation = place(&at, in->incarnation);
	c->user_id = place(&at, in->user_id);
	c->reason = place(&at, in->reason);
	for (i = 0; i < in->metadata_count; i++) {
		meta[i].key = place(&at, in->metadata[i].key);
		meta[i].value = place(&at, in->metadata[i].value);
	}
	c->metadata = meta;
	return c;
}

static void collect(void *ctx, const struct subscriber_instance *in, void *instance_data)
{
	struct subscriber_snapshot *snap = ctx;
	struct subscriber_instance **v;

	(void)instance_data;
	if (snap->failed || !(snap->mask & SUBSCRIBER_MASK(in->state)))
		return;
	if (snap->n == snap->cap) {
		size_t cap = snap->cap ? 2 * snap->cap : 16;

		v = realloc(snap->v, cap * sizeof(*v));
		if (!v) {
			snap->failed = true;
			return;
		}
		snap->v = v;
		snap->cap = cap;
	}
	snap->v[snap->n] = copy_instance(in);
	if (!snap->v[snap->n]) {
		snap->failed = true;
		return;
	}
	snap->n++;
}

struct subscriber_snapshot *subscriber_snapshot(struct subscriber *sub, const char *service,
						unsigned mask)
{
	struct subscriber_snapshot *snap = calloc(1, sizeof(*snap));

	if (!snap)
		return NULL;
	snap->mask = mask;
	sub_store_foreach(sub->store, service, collect, snap, &snap->view);
	if (snap->failed) {
		subscriber_snapshot_free(snap);
		return NULL;
	}
	return snap;
}

size_t subscriber_snapshot_count(const struct subscriber_snapshot *snap)
{
	return snap->n;
}

const struct subscriber_instance *subscriber_snapshot_at(const struct subscriber_snapshot *snap,
							 size_t i)
{
	return i < snap->n ? snap->v[i] : NULL;
}

void subscriber_snapshot_view(const struct subscriber_snapshot *snap, struct subscriber_view *out)
{
	*out = snap->view;
}

void subscriber_snapshot_free(struct subscriber_snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->n; i++)
		free(snap->v[i]);
	free(snap->v);
	free(snap);
}
