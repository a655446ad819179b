#ifndef DISCOVERY_REGISTRY_RSTATUS_H
#define DISCOVERY_REGISTRY_RSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "peercap.h"
#include "registry/metrics.h"
#include "registry/rlink.h"
#include "registry/rwatch.h"
#include "registry/subscriber.h"
#include "registry/table.h"

/* The bodies of the registry's status routes, GET /health and GET /metrics. */

/* The /health object (NULL: no memory), and the table index in *index.
 * link may be NULL (counted as connected). */
cJSON *rstatus_health(struct table *t, struct rlink *link, uint64_t *index)
	__attribute__((warn_unused_result));

/* Where /metrics takes its figures from; subscriber and link may be NULL. */
struct rstatus_sources {
	struct table *table;
	struct subscriber *subscriber;
	struct rlink *link;
	struct rwatch *watch;
	struct peercap *peers;
	size_t connections;		    /* HTTP connections open now */
	const struct rmetrics_http *counts; /* rhttp's request and refusal counts */
};

/* The Prometheus text; free() it. NULL on no memory. */
char *rstatus_metrics(const struct rstatus_sources *src, size_t *len)
	__attribute__((warn_unused_result));

#endif
