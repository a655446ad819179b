/*
 * watchers: how long one change takes to reach every watcher. It holds
 * --queries blocking queries on /services/<service> and --streams event
 * streams on /events, then publishes --changes tokens (instance "w" of the
 * service, alternately DOWN and UP after a first UP, so each one is a
 * change) and for each
 * one takes the time from the publish to the moment the last watcher has
 * its whole answer: a blocking query its response, a stream its event.
 * Queries are sent again (same connection, keep-alive) with the new index
 * and the next change waits until the registry holds them all again.
 *
 * With --registry-pid it also reads the registry's VmRSS before the
 * connections open and once they are held, for the memory per connection.
 * Lines printed:
 *   held queries=… streams=… rss_kb_before=… rss_kb_held=… bytes_per_conn=…
 *   change=K last_ms=… first_ms=…     (one per change)
 *   changes=K p50_ms=… p99_ms=… max_ms=…
 * The same tool with --queries 1 --streams 0 is the arrival-to-visible
 * probe of the scale case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "amqp_session.h"
#include "config.h"
#include "timing.h"

#define WATCH_BUF     8192
#define WATCH_WAIT_MS 60000
#define WATCH_EVENTS  512

struct watch_options {
	const char *url;
	const char *exchange;
	const char *service;
	long port;
	long queries;
	long streams;
	long changes;
	long registry_pid;
	int64_t gap_ms;
};

/* One held connection: a query keeps its partial response, a stream only
 * the tail of what it read (a marker may straddle two reads). */
struct watch_conn {
	int fd;
	int is_stream;
	int answered; /* for the current change */
	size_t len;
	char buf[WATCH_BUF];
};

static double watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int watch_connect(long port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int watch_send(int fd, const char *req)
{
	size_t len = strlen(req), off = 0;

	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* A whole response to a one-off request (HTTP/1.0: read to the close) into
 * buf; its length, or -1. */
static long watch_get(long port, const char *path, char *buf, size_t size)
{
	char req[512];
	size_t len = 0;
	int fd = watch_connect(port);
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: bench\r\n\r\n", path);
	if (watch_send(fd, req) < 0) {
		close(fd);
		return -1;
	}
	while (len + 1 < size && (n = recv(fd, buf + len, size - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return (long)len;
}

/* The value of a metric line "NAME VALUE" of /metrics, or -1. */
static long watch_metric(long port, const char *name)
{
	static char buf[1 << 18];
	char *p = buf;
	size_t nlen = strlen(name);

	if (watch_get(port, "/metrics", buf, sizeof(buf)) < 0)
		return -1;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == buf || p[-1] == '\n') && p[nlen] == ' ')
			return strtol(p + nlen + 1, NULL, 10);
		p += nlen;
	}
	return -1;
}

static long watch_rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Publishes instance "w" of the service: UP for an even k, DOWN for odd. */
static int watch_publish(struct amqp_session *s, const struct watch_options *o, long k)
{
	char body[256], key[128];
	struct amqp_session_message m = {.exchange = o->exchange,
					 .content_type = "application/json"};

	snprintf(body, sizeof(body),
		 "{\"state\":\"%s\",\"address\":\"10.250.0.1\",\"instanceId\":\"w\",\"ttl\":300,"
		 "\"seq\":%ld}",
		 k % 2 ? "DOWN" : "UP", k + 1);
	snprintf(key, sizeof(key), "discovery.%s.%s", o->service, k % 2 ? "down" : "up");
	m.routing_key = key;
	m.body = body;
	m.len = strlen(body);
	return amqp_session_publish(s, &m);
}

/* The X-Registry-Index of the service once it lists instance "w" (the
 * first token is in), or -1. */
static long watch_index(const struct watch_options *o)
{
	static char buf[1 << 20];
	char path[128], *h;
	int64_t start = timing_mono_ms();

	snprintf(path, sizeof(path), "/services/%s", o->service);
	while (watch_get(o->port, path, buf, sizeof(buf)) < 0 ||
	       strstr(buf, "\"instanceId\":\"w\"") == NULL) {
		if (timing_mono_ms() - start > WATCH_WAIT_MS)
			return -1;
		timing_sleep_ms(10);
	}
	h = strcasestr(buf, "\r\nX-Registry-Index:");
	return h ? strtol(h + 19, NULL, 10) : -1;
}

static int watch_arm(struct watch_conn *c, const struct watch_options *o, long index)
{
	char req[256];

	if (c->is_stream)
		snprintf(req, sizeof(req), "GET /events HTTP/1.1\r\nHost: bench\r\n\r\n");
	else
		snprintf(req, sizeof(req),
			 "GET /services/%s?index=%ld&wait=10m HTTP/1.1\r\nHost: bench\r\n\r\n",
			 o->service, index);
	c->len = 0;
	return watch_send(c->fd, req);
}

/* Reads what is there; 1 once the connection has its answer to the
 * current change (a query's whole response, an event on a stream), 0 if
 * not yet, -1 if it closed. *index gets a query response's index. */
static int watch_read(struct watch_conn *c, long *index)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
		char *end, *cl;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if (c->is_stream) {
			int seen = strstr(c->buf, "event: join") || strstr(c->buf, "event: leave");
			size_t keep = c->len < 16 ? c->len : 16;
			memmove(c->buf, c->buf + c->len - keep, keep);
			c->len = keep;
			if (seen) {
				c->len = 0;
				return 1;
			}
			continue;
		}
		end = strstr(c->buf, "\r\n\r\n");
		cl = strcasestr(c->buf, "\r\nContent-Length:");
		if (end != NULL && cl != NULL && cl < end &&
		    c->len >= (size_t)(end + 4 - c->buf) + (size_t)strtol(cl + 17, NULL, 10)) {
			char *ix = strcasestr(c->buf, "\r\nX-Registry-Index:");
			if (ix != NULL && ix < end && strtol(ix + 19, NULL, 10) > *index)
				*index = strtol(ix + 19, NULL, 10);
			c->len = 0;
			return 1;
		}
		if (c->len + 1 >= sizeof(c->buf))
			return -1;
	}
}

