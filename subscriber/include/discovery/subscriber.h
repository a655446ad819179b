#ifndef DISCOVERY_SUBSCRIBER_H
#define DISCOVERY_SUBSCRIBER_H

/*
 * libdiscovery-subscriber: follow the discovery token stream on RabbitMQ
 * and keep a live table of instances, in any C program.
 *
 *   static void on_join(struct subscriber *sub, const struct subscriber_instance *in)
 *   { printf("%s %s:%d joined\n", in->service, in->address, in->port); }
 *
 *   struct subscriber_options o = {
 *           .amqp_url = "amqp://guest:guest@localhost:5672/",
 *           .callbacks = { .join = on_join },
 *   };
 *   struct subscriber *sub = subscriber_new(&o);
 *   subscriber_start(sub);           // a thread of its own, or see subscriber_step()
 *   ...
 *   struct subscriber_snapshot *snap =
 *           subscriber_snapshot(sub, "accountservice", SUBSCRIBER_MASK(SUBSCRIBER_UP));
 *   ...
 *   subscriber_snapshot_free(snap);
 *   subscriber_free(sub);            // stops the thread first
 *
 * What it does for you: one exclusive queue bound to the services you
 * follow (all by default), token validation and, with a secret, signature
 * and clock checks; seq order (an older token never undoes a newer one);
 * expiry when an instance's ttl runs out, on the monotonic clock; crash
 * detection through RabbitMQ's connection events (plugin
 * rabbitmq_event_exchange); a sync request (routing key discovery.sync) at
 * start and after every reconnect, so the table is complete within a
 * second; and self-preservation: while its own feed is down or blocked by
 * a broker alarm nothing expires, since the silence is the feed's and not
 * the instances'. docs/subscriber.md has the whole story.
 *
 * Threads: every query below may be called from any thread. Callbacks run
 * on the thread that runs the feed (the subscriber's own after
 * subscriber_start, the caller of subscriber_step otherwise), one at a
 * time, in the order of the changes; they may query the subscriber, but
 * must not stop or free it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DISCOVERY_SUBSCRIBER_VERSION_MAJOR 1
#define DISCOVERY_SUBSCRIBER_VERSION_MINOR 0
#define DISCOVERY_SUBSCRIBER_VERSION "1.0.0"

#if defined(__GNUC__)
#define SUBSCRIBER_API __attribute__((visibility("default")))
#define SUBSCRIBER_WUR __attribute__((warn_unused_result))
#else
#define SUBSCRIBER_API
#define SUBSCRIBER_WUR
#endif

struct subscriber;

/* An instance's state, as its tokens say. */
enum subscriber_state {
	SUBSCRIBER_UP,
	SUBSCRIBER_DOWN,
	SUBSCRIBER_STARTING,
	SUBSCRIBER_OUT_OF_SERVICE,
};
#define SUBSCRIBER_STATE_COUNT 4
/* A set of states for the queries; SUBSCRIBER_ANY is every state. */
#define SUBSCRIBER_MASK(state) (1u << (state))
#define SUBSCRIBER_ANY 0xfu

/* Why an instance left the table. */
enum subscriber_leave_reason {
	SUBSCRIBER_LEFT_DOWN,            /* it said DOWN */
	SUBSCRIBER_LEFT_EXPIRED,         /* its ttl ran out (here) */
	SUBSCRIBER_LEFT_CONNECTION_LOST, /* its AMQP connection closed: a crash */
};

/* The feed, as the feed callback reports it. */
enum subscriber_feed_state {
	SUBSCRIBER_FEED_CONNECTED, /* subscribed; expiry runs */
	SUBSCRIBER_FEED_STALE,     /* no connection: nothing expires */
	SUBSCRIBER_FEED_BLOCKED,   /* a broker alarm blocks publishers: nothing expires */
};

struct subscriber_metadata {
	const char *key;
	const char *value;
};

/*
 * One instance: its latest token and when the table saw it. Every pointer
 * is borrowed for the duration of the callback or walk that passes it (a
 * snapshot's live as long as the snapshot). Optional strings are NULL when
 * absent.
 */
