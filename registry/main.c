/* registry: the live instance table of the discovery system. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "registry/rconfig.h"
#include "discovery/subscriber.h"
#include "registry/rfeed.h"
#include "registry/rhttp.h"
#include "sdnotify.h"
#include "registry/rmirror.h"
#include "timing.h"

/* Every held-open query or stream is a descriptor: use all we may. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct rconfig cfg;
	char err[256], host[128], conn_name[192], masked[256];
	struct subscriber_callbacks callbacks;
	struct subscriber *sub = NULL;
	struct rfeed *feed = NULL;
	struct rmirror *mirror = NULL;
	struct rhttp *http = NULL;
	uint64_t first_index;
	sigset_t stop_signals;
	int rc, sig, result = 1;

	rc = rconfig_load(&cfg, argc, argv, err, sizeof(err));
	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0)
		return config_usage_error("registry", "%s", err);
	log_init("registry", cfg.log_level);
	if (cfg.legacy_out_queue[0]) {
		mirror = rmirror_new(cfg.legacy_out_queue, cfg.legacy_out_services,
				     cfg.legacy_out_ttl_ms, err, sizeof(err));
		if (!mirror)
			return config_usage_error("registry", "%s", err);
	}

	/* Signals go to sigwait() below, not to whichever thread runs. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(conn_name, sizeof(conn_name), "discovery-registry:%s", host);

	/* Microseconds of the wall clock: above any index an earlier run
	 * reached unless it made a million changes a second. */
	first_index = (uint64_t)timing_wall_ms() * 1000;
	feed = rfeed_new(0, first_index, (size_t)cfg.max_departures, NULL);
	if (!feed) {
		log_error("cannot create the change feed (out of memory)");
		goto out;
	}
	rfeed_callbacks(&callbacks);
	if (mirror)
		rfeed_set_tap(feed, rmirror_tap, mirror);
	sub = subscriber_new(&(struct subscriber_options){
		.amqp_url = cfg.amqp_url,
		.amqp_tls_ca = cfg.amqp_tls_ca,
		.connection_name = conn_name,
		.exchange = cfg.exchange,
		.secret = cfg.secret,
		.legacy_queue = cfg.legacy_queue,
		.legacy_service = cfg.legacy_service,
		.legacy_ttl_s = (int)(cfg.legacy_ttl_ms / 1000),
		.declare_queue = cfg.legacy_out_queue,
		.announce_expiry = true,
		.max_instances = (size_t)cfg.max_instances,
		.max_services = (size_t)cfg.max_services,
		.max_per_service = (size_t)cfg.max_per_service,
		.max_ttl_s = (int)(cfg.max_ttl_ms / 1000),
		.queue_max = cfg.queue_max,
		.close_grace_ms = cfg.failover_grace_ms,
		.first_index = first_index,
		.callbacks = callbacks,
		.data = feed,
	});
	if (!sub) {
		log_error("cannot create the subscriber (bad AMQP_SERVER_URL, or out of memory)");
		goto out;
	}
	http = rhttp_start(&(struct rhttp_options){
				   .port = cfg.port,
				   .threads = (unsigned int)cfg.http_threads,
				   .limits = {
					   .max_connections = (size_t)cfg.max_connections,
					   .max_per_client = (size_t)cfg.max_per_client,
					   .max_waiting = (size_t)cfg.max_waiting,
					   .max_streams = (size_t)cfg.max_streams,
					   .request_timeout_ms = cfg.request_timeout_ms,
					   .max_body = (uint64_t)cfg.max_body,
					   .max_pending = (size_t)cfg.max_pending,
				   },
				   .subscriber = sub,
				   .feed = feed,
				   .mirror = mirror,
			   },
			   err, sizeof(err));
	if (!http) {
		log_error("http: %s", err);
		goto out;
	}
	/* The feed starts once its changes have somewhere to go. */
	if (subscriber_start(sub) < 0) {
		log_error("cannot start the AMQP thread");
		goto out;
	}
	log_mask_url(cfg.amqp_url, masked, sizeof(masked));
	log_info("registry started port=%d amqp=%s exchange=%s signed=%s legacy_queue=%s "
		 "legacy_out_queue=%s",
		 cfg.port, masked, cfg.exchange, cfg.secret[0] ? "yes" : "no",
		 cfg.legacy_queue[0] ? cfg.legacy_queue : "-",
		 cfg.legacy_out_queue[0] ? cfg.legacy_out_queue : "-");
	/* Ready once HTTP listens, connected or not: a registry without its
	 * broker still answers, stale (self-preservation). */
	sdnotify_state("READY=1");

	while (sigwait(&stop_signals, &sig) != 0)
		;
	log_info("registry stopping signal=%s", strsignal(sig));
	sdnotify_state("STOPPING=1");
	result = 0;
out:
	/* The AMQP thread first: once it is joined nothing changes the table,
	 * so no notify hook can wake a watch that rhttp_stop frees. */
	if (sub)
		subscriber_stop(sub);
	rhttp_stop(http);
	subscriber_free(sub);
	rfeed_free(feed);
	rmirror_free(mirror);
	return result;
}
