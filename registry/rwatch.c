/* The watcher thread: held connections, their sockets, and request
 * deadlines. */
#include "registry/rwatch.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "registry/rwait.h"
#include "timing.h"

#define TRIM_AFTER 256 /* connections closed */
#define TRIM_QUIET_MS 1000
#define WATCH_EVENTS 256
/* Entries a thread takes off the ready list at a time. */
#define WAKE_BATCH 32

struct rwatch {
	pthread_mutex_t mu;
	pthread_cond_t idle; /* the ready list ran empty, no wake() running */
	pthread_cond_t work; /* entries are ready: for the helpers */
	pthread_t thread;
	pthread_t *helpers; /* limits.threads - 1 */
	unsigned int nhelpers;
	int epoll_fd, wake_fd;
	struct rwatch_limits limits;
	struct rwait *waiters;
	/* Entries taken out of the set, to wake in order; then those that
	 * asked to be woken later. */
	struct rwatch_entry *ready, *ready_tail, *later, *later_tail;
	unsigned int waking; /* threads running wake()s, without the lock */
	/* Watched entries by socket: an epoll event carries the fd and the
	 * entry's generation, so an event that comes after its entry was
	 * released (and its fd perhaps reused) is recognised as stale. */
	struct rwatch_entry **by_fd;
	size_t by_fd_len;
	uint32_t next_gen;
	struct hdeadline deadlines;
	struct rwatch_stats stats;
	int64_t sleep_until; /* what the watcher sleeps until (monotonic) */
	size_t closes;	     /* connections closed since the last trim */
	int64_t last_close;  /* monotonic */
	bool closed;
	bool stop;
};

static void wake(struct rwatch *w)
{
	uint64_t one = 1;

	/* Only a full counter (EAGAIN) fails, and then a wake-up is pending. */
	(void)!write(w->wake_fd, &one, sizeof(one));
}

/* Makes the watcher look again at its deadlines if due is before the time
 * it sleeps until. Called with the lock held. */
static void wake_for(struct rwatch *w, int64_t due)
{
	if (due >= w->sleep_until)
		return;
	w->sleep_until = due;
	wake(w);
}

/* Appends e to a list, to be woken for why. */
static void append(struct rwatch_entry **head, struct rwatch_entry **tail,
		   struct rwatch_entry *e, enum rwatch_why why)
{
	e->why = why;
	e->next = NULL;
	if (*tail)
		(*tail)->next = e;
	else
		*head = e;
	*tail = e;
}

/* Takes e out of the set onto the ready list. Called with the lock held. */
static void make_ready(struct rwatch *w, struct rwatch_entry *e, enum rwatch_why why)
{
	rwait_remove(w->waiters, e);
	if (!e->want_write)
		w->stats.waiting[e->kind]--;
	e->held = false;
	append(&w->ready, &w->ready_tail, e, why);
	wake_for(w, INT64_MIN);
}

void rwatch_later(struct rwatch *w, struct rwatch_entry *e)
{
	pthread_mutex_lock(&w->mu);
	append(&w->later, &w->later_tail, e, RWATCH_LATER);
	pthread_mutex_unlock(&w->mu);
}

/* Up to WAKE_BATCH entries off the ready list, or, when none is ready,
 * off the later one. Called with the lock held. */
static struct rwatch_entry *take_batch(struct rwatch *w)
{
	struct rwatch_entry **head = w->ready ? &w->ready : &w->later;
	struct rwatch_entry **tail = w->ready ? &w->ready_tail : &w->later_tail;
	struct rwatch_entry *batch = *head, *last = batch;

	if (!batch)
		return NULL;
	for (int i = 1; i < WAKE_BATCH && last->next; i++)
		last = last->next;
	*head = last->next;
	if (!*head)
		*tail = NULL;
	last->next = NULL;
	return batch;
}

/*
 * glibc keeps the memory that thousands of closed connections freed (their
 * pools are scattered through the heap, so its top cannot shrink). After
 * TRIM_AFTER closes, once none came for TRIM_QUIET_MS, malloc_trim() hands
 * the free pages back. Returns when a pending trim is due, or INT64_MAX.
 */
