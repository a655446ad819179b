/*
 * The front door (common/hfront.c) on loopback sockets, driven from the
 * test's own thread: the admit callback keeps the handed-over socket
 * instead of giving it to libmicrohttpd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hfront.h"
#include "timing.h"
#include "../port_fixture.h"

#define GOOD "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"

static struct {
	struct hfront_shared shared;
	struct peercap *peers;
	struct hfront *f;
	int port;
	int admitted[8];
	size_t nadmitted;
} t;

static bool admit(void *cls, int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)cls;
	(void)sa;
	(void)len;
	assert_true(t.nadmitted < 8);
	t.admitted[t.nadmitted++] = fd;
	return true;
}

static size_t refuse(void *cls, const struct hreq_refusal *why, bool head, char *buf, size_t cap)
{
	char body[128];
	(void)cls;
	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", why->message);
	return hfront_answer(buf, cap, why->status, "X-Test: 1\r\n", body, head);
}

static void start(size_t max_pending, size_t per_client, int64_t timeout_ms)
{
	char err[128];
	int fd;

	memset(&t, 0, sizeof(t));
	t.shared.max_pending = max_pending;
	assert_int_equal(hfront_shared_init(&t.shared), 0);
	t.peers = peercap_new(per_client, 0);
	fd = hfront_listen(0, 16, &t.port, err, sizeof(err));
	assert_true(fd >= 0);
	t.f = hfront_new(&(struct hfront_options){
		.listen_fd = fd,
		.limits = {.max_head = 256, .max_fields = 8},
		.timeout_ms = timeout_ms,
		.peers = t.peers,
		.shared = &t.shared,
		.admit = admit,
		.refuse = refuse,
	});
	assert_non_null(t.f);
}

static int teardown(void **state)
{
	(void)state;
	hfront_free(t.f);
	for (size_t i = 0; i < t.nadmitted; i++) {
		peercap_close(t.peers, hfront_claim(&t.shared, t.admitted[i]));
		close(t.admitted[i]);
	}
	hfront_shared_destroy(&t.shared, t.peers);
	peercap_free(t.peers);
	return 0;
}

static void say(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Runs the front door until cond holds (fails after 5 s). */
static void run_until(bool (*cond)(void))
{
	int64_t end = timing_mono_ms() + 5000;
	while (!cond()) {
		struct pollfd p = {.fd = hfront_fd(t.f), .events = POLLIN};
		assert_true(timing_mono_ms() < end);
		(void)poll(&p, 1, 10);
		hfront_run(t.f);
	}
}

static size_t want_admitted, want_holding;
static bool admitted_enough(void)
{
	return t.nadmitted >= want_admitted;
}
static bool holding_down(void)
{
	return hfront_holding(t.f) == want_holding;
}

/* Runs a while without a condition: for what must not happen. */
static void run_for(int ms)
{
	int64_t end = timing_mono_ms() + ms;
	while (timing_mono_ms() < end) {
		struct pollfd p = {.fd = hfront_fd(t.f), .events = POLLIN};
		(void)poll(&p, 1, 5);
		hfront_run(t.f);
	}
}

static void hfront_run_should_hand_over_a_good_head_with_every_byte_unread(void **state)
{
	char buf[256];
	int c;
	(void)state;
	start(0, 0, 5000);
	c = fixture_dial(t.port);
	say(c, GOOD "GET /next");
	want_admitted = 1;
	run_until(admitted_enough);
	assert_int_equal(recv(t.admitted[0], buf, sizeof(buf), 0), (ssize_t)strlen(GOOD "GET /next"));
	assert_memory_equal(buf, GOOD "GET /next", strlen(GOOD "GET /next"));
	assert_int_equal(hfront_holding(t.f), 0);
	assert_int_equal(atomic_load(&t.shared.pending), 0);
	close(c);
}

static void hfront_run_should_wait_for_a_head_sent_in_pieces(void **state)
{
	int c;
	(void)state;
	start(0, 0, 5000);
	c = fixture_dial(t.port);
	say(c, "GET /health HT");
	run_for(50);
	say(c, "TP/1.1\r\nHost: t\r\n");
	run_for(50);
	assert_int_equal(t.nadmitted, 0);
	assert_int_equal(atomic_load(&t.shared.pending), 1);
	say(c, "\r\n");
	want_admitted = 1;
	run_until(admitted_enough);
	close(c);
}

