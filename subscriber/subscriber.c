/* The subscriber's public API: the handle, its thread, queries, callbacks. */
#include "discovery/subscriber.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subscriber/sub_int.h"
#include "timing.h"

/* The thread's wait for a message: short enough that expiry runs every
 * 50 ms, so an instance is gone well within 250 ms of its expiry time. */
#define POLL_MS 50
/* Connect and RPC bound: a stop waits for a connect attempt in progress,
 * so it is kept shorter than the session's 5 s default. */
#define CONNECT_TIMEOUT_MS 2000
#define DEFAULT_SKEW_MS 30000
#define DEFAULT_MAX_CONNECTIONS 100000
#define DEFAULT_QUEUE_MAX 100000
#define DEFAULT_LEGACY_TTL_S 90

/* ---- names ---- */

const char *subscriber_outcome_name(int i)
{
	static const char *const names[SUBSCRIBER_OUTCOME_COUNT] = {
		"joined", "updated", "renewed", "left", "stale_seq", "absent", "full",
		"replayed",
	};
	return i >= 0 && i < SUBSCRIBER_OUTCOME_COUNT ? names[i] : "unknown";
}

const char *subscriber_reject_name(int i)
{
	switch (i) {
	case SUB_TOKEN_UNSIGNED:
		return "unsigned";
	case SUB_TOKEN_BAD_SIGNATURE:
		return "bad_signature";
	case SUB_TOKEN_STALE_TS:
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

const char *subscriber_cap_name(int i)
{
	static const char *const names[SUBSCRIBER_CAP_COUNT] = {
		"max_instances", "max_services", "max_per_service",
	};
	return i >= 0 && i < SUBSCRIBER_CAP_COUNT ? names[i] : "unknown";
}

const char *subscriber_state_name(enum subscriber_state state)
{
	return token_state_name((enum token_state)state);
}

const char *subscriber_leave_reason_name(enum subscriber_leave_reason reason)
{
	static const char *const names[] = { "down", "expired", "connection-lost" };
	return (unsigned)reason < 3 ? names[reason] : "unknown";
}

/* ---- callbacks ---- */

void *subscriber__attach(void *ctx, const struct subscriber_instance *in)
{
	struct subscriber *sub = ctx;

	return sub->cb.attach(sub, in);
}

void subscriber__detach(void *ctx, void *data)
{
	struct subscriber *sub = ctx;

	sub->cb.detach(sub, data);
}

static void tell_change(void *ctx, enum sub_store_outcome kind,
			const struct subscriber_instance *in, enum subscriber_leave_reason reason)
{
	struct subscriber *sub = ctx;

	if (kind == SUB_STORE_JOINED && sub->cb.join)
		sub->cb.join(sub, in);
	else if (kind == SUB_STORE_UPDATED && sub->cb.update)
		sub->cb.update(sub, in);
	else if (kind == SUB_STORE_LEFT && sub->cb.leave)
		sub->cb.leave(sub, in, reason);
}

void subscriber__drain(struct subscriber *sub)
{
	sub_store_drain(sub->store, tell_change, sub);
}

void subscriber__tell_feed(struct subscriber *sub, enum subscriber_feed_state state)
{
	if (state == sub->told)
		return;
	sub->told = state;
	if (sub->cb.feed)
		sub->cb.feed(sub, state);
}

/* ---- the handle ---- */

static char *dup_or_null(const char *s, bool *ok)
{
	char *d = s && *s ? strdup(s) : NULL;

	if (s && *s && !d)
		*ok = false;
	return d;
}

static int copy_services(struct subscriber *sub, const char *const *services)
{
	size_t n = 0, i;

	if (!services)
		return 0;
	while (services[n])
		n++;
	sub->services = calloc(n + 1, sizeof(*sub->services));
	if (!sub->services)
		return -1;
	for (i = 0; i < n; i++) {
		if (!token_service_is_valid(services[i]))
			return -1;
		sub->services[i] = strdup(services[i]);
		if (!sub->services[i])
			return -1;
	}
	return 0;
}

static struct sub_store *new_store(struct subscriber *sub, const struct subscriber_options *o)
{
	struct sub_store_limits lim = {
		.max_instances = o->max_instances,
		.max_services = o->max_services,
		.max_per_service = o->max_per_service,
		.max_ttl_s = o->max_ttl_s,
		.strict_seq = sub->secret != NULL,
		/* Microseconds of the wall clock: above any index an earlier run
		 * reached unless it made a million changes a second. */
		.first_index = o->first_index ? o->first_index : (uint64_t)timing_wall_ms() * 1000,
		.hook_ctx = sub,
	};

	if (o->callbacks.attach && o->callbacks.detach) {
		lim.attach = subscriber__attach;
		lim.detach = subscriber__detach;
	}
	return sub_store_new(&lim);
}

struct subscriber *subscriber_new(const struct subscriber_options *o)
{
	struct subscriber *sub = calloc(1, sizeof(*sub));
	struct amqp_session_options so = { 0 };
	char host[128], name[192];
	bool ok = true;

	if (!sub)
		return NULL;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "discovery-subscriber:%s", host);
	sub->url = dup_or_null(o->amqp_url, &ok);
	sub->tls_ca = dup_or_null(o->amqp_tls_ca, &ok);
	sub->connection_name = dup_or_null(o->connection_name ? o->connection_name : name, &ok);
	sub->exchange = dup_or_null(o->exchange && *o->exchange ? o->exchange : "discovery", &ok);
	sub->secret = dup_or_null(o->secret, &ok);
	sub->legacy_queue = dup_or_null(o->legacy_queue, &ok);
	sub->declare_queue = dup_or_null(o->declare_queue, &ok);
	if (!ok || !sub->url || copy_services(sub, o->services) < 0)
		goto fail;
	if (sub->legacy_queue) {
		if (!o->legacy_service || !token_service_is_valid(o->legacy_service))
			goto fail;
		snprintf(sub->legacy_key, sizeof(sub->legacy_key), "%s%s.up",
			 TOKEN_ROUTING_PREFIX, o->legacy_service);
	}
	sub->legacy_ttl_s = o->legacy_ttl_s > 0 ? o->legacy_ttl_s : DEFAULT_LEGACY_TTL_S;
	sub->max_skew_ms = o->max_skew_ms > 0 ? o->max_skew_ms : DEFAULT_SKEW_MS;
	sub->queue_max = o->queue_max > 0 ? o->queue_max : DEFAULT_QUEUE_MAX;
	sub->announce_expiry = o->announce_expiry;
	sub->watch_connections = true;
	sub->cb = o->callbacks;
	sub->data = o->data;
	sub->connections = sub_conn_new(o->max_connections ? o->max_connections
							   : DEFAULT_MAX_CONNECTIONS);
	sub->close_grace_ms = o->close_grace_ms > 0 ? o->close_grace_ms : 0;
	/* As many waiting closes as connections remembered. */
	sub->grace = sub_grace_new(o->max_connections ? o->max_connections
						      : DEFAULT_MAX_CONNECTIONS);
	sub->store = sub->connections && sub->grace ? new_store(sub, o) : NULL;
	if (!sub->store)
		goto fail;
	so.url = sub->url;
	so.tls_ca = sub->tls_ca;
	so.connection_name = sub->connection_name;
	so.timeout_ms = CONNECT_TIMEOUT_MS;
	sub->session = amqp_session_new(&so);
	if (!sub->session)
		goto fail;
	if (pthread_mutex_init(&sub->mu, NULL) != 0)
		goto fail_session;
	atomic_init(&sub->stop, false);
	backoff_init(&sub->backoff);
	/* Stale until the first connect: nothing expires before. */
	sub_store_set_stale(sub->store, true, timing_mono_ms());
	sub->told = SUBSCRIBER_FEED_STALE;
	sub->stats.down_since_ms = timing_wall_ms();
	return sub;
fail_session:
	amqp_session_free(sub->session);
	sub->session = NULL;
fail:
	subscriber_free(sub);
	return NULL;
}

void subscriber_free(struct subscriber *sub)
{
	size_t i;

	if (!sub)
		return;
	if (sub->session) {
		subscriber_stop(sub);
		sub_feed_close(sub);
		amqp_session_free(sub->session);
		pthread_mutex_destroy(&sub->mu);
	}
	sub_store_free(sub->store);
	sub_conn_free(sub->connections);
	sub_grace_free(sub->grace);
	for (i = 0; sub->services && sub->services[i]; i++)
		free(sub->services[i]);
	free(sub->services);
	free(sub->url);
	free(sub->tls_ca);
	free(sub->connection_name);
	free(sub->exchange);
	free(sub->secret);
	free(sub->legacy_queue);
	free(sub->declare_queue);
	free(sub);
}

void *subscriber_data(const struct subscriber *sub)
{
	return sub->data;
}

/* ---- running the feed ---- */

static void *feed_main(void *arg)
{
	struct subscriber *sub = arg;
	int wait;

	while (!atomic_load(&sub->stop)) {
		sub_feed_step(sub, POLL_MS);
		if (amqp_session_is_open(sub->session))
			continue;
		/* Waiting to reconnect, in slices so that a stop is quick. */
		wait = sub_feed_timeout_ms(sub);
		timing_sleep_ms(wait < POLL_MS ? wait : POLL_MS);
	}
	sub_feed_close(sub);
	return NULL;
}

int subscriber_start(struct subscriber *sub)
{
	if (sub->running)
		return -1;
	atomic_store(&sub->stop, false);
	if (pthread_create(&sub->thread, NULL, feed_main, sub) != 0)
		return -1;
	sub->running = true;
	return 0;
}

void subscriber_stop(struct subscriber *sub)
{
	if (!sub->running)
		return;
	atomic_store(&sub->stop, true);
	pthread_join(sub->thread, NULL);
	sub->running = false;
}

void subscriber_step(struct subscriber *sub)
{
	sub_feed_step(sub, 0);
}

int subscriber_fd(const struct subscriber *sub)
{
	return amqp_session_fd(sub->session);
}

int subscriber_timeout_ms(struct subscriber *sub)
{
	return sub_feed_timeout_ms(sub);
}

/* ---- queries ---- */

uint64_t subscriber_index(struct subscriber *sub, const char *service)
{
	struct subscriber_view v;

	sub_store_view(sub->store, service, &v);
	return v.index;
}

void subscriber_view(struct subscriber *sub, const char *service, struct subscriber_view *out)
{
	sub_store_view(sub->store, service, out);
}

void subscriber_foreach(struct subscriber *sub, const char *service, subscriber_instance_fn fn,
			void *ctx, struct subscriber_view *view)
{
	sub_store_foreach(sub->store, service, fn, ctx, view);
}

void subscriber_foreach_service(struct subscriber *sub, subscriber_service_fn fn, void *ctx,
				struct subscriber_view *view)
{
	sub_store_foreach_service(sub->store, fn, ctx, view);
}

void subscriber_stats(struct subscriber *sub, struct subscriber_stats *out)
{
	pthread_mutex_lock(&sub->mu);
	*out = sub->stats;
	pthread_mutex_unlock(&sub->mu);
	out->feed_lag_ms = sub_token_lag_ms(sub);
	sub_store_stats(sub->store, out);
}