static int64_t maybe_trim(struct rwatch *w, int64_t now)
{
	if (w->closes < TRIM_AFTER)
		return INT64_MAX;
	if (now < w->last_close + TRIM_QUIET_MS)
		return w->last_close + TRIM_QUIET_MS;
	w->closes = 0;
	pthread_mutex_unlock(&w->mu);
	malloc_trim(0);
	pthread_mutex_lock(&w->mu);
	return INT64_MAX;
}

/* Readies the waits that are due and shuts down the late requests;
 * returns the next time something is due. */
static int64_t run_due(struct rwatch *w)
{
	int64_t now = timing_mono_ms(), next = maybe_trim(w, now), due;
	struct rwatch_entry *e;

	now = timing_mono_ms(); /* the trim may have taken a while */
	while ((e = rwait_earliest(w->waiters)) != NULL && e->deadline_ms <= now)
		make_ready(w, e, RWATCH_DUE);
	if (e && e->deadline_ms < next)
		next = e->deadline_ms;
	w->stats.request_timeouts += hdeadline_expire(&w->deadlines, now);
	due = hdeadline_next(&w->deadlines);
	return due < next ? due : next;
}

/* What the sockets said: a hang-up wakes its entry (or, were it out of the
 * set, makes its next hold fail), room in a full socket wakes an entry
 * that waits for it. */
static void run_events(struct rwatch *w, const struct epoll_event *ev, int n)
{
	uint64_t wakes;

	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		int fd = (int)(tag & 0xffffffffu);
		struct rwatch_entry *e;

		if (fd == w->wake_fd) {
			(void)!read(fd, &wakes, sizeof(wakes)); /* EAGAIN: drained */
			continue;
		}
		e = (size_t)fd < w->by_fd_len ? w->by_fd[fd] : NULL;
		if (!e || e->gen != (uint32_t)(tag >> 32))
			continue; /* released since epoll_wait returned */
		if (ev[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			w->stats.gone++;
			if (e->held)
				make_ready(w, e, RWATCH_GONE);
			else
				e->hup = true;
		} else if (e->held && e->want_write && (ev[i].events & EPOLLOUT)) {
			make_ready(w, e, RWATCH_WRITABLE);
		}
	}
}

/* Wakes what is ready, without the lock: a wake() writes to its socket,
 * and 10,000 writes under the lock would hold up every HTTP thread that
 * holds a connection, and the table's notifications. Called with the lock
 * held, by the watcher and the helpers. */
static void run_ready(struct rwatch *w)
{
	struct rwatch_entry *e, *next;

	while ((e = take_batch(w)) != NULL) {
		w->waking++;
		pthread_mutex_unlock(&w->mu);
		for (; e; e = next) {
			next = e->next; /* e is its owner's once woken */
			e->wake(e, e->why);
		}
		pthread_mutex_lock(&w->mu);
		w->waking--;
	}
	if (!w->waking)
		pthread_cond_broadcast(&w->idle);
}

