/*
 * The publisher against a real broker (AMQP_SERVER_URL from tests/run.sh):
 * the embedded library in this process, and the sidecar program
 * ($BUILD/bin/publisher) as a child. A consumer bound to discovery.#
 * checks what reaches the exchange.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amqp_session.h"
#include "discovery/publisher.h"
#include "timing.h"
#include "token_decode.h"
#include "token_sign.h"

#define EXCHANGE "discovery"

static const char *amqp_url(void)
{
	const char *url = getenv("AMQP_SERVER_URL");

	return url && *url ? url : "amqp://guest:guest@localhost:5672/";
}

/* A service name of its own for each test, so that nothing left over from
 * another test (or another run on the same broker) is counted. */
static void unique_service(char *out, size_t outlen, const char *what)
{
	static int counter;

	snprintf(out, outlen, "pubtest-%s-%d-%d", what, (int)getpid(), ++counter);
}

/* ---- the consumer ---------------------------------------------------- */

struct seen {
	struct token token;
	bool has_signature;
	char signature[TOKEN_SIGNATURE_HEX + 8];
	char body[TOKEN_MAX_BODY + 1];
	size_t len;
	int64_t at_ms; /* monotonic arrival time */
};

static struct amqp_session *consumer_open(void)
{
	struct amqp_session_options o = {.url = amqp_url(), .timeout_ms = 3000};
	struct amqp_session *s = amqp_session_new(&o);
	char err[256] = "";
	char queue[256];

	assert_non_null(s);
	if (amqp_session_open(s, err, sizeof(err)) < 0)
		fail_msg("consumer cannot connect: %s", err);
	assert_int_equal(amqp_session_declare_exchange(s, EXCHANGE, "topic", true), 0);
	assert_int_equal(amqp_session_declare_queue(s, "", true, queue, sizeof(queue)), 0);
	assert_int_equal(amqp_session_bind(s, queue, EXCHANGE, "discovery.#"), 0);
	assert_int_equal(amqp_session_consume(s, queue), 0);
	return s;
}

/*
 * The next token of `service` arriving before deadline_ms (monotonic):
 * 1 with *out filled (token_clear it), 0 on timeout. Every token must
 * decode: a publisher that sends an invalid one fails the test.
 */
static int consumer_next(struct amqp_session *s, const char *service, int64_t deadline_ms,
			 struct seen *out)
{
	struct amqp_session_delivery d;
	int64_t left;
	int rc;

	for (;;) {
		left = deadline_ms - timing_mono_ms();
		if (left <= 0)
			return 0;
		rc = amqp_session_next(s, (int)left, &d);
		assert_true(rc >= 0);
		if (rc == 0)
			return 0;
		if (strcmp(d.routing_key, TOKEN_SYNC_KEY) == 0)
			continue;
		memset(out, 0, sizeof(*out));
		out->at_ms = timing_mono_ms();
		rc = token_decode(d.body, d.len, d.routing_key, &out->token);
		if (rc < 0)
			fail_msg("undecodable token on %s: %s", d.routing_key,
				 token_error_name(rc));
		if (strcmp(out->token.service, service) != 0) {
			token_clear(&out->token);
			continue;
		}
		assert_true(d.len <= TOKEN_MAX_BODY);
		memcpy(out->body, d.body, d.len);
		out->len = d.len;
		if (d.user_id)
			out->token.user_id = strdup(d.user_id);
		out->has_signature = amqp_session_header(s, TOKEN_SIGNATURE_HEADER, out->signature,
							 sizeof(out->signature)) == 0;
		return 1;
	}
}

static void consumer_publish_sync(struct amqp_session *s)
{
	struct amqp_session_message m = {
		.exchange = EXCHANGE,
		.routing_key = TOKEN_SYNC_KEY,
		.body = "{}",
		.len = 2,
		.content_type = "application/json",
	};

	assert_int_equal(amqp_session_publish(s, &m), 0);
}

/* ---- the embedded library -------------------------------------------- */

static struct publisher_instance description(const char *service, const char *instance_id)
{
	return (struct publisher_instance){
		.service = service,
		.address = "10.9.8.7",
		.port = 6767,
		.instance_id = instance_id,
		.hostname = "test-host",
	};
}

