/*
 * The AMQP session against a real RabbitMQ (tests/run.sh starts one and
 * exports AMQP_SERVER_URL and RABBIT_DIR): publish and consume a token,
 * timeouts, connection failures without leaking the password, the
 * connection's name as the broker sees it, and a broker outage survived
 * by reconnecting with backoff.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../port_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "amqp_session.h"
#include "backoff.h"
#include "log.h"
#include "timing.h"

#define EXCHANGE  "discovery"
#define TOKEN_KEY "discovery.accountservice.up"
#define TOKEN_BODY                                                                                 \
	"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":6767,"                                \
	"\"service\":\"accountservice\",\"instanceId\":\"10.0.0.5:6767\","                         \
	"\"ttl\":6,\"seq\":1,\"ts\":1700000000000}"
#define SIGNATURE "8f2b6a1c0d9e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a"

static const char *server_url(void)
{
	const char *url = getenv("AMQP_SERVER_URL");

	return url && *url ? url : "amqp://guest:guest@127.0.0.1:5672/";
}

static struct amqp_session *session_for(const char *url, const char *name, int timeout_ms)
{
	struct amqp_session_options o = {
		.url = url,
		.connection_name = name,
		.heartbeat_s = 0,
		.timeout_ms = timeout_ms,
	};
	struct amqp_session *s = amqp_session_new(&o);

	assert_non_null(s);
	return s;
}

static void open_or_fail(struct amqp_session *s)
{
	char err[512];
	int rc = amqp_session_open(s, err, sizeof(err));

	if (rc < 0)
		fail_msg("open failed: %s", err);
	assert_true(amqp_session_is_open(s));
}

/* An exclusive server-named queue bound to discovery.#, consumed. */
static void subscribe(struct amqp_session *s, char *queue, size_t len)
{
	assert_int_equal(amqp_session_declare_exchange(s, EXCHANGE, "topic", true), 0);
	assert_int_equal(amqp_session_declare_queue(s, "", true, queue, len), 0);
	assert_true(strncmp(queue, "amq.gen-", 8) == 0);
	assert_int_equal(amqp_session_bind(s, queue, EXCHANGE, "discovery.#"), 0);
	assert_int_equal(amqp_session_consume(s, queue), 0);
}

static void publish_token(struct amqp_session *s, const char *body)
{
	const struct amqp_session_header headers[] = {
		{"x-signature", SIGNATURE},
		{"x-origin", "test"},
	};
	struct amqp_session_message m = {
		.exchange = EXCHANGE,
		.routing_key = TOKEN_KEY,
		.body = body,
		.len = strlen(body),
		.content_type = "application/json",
		.expiration_ms = 6000,
		.timestamp_s = time(NULL),
		.headers = headers,
		.header_count = 2,
	};

	assert_int_equal(amqp_session_publish(s, &m), 0);
}

/* Waits up to timeout_ms for one delivery, skipping timeouts. */
static int next_within(struct amqp_session *s, int64_t timeout_ms, struct amqp_session_delivery *d)
{
	int64_t end = timing_mono_ms() + timeout_ms;
	int rc = 0;

	while (rc == 0 && timing_mono_ms() < end)
		rc = amqp_session_next(s, 100, d);
	return rc;
}

static void amqp_session_new_should_reject_bad_urls(void **state)
{
	static const char *const bad[] = {
		"http://guest:guest@localhost:5672/",
		"amqp://guest:guest@localhost:99999/",
		"amqp://guest:guest@localhost:56x2/",
		"amqp://guest:guest@localhost/a/b",
		"localhost:5672",
		"",
	};
	struct amqp_session_options o = {0};
	struct amqp_session *s;

	(void)state;
	assert_null(amqp_session_new(&o));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.url = bad[i];
		s = amqp_session_new(&o);
		if (s) {
			amqp_session_free(s);
			fail_msg("accepted %s", bad[i]);
		}
	}
	o.url = "amqps://guest:guest@broker.example:5671/prod";
	s = amqp_session_new(&o);
	assert_non_null(s);
	assert_false(amqp_session_is_open(s));
	amqp_session_free(s);
	amqp_session_free(NULL);
}

