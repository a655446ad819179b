#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/* A datagram socket bound where NOTIFY_SOCKET says: a path, or "@name". */
static int bind_notify_socket(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(n < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
			 0);
	return fd;
}

/* What arrived on fd, without waiting: sdnotify_state has sent it or not. */
static void expect_datagram(int fd, const char *want)
{
	char got[128];
	ssize_t n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void sdnotify_state_should_send_to_a_socket_path(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/test_sdnotify.%d", (int)getpid());
	unlink(path);
	int fd = bind_notify_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	sdnotify_state("READY=1");
	expect_datagram(fd, "READY=1");
	sdnotify_state("STOPPING=1");
	expect_datagram(fd, "STOPPING=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
}

static void sdnotify_state_should_send_to_an_abstract_socket(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "@test_sdnotify.%d", (int)getpid());
	int fd = bind_notify_socket(name);
	setenv("NOTIFY_SOCKET", name, 1);
	sdnotify_state("READY=1");
	expect_datagram(fd, "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void sdnotify_state_should_do_nothing_without_notify_socket(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/test_sdnotify_none.%d", (int)getpid());
	unlink(path);
	int fd = bind_notify_socket(path);
	char got[16];
	unsetenv("NOTIFY_SOCKET");
	sdnotify_state("READY=1");
	setenv("NOTIFY_SOCKET", "", 1);
	sdnotify_state("READY=1");
	/* A relative name is no socket of systemd's: refused, not sent. */
	setenv("NOTIFY_SOCKET", "relative", 1);
	sdnotify_state("READY=1");
	assert_true(recv(fd, got, sizeof(got), MSG_DONTWAIT) < 0);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sdnotify_state_should_send_to_a_socket_path),
		cmocka_unit_test(sdnotify_state_should_send_to_an_abstract_socket),
		cmocka_unit_test(sdnotify_state_should_do_nothing_without_notify_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
