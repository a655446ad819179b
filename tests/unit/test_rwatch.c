/* rwatch: held sockets woken by a change, a deadline, a hang-up, room to
 * write, or the close, on the watcher's thread. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/rwatch.h"
#include "timing.h"

#define WAIT_MS 5000

/* An entry on one end of a socket pair, and what its wake() saw. */
struct held {
	struct rwatch_entry e;
	int peer; /* the client's end */
	int wakes;
	enum rwatch_why why;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t woken = PTHREAD_COND_INITIALIZER;

static void on_wake(struct rwatch_entry *e, enum rwatch_why why)
{
	struct held *h = (struct held *)(void *)((char *)e - offsetof(struct held, e));

	pthread_mutex_lock(&mu);
	h->wakes++;
	h->why = why;
	pthread_cond_broadcast(&woken);
	pthread_mutex_unlock(&mu);
}

static void held_init(struct held *h, enum rwatch_kind kind, const char *service,
		      int64_t wait_ms)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	*h = (struct held){
		.e = {.fd = sv[0], .kind = kind, .service = service, .wake = on_wake,
		      .deadline_ms = timing_mono_ms() + wait_ms},
		.peer = sv[1],
	};
}

static void held_done(struct rwatch *w, struct held *h)
{
	rwatch_release(w, &h->e);
	close(h->e.fd);
	if (h->peer >= 0)
		close(h->peer);
}

/* Waits (bounded) until h has been woken n times; returns its last why. */
static enum rwatch_why wait_woken(struct held *h, int n)
{
	struct timespec until;
	enum rwatch_why why;
	int got;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&mu);
	while (h->wakes < n)
		if (pthread_cond_timedwait(&woken, &mu, &until) == ETIMEDOUT)
			break;
	got = h->wakes;
	why = h->why;
	pthread_mutex_unlock(&mu);
	assert_int_equal(got, n);
	return why;
}

static int wakes_of(struct held *h)
{
	int n;

	pthread_mutex_lock(&mu);
	n = h->wakes;
	pthread_mutex_unlock(&mu);
	return n;
}

static struct rwatch *watch_new(size_t max_waiting)
{
	struct rwatch *w = rwatch_new(&(struct rwatch_limits){.max_waiting = max_waiting});

	assert_non_null(w);
	return w;
}

static void notify_should_wake_the_service_changed_and_the_streams_only(void **state)
{
	struct rwatch *w = watch_new(0);
	struct held a, b, s;

	(void)state;
	held_init(&a, RWATCH_QUERY, "alpha", 60000);
	held_init(&b, RWATCH_QUERY, "beta", 60000);
	held_init(&s, RWATCH_STREAM, NULL, 60000);
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_HELD);
	assert_int_equal(rwatch_hold(w, &b.e, NULL, NULL), RWATCH_HELD);
	assert_int_equal(rwatch_hold(w, &s.e, NULL, NULL), RWATCH_HELD);
	rwatch_notify(w, "alpha");
	assert_int_equal(wait_woken(&a, 1), RWATCH_CHANGED);
	assert_int_equal(wait_woken(&s, 1), RWATCH_CHANGED);
	/* beta is still held: only the close wakes it. */
	rwatch_close(w);
	assert_int_equal(wakes_of(&b), 1);
	assert_int_equal(b.why, RWATCH_CLOSING);
	assert_int_equal(wakes_of(&a), 1);
	held_done(w, &a);
	held_done(w, &b);
	held_done(w, &s);
	rwatch_free(w);
}

static void a_deadline_should_wake_its_entry(void **state)
{
	struct rwatch *w = watch_new(0);
	struct held a;

	(void)state;
	held_init(&a, RWATCH_QUERY, "alpha", 20);
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_HELD);
	assert_int_equal(wait_woken(&a, 1), RWATCH_DUE);
	held_done(w, &a);
	rwatch_free(w);
}

static void a_hang_up_should_wake_its_entry_or_fail_its_next_hold(void **state)
{
	struct rwatch *w = watch_new(0);
	struct rwatch_stats st;
	struct held a;

	(void)state;
	held_init(&a, RWATCH_STREAM, NULL, 60000);
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_HELD);
	close(a.peer);
	a.peer = -1;
	assert_int_equal(wait_woken(&a, 1), RWATCH_GONE);

	/* Out of the set (being written, say) when the client leaves: the
	 * next hold says so. */
	held_done(w, &a);
	held_init(&a, RWATCH_STREAM, NULL, 60000);
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_HELD);
	rwatch_notify(w, "any");
	assert_int_equal(wait_woken(&a, 1), RWATCH_CHANGED);
	close(a.peer);
	a.peer = -1;
	for (int i = 0; i < WAIT_MS; i++) {
		rwatch_stats(w, &st);
		if (st.gone == 2)
			break;
		usleep(1000);
	}
	assert_int_equal(st.gone, 2);
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_LEFT);
	held_done(w, &a);
	rwatch_free(w);
}

static void a_full_socket_should_wake_its_writer_once_it_takes_more(void **state)
{
	struct rwatch *w = watch_new(0);
	char buf[65536] = {0};
	struct held a;

	(void)state;
	held_init(&a, RWATCH_QUERY, "alpha", 60000);
	while (send(a.e.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	a.e.want_write = true;
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_HELD);
	/* A change does not wake a writer. */
	rwatch_notify(w, "alpha");
	while (read(a.peer, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(wait_woken(&a, 1), RWATCH_WRITABLE);
	held_done(w, &a);
	rwatch_free(w);
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static void hold_should_refuse_what_it_cannot_hold(void **state)
{
	struct rwatch *w = watch_new(1);
	struct rwatch_stats st;
	struct held a, b, s;

	(void)state;
	held_init(&a, RWATCH_QUERY, "alpha", 60000);
	held_init(&b, RWATCH_QUERY, "alpha", 60000);
	held_init(&s, RWATCH_STREAM, NULL, 60000);
	assert_int_equal(rwatch_hold(w, &a.e, never, NULL), RWATCH_READY);
	assert_int_equal(rwatch_hold(w, &a.e, NULL, NULL), RWATCH_HELD);
	assert_int_equal(rwatch_hold(w, &b.e, NULL, NULL), RWATCH_FULL);
	/* max_waiting counts queries, not streams. */
	assert_int_equal(rwatch_hold(w, &s.e, NULL, NULL), RWATCH_HELD);
	rwatch_stats(w, &st);
	assert_int_equal(st.waiting[RWATCH_QUERY], 1);
	assert_int_equal(st.waiting[RWATCH_STREAM], 1);
	rwatch_close(w);
	assert_int_equal(wakes_of(&a), 1);
	assert_int_equal(a.why, RWATCH_CLOSING);
	assert_int_equal(wakes_of(&s), 1);
	assert_int_equal(rwatch_hold(w, &b.e, NULL, NULL), RWATCH_CLOSED);
	rwatch_stats(w, &st);
	assert_int_equal(st.waiting[RWATCH_QUERY], 0);
	held_done(w, &a);
	held_done(w, &b);
	held_done(w, &s);
	rwatch_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify_should_wake_the_service_changed_and_the_streams_only),
		cmocka_unit_test(a_deadline_should_wake_its_entry),
		cmocka_unit_test(a_hang_up_should_wake_its_entry_or_fail_its_next_hold),
		cmocka_unit_test(a_full_socket_should_wake_its_writer_once_it_takes_more),
		cmocka_unit_test(hold_should_refuse_what_it_cannot_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
