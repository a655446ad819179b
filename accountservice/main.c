/*
 * accountservice: serves accounts from LMDB with a quote from the
 * quotes-service, and announces itself on the discovery exchange.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "accountservice/acct_balance.h"
#include "accountservice/acct_config.h"
#include "accountservice/acct_http.h"
#include "accountservice/acct_metrics.h"
#include "accountservice/acct_store.h"
#include "addr.h"
#include "config.h"
#include "log.h"
#include "discovery/publisher.h"
#include "sdnotify.h"
#include "token.h"

struct acct_identity {
	char address[ADDR_TEXT_MAX];
	char instance_id[TOKEN_DEFAULT_ID_MAX];
	char hostname[256];
	char health_url[ADDR_TEXT_MAX + 32];
};

/*
 * The publisher starts only once the HTTP port accepts connections, and
 * stops before the HTTP server does, so the health hook (called from the
 * HTTP loops) finds it here, under a lock, and does nothing while there is
 * none.
 */
struct acct_announcer {
	pthread_mutex_t lock;
	struct publisher *pub;
};

static void acct_on_health(void *arg, bool healthy)
{
	struct acct_announcer *a = arg;
	pthread_mutex_lock(&a->lock);
	if (a->pub != NULL)
		publisher_set_healthy(a->pub, healthy);
	pthread_mutex_unlock(&a->lock);
}

/* Hands pub to the hook, with the health the HTTP side has now: a flip
 * before this was not seen by any publisher. */
static void acct_announcer_set(struct acct_announcer *a, struct publisher *pub,
			       const struct acct_http *http)
{
	pthread_mutex_lock(&a->lock);
	a->pub = pub;
	if (pub != NULL)
		publisher_set_healthy(pub, acct_http_is_healthy(http));
	pthread_mutex_unlock(&a->lock);
}

static void acct_identity_fill(struct acct_identity *id, int port)
{
	bool v6 = strchr(id->address, ':') != NULL;

	token_default_instance_id(id->address, port, id->instance_id, sizeof(id->instance_id));
	snprintf(id->health_url, sizeof(id->health_url), "http://%s%s%s:%d/health", v6 ? "[" : "",
		 id->address, v6 ? "]" : "", port);
	if (gethostname(id->hostname, sizeof(id->hostname)) != 0)
		id->hostname[0] = '\0';
	id->hostname[sizeof(id->hostname) - 1] = '\0';
}

/* The publisher's options for this instance; t and po are the caller's. */
static void acct_publisher_options(const struct acct_config *cfg, const struct acct_identity *id,
				   struct publisher_instance *t, struct publisher_options *po)
{
	*t = (struct publisher_instance){
		.service = cfg->service_name,
		.address = id->address,
		.port = cfg->port,
		.instance_id = id->instance_id,
		.hostname = id->hostname[0] != '\0' ? id->hostname : NULL,
		.health_url = id->health_url,
	};
	*po = (struct publisher_options){
		.amqp_url = cfg->amqp_url,
		.amqp_tls_ca = cfg->amqp_tls_ca,
		.exchange = cfg->exchange,
		.secret = cfg->secret,
		.interval_ms = cfg->interval_ms,
		.instance = t,
	};
}

static struct publisher *acct_announce(const struct acct_config *cfg,
				       const struct acct_identity *id)
{
	struct publisher_instance t;
	struct publisher_options po;

	acct_publisher_options(cfg, id, &t, &po);
	return publisher_start(&po);
}

/* What the registry would refuse to list fails here, at start. */
static int acct_check_announcement(const struct acct_config *cfg,
				   const struct acct_identity *id, char *err, size_t errlen)
{
	struct publisher_instance t;
	struct publisher_options po;

	acct_publisher_options(cfg, id, &t, &po);
	return publisher_validate(&po, err, errlen);
}

/* Each connection may hold two descriptors (the client and its quote
 * call): allow as many as the hard limit does. */
static void acct_raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("cannot raise the descriptor limit");
	}
}

/* SIGTERM and SIGINT are blocked in every thread and taken by sigwait()
 * in main, so shutdown runs in ordinary code, not in a handler. */
