#ifndef DISCOVERY_AGGR_HTTP_H
#define DISCOVERY_AGGR_HTTP_H

#include <stddef.h>

#include <discovery/subscriber.h>

#include "aggregator/aggr_check.h"
#include "aggregator/aggr_table.h"

/*
 * The aggregator's HTTP API on libmicrohttpd, one internal thread (every
 * answer is a read of the member table under its lock): GET /status,
 * GET /turbine/{service}, GET /health, GET /metrics; JSON errors
 * otherwise (docs/aggregator.md).
 */
struct aggr_http_options {
	int port;
	size_t max_connections, max_per_client;
	struct aggr_table *table;
	struct aggr_check *check;
	struct subscriber *sub;
};

struct aggr_http;

struct aggr_http *aggr_http_start(const struct aggr_http_options *o, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void aggr_http_stop(struct aggr_http *h);

#endif
