/*
 * flood: the tokens of many simulated instances on one AMQP connection, for
 * `make soak` and `make bench`. Instance i of N belongs to service
 * "<prefix><i % services>", has instanceId "<prefix>-<i>" and address
 * 10.x.y.z, and renews every interval with ttl = 3 intervals and a seq that
 * grows with every token, as an embedded publisher would (--ttl overrides
 * the ttl, --token-size pads each body with a metadata value to about that
 * many bytes). The tokens are spread evenly over the interval
 * (N / interval per second) rather than sent in bursts.
 *
 * With --count K it is a filler instead: tokens 0..K-1 in the same order,
 * as fast as the socket takes them, then one RPC on the same channel (the
 * broker answers it only after routing every publish before it), a last
 * stats line, and exit. That fills a stopped consumer's queue for an ingest
 * benchmark.
 *
 * Like a real publisher it answers discovery.sync with every instance's
 * token at once, reconnects with backoff, and never waits on the broker:
 * while the connection is blocked (a resource alarm) or the socket is full,
 * the tokens that fall due are skipped and counted, and renewal resumes on
 * schedule once the broker reads again.
 *
 * Every stats interval, and once more on SIGTERM, it prints one line:
 *   t_ms=… sent=… skipped=… rate=… reconnects=… syncs=… blocked_ms=…
 * where rate is tokens per second since the previous line.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amqp_session.h"
#include "backoff.h"
#include "config.h"
#include "log.h"
#include "timing.h"
#include "token.h"

#define FLOOD_TICK_MS 5
/* The metadata key of the padding, and what a body holds besides it. */
#define FLOOD_PAD_KEY	   "pad"
#define FLOOD_PAD_OVERHEAD 32

struct flood_options {
	const char *url;
	const char *exchange;
	const char *prefix;
	long instances;
	long services;
	int64_t interval_ms;
	int64_t stats_ms;
	long ttl_s;	 /* 0: 3 intervals */
	long token_size; /* 0: no padding */
	long count;	 /* 0: renew until SIGTERM */
	char *pad;	 /* the padding value, token_size bytes at most */
};

struct flood_counters {
	int64_t sent;	 /* tokens handed to the socket */
	int64_t skipped; /* tokens that fell due while they could not go out */
	int64_t reconnects;
	int64_t syncs;
	int64_t blocked_ms;
};

static atomic_int flood_stop;

static void flood_on_signal(int sig)
{
	(void)sig;
	atomic_store(&flood_stop, 1);
}

/* Publishes the token numbered k: instance k % N, its (k / N + 1)-th. */
static int flood_publish(struct amqp_session *s, const struct flood_options *o, int64_t k)
{
	long i = (long)(k % o->instances);
	char id[64], host[64], key[128];
	struct token t = {.state = TOKEN_UP, .port = 8080, .seq = k / o->instances + 1};
	struct amqp_session_message m = {0};
	char *body;
	int rc;

	t.ttl = o->ttl_s > 0 ? (int)o->ttl_s : (int)(3 * o->interval_ms / 1000);
	if (t.ttl < 1)
		t.ttl = 1;
	t.ts = timing_wall_ms();
	snprintf(t.address, sizeof(t.address), "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255,
		 i & 255);
	snprintf(t.service, sizeof(t.service), "%s%ld", o->prefix, i % o->services);
	snprintf(id, sizeof(id), "%s-%ld", o->prefix, i);
	snprintf(host, sizeof(host), "%s-host-%ld", o->prefix, i);
	t.instance_id = id;
	t.hostname = host;
	if (o->pad != NULL) {
		t.metadata[0].key = FLOOD_PAD_KEY;
		t.metadata[0].value = o->pad;
		t.metadata_count = 1;
	}
	body = token_encode(&t);
	if (body == NULL)
		return AMQP_SESSION_ERR_NO_MEMORY;
	if (token_routing_key(&t, key, sizeof(key)) < 0) {
		free(body);
		return AMQP_SESSION_ERR_NO_MEMORY;
	}
	m.exchange = o->exchange;
	m.routing_key = key;
	m.body = body;
	m.len = strlen(body);
	m.content_type = "application/json";
	m.expiration_ms = (int64_t)t.ttl * 1000;
	m.timestamp_s = t.ts / 1000;
	rc = amqp_session_publish(s, &m);
	free(body);
	return rc;
}

