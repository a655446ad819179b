#ifndef DISCOVERY_PUBLISHER_H
#define DISCOVERY_PUBLISHER_H

/*
 * libdiscovery-publisher, the embedded discovery publisher: a thread with
 * its own AMQP connection that announces one instance. It never blocks the
 * embedding service: start returns at once whatever the broker's state,
 * and the broker being away only delays tokens.
 *
 *   struct publisher_instance me = { .service = "quotes", .address = "10.0.0.5",
 *                                    .port = 8080 };
 *   struct publisher_options o = { .amqp_url = url, .instance = &me };
 *   struct publisher *p = publisher_start(&o);
 *   ...
 *   publisher_set_healthy(p, false);   // tokens now say DOWN
 *   ...
 *   publisher_stop(p);                 // DOWN token, then the thread ends
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DISCOVERY_PUBLISHER_VERSION_MAJOR 1
#define DISCOVERY_PUBLISHER_VERSION_MINOR 0
#define DISCOVERY_PUBLISHER_VERSION "1.0.0"

#if defined(__GNUC__)
#define PUBLISHER_API __attribute__((visibility("default")))
#define PUBLISHER_WUR __attribute__((warn_unused_result))
#else
#define PUBLISHER_API
#define PUBLISHER_WUR
#endif

struct publisher;

struct publisher_metadata {
	const char *key; /* [A-Za-z0-9._-]+ */
	const char *value;
};

/* What to announce; copied by publisher_start(). state, ttl, seq, ts and
 * the incarnation (random per start) are the publisher's. */
struct publisher_instance {
	const char *service; /* required: [a-z0-9][a-z0-9._-]{0,62} */
	const char *address; /* required: an IPv4 or IPv6 literal, no port */
	int port;            /* 0: none */
	const char *instance_id; /* NULL: "address:port" */
	const char *hostname;    /* the others: NULL when absent */
	const char *health_url;
	const char *stream_url;
	const struct publisher_metadata *metadata; /* at most 32 */
	size_t metadata_count;
};

struct publisher_options {
	const char *amqp_url;     /* required; one URL, or a cluster's nodes comma-separated */
	const char *amqp_tls_ca;  /* amqps://: CA file; NULL: the system's bundle */
	const char *exchange;     /* NULL: "discovery" */
	const char *secret;       /* NULL or "": tokens are not signed */
	int64_t interval_ms;      /* 0: 2000; ttl = 3 intervals */
	const struct publisher_instance *instance; /* required */
	/* While unhealthy, tokens say OUT_OF_SERVICE instead of DOWN. */
	bool out_of_service_when_unhealthy;
};

/*
 * Checks the options without starting anything: 0, or -1 with a sentence in
 * err. The token the publisher would send goes through the registry's own
 * decoder (signed mode when a secret is set), so options the registry would
 * reject (a bad healthUrl, a 300-byte instanceId, ...) fail here.
 */
PUBLISHER_API int publisher_validate(const struct publisher_options *opts, char *err,
				     size_t errlen) PUBLISHER_WUR;

/* Copies the options and starts the thread; NULL on options that
 * publisher_validate() refuses (the reason is logged) or no memory. */
PUBLISHER_API struct publisher *publisher_start(const struct publisher_options *opts)
	PUBLISHER_WUR;
/* From any thread: the next token (sent at once) carries the new state. */
PUBLISHER_API void publisher_set_healthy(struct publisher *p, bool healthy);
struct publisher_stats {
	uint64_t sent;            /* tokens the broker's socket took */
	uint64_t dropped_blocked; /* tokens dropped while the broker blocked the connection */
};
/* From any thread. */
PUBLISHER_API void publisher_stats(struct publisher *p, struct publisher_stats *out);

/* Sends DOWN when connected (waits at most about a second for that), stops
 * the thread and frees everything. */
PUBLISHER_API void publisher_stop(struct publisher *p);

#ifdef __cplusplus
}
#endif

#endif
