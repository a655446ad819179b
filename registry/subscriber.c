/* The discovery feed: queues, validation, signatures and the table. */
#include "registry/subscriber.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "registry/rconn.h"
#include "registry/rgrace.h"
#include "timing.h"
#include "token_decode.h"
#include "token_sign.h"

#define EVENT_EXCHANGE "amq.rabbitmq.event"
#define EVENT_CREATED "connection.created"
#define EVENT_CLOSED "connection.closed"
#define EVENT_ALARM_SET "alarm.set"
#define EVENT_ALARM_CLEARED "alarm.cleared"
/* Alarms told apart by node and source (memory, disk): a few per node. */
#define MAX_ALARMS 32
/* The feed's lag is the smallest of its tokens' over the last two such
 * spans: the freshest token tells how far behind the feed is, and a
 * publisher whose clock runs late cannot make it look later. */
#define LAG_BUCKET_MS 500
#define DEFAULT_SKEW_MS 30000
#define DEFAULT_MAX_CONNECTIONS 100000
#define DEFAULT_QUEUE_MAX 100000
/* Publishers answer a sync within a second: after the registry's own
 * reconnect, a close still in its grace waits that long at least. */
#define SYNC_WINDOW_MS 1000
#define GRACE_BATCH 16
/* Rejections are logged once per source per window, sources kept in a
 * small round-robin set so a flood of distinct keys cannot grow memory. */
#define LOG_SOURCES 32
#define LOG_WINDOW_MS 10000

struct log_source {
	char key[128];
	struct log_ratelimit rl;
};

struct subscriber {
	struct table *table;
	char exchange[128];
	char *secret;
	int64_t max_skew_ms;
	char *legacy_queue;
	char legacy_key[160]; /* routing key that names the legacy service */
	int legacy_ttl_s;
	bool watch_connections;
	struct rconn *connections;
	int64_t close_grace_ms;
	struct rgrace *grace; /* closes waiting out close_grace_ms */
	char alarms[MAX_ALARMS][RCONN_FIELD_MAX]; /* "<node> <source>", "" free */
	/* The smallest lag (wall now - ts) of the tokens of two buckets of
	 * LAG_BUCKET_MS, by monotonic bucket number; under mu. */
	int64_t lag_bucket[2], lag_min[2];
	int64_t queue_max;
	subscriber_publish_fn republish;
	void *republish_ctx;
	pthread_mutex_t mu; /* guards stats: read from other threads */
	struct subscriber_stats stats;
	struct log_source sources[LOG_SOURCES];
	size_t next_source;
};

const char *subscriber_reject_name(int i)
{
	switch (i) {
	case SUBSCRIBER_UNSIGNED:
		return "unsigned";
	case SUBSCRIBER_BAD_SIGNATURE:
		return "bad_signature";
	case SUBSCRIBER_STALE_TS:
		return "stale_ts";
	default:
		return token_error_name(-(i + 1));
	}
}

const char *subscriber_conn_ignored_name(int i)
{
	static const char *const names[SUBSCRIBER_CONN_IGNORED_COUNT] = {
		"not_discovery", "unknown_instance", "other_vhost",
		"other_user",	 "other_incarnation", "unbound",
	};
	return i >= 0 && i < SUBSCRIBER_CONN_IGNORED_COUNT ? names[i] : "unknown";
}

struct subscriber *subscriber_new(const struct subscriber_options *opts,
				  struct table *table)
{
	struct subscriber *sub = calloc(1, sizeof(*sub));

