#include "discovery/publisher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amqp_session.h"
#include "announce.h"
#include "backoff.h"
#include "description.h"
#include "log.h"
#include "rng.h"
#include "timing.h"
#include "token_decode.h"

#define PUBLISHER_DEFAULT_INTERVAL_MS 2000
#define PUBLISHER_DEFAULT_EXCHANGE    "discovery"
/* The longest the thread waits in one call, so that stop and health
 * changes are acted on promptly and heartbeats are serviced. */
#define PUBLISHER_TICK_MS 50
/* Bounds connect and the closing handshake, hence publisher_stop. */
#define PUBLISHER_AMQP_TIMEOUT_MS 1000
#define PUBLISHER_INTERVAL_JITTER 0.10
#define PUBLISHER_SYNC_JITTER_MS  250
/* Sync requests waiting for a stalled publisher: one answer serves them all. */
#define PUBLISHER_SYNC_QUEUE_MAX 16

struct publisher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC */

	/* Shared with the embedding service, under lock. */
	bool stopping;
	bool healthy;
	bool health_changed;

	/* The thread's own from here on. */
	char *exchange;
	char *secret;
	int64_t interval_ms;
	int ttl_s;
	bool out_of_service_when_unhealthy;
	struct token token;
	struct amqp_session *session;
	struct backoff backoff;
	struct rng rng;
	int64_t seq;
	char url_masked[1024]; /* the whole list, for messages about all nodes */
	_Atomic uint64_t sent, dropped_blocked; /* read by publisher_stats */
};

/* The thread's timers, all on the monotonic clock (0: none due). */
struct publisher_timers {
	int64_t next_token_at;
	int64_t sync_at;
	int64_t retry_at;
	int64_t outage_since;
	/* The broker refused a token (said once until one passes), and a
	 * token went out since. */
	bool refused;
	bool sent_since_refusal;
	int64_t blocked_since; /* the broker blocked the connection (0: not) */
};

static void publisher_free(struct publisher *p)
{
	amqp_session_free(p->session);
	token_clear(&p->token);
	free(p->exchange);
	free(p->secret);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Sleeps up to ms, waking early when stop is asked. */
static void publisher_wait(struct publisher *p, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	if (!p->stopping)
		pthread_cond_timedwait(&p->wake, &p->lock, &until);
	pthread_mutex_unlock(&p->lock);
}

/* Publishes the current token; a failure closes the session. */
static int publisher_announce(struct publisher *p, bool stopping)
{
	struct announce_message m;
	struct amqp_session_header sig;
	struct amqp_session_message msg;
	enum token_state state;
	bool healthy;
	int rc;

	pthread_mutex_lock(&p->lock);
	healthy = p->healthy;
	pthread_mutex_unlock(&p->lock);
	state = announce_state(stopping, healthy, p->out_of_service_when_unhealthy);

	p->seq++;
	rc = announce_build(&p->token, state, p->ttl_s, p->seq, timing_wall_ms(), p->secret, &m);
	if (rc < 0) {
		log_error("publisher: cannot build token service=%s error=%s", p->token.service,
			  token_error_name(rc));
		return rc;
	}
	sig.name = TOKEN_SIGNATURE_HEADER;
	sig.value = m.signature;
	msg = (struct amqp_session_message){
		.exchange = p->exchange,
		.routing_key = m.routing_key,
		.body = m.body,
		.len = m.len,
		.content_type = "application/json",
		.expiration_ms = m.expiration_ms,
		.timestamp_s = m.timestamp_s,
		.headers = m.has_signature ? &sig : NULL,
		.header_count = m.has_signature ? 1 : 0,
		.user_id = amqp_session_user(p->session),
	};
	rc = amqp_session_publish(p->session, &msg);
	if (rc == 0) {
		atomic_fetch_add(&p->sent, 1);
		log_debug("publisher: token sent key=%s seq=%lld", m.routing_key,
			  (long long)p->seq);
	} else if (rc == AMQP_SESSION_ERR_BLOCKED) {
		atomic_fetch_add(&p->dropped_blocked, 1);
	}
	announce_message_clear(&m);
	return rc;
}

/* Opens the session and sets up the exchange and the sync queue. */
static int publisher_connect(struct publisher *p, char *err, size_t errlen)
{
	char queue[256];
	int rc;

	rc = amqp_session_open(p->session, err, errlen);
	if (rc < 0)
		return rc;
	rc = amqp_session_declare_exchange(p->session, p->exchange, "topic", true);
	if (rc < 0) {
		snprintf(err, errlen, "cannot declare exchange %s", p->exchange);
		goto fail;
	}
	rc = amqp_session_declare_bounded_queue(p->session, PUBLISHER_SYNC_QUEUE_MAX, queue,
						sizeof(queue));
	if (rc < 0) {
		snprintf(err, errlen, "cannot declare the sync queue");
		goto fail;
	}
	rc = amqp_session_bind(p->session, queue, p->exchange, TOKEN_SYNC_KEY);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind the sync queue");
		goto fail;
	}
	rc = amqp_session_consume(p->session, queue);
	if (rc < 0) {
		snprintf(err, errlen, "cannot consume the sync queue");
		goto fail;
	}
	return 0;
fail:
	amqp_session_close(p->session);
	return rc;
}