static struct publisher *start(const char *service, const char *instance_id, int64_t interval_ms,
			       const char *secret)
{
	struct publisher_instance t = description(service, instance_id);
	struct publisher_options o = {
		.amqp_url = amqp_url(),
		.secret = secret,
		.interval_ms = interval_ms,
		.instance = &t,
	};
	struct publisher *p = publisher_start(&o);

	assert_non_null(p);
	return p;
}

/* The first token comes at start, not after an interval: with a 10 s
 * interval, the 5 s bound tells the two apart on however slow a machine.
 * The figures are printed. */
static void publisher_start_should_announce_at_once(void **state)
{
	struct amqp_session *c = consumer_open();
	char service[64];
	struct seen s;
	struct publisher *p;
	int64_t t0, started;

	(void)state;
	unique_service(service, sizeof(service), "first");
	t0 = timing_mono_ms();
	p = start(service, "i-1", 10000, NULL);
	started = timing_mono_ms() - t0;
	assert_true(started < 1000); /* start never waits for the broker */
	assert_int_equal(consumer_next(c, service, t0 + 5000, &s), 1);
	print_message("publisher_start took %lld ms, its first token came after %lld ms\n",
		      (long long)started, (long long)(s.at_ms - t0));
	assert_int_equal(s.token.state, TOKEN_UP);
	assert_string_equal(s.token.address, "10.9.8.7");
	assert_int_equal(s.token.port, 6767);
	assert_string_equal(s.token.instance_id, "i-1");
	assert_string_equal(s.token.hostname, "test-host");
	assert_int_equal(s.token.ttl, 30);
	assert_false(s.has_signature);
	token_clear(&s.token);
	publisher_stop(p);
	amqp_session_free(c);
}

static void publisher_should_announce_every_interval_with_increasing_seq(void **state)
{
	struct amqp_session *c = consumer_open();
	char service[64];
	int64_t t0, last_seq = -1, wall0 = timing_wall_ms();
	struct publisher *p;
	struct seen s;
	int count = 0;

	(void)state;
	unique_service(service, sizeof(service), "interval");
	t0 = timing_mono_ms();
	p = start(service, "i-1", 1000, NULL);
	while (consumer_next(c, service, t0 + 5000, &s) == 1) {
		assert_int_equal(s.token.state, TOKEN_UP);
		assert_true(s.token.seq > last_seq);
		/* seq starts at the wall clock: a restart never goes back. */
		assert_true(s.token.seq >= wall0);
		assert_true(s.token.ts >= wall0 && s.token.ts <= timing_wall_ms());
		last_seq = s.token.seq;
		count++;
		token_clear(&s.token);
	}
	if (count < 4 || count > 6)
		fail_msg("%d tokens in 5 s at a 1 s interval", count);
	publisher_stop(p);
	amqp_session_free(c);
}

static void publisher_stop_should_announce_down(void **state)
{
	struct amqp_session *c = consumer_open();
	char service[64];
	struct publisher *p;
	struct seen s;
	int64_t seq, t0;

	(void)state;
	unique_service(service, sizeof(service), "stop");
	p = start(service, "i-1", 1000, NULL);
	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 1000, &s), 1);
	seq = s.token.seq;
	token_clear(&s.token);
	t0 = timing_mono_ms();
	publisher_stop(p);
	assert_true(timing_mono_ms() - t0 < 1500);
	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 1000, &s), 1);
	assert_int_equal(s.token.state, TOKEN_DOWN);
	assert_true(s.token.seq > seq);
	token_clear(&s.token);
	amqp_session_free(c);
}