struct subscriber_instance {
	const char *service;
	const char *instance_id;
	const char *address; /* an IPv4 or IPv6 literal */
	int port;            /* 0 when absent */
	enum subscriber_state state;
	const char *hostname;
	const char *health_url;
	const char *stream_url;
	const char *incarnation; /* "" when absent */
	const char *user_id;     /* the broker user it came from, or NULL */
	/* The reason a DOWN token gave, or "expired", "connection-lost";
	 * NULL while the instance is in the table. */
	const char *reason;
	const struct subscriber_metadata *metadata;
	size_t metadata_count;
	int ttl;           /* seconds, as kept (clamped to max_ttl_s) */
	int64_t seq;       /* -1 when its tokens carry none */
	int64_t ts;        /* the token's send time, ms since the epoch; 0: none */
	int64_t first_seen; /* wall clock, ms since the epoch */
	int64_t last_seen;
	int64_t expires_at;
	int64_t changed; /* its join or its last change (not a renewal) */
	/* The table index of the change this instance (or event) is from. */
	uint64_t index;
};

/* How the subscriber tells its host what happens. Any may be NULL. */
struct subscriber_callbacks {
	void (*join)(struct subscriber *sub, const struct subscriber_instance *in);
	/* Its description changed (state, address, port, hostname, URLs or
	 * metadata); a renewal that changes nothing is not told. */
	void (*update)(struct subscriber *sub, const struct subscriber_instance *in);
	/* in->state is DOWN: the instance is gone. */
	void (*leave)(struct subscriber *sub, const struct subscriber_instance *in,
		      enum subscriber_leave_reason reason);
	void (*feed)(struct subscriber *sub, enum subscriber_feed_state state);
	/*
	 * For hosts that keep something per instance beside the table (the
	 * registry keeps its rendered JSON): called with the table locked when
	 * an instance joins or its description changes, it returns what
	 * subscriber_foreach() hands out with the instance from then on (NULL:
	 * out of memory, and the change is refused and counted). detach gets it
	 * back when it is replaced or the instance is dropped. Neither may call
	 * into the subscriber.
	 */
	void *(*attach)(struct subscriber *sub, const struct subscriber_instance *in);
	void (*detach)(struct subscriber *sub, void *instance_data);
};

struct subscriber_options {
	/* amqp://user:pass@host:port/vhost or amqps://; several URLs separated
	 * by commas name the nodes of a cluster. Required. */
	const char *amqp_url;
	const char *amqp_tls_ca;     /* amqps://: CA file; NULL: the system's bundle */
	const char *connection_name; /* NULL: "discovery-subscriber:<hostname>" */
	const char *exchange;        /* NULL: "discovery" */
	/* NULL-terminated list of the services to follow; NULL: all. */
	const char *const *services;
	/* Signed mode: tokens need a valid x-signature, a ts within
	 * max_skew_ms of the clock, and a seq above the last one seen (also
	 * of an instance that left). NULL or "": unsigned tokens. */
	const char *secret;
	int64_t max_skew_ms; /* 0: 30000 */
	/* Also consume this plain queue of the blog series' tokens
	 * ({"state","address"}), as service legacy_service with legacy_ttl_s
	 * when they carry no ttl, republished on the exchange as proper
	 * tokens so that every subscriber sees them. NULL or "": none. */
	const char *legacy_queue;
	const char *legacy_service;
	int legacy_ttl_s; /* 0: 90 */
	/* A durable queue declared at every connect, for a host that writes
	 * to it with subscriber_publish() (the registry's out-bridge); a
	 * broker that refuses the declaration fails the connect, as any
	 * other. NULL or "": none. */
	const char *declare_queue;
	/* Publish a DOWN token with "reason":"expired" for every instance
	 * that expires here, for consumers that only understand UP and DOWN. */
	bool announce_expiry;
	/* Limits; 0 takes the default. */
	size_t max_instances;   /* 50000 */
	size_t max_services;    /* 10000 */
	size_t max_per_service; /* 10000 */
	int max_ttl_s;          /* a longer ttl is clamped: 300 */
	size_t max_connections; /* broker connections remembered by pid: 100000 */
	int64_t queue_max;      /* messages the broker keeps queued for us: 100000 */
	/* How long a publisher's closed connection waits before its instance
	 * leaves, for the process to reconnect (a cluster node that stops
	 * closes its connections as a crash would); 0: at once. */
	int64_t close_grace_ms;
	/* The table index before the first change; 0: the wall clock in
	 * microseconds, so that an index never goes backwards across restarts. */
	uint64_t first_index;
	struct subscriber_callbacks callbacks;
	void *data; /* the host's: subscriber_data() */
};