static void amqp_session_should_deliver_a_token_intact(void **state)
{
	struct amqp_session *pub = session_for(server_url(), "discovery:test:pub", 0);
	struct amqp_session *sub = session_for(server_url(), "discovery:test:sub", 0);
	struct amqp_session_delivery d;
	char queue[256];
	char value[128];
	char tiny[8];

	(void)state;
	open_or_fail(sub);
	subscribe(sub, queue, sizeof(queue));
	open_or_fail(pub);
	assert_int_equal(amqp_session_declare_exchange(pub, EXCHANGE, "topic", true), 0);
	publish_token(pub, TOKEN_BODY);

	assert_int_equal(next_within(sub, 3000, &d), 1);
	assert_int_equal(d.len, strlen(TOKEN_BODY));
	assert_memory_equal(d.body, TOKEN_BODY, d.len);
	assert_string_equal(d.routing_key, TOKEN_KEY);
	assert_string_equal(d.exchange, EXCHANGE);
	assert_int_equal(amqp_session_header(sub, "x-signature", value, sizeof(value)), 0);
	assert_string_equal(value, SIGNATURE);
	assert_int_equal(amqp_session_header(sub, "x-origin", value, sizeof(value)), 0);
	assert_string_equal(value, "test");
	assert_int_equal(amqp_session_header(sub, "x-missing", value, sizeof(value)), -1);
	assert_int_equal(amqp_session_header(sub, "x-signature", tiny, sizeof(tiny)), -1);

	/* After the next call the delivery is gone, and so are its headers. */
	assert_int_equal(amqp_session_next(sub, 50, &d), 0);
	assert_int_equal(amqp_session_header(sub, "x-signature", value, sizeof(value)), -1);

	amqp_session_close(pub);
	amqp_session_close(pub);
	assert_false(amqp_session_is_open(pub));
	amqp_session_free(pub);
	amqp_session_free(sub);
}