/* The broker is away: logs once per outage and schedules the next try. */
static void publisher_lost(struct publisher *p, struct publisher_timers *t, const char *why)
{
	int64_t now = timing_mono_ms();

	if (!t->outage_since) {
		t->outage_since = now;
		log_warn("publisher: broker unreachable, retrying with backoff "
			 "url=%s service=%s reason=\"%s\"",
			 p->url_masked, p->token.service, why);
	}
	t->retry_at = now + backoff_next_ms(&p->backoff);
}

/*
 * The broker closed the channel over what this publisher did: the user may
 * not publish the token's routing key or bind discovery.sync (topic
 * permissions), may not use the exchange, or a property is not its own
 * (user_id). Not an outage, and retrying at once would be refused again at
 * once, a reconnect storm: say it once, try again when the next token is
 * due, so that permissions granted meanwhile take effect within an interval.
 */
static void publisher_refused(struct publisher *p, struct publisher_timers *t)
{
	if (!t->refused)
		log_error("publisher: refused by the broker, retrying every interval url=%s "
			  "service=%s reason=\"%s\"",
			  p->url_masked, p->token.service, amqp_session_refusal(p->session));
	t->refused = true;
	t->sent_since_refusal = false;
	t->outage_since = 0; /* it answered: not an outage */
	t->retry_at = timing_mono_ms() + p->interval_ms;
}

/* One step while disconnected: connect when due, else wait. */
static void publisher_step_closed(struct publisher *p, struct publisher_timers *t)
{
	char err[256] = "";
	int64_t now = timing_mono_ms();
	int rc;

	if (now < t->retry_at) {
		publisher_wait(p, t->retry_at - now);
		return;
	}
	rc = publisher_connect(p, err, sizeof(err));
	if (rc == AMQP_SESSION_ERR_REFUSED) {
		publisher_refused(p, t);
		return;
	}
	if (rc < 0) {
		publisher_lost(p, t, err);
		return;
	}
	if (t->outage_since)
		log_info("publisher: broker reachable again node=%s service=%s outage_ms=%lld",
			 amqp_session_node(p->session), p->token.service,
			 (long long)(timing_mono_ms() - t->outage_since));
	else if (!t->refused)
		log_info("publisher: connected node=%s service=%s instance=%s",
			 amqp_session_node(p->session), p->token.service, p->token.instance_id);
	t->outage_since = 0;
	backoff_reset(&p->backoff);
	t->sync_at = 0;
	t->next_token_at = timing_mono_ms(); /* announce at once */
}

