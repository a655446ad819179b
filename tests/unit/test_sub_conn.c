#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "subscriber/sub_conn.h"

static void sub_conn_closed_should_give_what_created_said_once(void **state)
{
	struct sub_conn *c = sub_conn_new(10);
	char user[SUB_CONN_FIELD_MAX], vhost[SUB_CONN_FIELD_MAX];
	(void)state;

	sub_conn_created(c, "<rabbit@h.1.2.0>", "svc", "/");
	assert_int_equal(sub_conn_count(c), 1);
	assert_false(sub_conn_closed(c, "<rabbit@h.1.3.0>", user, vhost));
	assert_true(sub_conn_closed(c, "<rabbit@h.1.2.0>", user, vhost));
	assert_string_equal(user, "svc");
	assert_string_equal(vhost, "/");
	assert_false(sub_conn_closed(c, "<rabbit@h.1.2.0>", user, vhost));
	assert_int_equal(sub_conn_count(c), 0);
	sub_conn_free(c);
}

static void sub_conn_created_should_forget_the_oldest_past_its_bound(void **state)
{
	struct sub_conn *c = sub_conn_new(2);
	char user[SUB_CONN_FIELD_MAX], vhost[SUB_CONN_FIELD_MAX];
	(void)state;

	sub_conn_created(c, "p1", "u1", "/");
	sub_conn_created(c, "p2", "u2", "/");
	sub_conn_created(c, "p3", "u3", "v");
	assert_int_equal(sub_conn_count(c), 2);
	assert_false(sub_conn_closed(c, "p1", user, vhost));
	assert_true(sub_conn_closed(c, "p3", user, vhost));
	assert_string_equal(user, "u3");
	assert_string_equal(vhost, "v");
	assert_true(sub_conn_closed(c, "p2", user, vhost));
	sub_conn_free(c);
}

static void sub_conn_parse_name_should_split_service_instance_and_incarnation(void **state)
{
	struct sub_conn_name n;
	(void)state;

	assert_int_equal(sub_conn_parse_name("discovery:acct:10.0.9.1:8080:0123456789abcdef", &n), 0);
	assert_string_equal(n.service, "acct");
	assert_string_equal(n.instance_id, "10.0.9.1:8080");
	assert_string_equal(n.incarnation, "0123456789abcdef");
	assert_int_equal(sub_conn_parse_name("discovery:acct:[fd00::1]:80:0123456789abcdef", &n), 0);
	assert_string_equal(n.instance_id, "[fd00::1]:80");
	assert_int_equal(sub_conn_parse_name("discovery:acct:i:0123456789abcdef", &n), 0);
	assert_string_equal(n.instance_id, "i");
}

static void sub_conn_parse_name_should_refuse_other_names(void **state)
{
	struct sub_conn_name n;
	(void)state;

	/* The name publishers used before incarnations. */
	assert_int_equal(sub_conn_parse_name("discovery:acct:10.0.9.1", &n), -1);
	assert_int_equal(sub_conn_parse_name("discovery:acct:10.0.9.1:8080", &n), -1);
	assert_int_equal(sub_conn_parse_name("discovery-registry:host", &n), -1);
	assert_int_equal(sub_conn_parse_name("discovery:acct::0123456789abcdef", &n), -1);
	assert_int_equal(sub_conn_parse_name("discovery:Bad:i:0123456789abcdef", &n), -1);
	assert_int_equal(sub_conn_parse_name("discovery::i:0123456789abcdef", &n), -1);
	assert_int_equal(sub_conn_parse_name("discovery:acct:i:0123456789abcdeg", &n), -1);
	assert_int_equal(sub_conn_parse_name("", &n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sub_conn_closed_should_give_what_created_said_once),
		cmocka_unit_test(sub_conn_created_should_forget_the_oldest_past_its_bound),
		cmocka_unit_test(sub_conn_parse_name_should_split_service_instance_and_incarnation),
		cmocka_unit_test(sub_conn_parse_name_should_refuse_other_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