/* Reads the message properties with plain rabbitmq-c, as any consumer would. */
static void amqp_session_publish_should_set_the_contract_properties(void **state)
{
	amqp_connection_state_t raw = amqp_new_connection();
	amqp_socket_t *sock = amqp_tcp_socket_new(raw);
	struct amqp_connection_info info;
	struct amqp_session *pub = session_for(server_url(), NULL, 0);
	char *url = strdup(server_url());
	amqp_queue_declare_ok_t *q;
	amqp_rpc_reply_t reply;
	amqp_message_t msg;
	amqp_bytes_t queue;
	int64_t end;
	time_t sent;

	(void)state;
	assert_non_null(url);
	assert_int_equal(amqp_parse_url(url, &info), AMQP_STATUS_OK);
	assert_int_equal(amqp_socket_open(sock, info.host, info.port), AMQP_STATUS_OK);
	reply = amqp_login(raw, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user,
			   info.password);
	assert_int_equal(reply.reply_type, AMQP_RESPONSE_NORMAL);
	amqp_channel_open(raw, 1);
	assert_int_equal(amqp_get_rpc_reply(raw).reply_type, AMQP_RESPONSE_NORMAL);
	amqp_exchange_declare(raw, 1, amqp_cstring_bytes(EXCHANGE), amqp_cstring_bytes("topic"), 0,
			      1, 0, 0, amqp_empty_table);
	assert_int_equal(amqp_get_rpc_reply(raw).reply_type, AMQP_RESPONSE_NORMAL);
	q = amqp_queue_declare(raw, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
	assert_non_null(q);
	queue = amqp_bytes_malloc_dup(q->queue);
	amqp_queue_bind(raw, 1, queue, amqp_cstring_bytes(EXCHANGE), amqp_cstring_bytes(TOKEN_KEY),
			amqp_empty_table);
	assert_int_equal(amqp_get_rpc_reply(raw).reply_type, AMQP_RESPONSE_NORMAL);

	open_or_fail(pub);
	sent = time(NULL);
	publish_token(pub, TOKEN_BODY);

	end = timing_mono_ms() + 3000;
	do {
		reply = amqp_basic_get(raw, 1, queue, 1);
		assert_int_equal(reply.reply_type, AMQP_RESPONSE_NORMAL);
		if (reply.reply.id == AMQP_BASIC_GET_OK_METHOD)
			break;
		timing_sleep_ms(20);
	} while (timing_mono_ms() < end);
	assert_int_equal(reply.reply.id, AMQP_BASIC_GET_OK_METHOD);
	assert_int_equal(amqp_read_message(raw, 1, &msg, 0).reply_type, AMQP_RESPONSE_NORMAL);

	assert_true(msg.properties._flags & AMQP_BASIC_CONTENT_TYPE_FLAG);
	assert_int_equal(msg.properties.content_type.len, strlen("application/json"));
	assert_memory_equal(msg.properties.content_type.bytes, "application/json",
			    msg.properties.content_type.len);
	assert_true(msg.properties._flags & AMQP_BASIC_DELIVERY_MODE_FLAG);
	assert_int_equal(msg.properties.delivery_mode, 1);
	assert_true(msg.properties._flags & AMQP_BASIC_EXPIRATION_FLAG);
	assert_int_equal(msg.properties.expiration.len, 4);
	assert_memory_equal(msg.properties.expiration.bytes, "6000", 4);
	assert_true(msg.properties._flags & AMQP_BASIC_TIMESTAMP_FLAG);
	assert_true(msg.properties.timestamp >= (uint64_t)sent - 1);
	assert_true(msg.properties.timestamp <= (uint64_t)sent + 1);
	assert_int_equal(msg.body.len, strlen(TOKEN_BODY));

	amqp_destroy_message(&msg);
	amqp_bytes_free(queue);
	amqp_connection_close(raw, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(raw);
	amqp_session_free(pub);
	free(url);
}

static void amqp_session_next_should_return_0_on_timeout(void **state)
{
	struct amqp_session *s = session_for(server_url(), NULL, 0);
	struct amqp_session_delivery d;
	char queue[256];
	int64_t start;
	int64_t took;

	(void)state;
	open_or_fail(s);
	assert_int_equal(amqp_session_declare_queue(s, "", true, queue, sizeof(queue)), 0);
	assert_int_equal(amqp_session_consume(s, queue), 0);
	start = timing_mono_ms();
	assert_int_equal(amqp_session_next(s, 300, &d), 0);
	took = timing_mono_ms() - start;
	assert_true(took >= 250);
	assert_true(took < 1000);
	assert_true(amqp_session_is_open(s));
	amqp_session_free(s);
}

static void amqp_session_calls_should_report_a_closed_session(void **state)
{
	struct amqp_session *s = session_for(server_url(), NULL, 0);
	struct amqp_session_delivery d;
	char queue[256];

	(void)state;
	assert_int_equal(amqp_session_next(s, 10, &d), AMQP_SESSION_ERR_NOT_OPEN);
	assert_int_equal(amqp_session_declare_queue(s, "", true, queue, sizeof(queue)),
			 AMQP_SESSION_ERR_NOT_OPEN);
	amqp_session_free(s);
}

static void amqp_session_declare_should_report_a_refusal_and_close(void **state)
{
	struct amqp_session *s = session_for(server_url(), NULL, 0);

	(void)state;
	open_or_fail(s);
	assert_int_equal(amqp_session_declare_exchange(s, EXCHANGE, "topic", true), 0);
	/* The same exchange with another type: the broker closes the channel. */
	assert_int_equal(amqp_session_declare_exchange(s, EXCHANGE, "fanout", true),
			 AMQP_SESSION_ERR_REFUSED);
	assert_non_null(strstr(amqp_session_refusal(s), "exchange.declare refused: "
							"broker closed the channel: 406"));
	assert_false(amqp_session_is_open(s));
	open_or_fail(s);
	assert_int_equal(amqp_session_declare_exchange(s, EXCHANGE, "topic", true), 0);
	amqp_session_free(s);
}

/* A publish to a missing exchange closes the channel asynchronously: a
 * refusal, with the broker's reason, not a lost connection. */
static void amqp_session_next_should_report_a_channel_closed_by_the_broker(void **state)
{
	struct amqp_session *s = session_for(server_url(), NULL, 0);
	struct amqp_session_delivery d;
	struct amqp_session_message m = {
		.exchange = "no-such-exchange",
		.routing_key = TOKEN_KEY,
		.body = "{}",
		.len = 2,
	};

	(void)state;
	open_or_fail(s);
	assert_string_equal(amqp_session_refusal(s), "");
	assert_int_equal(amqp_session_publish(s, &m), 0);
	assert_int_equal(next_within(s, 3000, &d), AMQP_SESSION_ERR_REFUSED);
	assert_non_null(strstr(amqp_session_refusal(s), "404 NOT_FOUND"));
	assert_false(amqp_session_is_open(s));
	assert_int_equal(amqp_session_publish(s, &m), AMQP_SESSION_ERR_NOT_OPEN);
	amqp_session_free(s);
}

static void amqp_session_open_should_report_a_refused_login(void **state)
{
	struct amqp_connection_info info;
	char *broker = strdup(server_url());
	struct amqp_session *s;
	char url[512];
	char err[512];

	(void)state;
	assert_non_null(broker);
	assert_int_equal(amqp_parse_url(broker, &info), AMQP_STATUS_OK);
	snprintf(url, sizeof(url), "amqp://%s:wr0ngpw@%s:%d/", info.user, info.host, info.port);
	s = session_for(url, NULL, 0);
	assert_int_equal(amqp_session_open(s, err, sizeof(err)), AMQP_SESSION_ERR_CONNECT);
	assert_false(amqp_session_is_open(s));
	assert_non_null(strstr(err, "login"));
	assert_non_null(strstr(err, "ACCESS_REFUSED"));
	assert_null(strstr(err, "wr0ngpw"));
	amqp_session_free(s);
	free(broker);
}

static void amqp_session_open_should_fail_fast_on_a_closed_port(void **state)
{
	char url[128];
	char err[512];
	struct amqp_session *s;
	int64_t start;

	(void)state;
	snprintf(url, sizeof(url), "amqp://guest:s3cr3tpw@127.0.0.1:%d/", fixture_closed_port());
	s = session_for(url, NULL, 2000);
	start = timing_mono_ms();
	assert_int_equal(amqp_session_open(s, err, sizeof(err)), AMQP_SESSION_ERR_CONNECT);
	/* Not the connect timeout (2 s): room for a slow machine below it. */
	assert_true(timing_mono_ms() - start < 1500);
	assert_false(amqp_session_is_open(s));
	assert_non_null(strstr(err, "amqp://guest:***@127.0.0.1:"));
	assert_null(strstr(err, "s3cr3tpw"));
	amqp_session_free(s);
}

/*
 * A list of nodes: a closed port and a refused login are skipped, the
 * broker that answers is kept, and after a close the next open starts at
 * the node after it (the same broker, reached by another name here).
 */
static void amqp_session_open_should_move_along_a_list_of_nodes(void **state)
{
	struct amqp_connection_info info;
	char *broker = strdup(server_url());
	char list[1024], by_ip[256], by_name[256], err[512], first[512], masked[512];
	struct amqp_session *s;

	(void)state;
	assert_non_null(broker);
	assert_int_equal(amqp_parse_url(broker, &info), AMQP_STATUS_OK);
	snprintf(list, sizeof(list),
		 "amqp://%s:n0pe@127.0.0.1:%d/,amqp://%s:wr0ngpw@127.0.0.1:%d/,%s",
		 info.user, fixture_closed_port(), info.user, info.port, server_url());
	log_mask_url(server_url(), masked, sizeof(masked));
	for (int i = 0; i < 6; i++) {
		s = session_for(list, NULL, 2000);
		open_or_fail(s);
		assert_int_equal(amqp_session_node_count(s), 3);
		assert_null(strstr(amqp_session_node(s), "wr0ngpw"));
		assert_null(strstr(amqp_session_node(s), "n0pe"));
		assert_string_equal(amqp_session_node(s), masked);
		amqp_session_free(s);
	}

	snprintf(by_ip, sizeof(by_ip), "amqp://%s:%s@127.0.0.1:%d/", info.user, info.password,
		 info.port);
	snprintf(by_name, sizeof(by_name), "amqp://%s:%s@localhost:%d/", info.user,
		 info.password, info.port);
	snprintf(list, sizeof(list), "%s,%s", by_ip, by_name);
	s = session_for(list, NULL, 2000);
	open_or_fail(s);
	snprintf(first, sizeof(first), "%s", amqp_session_node(s));
	amqp_session_close(s);
	assert_int_equal(amqp_session_open(s, err, sizeof(err)), 0);
	assert_string_not_equal(amqp_session_node(s), first);
	amqp_session_free(s);
	free(broker);
}

/* A peer that completes the TCP handshake but never says a word. */
static void amqp_session_open_should_give_up_on_a_silent_broker(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct amqp_session *s;
	char url[128];
	char err[512];
	int64_t start;
	int64_t took;

	(void)state;
	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(url, sizeof(url), "amqp://guest:s3cr3tpw@127.0.0.1:%d/", ntohs(a.sin_port));

	s = session_for(url, NULL, 700);
	start = timing_mono_ms();
	assert_int_equal(amqp_session_open(s, err, sizeof(err)), AMQP_SESSION_ERR_CONNECT);
	took = timing_mono_ms() - start;
	assert_true(took >= 600);
	assert_true(took < 1500);
	assert_true(strlen(err) > 0);
	assert_null(strstr(err, "s3cr3tpw"));
	amqp_session_free(s);
	close(fd);
}

/* TLS to a plain AMQP port: the handshake fails, quickly and cleanly. */
static void amqp_session_open_should_fail_tls_against_a_plain_port(void **state)
{
	char url[512];
	char err[512];
	struct amqp_session *s;
	const char *plain = server_url();
	int64_t start;

	(void)state;
	assert_int_equal(strncmp(plain, "amqp://", 7), 0);
	snprintf(url, sizeof(url), "amqps://%s", plain + 7);
	s = session_for(url, NULL, 2000);
	start = timing_mono_ms();
	assert_int_equal(amqp_session_open(s, err, sizeof(err)), AMQP_SESSION_ERR_CONNECT);
	/* Refused by the handshake, not by the timeout; the bound is loose
	 * because loading the CA bundle is slow under valgrind. */
	assert_true(timing_mono_ms() - start < 5000);
	assert_non_null(strstr(err, "SSL"));
	assert_non_null(strstr(err, "amqps://guest:***@"));
	amqp_session_free(s);
}

/*
 * A TCP relay between the session and the broker that can stop forwarding
 * in both directions while keeping both sockets open: a cut link or a
 * frozen broker, which only heartbeats can notice.
 */
struct relay {
	int listen_fd;
	int port;
	int upstream_port;
	int stop[2];
	atomic_bool blackhole;
	pthread_t thread;
};

static bool relay_pump(struct relay *r, int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return false;
	if (atomic_load(&r->blackhole))
		return true;
	return write(to, buf, (size_t)n) == n;
}

static void *relay_run(void *arg)
{
	struct relay *r = arg;
	struct sockaddr_in up = {.sin_family = AF_INET};
	struct pollfd pf[3] = {{.fd = r->stop[0], .events = POLLIN},
			       {.fd = r->listen_fd, .events = POLLIN}};
	int client;
	int server;

	if (poll(pf, 2, -1) <= 0 || (pf[0].revents & POLLIN))
		return NULL;
	client = accept(r->listen_fd, NULL, NULL);
	if (client < 0)
		return NULL;
	server = socket(AF_INET, SOCK_STREAM, 0);
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	up.sin_port = htons((uint16_t)r->upstream_port);
	if (server < 0 || connect(server, (struct sockaddr *)&up, sizeof(up)) < 0)
		goto out;
	pf[1].fd = client;
	pf[2].fd = server;
	pf[2].events = POLLIN;
	for (;;) {
		if (poll(pf, 3, -1) < 0 || (pf[0].revents & POLLIN))
			break;
		if ((pf[1].revents & (POLLIN | POLLHUP)) && !relay_pump(r, client, server))
			break;
		if ((pf[2].revents & (POLLIN | POLLHUP)) && !relay_pump(r, server, client))
			break;
	}
out:
	if (server >= 0)
		close(server);
	close(client);
	return NULL;
}

static void relay_start(struct relay *r, int upstream_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	r->upstream_port = upstream_port;
	atomic_init(&r->blackhole, false);
	r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->listen_fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->listen_fd, 4), 0);
	assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pipe(r->stop), 0);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_run, r), 0);
}

