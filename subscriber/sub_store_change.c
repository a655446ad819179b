/*
 * The table's changes on their way to the host: each one queued as a copy
 * under the lock, told by sub_store_drain() with the lock released; and the
 * host's per-instance data, made by its hooks under the lock.
 */
#include <stdlib.h>
#include <string.h>

#include "subscriber/sub_store_int.h"

static const char *const leave_reasons[] = { "down", "expired", "connection-lost" };

/*
 * Moves the indexes and queues a copy of in for the drain. A leaving or
 * expired instance is gone, whatever it said last: its copy says DOWN, and
 * why. reason_text NULL: the leave reason's name.
 */
void sub_store__record(struct sub_store *t, struct svc *s, enum sub_store_outcome kind,
		       struct inst *in, enum subscriber_leave_reason reason,
		       const char *reason_text)
{
	struct sub_change *c;

	s->index = ++t->index;
	in->index = t->index;
	if (t->nchanges == t->changes_cap) {
		size_t cap = t->changes_cap ? 2 * t->changes_cap : 16;

		c = realloc(t->changes, cap * sizeof(*c));
		if (!c)
			return; /* the hooks miss this one; the table does not */
		t->changes = c;
		t->changes_cap = cap;
	}
	c = &t->changes[t->nchanges];
	if (token_copy(&c->tok, &in->tok) < 0)
		return;
	c->kind = kind;
	c->reason = reason;
	if (kind == SUB_STORE_LEFT) {
		free(c->tok.reason);
		c->tok.reason = strdup(reason_text ? reason_text : leave_reasons[reason]);
		c->tok.state = TOKEN_DOWN;
	}
	c->first_seen = in->first_seen;
	c->last_seen = in->last_seen;
	c->expires_wall = in->expires_wall;
	c->changed = in->changed;
	c->index = t->index;
	t->nchanges++;
}

void sub_store_drain(struct sub_store *t, sub_store_change_fn fn, void *ctx)
{
	struct sub_change *v;
	struct subscriber_instance view;
	size_t n, i;

	pthread_mutex_lock(&t->mu);
	v = t->changes;
	n = t->nchanges;
	t->changes = NULL;
	t->nchanges = t->changes_cap = 0;
	pthread_mutex_unlock(&t->mu);
	for (i = 0; i < n; i++) {
		sub_store_describe(&v[i].tok, &view);
		view.first_seen = v[i].first_seen;
		view.last_seen = v[i].last_seen;
		view.expires_at = v[i].expires_wall;
		view.changed = v[i].changed;
		view.index = v[i].index;
		if (fn)
			fn(ctx, v[i].kind, &view, v[i].reason);
		token_clear(&v[i].tok);
	}
	free(v);
}

/* What the attach hook returns for in's token; (void *)1 without a hook,
 * so that NULL always means out of memory. */
void *sub_store__attach(struct sub_store *t, const struct inst *in, const struct token *tok)
{
	struct subscriber_instance view;

	if (!t->lim.attach)
		return (void *)1;
	sub_store_describe(tok, &view);
	view.first_seen = in->first_seen;
	view.last_seen = in->last_seen;
	view.expires_at = in->expires_wall;
	view.changed = in->changed;
	view.index = in->index;
	return t->lim.attach(t->lim.hook_ctx, &view);
}

void sub_store__detach(struct sub_store *t, void *data)
{
	if (t->lim.detach && data)
		t->lim.detach(t->lim.hook_ctx, data);
}