static void *help_main(void *arg)
{
	struct rwatch *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		run_ready(w);
		if (!w->stop)
			pthread_cond_wait(&w->work, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void *watch_main(void *arg)
{
	struct rwatch *w = arg;
	struct epoll_event ev[WATCH_EVENTS];

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		int64_t next, now;
		int timeout, n;

		run_ready(w);
		next = run_due(w);
		now = timing_mono_ms();
		timeout = w->ready || w->later ? 0
			  : next == INT64_MAX ? -1
			  : next - now > 60000 ? 60000
					      : (int)(next > now ? next - now : 0);
		w->sleep_until = w->ready || w->later ? INT64_MIN : next;
		pthread_mutex_unlock(&w->mu);
		n = epoll_wait(w->epoll_fd, ev, WATCH_EVENTS, timeout);
		pthread_mutex_lock(&w->mu);
		w->sleep_until = INT64_MIN; /* awake: no wake-up needed */
		if (n > 0)
			run_events(w, ev, n);
	}
	run_ready(w);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct rwatch *rwatch_new(const struct rwatch_limits *limits)
{
	struct rwatch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!w)
		return NULL;
	w->limits = *limits;
	w->deadlines.timeout_ms = limits->request_timeout_ms;
	w->sleep_until = INT64_MIN;
	w->waiters = rwait_new();
	if (!w->waiters)
		goto out_free;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto out_waiters;
	if (pthread_cond_init(&w->idle, NULL) != 0)
		goto out_mutex;
	if (pthread_cond_init(&w->work, NULL) != 0) {
		pthread_cond_destroy(&w->idle);
		goto out_mutex;
	}
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epoll_fd < 0)
		goto out_cond;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0)
		goto out_epoll;
	ev.data.u64 = (uint64_t)w->wake_fd;
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->wake_fd, &ev) != 0)
		goto out_eventfd;
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0)
		goto out_eventfd;
	w->helpers = calloc(limits->threads > 1 ? limits->threads - 1 : 1, sizeof(pthread_t));
	while (w->helpers && w->nhelpers + 1 < limits->threads &&
	       pthread_create(&w->helpers[w->nhelpers], NULL, help_main, w) == 0)
		w->nhelpers++; /* fewer helpers only slow the wake-ups down */
	return w;
out_eventfd:
	close(w->wake_fd);
out_epoll:
	close(w->epoll_fd);
out_cond:
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
out_mutex:
	pthread_mutex_destroy(&w->mu);
out_waiters:
	rwait_free(w->waiters);
out_free:
	free(w);
	return NULL;
}

void rwatch_close(struct rwatch *w)
{
	struct rwatch_entry *e;

	pthread_mutex_lock(&w->mu);
	w->closed = true;
	while ((e = rwait_earliest(w->waiters)) != NULL)
		make_ready(w, e, RWATCH_CLOSING);
	pthread_cond_broadcast(&w->work);
	while (w->ready || w->later || w->waking)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

bool rwatch_closed(struct rwatch *w)
{
	bool closed;

	pthread_mutex_lock(&w->mu);
	closed = w->closed;
	pthread_mutex_unlock(&w->mu);
	return closed;
}

void rwatch_free(struct rwatch *w)
{
	if (!w)
		return;
	rwatch_close(w);
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	wake(w);
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (unsigned int i = 0; i < w->nhelpers; i++)
		pthread_join(w->helpers[i], NULL);
	free(w->helpers);
	close(w->wake_fd);
	close(w->epoll_fd);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->mu);
	rwait_free(w->waiters);
	free(w->by_fd);
	free(w);
}

/* Room in by_fd for fd. */
static int grow_by_fd(struct rwatch *w, int fd)
{
	size_t len = w->by_fd_len ? w->by_fd_len : 1024;
	struct rwatch_entry **grown;

	if ((size_t)fd < w->by_fd_len)
		return 0;
	while (len <= (size_t)fd)
		len *= 2;
	grown = realloc(w->by_fd, len * sizeof(*grown));
	if (!grown)
		return -1;
	memset(grown + w->by_fd_len, 0, (len - w->by_fd_len) * sizeof(*grown));
	w->by_fd = grown;
	w->by_fd_len = len;
	return 0;
}

/* Watches e's socket, once: edge-triggered, for a hang-up (EPOLLHUP and
 * EPOLLERR come anyway) and, for an entry that waits for room, for room.
 * Called with the lock held. */
static int watch_socket(struct rwatch *w, struct rwatch_entry *e)
{
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLET };

	if (e->want_write)
		ev.events |= EPOLLOUT;
	if (e->gen) {
		if (!e->want_write)
			return 0;
		/* Edge-triggered: re-arming reports room that is there now. */
		ev.data.u64 = (uint64_t)e->gen << 32 | (uint32_t)e->fd;
		return epoll_ctl(w->epoll_fd, EPOLL_CTL_MOD, e->fd, &ev);
	}
	if (e->fd < 0 || grow_by_fd(w, e->fd) < 0)
		return -1;
	if (++w->next_gen == 0)
		w->next_gen = 1;
	ev.data.u64 = (uint64_t)w->next_gen << 32 | (uint32_t)e->fd;
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, e->fd, &ev) != 0)
		return -1;
	e->gen = w->next_gen;
	w->by_fd[e->fd] = e;
	if (!e->inside)
		w->stats.sockets++;
	return 0;
}

