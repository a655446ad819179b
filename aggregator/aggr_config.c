#include "aggregator/aggr_config.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "token.h"

#define AGGR_SUMMARY                                                                               \
	"A Turbine-style aggregator: follows the discovery tokens and checks every "               \
	"instance's /health."

int aggr_config_services(struct aggr_config *c, const char *text, char *err, size_t errlen)
{
	size_t n = 0, len = strlen(text);
	char *at = c->services_buf;

	if (len >= sizeof(c->services_buf)) {
		snprintf(err, errlen, "AGGREGATOR_SERVICES is longer than %zu bytes",
			 sizeof(c->services_buf) - 1);
		return -1;
	}
	memcpy(c->services_buf, text, len + 1);
	while (*at != '\0') {
		char *comma = strchr(at, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*at != '\0') {
			if (!token_service_is_valid(at)) {
				snprintf(err, errlen,
					 "AGGREGATOR_SERVICES: '%s' is not "
					 "[a-z0-9][a-z0-9._-]{0,62}",
					 at);
				return -1;
			}
			if (n == AGGR_CONFIG_SERVICES_MAX) {
				snprintf(err, errlen,
					 "AGGREGATOR_SERVICES names more than %d services",
					 AGGR_CONFIG_SERVICES_MAX);
				return -1;
			}
			c->services[n++] = at;
		}
		if (comma == NULL)
			break;
		at = comma + 1;
	}
	c->services[n] = NULL;
	return 0;
}

int aggr_config_load(struct aggr_config *c, int argc, char **argv, char *err, size_t errlen)
{
	*c = (struct aggr_config){
		.amqp_url = "amqp://guest:guest@localhost:5672/",
		.amqp_tls_ca = "",
		.exchange = "discovery",
		.secret = "",
		.services_text = "",
		.port = 7979,
		.interval_ms = 5000,
		.timeout_ms = 2000,
		.max_parallel = 32,
		.max_members = 10000,
		.keep_down_ms = 0,
		.max_connections = 100,
		.max_per_client = 20,
		.log_level = LOG_INFO,
	};
	const struct config_option opts[] = {
		{"amqp-url", "AMQP_SERVER_URL", CONFIG_AMQP_URL, &c->amqp_url, 0, 0,
		 "broker URL, amqp:// or amqps://; the nodes of a cluster as a "
		 "comma-separated list"},
		{"amqp-tls-ca", "AMQP_TLS_CA", CONFIG_FILE, &c->amqp_tls_ca, 0, 0,
		 "amqps://: PEM file of the CA that signed the broker's certificate; "
		 "empty: the system's CA bundle"},
		{"discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING, &c->exchange, 0, 0,
		 "topic exchange for discovery tokens"},
		{"discovery-secret", "DISCOVERY_SECRET", CONFIG_SECRET, &c->secret, 0, 0,
		 "HMAC key the tokens must be signed with (empty: unsigned tokens)"},
		{"services", "AGGREGATOR_SERVICES", CONFIG_STRING, &c->services_text, 0, 0,
		 "comma-separated services to follow (empty: every service)"},
		{"port", "AGGREGATOR_PORT", CONFIG_PORT, &c->port, 1, 65535, "HTTP port"},
		{"interval", "AGGREGATOR_INTERVAL", CONFIG_DURATION_MS, &c->interval_ms, 100,
		 3600000, "time between two health checks of one instance (5, 500ms, 1m)"},
		{"timeout", "AGGREGATOR_TIMEOUT", CONFIG_DURATION_MS, &c->timeout_ms, 10, 600000,
		 "a health check that takes longer fails with error \"timeout\""},
		{"max-parallel", "AGGREGATOR_MAX_PARALLEL", CONFIG_INT, &c->max_parallel, 1, 10000,
		 "health checks in flight at most"},
		{"max-members", "AGGREGATOR_MAX_MEMBERS", CONFIG_INT, &c->max_members, 1, 1000000,
		 "instances listed at most; past it a new one is refused and counted"},
		{"keep-down", "AGGREGATOR_KEEP_DOWN", CONFIG_DURATION_MS, &c->keep_down_ms, 0,
		 86400000,
		 "how long an instance that said DOWN stays listed and checked (0: its ttl "
		 "plus one interval)"},
		{"max-connections", "AGGREGATOR_MAX_CONNECTIONS", CONFIG_INT, &c->max_connections,
		 1, 100000, "HTTP connections open at most"},
		{"max-connections-per-client", "AGGREGATOR_MAX_CONNECTIONS_PER_CLIENT", CONFIG_INT,
		 &c->max_per_client, 0, 100000,
		 "HTTP connections one client address may hold (0: no cap)"},
		{"log-level", "LOG_LEVEL", CONFIG_LOG_LEVEL, &c->log_level, 0, 0,
		 "debug, info, warn or error"},
	};
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv, AGGR_SUMMARY, err,
			     errlen);
	if (rc != 0)
		return rc;
	return aggr_config_services(c, c->services_text, err, errlen);
}
