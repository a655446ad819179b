#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

#include "addr.h"

/* A fake interface list: lo, then the given IPv4 addresses in order. */
struct fake_ifs {
	struct ifaddrs nodes[4];
	struct sockaddr_in addrs[4];
};

static struct ifaddrs *fake_list(struct fake_ifs *f, const char *const *ips, size_t n)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		f->addrs[i].sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ips[i], &f->addrs[i].sin_addr), 1);
		f->nodes[i].ifa_name = i == 0 ? "lo" : "eth";
		f->nodes[i].ifa_flags = i == 0 ? IFF_LOOPBACK | IFF_UP : IFF_UP;
		f->nodes[i].ifa_addr = (struct sockaddr *)&f->addrs[i];
		f->nodes[i].ifa_next = i + 1 < n ? &f->nodes[i + 1] : NULL;
	}
	return f->nodes;
}

static void addr_pick_should_prefer_advertise_addr(void **state)
{
	(void)state;
	struct fake_ifs f;
	const char *ips[] = { "127.0.0.1", "10.0.0.5" };
	char out[ADDR_TEXT_MAX], err[128];
	assert_int_equal(addr_pick(fake_list(&f, ips, 2), "192.168.1.9", "10.0.0.0/8", out,
				   sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "192.168.1.9");
	assert_int_equal(addr_pick(NULL, "fd00::5", NULL, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "fd00::5");
}

static void addr_pick_should_reject_bad_advertise_addr(void **state)
{
	(void)state;
	char out[ADDR_TEXT_MAX], err[128];
	assert_true(addr_pick(NULL, "10.0.0.5:80", NULL, out, sizeof(out), err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "ADVERTISE_ADDR"));
	assert_true(addr_pick(NULL, "host.example", NULL, out, sizeof(out), err, sizeof(err)) < 0);
}

static void addr_pick_should_take_first_non_loopback(void **state)
{
	(void)state;
	struct fake_ifs f;
	const char *ips[] = { "127.0.0.1", "172.18.0.3", "10.0.0.7" };
	char out[ADDR_TEXT_MAX], err[128];
	assert_int_equal(addr_pick(fake_list(&f, ips, 3), NULL, NULL, out, sizeof(out), err,
				   sizeof(err)),
			 0);
	assert_string_equal(out, "172.18.0.3");
}

static void addr_pick_should_honour_cidr(void **state)
{
	(void)state;
	struct fake_ifs f;
	const char *ips[] = { "127.0.0.1", "172.18.0.3", "10.0.0.7" };
	char out[ADDR_TEXT_MAX], err[128];
	assert_int_equal(addr_pick(fake_list(&f, ips, 3), "", "10.0.0.0/24", out, sizeof(out),
				   err, sizeof(err)),
			 0);
	assert_string_equal(out, "10.0.0.7");
}

static void addr_pick_should_explain_when_nothing_matches(void **state)
{
	(void)state;
	struct fake_ifs f;
	const char *ips[] = { "127.0.0.1", "172.18.0.3" };
	char out[ADDR_TEXT_MAX], err[128];
	assert_true(addr_pick(fake_list(&f, ips, 2), NULL, "10.0.0.0/24", out, sizeof(out), err,
			      sizeof(err)) < 0);
	assert_non_null(strstr(err, "10.0.0.0/24"));
	assert_true(addr_pick(fake_list(&f, ips, 1), NULL, NULL, out, sizeof(out), err,
			      sizeof(err)) < 0);
	assert_non_null(strstr(err, "ADVERTISE_ADDR"));
}

static void addr_pick_should_reject_bad_cidr(void **state)
{
	(void)state;
	struct fake_ifs f;
	const char *ips[] = { "127.0.0.1", "10.0.0.7" };
	const char *bad[] = { "10.0.0.0", "10.0.0.0/33", "10.0.0/8", "10.0.0.0/x", "/8" };
	char out[ADDR_TEXT_MAX], err[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(addr_pick(fake_list(&f, ips, 2), NULL, bad[i], out, sizeof(out), err,
				      sizeof(err)) < 0);
}

static void addr_is_literal_should_accept_only_ip_literals(void **state)
{
	(void)state;
	assert_true(addr_is_literal("10.0.0.5"));
	assert_true(addr_is_literal("::1"));
	assert_true(addr_is_literal("fe80::1:2"));
	assert_false(addr_is_literal("10.0.0.256"));
	assert_false(addr_is_literal("10.0.0.5:80"));
	assert_false(addr_is_literal("[::1]"));
	assert_false(addr_is_literal(""));
	assert_false(addr_is_literal("localhost"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_pick_should_prefer_advertise_addr),
		cmocka_unit_test(addr_pick_should_reject_bad_advertise_addr),
		cmocka_unit_test(addr_pick_should_take_first_non_loopback),
		cmocka_unit_test(addr_pick_should_honour_cidr),
		cmocka_unit_test(addr_pick_should_explain_when_nothing_matches),
		cmocka_unit_test(addr_pick_should_reject_bad_cidr),
		cmocka_unit_test(addr_is_literal_should_accept_only_ip_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
