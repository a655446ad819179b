/*
 * The feed: one AMQP session, its queues and bindings, the sync request on
 * every connect, expiry (and its DOWN tokens), and self-preservation while
 * the session is down or the broker blocks the publishers. One round of it
 * is sub_feed_step(), which the subscriber's own thread runs in a loop, or
 * the host through subscriber_step().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subscriber/sub_int.h"
#include "timing.h"
#include "token_sign.h"

#define EXPIRE_BATCH 64
/* Messages handled in one step before expiry runs again: a flood must
 * not hold expiry back for long. */
#define STEP_BATCH 64
/* The longest a host may wait between two steps: heartbeats and the
 * blocked state are serviced in a step. */
#define MAX_WAIT_MS 1000

static void set_connected(struct subscriber *sub, bool connected, const char *error)
{
	pthread_mutex_lock(&sub->mu);
	if (connected && !sub->stats.connected) {
		if (sub->stats.connects > 0)
			sub->stats.reconnects++;
		sub->stats.connects++;
		sub->stats.down_since_ms = 0;
		sub->outage_logged = false;
	} else if (!connected && sub->stats.connected) {
		sub->stats.down_since_ms = timing_wall_ms();
		sub->stats.blocked = false;
		log_warn("amqp connection down: self-preservation on, nothing expires");
		sub->outage_logged = true;
	} else if (!connected && error && !sub->outage_logged) {
		/* Never connected yet: say why the answers are stale. */
		log_warn("amqp broker unreachable, retrying reason=\"%s\"", error);
		sub->outage_logged = true;
	}
	sub->stats.connected = connected;
	snprintf(sub->stats.node, sizeof(sub->stats.node), "%s", amqp_session_node(sub->session));
	if (error)
		snprintf(sub->stats.last_error, sizeof(sub->stats.last_error), "%s", error);
	pthread_mutex_unlock(&sub->mu);
	subscriber__tell_feed(sub, connected ? SUBSCRIBER_FEED_CONNECTED : SUBSCRIBER_FEED_STALE);
}

static void count(struct subscriber *sub, uint64_t *counter)
{
	pthread_mutex_lock(&sub->mu);
	(*counter)++;
	pthread_mutex_unlock(&sub->mu);
}

/* body (JSON, transient, with the connection's user_id) through exchange
 * under key, with the headers given. */
static int publish(struct subscriber *sub, const char *exchange, const char *key,
		   const char *body, int64_t expiration_ms, const struct amqp_session_header *h,
		   size_t header_count)
{
	struct amqp_session_message m = {
		.exchange = exchange,
		.routing_key = key,
		.body = body,
		.len = strlen(body),
		.content_type = "application/json",
		.expiration_ms = expiration_ms,
		.timestamp_s = timing_wall_ms() / 1000,
		.user_id = amqp_session_user(sub->session),
		.headers = h,
		.header_count = header_count,
	};

	if (!amqp_session_is_open(sub->session))
		return AMQP_SESSION_ERR_NOT_OPEN;
	return amqp_session_publish(sub->session, &m);
}

int sub_feed_publish(struct subscriber *sub, const char *key, const char *body,
		     int64_t expiration_ms)
{
	char sig[TOKEN_SIGNATURE_HEX + 1];
	struct amqp_session_header h = { TOKEN_SIGNATURE_HEADER, sig };

	if (!sub->secret)
		return publish(sub, sub->exchange, key, body, expiration_ms, NULL, 0);
	token_sign(sub->secret, body, strlen(body), sig);
	return publish(sub, sub->exchange, key, body, expiration_ms, &h, 1);
}

int subscriber_publish(struct subscriber *sub, const char *exchange, const char *routing_key,
		       const char *body, int64_t expiration_ms)
{
	return publish(sub, exchange, routing_key, body, expiration_ms, NULL, 0);
}

/* A DOWN token for an expired instance. Its seq stays the instance's last
 * one, so the instance's own next token (a higher seq) still wins, and the
 * copy that comes back to our own queue is a no-op (the instance is gone). */
