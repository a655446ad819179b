/*
 * publisher: the discovery sidecar. Announces a service that cannot embed
 * the C library (the Java quotes-service, say) with the same tokens an
 * embedded publisher sends, optionally probing its health URL, and says
 * DOWN on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "addr.h"
#include "config.h"
#include "healthcheck.h"
#include "log.h"
#include "discovery/publisher.h"
#include "sdnotify.h"
#include "sidecar.h"
#include "token.h"

#define MAIN_HEALTH_TIMEOUT_MS 1000

struct main_config {
	const char *amqp_url;
	const char *amqp_tls_ca;
	const char *service;
	const char *advertise_addr;
	const char *advertise_cidr;
	int port;
	const char *exchange;
	int64_t interval_ms;
	const char *secret;
	enum log_level log_level;
	const char *instance_id;
	const char *hostname;
	const char *health_url;
	const char *stream_url;
	const char *metadata;
	int check_health;
	int out_of_service;
};

static const char main_summary[] =
	"Announces a service on the discovery exchange: a token at start, every "
	"interval and on request, DOWN on SIGTERM/SIGINT.";

/* Copies the optional strings into the token, which owns them from then
 * on; the hostname defaults to this host's name. */
static int main_copy_strings(const struct main_config *c, struct token *t)
{
	const char *hostname = c->hostname;
	char host[256];

	if ((!hostname || !hostname[0]) && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	if (c->instance_id && c->instance_id[0] && !(t->instance_id = strdup(c->instance_id)))
		return -1;
	if (hostname && hostname[0] && !(t->hostname = strdup(hostname)))
		return -1;
	if (c->health_url && c->health_url[0] && !(t->health_url = strdup(c->health_url)))
		return -1;
	if (c->stream_url && c->stream_url[0] && !(t->stream_url = strdup(c->stream_url)))
		return -1;
	return 0;
}

/* Loads and checks everything; fills the token. 0, CONFIG_HELP or the exit
 * code of a usage error (after printing its one-line message). */
static int main_configure(int argc, char **argv, struct main_config *c, struct token *t)
{
	const struct config_option opts[] = {
		{"amqp-url", "AMQP_SERVER_URL", CONFIG_AMQP_URL, &c->amqp_url, 0, 0,
		 "broker URL, amqp:// or amqps://; the nodes of a cluster as a "
		 "comma-separated list"},
		{"amqp-tls-ca", "AMQP_TLS_CA", CONFIG_FILE, &c->amqp_tls_ca, 0, 0,
		 "amqps://: PEM file of the CA that signed the broker's certificate; "
		 "empty: the system's CA bundle"},
		{"service-name", "SERVICE_NAME", CONFIG_STRING, &c->service, 0, 0,
		 "service to announce (required), [a-z0-9][a-z0-9._-]{0,62}"},
		{"advertise-addr", "ADVERTISE_ADDR", CONFIG_STRING, &c->advertise_addr, 0, 0,
		 "IPv4 or IPv6 address to announce"},
		{"advertise-cidr", "ADVERTISE_CIDR", CONFIG_STRING, &c->advertise_cidr, 0, 0,
		 "announce the first local IPv4 address in this network"},
		{"port", "SERVER_PORT", CONFIG_PORT, &c->port, 0, 65535,
		 "port to announce, 0 for none"},
		{"discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING, &c->exchange, 0, 0,
		 "topic exchange of the tokens"},
		{"discovery-interval", "DISCOVERY_INTERVAL", CONFIG_DURATION_MS, &c->interval_ms,
		 100, 3600000, "time between tokens (2, 0.5, 500ms, 2s, 1m); ttl is 3 intervals"},
		{"discovery-secret", "DISCOVERY_SECRET", CONFIG_SECRET, &c->secret, 0, 0,
		 "sign tokens with HMAC-SHA256 in the x-signature header"},
		{"log-level", "LOG_LEVEL", CONFIG_LOG_LEVEL, &c->log_level, 0, 0,
		 "debug, info, warn or error"},
		{"instance-id", "INSTANCE_ID", CONFIG_STRING, &c->instance_id, 0, 0,
		 "unique id of this instance (default address:port)"},
		{"hostname", "HOSTNAME", CONFIG_STRING, &c->hostname, 0, 0,
		 "host or container name to announce (default: this host's name)"},
		{"health-url", "HEALTH_URL", CONFIG_STRING, &c->health_url, 0, 0,
		 "http(s) URL of the instance's health endpoint"},
		{"stream-url", "STREAM_URL", CONFIG_STRING, &c->stream_url, 0, 0,
		 "http(s) URL of the instance's metrics stream"},
		{"metadata", "METADATA", CONFIG_STRING, &c->metadata, 0, 0,
		 "metadata pairs k=v,k2=v2 (keys [A-Za-z0-9._-])"},
		{"check-health", "CHECK_HEALTH", CONFIG_FLAG, &c->check_health, 0, 0,
		 "GET the health URL every interval; announce unhealthy while it fails"},
		{"out-of-service", "OUT_OF_SERVICE_WHEN_UNHEALTHY", CONFIG_FLAG, &c->out_of_service,
		 0, 0, "announce OUT_OF_SERVICE instead of DOWN while unhealthy"},
	};
	const size_t count = sizeof(opts) / sizeof(opts[0]);
	char err[512];
	int rc;

	rc = config_load(opts, count, argc, argv, main_summary, err, sizeof(err));
	if (rc == CONFIG_HELP)
		return CONFIG_HELP;
	if (rc < 0)
		return config_usage_error("publisher", "%s", err);
	log_init("publisher", c->log_level);

	if (!c->service || !c->service[0])
		return config_usage_error("publisher", "%s",
					  "SERVICE_NAME/--service-name is required");
	if (!token_service_is_valid(c->service))
		return config_usage_error(
			"publisher",
			"SERVICE_NAME/--service-name: '%s' is not [a-z0-9][a-z0-9._-]{0,62}",
			c->service);
	snprintf(t->service, sizeof(t->service), "%s", c->service);
	if (addr_advertised(c->advertise_addr, c->advertise_cidr, t->address, sizeof(t->address),
			    err, sizeof(err)) < 0)
		return config_usage_error("publisher", "%s", err);
	t->port = c->port;
	if (c->health_url && c->health_url[0] && !sidecar_url_is_valid(c->health_url))
		return config_usage_error("publisher",
					  "HEALTH_URL/--health-url: '%s' is not an http(s) URL",
					  c->health_url);
	if (c->stream_url && c->stream_url[0] && !sidecar_url_is_valid(c->stream_url))
		return config_usage_error("publisher",
					  "STREAM_URL/--stream-url: '%s' is not an http(s) URL",
					  c->stream_url);
	if (c->check_health && !(c->health_url && c->health_url[0]))
		return config_usage_error("publisher", "%s",
					  "--check-health needs HEALTH_URL/--health-url");
	if (sidecar_parse_metadata(c->metadata, t, err, sizeof(err)) < 0)
		return config_usage_error("publisher", "METADATA/--metadata: %s", err);

	if (main_copy_strings(c, t) < 0) {
		fprintf(stderr, "publisher: out of memory\n");
		return 1;
	}
	return 0;
}

/* Probes the health URL and tells the publisher when the answer changes. */
static void main_check_health(struct publisher *p, const char *url, bool *healthy)
{
	char err[256] = "";
	bool now = healthcheck_probe(url, MAIN_HEALTH_TIMEOUT_MS, err, sizeof(err));

	if (now == *healthy)
		return;
	if (now)
		log_info("health check passes again url=%s", url);
	else
		log_warn("health check fails url=%s reason=\"%s\"", url, err);
	*healthy = now;
	publisher_set_healthy(p, now);
}

/* Waits for SIGTERM or SIGINT, probing the health URL every interval when
 * asked to. The signals are blocked in every thread and taken here. */
static void main_wait_for_signal(struct publisher *p, const struct main_config *c,
				 const sigset_t *signals, bool healthy)
{
	struct timespec period = {
		.tv_sec = c->interval_ms / 1000,
		.tv_nsec = (long)(c->interval_ms % 1000) * 1000000L,
	};
	int sig;

	for (;;) {
		if (c->check_health)
			sig = sigtimedwait(signals, NULL, &period);
		else
			sig = sigwaitinfo(signals, NULL);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("signal %d: announcing DOWN and stopping", sig);
			return;
		}
		if (sig < 0 && errno == EAGAIN)
			main_check_health(p, c->health_url, &healthy);
	}
}

