#ifndef DISCOVERY_SUBSCRIBER_SUB_INT_H
#define DISCOVERY_SUBSCRIBER_SUB_INT_H

/*
 * Internal to the subscriber library, not installed: the struct behind the
 * public handle, shared by the files that each own one concern of it:
 *   subscriber.c  the public API: options, thread, queries, callbacks
 *   sub_feed.c    the connection loop: connect, subscribe, sync, expiry,
 *                 self-preservation, the host's fd and step
 *   sub_token.c   token messages: signature, decode, legacy tokens, lag
 *   sub_event.c   RabbitMQ's connection and alarm events (crash detection)
 *   sub_store*.c  the instance table (sub_index, common heap.c, sub_tomb, sub_conn:
 *                 its parts)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "amqp_session.h"
#include "backoff.h"
#include "discovery/subscriber.h"
#include "log.h"
#include "subscriber/sub_conn.h"
#include "subscriber/sub_grace.h"
#include "subscriber/sub_store.h"
#include "token.h"
#include "token_decode.h"

/* Reasons for rejecting a message: the codec's errors, then the signature's. */
enum sub_token_reject {
	SUB_TOKEN_UNSIGNED = TOKEN_ERROR_COUNT,
	SUB_TOKEN_BAD_SIGNATURE,
	SUB_TOKEN_STALE_TS,
	SUB_TOKEN_REJECT_COUNT,
};
_Static_assert(SUB_TOKEN_REJECT_COUNT == SUBSCRIBER_REJECT_COUNT,
	       "SUBSCRIBER_REJECT_COUNT is not the number of reasons");

/* Why a connection.closed event removed nothing. */
enum sub_event_ignored {
	SUB_EVENT_NOT_DISCOVERY,     /* not a publisher's connection name */
	SUB_EVENT_UNKNOWN_INSTANCE,  /* no such instance in the table */
	SUB_EVENT_OTHER_VHOST,       /* created in another vhost */
	SUB_EVENT_OTHER_USER,        /* created by another broker user */
	SUB_EVENT_OTHER_INCARNATION, /* not the latest token's process */
	SUB_EVENT_UNBOUND,           /* latest token without user_id or incarnation */
	SUB_EVENT_IGNORED_COUNT,
};
_Static_assert(SUB_EVENT_IGNORED_COUNT == SUBSCRIBER_CONN_IGNORED_COUNT,
	       "SUBSCRIBER_CONN_IGNORED_COUNT is not the number of reasons");

#define SUB_EVENT_EXCHANGE "amq.rabbitmq.event"
/* Alarms told apart by node and source (memory, disk): a few per node. */
#define SUB_MAX_ALARMS 32
/* Rejections are logged once per source per window, sources kept in a
 * small round-robin set so a flood of distinct keys cannot grow memory. */
#define SUB_LOG_SOURCES 32

struct sub_log_source {
	char key[128];
	struct log_ratelimit rl;
};

struct subscriber {
	/* The options, copied. */
	char *url, *tls_ca, *connection_name, *exchange, *secret, *legacy_queue;
	char *declare_queue;
	char **services; /* NULL-terminated; NULL: all */
	char legacy_key[160]; /* routing key that names the legacy service */
	int legacy_ttl_s;
	int64_t max_skew_ms, queue_max;
	bool announce_expiry;
	struct subscriber_callbacks cb;
	void *data;

	struct sub_store *store;

	/* sub_event.c; the feed's thread only. */
	bool watch_connections;
	struct sub_conn *connections;
	int64_t close_grace_ms;
	struct sub_grace *grace; /* closes waiting out close_grace_ms */
	char alarms[SUB_MAX_ALARMS][SUB_CONN_FIELD_MAX]; /* "<node> <source>", "" free */

	/* sub_token.c; the feed's thread only, but for the lag (under mu). */
	struct token_buf decoded; /* the token being handled */
	int64_t lag_bucket[2], lag_min[2];
	struct sub_log_source sources[SUB_LOG_SOURCES];
	size_t next_source;

	/* sub_feed.c; the feed's thread only. */
	struct amqp_session *session;
	struct backoff backoff;
	int64_t retry_at_ms; /* monotonic: when to connect again */
	bool outage_logged;  /* one warning per outage, not one per retry */
	enum subscriber_feed_state told; /* the feed state last told to the host */

	/* subscriber.c */
	pthread_t thread;
	atomic_bool stop;
	bool running;

	/* Guards what other threads read: the counters (the table's own are
	 * the store's) and the lag. */
	pthread_mutex_t mu;
	struct subscriber_stats stats;
};

/* subscriber.c: the store's hooks (ctx: the subscriber), calling the
 * host's attach and detach. */
void *subscriber__attach(void *ctx, const struct subscriber_instance *in);
void subscriber__detach(void *ctx, void *data);
/* subscriber.c: tells the host the table's changes queued so far. */
void subscriber__drain(struct subscriber *sub);
/* subscriber.c: tells the host the feed's state when it changed. */
void subscriber__tell_feed(struct subscriber *sub, enum subscriber_feed_state state);

/* sub_feed.c: publishes body under key on the exchange, signed when there
 * is a secret; 0 or a negative amqp_session code. */
int sub_feed_publish(struct subscriber *sub, const char *key, const char *body,
		     int64_t expiration_ms) __attribute__((warn_unused_result));
/* sub_feed.c: one round of the loop; waits up to wait_ms for a message. */
void sub_feed_step(struct subscriber *sub, int wait_ms);
int sub_feed_timeout_ms(struct subscriber *sub);
void sub_feed_close(struct subscriber *sub);

/* sub_token.c: one message of the discovery exchange or the legacy queue;
 * now_ms is the wall clock, which tokens' ts are compared with. */
void sub_token_handle(struct subscriber *sub, const struct amqp_session_delivery *d,
		      int64_t now_ms);
/* How far behind the feed runs, in ms: the smallest age (wall clock minus
 * the token's ts) of the tokens handled in the last second, 0 without
 * any. Renewals still on their way would have come in time, so expiry
 * waits for it. */
int64_t sub_token_lag_ms(struct subscriber *sub);

/* sub_event.c: at every subscribe: forgets the alarms (their clears are
 * not told while the feed is down), and gives the closes in their grace
 * time for the sync's answers. */
void sub_event_reset(struct subscriber *sub);
/* sub_event.c: the process of that instance and incarnation is back (it
 * reconnected, or announced): a close in its grace removes nothing. */
void sub_event_resume(struct subscriber *sub, const char *service, const char *instance_id,
		      const char *incarnation);
/* sub_event.c: acts on the closes whose grace ended at now_ms. */
void sub_event_tick(struct subscriber *sub, int64_t now_ms);
/* sub_event.c: one message of the event exchange. */
void sub_event_handle(struct subscriber *sub, const struct amqp_session_delivery *d);
/* sub_event.c: a resource alarm is on somewhere in the broker. */
bool sub_event_alarmed(struct subscriber *sub);

#endif