static void publisher_should_answer_sync_from_every_instance(void **state)
{
	struct amqp_session *c = consumer_open();
	const char *ids[3] = {"i-1", "i-2", "i-3"};
	struct publisher *p[3];
	bool answered[3] = {false, false, false};
	char service[64];
	int64_t t0;
	struct seen s;
	int got = 0;

	(void)state;
	unique_service(service, sizeof(service), "sync");
	/* A long interval, so every token after the first is a sync answer. */
	for (int i = 0; i < 3; i++)
		p[i] = start(service, ids[i], 60000, NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(consumer_next(c, service, timing_mono_ms() + 2000, &s), 1);
		token_clear(&s.token);
	}
	t0 = timing_mono_ms();
	consumer_publish_sync(c);
	while (got < 3 && consumer_next(c, service, t0 + 1000, &s) == 1) {
		for (int i = 0; i < 3; i++) {
			if (strcmp(s.token.instance_id, ids[i]) == 0 && !answered[i]) {
				answered[i] = true;
				got++;
			}
		}
		token_clear(&s.token);
	}
	if (got != 3)
		fail_msg("%d of 3 publishers answered the sync within 1 s", got);
	for (int i = 0; i < 3; i++)
		publisher_stop(p[i]);
	amqp_session_free(c);
}

/* Three tokens and the DOWN after stop, each signed with secret, or none
 * signed when secret is empty. */
static void check_signatures(const char *label, const char *secret)
{
	struct amqp_session *c = consumer_open();
	bool signed_mode = secret[0] != '\0';
	char service[64];
	struct publisher *p;
	struct seen s;
	int64_t t0;

	unique_service(service, sizeof(service), label);
	t0 = timing_mono_ms();
	p = start(service, "i-1", 500, secret);
	for (int i = 0; i < 4; i++) {
		if (i == 3)
			publisher_stop(p);
		assert_int_equal(consumer_next(c, service, i < 3 ? t0 + 3000 : timing_mono_ms() + 1000,
					       &s), 1);
		assert_int_equal(s.has_signature, signed_mode);
		if (signed_mode) {
			assert_true(token_verify(secret, s.body, s.len, s.signature));
			assert_false(token_verify("wrong", s.body, s.len, s.signature));
		}
		if (i == 3)
			assert_int_equal(s.token.state, TOKEN_DOWN);
		token_clear(&s.token);
	}
	amqp_session_free(c);
}

static void publisher_should_sign_every_token_when_a_secret_is_set(void **state)
{
	(void)state;
	check_signatures("signed", "topsecret");
}

static void publisher_should_not_sign_without_a_secret(void **state)
{
	(void)state;
	check_signatures("unsigned", "");
}

static void expect_state_soon(struct amqp_session *c, const char *service, enum token_state want)
{
	struct seen s;

	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 200, &s), 1);
	assert_int_equal(s.token.state, want);
	token_clear(&s.token);
}

static void publisher_set_healthy_should_announce_the_change_at_once(void **state)
{
	struct amqp_session *c = consumer_open();
	struct publisher_instance t;
	struct publisher_options o = {.amqp_url = amqp_url(), .interval_ms = 60000};
	char service[64];
	struct publisher *p;

	(void)state;
	unique_service(service, sizeof(service), "health");
	t = description(service, "i-1");
	o.instance = &t;
	p = publisher_start(&o);
	assert_non_null(p);
	expect_state_soon(c, service, TOKEN_UP);
	publisher_set_healthy(p, false);
	expect_state_soon(c, service, TOKEN_DOWN);
	publisher_set_healthy(p, true);
	expect_state_soon(c, service, TOKEN_UP);
	publisher_stop(p);
	expect_state_soon(c, service, TOKEN_DOWN);

	/* The same with OUT_OF_SERVICE as the unhealthy state. */
	o.out_of_service_when_unhealthy = true;
	p = publisher_start(&o);
	assert_non_null(p);
	expect_state_soon(c, service, TOKEN_UP);
	publisher_set_healthy(p, false);
	expect_state_soon(c, service, TOKEN_OUT_OF_SERVICE);
	publisher_stop(p);
	expect_state_soon(c, service, TOKEN_DOWN);
	amqp_session_free(c);
}

