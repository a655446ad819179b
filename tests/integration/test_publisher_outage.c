/*
 * A broker outage of 10 s with the sidecar publisher and accountservice
 * (which embeds the publisher library) running: both stay alive,
 * accountservice answers HTTP throughout, each logs the outage once, each
 * announces within 2 s of the broker's return, and SIGTERM still ends both
 * with exit code 0. Needs the broker of tests/run.sh (RABBIT_DIR) to stop
 * and start it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../port_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <curl/curl.h>

#include "amqp_session.h"
#include "timing.h"
#include "token_decode.h"

#define EXCHANGE "discovery"

struct child {
	pid_t pid;
	char log[320];
};

static char build_dir[256];
static char work_dir[256];

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static void rabbit(const char *action)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "scripts/rabbitmq.sh %s '%s'", action, getenv("RABBIT_DIR"));
	assert_int_equal(system(cmd), 0);
}

/*
 * A durable queue bound to discovery.#, declared with rabbitmq-c directly
 * because the session's queues are transient: it outlives the broker's
 * stop, so tokens sent before any consumer is back are kept for us.
 */
static void probe_queue(const char *queue, bool create)
{
	char *url = strdup(env_or("AMQP_SERVER_URL", "amqp://guest:guest@localhost:5672/"));
	struct amqp_connection_info info;
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *sock = amqp_tcp_socket_new(conn);
	amqp_rpc_reply_t r;

	assert_non_null(url);
	assert_non_null(sock);
	assert_int_equal(amqp_parse_url(url, &info), AMQP_STATUS_OK);
	assert_int_equal(amqp_socket_open(sock, info.host, info.port), AMQP_STATUS_OK);
	r = amqp_login(conn, info.vhost[0] ? info.vhost : "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
		       info.user, info.password);
	assert_int_equal(r.reply_type, AMQP_RESPONSE_NORMAL);
	amqp_channel_open(conn, 1);
	assert_int_equal(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
	if (create) {
		amqp_exchange_declare(conn, 1, amqp_cstring_bytes(EXCHANGE),
				      amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
		assert_int_equal(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
		amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0,
				   amqp_empty_table);
		assert_int_equal(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
		amqp_queue_bind(conn, 1, amqp_cstring_bytes(queue), amqp_cstring_bytes(EXCHANGE),
				amqp_cstring_bytes("discovery.#"), amqp_empty_table);
	} else {
		amqp_queue_delete(conn, 1, amqp_cstring_bytes(queue), 0, 0);
	}
	assert_int_equal(amqp_get_rpc_reply(conn).reply_type, AMQP_RESPONSE_NORMAL);
	amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(conn);
	free(url);
}

/*
 * For each of the n services, the ts of its first token in the probe queue
 * sent after `after_ms` (wall clock), or 0 when none came within 5 s. The
 * queue is read once for all (reading takes the messages), and as tokens
 * come, since they expire after their ttl.
 */
static void first_tokens_after(const char *queue, const char *const services[], int n,
			       int64_t after_ms, int64_t ts[])
{
	struct amqp_session_options o = {.url = env_or("AMQP_SERVER_URL", ""), .timeout_ms = 2000};
	struct amqp_session *s = amqp_session_new(&o);
	int64_t deadline = timing_mono_ms() + 5000;
	struct amqp_session_delivery d;
	char err[256];
	int found = 0;

	assert_non_null(s);
	if (amqp_session_open(s, err, sizeof(err)) < 0)
		fail_msg("probe consumer: %s", err);
	assert_int_equal(amqp_session_consume(s, queue), 0);
	for (int i = 0; i < n; i++)
		ts[i] = 0;
	while (found < n && timing_mono_ms() < deadline) {
		struct token t;

		if (amqp_session_next(s, 100, &d) != 1)
			continue;
		if (token_decode(d.body, d.len, d.routing_key, &t) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!ts[i] && t.ts > after_ms && strcmp(t.service, services[i]) == 0) {
				ts[i] = t.ts;
				found++;
			}
		}
		token_clear(&t);
	}
	amqp_session_free(s);
}

static void child_start(struct child *c, const char *name, char *const argv[], char *const env[])
{
	int fd;

	snprintf(c->log, sizeof(c->log), "%s/%s.log", work_dir, name);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid > 0)
		return;
	fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		_exit(126);
	dup2(fd, STDERR_FILENO);
	for (int i = 0; env[i]; i++)
		putenv(env[i]);
	execv(argv[0], argv);
	_exit(127);
}

static bool child_alive(const struct child *c)
{
	return waitpid(c->pid, NULL, WNOHANG) == 0;
}

/* SIGTERM, then the exit code (fails after 5 s). */
static int child_stop(struct child *c)
{
	int64_t deadline = timing_mono_ms() + 5000;
	int status;

	kill(c->pid, SIGTERM);
	while (timing_mono_ms() < deadline) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		timing_sleep_ms(20);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
	fail_msg("child did not exit within 5 s of SIGTERM");
	return -1;
}

static int count_in_file(const char *path, const char *needle)
{
	char line[2048];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

static size_t http_collect(char *data, size_t size, size_t nmemb, void *user)
{
	char *buf = user;
	size_t used = strlen(buf), n = size * nmemb;

	if (used + n < 4096) {
		memcpy(buf + used, data, n);
		buf[used + n] = '\0';
	}
	return n;
}

/* GET url: the HTTP status (0 when no answer), body into buf[4096]. */
static long http_get(const char *url, char *buf)
{
	CURL *curl = curl_easy_init();
	long status = 0;

	assert_non_null(curl);
	buf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, buf);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	return status;
}

/* What a failed assertion leaves behind; the teardown undoes it. */
static struct {
	struct child sidecar, acct;
	bool paused;
	char queue[64];
} left;

static int outage_teardown(void **state)
{
	char cmd[512];

	(void)state;
	if (left.paused)
		rabbit("resume");
	left.paused = false;
	for (struct child *c = &left.sidecar; c <= &left.acct; c++) {
		if (c->pid > 0) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			c->pid = 0;
		}
	}
	if (left.queue[0])
		probe_queue(left.queue, false);
	left.queue[0] = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void publisher_should_ride_out_a_broker_outage(void **state)
{
	char *queue = left.queue;
	char svc[64], acct_svc[64], port[16], url[128], body[4096];
	char sidecar_bin[512], acct_bin[512], db[512];
	char env_service[96], env_port[32], env_db[560];
	struct child *sidecar = &left.sidecar, *acct = &left.acct;
	const char *const services[2] = {svc, acct_svc};
	int64_t paused_at, resumed, ts[2];
	int answered = 0;

	(void)state;
	snprintf(queue, sizeof(left.queue), "pubtest-outage-probe-%d", (int)getpid());
	snprintf(svc, sizeof(svc), "pubtest-outage-%d", (int)getpid());
	snprintf(acct_svc, sizeof(acct_svc), "pubtest-acct-%d", (int)getpid());
	snprintf(port, sizeof(port), "%d", fixture_closed_port());
	snprintf(sidecar_bin, sizeof(sidecar_bin), "%s/bin/publisher", build_dir);
	snprintf(acct_bin, sizeof(acct_bin), "%s/bin/accountservice", build_dir);
	snprintf(db, sizeof(db), "%s/accounts.db", work_dir);
	probe_queue(queue, true);

	char *sidecar_argv[] = {sidecar_bin, "--service-name",
				svc,	     "--advertise-addr",
				"10.0.0.77", "--port",
				"8080",	     "--discovery-interval",
				"1s",	     NULL};
	char *no_env[] = {NULL};
	child_start(sidecar, "sidecar", sidecar_argv, no_env);

	snprintf(env_service, sizeof(env_service), "SERVICE_NAME=%s", acct_svc);
	snprintf(env_port, sizeof(env_port), "SERVER_PORT=%s", port);
	snprintf(env_db, sizeof(env_db), "DB_PATH=%s", db);
	char *acct_argv[] = {acct_bin, NULL};
	char *acct_env[] = {env_service,
			    env_port,
			    env_db,
			    "ADVERTISE_ADDR=127.0.0.1",
			    "QUOTES_URL=http://127.0.0.1:1/api/quote",
			    "QUOTES_TIMEOUT_MS=200",
			    "DISCOVERY_INTERVAL=1s",
			    NULL};
	child_start(acct, "accountservice", acct_argv, acct_env);

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/accounts/10000", port);
	for (int i = 0; i < 50 && http_get(url, body) != 200; i++)
		timing_sleep_ms(100);
	assert_int_equal(http_get(url, body), 200);
	first_tokens_after(queue, services, 2, 0, ts);
	assert_true(ts[0] > 0 && ts[1] > 0);

	paused_at = timing_wall_ms();
	left.paused = true;
	rabbit("pause");
	for (int64_t until = timing_mono_ms() + 10000; timing_mono_ms() < until;) {
		assert_true(child_alive(sidecar));
		assert_true(child_alive(acct));
		if (http_get(url, body) != 200 || !strstr(body, "\"name\":\"Person_0\""))
			fail_msg("accountservice did not answer during the outage: %s", body);
		answered++;
		timing_sleep_ms(200);
	}
	rabbit("resume");
	left.paused = false;
	resumed = timing_wall_ms();
	assert_true(answered >= 20);

	/* The first token sent after the outage began comes within 2 s of
	 * the broker's return. */
	first_tokens_after(queue, services, 2, paused_at, ts);
	for (int i = 0; i < 2; i++) {
		if (!ts[i])
			fail_msg("%s: no token within 5 s of the broker's return", services[i]);
		print_message("%s: first token %lld ms after the broker's return\n", services[i],
			      (long long)(ts[i] - resumed));
		assert_true(ts[i] - resumed <= 2000);
	}
	print_message("%d HTTP answers during the outage\n", answered);

	/* One warning per outage however many retries, and one "back". */
	assert_int_equal(count_in_file(sidecar->log, "broker unreachable"), 1);
	assert_int_equal(count_in_file(acct->log, "broker unreachable"), 1);
	assert_int_equal(count_in_file(sidecar->log, "broker reachable again"), 1);
	assert_int_equal(count_in_file(acct->log, "broker reachable again"), 1);

	assert_int_equal(child_stop(sidecar), 0);
	assert_int_equal(child_stop(acct), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(publisher_should_ride_out_a_broker_outage,
					  outage_teardown),
	};
	int rc;

	if (!getenv("RABBIT_DIR") || !getenv("AMQP_SERVER_URL")) {
		printf("skipped: needs the broker started by tests/run.sh (RABBIT_DIR)\n");
		return 0;
	}
	snprintf(build_dir, sizeof(build_dir), "%s", env_or("BUILD", "build"));
	snprintf(work_dir, sizeof(work_dir), "/tmp/test-publisher-outage.XXXXXX");
	assert_non_null(mkdtemp(work_dir));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
