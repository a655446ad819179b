/* The watcher thread: suspended connections, their hang-ups, and request
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

struct rwatch {
	pthread_mutex_t mu;
	pthread_t thread;
	int epoll_fd, wake_fd;
	struct rwatch_limits limits;
	struct rwait *waiters;
	/* Suspended entries by socket: an epoll event carries the fd and the
	 * entry's generation, so an event that comes after its entry was
	 * resumed (and its fd perhaps reused) is recognised as stale. */
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

/* Takes e out of the set; an epoll event that comes for its socket after
 * this is stale. */
static void forget_entry(struct rwatch *w, struct rwatch_entry *e)
{
	rwait_remove(w->waiters, e);
	w->stats.waiting[e->kind]--;
	w->by_fd[e->fd] = NULL;
}

static void unlink_entry(struct rwatch *w, struct rwatch_entry *e)
{
	forget_entry(w, e);
	/* Before the resume: once MHD runs the connection again it may close
	 * the socket, and its number may be reused. */
	(void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL);
}

static void resume(struct rwatch *w, struct rwatch_entry *e)
{
	struct MHD_Connection *conn = e->conn;

	/* After unlinking, e may be freed by MHD's thread as soon as the
	 * connection runs again, so it is not touched after the resume. */
	unlink_entry(w, e);
	MHD_resume_connection(conn);
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

/* Ends the waits that are due and shuts down the late requests; returns
 * the next time something is due. */
static int64_t run_due(struct rwatch *w)
{
	int64_t now = timing_mono_ms(), next = maybe_trim(w, now), due;
	struct rwatch_entry *e;

	now = timing_mono_ms(); /* the trim may have taken a while */
	while ((e = rwait_earliest(w->waiters)) != NULL && e->deadline_ms <= now)
		resume(w, e);
	if (e && e->deadline_ms < next)
		next = e->deadline_ms;
	w->stats.request_timeouts += hdeadline_expire(&w->deadlines, now);
	due = hdeadline_next(&w->deadlines);
	return due < next ? due : next;
}

/* The clients of these sockets hung up: resume them so that MHD closes
 * them (a stream ends, a query gets its answer and the close). */
static void run_hangups(struct rwatch *w, const struct epoll_event *ev, int n)
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
			continue; /* resumed since epoll_wait returned */
		e->gone = true;
		w->stats.gone++;
		resume(w, e);
	}
}

static void *watch_main(void *arg)
{
	struct rwatch *w = arg;
	struct epoll_event ev[WATCH_EVENTS];

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		int64_t next = run_due(w), now = timing_mono_ms();
		int timeout = next == INT64_MAX ? -1
			      : next - now > 60000 ? 60000
						  : (int)(next > now ? next - now : 0);
		int n;

		w->sleep_until = next;
		pthread_mutex_unlock(&w->mu);
		n = epoll_wait(w->epoll_fd, ev, WATCH_EVENTS, timeout);
		pthread_mutex_lock(&w->mu);
		w->sleep_until = INT64_MIN; /* awake: no wake-up needed */
		if (n > 0)
			run_hangups(w, ev, n);
	}
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
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epoll_fd < 0)
		goto out_mutex;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0)
		goto out_epoll;
	ev.data.u64 = (uint64_t)w->wake_fd;
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->wake_fd, &ev) != 0)
		goto out_eventfd;
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0)
		goto out_eventfd;
	return w;
out_eventfd:
	close(w->wake_fd);
out_epoll:
	close(w->epoll_fd);
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
		resume(w, e);
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
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	close(w->wake_fd);
	close(w->epoll_fd);
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

/* Watches e's socket for a hang-up (EPOLLHUP and EPOLLERR come anyway). */
static int watch_socket(struct rwatch *w, struct rwatch_entry *e)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(e->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct epoll_event ev = { .events = EPOLLRDHUP };

	if (!info || info->connect_fd < 0 || grow_by_fd(w, info->connect_fd) < 0)
		return -1;
	e->fd = info->connect_fd;
	e->gen = ++w->next_gen;
	ev.data.u64 = (uint64_t)e->gen << 32 | (uint32_t)e->fd;
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, e->fd, &ev) != 0)
		return -1;
	w->by_fd[e->fd] = e;
	return 0;
}

enum rwatch_result rwatch_suspend(struct rwatch *w, struct rwatch_entry *e,
				  bool (*still_waiting)(void *ctx), void *ctx)
{
	enum rwatch_result rc = RWATCH_SUSPENDED;

	pthread_mutex_lock(&w->mu);
	if (w->closed)
		rc = RWATCH_CLOSED;
	else if (!still_waiting(ctx))
		rc = RWATCH_READY;
	else if (e->kind == RWATCH_QUERY && w->limits.max_waiting &&
		 w->stats.waiting[RWATCH_QUERY] >= w->limits.max_waiting)
		rc = RWATCH_FULL;
	else if (rwait_add(w->waiters, e) < 0)
		rc = RWATCH_FAILED;
	else if (watch_socket(w, e) < 0) {
		rwait_remove(w->waiters, e);
		rc = RWATCH_FAILED;
	}
	if (rc == RWATCH_SUSPENDED) {
		MHD_suspend_connection(e->conn);
		e->gone = false;
		w->stats.waiting[e->kind]++;
		wake_for(w, e->deadline_ms);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* A waiter taken out of the set, to resume once the lock is released. */
struct woken {
	struct MHD_Connection *conn;
	int fd;
};

/* Takes every waiter of service (NULL: of any change) out of the set into
 * out[*n...]; with out NULL (no memory), resumes them here instead. */
static void take_group(struct rwatch *w, const char *service, struct woken *out, size_t *n)
{
	struct rwatch_entry *e;

	while ((e = rwait_of(w->waiters, service)) != NULL) {
		w->stats.woken[e->kind]++;
		if (!out) {
			resume(w, e);
			continue;
		}
		out[*n].conn = e->conn;
		out[*n].fd = e->fd;
		(*n)++;
		forget_entry(w, e);
	}
}

/*
 * The waiters leave the set under the lock, so that none is lost (one
 * that comes after re-checks its condition under the lock and sees the
 * change), and are resumed after it: a resume costs two system calls, and
 * 10,000 of them under the lock would keep every HTTP thread whose
 * streams suspend again waiting for the last one. Until its resume a
 * connection stays suspended, so its socket stays open and its entry is
 * not touched by anyone.
 */
void rwatch_notify(struct rwatch *w, const char *service)
{
	struct woken *batch;
	size_t n = 0, i;

	pthread_mutex_lock(&w->mu);
	batch = malloc((w->stats.waiting[RWATCH_QUERY] + w->stats.waiting[RWATCH_STREAM] + 1) *
		       sizeof(*batch));
	take_group(w, service, batch, &n);
	take_group(w, NULL, batch, &n);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < n; i++) {
		/* Before the resume, as in unlink_entry. */
		(void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, batch[i].fd, NULL);
		MHD_resume_connection(batch[i].conn);
	}
	free(batch);
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