/*
 * A memory or disk alarm: the broker stops reading publishing connections.
 * Tokens due meanwhile are dropped (the session never waits on a full
 * socket), said once; once unblocked, the current token goes out at once.
 */
static void publisher_track_blocked(struct publisher *p, struct publisher_timers *t)
{
	bool blocked = amqp_session_is_blocked(p->session);

	if (blocked && !t->blocked_since) {
		t->blocked_since = timing_mono_ms();
		log_warn("publisher: the broker blocked the connection (resource alarm), tokens "
			 "dropped until it unblocks service=%s",
			 p->token.service);
	} else if (!blocked && t->blocked_since) {
		log_info("publisher: the broker unblocked the connection service=%s blocked_ms=%lld "
			 "dropped=%llu",
			 p->token.service, (long long)(timing_mono_ms() - t->blocked_since),
			 (unsigned long long)atomic_load(&p->dropped_blocked));
		t->blocked_since = 0;
		t->next_token_at = timing_mono_ms();
	}
}

/* One step while connected: send what is due, then wait for a sync. */
static void publisher_step_open(struct publisher *p, struct publisher_timers *t,
				bool health_changed)
{
	struct amqp_session_delivery d;
	int64_t now = timing_mono_ms();
	int64_t wait;
	bool due;
	int rc;

	publisher_track_blocked(p, t);
	due = health_changed || now >= t->next_token_at || (t->sync_at && now >= t->sync_at);
	if (due && t->refused && t->sent_since_refusal) {
		/* The last token was not refused before this one was due. */
		log_info("publisher: accepted by the broker again service=%s", p->token.service);
		t->refused = false;
	}
	if (due) {
		/* A token that cannot be built (no memory) is skipped; only a
		 * closed session means the broker is gone. */
		if (publisher_announce(p, false) < 0 && !amqp_session_is_open(p->session)) {
			publisher_lost(p, t, "publish failed");
			return;
		}
		t->sent_since_refusal = t->refused;
		/* A sync answered by this token needs no second one. */
		t->sync_at = 0;
		if (now >= t->next_token_at)
			t->next_token_at = now + rng_jitter(&p->rng, p->interval_ms,
							    PUBLISHER_INTERVAL_JITTER);
	}

	wait = t->next_token_at - now;
	if (t->sync_at && t->sync_at - now < wait)
		wait = t->sync_at - now;
	if (wait > PUBLISHER_TICK_MS)
		wait = PUBLISHER_TICK_MS;
	if (wait < 0)
		wait = 0;
	rc = amqp_session_next(p->session, (int)wait, &d);
	if (rc == AMQP_SESSION_ERR_REFUSED) {
		publisher_refused(p, t);
		return;
	}
	if (rc < 0) {
		t->blocked_since = 0;
		publisher_lost(p, t, "connection lost");
		return;
	}
	if (rc == 1 && d.routing_key && strcmp(d.routing_key, TOKEN_SYNC_KEY) == 0 && !t->sync_at)
		t->sync_at = timing_mono_ms() + rng_between(&p->rng, 0, PUBLISHER_SYNC_JITTER_MS);
}

static void *publisher_run(void *arg)
{
	struct publisher *p = arg;
	struct publisher_timers t = {0};
	bool stopping, health_changed;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		stopping = p->stopping;
		health_changed = p->health_changed;
		p->health_changed = false;
		pthread_mutex_unlock(&p->lock);
		if (stopping)
			break;
		if (amqp_session_is_open(p->session))
			publisher_step_open(p, &t, health_changed);
		else
			publisher_step_closed(p, &t);
	}

	if (amqp_session_is_open(p->session)) {
		if (publisher_announce(p, true) == 0)
			log_info("publisher: DOWN sent service=%s instance=%s", p->token.service,
				 p->token.instance_id);
		amqp_session_close(p->session);
	} else {
		log_warn("publisher: stopping while disconnected, no DOWN sent "
			 "service=%s instance=%s",
			 p->token.service, p->token.instance_id);
	}
	return NULL;
}

