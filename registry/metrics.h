#ifndef DISCOVERY_REGISTRY_METRICS_H
#define DISCOVERY_REGISTRY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "registry/rlink.h"
#include "registry/subscriber.h"
#include "registry/table.h"

/* HTTP request counts by route and status, kept by rhttp. */
#define RMETRICS_ROUTES 8
#define RMETRICS_CODES 8
extern const char *const rmetrics_route_names[RMETRICS_ROUTES];
extern const int rmetrics_codes[RMETRICS_CODES]; /* last slot: "other" (0) */

struct rmetrics_http {
	uint64_t requests[RMETRICS_ROUTES][RMETRICS_CODES];
	size_t queries_waiting;
	size_t streams_open;
};

/* Index of status in rmetrics_codes (the "other" slot when not listed). */
size_t rmetrics_code_slot(int status);

/* The Prometheus text exposition of everything; free() it. NULL on no
 * memory. Any of the stats pointers may be NULL (omitted). */
char *rmetrics_render(struct table *t, const struct subscriber_stats *sub,
		      const struct rlink_status *link,
		      const struct rmetrics_http *http, size_t *len)
	__attribute__((warn_unused_result));

#endif
