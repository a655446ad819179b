/* Prometheus text format of the registry's counters. */
#include "registry/rmetrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "registry/rlist.h"

const char *const rmetrics_route_names[RMETRICS_ROUTES] = {
	"/", "/services", "/services/{name}", "/events", "/turbine/{service}",
	"/health", "/metrics", "/prometheus/targets", "/eureka/apps", "other",
};
const int rmetrics_codes[RMETRICS_CODES] = { 200, 204, 304, 400, 404, 405, 413, 414, 431, 500, 501, 503, 505, 0 };
static const char *const refusal_names[RMETRICS_REFUSALS] = {
	"max_connections", "per_client", "request_timeout", "waiting", "streams",
	"body_too_large", "max_pending",
};

size_t rmetrics_code_slot(int status)
{
	size_t i;

	for (i = 0; i + 1 < RMETRICS_CODES; i++)
		if (rmetrics_codes[i] == status)
			return i;
	return RMETRICS_CODES - 1;
}

/* The counts are copied under the table's lock and printed after it. */
static void service_lines(FILE *f, struct subscriber *t)
{
	struct rlist_count *v = NULL;
	size_t n = 0, i;
	int s;

	if (rlist_counts(t, &v, &n, NULL) < 0)
		return; /* no memory: the other metrics still go out */
	for (i = 0; i < n; i++)
		for (s = 0; s < 4; s++)
			fprintf(f, "registry_instances{service=\"%s\",state=\"%s\"} %zu\n",
				v[i].name, subscriber_state_name((enum subscriber_state)s),
				v[i].by_state[s]);
	free(v);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help,
		name, name, v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRIu64 "\n", name, help,
		name, name, v);
}

/* A counter with one label: n values, the label's value of each from
 * label_of. */
static void labelled(FILE *f, const char *name, const char *help, const char *label,
		     const char *(*label_of)(int i), const uint64_t *v, int n)
{
	int i;

	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, label_of(i), v[i]);
}

static const char *refusal_name(int i)
{
	return refusal_names[i];
}

static const char *waiter_kind(int i)
{
	return i == 0 ? "query" : "stream";
}

static void write_tokens(FILE *f, const struct subscriber_stats *sub)
{
	counter(f, "registry_tokens_received_total",
		"Token messages received (sync requests and events excluded).",
		sub->received);
	counter(f, "registry_tokens_applied_total",
		"Tokens that passed validation and reached the table.", sub->applied);
	labelled(f, "registry_tokens_outcome_total", "What applied tokens did to the table.",
		 "outcome", subscriber_outcome_name, sub->outcomes, SUBSCRIBER_OUTCOME_COUNT);
	labelled(f, "registry_tokens_rejected_total", "Messages rejected, by reason.", "reason",
		 subscriber_reject_name, sub->rejected, SUBSCRIBER_REJECT_COUNT);
	counter(f, "registry_connection_lost_total",
		"Instances removed because their AMQP connection closed.",
		sub->connection_lost);
	counter(f, "registry_legacy_bridged_total",
		"Legacy queue tokens republished as proper tokens on the exchange.",
		sub->legacy_bridged);
	labelled(f, "registry_connection_events_ignored_total",
		 "Connection closes that removed nothing, by reason.", "reason",
		 subscriber_conn_ignored_name, sub->connections_ignored,
		 SUBSCRIBER_CONN_IGNORED_COUNT);
	gauge(f, "registry_feed_lag_ms",
	      "How far behind the token feed runs (the freshest token's age); expiry waits for it.",
	      (uint64_t)sub->feed_lag_ms);
	gauge(f, "registry_broker_alarms",
	      "Broker resource alarms on (alarm.set seen, not cleared).", sub->alarms_active);
	gauge(f, "registry_connections_tracked",
	      "Broker connections whose user and vhost are remembered until they close.",
	      sub->connections_tracked);
	counter(f, "registry_connection_closes_deferred_total",
		"Publisher connection closes that waited REGISTRY_FAILOVER_GRACE before acting.",
		sub->closes_deferred);
	counter(f, "registry_connection_closes_resumed_total",
		"Deferred closes whose process reconnected or announced in time (a failover).",
		sub->closes_resumed);
	gauge(f, "registry_connection_closes_waiting",
	      "Publisher connection closes in their grace now.", sub->closes_waiting);
}

