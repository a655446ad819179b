#ifndef DISCOVERY_REGISTRY_RCOLLECT_H
#define DISCOVERY_REGISTRY_RCOLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/rrender.h"
#include "token.h"

/*
 * What a listing copies of each instance under the table's lock: a
 * reference to its rrender_frag and the few numbers a renewal changes, and
 * for the answers rendered from whole tokens (rprom) a copy of the token.
 * Everything else is rendered from the copy after the lock is released
 * (rlist, rprom).
 */
struct rcollect_entry {
	struct rrender_frag *frag; /* a reference */
	struct token *tok;	   /* a copy when rcollect.tokens, else NULL */
	struct rrender_times tm;
	int64_t seq;
	int ttl;
};

struct rcollect {
	struct rcollect_entry *v;
	size_t n, cap;
	const enum token_state *state; /* NULL: every instance, else only these */
	bool tokens;                   /* copy each instance's token too */
	bool failed;                   /* out of memory: v is incomplete */
};

/* A subscriber_instance_fn that appends to the struct rcollect ctx (the
 * instance's data is its rrender_frag). */
void rcollect_instance(void *ctx, const struct subscriber_instance *in, void *frag);
/* Releases the references, the copies and the array. */
void rcollect_clear(struct rcollect *c);

/* v, or v grown to hold more than n elements of size (the new capacity in
 * *cap); NULL (v untouched) on no memory. */
void *rcollect_grow(void *v, size_t *cap, size_t n, size_t size)
	__attribute__((warn_unused_result));

#endif