static int acct_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int acct_run(const struct acct_config *cfg, struct acct_identity *id,
		    const sigset_t *signals)
{
	char err[256];
	struct acct_metrics metrics;
	struct acct_announcer announcer = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct acct_store *store;
	struct acct_balance *balance = NULL;
	struct acct_http *http;
	struct publisher *pub;
	int result = 1, sig = 0;

	store = acct_store_open(cfg->db_path, err, sizeof(err));
	if (store == NULL) {
		log_error("%s", err);
		return 1;
	}
	acct_metrics_init(&metrics);
	if (cfg->quotes_discovery[0] != '\0') {
		balance = acct_balance_start(&(struct acct_balance_options){
			.amqp_url = cfg->amqp_url,
			.amqp_tls_ca = cfg->amqp_tls_ca,
			.exchange = cfg->exchange,
			.secret = cfg->secret,
			.service = cfg->quotes_discovery,
			.metrics = &metrics,
		});
		if (balance == NULL) {
			log_error("cannot start following service=%s", cfg->quotes_discovery);
			goto out_close_store;
		}
		log_info("quote calls balanced over the instances of service=%s",
			 cfg->quotes_discovery);
	}
	struct acct_http_options ho = {
		.port = cfg->port,
		.store = store,
		.served_by = id->address,
		.quotes_url = cfg->quotes_url,
		.quotes_timeout_ms = cfg->quotes_timeout_ms,
		.quotes_close_wait_ms = cfg->quotes_close_wait_ms,
		.quotes_balance = balance,
		.metrics = &metrics,
		.testability_off = !cfg->testability,
		.max_connections = (size_t)cfg->max_connections,
		.max_per_client = (size_t)cfg->max_per_client,
		.request_timeout_ms = cfg->request_timeout_ms,
		.max_body = (uint64_t)cfg->max_body,
		.max_pending = (size_t)cfg->max_pending,
		.on_health = acct_on_health,
		.on_health_arg = &announcer,
	};
	/* The port is bound and listening when this returns: only then is
	 * the instance announced, so no client is sent to a port that refuses
	 * it (or that another process holds). */
	http = acct_http_start(&ho, err, sizeof(err));
	if (http == NULL) {
		log_error("%s", err);
		goto out_stop_balance;
	}
	log_info("accountservice listening port=%d servedBy=%s instanceId=%s", cfg->port,
		 id->address, id->instance_id);
	pub = acct_announce(cfg, id);
	if (pub == NULL) {
		log_error("cannot start the discovery publisher");
		goto out_stop_http;
	}
	acct_announcer_set(&announcer, pub, http);
	log_info("announcing service=%s instanceId=%s", cfg->service_name, id->instance_id);
	/* Ready: the port listens and the instance is being announced. */
	sdnotify_state("READY=1");

	if (sigwait(signals, &sig) == 0)
		log_info("shutting down signal=%s", strsignal(sig));
	sdnotify_state("STOPPING=1");
	result = 0;
	/* Say goodbye first, so the registry stops sending clients here while
	 * the requests in flight finish. */
	acct_announcer_set(&announcer, NULL, http);
	publisher_stop(pub);
out_stop_http:
	acct_http_stop(http);
out_stop_balance:
	acct_balance_free(balance);
out_close_store:
	acct_store_close(store);
	return result;
}

int main(int argc, char **argv)
{
	struct acct_config cfg;
	struct acct_identity id = {.address = ""};
	char err[256];
	sigset_t signals;
	int rc;

	log_init("accountservice", LOG_INFO);
	rc = acct_config_load(&cfg, argc, argv, err, sizeof(err));
	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0)
		return config_usage_error("accountservice", "%s", err);
	log_init("accountservice", cfg.log_level);
	if (!token_service_is_valid(cfg.service_name))
		return config_usage_error("accountservice",
					  "SERVICE_NAME/--service-name: '%s' is not "
					  "[a-z0-9][a-z0-9._-]{0,62}",
					  cfg.service_name);
	if (addr_advertised(cfg.advertise_addr, cfg.advertise_cidr, id.address, sizeof(id.address),
			    err, sizeof(err)) < 0)
		return config_usage_error("accountservice", "%s", err);
	acct_identity_fill(&id, cfg.port);
	if (acct_check_announcement(&cfg, &id, err, sizeof(err)) < 0)
		return config_usage_error("accountservice", "cannot announce this instance: %s",
					  err);
	acct_raise_fd_limit();
	if (acct_block_signals(&signals) != 0) {
		log_error("cannot block signals");
		return 1;
	}
	/* libcurl's global state, before any thread exists. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed");
		return 1;
	}
	rc = acct_run(&cfg, &id, &signals);
	curl_global_cleanup();
	log_info("accountservice stopped exit=%d", rc);
	return rc;
}