/* Until every query is held again and every stream idle; after is the
 * number of changes made so far, for the message. */
static int watch_wait_held(const struct watch_options *o, long after)
{
	int64_t start = timing_mono_ms();
	long q, s;

	for (;;) {
		q = watch_metric(o->port, "registry_blocking_queries_waiting");
		s = watch_metric(o->port, "registry_event_streams_waiting");
		if (q >= o->queries && s >= o->streams)
			return 0;
		if (timing_mono_ms() - start > WATCH_WAIT_MS)
			break;
		timing_sleep_ms(10);
	}
	fprintf(stderr,
		"watchers: after %ld of %ld changes, the registry holds %ld of %ld queries, %ld of "
		"%ld streams\n",
		after, o->changes, q, o->queries, s, o->streams);
	return -1;
}

static int watch_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int watch_run(struct amqp_session *s, const struct watch_options *o,
		     struct watch_conn *conns, double *lat)
{
	long n = o->queries + o->streams, i, k, index = watch_index(o);
	long rss0 = o->registry_pid ? watch_rss_kb(o->registry_pid) : -1, rss1;
	int ep = epoll_create1(0);
	struct epoll_event evs[WATCH_EVENTS];

	if (ep < 0 || index < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
		conns[i].is_stream = i >= o->queries;
		conns[i].fd = watch_connect(o->port);
		if (conns[i].fd < 0 || watch_arm(&conns[i], o, index) < 0) {
			fprintf(stderr, "watchers: connection %ld failed: %s\n", i,
				strerror(errno));
			return -1;
		}
		fcntl(conns[i].fd, F_SETFL, O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}
	if (watch_wait_held(o, 0) < 0)
		return -1;
	/* The streams' snapshots are in: drop them. */
	for (i = o->queries; i < n; i++)
		while (recv(conns[i].fd, conns[i].buf, sizeof(conns[i].buf), 0) > 0)
			conns[i].len = 0;
	rss1 = o->registry_pid ? watch_rss_kb(o->registry_pid) : -1;
	printf("held queries=%ld streams=%ld rss_kb_before=%ld rss_kb_held=%ld "
	       "bytes_per_conn=%.0f\n",
	       o->queries, o->streams, rss0, rss1,
	       n > 0 && rss0 >= 0 ? (double)(rss1 - rss0) * 1024.0 / (double)n : -1.0);
	fflush(stdout);
	for (k = 0; k < o->changes; k++) {
		long left = n;
		double t0 = watch_now_ms(), first = -1, last = 0;

		for (i = 0; i < n; i++)
			conns[i].answered = 0;
		if (watch_publish(s, o, k + 1) < 0)
			return -1;
		while (left > 0) {
			int m = epoll_wait(ep, evs, WATCH_EVENTS, 1000), j;
			if (watch_now_ms() - t0 > WATCH_WAIT_MS) {
				fprintf(stderr, "watchers: %ld of %ld unanswered\n", left, n);
				return -1;
			}
			for (j = 0; j < m; j++) {
				struct watch_conn *c = evs[j].data.ptr;
				int r = watch_read(c, &index);
				if (r < 0) {
					fprintf(stderr,
						"watchers: the registry closed a connection\n");
					return -1;
				}
				if (r == 1 && !c->answered) {
					c->answered = 1;
					left--;
					last = watch_now_ms() - t0;
					if (first < 0)
						first = last;
				}
			}
		}
		lat[k] = last;
		printf("change=%ld last_ms=%.2f first_ms=%.2f\n", k + 1, last, first);
		fflush(stdout);
		for (i = 0; i < o->queries; i++)
			if (watch_arm(&conns[i], o, index) < 0)
				return -1;
		if (watch_wait_held(o, k + 1) < 0)
			return -1;
		timing_sleep_ms(o->gap_ms);
	}
	qsort(lat, (size_t)o->changes, sizeof(*lat), watch_cmp);
	printf("changes=%ld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", o->changes,
	       lat[(o->changes - 1) / 2], lat[(o->changes * 99 + 99) / 100 - 1],
	       lat[o->changes - 1]);
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	struct watch_options o = {
		.url = "amqp://guest:guest@localhost:5672/",
		.exchange = "discovery",
		.service = "watched",
		.port = 6868,
		.queries = 5000,
		.streams = 5000,
		.changes = 20,
	};
	const struct config_option opts[] = {
		{"amqp-url", "AMQP_SERVER_URL", CONFIG_URL, &o.url, 0, 0, "broker URL"},
		{"discovery-exchange", "DISCOVERY_EXCHANGE", CONFIG_STRING, &o.exchange, 0, 0,
		 "topic exchange of the discovery tokens"},
		{"port", "REGISTRY_PORT", CONFIG_INT, &o.port, 1, 65535,
		 "the registry's HTTP port"},
		{"service", NULL, CONFIG_STRING, &o.service, 0, 0, "the service watched"},
		{"queries", NULL, CONFIG_INT, &o.queries, 0, 100000, "blocking queries held"},
		{"streams", NULL, CONFIG_INT, &o.streams, 0, 100000, "event streams held"},
		{"changes", NULL, CONFIG_INT, &o.changes, 1, 100000, "changes timed"},
		{"gap", NULL, CONFIG_DURATION_MS, &o.gap_ms, 0, 600000,
		 "pause between two changes"},
		{"registry-pid", NULL, CONFIG_INT, &o.registry_pid, 0, 1L << 30,
		 "the registry's PID, for its memory (0: not measured)"},
	};
	struct amqp_session_options so = {.connection_name = "bench-watchers"};
	struct rlimit rl;
	struct amqp_session *s;
	struct watch_conn *conns;
	double *lat;
	char err[256];
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv,
			     "Times one change reaching many held watchers of the registry.", err,
			     sizeof(err));

	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "watchers: %s\n", err);
		return CONFIG_EXIT_USAGE;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	so.url = o.url;
	s = amqp_session_new(&so);
	conns = calloc((size_t)(o.queries + o.streams) + 1, sizeof(*conns));
	lat = calloc((size_t)o.changes, sizeof(*lat));
	rc = 1;
	if (s == NULL || conns == NULL || lat == NULL) {
		fprintf(stderr, "watchers: out of memory or a bad broker URL\n");
		goto out_free;
	}
	if (amqp_session_open(s, err, sizeof(err)) < 0 ||
	    amqp_session_declare_exchange(s, o.exchange, "topic", true) < 0) {
		fprintf(stderr, "watchers: broker: %s\n", err);
		goto out_free;
	}
	/* The first token makes the service exist; the run starts after it. */
	if (watch_publish(s, &o, 0) == 0 && watch_run(s, &o, conns, lat) == 0)
		rc = 0;
out_free:
	free(lat);
	free(conns);
	if (s != NULL)
		amqp_session_free(s);
	return rc;
}
