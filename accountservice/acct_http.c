#include "accountservice/acct_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accountservice/acct_routes.h"
#include "hguard.h"
#include "log.h"
#include "timing.h"

/*
 * One event loop per CPU, each a thread with its own epoll set holding a
 * libmicrohttpd daemon (external epoll mode) and the sockets of its quote
 * calls. All loops accept from one listening socket. A request waits for
 * its quote in a suspended connection, not in a thread, so a loop serves
 * thousands of connections and a slow quotes-service delays only the
 * requests waiting for it; and a request never leaves its loop, so no lock
 * or hand-over between threads sits on the path of a request. Each loop
 * has its own front door (hfront.h) on the listening socket: it accepts,
 * checks the connection's first request head and hands the socket to the
 * loop's daemon (MHD_add_connection, from the loop's own thread).
 */
#define HTTP_LOOPS_MAX	      8
#define HTTP_CONNECTION_LIMIT 1000 /* over all loops, unless an option says */
/* Inactivity of a connection sending its request is the request deadline's
 * business; this one ends a client that stops reading its answer. */
#define HTTP_IDLE_TIMEOUT_S 60
#define HTTP_BACKLOG	    1024
#define HTTP_EVENTS	    64
/* After a stop, requests in flight get this long beyond the quote
 * timeout to finish. */
#define HTTP_DRAIN_GRACE_MS 2000
/* Room for the request line and headers of one request. MHD zeroes the
 * whole pool for every request on a keep-alive connection, so more room
 * costs CPU on every request (64 KiB: about 20 % more CPU per request
 * measured); the front door refuses a first head past HTTP_MAX_HEAD with
 * our JSON 414 or 431 before MHD sees it. */
#define HTTP_MEMORY_LIMIT (16u * 1024)
/* The first head the front door lets through: half the pool, and few
 * enough lines, that libmicrohttpd never answers 431 itself. */
#define HTTP_MAX_HEAD	(8u * 1024)
#define HTTP_MAX_FIELDS 64

struct http_loop {
	struct acct_routes routes;
	struct MHD_Daemon *daemon;
	struct hfront *front;
	int epoll_fd, wake_fd, mhd_fd, front_fd;
	long quotes_timeout_ms;
	pthread_t thread;
	bool started;
	atomic_bool stopping;
};

struct acct_http {
	struct acct_http_options o;
	struct peercap *peers;
	struct hfront_shared front;
	atomic_bool healthy;
	int port;
	size_t nloops;
	struct http_loop loops[HTTP_LOOPS_MAX];
};

/* The CPUs this process may run on, within [1, HTTP_LOOPS_MAX]. */
static size_t http_loop_count(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	return n < 1 ? 1 : n > HTTP_LOOPS_MAX ? HTTP_LOOPS_MAX : (size_t)n;
}

/* Stops accepting; the requests in flight go on, and their responses ask
 * the client to close, so that it reconnects to another instance. */
static void http_loop_quiesce(struct http_loop *l)
{
	hfront_quiesce(l->front);
	l->routes.closing = true;
}