static void publisher_should_never_block_without_a_broker(void **state)
{
	struct publisher_instance t = description("pubtest-nobroker", "i-1");
	/* Port 1 refuses at once on loopback; a listener that never accepts
	 * nor answers is a silent broker, so the login can only time out. */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sin_len = sizeof(sin);
	int silent = socket(AF_INET, SOCK_STREAM, 0);
	char silent_url[64];
	const char *urls[2] = {"amqp://guest:guest@127.0.0.1:1/", silent_url};
	struct publisher_options o = {.instance = &t, .interval_ms = 100};

	(void)state;
	assert_true(silent >= 0);
	assert_int_equal(bind(silent, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(silent, 8), 0);
	assert_int_equal(getsockname(silent, (struct sockaddr *)&sin, &sin_len), 0);
	snprintf(silent_url, sizeof(silent_url), "amqp://guest:guest@127.0.0.1:%d/",
		 ntohs(sin.sin_port));
	for (int i = 0; i < 2; i++) {
		struct publisher *p;
		int64_t t0 = timing_mono_ms();

		o.amqp_url = urls[i];
		p = publisher_start(&o);
		assert_non_null(p);
		/* Against the silent broker a start that waited would take the
		 * connect timeout (2 s). */
		assert_true(timing_mono_ms() - t0 < 1000);
		publisher_set_healthy(p, false);
		if (i == 1) {
			/* Stop while the login waits for the silent broker. */
			struct pollfd pending = {.fd = silent, .events = POLLIN};

			assert_int_equal(poll(&pending, 1, 5000), 1);
		} else {
			/* Refused at once: stop during the backoff. */
			timing_sleep_ms(300);
		}
		t0 = timing_mono_ms();
		publisher_stop(p);
		if (timing_mono_ms() - t0 > 1500)
			fail_msg("stop took %lld ms without a broker",
				 (long long)(timing_mono_ms() - t0));
	}
	close(silent);
}

static void publisher_should_name_its_connection(void **state)
{
	struct amqp_session *c = consumer_open();
	char service[64], cmd[512], line[4096], property[160];
	bool named = false;
	struct publisher *p;
	struct seen s;
	FILE *out;

	(void)state;
	if (!getenv("RABBIT_DIR")) {
		amqp_session_free(c);
		skip();
	}
	unique_service(service, sizeof(service), "name");
	p = start(service, "i-7", 1000, NULL);
	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 1000, &s), 1);
	/* The broker checked user_id against the connection's user. */
	assert_non_null(s.token.user_id);
	assert_string_equal(s.token.user_id, "guest");
	assert_true(token_incarnation_is_valid(s.token.incarnation));
	snprintf(property, sizeof(property), "{\"connection_name\",\"discovery:%s:i-7:%s\"}",
		 service, s.token.incarnation);
	token_clear(&s.token);
	snprintf(cmd, sizeof(cmd),
		 "scripts/rabbitmq.sh ctl '%s' list_connections client_properties",
		 getenv("RABBIT_DIR"));
	out = popen(cmd, "r");
	assert_non_null(out);
	while (fgets(line, sizeof(line), out))
		named = named || strstr(line, property) != NULL;
	assert_int_equal(pclose(out), 0);
	assert_true(named);
	publisher_stop(p);
	amqp_session_free(c);
}

static void publisher_start_should_refuse_bad_options(void **state)
{
	struct publisher_instance t = description("pubtest-bad", "i-1");
	struct publisher_options o = {.amqp_url = amqp_url(), .instance = &t};

	(void)state;
	assert_null(publisher_start(NULL));
	o.amqp_url = "http://not-amqp/";
	assert_null(publisher_start(&o));
	o.amqp_url = amqp_url();
	t.address = "not-an-ip";
	assert_null(publisher_start(&o));
	t = description("Bad Name", "i-1");
	assert_null(publisher_start(&o));
	o.instance = NULL;
	assert_null(publisher_start(&o));
}

