/*
 * held_floor: the reference of the watchers case, what this machine can
 * do at best. It holds --sockets loopback TCP connections and, for each of
 * --rounds, writes --bytes to every one (from --threads threads, each
 * with its share) while another process reads them all with one epoll
 * thread, as bench/watchers does, and takes the time from the first write
 * to the last byte read. No HTTP, no AMQP, no table: the system calls and
 * the loopback alone. Prints
 *   floor sockets=… threads=… bytes=… p50_ms=… p99_ms=…
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "timing.h"

#define FLOOR_EVENTS 512
#define FLOOR_MAX_BYTES 4096

struct floor_options {
	long sockets, rounds, bytes, threads;
};

struct floor_share {
	const int *fds;
	long n, bytes;
};

static int64_t floor_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *floor_write(void *arg)
{
	const struct floor_share *s = arg;
	char buf[FLOOR_MAX_BYTES];

	memset(buf, 'x', sizeof(buf));
	for (long i = 0; i < s->n; i++)
		if (send(s->fds[i], buf, (size_t)s->bytes, MSG_NOSIGNAL) != s->bytes)
			fprintf(stderr, "held_floor: short write: %s\n", strerror(errno));
	return NULL;
}

/* The reading process: each round, it says it is ready (r2w), reads
 * every byte, sends the moment of the last one (r2w) and waits for the
 * next round (w2r). */
static int floor_reader(const int *fds, const struct floor_options *o, int r2w, int w2r)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[FLOOR_EVENTS];
	long *got = calloc((size_t)o->sockets, sizeof(long));
	char buf[FLOOR_MAX_BYTES], c;

	if (ep < 0 || !got)
		return 1;
	for (long i = 0; i < o->sockets; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e) != 0)
			return 1;
	}
	for (long r = 0; r < o->rounds; r++) {
		long complete = 0;
		int64_t last;

		memset(got, 0, (size_t)o->sockets * sizeof(long));
		if (write(r2w, "r", 1) != 1)
			return 1;
		while (complete < o->sockets) {
			int n = epoll_wait(ep, ev, FLOOR_EVENTS, 10000);

			if (n <= 0)
				return 1;
			for (int k = 0; k < n; k++) {
				long i = (long)ev[k].data.u64;
				ssize_t m;

				while ((m = recv(fds[i], buf, sizeof(buf), 0)) > 0)
					if ((got[i] += m) == o->bytes)
						complete++;
			}
		}
		last = floor_now_us();
		if (write(r2w, &last, sizeof(last)) != sizeof(last) || read(w2r, &c, 1) != 1)
			return 1;
	}
	return 0;
}

static int floor_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The writing process: the sockets' server ends, written each round. */
static int floor_writer(const int *fds, const struct floor_options *o, int r2w, int w2r)
{
	pthread_t th[64];
	struct floor_share share[64];
	double *lat = calloc((size_t)o->rounds, sizeof(double));
	long per = (o->sockets + o->threads - 1) / o->threads;
	char c;

	if (!lat)
		return 1;
	for (long r = 0; r < o->rounds; r++) {
		int64_t start, last;

		if (read(r2w, &c, 1) != 1)
			return 1;
		start = floor_now_us();
		for (long t = 0; t < o->threads; t++) {
			long from = t * per, n = from + per > o->sockets ? o->sockets - from : per;
			share[t] = (struct floor_share){.fds = fds + from, .n = n < 0 ? 0 : n,
							.bytes = o->bytes};
			if (pthread_create(&th[t], NULL, floor_write, &share[t]) != 0)
				return 1;
		}
		for (long t = 0; t < o->threads; t++)
			pthread_join(th[t], NULL);
		if (read(r2w, &last, sizeof(last)) != sizeof(last) || write(w2r, "w", 1) != 1)
			return 1;
		lat[r] = (double)(last - start) / 1000.0;
	}
	qsort(lat, (size_t)o->rounds, sizeof(double), floor_cmp);
	printf("floor sockets=%ld threads=%ld bytes=%ld p50_ms=%.2f p99_ms=%.2f\n", o->sockets,
	       o->threads, o->bytes, lat[(o->rounds - 1) / 2],
	       lat[(size_t)((double)(o->rounds - 1) * 0.99)]);
	free(lat);
	return 0;
}

/* The reader's ends, connected in the child: each process holds one end
 * of every connection, within its own descriptor limit. */
static int *floor_connect(const struct sockaddr_in *sa, long n)
{
	int *fds = calloc((size_t)n, sizeof(int));

	for (long i = 0; fds && i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
			fprintf(stderr, "held_floor: connection %ld: %s\n", i, strerror(errno));
			return NULL;
		}
	}
	return fds;
}

int main(int argc, char **argv)
{
	struct floor_options o = {.sockets = 10000, .rounds = 20, .bytes = 300, .threads = 2};
	const struct config_option opts[] = {
		{"sockets", NULL, CONFIG_INT, &o.sockets, 1, 100000, "connections held"},
		{"rounds", NULL, CONFIG_INT, &o.rounds, 1, 100000, "writes to every connection"},
		{"bytes", NULL, CONFIG_INT, &o.bytes, 1, FLOOR_MAX_BYTES, "bytes of each write"},
		{"threads", NULL, CONFIG_INT, &o.threads, 1, 64, "writing threads"},
	};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	struct rlimit rl;
	int lfd, r2w[2], w2r[2], status;
	int *fds;
	char err[256];
	pid_t pid;
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv,
			     "The machine's floor for one write to each of many loopback "
			     "connections.", err, sizeof(err));

	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "held_floor: %s\n", err);
		return CONFIG_EXIT_USAGE;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4096) != 0 || getsockname(lfd, (struct sockaddr *)&sa, &len) != 0 ||
	    pipe(r2w) != 0 || pipe(w2r) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(lfd);
		fds = floor_connect(&sa, o.sockets);
		_exit(fds ? floor_reader(fds, &o, r2w[1], w2r[0]) : 1);
	}
	fds = calloc((size_t)o.sockets, sizeof(int));
	for (long i = 0; fds && i < o.sockets; i++)
		if ((fds[i] = accept(lfd, NULL, NULL)) < 0)
			return 1;
	status = fds ? floor_writer(fds, &o, r2w[0], w2r[1]) : 1;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(fds);
	return status;
}