/* Declares the exchange and a private queue bound to discovery.sync. */
static int flood_setup(struct amqp_session *s, const struct flood_options *o)
{
	char queue[256];
	int rc = amqp_session_declare_exchange(s, o->exchange, "topic", true);
	if (rc == 0)
		rc = amqp_session_declare_queue(s, "", true, queue, sizeof(queue));
	if (rc == 0)
		rc = amqp_session_bind(s, queue, o->exchange, TOKEN_SYNC_KEY);
	if (rc == 0)
		rc = amqp_session_consume(s, queue);
	return rc;
}

static void flood_print(const struct flood_counters *c, int64_t t_ms, double rate)
{
	printf("t_ms=%lld sent=%lld skipped=%lld rate=%.0f reconnects=%lld syncs=%lld "
	       "blocked_ms=%lld\n",
	       (long long)t_ms, (long long)c->sent, (long long)c->skipped, rate,
	       (long long)c->reconnects, (long long)c->syncs, (long long)c->blocked_ms);
	fflush(stdout);
}

static void flood_run(struct amqp_session *s, const struct flood_options *o)
{
	struct flood_counters c = {0};
	struct backoff b;
	int64_t start = timing_mono_ms(), last_stats = start, last_sent = 0;
	int64_t next = 0;  /* number of the next token to send */
	int64_t shift = 0; /* tokens sent ahead of the schedule, for syncs */
	int64_t last_tick = start;
	char err[256];

	backoff_init(&b);
	while (!atomic_load(&flood_stop)) {
		struct amqp_session_delivery d;
		int64_t now = timing_mono_ms(), target;
		int rc = 0;

		if (now - last_stats >= o->stats_ms) {
			flood_print(&c, now - start,
				    (double)(c.sent - last_sent) * 1000.0 /
					    (double)(now - last_stats));
			last_stats = now;
			last_sent = c.sent;
		}
		if (!amqp_session_is_open(s)) {
			if (amqp_session_open(s, err, sizeof(err)) < 0 || flood_setup(s, o) < 0) {
				amqp_session_close(s);
				timing_sleep_ms(backoff_next_ms(&b));
				continue;
			}
			backoff_reset(&b);
			c.reconnects++;
		}
		if (amqp_session_is_blocked(s))
			c.blocked_ms += now - last_tick;
		last_tick = now;
		target = (now - start) * o->instances / o->interval_ms + shift;
		/* Never more than one round behind: what could not go out in
		 * time is skipped, as a real publisher's missed renewals are. */
		if (target - next > o->instances) {
			c.skipped += target - next - o->instances;
			next = target - o->instances;
		}
		while (next < target && rc == 0) {
			rc = flood_publish(s, o, next);
			if (rc == 0) {
				next++;
				c.sent++;
			}
		}
		/* Also the pace: 25 tokens a wake at 5,000/s. Not 1 ms: rabbitmq-c
		 * rounds what is left of a timeout down to whole milliseconds for
		 * poll(), so 1 ms would often poll for 0 and spin. */
		rc = amqp_session_next(s, FLOOD_TICK_MS, &d);
		if (rc == 1 && strcmp(d.routing_key, TOKEN_SYNC_KEY) == 0) {
			/* Every instance once more, at once. */
			shift += (next > target ? next : target) + o->instances - target;
			c.syncs++;
		}
	}
	flood_print(&c, timing_mono_ms() - start,
		    (double)c.sent * 1000.0 / (double)(timing_mono_ms() - start + 1));
}

/* --count: tokens 0..count-1 at once, then an RPC that returns only once
 * the broker has routed all of them; 0 or negative. */
static int flood_fill(struct amqp_session *s, const struct flood_options *o)
{
	struct flood_counters c = {0};
	int64_t start = timing_mono_ms(), k;
	char err[256];
	int rc = amqp_session_open(s, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "flood: %s\n", err);
		return rc;
	}
	rc = amqp_session_declare_exchange(s, o->exchange, "topic", true);
	for (k = 0; k < o->count && rc == 0 && !atomic_load(&flood_stop);) {
		struct amqp_session_delivery d;

		rc = flood_publish(s, o, k);
		if (rc == 0) {
			c.sent++;
			k++;
		} else if (rc == AMQP_SESSION_ERR_BLOCKED) {
			/* A full socket: let the broker read, then go on. */
			c.blocked_ms += FLOOD_TICK_MS;
			rc = amqp_session_next(s, FLOOD_TICK_MS, &d) < 0 ? -1 : 0;
		}
	}
	if (rc == 0)
		rc = amqp_session_declare_exchange(s, o->exchange, "topic", true);
	flood_print(&c, timing_mono_ms() - start,
		    (double)c.sent * 1000.0 / (double)(timing_mono_ms() - start + 1));
	amqp_session_close(s);
	return rc;
}