static void announce_expired(struct subscriber *sub, struct token *t)
{
	char key[TOKEN_SERVICE_MAX + 32];
	char *body;

	log_info("instance expired service=%s instance=%s address=%s", t->service,
		 t->instance_id, t->address);
	if (!sub->announce_expiry)
		return;
	t->state = TOKEN_DOWN;
	t->ts = timing_wall_ms();
	free(t->reason);
	t->reason = strdup("expired");
	if (!t->reason || token_routing_key(t, key, sizeof(key)) < 0)
		return;
	body = token_encode(t);
	if (!body)
		return;
	if (sub_feed_publish(sub, key, body, (int64_t)t->ttl * 1000) == 0)
		count(sub, &sub->stats.expired_announced);
	else
		count(sub, &sub->stats.publish_errors);
	free(body);
}

static void run_expiry(struct subscriber *sub)
{
	struct token expired[EXPIRE_BATCH];
	size_t n, i;

	do {
		/* Renewals that are still on their way would have come in time:
		 * an instance expires only when it is late by more than the
		 * feed is. */
		n = sub_store_expire(sub->store, timing_mono_ms() - sub_token_lag_ms(sub), expired,
				     EXPIRE_BATCH);
		subscriber__drain(sub);
		for (i = 0; i < n; i++) {
			announce_expired(sub, &expired[i]);
			token_clear(&expired[i]);
		}
	} while (n == EXPIRE_BATCH);
}

/* Declares the exchange and queues, binds and consumes. When the event
 * exchange is missing, connection watching is off for the next attempts. */
static int subscribe(struct subscriber *sub)
{
	static const char *const events[] = { "connection.created", "connection.closed",
					      "alarm.set", "alarm.cleared" };
	struct amqp_session *s = sub->session;
	char queue[256], key[TOKEN_SERVICE_MAX + 32];
	size_t i;
	int rc;

	/* Alarms cleared while disconnected are not told: start afresh, and
	 * one still on blocks the first publish (the sync request) anyway. */
	sub_event_reset(sub);
	rc = amqp_session_declare_exchange(s, sub->exchange, "topic", true);
	if (rc == 0)
		rc = amqp_session_declare_bounded_queue(s, sub->queue_max, queue, sizeof(queue));
	if (rc == 0 && !sub->services)
		rc = amqp_session_bind(s, queue, sub->exchange, TOKEN_ROUTING_PREFIX "#");
	for (i = 0; rc == 0 && sub->services && sub->services[i]; i++) {
		snprintf(key, sizeof(key), "%s%s.*", TOKEN_ROUTING_PREFIX, sub->services[i]);
		rc = amqp_session_bind(s, queue, sub->exchange, key);
	}
	if (rc == 0)
		rc = amqp_session_consume(s, queue);
	if (rc == 0 && sub->legacy_queue) {
		rc = amqp_session_declare_queue(s, sub->legacy_queue, false, NULL, 0);
		if (rc == 0)
			rc = amqp_session_consume(s, sub->legacy_queue);
	}
	if (rc == 0 && sub->declare_queue)
		rc = amqp_session_declare_durable_queue(s, sub->declare_queue);
	if (rc < 0 || !sub->watch_connections)
		return rc;
	rc = amqp_session_declare_bounded_queue(s, sub->queue_max, queue, sizeof(queue));
	for (i = 0; rc == 0 && i < sizeof(events) / sizeof(events[0]); i++)
		rc = amqp_session_bind(s, queue, SUB_EVENT_EXCHANGE, events[i]);
	if (rc == AMQP_SESSION_ERR_REFUSED) {
		log_warn("subscriber cannot bind %s (plugin rabbitmq_event_exchange "
			 "off?): crashed instances leave by ttl only", SUB_EVENT_EXCHANGE);
		sub->watch_connections = false;
		return rc;
	}
	if (rc == 0)
		rc = amqp_session_consume(s, queue);
	return rc;
}

