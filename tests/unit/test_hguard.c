/*
 * hguard against a real libmicrohttpd daemon on loopback: the body check on
 * the first call of the handler, the connection state in the socket
 * context, and the per-client cap, counted from the front door's accept
 * (hfront.h) to the daemon's close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hguard.h"
#include "../port_fixture.h"

#define MAX_BODY 100

struct server {
	struct MHD_Daemon *daemon;
	struct peercap *peers;
	struct hfront_shared front;
	struct hfront_thread *front_thread;
	uint16_t port;
	atomic_int seen_state; /* the handler found its connection's state */
};

static struct server srv;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
	static const char body[] = "{}";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	static int marker;
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &marker;
		if (hguard_conn_of(c) != NULL)
			atomic_store(&srv.seen_state, 1);
		if (hguard_body_too_large(c, MAX_BODY))
			return answer(c, MHD_HTTP_CONTENT_TOO_LARGE);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(c, MHD_HTTP_OK);
}

static void connection_event(void *cls, struct MHD_Connection *c, void **socket_ctx,
			     enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		assert_non_null(hguard_conn_start(srv.peers, &srv.front, c, socket_ctx));
	else
		hguard_conn_end(srv.peers, socket_ctx);
}

static bool admit(void *cls, int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)cls;
	return MHD_add_connection(srv.daemon, fd, sa, len) == MHD_YES;
}

static size_t refuse(void *cls, const struct hreq_refusal *why, bool head, char *buf, size_t cap)
{
	(void)cls;
	return hfront_answer(buf, cap, why->status, "", "{}", head);
}

static int setup(void **state)
{
	char err[128];
	int port, fd;
	struct hfront *f;

	(void)state;
	srv.peers = peercap_new(1, 0);
	if (srv.peers == NULL || hfront_shared_init(&srv.front) < 0)
		return -1;
	srv.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
					      MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
				      0, NULL, NULL, access_handler, NULL,
				      MHD_OPTION_NOTIFY_CONNECTION, connection_event, NULL,
				      MHD_OPTION_END);
	fd = hfront_listen(0, 16, &port, err, sizeof(err));
	if (srv.daemon == NULL || fd < 0)
		return -1;
	f = hfront_new(&(struct hfront_options){
		.listen_fd = fd,
		.limits = {.max_head = 1024, .max_fields = 16},
		.timeout_ms = 5000,
		.peers = srv.peers,
		.shared = &srv.front,
		.admit = admit,
		.refuse = refuse,
	});
	srv.front_thread = f != NULL ? hfront_thread_start(f) : NULL;
	if (srv.front_thread == NULL)
		return -1;
	srv.port = (uint16_t)port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hfront_thread_stop(srv.front_thread);
	MHD_stop_daemon(srv.daemon);
	hfront_shared_destroy(&srv.front, srv.peers);
	peercap_free(srv.peers);
	return 0;
}

/* Sends the request and returns the status of the answer (0: none). */
static int status_of(int fd, const char *request)
{
	char buf[512];
	ssize_t n;
	int status = 0;
	assert_int_equal(send(fd, request, strlen(request), MSG_NOSIGNAL),
			 (ssize_t)strlen(request));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

static void hguard_body_too_large_should_refuse_a_big_body_before_reading_it(void **state)
{
	(void)state;
	int fd = fixture_dial(srv.port);
	/* Nothing of the 50 MB is sent: the answer comes from the headers. */
	assert_int_equal(status_of(fd, "GET / HTTP/1.1\r\nHost: t\r\n"
				       "Content-Length: 50000000\r\n\r\n"),
			 413);
	close(fd);
	assert_int_equal(atomic_load(&srv.seen_state), 1);
}

static void hguard_body_too_large_should_refuse_a_body_of_unknown_length(void **state)
{
	(void)state;
	int fd = fixture_dial(srv.port);
	assert_int_equal(status_of(fd, "GET / HTTP/1.1\r\nHost: t\r\n"
				       "Transfer-Encoding: chunked\r\n\r\n"),
			 413);
	close(fd);
}

static void hguard_body_too_large_should_let_a_small_body_through(void **state)
{
	(void)state;
	int fd = fixture_dial(srv.port);
	assert_int_equal(status_of(fd, "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"),
			 200);
	/* The same connection serves the next request: the cap is one. */
	assert_int_equal(status_of(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
	close(fd);
}

/* Until the daemon has seen the earlier connections close (bounded). */
static void wait_no_connections(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 5000; i++) {
		if (peercap_count(srv.peers, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return;
		usleep(1000);
	}
	fail_msg("connections still counted after 5 s");
}

/* Each case starts with no connection counted: the cap is one. */
static int no_connections(void **state)
{
	(void)state;
	wait_no_connections();
	return 0;
}

static void hguard_conn_start_should_keep_the_count_of_the_front_door(void **state)
{
	(void)state;
	struct peercap_stats ps;
	int first, second;
	char c;
	first = fixture_dial(srv.port);
	assert_int_equal(status_of(first, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
	/* The first is the daemon's now, still counted: the front door
	 * closes the second. */
	second = fixture_dial(srv.port);
	assert_int_equal(recv(second, &c, 1, 0), 0);
	close(second);
	close(first);
	peercap_stats(srv.peers, &ps);
	assert_true(ps.refused_per_peer >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			hguard_body_too_large_should_refuse_a_big_body_before_reading_it,
			no_connections),
		cmocka_unit_test_setup(hguard_body_too_large_should_refuse_a_body_of_unknown_length,
				       no_connections),
		cmocka_unit_test_setup(hguard_body_too_large_should_let_a_small_body_through,
				       no_connections),
		cmocka_unit_test_setup(hguard_conn_start_should_keep_the_count_of_the_front_door,
				       no_connections),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
