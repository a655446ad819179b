/* The AMQP thread of the registry. */
#include "registry/rlink.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amqp_session.h"
#include "backoff.h"
#include "log.h"
#include "timing.h"
#include "token_sign.h"

/* One delivery wait: short enough that expiry runs every 50 ms, so an
 * instance is gone well within 250 ms of its expiry time. */
#define POLL_MS 50
#define EXPIRE_BATCH 64
/* Connect and RPC bound: a stop waits for a connect attempt in progress,
 * so it is kept shorter than the session's 5 s default. */
#define CONNECT_TIMEOUT_MS 2000

struct rlink {
	struct rlink_options opts;
	char *url, *exchange, *secret, *connection_name;
	struct amqp_session *session;
	pthread_t thread;
	atomic_bool stop;
	bool stopped; /* joined: the main thread's own */
	pthread_mutex_t mu; /* guards status */
	struct rlink_status status;
	bool outage_logged; /* one warning per outage, not one per retry */
};

static void set_connected(struct rlink *l, bool connected, const char *error)
{
	pthread_mutex_lock(&l->mu);
	if (connected && !l->status.connected) {
		if (l->status.connects > 0)
			l->status.reconnects++;
		l->status.connects++;
		l->status.down_since_ms = 0;
		l->outage_logged = false;
	} else if (!connected && l->status.connected) {
		l->status.down_since_ms = timing_wall_ms();
		l->status.blocked = false;
		log_warn("amqp connection down: self-preservation on, nothing expires");
		l->outage_logged = true;
	} else if (!connected && error && !l->outage_logged) {
		/* Never connected yet: say why the answers are stale. */
		log_warn("amqp broker unreachable, retrying reason=\"%s\"", error);
		l->outage_logged = true;
	}
	l->status.connected = connected;
	snprintf(l->status.node, sizeof(l->status.node), "%s", amqp_session_node(l->session));
	if (error)
		snprintf(l->status.last_error, sizeof(l->status.last_error), "%s", error);
	pthread_mutex_unlock(&l->mu);
}

static void count(struct rlink *l, uint64_t *counter)
{
	pthread_mutex_lock(&l->mu);
	(*counter)++;
	pthread_mutex_unlock(&l->mu);
}

/* Publishes body under key, signed when there is a secret. */
static int publish(struct rlink *l, const char *key, const char *body,
		   int64_t expiration_ms)
{
	char sig[TOKEN_SIGNATURE_HEX + 1];
	struct amqp_session_header h = { TOKEN_SIGNATURE_HEADER, sig };
	struct amqp_session_message m = {
		.exchange = l->exchange,
		.routing_key = key,
		.body = body,
		.len = strlen(body),
		.content_type = "application/json",
		.expiration_ms = expiration_ms,
		.timestamp_s = timing_wall_ms() / 1000,
		.user_id = amqp_session_user(l->session),
	};

	if (l->secret) {
		token_sign(l->secret, body, m.len, sig);
		m.headers = &h;
		m.header_count = 1;
	}
	return amqp_session_publish(l->session, &m);
}

/* The subscriber's republish hook: on the link's own session and thread. */
static int republish(void *ctx, const char *routing_key, const char *body, int64_t ttl_ms)
{
	struct rlink *l = ctx;

	if (!amqp_session_is_open(l->session))
		return AMQP_SESSION_ERR_NOT_OPEN;
	return publish(l, routing_key, body, ttl_ms);
}

/* A DOWN token for an expired instance. Its seq stays the instance's last
 * one, so the instance's own next token (a higher seq) still wins, and the
 * copy that comes back to our own queue is a no-op (the instance is gone). */
static void announce_expired(struct rlink *l, struct token *t)
{
	char key[TOKEN_SERVICE_MAX + 32];
	char *body;

	t->state = TOKEN_DOWN;
	t->ts = timing_wall_ms();
	free(t->reason);
	t->reason = strdup("expired");
	log_info("instance expired service=%s instance=%s address=%s", t->service,
		 t->instance_id, t->address);
	if (!t->reason || token_routing_key(t, key, sizeof(key)) < 0)
		return;
	body = token_encode(t);
	if (!body)
		return;
	if (amqp_session_is_open(l->session) &&
	    publish(l, key, body, (int64_t)t->ttl * 1000) == 0)
		count(l, &l->status.expired_announced);
	else
		count(l, &l->status.publish_errors);
	free(body);
}

static void run_expiry(struct rlink *l)
{
	struct token expired[EXPIRE_BATCH];
	size_t n, i;

	do {
		/* Renewals that are still on their way would have come in time:
		 * an instance expires only when it is late by more than the
		 * feed is. */
		n = table_expire(l->opts.table,
				 timing_mono_ms() - subscriber_feed_lag_ms(l->opts.subscriber),
				 expired, EXPIRE_BATCH);
		for (i = 0; i < n; i++) {
			announce_expired(l, &expired[i]);
			token_clear(&expired[i]);
		}
	} while (n == EXPIRE_BATCH);
}

