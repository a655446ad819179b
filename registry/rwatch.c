/* Suspended connections and the one timer thread that ends their waits. */
#include "registry/rwatch.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

#define TRIM_AFTER 256 /* connections closed */
#define TRIM_QUIET_MS 1000

struct rwatch {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* the timer sleeps on it, CLOCK_MONOTONIC */
	pthread_t timer;
	struct rwatch_entry *head;
	size_t counts[2];
	size_t closes;      /* connections closed since the last trim */
	int64_t last_close; /* monotonic */
	bool closed;
	bool stop;
};

static void unlink_entry(struct rwatch *w, struct rwatch_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		w->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->linked = false;
	w->counts[e->kind]--;
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

static void *timer_main(void *arg)
{
	struct rwatch *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		int64_t now = timing_mono_ms(), next = maybe_trim(w, now);
		struct rwatch_entry *e, *following;
		struct timespec ts;

		now = timing_mono_ms(); /* the trim may have taken a while */
		for (e = w->head; e; e = following) {
			following = e->next;
			if (e->deadline_ms <= now)
				resume(w, e);
			else if (e->deadline_ms < next)
				next = e->deadline_ms;
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&w->cond, &w->mu);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (next - now) / 1000;
		ts.tv_nsec += ((next - now) % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cond, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct rwatch *rwatch_new(void)
{
	struct rwatch *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;

	if (!w)
		return NULL;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto out_free;
	if (pthread_condattr_init(&attr) != 0)
		goto out_mutex;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&w->cond, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		goto out_mutex;
	}
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->timer, NULL, timer_main, w) != 0)
		goto out_cond;
	return w;
out_cond:
	pthread_cond_destroy(&w->cond);
out_mutex:
	pthread_mutex_destroy(&w->mu);
out_free:
	free(w);
	return NULL;
}

void rwatch_close(struct rwatch *w)
{
	pthread_mutex_lock(&w->mu);
	w->closed = true;
	while (w->head)
		resume(w, w->head);
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
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->timer, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

bool rwatch_suspend(struct rwatch *w, struct rwatch_entry *e,
		    bool (*still_waiting)(void *ctx), void *ctx)
{
	bool suspended = false;

	pthread_mutex_lock(&w->mu);
	if (!w->closed && still_waiting(ctx)) {
		MHD_suspend_connection(e->conn);
		e->prev = NULL;
		e->next = w->head;
		if (w->head)
			w->head->prev = e;
		w->head = e;
		e->linked = true;
		w->counts[e->kind]++;
		/* The timer recomputes its next deadline. */
		pthread_cond_signal(&w->cond);
		suspended = true;
	}
	pthread_mutex_unlock(&w->mu);
	return suspended;
}

void rwatch_notify(struct rwatch *w, const char *service)
{
	struct rwatch_entry *e, *following;

	pthread_mutex_lock(&w->mu);
	for (e = w->head; e; e = following) {
		following = e->next;
		if (!e->service || strcmp(e->service, service) == 0)
			resume(w, e);
	}
	pthread_mutex_unlock(&w->mu);
}

void rwatch_connection_closed(struct rwatch *w)
{
	pthread_mutex_lock(&w->mu);
	w->last_close = timing_mono_ms();
	if (++w->closes == TRIM_AFTER)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

size_t rwatch_count(struct rwatch *w, enum rwatch_kind kind)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->counts[kind];
	pthread_mutex_unlock(&w->mu);
	return n;
}
