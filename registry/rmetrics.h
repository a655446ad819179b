#ifndef DISCOVERY_REGISTRY_RMETRICS_H
#define DISCOVERY_REGISTRY_RMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "discovery/subscriber.h"
#include "registry/rfeed.h"
#include "registry/rmirror.h"

/* HTTP request counts by route and status, kept by rhttp. */
#define RMETRICS_ROUTES 10
#define RMETRICS_CODES 14
extern const char *const rmetrics_route_names[RMETRICS_ROUTES];
extern const int rmetrics_codes[RMETRICS_CODES]; /* last slot: "other" (0) */

/* Why a connection or a request was refused by a limit. */
enum rmetrics_refusal {
	RMETRICS_REFUSED_FULL,		  /* connection: max_connections are open */
	RMETRICS_REFUSED_PER_CLIENT,	  /* connection: the client holds its cap */
	RMETRICS_REFUSED_REQUEST_TIMEOUT, /* connection: request not in within the time */
	RMETRICS_REFUSED_WAITING,	  /* 503: blocking queries at their cap */
	RMETRICS_REFUSED_STREAMS,	  /* 503: event streams at their cap */
	RMETRICS_REFUSED_BODY,		  /* 413: a request body too large */
	RMETRICS_REFUSED_PENDING,	  /* connection: max_pending wait for their head */
	RMETRICS_REFUSALS
};

struct rmetrics_http {
	uint64_t requests[RMETRICS_ROUTES][RMETRICS_CODES];
	uint64_t refused[RMETRICS_REFUSALS];
	uint64_t clients_gone; /* held connections whose client hung up */
	uint64_t woken[2];     /* held queries, idle streams woken by a change */
	uint64_t gzip_answers;	   /* listings sent gzip'd */
	uint64_t gzip_saved_bytes; /* what gzip took off their length */
	size_t connections; /* libmicrohttpd's and the held ones */
	size_t held;	    /* held outside libmicrohttpd (rheld.h) */
	size_t pending; /* in the front door, waiting for their first head */
	unsigned int threads;
	size_t queries_waiting;
	size_t streams_open;
	size_t streams_waiting;
};

/* Index of status in rmetrics_codes (the "other" slot when not listed). */
size_t rmetrics_code_slot(int status);

/* The Prometheus text exposition of everything; free() it. NULL on no
 * memory. sub's per-service counts are read from it, its other figures
 * from ss, the change feed's from feed; http and mirror (the out-bridge's)
 * may be NULL (omitted). */
char *rmetrics_render(struct subscriber *sub, const struct subscriber_stats *ss,
		      const struct rfeed_stats *feed, const struct rmetrics_http *http,
		      const struct rmirror_counts *mirror, size_t *len)
	__attribute__((warn_unused_result));

#endif
