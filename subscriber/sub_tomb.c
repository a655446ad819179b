/* Tombstones of departed instances: a tsearch tree for lookups and an
 * rheap for what ends first. */
#include "subscriber/sub_tomb.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct sub_tomb_entry {
	struct heap_node end; /* first: the heap's node is the entry */
	int64_t seq;
	char key[]; /* "<service>\n<instanceId>": '\n' is in neither */
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sub_tomb_entry *)a)->key, ((const struct sub_tomb_entry *)b)->key);
}

void sub_tomb_init(struct sub_tomb *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void sub_tomb_free(struct sub_tomb *r)
{
	tdestroy(r->tree, free);
	heap_free(&r->heap);
	memset(r, 0, sizeof(*r));
}

static void entry_drop(struct sub_tomb *r, struct sub_tomb_entry *e)
{
	tdelete(e, &r->tree, entry_cmp);
	heap_remove(&r->heap, &e->end);
	r->count--;
	free(e);
}

/* A lookup key on the heap; NULL when the names do not fit it. */
static struct sub_tomb_entry *key_new(const char *service, const char *instance_id)
{
	size_t len = strlen(service) + 1 + strlen(instance_id) + 1;
	struct sub_tomb_entry *e = malloc(sizeof(*e) + len);

	if (e)
		snprintf(e->key, len, "%s\n%s", service, instance_id);
	return e;
}

static struct sub_tomb_entry *entry_find(struct sub_tomb *r, const struct sub_tomb_entry *key)
{
	void *node = tfind(key, &r->tree, entry_cmp);

	return node ? *(struct sub_tomb_entry **)node : NULL;
}

static void drop_ended(struct sub_tomb *r, int64_t now_ms)
{
	struct heap_node *top;

	while ((top = heap_top(&r->heap)) && top->at <= now_ms)
		entry_drop(r, (struct sub_tomb_entry *)(void *)top);
}

void sub_tomb_put(struct sub_tomb *r, const char *service, const char *instance_id, int64_t seq,
	       int64_t until_ms)
{
	struct sub_tomb_entry *e, *old;

	if (r->max == 0 || seq < 0)
		return;
	e = key_new(service, instance_id);
	if (!e)
		return;
	old = entry_find(r, e);
	if (old) {
		if (seq > old->seq)
			old->seq = seq;
		if (until_ms > old->end.at) {
			old->end.at = until_ms;
			heap_fix(&r->heap, &old->end);
		}
		free(e);
		return;
	}
	if (r->count >= r->max) {
		entry_drop(r, (struct sub_tomb_entry *)(void *)heap_top(&r->heap));
		r->evicted++;
	}
	e->seq = seq;
	e->end.at = until_ms;
	if (heap_push(&r->heap, &e->end) < 0) {
		free(e);
		return;
	}
	if (!tsearch(e, &r->tree, entry_cmp)) {
		heap_remove(&r->heap, &e->end);
		free(e);
		return;
	}
	r->count++;
}

int64_t sub_tomb_seq(struct sub_tomb *r, const char *service, const char *instance_id,
		  int64_t now_ms)
{
	struct sub_tomb_entry *key, *e;
	int64_t seq;

	drop_ended(r, now_ms);
	if (r->count == 0)
		return -1;
	key = key_new(service, instance_id);
	if (!key)
		return -1;
	e = entry_find(r, key);
	seq = e ? e->seq : -1;
	free(key);
	return seq;
}

void sub_tomb_forget(struct sub_tomb *r, const char *service, const char *instance_id)
{
	struct sub_tomb_entry *key, *e;

	if (r->count == 0)
		return;
	key = key_new(service, instance_id);
	if (!key)
		return;
	e = entry_find(r, key);
	if (e)
		entry_drop(r, e);
	free(key);
}