enum rwatch_result rwatch_hold(struct rwatch *w, struct rwatch_entry *e,
			       bool (*still_waiting)(void *ctx), void *ctx)
{
	enum rwatch_result rc = RWATCH_HELD;

	pthread_mutex_lock(&w->mu);
	if (w->closed)
		rc = RWATCH_CLOSED;
	else if (e->hup)
		rc = RWATCH_LEFT;
	else if (still_waiting && !still_waiting(ctx))
		rc = RWATCH_READY;
	else if (e->kind == RWATCH_QUERY && !e->want_write && w->limits.max_waiting &&
		 w->stats.waiting[RWATCH_QUERY] >= w->limits.max_waiting)
		rc = RWATCH_FULL;
	else if (watch_socket(w, e) < 0 || rwait_add(w->waiters, e) < 0)
		rc = RWATCH_FAILED;
	if (rc == RWATCH_HELD) {
		e->held = true;
		if (!e->want_write)
			w->stats.waiting[e->kind]++;
		wake_for(w, e->deadline_ms);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void rwatch_release(struct rwatch *w, struct rwatch_entry *e)
{
	pthread_mutex_lock(&w->mu);
	if (e->gen) {
		(void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL);
		w->by_fd[e->fd] = NULL;
		e->gen = 0;
		if (!e->inside)
			w->stats.sockets--;
	}
	pthread_mutex_unlock(&w->mu);
}

/* Readies every waiter of service (NULL: of any change). */
static void take_group(struct rwatch *w, const char *service)
{
	struct rwatch_entry *e;

	while ((e = rwait_of(w->waiters, service)) != NULL) {
		w->stats.woken[e->kind]++;
		make_ready(w, e, RWATCH_CHANGED);
	}
}

/* The waiters leave the set under the lock, so that none is lost (one
 * that comes after re-checks its condition under the lock and sees the
 * change); the watcher writes their answers after it. */
void rwatch_notify(struct rwatch *w, const char *service)
{
	pthread_mutex_lock(&w->mu);
	take_group(w, service);
	take_group(w, NULL);
	if (w->ready)
		pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
}

bool rwatch_stream_open(struct rwatch *w)
{
	bool ok;

	pthread_mutex_lock(&w->mu);
	ok = !w->closed && (!w->limits.max_streams ||
			    w->stats.streams_open < w->limits.max_streams);
	if (ok)
		w->stats.streams_open++;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

void rwatch_stream_close(struct rwatch *w)
{
	pthread_mutex_lock(&w->mu);
	w->stats.streams_open--;
	pthread_mutex_unlock(&w->mu);
}

void rwatch_deadline_arm(struct rwatch *w, struct hdeadline_entry *e)
{
	pthread_mutex_lock(&w->mu);
	hdeadline_arm(&w->deadlines, e, timing_mono_ms());
	if (e->armed)
		wake_for(w, e->due_ms);
	pthread_mutex_unlock(&w->mu);
}

void rwatch_deadline_disarm(struct rwatch *w, struct hdeadline_entry *e)
{
	pthread_mutex_lock(&w->mu);
	hdeadline_disarm(&w->deadlines, e);
	pthread_mutex_unlock(&w->mu);
}

void rwatch_connection_closed(struct rwatch *w)
{
	pthread_mutex_lock(&w->mu);
	w->last_close = timing_mono_ms();
	if (++w->closes == TRIM_AFTER)
		wake_for(w, w->last_close + TRIM_QUIET_MS);
	pthread_mutex_unlock(&w->mu);
}

void rwatch_stats(struct rwatch *w, struct rwatch_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}