	if (!sub)
		return NULL;
	sub->table = table;
	snprintf(sub->exchange, sizeof(sub->exchange), "%s",
		 opts->exchange && *opts->exchange ? opts->exchange : "discovery");
	sub->max_skew_ms = opts->max_skew_ms > 0 ? opts->max_skew_ms : DEFAULT_SKEW_MS;
	sub->legacy_ttl_s = opts->legacy_ttl_s > 0 ? opts->legacy_ttl_s : 90;
	sub->watch_connections = opts->watch_connections;
	sub->queue_max = opts->queue_max > 0 ? opts->queue_max : DEFAULT_QUEUE_MAX;
	sub->connections = rconn_new(opts->max_connections ? opts->max_connections
							   : DEFAULT_MAX_CONNECTIONS);
	sub->close_grace_ms = opts->close_grace_ms > 0 ? opts->close_grace_ms : 0;
	/* As many waiting closes as connections remembered. */
	sub->grace = rgrace_new(opts->max_connections ? opts->max_connections
						      : DEFAULT_MAX_CONNECTIONS);
	if (!sub->connections || !sub->grace)
		goto fail;
	if (opts->secret && *opts->secret) {
		sub->secret = strdup(opts->secret);
		if (!sub->secret)
			goto fail;
	}
	if (opts->legacy_queue && *opts->legacy_queue) {
		if (!opts->legacy_service || !token_service_is_valid(opts->legacy_service))
			goto fail;
		sub->legacy_queue = strdup(opts->legacy_queue);
		if (!sub->legacy_queue)
			goto fail;
		snprintf(sub->legacy_key, sizeof(sub->legacy_key), "%s%s.up",
			 TOKEN_ROUTING_PREFIX, opts->legacy_service);
	}
	if (pthread_mutex_init(&sub->mu, NULL) != 0)
		goto fail;
	return sub;
fail:
	rconn_free(sub->connections);
	rgrace_free(sub->grace);
	free(sub->secret);
	free(sub->legacy_queue);
	free(sub);
	return NULL;
}

void subscriber_set_republish(struct subscriber *sub, subscriber_publish_fn fn, void *ctx)
{
	sub->republish = fn;
	sub->republish_ctx = ctx;
}

void subscriber_free(struct subscriber *sub)
{
	if (!sub)
		return;
	pthread_mutex_destroy(&sub->mu);
	rconn_free(sub->connections);
	rgrace_free(sub->grace);
	free(sub->secret);
	free(sub->legacy_queue);
	free(sub);
}

int subscriber_setup(struct subscriber *sub, struct amqp_session *s)
{
	char queue[256];
	int rc;

	/* Alarms cleared while disconnected are not told: start afresh, and
	 * one still on blocks the first publish (the sync request) anyway. */
	pthread_mutex_lock(&sub->mu);
	memset(sub->alarms, 0, sizeof(sub->alarms));
	sub->stats.alarms_active = 0;
	pthread_mutex_unlock(&sub->mu);
	/* Closes seen before this registry lost its own connection: their
	 * instances may have moved to another node meanwhile, and answer the
	 * sync that follows this setup. */
	rgrace_postpone(sub->grace, timing_mono_ms() + sub->close_grace_ms + SYNC_WINDOW_MS);
	rc = amqp_session_declare_exchange(s, sub->exchange, "topic", true);
	if (rc == 0)
		rc = amqp_session_declare_bounded_queue(s, sub->queue_max, queue, sizeof(queue));
	if (rc == 0)
		rc = amqp_session_bind(s, queue, sub->exchange, "discovery.#");
	if (rc == 0)
		rc = amqp_session_consume(s, queue);
	if (rc == 0 && sub->legacy_queue) {
		rc = amqp_session_declare_queue(s, sub->legacy_queue, false, NULL, 0);
		if (rc == 0)
			rc = amqp_session_consume(s, sub->legacy_queue);
	}
	if (rc < 0 || !sub->watch_connections)
		return rc;
	rc = amqp_session_declare_bounded_queue(s, sub->queue_max, queue, sizeof(queue));
	if (rc == 0)
		rc = amqp_session_bind(s, queue, EVENT_EXCHANGE, EVENT_CREATED);
	if (rc == 0)
		rc = amqp_session_bind(s, queue, EVENT_EXCHANGE, EVENT_CLOSED);
	if (rc == 0)
		rc = amqp_session_bind(s, queue, EVENT_EXCHANGE, EVENT_ALARM_SET);
	if (rc == 0)
		rc = amqp_session_bind(s, queue, EVENT_EXCHANGE, EVENT_ALARM_CLEARED);
	if (rc == AMQP_SESSION_ERR_REFUSED) {
		log_warn("subscriber cannot bind %s (plugin rabbitmq_event_exchange "
			 "off?): crashed instances leave by ttl only", EVENT_EXCHANGE);
		sub->watch_connections = false;
		return rc;
	}
	if (rc == 0)
		rc = amqp_session_consume(s, queue);
	return rc;
}