static void write_http(FILE *f, const struct rmetrics_http *http)
{
	size_t r, c;

	fprintf(f, "# HELP registry_http_requests_total HTTP requests by route and status.\n"
		   "# TYPE registry_http_requests_total counter\n");
	for (r = 0; r < RMETRICS_ROUTES; r++)
		for (c = 0; c < RMETRICS_CODES; c++) {
			if (!http->requests[r][c])
				continue;
			if (rmetrics_codes[c])
				fprintf(f, "registry_http_requests_total{route=\"%s\",code=\"%d\"} %" PRIu64 "\n",
					rmetrics_route_names[r], rmetrics_codes[c],
					http->requests[r][c]);
			else
				fprintf(f, "registry_http_requests_total{route=\"%s\",code=\"other\"} %" PRIu64 "\n",
					rmetrics_route_names[r], http->requests[r][c]);
		}
	labelled(f, "registry_http_refused_total",
		 "Connections and requests refused by a limit, by reason.", "reason", refusal_name,
		 http->refused, RMETRICS_REFUSALS);
	labelled(f, "registry_http_waiters_woken_total",
		 "Held queries and idle streams woken by a change: a query only by its "
		 "service's (or, on /services, by any), a stream by any.",
		 "kind", waiter_kind, http->woken, 2);
	counter(f, "registry_http_clients_gone_total",
		"Held queries and streams whose client hung up, freed at once.",
		http->clients_gone);
	counter(f, "registry_http_gzip_responses_total",
		"Listings answered gzip'd (Accept-Encoding: gzip).", http->gzip_answers);
	counter(f, "registry_http_gzip_saved_bytes_total",
		"Bytes gzip took off those answers (plain length minus gzip'd length).",
		http->gzip_saved_bytes);
	gauge(f, "registry_http_connections", "HTTP connections open now.", http->connections);
	gauge(f, "registry_http_connections_held",
	      "Of those, held queries and idle streams, kept outside the HTTP library.",
	      http->held);
	gauge(f, "registry_http_connections_pending",
	      "Connections accepted and waiting for their first request head (the front door).",
	      http->pending);
	gauge(f, "registry_http_threads", "HTTP threads serving the connections.", http->threads);
	gauge(f, "registry_blocking_queries_waiting",
	      "Blocking queries held open now.", http->queries_waiting);
	gauge(f, "registry_event_streams_open", "Event streams open now.", http->streams_open);
	gauge(f, "registry_event_streams_waiting",
	      "Event streams idle and held now.", http->streams_waiting);
}

char *rmetrics_render(struct subscriber *t, const struct subscriber_stats *ts,
		      const struct rfeed_stats *feed, const struct rmetrics_http *http,
		      const struct rmirror_counts *mirror, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	gauge(f, "registry_index", "The table index.", ts->index);
	gauge(f, "registry_instances_total", "Instances in the table.", ts->instances);
	gauge(f, "registry_services", "Services with at least one instance.", ts->services);
	fprintf(f, "# HELP registry_instances Instances by service and state.\n"
		   "# TYPE registry_instances gauge\n");
	service_lines(f, t);
	counter(f, "registry_joins_total", "Instances that joined.", ts->joins);
	counter(f, "registry_updates_total", "Instances whose description changed.", ts->updates);
	counter(f, "registry_leaves_total", "Instances that left (DOWN or connection lost).", ts->leaves);
	counter(f, "registry_expiries_total", "Instances removed because their ttl ran out.", ts->expiries);
	labelled(f, "registry_refused_total", "New instances refused, by the cap that refused them.",
		 "reason", subscriber_cap_name, ts->refused_by, SUBSCRIBER_CAP_COUNT);
	counter(f, "registry_ttl_clamped_total",
		"Tokens whose ttl was above REGISTRY_MAX_TTL (kept that long instead).",
		ts->ttl_clamped);
	counter(f, "registry_instance_conflicts_total",
		"Tokens from a second live process announcing the same instanceId.", ts->conflicts);
	gauge(f, "registry_tombstones",
	      "Departed instances whose last seq is kept against replays.", ts->tombstones);
	counter(f, "registry_tombstones_evicted_total",
		"Tombstones dropped early because the set was full.", ts->tombstones_evicted);
	gauge(f, "registry_departures",
	      "Departed instances remembered for Eureka's delta (3 minutes each).",
	      feed->departures);
	counter(f, "registry_departures_evicted_total",
		"Departures forgotten before their 3 minutes because the ring was full "
		"(REGISTRY_MAX_DEPARTURES).",
		feed->departures_evicted);
	gauge(f, "registry_stale", "1 while the AMQP feed is down (self-preservation).",
	      ts->stale ? 1 : 0);
	write_tokens(f, ts);
	gauge(f, "registry_amqp_blocked",
	      "1 while the broker blocks the connection (a resource alarm).", ts->blocked ? 1 : 0);
	gauge(f, "registry_amqp_connected", "1 while the AMQP connection is up.",
	      ts->connected ? 1 : 0);
	counter(f, "registry_amqp_reconnects_total", "AMQP connections made again after a loss.",
		ts->reconnects);
	counter(f, "registry_expired_announced_total",
		"DOWN tokens published for expired instances.", ts->expired_announced);
	if (mirror) {
		fprintf(f, "# HELP registry_legacy_out_total Messages for REGISTRY_LEGACY_OUT_QUEUE: "
			   "written, or failed (the feed down, or the publish refused).\n"
			   "# TYPE registry_legacy_out_total counter\n"
			   "registry_legacy_out_total{result=\"written\"} %" PRIu64 "\n"
			   "registry_legacy_out_total{result=\"failed\"} %" PRIu64 "\n",
			mirror->written, mirror->failed);
	}
	if (http)
		write_http(f, http);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
