/*
 * The subscriber library through its public header, against a real broker
 * (AMQP_SERVER_URL from tests/run.sh), with sidecar publishers
 * ($BUILD/bin/publisher) as the instances it follows: the host's own poll
 * loop (subscriber_fd, subscriber_step) and the library's thread, the
 * callbacks, the snapshot, the services filter, a clean stop (DOWN) and a
 * SIGKILL (connection-lost).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "discovery/subscriber.h"
#include "timing.h"

/* Generous bounds for a loaded machine; what is measured is printed. */
#define WAIT_MS 15000

static char sidecar_path[512];

static const char *amqp_url(void)
{
	const char *url = getenv("AMQP_SERVER_URL");

	return url && *url ? url : "amqp://guest:guest@localhost:5672/";
}

/* A service name of its own for each test, so that nothing left over from
 * another test (or another run on the same broker) is counted. */
static void unique_service(char *out, size_t outlen, const char *what)
{
	static int counter;

	snprintf(out, outlen, "subtest-%s-%d-%d", what, (int)getpid(), ++counter);
}

static pid_t sidecar_spawn(const char *service, const char *addr, const char *port)
{
	char *argv[] = { sidecar_path, "--amqp-url", (char *)amqp_url(), "--service-name",
			 (char *)service, "--advertise-addr", (char *)addr, "--port",
			 (char *)port, "--discovery-interval", "1s", "--log-level", "warn",
			 NULL };
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execv(sidecar_path, argv);
		_exit(127);
	}
	return pid;
}

static void sidecar_end(pid_t pid, int sig)
{
	int status;

	kill(pid, sig);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* What the callbacks saw; the thread's callbacks write it, the test reads. */
struct seen {
	pthread_mutex_t mu;
	char service[64];
	int joins, updates, leaves, other_service;
	enum subscriber_leave_reason reason;
	char address[64];
	int port;
	bool connected;
	uint64_t join_index;
};

static struct seen *seen_of(struct subscriber *sub)
{
	return subscriber_data(sub);
}

static void on_join(struct subscriber *sub, const struct subscriber_instance *in)
{
	struct seen *s = seen_of(sub);

	pthread_mutex_lock(&s->mu);
	if (strcmp(in->service, s->service) == 0) {
		s->joins++;
		snprintf(s->address, sizeof(s->address), "%s", in->address);
		s->port = in->port;
		s->join_index = in->index;
	} else {
		s->other_service++;
	}
	pthread_mutex_unlock(&s->mu);
}

static void on_update(struct subscriber *sub, const struct subscriber_instance *in)
{
	struct seen *s = seen_of(sub);

	pthread_mutex_lock(&s->mu);
	s->updates += strcmp(in->service, s->service) == 0;
	pthread_mutex_unlock(&s->mu);
}

static void on_leave(struct subscriber *sub, const struct subscriber_instance *in,
		     enum subscriber_leave_reason reason)
{
	struct seen *s = seen_of(sub);

	assert_int_equal(in->state, SUBSCRIBER_DOWN);
	pthread_mutex_lock(&s->mu);
	if (strcmp(in->service, s->service) == 0) {
		s->leaves++;
		s->reason = reason;
	}
	pthread_mutex_unlock(&s->mu);
}

static void on_feed(struct subscriber *sub, enum subscriber_feed_state state)
{
	struct seen *s = seen_of(sub);

	pthread_mutex_lock(&s->mu);
	s->connected = state == SUBSCRIBER_FEED_CONNECTED;
	pthread_mutex_unlock(&s->mu);
}

static struct subscriber *subscriber_for(struct seen *s, const char *const *services)
{
	struct subscriber_options o = {
		.amqp_url = amqp_url(),
		.services = services,
		.callbacks = { .join = on_join, .update = on_update, .leave = on_leave,
			       .feed = on_feed },
		.data = s,
	};
	struct subscriber *sub;

	pthread_mutex_init(&s->mu, NULL);
	sub = subscriber_new(&o);
	assert_non_null(sub);
	return sub;
}

/* Reads a counter of s under its lock. */
static int count_of(struct seen *s, const int *field)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = *field;
	pthread_mutex_unlock(&s->mu);
	return v;
}

/* The host's loop: poll the subscriber's fd, step, until *field reaches
 * want or the bound passes; the milliseconds it took. */
static int64_t step_until(struct subscriber *sub, struct seen *s, const int *field, int want)
{
	int64_t t0 = timing_mono_ms();

	while (count_of(s, field) < want) {
		struct pollfd p = { subscriber_fd(sub), POLLIN, 0 };
		int wait = subscriber_timeout_ms(sub);

		if (timing_mono_ms() - t0 > WAIT_MS)
			fail_msg("waited %d ms for a callback", WAIT_MS);
		assert_true(wait >= 0 && wait <= 1000);
		if (p.fd >= 0)
			(void)poll(&p, 1, wait);
		else
			timing_sleep_ms(wait);
		subscriber_step(sub);
	}
	return timing_mono_ms() - t0;
}

/* The thread's version: waits for *field to reach want. */
static int64_t wait_until(struct seen *s, const int *field, int want)
{
	int64_t t0 = timing_mono_ms();

	while (count_of(s, field) < want) {
		if (timing_mono_ms() - t0 > WAIT_MS)
			fail_msg("waited %d ms for a callback", WAIT_MS);
		timing_sleep_ms(5);
	}
	return timing_mono_ms() - t0;
}