/* Connects, subscribes and asks for a re-announce; 0 or negative. */
static int connect_once(struct rlink *l)
{
	char err[256];
	int rc;

	rc = amqp_session_open(l->session, err, sizeof(err));
	if (rc < 0) {
		set_connected(l, false, err);
		return rc;
	}
	rc = subscriber_setup(l->opts.subscriber, l->session);
	if (rc == 0)
		rc = publish(l, TOKEN_SYNC_KEY, "{}", 0);
	if (rc < 0) {
		amqp_session_close(l->session);
		set_connected(l, false,
			      rc == AMQP_SESSION_ERR_REFUSED ? amqp_session_refusal(l->session)
							     : "subscribe failed");
		return rc;
	}
	/* Expiry resumes with a fresh ttl window for everyone: the publishers
	 * answer the sync within a second and renew from there. */
	table_set_stale(l->opts.table, false, timing_mono_ms());
	set_connected(l, true, NULL);
	log_info("amqp connected, sync requested node=%s", amqp_session_node(l->session));
	return 0;
}

static void sleep_unless_stopped(struct rlink *l, int64_t ms)
{
	int64_t until = timing_mono_ms() + ms;

	while (!atomic_load(&l->stop) && timing_mono_ms() < until)
		timing_sleep_ms(until - timing_mono_ms() < POLL_MS ?
					until - timing_mono_ms() : POLL_MS);
}

/*
 * A resource alarm blocks the publishers' connections, so renewals stop
 * arriving: the silence is the broker's, not the instances'. While the
 * feed is blocked nothing expires and answers say stale; when it is
 * unblocked every instance gets a fresh ttl window from then, so nothing
 * expires before the publishers had one ttl to renew.
 */
static void track_blocked(struct rlink *l)
{
	bool blocked = amqp_session_is_blocked(l->session) ||
		       subscriber_alarmed(l->opts.subscriber),
	     was;

	pthread_mutex_lock(&l->mu);
	was = l->status.blocked;
	l->status.blocked = blocked;
	if (blocked && !was)
		l->status.blocked_since_ms = timing_wall_ms();
	pthread_mutex_unlock(&l->mu);
	if (blocked && !was) {
		table_set_stale(l->opts.table, true, timing_mono_ms());
		log_warn("amqp feed blocked by the broker: self-preservation on, nothing expires");
	} else if (!blocked && was) {
		table_set_stale(l->opts.table, false, timing_mono_ms());
		log_info("amqp feed unblocked: expiry resumes one ttl from now");
	}
}

static void *rlink_main(void *arg)
{
	struct rlink *l = arg;
	struct amqp_session_delivery d;
	struct backoff b;
	int rc;

	backoff_init(&b);
	while (!atomic_load(&l->stop)) {
		if (!amqp_session_is_open(l->session)) {
			table_set_stale(l->opts.table, true, timing_mono_ms());
			set_connected(l, false, NULL);
			if (connect_once(l) < 0) {
				sleep_unless_stopped(l, backoff_next_ms(&b));
				continue;
			}
			backoff_reset(&b);
		}
		rc = amqp_session_next(l->session, POLL_MS, &d);
		if (rc == AMQP_SESSION_ERR_REFUSED)
			log_warn("amqp broker refused the registry, reconnecting reason=\"%s\"",
				 amqp_session_refusal(l->session));
		if (rc == 1)
			subscriber_handle(l->opts.subscriber, l->session, &d,
					  timing_wall_ms());
		if (amqp_session_is_open(l->session)) {
			track_blocked(l);
			run_expiry(l);
			subscriber_tick(l->opts.subscriber, timing_mono_ms());
		}
	}
	amqp_session_close(l->session);
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

struct rlink *rlink_start(const struct rlink_options *opts)
{
	struct rlink *l = calloc(1, sizeof(*l));
	struct amqp_session_options so = { 0 };

	if (!l)
		return NULL;
	l->opts = *opts;
	l->url = dup_or_null(opts->url);
	l->exchange = strdup(opts->exchange && *opts->exchange ? opts->exchange
								 : "discovery");
	l->secret = dup_or_null(opts->secret);
	l->connection_name = dup_or_null(opts->connection_name);
	if (!l->url || !l->exchange || (opts->secret && *opts->secret && !l->secret))
		goto fail;
	so.url = l->url;
	so.tls_ca = opts->tls_ca;
	so.connection_name = l->connection_name;
	so.timeout_ms = CONNECT_TIMEOUT_MS;
	l->session = amqp_session_new(&so);
	if (!l->session)
		goto fail;
	atomic_init(&l->stop, false);
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		goto fail_session;
	table_set_stale(opts->table, true, timing_mono_ms());
	l->status.down_since_ms = timing_wall_ms();
	subscriber_set_republish(opts->subscriber, republish, l);
	if (pthread_create(&l->thread, NULL, rlink_main, l) != 0)
		goto fail_mutex;
	return l;
fail_mutex:
	pthread_mutex_destroy(&l->mu);
fail_session:
	amqp_session_free(l->session);
fail:
	free(l->url);
	free(l->exchange);
	free(l->secret);
	free(l->connection_name);
	free(l);
	return NULL;
}

void rlink_stop(struct rlink *l)
{
	if (!l || l->stopped)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	l->stopped = true;
}

void rlink_free(struct rlink *l)
{
	if (!l)
		return;
	rlink_stop(l);
	amqp_session_free(l->session);
	pthread_mutex_destroy(&l->mu);
	free(l->url);
	free(l->exchange);
	free(l->secret);
	free(l->connection_name);
	free(l);
}

void rlink_status(struct rlink *l, struct rlink_status *out)
{
	pthread_mutex_lock(&l->mu);
	*out = l->status;
	pthread_mutex_unlock(&l->mu);
}