void subscriber_stats(struct subscriber *sub, struct subscriber_stats *out)
{
	pthread_mutex_lock(&sub->mu);
	*out = sub->stats;
	pthread_mutex_unlock(&sub->mu);
	out->feed_lag_ms = subscriber_feed_lag_ms(sub);
}

static void log_reject(struct subscriber *sub, const char *source, int reason)
{
	struct log_source *ls = NULL;
	size_t i;
	uint64_t suppressed;

	for (i = 0; i < LOG_SOURCES; i++)
		if (strncmp(sub->sources[i].key, source, sizeof(ls->key) - 1) == 0 &&
		    sub->sources[i].key[0]) {
			ls = &sub->sources[i];
			break;
		}
	if (!ls) {
		ls = &sub->sources[sub->next_source];
		sub->next_source = (sub->next_source + 1) % LOG_SOURCES;
		memset(ls, 0, sizeof(*ls));
		snprintf(ls->key, sizeof(ls->key), "%s", source);
	}
	suppressed = ls->rl.suppressed;
	if (log_ratelimit_allow(&ls->rl, 1, LOG_WINDOW_MS))
		log_warn("token rejected source=%s reason=%s suppressed=%llu",
			 ls->key, subscriber_reject_name(reason),
			 (unsigned long long)suppressed);
}

static void reject(struct subscriber *sub, const char *source, int reason)
{
	pthread_mutex_lock(&sub->mu);
	sub->stats.rejected[reason]++;
	pthread_mutex_unlock(&sub->mu);
	log_reject(sub, source, reason);
}

/* What the close event says about the connection, for match_connection. */
struct closed_connection {
	bool created_seen;
	const char *user; /* its broker user, when created_seen */
	const char *incarnation;
};

/* Is the closed connection the one the instance's latest token came over?
 * 0, or the negated reason (+1) why not. */
static int match_connection(void *ctx, const struct token *latest)
{
	const struct closed_connection *cc = ctx;

	if (!latest->user_id || !latest->incarnation[0])
		return -(SUBSCRIBER_CONN_UNBOUND + 1);
	if (strcmp(latest->incarnation, cc->incarnation) != 0)
		return -(SUBSCRIBER_CONN_OTHER_INCARNATION + 1);
	if (cc->created_seen && strcmp(latest->user_id, cc->user) != 0)
		return -(SUBSCRIBER_CONN_OTHER_USER + 1);
	return 0;
}

static void count_ignored(struct subscriber *sub, int reason)
{
	pthread_mutex_lock(&sub->mu);
	sub->stats.connections_ignored[reason]++;
	sub->stats.connections_tracked = rconn_count(sub->connections);
	pthread_mutex_unlock(&sub->mu);
}

/* A connection's identity in its events: the pid, else its name. */
static int event_connection_key(const struct amqp_session *s, char key[RCONN_FIELD_MAX])
{
	if (amqp_session_header(s, "pid", key, RCONN_FIELD_MAX) == 0)
		return 0;
	return amqp_session_header(s, "name", key, RCONN_FIELD_MAX);
}

/*
 * A resource alarm on any node blocks the publishers' connections at
 * their next publish, well before this registry publishes anything and is
 * told so itself: the event exchange says it at once.
 */
static void handle_alarm_event(struct subscriber *sub, const struct amqp_session *s,
			       const char *event)
{
	char node[RCONN_FIELD_MAX / 2], source[64], key[RCONN_FIELD_MAX];
	bool set = strcmp(event, EVENT_ALARM_SET) == 0;
	size_t i, active = 0, free_slot = MAX_ALARMS;

	if (amqp_session_header(s, "node", node, sizeof(node)) < 0 ||
	    amqp_session_header(s, "source", source, sizeof(source)) < 0)
		return;
	snprintf(key, sizeof(key), "%s %s", node, source);
	pthread_mutex_lock(&sub->mu);
	for (i = 0; i < MAX_ALARMS; i++) {
		if (sub->alarms[i][0] && strcmp(sub->alarms[i], key) == 0) {
			if (!set)
				sub->alarms[i][0] = '\0';
			set = false; /* already known */
		} else if (!sub->alarms[i][0] && free_slot == MAX_ALARMS) {
			free_slot = i;
		}
	}
	if (set && free_slot < MAX_ALARMS)
		snprintf(sub->alarms[free_slot], sizeof(sub->alarms[free_slot]), "%s", key);
	for (i = 0; i < MAX_ALARMS; i++)
		active += sub->alarms[i][0] != '\0';
	sub->stats.alarms_active = active;
	pthread_mutex_unlock(&sub->mu);
	log_warn("broker %s node=%s source=%s", event, node, source);
}

