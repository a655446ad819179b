#ifndef DISCOVERY_AGGR_METRICS_H
#define DISCOVERY_AGGR_METRICS_H

#include <discovery/subscriber.h>

#include "aggregator/aggr_check.h"
#include "aggregator/aggr_table.h"

/* GET /metrics in Prometheus' text format: the members, the checks by
 * outcome and in flight, the feed's own figures; to free(), NULL when out
 * of memory. */
char *aggr_metrics_text(struct aggr_table *t, struct aggr_check *c, struct subscriber *sub)
	__attribute__((warn_unused_result));

#endif
