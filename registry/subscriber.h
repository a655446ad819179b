#ifndef DISCOVERY_REGISTRY_SUBSCRIBER_H
#define DISCOVERY_REGISTRY_SUBSCRIBER_H

#include <stdbool.h>
#include <stdint.h>

#include "amqp_session.h"
#include "registry/table.h"
#include "token.h"

/*
 * Feeds a table from the discovery exchange. Any C consumer that wants its
 * own local table (a registry, a Turbine-style aggregator) owns a session on
 * one thread and calls:
 *
 *   subscriber_setup(sub, session)     after every (re)connect
 *   subscriber_handle(sub, session, &d, timing_wall_ms())  per delivery
 *
 * Its own exclusive, server-named queue is bound to "discovery.#", so every
 * consumer sees every token. Optionally it also consumes a plain legacy queue
 * of {"state","address"} tokens and RabbitMQ's connection.created and
 * connection.closed events: an instance leaves at once with reason
 * "connection-lost" only when the closed connection is the one its latest
 * token came over (docs/registry.md, crash detection).
 */
struct subscriber;

struct subscriber_options {
	const char *exchange;       /* NULL: "discovery" */
	const char *secret;         /* NULL or "": tokens need no signature */
	int64_t max_skew_ms;        /* signed mode |ts - now| bound; 0: 30000 */
	const char *legacy_queue;   /* NULL or "": none */
	const char *legacy_service; /* service of legacy tokens */
	int legacy_ttl_s;           /* ttl of legacy tokens that carry none */
	bool watch_connections;     /* bind amq.rabbitmq.event connection.* */
	size_t max_connections;     /* created connections remembered; 0: 100000 */
	int64_t queue_max;          /* messages the broker keeps queued for us; 0: 100000 */
	/* How long a publisher's closed connection waits before its instance
	 * leaves, for the process to reconnect (a cluster node that stops
	 * closes its connections as a crash would); 0: at once. */
	int64_t close_grace_ms;
};

/*
 * How the subscriber publishes a token body on the discovery exchange
 * (signed when there is a secret), from the thread that calls
 * subscriber_handle; 0 or negative. A legacy queue's tokens go out this way
 * as proper tokens, so every replica applies them; without a hook they are
 * applied here only. Set it before the first subscriber_handle.
 */
typedef int (*subscriber_publish_fn)(void *ctx, const char *routing_key, const char *body,
				     int64_t ttl_ms);
void subscriber_set_republish(struct subscriber *sub, subscriber_publish_fn fn, void *ctx);

/* Reasons for rejecting a message: the codec's errors, then the signature's. */
enum subscriber_reject {
	SUBSCRIBER_UNSIGNED = TOKEN_ERROR_COUNT,
	SUBSCRIBER_BAD_SIGNATURE,
	SUBSCRIBER_STALE_TS,
	SUBSCRIBER_REJECT_COUNT,
};
/* Index i in [0, SUBSCRIBER_REJECT_COUNT): "not_json", …, "stale_ts". */
const char *subscriber_reject_name(int i);

/* Why a connection.closed event removed nothing. */
enum subscriber_conn_ignored {
	SUBSCRIBER_CONN_NOT_DISCOVERY,     /* not a publisher's connection name */
	SUBSCRIBER_CONN_UNKNOWN_INSTANCE,  /* no such instance in the table */
	SUBSCRIBER_CONN_OTHER_VHOST,       /* created in another vhost */
	SUBSCRIBER_CONN_OTHER_USER,        /* created by another broker user */
	SUBSCRIBER_CONN_OTHER_INCARNATION, /* not the latest token's process */
	SUBSCRIBER_CONN_UNBOUND,           /* latest token without user_id or incarnation */
	SUBSCRIBER_CONN_IGNORED_COUNT,
};
/* "not_discovery", "unknown_instance", ... for metrics. */
const char *subscriber_conn_ignored_name(int i);

struct subscriber_stats {
	uint64_t received;   /* token messages (sync and events excluded) */
	uint64_t applied;    /* accepted by the table, any outcome */
	uint64_t outcomes[TABLE_OUTCOME_COUNT];
	uint64_t rejected[SUBSCRIBER_REJECT_COUNT];
	uint64_t connection_lost; /* instances removed by connection events */
	uint64_t legacy_bridged;  /* legacy tokens republished on the exchange */
	uint64_t connections_ignored[SUBSCRIBER_CONN_IGNORED_COUNT];
	size_t connections_tracked; /* created, not yet closed */
	size_t alarms_active;       /* broker resource alarms set, not cleared */
	uint64_t closes_deferred;   /* closes that waited out close_grace_ms */
	uint64_t closes_resumed;    /* ... whose process came back meanwhile */
	size_t closes_waiting;      /* in their grace now */
	int64_t feed_lag_ms;        /* subscriber_feed_lag_ms() */
};

struct subscriber *subscriber_new(const struct subscriber_options *opts,
				  struct table *table)
	__attribute__((warn_unused_result));
void subscriber_free(struct subscriber *sub);

/* Declares the exchange and queues, binds and consumes. A negative code
 * means the session is unusable (reconnect). When the event exchange is
 * missing, connection watching is turned off for the next attempts. */
int subscriber_setup(struct subscriber *sub, struct amqp_session *s)
	__attribute__((warn_unused_result));

/* Handles one delivery from a queue that subscriber_setup() consumes; s is
 * the session it came from (its headers, user and vhost). now_ms is the
 * wall clock, which tokens' ts are compared with; the table's deadlines
 * run on the monotonic clock. */
void subscriber_handle(struct subscriber *sub, const struct amqp_session *s,
		       const struct amqp_session_delivery *d, int64_t now_ms);

void subscriber_stats(struct subscriber *sub, struct subscriber_stats *out);

/* Removes the instances whose connection's grace ran out without their
 * process coming back; call it from the subscriber's thread, often. */
void subscriber_tick(struct subscriber *sub, int64_t now_mono_ms);

/* A resource alarm (alarm.set on the event exchange, not yet cleared) is on
 * somewhere in the broker: publishers are being blocked. */
bool subscriber_alarmed(struct subscriber *sub);

/*
 * How far behind the feed runs, in ms: the smallest age (wall clock minus
 * the token's ts) of the tokens handled in the last second, 0 without any.
 * A registry starved of CPU, or a broker with a backlog, delivers renewals
 * late; the expiry that follows would be the registry's own fault.
 */
int64_t subscriber_feed_lag_ms(struct subscriber *sub);

#endif
