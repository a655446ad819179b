#ifndef DISCOVERY_REGISTRY_RLIST_H
#define DISCOVERY_REGISTRY_RLIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "registry/table.h"
#include "token.h"

/*
 * The JSON listings of the registry (/services, /services/{name},
 * /turbine/{name}) and a cache of their rendered text.
 *
 * A cached listing is served again while the index it was rendered at (the
 * table's for /services, the service's otherwise) and the table's staleness
 * are unchanged, so every join, update, leave or expiry shows at once. A
 * renewal moves no index but changes lastSeen, expiresAt and seq: an
 * instance listing is therefore also re-rendered once it is older than
 * max_age_ms, which bounds how far those three fields lag behind the table.
 * /services and Turbine carry no such fields and are exact.
 */

/* {"index":N,"services":[{"name","instances","up"}]} (+"stale":true). */
cJSON *rlist_services_json(struct table *t, uint64_t *index) __attribute__((warn_unused_result));
/* {"index":N,"service":name,"instances":[…]} sorted by instanceId,
 * filtered by *state when state is not NULL (+"stale":true). */
cJSON *rlist_service_json(struct table *t, const char *service, const enum token_state *state,
			  uint64_t *index) __attribute__((warn_unused_result));
/* Turbine's array of the instances of one service; *index: the service's. */
cJSON *rlist_turbine_json(struct table *t, const char *service, uint64_t *index)
	__attribute__((warn_unused_result));

/* A rendered listing, shared by the cache and the responses sending it. */
struct rlist_body {
	atomic_uint refs;
	uint64_t index; /* for X-Registry-Index */
	size_t len;
	char *text;
};

struct rlist;

/* max_age_ms: 0 for the default, 250 ms. NULL on no memory. */
struct rlist *rlist_new(struct table *t, int64_t max_age_ms) __attribute__((warn_unused_result));
void rlist_free(struct rlist *l);

/* The listing as text, from the cache when still valid; rlist_release()
 * it. NULL on no memory. */
struct rlist_body *rlist_services(struct rlist *l) __attribute__((warn_unused_result));
struct rlist_body *rlist_service(struct rlist *l, const char *service,
				 const enum token_state *state) __attribute__((warn_unused_result));
struct rlist_body *rlist_turbine(struct rlist *l, const char *service)
	__attribute__((warn_unused_result));

/* Drops one reference to a struct rlist_body (an MHD free callback). */
void rlist_release(void *body);

#endif
