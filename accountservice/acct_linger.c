#include "accountservice/acct_linger.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "timing.h"

/* Sockets waiting at once; past it, this side closes first and keeps that
 * TIME_WAIT. On loopback the server's FIN follows its answer within
 * microseconds, so few wait at any time. */
#define LINGER_MAX 1024
/* A server that keeps sending is read in this many bites per wake-up. */
#define LINGER_READS 16

enum linger_peer { LINGER_PEER_OPEN, LINGER_PEER_CLOSED, LINGER_PEER_FAILED };

struct acct_linger {
	int epoll_fd;
	long wait_ms;
	struct acct_metrics *metrics;
	/* Oldest first, in a ring; fd -1: closed already, popped once it
	 * reaches the head. Every socket waits as long, so the head has the
	 * earliest deadline. */
	struct linger_socket {
		int fd;
		int64_t deadline_ms;
	} ring[LINGER_MAX];
	size_t head, len;
};

/* Reads and drops what the server still sends, and says whether it has
 * closed its side (its FIN is in), is still open, or the socket failed
 * (never connected, or reset: nothing to wait for, and no TIME_WAIT on
 * either side). */
static enum linger_peer linger_peer_state(int fd)
{
	char buf[512];
	for (int i = 0; i < LINGER_READS; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return LINGER_PEER_CLOSED;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
				       ? LINGER_PEER_OPEN
				       : LINGER_PEER_FAILED;
	}
	return LINGER_PEER_OPEN;
}

/* The kernel's TCP state of fd (TCP_ESTABLISHED, TCP_CLOSE_WAIT, ...), or
 * -1. Only an established connection has a server's FIN to wait for (not
 * one still connecting, as a call that timed out there leaves); a FIN that
 * came in since the last read makes it CLOSE_WAIT. */
static int linger_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 ? ti.tcpi_state : -1;
}

/* Drops closed entries from the head of the ring. */
static void linger_trim(struct acct_linger *l)
{
	while (l->len > 0 && l->ring[l->head].fd < 0) {
		l->head = (l->head + 1) % LINGER_MAX;
		l->len--;
	}
}

/* fd waits in the epoll set for the server's close; -1 when the ring is
 * full or epoll refuses it. */
static int linger_add(struct acct_linger *l, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
	struct linger_socket *s;
	if (l->len == LINGER_MAX)
		return -1;
	if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(l->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0))
		return -1;
	s = &l->ring[(l->head + l->len) % LINGER_MAX];
	s->fd = fd;
	s->deadline_ms = timing_mono_ms() + l->wait_ms;
	l->len++;
	return 0;
}

struct acct_linger *acct_linger_new(int epoll_fd, long wait_ms, struct acct_metrics *metrics)
{
	struct acct_linger *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->epoll_fd = epoll_fd;
	l->wait_ms = wait_ms;
	l->metrics = metrics;
	return l;
}

int acct_linger_close(struct acct_linger *l, int fd)
{
	enum linger_peer peer = linger_peer_state(fd);
	int state = peer == LINGER_PEER_OPEN ? linger_tcp_state(fd) : -1;
	if (peer == LINGER_PEER_CLOSED || state == TCP_CLOSE_WAIT)
		acct_metrics_quote_closed(l->metrics, ACCT_CLOSED_BY_SERVER);
	if (state != TCP_ESTABLISHED)
		return close(fd);
	if (l->wait_ms == 0 || linger_add(l, fd) != 0) {
		acct_metrics_quote_closed(l->metrics, ACCT_CLOSED_BY_SERVICE);
		return close(fd);
	}
	return 0;
}

bool acct_linger_on_socket(struct acct_linger *l, int fd)
{
	for (size_t i = 0; i < l->len; i++) {
		struct linger_socket *s = &l->ring[(l->head + i) % LINGER_MAX];
		enum linger_peer peer;
		if (s->fd != fd)
			continue;
		peer = linger_peer_state(fd);
		if (peer == LINGER_PEER_CLOSED)
			acct_metrics_quote_closed(l->metrics, ACCT_CLOSED_BY_SERVER);
		if (peer != LINGER_PEER_OPEN) {
			close(fd);
			s->fd = -1;
			linger_trim(l);
		}
		return true;
	}
	return false;
}

int64_t acct_linger_deadline_ms(const struct acct_linger *l)
{
	return l->len > 0 ? l->ring[l->head].deadline_ms : -1;
}

/* Closes the waiting sockets whose deadline is at or before until. */
static void linger_close_until(struct acct_linger *l, int64_t until)
{
	while (l->len > 0) {
		struct linger_socket *s = &l->ring[l->head];
		if (s->fd >= 0 && s->deadline_ms > until)
			break;
		if (s->fd >= 0) {
			acct_metrics_quote_closed(l->metrics, ACCT_CLOSED_BY_SERVICE);
			close(s->fd);
		}
		s->fd = -1;
		linger_trim(l);
	}
}

void acct_linger_expire(struct acct_linger *l)
{
	linger_close_until(l, timing_mono_ms());
}

void acct_linger_free(struct acct_linger *l)
{
	if (l == NULL)
		return;
	linger_close_until(l, INT64_MAX);
	free(l);
}
