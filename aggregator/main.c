/*
 * aggregator: a Turbine-style monitor built on the subscriber library
 * alone. It follows the discovery tokens, keeps its own member table,
 * fetches every instance's /health in parallel every interval and at once
 * when one joins, and serves what it found (docs/aggregator.md).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <discovery/subscriber.h>

#include "aggregator/aggr_check.h"
#include "aggregator/aggr_config.h"
#include "aggregator/aggr_http.h"
#include "aggregator/aggr_table.h"
#include "config.h"
#include "log.h"
#include "sdnotify.h"
#include "timing.h"

/* What the subscriber's callbacks reach (subscriber_data). */
struct aggr_app {
	struct aggr_table *table;
	struct aggr_check *check;
};

static void aggr_on_change(struct subscriber *sub, const struct subscriber_instance *in)
{
	struct aggr_app *app = subscriber_data(sub);
	int rc = aggr_table_upsert(app->table, in, timing_mono_ms());

	if (rc > 0)
		aggr_check_wake(app->check);
	else if (rc < 0)
		log_warn("member refused (AGGREGATOR_MAX_MEMBERS, or no memory) service=%s "
			 "instance=%s",
			 in->service, in->instance_id);
}

static void aggr_on_leave(struct subscriber *sub, const struct subscriber_instance *in,
			  enum subscriber_leave_reason reason)
{
	struct aggr_app *app = subscriber_data(sub);

	if (aggr_table_leave(app->table, in, reason, timing_mono_ms()) > 0)
		aggr_check_wake(app->check);
}

/* SIGTERM and SIGINT are blocked in every thread and taken by sigwait()
 * in main, so shutdown runs in ordinary code, not in a handler. */
static int aggr_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int aggr_run(const struct aggr_config *cfg, const sigset_t *signals)
{
	struct aggr_app app = {0};
	struct subscriber *sub;
	struct aggr_http *http;
	char err[256];
	int result = 1, sig = 0;

	app.table = aggr_table_new((size_t)cfg->max_members, cfg->interval_ms, cfg->keep_down_ms);
	app.check =
		app.table ? aggr_check_start(app.table, (size_t)cfg->max_parallel, cfg->timeout_ms)
			  : NULL;
	if (app.check == NULL) {
		log_error("cannot start the health checker");
		goto out_free_table;
	}
	struct subscriber_options so = {
		.amqp_url = cfg->amqp_url,
		.amqp_tls_ca = cfg->amqp_tls_ca[0] ? cfg->amqp_tls_ca : NULL,
		.connection_name = NULL,
		.exchange = cfg->exchange,
		.services = cfg->services[0] ? cfg->services : NULL,
		.secret = cfg->secret,
		.max_instances = (size_t)cfg->max_members,
		.callbacks = {.join = aggr_on_change,
			      .update = aggr_on_change,
			      .leave = aggr_on_leave},
		.data = &app,
	};
	sub = subscriber_new(&so);
	if (sub == NULL || subscriber_start(sub) < 0) {
		log_error("cannot start the subscriber");
		goto out_free_sub;
	}
	struct aggr_http_options ho = {
		.port = cfg->port,
		.max_connections = (size_t)cfg->max_connections,
		.max_per_client = (size_t)cfg->max_per_client,
		.table = app.table,
		.check = app.check,
		.sub = sub,
	};
	http = aggr_http_start(&ho, err, sizeof(err));
	if (http == NULL) {
		log_error("%s", err);
		goto out_free_sub;
	}
	log_info("aggregator listening port=%d interval_ms=%lld timeout_ms=%lld services=%s",
		 cfg->port, (long long)cfg->interval_ms, (long long)cfg->timeout_ms,
		 cfg->services[0] ? cfg->services_text : "all");
	sdnotify_state("READY=1");
	if (sigwait(signals, &sig) == 0)
		log_info("shutting down signal=%s", strsignal(sig));
	sdnotify_state("STOPPING=1");
	result = 0;
	aggr_http_stop(http);
out_free_sub:
	/* No callback runs once this returns, so the checker can go. */
	subscriber_free(sub);
	aggr_check_stop(app.check);
out_free_table:
	aggr_table_free(app.table);
	return result;
}

int main(int argc, char **argv)
{
	static struct aggr_config cfg;
	char err[256];
	sigset_t signals;
	int rc;

	log_init("aggregator", LOG_INFO);
	rc = aggr_config_load(&cfg, argc, argv, err, sizeof(err));
	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0)
		return config_usage_error("aggregator", "%s", err);
	log_init("aggregator", cfg.log_level);
	if (aggr_block_signals(&signals) != 0) {
		log_error("cannot block signals");
		return 1;
	}
	/* libcurl's global state, before any thread exists. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed");
		return 1;
	}
	rc = aggr_run(&cfg, &signals);
	curl_global_cleanup();
	log_info("aggregator stopped exit=%d", rc);
	return rc;
}