/* Connects, subscribes and asks for a re-announce; 0 or negative. */
static int connect_once(struct subscriber *sub)
{
	char err[256];
	int rc;

	rc = amqp_session_open(sub->session, err, sizeof(err));
	if (rc < 0) {
		set_connected(sub, false, err);
		return rc;
	}
	rc = subscribe(sub);
	if (rc == 0)
		rc = sub_feed_publish(sub, TOKEN_SYNC_KEY, "{}", 0);
	if (rc < 0) {
		amqp_session_close(sub->session);
		set_connected(sub, false,
			      rc == AMQP_SESSION_ERR_REFUSED ? amqp_session_refusal(sub->session)
							     : "subscribe failed");
		return rc;
	}
	/* Expiry resumes with a fresh ttl window for everyone: the publishers
	 * answer the sync within a second and renew from there. */
	sub_store_set_stale(sub->store, false, timing_mono_ms());
	set_connected(sub, true, NULL);
	log_info("amqp connected, sync requested node=%s", amqp_session_node(sub->session));
	return 0;
}

/*
 * A resource alarm blocks the publishers' connections, so renewals stop
 * arriving: the silence is the broker's, not the instances'. While the
 * feed is blocked nothing expires and answers say stale; when it is
 * unblocked every instance gets a fresh ttl window from then, so nothing
 * expires before the publishers had one ttl to renew.
 */
static void track_blocked(struct subscriber *sub)
{
	bool blocked = amqp_session_is_blocked(sub->session) || sub_event_alarmed(sub), was;

	pthread_mutex_lock(&sub->mu);
	was = sub->stats.blocked;
	sub->stats.blocked = blocked;
	if (blocked && !was)
		sub->stats.blocked_since_ms = timing_wall_ms();
	pthread_mutex_unlock(&sub->mu);
	if (blocked && !was) {
		sub_store_set_stale(sub->store, true, timing_mono_ms());
		log_warn("amqp feed blocked by the broker: self-preservation on, nothing expires");
		subscriber__tell_feed(sub, SUBSCRIBER_FEED_BLOCKED);
	} else if (!blocked && was) {
		sub_store_set_stale(sub->store, false, timing_mono_ms());
		log_info("amqp feed unblocked: expiry resumes one ttl from now");
		subscriber__tell_feed(sub, SUBSCRIBER_FEED_CONNECTED);
	}
}

static void handle(struct subscriber *sub, const struct amqp_session_delivery *d,
		   int64_t wall_ms)
{
	if (strcmp(d->exchange, SUB_EVENT_EXCHANGE) == 0)
		sub_event_handle(sub, d);
	else
		sub_token_handle(sub, d, wall_ms);
}

void sub_feed_step(struct subscriber *sub, int wait_ms)
{
	struct amqp_session_delivery d;
	int64_t wall_ms;
	int rc, n = 0;

	if (!amqp_session_is_open(sub->session)) {
		sub_store_set_stale(sub->store, true, timing_mono_ms());
		set_connected(sub, false, NULL);
		if (timing_mono_ms() < sub->retry_at_ms)
			return;
		if (connect_once(sub) < 0) {
			sub->retry_at_ms = timing_mono_ms() + backoff_next_ms(&sub->backoff);
			return;
		}
		backoff_reset(&sub->backoff);
	}
	/* One wait, then what already arrived, up to a batch, all compared
	 * with the clock read once after the wait: a batch takes well under
	 * a millisecond. */
	rc = amqp_session_next(sub->session, wait_ms, &d);
	wall_ms = timing_wall_ms();
	while (rc == 1) {
		handle(sub, &d, wall_ms);
		rc = ++n < STEP_BATCH ? amqp_session_next(sub->session, 0, &d) : 0;
	}
	if (rc == AMQP_SESSION_ERR_REFUSED)
		log_warn("amqp broker refused the subscriber, reconnecting reason=\"%s\"",
			 amqp_session_refusal(sub->session));
	if (amqp_session_is_open(sub->session)) {
		track_blocked(sub);
		run_expiry(sub);
		sub_event_tick(sub, timing_mono_ms());
	}
}

int sub_feed_timeout_ms(struct subscriber *sub)
{
	int64_t now = timing_mono_ms(), until;

	if (!amqp_session_is_open(sub->session))
		until = sub->retry_at_ms;
	else if (amqp_session_pending(sub->session))
		return 0;
	else
		until = sub_store_next_expiry(sub->store) + sub_token_lag_ms(sub);
	if (until <= now)
		return 0;
	return until - now < MAX_WAIT_MS ? (int)(until - now) : MAX_WAIT_MS;
}

void sub_feed_close(struct subscriber *sub)
{
	amqp_session_close(sub->session);
}