/* Notes how old a token was when it was handled. */
static void note_lag(struct subscriber *sub, int64_t ts, int64_t now_ms)
{
	int64_t bucket = timing_mono_ms() / LAG_BUCKET_MS, lag = now_ms - ts;
	int slot = (int)(bucket & 1);

	if (ts <= 0)
		return;
	if (lag < 0)
		lag = 0;
	pthread_mutex_lock(&sub->mu);
	if (sub->lag_bucket[slot] != bucket) {
		sub->lag_bucket[slot] = bucket;
		sub->lag_min[slot] = lag;
	} else if (lag < sub->lag_min[slot]) {
		sub->lag_min[slot] = lag;
	}
	pthread_mutex_unlock(&sub->mu);
}

int64_t subscriber_feed_lag_ms(struct subscriber *sub)
{
	int64_t bucket = timing_mono_ms() / LAG_BUCKET_MS, lag = -1;

	pthread_mutex_lock(&sub->mu);
	for (int i = 0; i < 2; i++)
		if (bucket - sub->lag_bucket[i] <= 1 && (lag < 0 || sub->lag_min[i] < lag))
			lag = sub->lag_min[i];
	pthread_mutex_unlock(&sub->mu);
	return lag < 0 ? 0 : lag;
}

bool subscriber_alarmed(struct subscriber *sub)
{
	bool alarmed;

	pthread_mutex_lock(&sub->mu);
	alarmed = sub->stats.alarms_active > 0;
	pthread_mutex_unlock(&sub->mu);
	return alarmed;
}

/* The instance's latest token came over the closed connection: it leaves. */
static void remove_lost(struct subscriber *sub, const char *service, const char *instance_id,
			struct closed_connection *cc)
{
	int rc = table_remove(sub->table, service, instance_id, match_connection, cc,
			      "connection-lost", timing_mono_ms());

	if (rc <= 0) {
		count_ignored(sub, rc == 0 ? SUBSCRIBER_CONN_UNKNOWN_INSTANCE : -rc - 1);
		return;
	}
	pthread_mutex_lock(&sub->mu);
	sub->stats.connection_lost++;
	sub->stats.connections_tracked = rconn_count(sub->connections);
	pthread_mutex_unlock(&sub->mu);
	log_info("instance left service=%s instance=%s reason=connection-lost", service,
		 instance_id);
}

static void note_waiting(struct subscriber *sub)
{
	pthread_mutex_lock(&sub->mu);
	sub->stats.closes_waiting = rgrace_count(sub->grace);
	pthread_mutex_unlock(&sub->mu);
}

/* The close waits out the grace; 0, or -1 when it cannot (act at once). */
static int defer_close(struct subscriber *sub, const struct rconn_name *parsed,
		       const struct closed_connection *cc)
{
	struct rgrace_close c = { .created_seen = cc->created_seen,
				  .due_ms = timing_mono_ms() + sub->close_grace_ms };

	snprintf(c.service, sizeof(c.service), "%s", parsed->service);
	snprintf(c.instance_id, sizeof(c.instance_id), "%s", parsed->instance_id);
	snprintf(c.incarnation, sizeof(c.incarnation), "%s", parsed->incarnation);
	snprintf(c.user, sizeof(c.user), "%s", cc->user);
	if (rgrace_defer(sub->grace, &c) < 0)
		return -1;
	pthread_mutex_lock(&sub->mu);
	sub->stats.closes_deferred++;
	sub->stats.closes_waiting = rgrace_count(sub->grace);
	pthread_mutex_unlock(&sub->mu);
	return 0;
}