/* What the configuration describes, as the library takes it (borrowed
 * from t). */
static void main_instance_of(const struct token *t, struct publisher_instance *in,
			     struct publisher_metadata meta[TOKEN_MAX_METADATA])
{
	for (size_t i = 0; i < t->metadata_count; i++)
		meta[i] = (struct publisher_metadata){ t->metadata[i].key, t->metadata[i].value };
	*in = (struct publisher_instance){
		.service = t->service,
		.address = t->address,
		.port = t->port,
		.instance_id = t->instance_id,
		.hostname = t->hostname,
		.health_url = t->health_url,
		.stream_url = t->stream_url,
		.metadata = meta,
		.metadata_count = t->metadata_count,
	};
}

int main(int argc, char **argv)
{
	struct main_config c = {
		.amqp_url = "amqp://guest:guest@localhost:5672/",
		.exchange = "discovery",
		.interval_ms = 2000,
		.log_level = LOG_INFO,
	};
	struct token t = {.state = TOKEN_UP, .seq = -1};
	struct publisher_metadata meta[TOKEN_MAX_METADATA];
	struct publisher_instance in;
	struct publisher_options po = {0};
	struct publisher *p = NULL;
	sigset_t signals;
	bool healthy = true;
	char err[256];
	int rc;

	rc = main_configure(argc, argv, &c, &t);
	if (rc != 0) {
		token_clear(&t);
		return rc == CONFIG_HELP ? 0 : rc;
	}

	/* Blocked before any thread starts, so that every thread inherits the
	 * mask and only sigwait in this one sees them. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	po.amqp_url = c.amqp_url;
	po.amqp_tls_ca = c.amqp_tls_ca;
	po.exchange = c.exchange;
	po.secret = c.secret;
	po.interval_ms = c.interval_ms;
	main_instance_of(&t, &in, meta);
	po.instance = &in;
	po.out_of_service_when_unhealthy = c.out_of_service;
	if (publisher_validate(&po, err, sizeof(err)) < 0) {
		token_clear(&t);
		return config_usage_error("publisher", "cannot announce this instance: %s", err);
	}

	if (c.check_health) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		healthy = healthcheck_probe(c.health_url, MAIN_HEALTH_TIMEOUT_MS, err, sizeof(err));
		if (!healthy)
			log_warn("health check fails url=%s reason=\"%s\"", c.health_url, err);
	}

	p = publisher_start(&po);
	if (!p) {
		rc = config_usage_error(
			"publisher", "%s",
			"cannot start (check AMQP_SERVER_URL and the token fields)");
		goto out;
	}
	if (!healthy)
		publisher_set_healthy(p, false);
	log_info("announcing service=%s address=%s port=%d interval_ms=%lld signed=%s", t.service,
		 t.address, t.port, (long long)c.interval_ms,
		 c.secret && c.secret[0] ? "yes" : "no");
	/* Ready once announcing, the broker reached or not: the publisher
	 * retries it with backoff on its own. */
	sdnotify_state("READY=1");

	main_wait_for_signal(p, &c, &signals, healthy);
	sdnotify_state("STOPPING=1");
	publisher_stop(p);
	rc = 0;
out:
	if (c.check_health)
		curl_global_cleanup();
	token_clear(&t);
	return rc;
}
