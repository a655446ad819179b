/* The front door of an HTTP server; see hfront.h. */
#include "hfront.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "timing.h"

#define HFRONT_EVENTS 64
/* Accepts per run, so that a flood of connects does not starve the heads
 * already waiting (the rest are accepted on the next run). */
#define HFRONT_ACCEPTS 64
/* How long a refused connection may take to read its answer and close: the
 * socket is closed only after the client's end (or this), because closing
 * it with the head still unread would reset it, and a reset can destroy
 * the answer before the client reads it. */
#define HFRONT_DRAIN_MS 2000
#define HFRONT_ANSWER_MAX 1024

/* One connection: waiting for its head, closing after a refusal, or handed
 * to MHD and waiting in hfront_shared's handoffs for its claim. */
struct hfront_conn {
	int fd;
	bool draining;
	int64_t due_ms;
	struct peercap_peer *peer;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct hfront_conn *prev, *next;
};

/* A list in deadline order: every entry of one list gets the same delay,
 * so appending keeps the order (as hdeadline does). */
struct hfront_list {
	struct hfront_conn *head, *tail;
	size_t n;
};

struct hfront {
	struct hfront_options o;
	int epoll_fd;
	struct hfront_list waiting, draining;
	char *buf; /* max_head + 1 bytes, for MSG_PEEK */
};

int hfront_shared_init(struct hfront_shared *s)
{
	atomic_init(&s->pending, 0);
	atomic_init(&s->refused_full, 0);
	atomic_init(&s->timeouts, 0);
	s->handoffs = NULL;
	return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : -1;
}

void hfront_shared_destroy(struct hfront_shared *s, struct peercap *peers)
{
	struct hfront_conn *c, *next;

	for (c = s->handoffs; c != NULL; c = next) {
		next = c->next;
		peercap_close(peers, c->peer);
		free(c);
	}
	s->handoffs = NULL;
	pthread_mutex_destroy(&s->mu);
}