static void relay_stop(struct relay *r)
{
	assert_int_equal(write(r->stop[1], "x", 1), 1);
	pthread_join(r->thread, NULL);
	close(r->stop[0]);
	close(r->stop[1]);
	close(r->listen_fd);
}

static void amqp_session_next_should_notice_a_silent_link_by_heartbeat(void **state)
{
	struct amqp_session_options o = {.heartbeat_s = 1};
	struct amqp_connection_info info;
	struct amqp_session_delivery d;
	struct amqp_session *s;
	struct relay r;
	char *broker = strdup(server_url());
	char url[512];
	char queue[256];
	int64_t cut_at;
	int64_t took;
	int rc = 0;

	(void)state;
	assert_non_null(broker);
	assert_int_equal(amqp_parse_url(broker, &info), AMQP_STATUS_OK);
	relay_start(&r, info.port);
	snprintf(url, sizeof(url), "amqp://%s:%s@127.0.0.1:%d/", info.user, info.password, r.port);
	o.url = url;
	s = amqp_session_new(&o);
	assert_non_null(s);
	open_or_fail(s);
	subscribe(s, queue, sizeof(queue));

	/* Heartbeats flow: a quiet but live link stays open. */
	assert_int_equal(next_within(s, 2500, &d), 0);
	assert_true(amqp_session_is_open(s));

	atomic_store(&r.blackhole, true);
	cut_at = timing_mono_ms();
	while (rc == 0 && timing_mono_ms() - cut_at < 10000)
		rc = amqp_session_next(s, 100, &d);
	took = timing_mono_ms() - cut_at;
	print_message("silent link noticed after %lld ms (heartbeat 1 s)\n", (long long)took);
	assert_int_equal(rc, AMQP_SESSION_ERR_LOST);
	assert_false(amqp_session_is_open(s));
	assert_true(took >= 1000);
	assert_true(took < 3500);

	amqp_session_free(s);
	relay_stop(&r);
	free(broker);
}

