#include "accountservice/acct_config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"
#include "token.h"

#define ACCT_SUMMARY "The account microservice: accounts, a quote, self-announcing."

int acct_config_load(struct acct_config *c, int argc, char **argv, char *err, size_t errlen)
{
	*c = (struct acct_config){
		.amqp_url = "amqp://guest:guest@localhost:5672/",
		.amqp_tls_ca = "",
		.service_name = "accountservice",
		.port = 6767,
		.exchange = "discovery",
		.interval_ms = 2000,
		.secret = "",
		.advertise_addr = "",
		.advertise_cidr = "",
		.quotes_url = "http://quotes-service:8080/api/quote?strength=4",
		.quotes_discovery = "",
		.quotes_timeout_ms = 1000,
		.quotes_close_wait_ms = 500,
		.db_path = "./accounts.db",
		.max_connections = 1000,
		.max_per_client = 100,
		.request_timeout_ms = 5000,
		.max_body = 1024,
		.max_pending = 1000,
		.log_level = LOG_INFO,
		.testability = 1,
	};
	const struct config_option opts[] = {
		{"amqp-url", "AMQP_SERVER_URL", CONFIG_AMQP_URL, &c->amqp_url, 0, 0,
		 "broker URL, amqp:// or amqps://; the nodes of a cluster as a "
		 "comma-separated list"},
		{"amqp-tls-ca", "AMQP_TLS_CA", CONFIG_FILE, &c->amqp_tls_ca, 0, 0,
		 "amqps://: PEM file of the CA that signed the broker's certificate; "
		 "empty: the system's CA bundle"},
		{"service-name", "SERVICE_NAME", CONFIG_STRING, &c->service_name, 0, 0,
		 "service name announced in discovery tokens"},
		{"port", "SERVER_PORT", CONFIG_PORT, &c->port, 1, 65535, "HTTP port"},
		{"discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING, &c->exchange, 0, 0,
		 "topic exchange for discovery tokens"},
		{"discovery-interval", "DISCOVERY_INTERVAL", CONFIG_DURATION_MS, &c->interval_ms,
		 100, 3600000, "time between tokens (2, 0.5, 500ms, 2s, 1m)"},
		{"discovery-secret", "DISCOVERY_SECRET", CONFIG_SECRET, &c->secret, 0, 0,
		 "HMAC key signing the tokens (empty: unsigned)"},
		{"advertise-addr", "ADVERTISE_ADDR", CONFIG_STRING, &c->advertise_addr, 0, 0,
		 "address to advertise (IP literal)"},
		{"advertise-cidr", "ADVERTISE_CIDR", CONFIG_STRING, &c->advertise_cidr, 0, 0,
		 "advertise the first local IPv4 address inside this CIDR"},
		{"quotes-url", "QUOTES_URL", CONFIG_URL, &c->quotes_url, 0, 0,
		 "URL of the quotes-service"},
		{"quotes-discovery", "QUOTES_DISCOVERY", CONFIG_STRING, &c->quotes_discovery, 0,
		 0,
		 "client-side balancing: send each quote call to the next UP instance of this "
		 "service, as its discovery tokens say, in place of QUOTES_URL's host and port "
		 "(empty: every call to QUOTES_URL, e.g. a VIP)"},
		{"quotes-timeout-ms", "QUOTES_TIMEOUT_MS", CONFIG_INT, &c->quotes_timeout_ms, 1,
		 600000, "total timeout of one quote call in milliseconds"},
		{"quotes-close-wait-ms", "QUOTES_CLOSE_WAIT_MS", CONFIG_INT,
		 &c->quotes_close_wait_ms, 0, 60000,
		 "after a quote call, how long its connection waits for the quotes-service to "
		 "close first and keep the TIME_WAIT (0: close at once)"},
		{"db-path", "DB_PATH", CONFIG_STRING, &c->db_path, 0, 0,
		 "LMDB file holding the accounts"},
		{"max-connections", "SERVER_MAX_CONNECTIONS", CONFIG_INT, &c->max_connections, 1,
		 1000000, "HTTP connections open at most"},
		{"max-connections-per-client", "SERVER_MAX_CONNECTIONS_PER_CLIENT", CONFIG_INT,
		 &c->max_per_client, 0, 1000000,
		 "HTTP connections one client address may hold (0: no cap)"},
		{"request-timeout", "SERVER_REQUEST_TIMEOUT", CONFIG_DURATION_MS,
		 &c->request_timeout_ms, 0, 3600000,
		 "a request must be in within this of the connection or its last response, or "
		 "the connection is closed (0: off)"},
		{"max-pending", "SERVER_MAX_PENDING", CONFIG_INT, &c->max_pending, 0, 1000000,
		 "new connections waiting for their first request head at once, over all "
		 "loops; past it a connection is closed at accept (0: no cap)"},
		{"max-request-body", "SERVER_MAX_REQUEST_BODY", CONFIG_INT, &c->max_body, 0,
		 1048576, "bytes of request body ignored; a larger one gets 413"},
		{"log-level", "LOG_LEVEL", CONFIG_LOG_LEVEL, &c->log_level, 0, 0,
		 "debug, info, warn or error"},
		{"testability", "ACCOUNT_TESTABILITY", CONFIG_FLAG, &c->testability, 0, 0,
		 "serve /testability/healthy/{true|false}, which anyone can use to mark the "
		 "instance down: turn it off in production (then 404)"},
	};
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv, ACCT_SUMMARY, err,
			     errlen);
	if (rc != 0)
		return rc;
	if (c->db_path[0] == '\0' || c->quotes_url[0] == '\0') {
		snprintf(err, errlen, "DB_PATH and QUOTES_URL must not be empty");
		return -1;
	}
	if (c->quotes_discovery[0] != '\0' && !token_service_is_valid(c->quotes_discovery)) {
		snprintf(err, errlen, "bad QUOTES_DISCOVERY service name '%s'",
			 c->quotes_discovery);
		return -1;
	}
	/* Caught here, a typo is one clear error at start rather than every
	 * account served with the fallback quote. */
	if (strncasecmp(c->quotes_url, "http://", 7) != 0 &&
	    strncasecmp(c->quotes_url, "https://", 8) != 0) {
		char masked[256];
		log_mask_url(c->quotes_url, masked, sizeof(masked));
		snprintf(err, errlen, "QUOTES_URL must start with http:// or https://: '%s'", masked);
		return -1;
	}
	return 0;
}
