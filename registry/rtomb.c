/* Tombstones of departed instances: a tsearch tree for lookups and an
 * rheap for what ends first. */
#include "registry/rtomb.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct rtomb_entry {
	struct rheap_node end; /* first: the heap's node is the entry */
	int64_t seq;
	char key[]; /* "<service>\n<instanceId>": '\n' is in neither */
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rtomb_entry *)a)->key, ((const struct rtomb_entry *)b)->key);
}

void rtomb_init(struct rtomb *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void rtomb_free(struct rtomb *r)
{
	tdestroy(r->tree, free);
	rheap_free(&r->heap);
	memset(r, 0, sizeof(*r));
}

static void entry_drop(struct rtomb *r, struct rtomb_entry *e)
{
	tdelete(e, &r->tree, entry_cmp);
	rheap_remove(&r->heap, &e->end);
	r->count--;
	free(e);
}

/* A lookup key on the heap; NULL when the names do not fit it. */
static struct rtomb_entry *key_new(const char *service, const char *instance_id)
{
	size_t len = strlen(service) + 1 + strlen(instance_id) + 1;
	struct rtomb_entry *e = malloc(sizeof(*e) + len);

	if (e)
		snprintf(e->key, len, "%s\n%s", service, instance_id);
	return e;
}

static struct rtomb_entry *entry_find(struct rtomb *r, const struct rtomb_entry *key)
{
	void *node = tfind(key, &r->tree, entry_cmp);

	return node ? *(struct rtomb_entry **)node : NULL;
}

static void drop_ended(struct rtomb *r, int64_t now_ms)
{
	struct rheap_node *top;

	while ((top = rheap_top(&r->heap)) && top->at <= now_ms)
		entry_drop(r, (struct rtomb_entry *)(void *)top);
}

void rtomb_put(struct rtomb *r, const char *service, const char *instance_id, int64_t seq,
	       int64_t until_ms)
{
	struct rtomb_entry *e, *old;

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
			rheap_fix(&r->heap, &old->end);
		}
		free(e);
		return;
	}
	if (r->count >= r->max) {
		entry_drop(r, (struct rtomb_entry *)(void *)rheap_top(&r->heap));
		r->evicted++;
	}
	e->seq = seq;
	e->end.at = until_ms;
	if (rheap_push(&r->heap, &e->end) < 0) {
		free(e);
		return;
	}
	if (!tsearch(e, &r->tree, entry_cmp)) {
		rheap_remove(&r->heap, &e->end);
		free(e);
		return;
	}
	r->count++;
}

int64_t rtomb_seq(struct rtomb *r, const char *service, const char *instance_id,
		  int64_t now_ms)
{
	struct rtomb_entry *key, *e;
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

void rtomb_forget(struct rtomb *r, const char *service, const char *instance_id)
{
	struct rtomb_entry *key, *e;

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