static int http_loop_timeout(struct http_loop *l)
{
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	long ms = acct_quotes_timeout_ms(l->routes.quotes);
	int64_t due = hdeadline_next(&l->routes.deadlines);
	int front_ms = hfront_timeout_ms(l->front);
	if (front_ms >= 0 && (ms < 0 || front_ms < ms))
		ms = front_ms;
	if (MHD_get_timeout(l->daemon, &mhd_ms) == MHD_YES &&
	    (ms < 0 || mhd_ms < (unsigned long)ms))
		ms = mhd_ms > INT32_MAX ? INT32_MAX : (long)mhd_ms;
	if (due != INT64_MAX) {
		int64_t left = due - timing_mono_ms();
		left = left < 0 ? 0 : left;
		if (ms < 0 || left < ms)
			ms = left > INT32_MAX ? INT32_MAX : (long)left;
	}
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Shuts down the connections whose request is late; MHD_run then closes
 * them. */
static void http_loop_expire(struct http_loop *l)
{
	size_t n = hdeadline_expire(&l->routes.deadlines, timing_mono_ms());
	/* The front doors' timeouts too, each counted once by whichever
	 * loop takes it. */
	n += (size_t)atomic_exchange(&l->routes.front->timeouts, 0);
	while (n-- > 0)
		acct_metrics_refused(l->routes.o->metrics, ACCT_REFUSED_REQUEST_TIMEOUT);
}

/* Done when stopping and nothing is left in flight; a request that does
 * not finish within the grace is cut, unless it waits for a quote (its
 * connection is suspended, and a quote call always ends). */
static bool http_loop_done(struct http_loop *l, int64_t drain_deadline_ms)
{
	if (!l->routes.closing || acct_quotes_in_flight(l->routes.quotes) != 0)
		return false;
	return (l->routes.active == 0 && hfront_holding(l->front) == 0) ||
	       timing_mono_ms() >= drain_deadline_ms;
}

static void *http_loop_run(void *arg)
{
	struct http_loop *l = arg;
	struct epoll_event ev[HTTP_EVENTS];
	int64_t drain_deadline_ms = INT64_MAX;
	uint64_t wakes;

	while (!http_loop_done(l, drain_deadline_ms)) {
		int n = epoll_wait(l->epoll_fd, ev, HTTP_EVENTS, http_loop_timeout(l));
		bool front = hfront_timeout_ms(l->front) == 0;
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == l->wake_fd) {
				if (read(fd, &wakes, sizeof(wakes)) < 0 && errno != EAGAIN)
					log_warn("eventfd read: %s", strerror(errno));
			} else if (fd == l->front_fd) {
				front = true;
			} else if (fd != l->mhd_fd) {
				acct_quotes_on_socket(l->routes.quotes, fd, ev[i].events);
			}
		}
		if (front)
			hfront_run(l->front);
		if (acct_quotes_timeout_ms(l->routes.quotes) == 0)
			acct_quotes_on_timeout(l->routes.quotes);
		http_loop_expire(l);
		if (atomic_load(&l->stopping) && !l->routes.closing) {
			http_loop_quiesce(l);
			drain_deadline_ms =
				timing_mono_ms() + l->quotes_timeout_ms + HTTP_DRAIN_GRACE_MS;
		}
		MHD_run(l->daemon);
	}
	return NULL;
}

static bool http_loop_admit(void *cls, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct http_loop *l = cls;
	return MHD_add_connection(l->daemon, fd, sa, len) == MHD_YES;
}

/* {"error": why}, counted as any answer of the route "other". */
static size_t http_loop_refuse(void *cls, const struct hreq_refusal *why, bool head, char *buf,
			       size_t cap)
{
	struct http_loop *l = cls;
	cJSON *root = cJSON_CreateObject();
	char *body = NULL;
	size_t len = 0;

	acct_metrics_request(l->routes.o->metrics, ACCT_ROUTE_OTHER, why->status, 0);
	if (root != NULL && cJSON_AddStringToObject(root, "error", why->message) != NULL)
		body = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (body != NULL)
		len = hfront_answer(buf, cap, why->status, "", body, head);
	cJSON_free(body);
	return len;
}