static void publisher_validate_should_refuse_what_the_registry_would_reject(void **state)
{
	struct publisher_instance t = description("pubtest-validate", "i-1");
	struct publisher_options o = {.amqp_url = amqp_url(), .instance = &t};
	char long_id[301], err[256];

	(void)state;
	assert_int_equal(publisher_validate(&o, err, sizeof(err)), 0);
	t.health_url = "HTTP://10.0.0.5/health"; /* the decoder takes lower-case schemes */
	assert_int_equal(publisher_validate(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad_field"));
	assert_null(publisher_start(&o));
	t.health_url = NULL;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	t.instance_id = long_id;
	assert_int_equal(publisher_validate(&o, err, sizeof(err)), -1);
	assert_null(publisher_start(&o));
}

/* ---- the sidecar program --------------------------------------------- */

static char sidecar_path[512];

/* Starts the sidecar with extra arguments; stderr goes to err_fd when
 * it is >= 0. */
static pid_t sidecar_spawn(char *const extra[], int err_fd)
{
	char *argv[40];
	int n = 0;
	pid_t pid;

	argv[n++] = sidecar_path;
	argv[n++] = "--amqp-url";
	argv[n++] = (char *)amqp_url();
	for (int i = 0; extra[i] && n < 39; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (err_fd >= 0)
			dup2(err_fd, STDERR_FILENO);
		execv(sidecar_path, argv);
		_exit(127);
	}
	return pid;
}

static int sidecar_wait(pid_t pid, int timeout_ms)
{
	int64_t deadline = timing_mono_ms() + timeout_ms;
	int status;

	while (timing_mono_ms() < deadline) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		assert_true(r >= 0);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		timing_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("sidecar did not exit within %d ms", timeout_ms);
	return -1;
}

static void sidecar_should_announce_the_given_fields_exactly(void **state)
{
	struct amqp_session *c = consumer_open();
	char service[64];
	char *args[] = {"--service-name",
			service,
			"--advertise-addr",
			"192.168.77.5",
			"--port",
			"8080",
			"--discovery-interval",
			"1s",
			"--instance-id",
			"q-1",
			"--hostname",
			"quotes-host",
			"--health-url",
			"http://192.168.77.5:8080/health",
			"--stream-url",
			"http://192.168.77.5:8080/hystrix.stream",
			"--metadata",
			"lang=java,zone=eu-1,build=1.2.3",
			"--log-level",
			"warn",
			NULL};
	struct seen s;
	int64_t t0;
	pid_t pid;

	(void)state;
	unique_service(service, sizeof(service), "sidecar");
	t0 = timing_mono_ms();
	pid = sidecar_spawn(args, -1);
	assert_int_equal(consumer_next(c, service, t0 + 2000, &s), 1);
	assert_int_equal(s.token.state, TOKEN_UP);
	assert_string_equal(s.token.address, "192.168.77.5");
	assert_int_equal(s.token.port, 8080);
	assert_string_equal(s.token.instance_id, "q-1");
	assert_string_equal(s.token.hostname, "quotes-host");
	assert_string_equal(s.token.health_url, "http://192.168.77.5:8080/health");
	assert_string_equal(s.token.stream_url, "http://192.168.77.5:8080/hystrix.stream");
	assert_int_equal(s.token.ttl, 3);
	assert_int_equal(s.token.metadata_count, 3);
	assert_string_equal(s.token.metadata[0].key, "lang");
	assert_string_equal(s.token.metadata[0].value, "java");
	assert_string_equal(s.token.metadata[1].key, "zone");
	assert_string_equal(s.token.metadata[1].value, "eu-1");
	assert_string_equal(s.token.metadata[2].key, "build");
	assert_string_equal(s.token.metadata[2].value, "1.2.3");
	token_clear(&s.token);

	/* DOWN reaches the exchange before the process exits with 0. */
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 2000, &s), 1);
	if (s.token.state == TOKEN_UP) { /* one was in flight */
		token_clear(&s.token);
		assert_int_equal(consumer_next(c, service, timing_mono_ms() + 2000, &s), 1);
	}
	assert_int_equal(s.token.state, TOKEN_DOWN);
	token_clear(&s.token);
	assert_int_equal(sidecar_wait(pid, 3000), 0);
	amqp_session_free(c);
}

