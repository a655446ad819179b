/*
 * Sockets that close after their server: real TCP connections on loopback,
 * the server's end held by the test, the client's end handed to the linger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accountservice/acct_linger.h"
#include "timing.h"

#define WAIT_MS 200
/* Only catches a hang. */
#define BOUND_MS 5000

struct pair {
	int client, server;
};

/* A connected pair on loopback. */
static struct pair pair_open(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct pair p;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	p.client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(p.client, (struct sockaddr *)&sa, sizeof(sa)), 0);
	p.server = accept(lfd, NULL, NULL);
	assert_true(p.server >= 0);
	close(lfd);
	return p;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* What the server's end reads next: 0 for the client's FIN, -errno. */
static ssize_t server_reads(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, 0);
	return n < 0 ? -errno : n;
}

/* Each case: an epoll set, the metrics, one pair, and a linger started by
 * the case with its wait. */
static struct fixture {
	int epoll_fd;
	struct acct_metrics metrics;
	struct pair p;
	struct acct_linger *l;
} fx;

static int setup(void **state)
{
	(void)state;
	fx.epoll_fd = epoll_create1(0);
	acct_metrics_init(&fx.metrics);
	fx.p = pair_open();
	fx.l = NULL;
	return fx.epoll_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	acct_linger_free(fx.l);
	close(fx.p.server);
	close(fx.epoll_fd);
	return 0;
}

static uint64_t closed_by(enum acct_quote_closer who)
{
	return atomic_load(&fx.metrics.quote_closes[who]);
}

static void start(long wait_ms)
{
	fx.l = acct_linger_new(fx.epoll_fd, wait_ms, &fx.metrics);
	assert_non_null(fx.l);
}

static void acct_linger_close_should_close_at_once_when_the_server_has_closed(void **state)
{
	struct pollfd pfd = {.fd = fx.p.client, .events = POLLRDHUP};
	(void)state;
	start(WAIT_MS);
	shutdown(fx.p.server, SHUT_WR);
	/* The FIN is in once the client's end says so. */
	assert_int_equal(poll(&pfd, 1, BOUND_MS), 1);
	assert_int_equal(acct_linger_close(fx.l, fx.p.client), 0);
	assert_false(fd_is_open(fx.p.client));
	assert_int_equal(acct_linger_deadline_ms(fx.l), -1);
	assert_int_equal(closed_by(ACCT_CLOSED_BY_SERVER), 1);
	assert_int_equal(server_reads(fx.p.server), 0);
}

static void acct_linger_close_should_wait_for_the_server_to_close_first(void **state)
{
	struct epoll_event ev;
	(void)state;
	start(BOUND_MS);
	assert_int_equal(acct_linger_close(fx.l, fx.p.client), 0);
	assert_true(fd_is_open(fx.p.client));
	assert_true(acct_linger_deadline_ms(fx.l) > timing_mono_ms());
	assert_false(acct_linger_on_socket(fx.l, fx.p.server));
	shutdown(fx.p.server, SHUT_WR);
	assert_int_equal(epoll_wait(fx.epoll_fd, &ev, 1, BOUND_MS), 1);
	assert_int_equal(ev.data.fd, fx.p.client);
	assert_true(acct_linger_on_socket(fx.l, fx.p.client));
	assert_false(fd_is_open(fx.p.client));
	assert_int_equal(acct_linger_deadline_ms(fx.l), -1);
	assert_int_equal(closed_by(ACCT_CLOSED_BY_SERVER), 1);
	assert_int_equal(closed_by(ACCT_CLOSED_BY_SERVICE), 0);
	assert_int_equal(server_reads(fx.p.server), 0);
}

static void acct_linger_expire_should_close_first_past_the_deadline(void **state)
{
	int64_t deadline;
	(void)state;
	start(WAIT_MS);
	assert_int_equal(acct_linger_close(fx.l, fx.p.client), 0);
	deadline = acct_linger_deadline_ms(fx.l);
	acct_linger_expire(fx.l);
	assert_true(fd_is_open(fx.p.client));
	while (timing_mono_ms() < deadline)
		timing_sleep_ms(deadline - timing_mono_ms());
	acct_linger_expire(fx.l);
	assert_false(fd_is_open(fx.p.client));
	assert_int_equal(closed_by(ACCT_CLOSED_BY_SERVICE), 1);
	/* An orderly close, not a reset. */
	assert_int_equal(server_reads(fx.p.server), 0);
}

static void acct_linger_close_should_not_wait_when_told_not_to(void **state)
{
	(void)state;
	start(0);
	assert_int_equal(acct_linger_close(fx.l, fx.p.client), 0);
	assert_false(fd_is_open(fx.p.client));
	assert_int_equal(closed_by(ACCT_CLOSED_BY_SERVICE), 1);
	assert_int_equal(server_reads(fx.p.server), 0);
}

static void acct_linger_free_should_close_what_still_waits(void **state)
{
	(void)state;
	start(BOUND_MS);
	assert_int_equal(acct_linger_close(fx.l, fx.p.client), 0);
	acct_linger_free(fx.l);
	fx.l = NULL;
	assert_false(fd_is_open(fx.p.client));
	assert_int_equal(server_reads(fx.p.server), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			acct_linger_close_should_close_at_once_when_the_server_has_closed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			acct_linger_close_should_wait_for_the_server_to_close_first, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			acct_linger_expire_should_close_first_past_the_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(acct_linger_close_should_not_wait_when_told_not_to,
						setup, teardown),
		cmocka_unit_test_setup_teardown(acct_linger_free_should_close_what_still_waits,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
