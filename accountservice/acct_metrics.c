#include "accountservice/acct_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const route_names[ACCT_ROUTE_COUNT] = {
	"accounts", "health", "testability", "metrics", "other",
};

/* The last slot collects any status not listed. */
static const unsigned statuses[ACCT_METRICS_STATUSES] = {
	200, 400, 404, 405, 413, 414, 431, 500, 501, 503, 505, 0,
};
#define STATUS_OTHER (ACCT_METRICS_STATUSES - 1)

static const char *const refusal_names[ACCT_REFUSAL_COUNT] = {
	"max_connections",
	"per_client",
	"request_timeout",
	"body_too_large",
	"max_pending",
};

static const char *const outcome_names[ACCT_QUOTE_OUTCOME_COUNT] = {
	"ok",
	"timeout",
	"error",
	"fallback",
};

static const char *const choice_names[ACCT_QUOTE_CHOICE_COUNT] = {
	"next",
	"retry",
	"none",
};

static const char *const closer_names[ACCT_QUOTE_CLOSER_COUNT] = {
	"server",
	"service",
};

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const int64_t bucket_us[ACCT_METRICS_BUCKETS - 1] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000,
};

void acct_metrics_init(struct acct_metrics *m)
{
	for (int r = 0; r < ACCT_ROUTE_COUNT; r++)
		for (int s = 0; s < ACCT_METRICS_STATUSES; s++)
			atomic_init(&m->requests[r][s], 0);
	for (int o = 0; o < ACCT_QUOTE_OUTCOME_COUNT; o++)
		atomic_init(&m->quotes[o], 0);
	for (int c = 0; c < ACCT_QUOTE_CLOSER_COUNT; c++)
		atomic_init(&m->quote_closes[c], 0);
	for (int c = 0; c < ACCT_QUOTE_CHOICE_COUNT; c++)
		atomic_init(&m->quote_choices[c], 0);
	atomic_init(&m->quote_instances, 0);
	atomic_init(&m->pending, 0);
	for (int r = 0; r < ACCT_REFUSAL_COUNT; r++)
		atomic_init(&m->refused[r], 0);
	for (int b = 0; b < ACCT_METRICS_BUCKETS; b++)
		atomic_init(&m->latency_buckets[b], 0);
	atomic_init(&m->latency_sum_us, 0);
	atomic_init(&m->latency_count, 0);
}

static int status_slot(unsigned status)
{
	for (int s = 0; s < STATUS_OTHER; s++)
		if (statuses[s] == status)
			return s;
	return STATUS_OTHER;
}

void acct_metrics_request(struct acct_metrics *m, enum acct_route route, unsigned status,
			  int64_t latency_us)
{
	int b = 0;
	if (latency_us < 0)
		latency_us = 0;
	while (b < ACCT_METRICS_BUCKETS - 1 && latency_us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&m->requests[route][status_slot(status)], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_sum_us, (uint64_t)latency_us, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
}

void acct_metrics_quote(struct acct_metrics *m, enum acct_quote_outcome outcome)
{
	atomic_fetch_add_explicit(&m->quotes[outcome], 1, memory_order_relaxed);
}

void acct_metrics_quote_closed(struct acct_metrics *m, enum acct_quote_closer first)
{
	atomic_fetch_add_explicit(&m->quote_closes[first], 1, memory_order_relaxed);
}

void acct_metrics_quote_chose(struct acct_metrics *m, enum acct_quote_choice choice)
{
	atomic_fetch_add_explicit(&m->quote_choices[choice], 1, memory_order_relaxed);
}

void acct_metrics_set_quote_instances(struct acct_metrics *m, uint64_t n)
{
	atomic_store_explicit(&m->quote_instances, n, memory_order_relaxed);
}

void acct_metrics_refused(struct acct_metrics *m, enum acct_refusal why)
{
	atomic_fetch_add_explicit(&m->refused[why], 1, memory_order_relaxed);
}

void acct_metrics_set_refused(struct acct_metrics *m, enum acct_refusal why, uint64_t n)
{
	atomic_store_explicit(&m->refused[why], n, memory_order_relaxed);
}

static uint64_t load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void render_requests(struct acct_metrics *m, FILE *f)
{
	fputs("# HELP accountservice_http_requests_total HTTP requests by route and status.\n"
	      "# TYPE accountservice_http_requests_total counter\n",
	      f);
	for (int r = 0; r < ACCT_ROUTE_COUNT; r++) {
		for (int s = 0; s < ACCT_METRICS_STATUSES; s++) {
			uint64_t n = load(&m->requests[r][s]);
			if (n == 0)
				continue;
			if (s == STATUS_OTHER)
				fprintf(f,
					"accountservice_http_requests_total{route=\"%s\",status="
					"\"other\"} %" PRIu64 "\n",
					route_names[r], n);
			else
				fprintf(f,
					"accountservice_http_requests_total{route=\"%s\",status=\"%"
					"u\"} %" PRIu64 "\n",
					route_names[r], statuses[s], n);
		}
	}
}

/* A counter with one label: HELP and TYPE, then a line per value. */
static void render_labelled(FILE *f, const char *name, const char *help, const char *label,
			    const char *const *values, atomic_uint_fast64_t *counts, int n)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, values[i], load(&counts[i]));
}

