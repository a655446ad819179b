/* Options of the registry, one table for parsing and --help. */
#include "registry/rconfig.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "token.h"

/* One HTTP thread per CPU by default, at most this many: past the CPUs
 * more threads only take turns. */
#define HTTP_THREADS_DEFAULT_MAX 16

#define SUMMARY "The service registry: a live instance table fed by discovery tokens."

int rconfig_load(struct rconfig *c, int argc, char **argv, char *err, size_t errlen)
{
	*c = (struct rconfig){
		.amqp_url = "amqp://guest:guest@localhost:5672/",
		.amqp_tls_ca = "",
		.port = 6868,
		.exchange = "discovery",
		.secret = "",
		.max_instances = 50000,
		.max_services = 10000,
		.max_per_service = 10000,
		.max_ttl_ms = 300000,
		.max_departures = 10000,
		.queue_max = 100000,
		.max_connections = 20000,
		.max_per_client = 256,
		.max_waiting = 10000,
		.max_streams = 5000,
		.request_timeout_ms = 5000,
		.max_body = 1024,
		.max_pending = 4096,
		.http_threads = 0, /* one per CPU: see below */
		.legacy_queue = "",
		.legacy_service = "accountservice",
		.legacy_ttl_ms = 90000,
		.failover_grace_ms = -1, /* chosen after loading: see below */
		.legacy_out_queue = "",
		.legacy_out_services = "",
		.legacy_out_ttl_ms = 3600000,
		.log_level = LOG_INFO,
	};
	const struct config_option opts[] = {
		{ "amqp-url", "AMQP_SERVER_URL", CONFIG_AMQP_URL, &c->amqp_url, 0, 0,
		  "broker URL, amqp:// or amqps://; the nodes of a cluster as a "
		  "comma-separated list" },
		{ "failover-grace", "REGISTRY_FAILOVER_GRACE", CONFIG_DURATION_MS,
		  &c->failover_grace_ms, 0, 60000,
		  "how long a publisher's closed connection waits for it to reconnect before "
		  "its instance leaves (1s when AMQP_SERVER_URL lists several nodes, else 0)" },
		{ "amqp-tls-ca", "AMQP_TLS_CA", CONFIG_FILE, &c->amqp_tls_ca, 0, 0,
		  "amqps://: PEM file of the CA that signed the broker's certificate; "
		  "empty: the system's CA bundle" },
		{ "port", "REGISTRY_PORT", CONFIG_PORT, &c->port, 1, 65535,
		  "HTTP port of the query API" },
		{ "discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING,
		  &c->exchange, 0, 0, "topic exchange of the discovery tokens" },
		{ "discovery-secret", "DISCOVERY_SECRET", CONFIG_SECRET, &c->secret,
		  0, 0, "HMAC key: reject unsigned, badly signed and stale tokens" },
		{ "max-instances", "REGISTRY_MAX_INSTANCES", CONFIG_INT,
		  &c->max_instances, 1, 10000000, "instances kept at most" },
		{ "max-services", "REGISTRY_MAX_SERVICES", CONFIG_INT,
		  &c->max_services, 1, 1000000, "services kept at most" },
		{ "max-per-service", "REGISTRY_MAX_PER_SERVICE", CONFIG_INT,
		  &c->max_per_service, 1, 10000000, "instances of one service kept at most" },
		{ "max-ttl", "REGISTRY_MAX_TTL", CONFIG_DURATION_MS, &c->max_ttl_ms,
		  1000, 86400000, "longest ttl kept; a longer one is clamped (300, 5m)" },
		{ "max-departures", "REGISTRY_MAX_DEPARTURES", CONFIG_INT, &c->max_departures, 1,
		  10000000, "departures remembered for Eureka's delta (3 minutes each)" },
		{ "queue-max", "REGISTRY_QUEUE_MAX", CONFIG_INT, &c->queue_max, 100, 100000000,
		  "messages the broker keeps queued for the registry (past it the oldest go)" },
		{ "max-connections", "REGISTRY_MAX_CONNECTIONS", CONFIG_INT,
		  &c->max_connections, 1, 1000000, "HTTP connections open at most" },
		{ "max-connections-per-client", "REGISTRY_MAX_CONNECTIONS_PER_CLIENT",
		  CONFIG_INT, &c->max_per_client, 0, 1000000,
		  "HTTP connections one client address may hold (0: no cap)" },
		{ "max-waiting", "REGISTRY_MAX_WAITING", CONFIG_INT, &c->max_waiting, 0,
		  1000000, "blocking queries held at once, then 503 (0: no cap)" },
		{ "max-streams", "REGISTRY_MAX_STREAMS", CONFIG_INT, &c->max_streams, 0,
		  1000000, "event streams open at once, then 503 (0: no cap)" },
		{ "request-timeout", "REGISTRY_REQUEST_TIMEOUT", CONFIG_DURATION_MS,
		  &c->request_timeout_ms, 0, 3600000,
		  "a request must be in within this of the connection or its last "
		  "response, or the connection is closed (0: off)" },
		{ "max-pending", "REGISTRY_MAX_PENDING", CONFIG_INT, &c->max_pending, 0, 1000000,
		  "new connections waiting for their first request head at once; past it "
		  "a connection is closed at accept (0: no cap)" },
		{ "max-request-body", "REGISTRY_MAX_REQUEST_BODY", CONFIG_INT, &c->max_body,
		  0, 1048576, "bytes of request body ignored; a larger one gets 413" },
		{ "http-threads", "REGISTRY_HTTP_THREADS", CONFIG_INT, &c->http_threads, 0, 256,
		  "HTTP threads, each with its own epoll set and its share of the connections; "
		  "as many threads write the answers of held queries and streams "
		  "(0: one per CPU, at most 16)" },
		{ "legacy-queue", "REGISTRY_LEGACY_QUEUE", CONFIG_STRING,
		  &c->legacy_queue, 0, 0,
		  "also consume this plain queue of {\"state\",\"address\"} tokens" },
		{ "legacy-service", "REGISTRY_LEGACY_SERVICE", CONFIG_STRING,
		  &c->legacy_service, 0, 0, "service of the legacy queue's tokens" },
		{ "legacy-ttl", "REGISTRY_LEGACY_TTL", CONFIG_DURATION_MS,
		  &c->legacy_ttl_ms, 1000, 86400000,
		  "ttl of legacy tokens (90, 90s, 2m)" },
		{ "legacy-out-queue", "REGISTRY_LEGACY_OUT_QUEUE", CONFIG_STRING,
		  &c->legacy_out_queue, 0, 0,
		  "write every join (UP) and departure (DOWN) as {\"state\",\"address\"} to "
		  "this durable queue, for the blog series' Turbine plugin (empty: off)" },
		{ "legacy-out-services", "REGISTRY_LEGACY_OUT_SERVICES", CONFIG_STRING,
		  &c->legacy_out_services, 0, 0,
		  "comma-separated services the out queue mirrors (empty: all)" },
		{ "legacy-out-ttl", "REGISTRY_LEGACY_OUT_TTL", CONFIG_DURATION_MS,
		  &c->legacy_out_ttl_ms, 0, 604800000,
		  "how long a message waits in the out queue for a reader, so that the queue "
		  "stays bounded while none reads it (1h, 30m; 0: for ever)" },
		{ "log-level", "LOG_LEVEL", CONFIG_LOG_LEVEL, &c->log_level, 0, 0,
		  "debug, info, warn or error" },
	};
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv,
			     SUMMARY, err, errlen);

	if (rc != 0)
		return rc;
	/* A cluster node that stops closes its connections just as crashed
	 * publishers would; they reconnect to another node in about 100 ms.
	 * With one broker there is nowhere to move to, so a close acts at once. */
	if (c->failover_grace_ms < 0)
		c->failover_grace_ms = *log_url_end(c->amqp_url) ? 1000 : 0;
	if (c->http_threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		c->http_threads = cpus < 1 ? 1 : cpus > HTTP_THREADS_DEFAULT_MAX ? HTTP_THREADS_DEFAULT_MAX : cpus;
	}
	if (c->exchange[0] == '\0') {
		snprintf(err, errlen, "DISCOVERY_EXCHANGE must not be empty");
		return -1;
	}
	/* Every legacy token would be clamped: say so at start instead. */
	if (c->legacy_queue[0] && c->legacy_ttl_ms > c->max_ttl_ms) {
		snprintf(err, errlen, "REGISTRY_LEGACY_TTL must not exceed REGISTRY_MAX_TTL");
		return -1;
	}
	/* The in-bridge would read what the out-bridge writes, and write it
	 * again. */
	if (c->legacy_out_queue[0] && strcmp(c->legacy_out_queue, c->legacy_queue) == 0) {
		snprintf(err, errlen,
			 "REGISTRY_LEGACY_OUT_QUEUE must not be REGISTRY_LEGACY_QUEUE ('%s')",
			 c->legacy_queue);
		return -1;
	}
	if (c->legacy_queue[0] && !token_service_is_valid(c->legacy_service)) {
		snprintf(err, errlen, "bad REGISTRY_LEGACY_SERVICE '%s'", c->legacy_service);
		return -1;
	}
	return 0;
}