static const char *rabbit_dir(void)
{
	const char *dir = getenv("RABBIT_DIR");

	return dir && *dir ? dir : NULL;
}

static void amqp_session_open_should_name_the_connection(void **state)
{
	char name[64];
	char property[128];
	char cmd[512];
	char line[4096];
	bool named = false;
	bool heartbeat = false;
	struct amqp_session *s;
	FILE *p;

	(void)state;
	if (!rabbit_dir())
		skip();
	snprintf(name, sizeof(name), "discovery:test:%d", (int)getpid());
	snprintf(property, sizeof(property), "{\"connection_name\",\"%s\"}", name);
	s = session_for(server_url(), name, 0);
	open_or_fail(s);

	snprintf(cmd, sizeof(cmd),
		 "scripts/rabbitmq.sh ctl '%s' list_connections client_properties timeout",
		 rabbit_dir());
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (!strstr(line, property))
			continue;
		named = true;
		assert_non_null(strstr(line, "{\"product\",\"discovery\"}"));
		heartbeat = strstr(line, "\t10\n") != NULL;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(named);
	assert_true(heartbeat);
	amqp_session_free(s);
}

static bool broker_paused;
static pid_t pause_child = -1;

static void rabbit(const char *action)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "scripts/rabbitmq.sh %s '%s'", action, rabbit_dir());
	assert_int_equal(system(cmd), 0);
}

