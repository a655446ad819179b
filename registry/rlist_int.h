#ifndef DISCOVERY_REGISTRY_RLIST_INT_H
#define DISCOVERY_REGISTRY_RLIST_INT_H

/*
 * Internal to rlist.c and rlist_cache.c, not part of the API: how a
 * listing is built (rlist.c) for the cache that keeps it (rlist_cache.c).
 */
#include <stdbool.h>
#include <stddef.h>

#include "discovery/subscriber.h"
#include "registry/rlist.h"
#include "token.h"

/* An empty body with room for nparts parts; NULL on no memory. */
struct rlist_body *rlist_body_new(const struct subscriber_view *view, size_t nparts);
/* Appends a part; b has room for it. */
void rlist_body_add(struct rlist_body *b, const char *text, size_t len);
/* Makes b one piece before anyone shares it (see rlist.c). */
void rlist_body_flatten(struct rlist_body *b);
/* /services, and the listing of one service (all instances, or those in
 * *state; turbine: the Turbine form), built now; NULL on no memory. */
struct rlist_body *rlist_build_services(struct subscriber *t);
struct rlist_body *rlist_build_instances(struct subscriber *t, const char *service,
					 const enum token_state *state, bool turbine);

#endif