static void hfront_run_should_answer_a_bad_head_and_close_after_the_client(void **state)
{
	char buf[512];
	ssize_t n, got = 0;
	int c;
	(void)state;
	start(0, 0, 5000);
	c = fixture_dial(t.port);
	say(c, "GARBAGE\r\n\r\n");
	run_for(50);
	while ((n = recv(c, buf + got, sizeof(buf) - 1 - (size_t)got, 0)) > 0)
		got += n;
	assert_int_equal(n, 0); /* the server's end of the stream, not a reset */
	buf[got] = '\0';
	assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
	assert_non_null(strstr(buf, "Connection: close\r\n"));
	assert_non_null(strstr(buf, "X-Test: 1\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\n{\"error\":\"a request line is"));
	assert_int_equal(t.nadmitted, 0);
	close(c);
	want_holding = 0;
	run_until(holding_down);
}

static void hfront_run_should_close_a_head_past_its_timeout(void **state)
{
	char b;
	int c;
	(void)state;
	start(0, 0, 100);
	c = fixture_dial(t.port);
	say(c, "GET /health HTTP/1.1\r\n");
	want_holding = 1;
	run_until(holding_down);
	want_holding = 0;
	run_until(holding_down);
	assert_int_equal(atomic_load(&t.shared.timeouts), 1);
	assert_true(recv(c, &b, 1, 0) <= 0);
	close(c);
}

static void hfront_run_should_close_past_max_pending(void **state)
{
	char b;
	int first, second;
	(void)state;
	start(1, 0, 5000);
	first = fixture_dial(t.port);
	want_holding = 1;
	run_until(holding_down);
	second = fixture_dial(t.port);
	run_for(50);
	assert_int_equal(recv(second, &b, 1, 0), 0);
	assert_int_equal(atomic_load(&t.shared.refused_full), 1);
	assert_int_equal(hfront_holding(t.f), 1);
	close(second);
	close(first);
}

static void hfront_claim_should_keep_the_count_until_the_server_closes(void **state)
{
	struct sockaddr_in lo = {.sin_family = AF_INET};
	struct peercap_stats ps;
	char b;
	int first, second;
	(void)state;
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	start(0, 1, 5000);
	first = fixture_dial(t.port);
	say(first, GOOD);
	want_admitted = 1;
	run_until(admitted_enough);
	/* Handed over, not yet claimed: still counted, so the cap of one
	 * closes the next connection. */
	second = fixture_dial(t.port);
	run_for(50);
	assert_int_equal(recv(second, &b, 1, 0), 0);
	peercap_stats(t.peers, &ps);
	assert_int_equal(ps.refused_per_peer, 1);
	close(second);
	struct peercap_peer *peer = hfront_claim(&t.shared, t.admitted[0]);
	assert_non_null(peer);
	assert_null(hfront_claim(&t.shared, t.admitted[0]));
	assert_int_equal(peercap_count(t.peers, (struct sockaddr *)&lo, sizeof(lo)), 1);
	peercap_close(t.peers, peer);
	assert_int_equal(peercap_count(t.peers, (struct sockaddr *)&lo, sizeof(lo)), 0);
	close(first);
}

static void hfront_answer_should_leave_the_body_out_of_a_head_answer(void **state)
{
	char buf[256];
	(void)state;
	assert_true(hfront_answer(buf, sizeof(buf), 505, "", "{\"error\":\"x\"}", true) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 505 HTTP Version Not Supported\r\n"));
	assert_non_null(strstr(buf, "Content-Length: 13\r\n"));
	assert_null(strstr(buf, "{\"error\""));
	assert_int_equal(hfront_answer(buf, 16, 400, "", "{}", false), 0);
}

static void hfront_answer_should_carry_a_date(void **state)
{
	char buf[256], day[4], month[4], zone[4];
	const char *date;
	int d, y, hh, mm, ss;

	(void)state;
	assert_true(hfront_answer(buf, sizeof(buf), 400, "", "{}", false) > 0);
	date = strstr(buf, "\r\nDate: ");
	assert_non_null(date);
	/* IMF-fixdate, RFC 9110 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT". */
	assert_int_equal(sscanf(date, "\r\nDate: %3s, %2d %3s %4d %2d:%2d:%2d %3s", day, &d, month,
				&y, &hh, &mm, &ss, zone),
			 8);
	assert_string_equal(zone, "GMT");
	assert_true(y >= 2024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			hfront_run_should_hand_over_a_good_head_with_every_byte_unread, teardown),
		cmocka_unit_test_teardown(hfront_run_should_wait_for_a_head_sent_in_pieces,
					  teardown),
		cmocka_unit_test_teardown(
			hfront_run_should_answer_a_bad_head_and_close_after_the_client, teardown),
		cmocka_unit_test_teardown(hfront_run_should_close_a_head_past_its_timeout,
					  teardown),
		cmocka_unit_test_teardown(hfront_run_should_close_past_max_pending, teardown),
		cmocka_unit_test_teardown(
			hfront_claim_should_keep_the_count_until_the_server_closes, teardown),
		cmocka_unit_test(hfront_answer_should_leave_the_body_out_of_a_head_answer),
		cmocka_unit_test(hfront_answer_should_carry_a_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
