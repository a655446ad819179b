#ifndef DISCOVERY_REGISTRY_RLIST_H
#define DISCOVERY_REGISTRY_RLIST_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "registry/table.h"
#include "token.h"

/* The JSON listings of the registry: /services, /services/{name}, /turbine/{name}. */

/* {"index":N,"services":[{"name","instances","up"}]} (+"stale":true). */
cJSON *rlist_services_json(struct table *t, uint64_t *index) __attribute__((warn_unused_result));
/* {"index":N,"service":name,"instances":[…]} sorted by instanceId,
 * filtered by *state when state is not NULL (+"stale":true). */
cJSON *rlist_service_json(struct table *t, const char *service, const enum token_state *state,
			  uint64_t *index) __attribute__((warn_unused_result));
/* Turbine's array of the instances of one service; *index: the service's. */
cJSON *rlist_turbine_json(struct table *t, const char *service, uint64_t *index)
	__attribute__((warn_unused_result));

#endif