static void sidecar_should_read_the_environment(void **state)
{
	struct amqp_session *c = consumer_open();
	char service[64];
	char *args[] = {"--log-level", "warn", NULL};
	struct seen s;
	pid_t pid;

	(void)state;
	unique_service(service, sizeof(service), "env");
	setenv("SERVICE_NAME", service, 1);
	setenv("ADVERTISE_ADDR", "fd00::5", 1);
	setenv("SERVER_PORT", "9090", 1);
	setenv("DISCOVERY_SECRET", "envsecret", 1);
	setenv("METADATA", "a=1", 1);
	pid = sidecar_spawn(args, -1);
	unsetenv("SERVICE_NAME");
	unsetenv("ADVERTISE_ADDR");
	unsetenv("SERVER_PORT");
	unsetenv("DISCOVERY_SECRET");
	unsetenv("METADATA");
	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 2000, &s), 1);
	assert_string_equal(s.token.address, "fd00::5");
	assert_int_equal(s.token.port, 9090);
	assert_string_equal(s.token.instance_id, "[fd00::5]:9090");
	assert_int_equal(s.token.metadata_count, 1);
	assert_true(s.has_signature);
	assert_true(token_verify("envsecret", s.body, s.len, s.signature));
	token_clear(&s.token);
	assert_int_equal(kill(pid, SIGINT), 0);
	assert_int_equal(sidecar_wait(pid, 3000), 0);
	amqp_session_free(c);
}

/* Runs the sidecar with bad arguments: exit 2 and one line on stderr that
 * contains `words`. */
static void expect_usage_error(char *const args[], const char *words)
{
	char out[1024] = "";
	int fds[2];
	ssize_t n;
	size_t used = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = sidecar_spawn(args, fds[1]);
	close(fds[1]);
	while ((n = read(fds[0], out + used, sizeof(out) - 1 - used)) > 0)
		used += (size_t)n;
	close(fds[0]);
	assert_int_equal(sidecar_wait(pid, 3000), 2);
	if (!strstr(out, words))
		fail_msg("expected '%s' in: %s", words, out);
	assert_non_null(strchr(out, '\n'));
	assert_string_equal(strchr(out, '\n'), "\n"); /* exactly one line */
	assert_true(strncmp(out, "publisher: ", 11) == 0);
}

static void sidecar_should_exit_2_on_bad_arguments(void **state)
{
	(void)state;
	expect_usage_error((char *[]){"--service-name", "x", "--bogus", NULL}, "--bogus");
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "999.1.2.3", NULL},
			   "999.1.2.3");
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "10.0.0.1",
				      "--port", "70000", NULL},
			   "70000");
	expect_usage_error((char *[]){"--advertise-addr", "10.0.0.1", NULL}, "SERVICE_NAME");
	expect_usage_error(
		(char *[]){"--service-name", "Bad_Name", "--advertise-addr", "10.0.0.1", NULL},
		"Bad_Name");
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "10.0.0.1",
				      "--metadata", "novalue", NULL},
			   "novalue");
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "10.0.0.1",
				      "--discovery-interval", "soon", NULL},
			   "soon");
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "10.0.0.1",
				      "--check-health", NULL},
			   "--health-url");
	/* Options the registry would reject every token for. */
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "10.0.0.1",
				      "--health-url", "HTTP://10.0.0.1/health", NULL},
			   "registry would reject");
	expect_usage_error((char *[]){"--service-name", "x", "--advertise-addr", "10.0.0.1",
				      "--instance-id",
				      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				      NULL},
			   "registry would reject");
}

/* A tiny HTTP server for the health probe: answers 200 or 503. */
struct health_server {
	int fd;
	int port;
	atomic_bool healthy;
	atomic_bool stop;
	pthread_t thread;
};

static void *health_server_run(void *arg)
{
	struct health_server *h = arg;
	char buf[1024];

	while (!atomic_load(&h->stop)) {
		struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
		const char *reply;
		int conn;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		conn = accept(h->fd, NULL, NULL);
		if (conn < 0)
			continue;
		(void)!read(conn, buf, sizeof(buf));
		reply = atomic_load(&h->healthy)
				? "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: "
				  "close\r\n\r\n{\"status\":\"UP\"}"
				: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: "
				  "17\r\nConnection: close\r\n\r\n{\"status\":\"DOWN\"}";
		(void)!write(conn, reply, strlen(reply));
		close(conn);
	}
	return NULL;
}

