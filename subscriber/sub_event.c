/*
 * RabbitMQ's event exchange: crash detection through connection.closed,
 * and resource alarms. connection.closed carries only the connection's
 * name, pid, node and user_provided_name; its user and vhost came with
 * connection.created, remembered by pid in sub_conn. An instance leaves
 * with reason connection-lost only when the closed connection is the one
 * its latest token came over (docs/subscriber.md, crash detection).
 */
#include <stdio.h>
#include <string.h>

#include "subscriber/sub_int.h"
#include "timing.h"

#define EVENT_CREATED "connection.created"
#define EVENT_CLOSED "connection.closed"
#define EVENT_ALARM_SET "alarm.set"
/* Publishers answer a sync within a second: after the subscriber's own
 * reconnect, a close still in its grace waits that long at least. */
#define SYNC_WINDOW_MS 1000
#define GRACE_BATCH 16

void sub_event_reset(struct subscriber *sub)
{
	pthread_mutex_lock(&sub->mu);
	memset(sub->alarms, 0, sizeof(sub->alarms));
	sub->stats.alarms_active = 0;
	pthread_mutex_unlock(&sub->mu);
	/* Closes seen before this subscriber lost its own connection: their
	 * instances may have moved to another node meanwhile, and answer the
	 * sync that follows. */
	sub_grace_postpone(sub->grace, timing_mono_ms() + sub->close_grace_ms + SYNC_WINDOW_MS);
}

bool sub_event_alarmed(struct subscriber *sub)
{
	bool alarmed;

	pthread_mutex_lock(&sub->mu);
	alarmed = sub->stats.alarms_active > 0;
	pthread_mutex_unlock(&sub->mu);
	return alarmed;
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
		return -(SUB_EVENT_UNBOUND + 1);
	if (strcmp(latest->incarnation, cc->incarnation) != 0)
		return -(SUB_EVENT_OTHER_INCARNATION + 1);
	if (cc->created_seen && strcmp(latest->user_id, cc->user) != 0)
		return -(SUB_EVENT_OTHER_USER + 1);
	return 0;
}

static void count_ignored(struct subscriber *sub, int reason)
{
	pthread_mutex_lock(&sub->mu);
	sub->stats.connections_ignored[reason]++;
	sub->stats.connections_tracked = sub_conn_count(sub->connections);
	pthread_mutex_unlock(&sub->mu);
}

/* A connection's identity in its events: the pid, else its name. */
static int event_connection_key(const struct amqp_session *s, char key[SUB_CONN_FIELD_MAX])
{
	if (amqp_session_header(s, "pid", key, SUB_CONN_FIELD_MAX) == 0)
		return 0;
	return amqp_session_header(s, "name", key, SUB_CONN_FIELD_MAX);
}

/*
 * A resource alarm on any node blocks the publishers' connections at
 * their next publish, well before this subscriber publishes anything and
 * is told so itself: the event exchange says it at once.
 */
static void handle_alarm(struct subscriber *sub, const char *event)
{
	char node[SUB_CONN_FIELD_MAX / 2], source[64], key[SUB_CONN_FIELD_MAX];
	bool set = strcmp(event, EVENT_ALARM_SET) == 0;
	size_t i, active = 0, free_slot = SUB_MAX_ALARMS;

	if (amqp_session_header(sub->session, "node", node, sizeof(node)) < 0 ||
	    amqp_session_header(sub->session, "source", source, sizeof(source)) < 0)
		return;
	snprintf(key, sizeof(key), "%s %s", node, source);
	pthread_mutex_lock(&sub->mu);
	for (i = 0; i < SUB_MAX_ALARMS; i++) {
		if (sub->alarms[i][0] && strcmp(sub->alarms[i], key) == 0) {
			if (!set)
				sub->alarms[i][0] = '\0';
			set = false; /* already known */
		} else if (!sub->alarms[i][0] && free_slot == SUB_MAX_ALARMS) {
			free_slot = i;
		}
	}
	if (set && free_slot < SUB_MAX_ALARMS)
		snprintf(sub->alarms[free_slot], sizeof(sub->alarms[free_slot]), "%s", key);
	for (i = 0; i < SUB_MAX_ALARMS; i++)
		active += sub->alarms[i][0] != '\0';
	sub->stats.alarms_active = active;
	pthread_mutex_unlock(&sub->mu);
	log_warn("broker %s node=%s source=%s", event, node, source);
}

/* The instance's latest token came over the closed connection: it leaves. */
static void remove_lost(struct subscriber *sub, const char *service, const char *instance_id,
			struct closed_connection *cc)
{
	int rc = sub_store_remove(sub->store, service, instance_id, match_connection, cc,
				  SUBSCRIBER_LEFT_CONNECTION_LOST, timing_mono_ms());

	if (rc <= 0) {
		count_ignored(sub, rc == 0 ? SUB_EVENT_UNKNOWN_INSTANCE : -rc - 1);
		return;
	}
	pthread_mutex_lock(&sub->mu);
	sub->stats.connection_lost++;
	sub->stats.connections_tracked = sub_conn_count(sub->connections);
	pthread_mutex_unlock(&sub->mu);
	log_info("instance left service=%s instance=%s reason=connection-lost", service,
		 instance_id);
	subscriber__drain(sub);
}

