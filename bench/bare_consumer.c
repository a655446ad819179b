/*
 * bare_consumer: the reference of the ingest benchmark. The least a token
 * consumer can do: rabbitmq-c straight, no validation, no table, each body
 * parsed with cJSON and dropped. It consumes the way the registry does
 * (automatic acknowledgement, no prefetch limit).
 *
 * It declares a private queue bound to discovery.# on the exchange,
 * subscribes, prints "ready queue=NAME" and stops itself (SIGSTOP), as the
 * registry is stopped in the benchmark: the broker fills the queue and the
 * socket buffers of both alike. Once continued (SIGCONT) it consumes
 * --expect messages and prints one line:
 *   messages=… ms=… rate=… cpu_us_per_msg=… parse_errors=…
 * where ms, rate and CPU count from the first delivery to the last, CPU
 * being this process's user plus system time (getrusage).
 */
#include <cjson/cJSON.h>
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "timing.h"

#define BARE_CHANNEL 1

struct bare_options {
	const char *url;
	const char *exchange;
	long expect;
};

static int64_t bare_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static int bare_rpc_ok(amqp_connection_state_t c, const char *what)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(c);

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	fprintf(stderr, "bare_consumer: %s failed\n", what);
	return -1;
}

/* Connects and logs in; NULL on failure. */
static amqp_connection_state_t bare_connect(const char *url)
{
	struct amqp_connection_info ci;
	char *copy = strdup(url);
	amqp_connection_state_t c = NULL;
	amqp_socket_t *sock;
	amqp_rpc_reply_t r;

	if (copy == NULL || amqp_parse_url(copy, &ci) != AMQP_STATUS_OK) {
		fprintf(stderr, "bare_consumer: the broker URL does not parse\n");
		goto out_free_copy;
	}
	c = amqp_new_connection();
	sock = amqp_tcp_socket_new(c);
	if (sock == NULL || amqp_socket_open(sock, ci.host, ci.port) != AMQP_STATUS_OK) {
		fprintf(stderr, "bare_consumer: cannot connect to the broker\n");
		goto out_destroy;
	}
	r = amqp_login(c, ci.vhost[0] ? ci.vhost : "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
		       ci.user, ci.password);
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "bare_consumer: the broker refused the login\n");
		goto out_destroy;
	}
	amqp_channel_open(c, BARE_CHANNEL);
	if (bare_rpc_ok(c, "channel.open") < 0)
		goto out_destroy;
	free(copy);
	return c;
out_destroy:
	amqp_destroy_connection(c);
	c = NULL;
out_free_copy:
	free(copy);
	return c;
}

static int bare_consume(amqp_connection_state_t c, amqp_bytes_t queue, long expect)
{
	long got = 0, bad = 0;
	int64_t t0 = 0, cpu0 = 0, ms;

	amqp_basic_consume(c, BARE_CHANNEL, queue, amqp_empty_bytes, 0, 1, 0, amqp_empty_table);
	if (bare_rpc_ok(c, "basic.consume") < 0)
		return -1;
	printf("ready queue=%.*s\n", (int)queue.len, (char *)queue.bytes);
	fflush(stdout);
	raise(SIGSTOP);
	while (got < expect) {
		amqp_envelope_t env;
		struct timeval tv = {.tv_sec = 60};
		amqp_rpc_reply_t r;
		cJSON *root;

		amqp_maybe_release_buffers(c);
		r = amqp_consume_message(c, &env, &tv, 0);
		if (r.reply_type != AMQP_RESPONSE_NORMAL) {
			fprintf(stderr, "bare_consumer: no delivery after %ld messages\n", got);
			return -1;
		}
		if (got == 0) {
			t0 = timing_mono_ms();
			cpu0 = bare_cpu_us();
		}
		root = cJSON_ParseWithLength(env.message.body.bytes, env.message.body.len);
		if (root == NULL || !cJSON_IsObject(root))
			bad++;
		cJSON_Delete(root);
		amqp_destroy_envelope(&env);
		got++;
	}
	ms = timing_mono_ms() - t0;
	printf("messages=%ld ms=%lld rate=%.0f cpu_us_per_msg=%.2f parse_errors=%ld\n", got,
	       (long long)ms, ms > 0 ? (double)got * 1000.0 / (double)ms : 0.0,
	       (double)(bare_cpu_us() - cpu0) / (double)got, bad);
	return 0;
}

int main(int argc, char **argv)
{
	struct bare_options o = {
		.url = "amqp://guest:guest@localhost:5672/",
		.exchange = "discovery",
		.expect = 200000,
	};
	const struct config_option opts[] = {
		{"amqp-url", "AMQP_SERVER_URL", CONFIG_URL, &o.url, 0, 0, "broker URL"},
		{"discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING, &o.exchange, 0, 0,
		 "topic exchange of the discovery tokens"},
		{"expect", NULL, CONFIG_INT, &o.expect, 1, 100000000,
		 "messages to consume once continued"},
	};
	amqp_connection_state_t c;
	amqp_queue_declare_ok_t *q;
	amqp_bytes_t queue;
	char err[256];
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv,
			     "The bare consumer of the ingest benchmark.", err, sizeof(err));

	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "bare_consumer: %s\n", err);
		return CONFIG_EXIT_USAGE;
	}
	c = bare_connect(o.url);
	if (c == NULL)
		return 1;
	rc = 1;
	amqp_exchange_declare(c, BARE_CHANNEL, amqp_cstring_bytes(o.exchange),
			      amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
	if (bare_rpc_ok(c, "exchange.declare") < 0)
		goto out_close;
	q = amqp_queue_declare(c, BARE_CHANNEL, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
	if (bare_rpc_ok(c, "queue.declare") < 0)
		goto out_close;
	queue = amqp_bytes_malloc_dup(q->queue);
	amqp_queue_bind(c, BARE_CHANNEL, queue, amqp_cstring_bytes(o.exchange),
			amqp_cstring_bytes("discovery.#"), amqp_empty_table);
	if (bare_rpc_ok(c, "queue.bind") < 0)
		goto out_free_queue;
	if (bare_consume(c, queue, o.expect) == 0)
		rc = 0;
out_free_queue:
	amqp_bytes_free(queue);
out_close:
	amqp_channel_close(c, BARE_CHANNEL, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return rc;
}