static void hfront_list_add(struct hfront_list *l, struct hfront_conn *c)
{
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void hfront_list_del(struct hfront_list *l, struct hfront_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static struct hfront_list *hfront_list_of(struct hfront *f, struct hfront_conn *c)
{
	return c->draining ? &f->draining : &f->waiting;
}

/* Closes c and forgets it; its count goes back to peercap. */
static void hfront_close(struct hfront *f, struct hfront_conn *c)
{
	if (!c->draining)
		atomic_fetch_sub(&f->o.shared->pending, 1);
	hfront_list_del(hfront_list_of(f, c), c);
	close(c->fd); /* also takes it out of the epoll set */
	peercap_close(f->o.peers, c->peer);
	free(c);
}

/* Reads and drops what the client sends after its refusal; closes on its
 * end of the stream (or an error). */
static void hfront_drain(struct hfront *f, struct hfront_conn *c)
{
	char sink[4096];
	ssize_t n;

	while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		hfront_close(f, c);
}

static void hfront_refuse(struct hfront *f, struct hfront_conn *c, const struct hhead_result *r)
{
	char answer[HFRONT_ANSWER_MAX];
	size_t len = f->o.refuse(f->o.cls, &r->refusal, r->head, answer, sizeof(answer));

	/* A new socket's send buffer takes a short answer whole; should it
	 * not, the client gets what went out and the close. */
	if (len > 0 && send(c->fd, answer, len, MSG_NOSIGNAL) < 0)
		log_debug("front door: answer not sent: %s", strerror(errno));
	(void)shutdown(c->fd, SHUT_WR);
	hfront_list_del(&f->waiting, c);
	atomic_fetch_sub(&f->o.shared->pending, 1);
	c->draining = true;
	c->due_ms = timing_mono_ms() + HFRONT_DRAIN_MS;
	hfront_list_add(&f->draining, c);
	hfront_drain(f, c);
}

/* Gives c's socket to MHD, its count to the handoffs, where
 * MHD_CONNECTION_NOTIFY_STARTED claims it; takes c. */
static bool hfront_hand_over(struct hfront_shared *s, struct peercap *peers,
			     struct hfront_conn *c,
			     bool (*admit)(void *, int, const struct sockaddr *, socklen_t),
			     void *cls)
{
	struct hfront_conn **pp;
	int fd = c->fd;

	pthread_mutex_lock(&s->mu);
	/* An unclaimed handoff of the same descriptor is stale: MHD dropped
	 * that socket before it started the connection (out of memory). */
	for (pp = &s->handoffs; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			struct hfront_conn *stale = *pp;
			*pp = stale->next;
			peercap_close(peers, stale->peer);
			free(stale);
			break;
		}
	c->next = s->handoffs;
	s->handoffs = c;
	pthread_mutex_unlock(&s->mu);
	if (admit(cls, fd, (struct sockaddr *)&c->addr, c->addrlen))
		return true;
	peercap_close(peers, hfront_claim(s, fd));
	return false;
}

/* The head is good: the socket goes to MHD. */
static void hfront_handoff(struct hfront *f, struct hfront_conn *c)
{
	(void)epoll_ctl(f->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	hfront_list_del(&f->waiting, c);
	atomic_fetch_sub(&f->o.shared->pending, 1);
	(void)hfront_hand_over(f->o.shared, f->o.peers, c, f->o.admit, f->o.cls);
}

bool hfront_readmit(struct hfront_shared *s, struct peercap *peers, int fd,
		    struct peercap_peer *peer,
		    bool (*admit)(void *cls, int fd, const struct sockaddr *sa, socklen_t len),
		    void *cls)
{
	struct hfront_conn *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->addrlen = sizeof(c->addr);
		if (getpeername(fd, (struct sockaddr *)&c->addr, &c->addrlen) == 0) {
			c->fd = fd;
			c->peer = peer;
			return hfront_hand_over(s, peers, c, admit, cls);
		}
		free(c);
	}
	close(fd);
	peercap_close(peers, peer);
	return false;
}

struct peercap_peer *hfront_claim(struct hfront_shared *s, int fd)
{
	struct hfront_conn **pp, *c = NULL;
	struct peercap_peer *peer = NULL;

	pthread_mutex_lock(&s->mu);
	for (pp = &s->handoffs; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			c = *pp;
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&s->mu);
	if (c != NULL) {
		peer = c->peer;
		free(c);
	}
	return peer;
}

/* New bytes (or the end) on a connection waiting for its head. */
static void hfront_read(struct hfront *f, struct hfront_conn *c, uint32_t events)
{
	struct hhead_result r;
	ssize_t n = recv(c->fd, f->buf, f->o.limits.max_head + 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		hfront_close(f, c); /* the client left before its head was in */
		return;
	}
	switch (hhead_check(f->buf, (size_t)n, &f->o.limits, &r)) {
	case HHEAD_COMPLETE:
		hfront_handoff(f, c);
		break;
	case HHEAD_REFUSED:
		hfront_refuse(f, c, &r);
		break;
	default:
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			hfront_close(f, c);
		break;
	}
}

static void hfront_accept(struct hfront *f)
{
	struct hfront_shared *s = f->o.shared;

	for (int i = 0; i < HFRONT_ACCEPTS && f->o.listen_fd >= 0; i++) {
		struct hfront_conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET};

		if (c == NULL)
			return;
		c->addrlen = sizeof(c->addr);
		c->fd = accept4(f->o.listen_fd, (struct sockaddr *)&c->addr, &c->addrlen,
				SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("front door: accept: %s", strerror(errno));
			free(c);
			return;
		}
		/* Refused at once, unanswered, as libmicrohttpd's own accept
		 * policy would: each cap counts its refusals. */
		if (s->max_pending != 0 && atomic_load(&s->pending) >= s->max_pending) {
			atomic_fetch_add(&s->refused_full, 1);
			goto refuse;
		}
		if (!peercap_admit(f->o.peers, (struct sockaddr *)&c->addr, c->addrlen))
			goto refuse;
		c->peer = peercap_open(f->o.peers, (struct sockaddr *)&c->addr, c->addrlen);
		ev.data.ptr = c;
		if ((c->peer == NULL && c->addr.ss_family != AF_UNIX) ||
		    epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
			peercap_close(f->o.peers, c->peer);
			goto refuse;
		}
		atomic_fetch_add(&s->pending, 1);
		c->due_ms = f->o.timeout_ms > 0 ? timing_mono_ms() + f->o.timeout_ms : INT64_MAX;
		hfront_list_add(&f->waiting, c);
		continue;
refuse:
		close(c->fd);
		free(c);
	}
}

static void hfront_expire(struct hfront *f, int64_t now)
{
	while (f->waiting.head != NULL && f->waiting.head->due_ms <= now) {
		atomic_fetch_add(&f->o.shared->timeouts, 1);
		hfront_close(f, f->waiting.head);
	}
	while (f->draining.head != NULL && f->draining.head->due_ms <= now)
		hfront_close(f, f->draining.head);
}

void hfront_run(struct hfront *f)
{
	struct epoll_event ev[HFRONT_EVENTS];
	int n = epoll_wait(f->epoll_fd, ev, HFRONT_EVENTS, 0);

	for (int i = 0; i < n; i++) {
		struct hfront_conn *c = ev[i].data.ptr;

		if (c == NULL)
			hfront_accept(f);
		else if (c->draining)
			hfront_drain(f, c);
		else
			hfront_read(f, c, ev[i].events);
	}
	hfront_expire(f, timing_mono_ms());
}

struct hfront *hfront_new(const struct hfront_options *o)
{
	struct hfront *f = calloc(1, sizeof(*f));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

	if (f == NULL)
		goto fail;
	f->o = *o;
	f->buf = malloc(o->limits.max_head + 1);
	f->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (f->buf == NULL || f->epoll_fd < 0 ||
	    epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, o->listen_fd, &ev) != 0) {
		if (f->epoll_fd >= 0)
			close(f->epoll_fd);
		free(f->buf);
		free(f);
		goto fail;
	}
	return f;
fail:
	close(o->listen_fd);
	return NULL;
}

