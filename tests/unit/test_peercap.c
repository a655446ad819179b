#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "peercap.h"

static struct sockaddr_in v4(const char *text, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	assert_int_equal(inet_pton(AF_INET, text, &sa.sin_addr), 1);
	return sa;
}

#define SA(x) ((const struct sockaddr *)&(x)), sizeof(x)

static uint64_t refused_per_peer(struct peercap *p)
{
	struct peercap_stats st;
	peercap_stats(p, &st);
	return st.refused_per_peer;
}

static void peercap_admit_should_refuse_past_the_cap_per_address(void **state)
{
	(void)state;
	struct peercap *p = peercap_new(2, 0);
	struct sockaddr_in a1 = v4("127.0.0.2", 1000), a2 = v4("127.0.0.2", 1001);
	struct sockaddr_in b = v4("127.0.0.1", 1000);
	assert_non_null(p);
	assert_true(peercap_admit(p, SA(a1)));
	struct peercap_peer *first = peercap_open(p, SA(a1));
	assert_true(peercap_admit(p, SA(a2)));
	struct peercap_peer *second = peercap_open(p, SA(a2));
	assert_ptr_equal(first, second); /* the port is not part of the address */
	assert_int_equal(peercap_count(p, SA(a1)), 2);
	assert_false(peercap_admit(p, SA(a1)));
	assert_true(peercap_admit(p, SA(b))); /* another address is not held up */
	assert_int_equal(refused_per_peer(p), 1);
	peercap_close(p, first);
	assert_true(peercap_admit(p, SA(a1)));
	peercap_close(p, second);
	assert_int_equal(peercap_count(p, SA(a1)), 0);
	peercap_free(p);
}

static void peercap_admit_should_tell_ipv6_addresses_apart(void **state)
{
	(void)state;
	struct peercap *p = peercap_new(1, 0);
	struct sockaddr_in6 x = {.sin6_family = AF_INET6}, y = {.sin6_family = AF_INET6};
	assert_int_equal(inet_pton(AF_INET6, "::1", &x.sin6_addr), 1);
	assert_int_equal(inet_pton(AF_INET6, "::2", &y.sin6_addr), 1);
	struct peercap_peer *peer = peercap_open(p, SA(x));
	assert_non_null(peer);
	assert_false(peercap_admit(p, SA(x)));
	assert_true(peercap_admit(p, SA(y)));
	peercap_close(p, peer);
	peercap_free(p);
}

static void peercap_admit_should_admit_everything_without_a_cap(void **state)
{
	(void)state;
	struct peercap *p = peercap_new(0, 0);
	struct sockaddr_in a = v4("10.0.0.1", 1);
	struct peercap_peer *peers[100];
	for (int i = 0; i < 100; i++) {
		assert_true(peercap_admit(p, SA(a)));
		peers[i] = peercap_open(p, SA(a));
	}
	assert_int_equal(peercap_count(p, SA(a)), 100);
	for (int i = 0; i < 100; i++)
		peercap_close(p, peers[i]);
	assert_int_equal(refused_per_peer(p), 0);
	peercap_free(p);
}

static void peercap_admit_should_refuse_everyone_once_all_are_open(void **state)
{
	(void)state;
	struct peercap *p = peercap_new(0, 2);
	struct sockaddr_in a = v4("10.0.0.1", 1), b = v4("10.0.0.2", 1);
	struct peercap_peer *pa = peercap_open(p, SA(a)), *pb = peercap_open(p, SA(b));
	struct peercap_stats st;
	assert_false(peercap_admit(p, SA(a)));
	assert_false(peercap_admit(p, SA(b)));
	peercap_close(p, pa);
	assert_true(peercap_admit(p, SA(b)));
	peercap_stats(p, &st);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.refused_full, 2);
	assert_int_equal(st.refused_per_peer, 0);
	peercap_close(p, pb);
	peercap_free(p);
}

static void peercap_open_should_ignore_other_families(void **state)
{
	(void)state;
	struct peercap *p = peercap_new(1, 0);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	assert_true(peercap_admit(p, SA(un)));
	assert_null(peercap_open(p, SA(un)));
	assert_true(peercap_admit(p, NULL, 0));
	peercap_close(p, NULL);
	peercap_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peercap_admit_should_refuse_past_the_cap_per_address),
		cmocka_unit_test(peercap_admit_should_tell_ipv6_addresses_apart),
		cmocka_unit_test(peercap_admit_should_admit_everything_without_a_cap),
		cmocka_unit_test(peercap_admit_should_refuse_everyone_once_all_are_open),
		cmocka_unit_test(peercap_open_should_ignore_other_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