static void render_quotes(struct acct_metrics *m, FILE *f)
{
	render_labelled(f, "accountservice_quote_calls_total",
			"Quote calls by outcome; fallback counts accounts served with the "
			"fallback quote.",
			"outcome", outcome_names, m->quotes, ACCT_QUOTE_OUTCOME_COUNT);
	render_labelled(f, "accountservice_quote_connections_closed_total",
			"Quote connections by the side that closed first and keeps the "
			"TIME_WAIT.",
			"first", closer_names, m->quote_closes, ACCT_QUOTE_CLOSER_COUNT);
	render_labelled(f, "accountservice_quote_discovery_calls_total",
			"Quote calls under QUOTES_DISCOVERY: to the next instance, again to "
			"another after a refused connection, or none (no instance known: the "
			"fallback quote).",
			"choice", choice_names, m->quote_choices, ACCT_QUOTE_CHOICE_COUNT);
	fprintf(f,
		"# HELP accountservice_quote_discovery_instances UP instances of the "
		"QUOTES_DISCOVERY service known.\n"
		"# TYPE accountservice_quote_discovery_instances gauge\n"
		"accountservice_quote_discovery_instances %" PRIu64 "\n",
		load(&m->quote_instances));
}

static void render_refusals(struct acct_metrics *m, FILE *f)
{
	render_labelled(f, "accountservice_http_refused_total",
			"Connections and requests refused by a limit, by reason.", "reason",
			refusal_names, m->refused, ACCT_REFUSAL_COUNT);
	fprintf(f,
		"# HELP accountservice_http_connections_pending Connections accepted and waiting "
		"for their first request head (the front door).\n"
		"# TYPE accountservice_http_connections_pending gauge\n"
		"accountservice_http_connections_pending %" PRIu64 "\n",
		load(&m->pending));
}

static void render_latency(struct acct_metrics *m, FILE *f)
{
	uint64_t cumulative = 0;
	fputs("# HELP accountservice_http_request_duration_seconds HTTP request latency.\n"
	      "# TYPE accountservice_http_request_duration_seconds histogram\n",
	      f);
	for (int b = 0; b < ACCT_METRICS_BUCKETS; b++) {
		cumulative += load(&m->latency_buckets[b]);
		if (b < ACCT_METRICS_BUCKETS - 1)
			fprintf(f,
				"accountservice_http_request_duration_seconds_bucket{le=\"%g\"} "
				"%" PRIu64 "\n",
				(double)bucket_us[b] / 1e6, cumulative);
		else
			fprintf(f,
				"accountservice_http_request_duration_seconds_bucket{le=\"+Inf\"} "
				"%" PRIu64 "\n",
				cumulative);
	}
	fprintf(f, "accountservice_http_request_duration_seconds_sum %.6f\n",
		(double)load(&m->latency_sum_us) / 1e6);
	fprintf(f, "accountservice_http_request_duration_seconds_count %" PRIu64 "\n",
		load(&m->latency_count));
}

char *acct_metrics_render(struct acct_metrics *m, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (f == NULL)
		return NULL;
	render_requests(m, f);
	render_quotes(m, f);
	render_refusals(m, f);
	render_latency(m, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