void hfront_quiesce(struct hfront *f)
{
	if (f->o.listen_fd < 0)
		return;
	close(f->o.listen_fd);
	f->o.listen_fd = -1;
}

void hfront_free(struct hfront *f)
{
	if (f == NULL)
		return;
	hfront_quiesce(f);
	while (f->waiting.head != NULL)
		hfront_close(f, f->waiting.head);
	while (f->draining.head != NULL)
		hfront_close(f, f->draining.head);
	close(f->epoll_fd);
	free(f->buf);
	free(f);
}

int hfront_fd(const struct hfront *f)
{
	return f->epoll_fd;
}

int hfront_timeout_ms(const struct hfront *f)
{
	int64_t due = INT64_MAX, left;

	if (f->waiting.head != NULL)
		due = f->waiting.head->due_ms;
	if (f->draining.head != NULL && f->draining.head->due_ms < due)
		due = f->draining.head->due_ms;
	if (due == INT64_MAX)
		return -1;
	left = due - timing_mono_ms();
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

size_t hfront_holding(const struct hfront *f)
{
	return f->waiting.n + f->draining.n;
}

bool hfront_date(char out[HFRONT_DATE_SIZE])
{
	time_t now = time(NULL);
	struct tm tm;

	return gmtime_r(&now, &tm) &&
	       strftime(out, HFRONT_DATE_SIZE, "%a, %d %b %Y %H:%M:%S GMT", &tm) != 0;
}

size_t hfront_answer(char *buf, size_t cap, unsigned status, const char *extra,
		     const char *body, bool head)
{
	const char *reason = MHD_get_reason_phrase_for(status);
	size_t len = strlen(body);
	char date[HFRONT_DATE_SIZE];
	int n;

	/* RFC 9110 6.6.1: a server with a clock sends Date, as libmicrohttpd
	 * does on every answer of its own. */
	if (!hfront_date(date))
		return 0;
	n = snprintf(buf, cap,
		     "HTTP/1.1 %u %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
		     status, reason[0] != '\0' ? reason : "Error", date, len, extra,
		     head ? "" : body);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

int hfront_listen(int port, int backlog, int *bound, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, backlog) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		snprintf(err, errlen, "cannot listen on port %d: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* ---- a thread of its own ---- */

struct hfront_thread {
	struct hfront *f;
	int epoll_fd, wake_fd;
	pthread_t thread;
	atomic_bool stopping;
};

static void *hfront_thread_main(void *arg)
{
	struct hfront_thread *t = arg;
	struct epoll_event ev[2];

	while (!atomic_load(&t->stopping)) {
		if (epoll_wait(t->epoll_fd, ev, 2, hfront_timeout_ms(t->f)) < 0 && errno != EINTR) {
			log_error("front door: epoll_wait: %s", strerror(errno));
			break;
		}
		hfront_run(t->f);
	}
	return NULL;
}

struct hfront_thread *hfront_thread_start(struct hfront *f)
{
	struct hfront_thread *t = calloc(1, sizeof(*t));
	struct epoll_event front = {.events = EPOLLIN, .data.fd = hfront_fd(f)};
	struct epoll_event wake = {.events = EPOLLIN};

	if (t == NULL)
		return NULL;
	t->f = f;
	atomic_init(&t->stopping, false);
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	wake.data.fd = t->wake_fd;
	if (t->epoll_fd < 0 || t->wake_fd < 0 ||
	    epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, hfront_fd(f), &front) != 0 ||
	    epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->wake_fd, &wake) != 0 ||
	    pthread_create(&t->thread, NULL, hfront_thread_main, t) != 0)
		goto fail;
	return t;
fail:
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	if (t->epoll_fd >= 0)
		close(t->epoll_fd);
	free(t);
	return NULL;
}

void hfront_thread_stop(struct hfront_thread *t)
{
	uint64_t one = 1;

	if (t == NULL)
		return;
	atomic_store(&t->stopping, true);
	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		log_warn("front door: eventfd write: %s", strerror(errno));
	pthread_join(t->thread, NULL);
	hfront_free(t->f);
	close(t->wake_fd);
	close(t->epoll_fd);
	free(t);
}
