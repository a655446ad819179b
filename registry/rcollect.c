/* What listings copy under the table's lock; see rcollect.h. */
#include "registry/rcollect.h"

#include <stdlib.h>

void *rcollect_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t more = *cap ? 2 * *cap : 64;

	if (n < *cap)
		return v;
	v = realloc(v, more * size);
	if (v)
		*cap = more;
	return v;
}

void rcollect_instance(void *ctx, const struct subscriber_instance *in, void *frag)
{
	struct rcollect *c = ctx;
	struct rcollect_entry *v;

	if (c->failed || (c->state && (int)in->state != (int)*c->state))
		return;
	v = rcollect_grow(c->v, &c->cap, c->n, sizeof(*v));
	if (!v) {
		c->failed = true;
		return;
	}
	c->v = v;
	c->v[c->n].tok = NULL;
	if (c->tokens) {
		struct token view;

		rrender_token_of(in, &view);
		c->v[c->n].tok = rrender_token_dup(&view);
		if (!c->v[c->n].tok) {
			c->failed = true;
			return;
		}
	}
	c->v[c->n].frag = rrender_frag_ref(frag);
	c->v[c->n].tm = rrender_times_of(in);
	c->v[c->n].seq = in->seq;
	c->v[c->n].ttl = in->ttl;
	c->n++;
}

void rcollect_clear(struct rcollect *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		rrender_frag_release(c->v[i].frag);
		rrender_token_free(c->v[i].tok);
	}
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}
