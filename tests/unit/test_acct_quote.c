/*
 * The quote client, driven by an epoll loop of this test, against a
 * quotes-service played by a plain socket server on loopback that records
 * how each connection asked to be handled and how it ended: a clean end of
 * stream (recv returns 0 after the client's FIN) or a reset (ECONNRESET),
 * which is what a real quotes-service logs as an error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "accountservice/acct_quote.h"
#include "timing.h"

#define CALLS		200
#define CALL_TIMEOUT_MS 2000
/* Only catches a hang: a call on loopback takes well under a millisecond. */
#define CALL_BOUND_MS 10000
#define SERVER_RECV_S 5
#define FIN_DELAY_MS  2
#define CLOSE_WAIT_MS 500
#define QUOTE_BODY                                                                                 \
	"{\"quote\":\"Closed cleanly.\",\"ipAddress\":\"test/127.0.0.1:1\",\"language\":\"en\"}"

/* What the server saw, over all its connections. */
struct server {
	int listen_fd;
	int port;
	int expected;		     /* connections to serve before the thread ends */
	int time_waits_before;	     /* client-side, from an earlier user of the port */
	long fin_delay_ms;	     /* between the answer and the server's close */
	struct acct_metrics metrics; /* of the client */
	pthread_t thread;
	int asked_close; /* requests with "Connection: close" */
	int ended_fin;	 /* recv returned 0: the client closed in order */
	int ended_reset; /* recv failed with ECONNRESET */
	int ended_other; /* anything else: a timeout, another error */
};

/* Reads up to the end of the request headers; 0, or -1 when the client
 * went away or took too long. */
static int server_read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len < cap - 1) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

/*
 * One connection: answers one request the way a server keeping to HTTP/1.1
 * does (closing its side after the answer only when asked to, else waiting
 * for the next request), then reads until the client's end and says how it
 * ended.
 */
static void server_serve(struct server *s, int fd)
{
	struct timeval tv = {.tv_sec = SERVER_RECV_S};
	char req[4096], resp[512];
	bool close_asked;
	int len;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (server_read_request(fd, req, sizeof(req)) != 0) {
		s->ended_other++;
		return;
	}
	close_asked = strcasestr(req, "\r\nConnection: close\r\n") != NULL;
	s->asked_close += close_asked;
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		       "Content-Length: %zu\r\n%s\r\n%s",
		       strlen(QUOTE_BODY), close_asked ? "Connection: close\r\n" : "", QUOTE_BODY);
	if (send(fd, resp, (size_t)len, MSG_NOSIGNAL) != len) {
		s->ended_other++;
		return;
	}
	if (close_asked) {
		if (s->fin_delay_ms > 0)
			timing_sleep_ms(s->fin_delay_ms);
		shutdown(fd, SHUT_WR);
	}
	n = recv(fd, req, sizeof(req), 0);
	if (n == 0)
		s->ended_fin++;
	else if (n < 0 && errno == ECONNRESET)
		s->ended_reset++;
	else
		s->ended_other++;
}

static void *server_run(void *arg)
{
	struct server *s = arg;
	for (int i = 0; i < s->expected; i++) {
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			break;
		server_serve(s, fd);
		close(fd);
	}
	return NULL;
}

/* Sockets of this machine in TIME_WAIT whose remote end is the server's
 * port: the client's side of quote connections (the server's own have it
 * as their local port). From /proc/net/tcp: "sl local rem st ...", ports
 * in hex, TIME_WAIT is state 06. */
static int client_time_waits(int port)
{
	char line[512];
	int count = 0;
	FILE *f = fopen("/proc/net/tcp", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned rem_port, st;
		if (sscanf(line, " %*d: %*x:%*x %*x:%x %x", &rem_port, &st) == 2 &&
		    (int)rem_port == port && st == 0x06)
			count++;
	}
	fclose(f);
	return count;
}

static void server_start(struct server *s, int expected, long fin_delay_ms)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	*s = (struct server){.expected = expected, .fin_delay_ms = fin_delay_ms};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->listen_fd, 16), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	s->time_waits_before = client_time_waits(s->port);
	assert_int_equal(pthread_create(&s->thread, NULL, server_run, s), 0);
}

static void server_join(struct server *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->listen_fd);
}

/* ---- the client side: the quote client in an epoll loop --------------- */

struct call {
	bool done;
	enum acct_quote_outcome outcome;
};

static void on_quote(void *arg, cJSON *quote, enum acct_quote_outcome outcome)
{
	struct call *c = arg;
	c->done = true;
	c->outcome = outcome;
	cJSON_Delete(quote);
}

