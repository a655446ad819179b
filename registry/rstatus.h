#ifndef DISCOVERY_REGISTRY_RSTATUS_H
#define DISCOVERY_REGISTRY_RSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hfront.h"
#include "peercap.h"
#include "registry/rmetrics.h"
#include "discovery/subscriber.h"
#include "registry/rmirror.h"
#include "registry/rwatch.h"

/* The bodies of the registry's status routes, GET /health and GET /metrics. */

/* The /health object (NULL: no memory), and the table index in *index. */
cJSON *rstatus_health(struct subscriber *sub, uint64_t *index)
	__attribute__((warn_unused_result));

/* Where /metrics takes its figures from. */
struct rstatus_sources {
	struct subscriber *subscriber;
	struct rfeed *feed;
	struct rwatch *watch;
	struct peercap *peers;
	struct hfront_shared *front; /* the front door's counts */
	size_t connections;		    /* HTTP connections open now */
	unsigned int threads;		    /* HTTP threads */
	const struct rmetrics_http *counts; /* rhttp's request and refusal counts */
	const struct rmirror *mirror;	    /* the out-bridge; NULL: none */
};

/* The Prometheus text; free() it. NULL on no memory. */
char *rstatus_metrics(const struct rstatus_sources *src, size_t *len)
	__attribute__((warn_unused_result));

#endif