/* Copies the options; NULL on a bad URL, bad options or no memory. Nothing
 * connects until subscriber_start() or subscriber_step(). */
SUBSCRIBER_API struct subscriber *subscriber_new(const struct subscriber_options *opts)
	SUBSCRIBER_WUR;
/* Stops the thread if it runs, closes the connection and frees. */
SUBSCRIBER_API void subscriber_free(struct subscriber *sub);
SUBSCRIBER_API void *subscriber_data(const struct subscriber *sub);

/* A thread of its own runs the feed: 0, or -1 (no thread, or already
 * started). subscriber_stop() joins it; after it returns no callback runs. */
SUBSCRIBER_API int subscriber_start(struct subscriber *sub) SUBSCRIBER_WUR;
SUBSCRIBER_API void subscriber_stop(struct subscriber *sub);

/*
 * Or the host's own loop (never together with subscriber_start):
 *
 *   for (;;) {
 *           struct pollfd p = { subscriber_fd(sub), POLLIN, 0 };
 *           poll(&p, p.fd >= 0, subscriber_timeout_ms(sub));
 *           subscriber_step(sub);
 *   }
 *
 * subscriber_step() connects when it is time to (blocking up to 2 s while
 * a connect is in progress), handles every message already received,
 * expires what is due and returns. subscriber_fd() is the connection's
 * socket, -1 while there is none; subscriber_timeout_ms() is how long the
 * host may wait before the next step (0 when one is due now).
 */
SUBSCRIBER_API void subscriber_step(struct subscriber *sub);
SUBSCRIBER_API int subscriber_fd(const struct subscriber *sub);
SUBSCRIBER_API int subscriber_timeout_ms(struct subscriber *sub);

/* ---- queries: from any thread, each a consistent view ---- */

/* What a query saw: the table's index (or the service's, for one
 * service) and whether the feed was down or blocked. */
struct subscriber_view {
	uint64_t index;
	bool stale;
};

/* The table index (service NULL), or the index of one service, which
 * moves only when that service's instances change (first_index for a
 * service never seen). Both only grow. */
SUBSCRIBER_API uint64_t subscriber_index(struct subscriber *sub, const char *service);
SUBSCRIBER_API void subscriber_view(struct subscriber *sub, const char *service,
				    struct subscriber_view *out);

/* A copy of the instances of one service (NULL: of every service, by
 * service), by instanceId, whose state is in mask; NULL on no memory. */
struct subscriber_snapshot;
SUBSCRIBER_API struct subscriber_snapshot *subscriber_snapshot(struct subscriber *sub,
								const char *service,
								unsigned mask) SUBSCRIBER_WUR;
SUBSCRIBER_API size_t subscriber_snapshot_count(const struct subscriber_snapshot *snap);
SUBSCRIBER_API const struct subscriber_instance *
subscriber_snapshot_at(const struct subscriber_snapshot *snap, size_t i);
SUBSCRIBER_API void subscriber_snapshot_view(const struct subscriber_snapshot *snap,
					     struct subscriber_view *out);
SUBSCRIBER_API void subscriber_snapshot_free(struct subscriber_snapshot *snap);

/*
 * Walks with the table locked, without copying: fn gets each instance of
 * one service (NULL: every service, by service) and what attach returned
 * for it, and must not call into the subscriber. view (may be NULL) gets
 * what the walk saw.
 */
typedef void (*subscriber_instance_fn)(void *ctx, const struct subscriber_instance *in,
				       void *instance_data);
SUBSCRIBER_API void subscriber_foreach(struct subscriber *sub, const char *service,
				       subscriber_instance_fn fn, void *ctx,
				       struct subscriber_view *view);