/* One turn of an event loop of the service. */
static void loop_once(struct acct_quotes *q, int epoll_fd, int64_t deadline)
{
	struct epoll_event ev[8];
	long wait = acct_quotes_timeout_ms(q);
	int n = epoll_wait(epoll_fd, ev, 8, wait < 0 || wait > 100 ? 100 : (int)wait);
	assert_true(n >= 0 || errno == EINTR);
	for (int i = 0; i < n; i++)
		acct_quotes_on_socket(q, ev[i].data.fd, ev[i].events);
	if (acct_quotes_timeout_ms(q) == 0)
		acct_quotes_on_timeout(q);
	assert_true(timing_mono_ms() < deadline);
}

/* One call, run to its end as an event loop of the service would. */
static enum acct_quote_outcome quote_once(struct acct_quotes *q, int epoll_fd)
{
	struct call c = {0};
	int64_t deadline = timing_mono_ms() + CALL_BOUND_MS;

	assert_int_equal(acct_quotes_get(q, on_quote, &c), 0);
	while (!c.done)
		loop_once(q, epoll_fd, deadline);
	return c.outcome;
}

/* CALLS quote calls against a fresh server, one after another, each
 * waiting up to close_wait_ms for the server's close. */
static void quote_calls(struct server *s, long fin_delay_ms, long close_wait_ms)
{
	char url[96];
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct acct_quotes *q;

	assert_true(epoll_fd >= 0);
	server_start(s, CALLS, fin_delay_ms);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/quote?strength=4", s->port);
	acct_metrics_init(&s->metrics);
	q = acct_quotes_new(epoll_fd, url, CALL_TIMEOUT_MS, close_wait_ms, NULL, &s->metrics);
	assert_non_null(q);
	for (int i = 0; i < CALLS; i++)
		assert_int_equal(quote_once(q, epoll_fd), ACCT_QUOTE_OK);
	assert_int_equal(acct_quotes_in_flight(q), 0);
	/* The loop runs on until nothing waits on a timer: the last socket
	 * may still be waiting for the server's close. */
	for (int64_t deadline = timing_mono_ms() + CALL_BOUND_MS; acct_quotes_timeout_ms(q) >= 0;)
		loop_once(q, epoll_fd, deadline);
	acct_quotes_free(q);
	close(epoll_fd);
	server_join(s);
}

static void acct_quotes_get_should_ask_the_server_to_close(void **state)
{
	struct server s;
	(void)state;
	quote_calls(&s, 0, CLOSE_WAIT_MS);
	assert_int_equal(s.asked_close, CALLS);
}

static void acct_quotes_get_should_end_every_connection_without_a_reset(void **state)
{
	struct server s;
	(void)state;
	quote_calls(&s, 0, CLOSE_WAIT_MS);
	printf("quote server: %d clean ends, %d resets, %d other, of %d calls\n", s.ended_fin,
	       s.ended_reset, s.ended_other, CALLS);
	assert_int_equal(s.ended_reset, 0);
	assert_int_equal(s.ended_other, 0);
	assert_int_equal(s.ended_fin, CALLS);
}

/* A server whose close comes a little after its answer, as across a
 * network: the client still waits for it, so the TIME_WAITs are all the
 * server's and none holds an ephemeral port of the client. */
static void acct_quotes_get_should_leave_no_time_wait_on_the_client(void **state)
{
	struct server s;
	int waits;
	(void)state;
	quote_calls(&s, FIN_DELAY_MS, CLOSE_WAIT_MS);
	waits = client_time_waits(s.port);
	printf("client-side TIME_WAIT towards the quote server: %d before, %d after %d calls\n",
	       s.time_waits_before, waits, CALLS);
	assert_true(waits <= s.time_waits_before);
	assert_int_equal(atomic_load(&s.metrics.quote_closes[ACCT_CLOSED_BY_SERVER]), CALLS);
	assert_int_equal(atomic_load(&s.metrics.quote_closes[ACCT_CLOSED_BY_SERVICE]), 0);
}

/* Told not to wait, the client closes first, keeps the TIME_WAITs and
 * says so in its counter. */
static void acct_quotes_get_should_count_its_own_closes_when_it_does_not_wait(void **state)
{
	struct server s;
	int waits;
	(void)state;
	quote_calls(&s, FIN_DELAY_MS, 0);
	waits = client_time_waits(s.port);
	assert_true(waits > s.time_waits_before);
	assert_int_equal(s.ended_reset, 0);
	assert_int_equal(atomic_load(&s.metrics.quote_closes[ACCT_CLOSED_BY_SERVICE]),
			 waits - s.time_waits_before);
}

static int group_setup(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acct_quotes_get_should_ask_the_server_to_close),
		cmocka_unit_test(acct_quotes_get_should_end_every_connection_without_a_reset),
		cmocka_unit_test(acct_quotes_get_should_leave_no_time_wait_on_the_client),
		cmocka_unit_test(acct_quotes_get_should_count_its_own_closes_when_it_does_not_wait),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