static void health_server_start(struct health_server *h)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(h->fd >= 0);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(h->fd, 16), 0);
	assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
	h->port = ntohs(a.sin_port);
	atomic_store(&h->healthy, true);
	atomic_store(&h->stop, false);
	assert_int_equal(pthread_create(&h->thread, NULL, health_server_run, h), 0);
}

static void health_server_stop(struct health_server *h)
{
	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
	close(h->fd);
}

/* The next token's state within timeout_ms, skipping tokens in `skip`. */
static enum token_state next_state_other_than(struct amqp_session *c, const char *service,
					      enum token_state skip, int timeout_ms)
{
	int64_t deadline = timing_mono_ms() + timeout_ms;
	enum token_state st;
	struct seen s;

	for (;;) {
		if (consumer_next(c, service, deadline, &s) != 1)
			fail_msg("no token other than %s within %d ms", token_state_name(skip),
				 timeout_ms);
		st = s.token.state;
		token_clear(&s.token);
		if (st != skip)
			return st;
	}
}

static void sidecar_should_announce_down_while_the_health_check_fails(void **state)
{
	struct amqp_session *c = consumer_open();
	struct health_server h;
	char service[64], url[128];
	char *args[] = {"--service-name",
			service,
			"--advertise-addr",
			"10.0.0.9",
			"--discovery-interval",
			"300ms",
			"--check-health",
			"--health-url",
			url,
			"--log-level",
			"warn",
			NULL};
	struct seen s;
	pid_t pid;

	(void)state;
	health_server_start(&h);
	unique_service(service, sizeof(service), "check");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", h.port);
	pid = sidecar_spawn(args, -1);
	assert_int_equal(consumer_next(c, service, timing_mono_ms() + 2000, &s), 1);
	assert_int_equal(s.token.state, TOKEN_UP);
	assert_string_equal(s.token.health_url, url);
	token_clear(&s.token);

	/* A failing check turns the tokens DOWN within about an interval. */
	atomic_store(&h.healthy, false);
	assert_int_equal(next_state_other_than(c, service, TOKEN_UP, 1500), TOKEN_DOWN);
	atomic_store(&h.healthy, true);
	assert_int_equal(next_state_other_than(c, service, TOKEN_DOWN, 1500), TOKEN_UP);

	/* No server at all is as unhealthy as a 503. */
	health_server_stop(&h);
	assert_int_equal(next_state_other_than(c, service, TOKEN_UP, 1500), TOKEN_DOWN);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(sidecar_wait(pid, 3000), 0);
	amqp_session_free(c);
}

int main(void)
{
	const char *build = getenv("BUILD");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(publisher_start_should_announce_at_once),
		cmocka_unit_test(publisher_should_announce_every_interval_with_increasing_seq),
		cmocka_unit_test(publisher_stop_should_announce_down),
		cmocka_unit_test(publisher_should_answer_sync_from_every_instance),
		cmocka_unit_test(publisher_should_sign_every_token_when_a_secret_is_set),
		cmocka_unit_test(publisher_should_not_sign_without_a_secret),
		cmocka_unit_test(publisher_set_healthy_should_announce_the_change_at_once),
		cmocka_unit_test(publisher_should_never_block_without_a_broker),
		cmocka_unit_test(publisher_should_name_its_connection),
		cmocka_unit_test(publisher_start_should_refuse_bad_options),
		cmocka_unit_test(publisher_validate_should_refuse_what_the_registry_would_reject),
		cmocka_unit_test(sidecar_should_announce_the_given_fields_exactly),
		cmocka_unit_test(sidecar_should_read_the_environment),
		cmocka_unit_test(sidecar_should_exit_2_on_bad_arguments),
		cmocka_unit_test(sidecar_should_announce_down_while_the_health_check_fails),
	};

	snprintf(sidecar_path, sizeof(sidecar_path), "%s/bin/publisher",
		 build && *build ? build : "build");
	if (access(sidecar_path, X_OK) != 0) {
		fprintf(stderr, "test_publisher: %s is missing; build it first\n", sidecar_path);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
