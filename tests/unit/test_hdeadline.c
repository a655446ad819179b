#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <unistd.h>

#include "hdeadline.h"

/* A connected pair: [0] stands for the server's socket, [1] the client. */
static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void hdeadline_expire_should_shut_down_only_what_is_due(void **state)
{
	(void)state;
	struct hdeadline d = {.timeout_ms = 100};
	struct hdeadline_entry a = {0}, b = {0};
	int sa[2], sb[2];
	char c;
	pair(sa);
	pair(sb);
	a.fd = sa[0];
	b.fd = sb[0];
	hdeadline_arm(&d, &a, 1000);
	hdeadline_arm(&d, &b, 1050);
	assert_int_equal(hdeadline_next(&d), 1100);
	assert_int_equal(hdeadline_expire(&d, 1099), 0);
	assert_int_equal(hdeadline_expire(&d, 1100), 1);
	assert_false(a.armed);
	assert_true(b.armed);
	assert_int_equal(read(sa[1], &c, 1), 0); /* the client sees the end */
	assert_int_equal(hdeadline_next(&d), 1150);
	hdeadline_disarm(&d, &b);
	assert_int_equal(hdeadline_next(&d), INT64_MAX);
	assert_int_equal(hdeadline_expire(&d, 5000), 0);
	for (int i = 0; i < 2; i++) {
		close(sa[i]);
		close(sb[i]);
	}
}

static void hdeadline_arm_should_move_a_rearmed_entry_to_the_end(void **state)
{
	(void)state;
	struct hdeadline d = {.timeout_ms = 10};
	struct hdeadline_entry a = {.fd = -1}, b = {.fd = -1};
	hdeadline_arm(&d, &a, 0);
	hdeadline_arm(&d, &b, 5);
	hdeadline_arm(&d, &a, 7);
	assert_ptr_equal(d.head, &b);
	assert_ptr_equal(d.tail, &a);
	assert_int_equal(hdeadline_next(&d), 15);
	hdeadline_disarm(&d, &a);
	hdeadline_disarm(&d, &a);
	hdeadline_disarm(&d, &b);
	assert_null(d.head);
	assert_null(d.tail);
}

static void hdeadline_arm_should_do_nothing_without_a_timeout(void **state)
{
	(void)state;
	struct hdeadline d = {.timeout_ms = 0};
	struct hdeadline_entry a = {.fd = -1};
	hdeadline_arm(&d, &a, 0);
	assert_false(a.armed);
	assert_int_equal(hdeadline_next(&d), INT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hdeadline_expire_should_shut_down_only_what_is_due),
		cmocka_unit_test(hdeadline_arm_should_move_a_rearmed_entry_to_the_end),
		cmocka_unit_test(hdeadline_arm_should_do_nothing_without_a_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