/* The process of a close in its grace is back (it reconnected, to another
 * node of the cluster, or announced): its instance stays. */
static void resume_close(struct subscriber *sub, const char *service, const char *instance_id,
			 const char *incarnation)
{
	size_t n;

	if (rgrace_count(sub->grace) == 0 || !incarnation[0])
		return;
	n = rgrace_cancel(sub->grace, service, instance_id, incarnation);
	if (n == 0)
		return;
	pthread_mutex_lock(&sub->mu);
	sub->stats.closes_resumed += n;
	sub->stats.closes_waiting = rgrace_count(sub->grace);
	pthread_mutex_unlock(&sub->mu);
}

static void handle_connection_event(struct subscriber *sub, const struct amqp_session *s,
				    const char *event)
{
	char key[RCONN_FIELD_MAX], user[RCONN_FIELD_MAX], vhost[RCONN_FIELD_MAX];
	char name[2 * RCONN_FIELD_MAX];
	struct rconn_name parsed;
	struct closed_connection cc = { 0 };

	if (event_connection_key(s, key) < 0)
		return;
	if (strcmp(event, EVENT_CREATED) == 0) {
		if (amqp_session_header(s, "user", user, sizeof(user)) == 0 &&
		    amqp_session_header(s, "vhost", vhost, sizeof(vhost)) == 0)
			rconn_created(sub->connections, key, user, vhost);
		pthread_mutex_lock(&sub->mu);
		sub->stats.connections_tracked = rconn_count(sub->connections);
		pthread_mutex_unlock(&sub->mu);
		if (amqp_session_header(s, "user_provided_name", name, sizeof(name)) == 0 &&
		    rconn_parse_name(name, &parsed) == 0)
			resume_close(sub, parsed.service, parsed.instance_id, parsed.incarnation);
		return;
	}
	if (strcmp(event, EVENT_CLOSED) != 0)
		return;
	cc.created_seen = rconn_closed(sub->connections, key, user, vhost);
	if (amqp_session_header(s, "user_provided_name", name, sizeof(name)) < 0 ||
	    rconn_parse_name(name, &parsed) < 0) {
		count_ignored(sub, SUBSCRIBER_CONN_NOT_DISCOVERY);
		return;
	}
	if (cc.created_seen && strcmp(vhost, amqp_session_vhost(s)) != 0) {
		count_ignored(sub, SUBSCRIBER_CONN_OTHER_VHOST);
		return;
	}
	cc.user = user;
	cc.incarnation = parsed.incarnation;
	if (sub->close_grace_ms > 0 && defer_close(sub, &parsed, &cc) == 0)
		return;
	remove_lost(sub, parsed.service, parsed.instance_id, &cc);
}

void subscriber_tick(struct subscriber *sub, int64_t now_mono_ms)
{
	struct rgrace_close due[GRACE_BATCH];
	struct closed_connection cc;
	size_t n;

	do {
		n = rgrace_take_due(sub->grace, now_mono_ms, due, GRACE_BATCH);
		for (size_t i = 0; i < n; i++) {
			cc = (struct closed_connection){ .created_seen = due[i].created_seen,
							 .user = due[i].user,
							 .incarnation = due[i].incarnation };
			remove_lost(sub, due[i].service, due[i].instance_id, &cc);
		}
	} while (n == GRACE_BATCH);
	if (n > 0 || rgrace_count(sub->grace) == 0)
		note_waiting(sub);
}

/* A legacy token without its own ttl gets the legacy one. */
static void legacy_ttl(const struct subscriber *sub, const void *body, size_t len,
		       struct token *tok)
{
	cJSON *root = cJSON_ParseWithLength(body, len);

	if (!cJSON_GetObjectItemCaseSensitive(root, "ttl"))
		tok->ttl = sub->legacy_ttl_s;
	cJSON_Delete(root);
}

/* 0 or the reject reason of a signed-mode check. */
static int check_signature(struct subscriber *sub, const struct amqp_session *s,
			   const struct amqp_session_delivery *d)
{
	char sig[TOKEN_SIGNATURE_HEX * 2];

	if (amqp_session_header(s, TOKEN_SIGNATURE_HEADER, sig, sizeof(sig)) < 0)
		return SUBSCRIBER_UNSIGNED;
	if (!token_verify(sub->secret, d->body, d->len, sig))
		return SUBSCRIBER_BAD_SIGNATURE;
	return 0;
}