static int resume_if_paused(void **state)
{
	(void)state;
	if (pause_child > 0)
		(void)waitpid(pause_child, NULL, 0);
	pause_child = -1;
	if (broker_paused) {
		broker_paused = false;
		rabbit("resume");
	}
	return 0;
}

/* Reconnects with backoff and subscribes again; returns the attempts. */
static int reconnect(struct amqp_session *s, struct backoff *b, int64_t limit_ms, char *queue,
		     size_t len)
{
	int64_t end = timing_mono_ms() + limit_ms;
	int attempts = 0;
	char err[512];

	for (;;) {
		attempts++;
		if (amqp_session_open(s, err, sizeof(err)) == 0)
			break;
		assert_null(strstr(err, ":guest@"));
		if (timing_mono_ms() > end)
			fail_msg("no reconnect within %lld ms: %s", (long long)limit_ms, err);
		timing_sleep_ms(backoff_next_ms(b));
	}
	backoff_reset(b);
	subscribe(s, queue, len);
	return attempts;
}

static void amqp_session_should_survive_a_broker_outage(void **state)
{
	struct amqp_session *sub = session_for(server_url(), "discovery:test:outage", 0);
	struct amqp_session *pub = session_for(server_url(), NULL, 0);
	struct amqp_session_delivery d;
	struct backoff b;
	char queue[256];
	char err[512];
	int64_t paused_at;
	int64_t pause_done = 0;
	int64_t lost_at = 0;
	int64_t resumed_at;
	int attempts = 0;
	int status;
	int rc = 0;
	pid_t child;

	(void)state;
	if (!rabbit_dir())
		skip();
	backoff_init(&b);
	open_or_fail(sub);
	subscribe(sub, queue, sizeof(queue));

	/* Pause in a child while this process keeps waiting for deliveries. */
	paused_at = timing_mono_ms();
	broker_paused = true;
	child = fork();
	assert_true(child >= 0);
	pause_child = child;
	if (child == 0) {
		execl("scripts/rabbitmq.sh", "rabbitmq.sh", "pause", rabbit_dir(), (char *)NULL);
		_exit(127);
	}
	while (timing_mono_ms() - paused_at < 20000) {
		rc = amqp_session_next(sub, 100, &d);
		if (rc < 0) {
			lost_at = timing_mono_ms();
			break;
		}
		if (!pause_done && waitpid(child, &status, WNOHANG) == child)
			pause_done = timing_mono_ms();
	}
	if (!pause_done) {
		assert_int_equal(waitpid(child, &status, 0), child);
		pause_done = timing_mono_ms();
	}
	pause_child = -1;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rc, AMQP_SESSION_ERR_LOST);
	assert_false(amqp_session_is_open(sub));
	print_message("loss detected %lld ms after the pause began; pause command took %lld ms\n",
		      (long long)(lost_at - paused_at), (long long)(pause_done - paused_at));

	/* While the broker is away, attempts fail and back off. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(amqp_session_open(sub, err, sizeof(err)),
				 AMQP_SESSION_ERR_CONNECT);
		assert_null(strstr(err, ":guest@"));
		timing_sleep_ms(backoff_next_ms(&b));
	}
	assert_int_equal(amqp_session_next(sub, 10, &d), AMQP_SESSION_ERR_NOT_OPEN);

	broker_paused = false;
	rabbit("resume");
	resumed_at = timing_mono_ms();
	attempts = reconnect(sub, &b, 30000, queue, sizeof(queue));
	print_message("reconnected %lld ms after resume returned, %d attempt(s)\n",
		      (long long)(timing_mono_ms() - resumed_at), attempts);

	open_or_fail(pub);
	publish_token(pub, TOKEN_BODY);
	assert_int_equal(next_within(sub, 3000, &d), 1);
	assert_memory_equal(d.body, TOKEN_BODY, d.len);
	assert_string_equal(d.routing_key, TOKEN_KEY);

	amqp_session_free(pub);
	amqp_session_free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amqp_session_new_should_reject_bad_urls),
		cmocka_unit_test(amqp_session_should_deliver_a_token_intact),
		cmocka_unit_test(amqp_session_publish_should_set_the_contract_properties),
		cmocka_unit_test(amqp_session_next_should_return_0_on_timeout),
		cmocka_unit_test(amqp_session_calls_should_report_a_closed_session),
		cmocka_unit_test(amqp_session_declare_should_report_a_refusal_and_close),
		cmocka_unit_test(amqp_session_next_should_report_a_channel_closed_by_the_broker),
		cmocka_unit_test(amqp_session_open_should_report_a_refused_login),
		cmocka_unit_test(amqp_session_open_should_fail_fast_on_a_closed_port),
		cmocka_unit_test(amqp_session_open_should_move_along_a_list_of_nodes),
		cmocka_unit_test(amqp_session_open_should_give_up_on_a_silent_broker),
		cmocka_unit_test(amqp_session_open_should_fail_tls_against_a_plain_port),
		cmocka_unit_test(amqp_session_open_should_name_the_connection),
		cmocka_unit_test(amqp_session_next_should_notice_a_silent_link_by_heartbeat),
		cmocka_unit_test_teardown(amqp_session_should_survive_a_broker_outage,
					  resume_if_paused),
	};

	log_init("test_amqp_session", LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
