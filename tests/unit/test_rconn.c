#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "registry/rconn.h"

static void rconn_closed_should_give_what_created_said_once(void **state)
{
	struct rconn *c = rconn_new(10);
	char user[RCONN_FIELD_MAX], vhost[RCONN_FIELD_MAX];
	(void)state;

	rconn_created(c, "<rabbit@h.1.2.0>", "svc", "/");
	assert_int_equal(rconn_count(c), 1);
	assert_false(rconn_closed(c, "<rabbit@h.1.3.0>", user, vhost));
	assert_true(rconn_closed(c, "<rabbit@h.1.2.0>", user, vhost));
	assert_string_equal(user, "svc");
	assert_string_equal(vhost, "/");
	assert_false(rconn_closed(c, "<rabbit@h.1.2.0>", user, vhost));
	assert_int_equal(rconn_count(c), 0);
	rconn_free(c);
}

static void rconn_created_should_forget_the_oldest_past_its_bound(void **state)
{
	struct rconn *c = rconn_new(2);
	char user[RCONN_FIELD_MAX], vhost[RCONN_FIELD_MAX];
	(void)state;

	rconn_created(c, "p1", "u1", "/");
	rconn_created(c, "p2", "u2", "/");
	rconn_created(c, "p3", "u3", "v");
	assert_int_equal(rconn_count(c), 2);
	assert_false(rconn_closed(c, "p1", user, vhost));
	assert_true(rconn_closed(c, "p3", user, vhost));
	assert_string_equal(user, "u3");
	assert_string_equal(vhost, "v");
	assert_true(rconn_closed(c, "p2", user, vhost));
	rconn_free(c);
}

static void rconn_parse_name_should_split_service_instance_and_incarnation(void **state)
{
	struct rconn_name n;
	(void)state;

	assert_int_equal(rconn_parse_name("discovery:acct:10.0.9.1:8080:0123456789abcdef", &n), 0);
	assert_string_equal(n.service, "acct");
	assert_string_equal(n.instance_id, "10.0.9.1:8080");
	assert_string_equal(n.incarnation, "0123456789abcdef");
	assert_int_equal(rconn_parse_name("discovery:acct:[fd00::1]:80:0123456789abcdef", &n), 0);
	assert_string_equal(n.instance_id, "[fd00::1]:80");
	assert_int_equal(rconn_parse_name("discovery:acct:i:0123456789abcdef", &n), 0);
	assert_string_equal(n.instance_id, "i");
}

static void rconn_parse_name_should_refuse_other_names(void **state)
{
	struct rconn_name n;
	(void)state;

	/* The name publishers used before incarnations. */
	assert_int_equal(rconn_parse_name("discovery:acct:10.0.9.1", &n), -1);
	assert_int_equal(rconn_parse_name("discovery:acct:10.0.9.1:8080", &n), -1);
	assert_int_equal(rconn_parse_name("discovery-registry:host", &n), -1);
	assert_int_equal(rconn_parse_name("discovery:acct::0123456789abcdef", &n), -1);
	assert_int_equal(rconn_parse_name("discovery:Bad:i:0123456789abcdef", &n), -1);
	assert_int_equal(rconn_parse_name("discovery::i:0123456789abcdef", &n), -1);
	assert_int_equal(rconn_parse_name("discovery:acct:i:0123456789abcdeg", &n), -1);
	assert_int_equal(rconn_parse_name("", &n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rconn_closed_should_give_what_created_said_once),
		cmocka_unit_test(rconn_created_should_forget_the_oldest_past_its_bound),
		cmocka_unit_test(rconn_parse_name_should_split_service_instance_and_incarnation),
		cmocka_unit_test(rconn_parse_name_should_refuse_other_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
