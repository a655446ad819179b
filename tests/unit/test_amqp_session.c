/*
 * The session's list of broker URLs, without a broker: which lists are
 * accepted, how a bad one is named, where a session starts, and that an
 * open tries every node of the list. What a real broker does with a list
 * is in tests/integration/test_amqp_session.c and test_cluster.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../port_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "amqp_session.h"

static struct amqp_session *session_for(const char *url)
{
	struct amqp_session_options o = {.url = url, .timeout_ms = 1000};

	return amqp_session_new(&o);
}

static void amqp_session_check_url_should_accept_a_list_of_nodes(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(amqp_session_check_url("amqp://guest:guest@localhost:5672/", err,
						sizeof(err)),
			 0);
	assert_int_equal(amqp_session_check_url("amqp://a:x@r1:5672/,amqp://a:x@r2:5672/,"
						"amqps://b:y%2Cz@r3:5671/prod",
						err, sizeof(err)),
			 0);
	/* A ',' in a password that no URL follows stays in the password. */
	assert_int_equal(amqp_session_check_url("amqp://a:x,y@r1/,amqp://r2", err, sizeof(err)),
			 0);
}

static void amqp_session_check_url_should_name_the_bad_url_of_a_list(void **state)
{
	char err[512] = "";

	(void)state;
	assert_true(amqp_session_check_url("amqp://a:pw1@r1/,amqp://b:pw2@r2:99999/", err,
					   sizeof(err)) < 0);
	assert_non_null(strstr(err, "URL 2 of 2: 'amqp://b:***@r2:99999/' does not parse"));
	assert_null(strstr(err, "pw2"));
	assert_true(amqp_session_check_url("amqp://r1/,http://u:pw@r2/", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "URL 2 of 2: 'http://u:***@r2/' is not an amqp://"));
	assert_true(amqp_session_check_url(",amqp://r1/", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "URL 1 of 2: an empty URL"));
	/* Not a plain ',': said so rather than read as one odd URL. */
	assert_true(amqp_session_check_url("amqp://u:pw@r1/, amqp://u:pw@r2/", err,
					   sizeof(err)) < 0);
	assert_non_null(strstr(err, "no spaces"));
	assert_null(strstr(err, "pw"));
}

static void amqp_session_new_should_start_at_a_random_node(void **state)
{
	const char *list = "amqp://r1/,amqp://r2/,amqp://r3/";
	int seen[3] = {0};

	(void)state;
	for (int i = 0; i < 300; i++) {
		struct amqp_session *s = session_for(list);
		const char *node;

		assert_non_null(s);
		assert_int_equal(amqp_session_node_count(s), 3);
		node = amqp_session_node(s);
		assert_true(strncmp(node, "amqp://r", 8) == 0);
		seen[node[8] - '1']++;
		amqp_session_free(s);
	}
	/* 300 draws of three: each is chosen about 100 times. */
	for (int i = 0; i < 3; i++)
		assert_true(seen[i] > 50);
}

static void amqp_session_open_should_try_every_node_and_mask_them(void **state)
{
	char list[256], err[512];
	struct amqp_session *s;

	(void)state;
	snprintf(list, sizeof(list), "amqp://u:s3cr3t@127.0.0.1:%d/,amqp://v:0th3r@127.0.0.1:%d/",
		 fixture_closed_port(), fixture_closed_port());
	s = session_for(list);
	assert_non_null(s);
	assert_int_equal(amqp_session_open(s, err, sizeof(err)), AMQP_SESSION_ERR_CONNECT);
	assert_false(amqp_session_is_open(s));
	assert_non_null(strstr(err, "none of the 2 nodes answered"));
	assert_null(strstr(err, "s3cr3t"));
	assert_null(strstr(err, "0th3r"));
	assert_null(strstr(amqp_session_node(s), "s3cr3t"));
	assert_null(strstr(amqp_session_node(s), "0th3r"));
	amqp_session_free(s);
}

static void amqp_session_new_should_take_each_nodes_credentials(void **state)
{
	struct amqp_session *s = session_for("amqp://alice:a@r1/one,amqp://bob:b@r2/two");
	bool alice;

	(void)state;
	assert_non_null(s);
	alice = strcmp(amqp_session_user(s), "alice") == 0;
	assert_string_equal(amqp_session_user(s), alice ? "alice" : "bob");
	assert_string_equal(amqp_session_vhost(s), alice ? "one" : "two");
	assert_string_equal(amqp_session_node(s), alice ? "amqp://alice:***@r1/one"
							: "amqp://bob:***@r2/two");
	amqp_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amqp_session_check_url_should_accept_a_list_of_nodes),
		cmocka_unit_test(amqp_session_check_url_should_name_the_bad_url_of_a_list),
		cmocka_unit_test(amqp_session_new_should_start_at_a_random_node),
		cmocka_unit_test(amqp_session_open_should_try_every_node_and_mask_them),
		cmocka_unit_test(amqp_session_new_should_take_each_nodes_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