static void subscriber_step_should_follow_one_service_in_the_host_loop(void **state)
{
	struct seen s = { 0 };
	char other[64];
	const char *services[] = { s.service, NULL };
	struct subscriber *sub;
	struct subscriber_snapshot *snap;
	const struct subscriber_instance *in;
	struct subscriber_view view;
	struct subscriber_stats st;
	int64_t took;
	pid_t a, b;
	(void)state;

	unique_service(s.service, sizeof(s.service), "step");
	unique_service(other, sizeof(other), "other");
	sub = subscriber_for(&s, services);
	assert_int_equal(subscriber_fd(sub), -1); /* nothing connects before a step */
	b = sidecar_spawn(other, "127.0.0.9", "7001");
	a = sidecar_spawn(s.service, "127.0.0.8", "7000");
	took = step_until(sub, &s, &s.joins, 1);
	printf("join seen after %lld ms\n", (long long)took);
	assert_true(s.connected);
	assert_string_equal(s.address, "127.0.0.8");
	assert_int_equal(s.port, 7000);

	snap = subscriber_snapshot(sub, s.service, SUBSCRIBER_MASK(SUBSCRIBER_UP));
	assert_non_null(snap);
	assert_int_equal(subscriber_snapshot_count(snap), 1);
	in = subscriber_snapshot_at(snap, 0);
	assert_string_equal(in->service, s.service);
	assert_string_equal(in->instance_id, "127.0.0.8:7000");
	assert_int_equal(in->state, SUBSCRIBER_UP);
	assert_int_equal(in->ttl, 3);
	assert_int_equal(strlen(in->incarnation), 16);
	assert_null(subscriber_snapshot_at(snap, 1));
	subscriber_snapshot_view(snap, &view);
	assert_false(view.stale);
	assert_int_equal(view.index, subscriber_index(sub, s.service));
	assert_true(view.index >= s.join_index);
	subscriber_snapshot_free(snap);
	snap = subscriber_snapshot(sub, s.service, SUBSCRIBER_MASK(SUBSCRIBER_DOWN));
	assert_non_null(snap);
	assert_int_equal(subscriber_snapshot_count(snap), 0);
	subscriber_snapshot_free(snap);

	/* A clean stop says DOWN. */
	sidecar_end(a, SIGTERM);
	took = step_until(sub, &s, &s.leaves, 1);
	printf("leave seen %lld ms after the stop\n", (long long)took);
	assert_int_equal(s.reason, SUBSCRIBER_LEFT_DOWN);
	/* The other service was never followed: a few more steps for its
	 * renewals to have come, had it been. */
	for (int i = 0; i < 20; i++) {
		timing_sleep_ms(50);
		subscriber_step(sub);
	}
	assert_int_equal(count_of(&s, &s.other_service), 0);
	snap = subscriber_snapshot(sub, NULL, SUBSCRIBER_ANY);
	assert_non_null(snap);
	assert_int_equal(subscriber_snapshot_count(snap), 0);
	subscriber_snapshot_free(snap);
	subscriber_stats(sub, &st);
	assert_true(st.connected);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.outcomes[0], 1); /* joined */
	assert_int_equal(st.outcomes[3], 1); /* left */
	sidecar_end(b, SIGTERM);
	subscriber_free(sub);
	pthread_mutex_destroy(&s.mu);
}

static void subscriber_start_should_tell_a_crash_as_connection_lost(void **state)
{
	struct seen s = { 0 };
	struct subscriber *sub;
	int64_t took;
	pid_t a;
	(void)state;

	unique_service(s.service, sizeof(s.service), "crash");
	sub = subscriber_for(&s, NULL);
	assert_int_equal(subscriber_start(sub), 0);
	assert_int_equal(subscriber_start(sub), -1); /* once */
	a = sidecar_spawn(s.service, "127.0.0.7", "7002");
	took = wait_until(&s, &s.joins, 1);
	printf("join seen after %lld ms\n", (long long)took);
	sidecar_end(a, SIGKILL);
	took = wait_until(&s, &s.leaves, 1);
	printf("crash seen %lld ms after SIGKILL\n", (long long)took);
	assert_int_equal(s.reason, SUBSCRIBER_LEFT_CONNECTION_LOST);
	assert_true(subscriber_index(sub, s.service) <= subscriber_index(sub, NULL));
	subscriber_stop(sub);
	subscriber_free(sub);
	pthread_mutex_destroy(&s.mu);
}

static void subscriber_new_should_refuse_bad_options(void **state)
{
	const char *bad_services[] = { "Not_A_Name", NULL };
	(void)state;

	assert_null(subscriber_new(&(struct subscriber_options){ .amqp_url = NULL }));
	assert_null(subscriber_new(&(struct subscriber_options){ .amqp_url = "http://x/" }));
	assert_null(subscriber_new(&(struct subscriber_options){ .amqp_url = amqp_url(),
								 .services = bad_services }));
	assert_null(subscriber_new(&(struct subscriber_options){ .amqp_url = amqp_url(),
								 .legacy_queue = "discovery" }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subscriber_step_should_follow_one_service_in_the_host_loop),
		cmocka_unit_test(subscriber_start_should_tell_a_crash_as_connection_lost),
		cmocka_unit_test(subscriber_new_should_refuse_bad_options),
	};
	const char *build = getenv("BUILD");

	snprintf(sidecar_path, sizeof(sidecar_path), "%s/bin/publisher",
		 build && *build ? build : "build");
	if (access(sidecar_path, X_OK) != 0) {
		fprintf(stderr, "test_subscriber: %s is missing; build it first\n", sidecar_path);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