static int http_epoll_add(int epoll_fd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* Sets up loop l on its own copy of the listening socket. */
static int http_loop_init(struct acct_http *h, struct http_loop *l, int listen_fd, char *err,
			  size_t errlen)
{
	const union MHD_DaemonInfo *info;
	int fd;

	l->routes.o = &h->o;
	l->routes.healthy = &h->healthy;
	l->routes.peers = h->peers;
	l->routes.front = &h->front;
	l->routes.deadlines.timeout_ms = h->o.request_timeout_ms;
	l->quotes_timeout_ms = h->o.quotes_timeout_ms;
	atomic_init(&l->stopping, false);
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epoll_fd < 0 || l->wake_fd < 0 || http_epoll_add(l->epoll_fd, l->wake_fd) != 0) {
		snprintf(err, errlen, "cannot create an event loop: %s", strerror(errno));
		return -1;
	}
	l->routes.quotes = acct_quotes_new(l->epoll_fd, h->o.quotes_url, h->o.quotes_timeout_ms,
					   h->o.quotes_close_wait_ms, h->o.quotes_balance,
					   h->o.metrics);
	if (l->routes.quotes == NULL) {
		snprintf(err, errlen, "cannot set up quote calls to %s", h->o.quotes_url);
		return -1;
	}
	l->daemon = MHD_start_daemon(
				 MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
					 MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET,
				 0, NULL, NULL, acct_routes_access, &l->routes,
				 MHD_OPTION_EXTERNAL_LOGGER, log_http_server, NULL,
				 MHD_OPTION_URI_LOG_CALLBACK,
				 acct_routes_begin, &l->routes, MHD_OPTION_NOTIFY_COMPLETED,
				 acct_routes_completed, &l->routes, MHD_OPTION_NOTIFY_CONNECTION,
				 acct_routes_connection, &l->routes, MHD_OPTION_CONNECTION_LIMIT,
				 (unsigned)h->o.max_connections + 1, MHD_OPTION_CONNECTION_TIMEOUT,
				 (unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				 (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_UNESCAPE_CALLBACK,
				 hguard_unescape, NULL, MHD_OPTION_END);
	if (l->daemon == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server");
		return -1;
	}
	/* The front door owns (and closes) its copy of the socket. */
	fd = dup(listen_fd);
	l->front = fd < 0 ? NULL
			  : hfront_new(&(struct hfront_options){
				    .listen_fd = fd,
				    .limits = {.max_head = HTTP_MAX_HEAD,
					       .max_fields = HTTP_MAX_FIELDS},
				    .timeout_ms = h->o.request_timeout_ms,
				    .peers = h->peers,
				    .shared = &h->front,
				    .admit = http_loop_admit,
				    .refuse = http_loop_refuse,
				    .cls = l,
			    });
	l->front_fd = l->front != NULL ? hfront_fd(l->front) : -1;
	if (l->front_fd < 0 || http_epoll_add(l->epoll_fd, l->front_fd) != 0) {
		snprintf(err, errlen, "cannot start the front door");
		return -1;
	}
	info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	l->mhd_fd = info != NULL ? info->epoll_fd : -1;
	if (l->mhd_fd < 0 || http_epoll_add(l->epoll_fd, l->mhd_fd) != 0) {
		snprintf(err, errlen, "cannot watch the HTTP server");
		return -1;
	}
	if (pthread_create(&l->thread, NULL, http_loop_run, l) != 0) {
		snprintf(err, errlen, "cannot start an HTTP thread");
		return -1;
	}
	l->started = true;
	return 0;
}

struct acct_http *acct_http_start(const struct acct_http_options *o, char *err, size_t errlen)
{
	struct acct_http *h = calloc(1, sizeof(*h));
	int listen_fd;
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->o = *o;
	if (h->o.max_connections == 0)
		h->o.max_connections = HTTP_CONNECTION_LIMIT;
	atomic_init(&h->healthy, true);
	/* The cap in all is peercap's, shared by the loops, so that one
	 * loop is not full while another has room; each daemon's own limit
	 * is only a backstop above it (it would refuse without a word). */
	h->peers = peercap_new(o->max_per_client, h->o.max_connections);
	if (h->peers == NULL) {
		snprintf(err, errlen, "out of memory");
		free(h);
		return NULL;
	}
	for (size_t i = 0; i < HTTP_LOOPS_MAX; i++)
		h->loops[i].epoll_fd = h->loops[i].wake_fd = -1;
	h->front.max_pending = o->max_pending;
	if (hfront_shared_init(&h->front) < 0) {
		snprintf(err, errlen, "cannot create a mutex");
		peercap_free(h->peers);
		free(h);
		return NULL;
	}
	listen_fd = hfront_listen(o->port, HTTP_BACKLOG, &h->port, err, errlen);
	if (listen_fd < 0) {
		hfront_shared_destroy(&h->front, h->peers);
		peercap_free(h->peers);
		free(h);
		return NULL;
	}
	h->nloops = http_loop_count();
	for (size_t i = 0; i < h->nloops; i++) {
		if (http_loop_init(h, &h->loops[i], listen_fd, err, errlen) != 0) {
			close(listen_fd);
			acct_http_stop(h);
			return NULL;
		}
	}
	close(listen_fd);
	return h;
}

int acct_http_port(const struct acct_http *h)
{
	return h->port;
}

bool acct_http_is_healthy(const struct acct_http *h)
{
	return atomic_load(&h->healthy);
}

void acct_http_stop(struct acct_http *h)
{
	uint64_t one = 1;
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nloops; i++) {
		struct http_loop *l = &h->loops[i];
		atomic_store(&l->stopping, true);
		if (l->started && write(l->wake_fd, &one, sizeof(one)) < 0)
			log_warn("eventfd write: %s", strerror(errno));
	}
	for (size_t i = 0; i < h->nloops; i++) {
		struct http_loop *l = &h->loops[i];
		if (l->started)
			pthread_join(l->thread, NULL);
		hfront_free(l->front);
		if (l->daemon != NULL)
			MHD_stop_daemon(l->daemon);
		acct_quotes_free(l->routes.quotes);
		if (l->wake_fd >= 0)
			close(l->wake_fd);
		if (l->epoll_fd >= 0)
			close(l->epoll_fd);
	}
	hfront_shared_destroy(&h->front, h->peers);
	peercap_free(h->peers);
	free(h);
}