/* Every service with instances, by name, with its counts by state. */
typedef void (*subscriber_service_fn)(void *ctx, const char *service,
				      const size_t counts[SUBSCRIBER_STATE_COUNT]);
SUBSCRIBER_API void subscriber_foreach_service(struct subscriber *sub, subscriber_service_fn fn,
					       void *ctx, struct subscriber_view *view);

/*
 * For hosts that pass on what they see over the subscriber's own
 * connection: only from a callback, on the feed's thread, which owns the
 * connection. Publishes body (JSON, transient, with the connection's
 * user_id) through exchange ("": the default exchange, where routing_key
 * names a queue), to expire after expiration_ms in a queue (0: never).
 * 0, or negative when the feed has no connection or the broker refused.
 */
SUBSCRIBER_API int subscriber_publish(struct subscriber *sub, const char *exchange,
				      const char *routing_key, const char *body,
				      int64_t expiration_ms) SUBSCRIBER_WUR;

/* ---- counters ---- */

/* What applied tokens did to the table. */
#define SUBSCRIBER_OUTCOME_COUNT 8 /* joined, updated, renewed, left, stale_seq, absent, full, replayed */
#define SUBSCRIBER_REJECT_COUNT 17 /* the token codec's reasons, unsigned, bad_signature, stale_ts */
#define SUBSCRIBER_CONN_IGNORED_COUNT 6
#define SUBSCRIBER_CAP_COUNT 3 /* max_instances, max_services, max_per_service */

struct subscriber_stats {
	/* the table */
	uint64_t index;
	size_t instances, services;
	uint64_t joins, updates, leaves, expiries;
	uint64_t refused_by[SUBSCRIBER_CAP_COUNT]; /* new instances refused, by cap */
	uint64_t ttl_clamped; /* tokens whose ttl was above max_ttl_s */
	uint64_t conflicts;   /* tokens of a second live process with the same instanceId */
	size_t tombstones;
	uint64_t tombstones_evicted;
	bool stale;
	/* the tokens */
	uint64_t received; /* token messages (sync requests and events excluded) */
	uint64_t applied;  /* reached the table, whatever they did there */
	uint64_t outcomes[SUBSCRIBER_OUTCOME_COUNT];
	uint64_t rejected[SUBSCRIBER_REJECT_COUNT];
	uint64_t legacy_bridged;
	int64_t feed_lag_ms; /* the freshest recent token's age; expiry waits for it */
	/* the broker's connection events */
	uint64_t connection_lost;
	uint64_t connections_ignored[SUBSCRIBER_CONN_IGNORED_COUNT];
	size_t connections_tracked;
	uint64_t closes_deferred, closes_resumed; /* closes that waited close_grace_ms */
	size_t closes_waiting;                     /* closes in their grace now */
	size_t alarms_active;
	/* the feed's own connection */
	bool connected, blocked;
	int64_t down_since_ms;    /* wall ms, 0 while connected */
	int64_t blocked_since_ms; /* wall ms, while blocked */
	uint64_t connects, reconnects;
	uint64_t expired_announced, publish_errors;
	char last_error[160];
	char node[512]; /* the broker node connected to, or last tried (masked URL) */
};
SUBSCRIBER_API void subscriber_stats(struct subscriber *sub, struct subscriber_stats *out);

/* Labels of the counters' indexes, for metrics: "joined", ...; "not_json",
 * ..., "stale_ts"; "not_discovery", ...; "max_instances", ... */
SUBSCRIBER_API const char *subscriber_outcome_name(int i);
SUBSCRIBER_API const char *subscriber_reject_name(int i);
SUBSCRIBER_API const char *subscriber_conn_ignored_name(int i);
SUBSCRIBER_API const char *subscriber_cap_name(int i);
/* "UP", "DOWN", "STARTING", "OUT_OF_SERVICE". */
SUBSCRIBER_API const char *subscriber_state_name(enum subscriber_state state);
/* "down", "expired", "connection-lost". */
SUBSCRIBER_API const char *subscriber_leave_reason_name(enum subscriber_leave_reason reason);

#ifdef __cplusplus
}
#endif

#endif