/* The padding that brings a body to about --token-size bytes, or NULL. */
static char *flood_make_pad(const struct flood_options *o)
{
	char probe[4096];
	int base = snprintf(
		probe, sizeof(probe),
		"{\"state\":\"UP\",\"address\":\"10.255.255.255\",\"service\":\"%s999\","
		"\"port\":8080,\"instanceId\":\"%s-999999\",\"hostname\":\"%s-host-999999\","
		"\"ttl\":600,\"seq\":99999,\"ts\":1700000000000}",
		o->prefix, o->prefix, o->prefix);
	long n = o->token_size - base - FLOOD_PAD_OVERHEAD;
	char *pad;

	if (o->token_size == 0 || n <= 0)
		return NULL;
	pad = malloc((size_t)n + 1);
	if (pad == NULL)
		return NULL;
	memset(pad, 'x', (size_t)n);
	pad[n] = '\0';
	return pad;
}

int main(int argc, char **argv)
{
	struct flood_options o = {
		.url = "amqp://guest:guest@localhost:5672/",
		.exchange = "discovery",
		.prefix = "sim",
		.instances = 10000,
		.services = 10,
		.interval_ms = 2000,
		.stats_ms = 5000,
	};
	const struct config_option opts[] = {
		{"amqp-url", "AMQP_SERVER_URL", CONFIG_URL, &o.url, 0, 0, "broker URL"},
		{"discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING, &o.exchange, 0, 0,
		 "topic exchange of the discovery tokens"},
		{"prefix", NULL, CONFIG_STRING, &o.prefix, 0, 0,
		 "prefix of the simulated services and instanceIds"},
		{"instances", NULL, CONFIG_INT, &o.instances, 1, 1000000, "simulated instances"},
		{"services", NULL, CONFIG_INT, &o.services, 1, 1000,
		 "services the instances are spread over"},
		{"interval", "DISCOVERY_INTERVAL", CONFIG_DURATION_MS, &o.interval_ms, 100, 600000,
		 "time between two tokens of one instance (ttl: 3 of them)"},
		{"stats-interval", NULL, CONFIG_DURATION_MS, &o.stats_ms, 100, 3600000,
		 "time between two lines of figures"},
		{"ttl", NULL, CONFIG_INT, &o.ttl_s, 0, 86400,
		 "ttl of every token in seconds (0: 3 intervals)"},
		{"token-size", NULL, CONFIG_INT, &o.token_size, 0, TOKEN_MAX_BODY,
		 "pad each body with a metadata value to about this many bytes (0: no padding)"},
		{"count", NULL, CONFIG_INT, &o.count, 0, 100000000,
		 "publish this many tokens at once, then exit (0: renew until SIGTERM)"},
	};
	struct amqp_session_options so = {.connection_name = "flood"};
	struct amqp_session *s;
	struct sigaction sa = {.sa_handler = flood_on_signal};
	char err[256];
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv,
			     "Tokens of many simulated instances, for make soak and make bench.",
			     err, sizeof(err));
	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "flood: %s\n", err);
		return CONFIG_EXIT_USAGE;
	}
	if (strlen(o.prefix) > 20 || !token_service_is_valid(o.prefix)) {
		fprintf(stderr,
			"flood: --prefix must be a service name of 20 characters at most\n");
		return CONFIG_EXIT_USAGE;
	}
	log_init("flood", LOG_WARN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	so.url = o.url;
	/* A filler's last RPC waits behind every publish before it: on a busy
	 * broker that is many seconds. */
	if (o.count > 0)
		so.timeout_ms = 120000;
	s = amqp_session_new(&so);
	if (s == NULL) {
		fprintf(stderr, "flood: the broker URL does not parse\n");
		return CONFIG_EXIT_USAGE;
	}
	o.pad = flood_make_pad(&o);
	if (o.count > 0)
		rc = flood_fill(s, &o);
	else
		flood_run(s, &o);
	amqp_session_free(s);
	free(o.pad);
	return rc < 0 ? 1 : 0;
}