/*
 * A plain queue shares its messages out among its consumers, so with M
 * replicas each would see 1/M of the legacy tokens: whichever reads one
 * republishes it as a proper token, and every replica applies that copy.
 * seq and ts are the moment it was bridged. true when it went out.
 */
static bool bridge_legacy(struct subscriber *sub, struct token *tok, int64_t now_ms)
{
	char key[TOKEN_SERVICE_MAX + 32];
	char *body;
	int rc = -1;

	if (!sub->republish)
		return false;
	tok->seq = now_ms;
	tok->ts = now_ms;
	body = token_encode(tok);
	if (body && token_routing_key(tok, key, sizeof(key)) == 0)
		rc = sub->republish(sub->republish_ctx, key, body, (int64_t)tok->ttl * 1000);
	free(body);
	if (rc < 0)
		return false;
	pthread_mutex_lock(&sub->mu);
	sub->stats.legacy_bridged++;
	pthread_mutex_unlock(&sub->mu);
	return true;
}

void subscriber_handle(struct subscriber *sub, const struct amqp_session *s,
		       const struct amqp_session_delivery *d, int64_t now_ms)
{
	bool legacy = sub->legacy_queue && d->exchange[0] == '\0' &&
		      strcmp(d->routing_key, sub->legacy_queue) == 0;
	const char *key;
	struct token tok;
	int rc;

	if (strcmp(d->exchange, EVENT_EXCHANGE) == 0) {
		if (strncmp(d->routing_key, "alarm.", 6) == 0)
			handle_alarm_event(sub, s, d->routing_key);
		else
			handle_connection_event(sub, s, d->routing_key);
		return;
	}
	if (strcmp(d->routing_key, TOKEN_SYNC_KEY) == 0)
		return; /* a request to publishers, not a token */
	pthread_mutex_lock(&sub->mu);
	sub->stats.received++;
	pthread_mutex_unlock(&sub->mu);

	if (sub->secret) {
		rc = check_signature(sub, s, d);
		if (rc > 0) {
			reject(sub, d->routing_key, rc);
			return;
		}
	}
	key = legacy ? sub->legacy_key : d->routing_key;
	rc = sub->secret ? token_decode_signed(d->body, d->len, key, &tok)
			 : token_decode(d->body, d->len, key, &tok);
	if (rc == 0 && d->user_id) {
		tok.user_id = strdup(d->user_id);
		if (!tok.user_id) {
			token_clear(&tok);
			rc = TOKEN_ERR_NO_MEMORY;
		}
	}
	if (rc < 0) {
		reject(sub, d->routing_key, -rc - 1);
		return;
	}
	if (sub->secret && (tok.ts <= 0 || tok.ts < now_ms - sub->max_skew_ms ||
			    tok.ts > now_ms + sub->max_skew_ms)) {
		token_clear(&tok);
		reject(sub, d->routing_key, SUBSCRIBER_STALE_TS);
		return;
	}
	note_lag(sub, tok.ts, now_ms);
	if (legacy) {
		legacy_ttl(sub, d->body, d->len, &tok);
		if (bridge_legacy(sub, &tok, now_ms)) {
			token_clear(&tok);
			return;
		}
	}
	rc = table_apply(sub->table, &tok, timing_mono_ms());
	if (rc >= 0) {
		pthread_mutex_lock(&sub->mu);
		sub->stats.applied++;
		sub->stats.outcomes[rc]++;
		pthread_mutex_unlock(&sub->mu);
		resume_close(sub, tok.service, tok.instance_id, tok.incarnation);
		if (rc == TABLE_JOINED || rc == TABLE_LEFT)
			log_info("instance %s service=%s instance=%s address=%s",
				 rc == TABLE_JOINED ? "joined" : "left", tok.service,
				 tok.instance_id, tok.address);
	} else {
		reject(sub, d->routing_key, -rc - 1);
	}
	token_clear(&tok);
}