static void note_waiting(struct subscriber *sub)
{
	pthread_mutex_lock(&sub->mu);
	sub->stats.closes_waiting = sub_grace_count(sub->grace);
	pthread_mutex_unlock(&sub->mu);
}

/* The close waits out the grace; 0, or -1 when it cannot (act at once). */
static int defer_close(struct subscriber *sub, const struct sub_conn_name *parsed,
		       const struct closed_connection *cc)
{
	struct sub_grace_close c = { .created_seen = cc->created_seen,
				     .due_ms = timing_mono_ms() + sub->close_grace_ms };

	snprintf(c.service, sizeof(c.service), "%s", parsed->service);
	snprintf(c.instance_id, sizeof(c.instance_id), "%s", parsed->instance_id);
	snprintf(c.incarnation, sizeof(c.incarnation), "%s", parsed->incarnation);
	snprintf(c.user, sizeof(c.user), "%s", cc->user);
	if (sub_grace_defer(sub->grace, &c) < 0)
		return -1;
	pthread_mutex_lock(&sub->mu);
	sub->stats.closes_deferred++;
	sub->stats.closes_waiting = sub_grace_count(sub->grace);
	pthread_mutex_unlock(&sub->mu);
	return 0;
}

void sub_event_resume(struct subscriber *sub, const char *service, const char *instance_id,
		      const char *incarnation)
{
	size_t n;

	if (sub_grace_count(sub->grace) == 0 || !incarnation[0])
		return;
	n = sub_grace_cancel(sub->grace, service, instance_id, incarnation);
	if (n == 0)
		return;
	pthread_mutex_lock(&sub->mu);
	sub->stats.closes_resumed += n;
	sub->stats.closes_waiting = sub_grace_count(sub->grace);
	pthread_mutex_unlock(&sub->mu);
}

void sub_event_tick(struct subscriber *sub, int64_t now_ms)
{
	struct sub_grace_close due[GRACE_BATCH];
	struct closed_connection cc;
	size_t n;

	do {
		n = sub_grace_take_due(sub->grace, now_ms, due, GRACE_BATCH);
		for (size_t i = 0; i < n; i++) {
			cc = (struct closed_connection){ .created_seen = due[i].created_seen,
							 .user = due[i].user,
							 .incarnation = due[i].incarnation };
			remove_lost(sub, due[i].service, due[i].instance_id, &cc);
		}
	} while (n == GRACE_BATCH);
	if (n > 0 || sub_grace_count(sub->grace) == 0)
		note_waiting(sub);
}

static void handle_connection(struct subscriber *sub, const char *event)
{
	const struct amqp_session *s = sub->session;
	char key[SUB_CONN_FIELD_MAX], user[SUB_CONN_FIELD_MAX], vhost[SUB_CONN_FIELD_MAX];
	char name[2 * SUB_CONN_FIELD_MAX];
	struct sub_conn_name parsed;
	struct closed_connection cc = { 0 };

	if (event_connection_key(s, key) < 0)
		return;
	if (strcmp(event, EVENT_CREATED) == 0) {
		if (amqp_session_header(s, "user", user, sizeof(user)) == 0 &&
		    amqp_session_header(s, "vhost", vhost, sizeof(vhost)) == 0)
			sub_conn_created(sub->connections, key, user, vhost);
		pthread_mutex_lock(&sub->mu);
		sub->stats.connections_tracked = sub_conn_count(sub->connections);
		pthread_mutex_unlock(&sub->mu);
		if (amqp_session_header(s, "user_provided_name", name, sizeof(name)) == 0 &&
		    sub_conn_parse_name(name, &parsed) == 0)
			sub_event_resume(sub, parsed.service, parsed.instance_id,
					 parsed.incarnation);
		return;
	}
	if (strcmp(event, EVENT_CLOSED) != 0)
		return;
	cc.created_seen = sub_conn_closed(sub->connections, key, user, vhost);
	if (amqp_session_header(s, "user_provided_name", name, sizeof(name)) < 0 ||
	    sub_conn_parse_name(name, &parsed) < 0) {
		count_ignored(sub, SUB_EVENT_NOT_DISCOVERY);
		return;
	}
	if (cc.created_seen && strcmp(vhost, amqp_session_vhost(s)) != 0) {
		count_ignored(sub, SUB_EVENT_OTHER_VHOST);
		return;
	}
	cc.user = user;
	cc.incarnation = parsed.incarnation;
	if (sub->close_grace_ms > 0 && defer_close(sub, &parsed, &cc) == 0)
		return;
	remove_lost(sub, parsed.service, parsed.instance_id, &cc);
}

void sub_event_handle(struct subscriber *sub, const struct amqp_session_delivery *d)
{
	if (strncmp(d->routing_key, "alarm.", 6) == 0)
		handle_alarm(sub, d->routing_key);
	else
		handle_connection(sub, d->routing_key);
}
