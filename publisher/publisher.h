#ifndef DISCOVERY_PUBLISHER_H
#define DISCOVERY_PUBLISHER_H

#include <stdbool.h>
#include <stdint.h>

#include "token.h"

/*
 * The embedded discovery publisher: a thread with its own AMQP connection
 * that announces one instance. It never blocks the embedding service: start
 * returns at once whatever the broker's state, and the broker being away
 * only delays tokens.
 *
 *   struct publisher_options o = { .amqp_url = url, .token = &t };
 *   struct publisher *p = publisher_start(&o);
 *   ...
 *   publisher_set_healthy(p, false);   // tokens now say DOWN
 *   ...
 *   publisher_stop(p);                 // DOWN token, then the thread ends
 */
struct publisher;

struct publisher_options {
	const char *amqp_url;     /* required; one URL, or a cluster's nodes comma-separated */
	const char *amqp_tls_ca;  /* amqps://: CA file; NULL: the system's bundle */
	const char *exchange;     /* NULL: "discovery" */
	const char *secret;       /* NULL or "": tokens are not signed */
	int64_t interval_ms;      /* 0: 2000; ttl = 3 intervals */
	/* What to announce: service, address, port, instance_id, hostname,
	 * health_url, stream_url, metadata. state, ttl, seq, ts and the
	 * incarnation (random per start) are the publisher's. The token is
	 * copied. */
	const struct token *token;
	/* While unhealthy, tokens say OUT_OF_SERVICE instead of DOWN. */
	bool out_of_service_when_unhealthy;
};

/*
 * Checks the options without starting anything: 0, or -1 with a sentence in
 * err. The token the publisher would send goes through the registry's own
 * decoder (signed mode when a secret is set), so options the registry would
 * reject (a bad healthUrl, a 300-byte instanceId, ...) fail here.
 */
int publisher_validate(const struct publisher_options *opts, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Copies the options and starts the thread; NULL on options that
 * publisher_validate() refuses (the reason is logged) or no memory. */
struct publisher *publisher_start(const struct publisher_options *opts)
	__attribute__((warn_unused_result));
/* From any thread: the next token (sent at once) carries the new state. */
void publisher_set_healthy(struct publisher *p, bool healthy);
struct publisher_stats {
	uint64_t sent;            /* tokens the broker's socket took */
	uint64_t dropped_blocked; /* tokens dropped while the broker blocked the connection */
};
/* From any thread. */
void publisher_stats(struct publisher *p, struct publisher_stats *out);

/* Sends DOWN when connected (waits at most about a second for that), stops
 * the thread and frees everything. */
void publisher_stop(struct publisher *p);

#endif