static char *publisher_dup(const char *s, const char *fallback)
{
	return strdup(s && s[0] ? s : fallback);
}

int publisher_validate(const struct publisher_options *o, char *err, size_t errlen)
{
	struct token desc, t;
	int rc;

	if (!o || !o->amqp_url || !o->instance || o->interval_ms < 0) {
		snprintf(err, errlen, "missing AMQP URL or instance, or a negative interval");
		return -1;
	}
	if (description_token_of(o->instance, &desc, err, errlen) < 0)
		return -1;
	if (description_copy(&t, &desc) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = description_check(&t, announce_ttl_s(o->interval_ms > 0
							      ? o->interval_ms
							      : PUBLISHER_DEFAULT_INTERVAL_MS),
				   o->secret, err, errlen);
	token_clear(&t);
	return rc;
}

struct publisher *publisher_start(const struct publisher_options *opts)
{
	struct token desc;
	struct amqp_session_options so = {0};
	pthread_condattr_t ca;
	struct publisher *p;
	char *name = NULL;
	char err[256];
	int rc;

	if (publisher_validate(opts, err, sizeof(err)) < 0) {
		log_error("publisher: cannot start: %s", err);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);

	p->healthy = true;
	p->interval_ms = opts->interval_ms > 0 ? opts->interval_ms : PUBLISHER_DEFAULT_INTERVAL_MS;
	p->ttl_s = announce_ttl_s(p->interval_ms);
	p->out_of_service_when_unhealthy = opts->out_of_service_when_unhealthy;
	p->exchange = publisher_dup(opts->exchange, PUBLISHER_DEFAULT_EXCHANGE);
	p->secret = publisher_dup(opts->secret, "");
	/* Validated above: the description is a token. */
	if (!p->exchange || !p->secret || description_token_of(opts->instance, &desc, err,
							    sizeof(err)) < 0 ||
	    description_copy(&p->token, &desc) < 0)
		goto fail;
	/* seq starts at the wall clock so that a restarted instance with the
	 * same instanceId never goes backwards. */
	p->seq = timing_wall_ms();
	rng_seed(&p->rng);
	backoff_init(&p->backoff);
	log_mask_url(opts->amqp_url, p->url_masked, sizeof(p->url_masked));

	/* The registry removes the instance when this very connection closes:
	 * the name ties it to the service, instanceId and incarnation. */
	if (asprintf(&name, "discovery:%s:%s:%s", p->token.service, p->token.instance_id,
		     p->token.incarnation) < 0) {
		name = NULL;
		goto fail;
	}
	so.url = opts->amqp_url;
	so.tls_ca = opts->amqp_tls_ca;
	so.connection_name = name;
	so.timeout_ms = PUBLISHER_AMQP_TIMEOUT_MS;
	p->session = amqp_session_new(&so);
	free(name);
	if (!p->session) {
		log_error("publisher: bad AMQP URL url=%s", p->url_masked);
		goto fail;
	}
	rc = pthread_create(&p->thread, NULL, publisher_run, p);
	if (rc != 0) {
		log_error("publisher: cannot start thread: %s", strerror(rc));
		goto fail;
	}
	return p;
fail:
	publisher_free(p);
	return NULL;
}

void publisher_set_healthy(struct publisher *p, bool healthy)
{
	pthread_mutex_lock(&p->lock);
	if (p->healthy != healthy) {
		p->healthy = healthy;
		p->health_changed = true;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
}

void publisher_stats(struct publisher *p, struct publisher_stats *out)
{
	out->sent = atomic_load(&p->sent);
	out->dropped_blocked = atomic_load(&p->dropped_blocked);
}

void publisher_stop(struct publisher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	publisher_free(p);
}
