#ifndef DISCOVERY_REGISTRY_RHTTP_H
#define DISCOVERY_REGISTRY_RHTTP_H

#include <stddef.h>
#include <stdint.h>

#include "registry/rlink.h"
#include "registry/subscriber.h"
#include "registry/table.h"

/*
 * The registry's HTTP API on libmicrohttpd. One internal polling thread
 * (epoll) serves every connection; blocking queries and idle event streams
 * are suspended connections (see rwatch.h), so thousands of them cost file
 * descriptors and a little memory, never threads.
 */
struct rhttp;

struct rhttp_options {
	int port;
	size_t max_connections; /* 0: 20000 */
	int64_t keepalive_ms;   /* SSE comment interval; 0: 15000 */
	struct table *table;
	struct subscriber *subscriber; /* for /metrics; may be NULL */
	struct rlink *link;            /* for /health and /metrics; may be NULL */
};

/* Starts listening; NULL with a sentence in err. Installs the table's
 * notify hook. */
struct rhttp *rhttp_start(const struct rhttp_options *opts, char *err,
			  size_t errlen) __attribute__((warn_unused_result));
/* Ends every wait and stream, stops the daemon, frees. */
void rhttp_stop(struct rhttp *h);

struct MHD_Response;
/* Adds the CORS headers that let pages from any origin read an answer. */
int rhttp_allow_browsers(struct MHD_Response *resp) __attribute__((warn_unused_result));

#endif
