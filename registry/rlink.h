#ifndef DISCOVERY_REGISTRY_RLINK_H
#define DISCOVERY_REGISTRY_RLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "registry/subscriber.h"
#include "registry/table.h"

/*
 * The registry's AMQP thread: it owns the session, feeds the subscriber,
 * runs expiry, announces expired instances as DOWN tokens, asks publishers
 * to re-announce (discovery.sync) on every connect, and switches the table
 * into self-preservation while the connection is down.
 */
struct rlink;

struct rlink_options {
	const char *url;
	const char *tls_ca;          /* NULL: the system's CA bundle */
	const char *exchange;        /* NULL: "discovery" */
	const char *secret;          /* signs the registry's own messages */
	const char *connection_name; /* "discovery-registry:<hostname>" */
	struct table *table;
	struct subscriber *subscriber;
};

struct rlink_status {
	bool connected;
	bool blocked;             /* the broker blocked the connection (an alarm) */
	int64_t blocked_since_ms; /* wall ms, while blocked */
	int64_t down_since_ms; /* wall ms, 0 while connected */
	uint64_t connects;     /* successful (re)connects */
	uint64_t reconnects;   /* connects after a loss */
	uint64_t expired_announced;
	uint64_t publish_errors;
	char last_error[160];
	char node[512]; /* masked URL of the broker node connected to, or last tried */
};

/* Starts the thread (the table is stale until the first connect). */
struct rlink *rlink_start(const struct rlink_options *opts)
	__attribute__((warn_unused_result));
/* Stops the thread and closes the session: nothing calls into the table
 * or the subscriber from here on, while rlink_status() still answers (the
 * HTTP side may still ask until it is stopped too). */
void rlink_stop(struct rlink *l);
/* Stops if still running, and frees. */
void rlink_free(struct rlink *l);
void rlink_status(struct rlink *l, struct rlink_status *out);

#endif
