#ifndef DISCOVERY_REGISTRY_RHTTP_H
#define DISCOVERY_REGISTRY_RHTTP_H

#include <stddef.h>
#include <stdint.h>

#include "discovery/subscriber.h"
#include "registry/rfeed.h"
#include "registry/rmirror.h"

/*
 * The registry's HTTP API on libmicrohttpd. A pool of internal polling
 * threads, each with its own epoll set, shares the connections; blocking
 * queries and idle event streams are suspended connections (see rwatch.h),
 * so thousands of them cost file descriptors and a little memory, never
 * threads.
 */
struct rhttp;

/* What one client may hold; every cap is an option (rconfig.c). */
struct rhttp_limits {
	size_t max_connections;	    /* over all clients */
	size_t max_per_client;	    /* connections per client address; 0: no cap */
	size_t max_waiting;	    /* blocking queries held at once; 0: no cap */
	size_t max_streams;	    /* event streams open at once; 0: no cap */
	int64_t request_timeout_ms; /* a whole request, from accept or the last response */
	uint64_t max_body;	    /* bytes of an (ignored) request body */
	size_t max_pending;	    /* connections waiting for their first head; 0: no cap */
};

struct rhttp_options {
	int port;
	unsigned int threads; /* HTTP threads; 0: 1 */
	struct rhttp_limits limits;
	int64_t keepalive_ms; /* SSE comment interval; 0: 15000 */
	struct subscriber *subscriber; /* the table */
	struct rfeed *feed;            /* its changes */
	struct rmirror *mirror;        /* the out-bridge's counts; NULL: none */
};

/* Starts listening; NULL with a sentence in err. Installs the change
 * feed's notify hook. */
struct rhttp *rhttp_start(const struct rhttp_options *opts, char *err,
			  size_t errlen) __attribute__((warn_unused_result));
/* Ends every wait and stream, stops the daemon, frees. */
void rhttp_stop(struct rhttp *h);

struct MHD_Response;
/* Adds the CORS headers that let pages from any origin read an answer. */
int rhttp_allow_browsers(struct MHD_Response *resp) __attribute__((warn_unused_result));

#endif
