#ifndef DISCOVERY_AGGR_RENDER_H
#define DISCOVERY_AGGR_RENDER_H

#include <stddef.h>

#include "aggregator/aggr_table.h"

/*
 * The aggregator's JSON answers from its members (sorted by service, then
 * instanceId, as aggr_table_read hands them). Each returns a string to
 * cJSON_free(), or NULL when out of memory.
 */

/* GET /status: {"services":[{"name":…,"instances":N,"healthy":H,"members":[
 * {"instanceId","address","port","state","healthy","checkedAt","error"}]}]}
 * checkedAt and error are null before the first check ends; error is null
 * when the last check passed. */
char *aggr_render_status(const struct aggr_member *const *members, size_t n)
	__attribute__((warn_unused_result));

/* GET /turbine/{service}: Turbine's instance model, as the registry's
 * route has it, [{"hostname":"address:port","cluster":…,"isUp":…}];
 * isUp is true for an UP member whose last check did not fail. */
char *aggr_render_turbine(const struct aggr_member *const *members, size_t n, const char *service)
	__attribute__((warn_unused_result));

#endif
