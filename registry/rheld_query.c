/*
 * Blocking queries held outside libmicrohttpd (rheld.h): the entry waits
 * in rwatch for its service to change or its wait to end, then writes the
 * answer libmicrohttpd would have written (the same head, from the cached
 * listing, in one sendmsg when the socket takes it) and gives the socket
 * back to the daemon for the connection's next request, or closes it.
 */
#include "registry/rhttp_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "registry/rheld.h"
#include "timing.h"

/* How long a client may take to read an answer its socket could not take
 * whole: libmicrohttpd's MHD_OPTION_CONNECTION_TIMEOUT (rhttp.c). */
#define HELD_SEND_TIMEOUT_MS 120000
#define HELD_HEAD_MAX	     512
#define HELD_IOV	     64

struct held_query {
	struct rwatch_entry entry;
	struct rhttp *h;
	struct rheld_socket sock;
	enum rroute route;
	char service[TOKEN_SERVICE_MAX + 1];
	bool has_state, head;
	enum token_state state;
	enum rgzip_choice coding;
	enum rheld_persist persist;
	uint64_t index; /* the one the client has */
	/* The answer, once woken: its head, its body, and how far it went
	 * (part 0 is the head, part i the body's part i - 1). */
	char *text;
	size_t text_len;
	struct rlist_body *body;
	size_t part, part_off;
};

static struct held_query *held_of(struct rwatch_entry *e)
{
	return (struct held_query *)(void *)((char *)e - offsetof(struct held_query, entry));
}

/* Only an index equal to the current one waits: a lower one has news, and
 * a higher one comes from an earlier run or another replica, so the client
 * must start over from this answer (as Consul's do). */
static bool index_current(struct rhttp *h, enum rroute route, const char *service,
			  uint64_t index)
{
	return subscriber_index(h->sub, route == RROUTE_SERVICES ? NULL : service) == index;
}

static bool still_waiting(void *ctx)
{
	struct held_query *q = ctx;

	return index_current(q->h, q->route, q->service, q->index);
}

/* The listing and the head libmicrohttpd would send with it (rreply.c's
 * headers, in its order); -1 on no memory. */
static int held_render(struct held_query *q, bool closing)
{
	static const char *const conn[] = {
		[RHELD_CLOSE] = "Connection: close\r\n",
		[RHELD_KEEP] = "",
		[RHELD_KEEP_1_0] = "Connection: Keep-Alive\r\n",
	};
	struct rlist_body *b = q->route == RROUTE_SERVICES
				       ? rlist_services(q->h->lists, q->coding)
				       : rlist_service(q->h->lists, q->service,
						       q->has_state ? &q->state : NULL, q->coding);
	char date[HFRONT_DATE_SIZE];
	int n;

	if (!b)
		return -1;
	if (closing)
		q->persist = RHELD_CLOSE;
	q->text = malloc(HELD_HEAD_MAX);
	if (!q->text || !hfront_date(date)) {
		rlist_release(b);
		return -1;
	}
	n = snprintf(q->text, HELD_HEAD_MAX,
		     "HTTP/1.1 200 OK\r\nDate: %s\r\n%sVary: Accept-Encoding\r\n%s"
		     "Content-Type: application/json\r\nX-Registry-Index: %llu\r\n"
		     "Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n"
		     "Access-Control-Expose-Headers: X-Registry-Index\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     date, conn[q->persist], b->gzip ? "Content-Encoding: gzip\r\n" : "",
		     (unsigned long long)b->index, b->len);
	if (n < 0 || n >= HELD_HEAD_MAX) {
		rlist_release(b);
		return -1;
	}
	q->text_len = (size_t)n;
	q->body = b;
	rreply_count_listing(q->h, b);
	rreply_count(q->h, q->route, MHD_HTTP_OK);
	return 0;
}

/* Sends what is left of the answer: 1 all of it, 0 the socket is full,
 * -1 the connection failed. */
static int held_send(struct held_query *q)
{
	size_t nparts = q->head ? 0 : q->body->nparts;

	while (q->part <= nparts) {
		struct iovec iov[HELD_IOV];
		struct msghdr msg = { .msg_iov = iov };
		size_t i, off = q->part_off;
		ssize_t n;

		for (i = q->part; i <= nparts && msg.msg_iovlen < HELD_IOV; i++, off = 0) {
			const char *text = i == 0 ? q->text : q->body->parts[i - 1].text;
			size_t len = i == 0 ? q->text_len : q->body->parts[i - 1].len;

			iov[msg.msg_iovlen].iov_base = (void *)(text + off);
			iov[msg.msg_iovlen++].iov_len = len - off;
		}
		n = sendmsg(q->entry.fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		/* Advance over what went out. */
		for (size_t left = (size_t)n; q->part <= nparts;) {
			size_t len = (q->part == 0 ? q->text_len : q->body->parts[q->part - 1].len) -
				     q->part_off;

			if (left < len) {
				q->part_off += left;
				break;
			}
			left -= len;
			q->part++;
			q->part_off = 0;
		}
	}
	return 1;
}

static void held_free(struct held_query *q)
{
	rlist_release(q->body);
	free(q->text);
	free(q);
}

/* The answer is out (or cannot be): the socket goes back to the daemon
 * for the next request, or closes. */
static void held_end(struct held_query *q, bool answered)
{
	struct rhttp *h = q->h;

	rwatch_release(h->watch, &q->entry);
	if (answered && q->persist != RHELD_CLOSE && !rwatch_closed(h->watch)) {
		(void)rfront_readmit(h, q->sock.fd, q->sock.peer);
		q->sock.fd = -1;
		q->sock.peer = NULL;
	} else {
		rheld_close(h->peers, &q->sock);
	}
	held_free(q);
}

static void held_wake(struct rwatch_entry *e, enum rwatch_why why)
{
	struct held_query *q = held_of(e);
	/* A client that hung up may only have shut down its sending side:
	 * it gets the answer, if its socket takes it now, and the close. */
	bool last = why == RWATCH_CLOSING || why == RWATCH_GONE;
	int rc;

	if (why == RWATCH_LATER) {
		held_end(q, true); /* answered: the socket goes back */
		return;
	}
	if (e->want_write && (last || why == RWATCH_DUE)) {
		held_end(q, false); /* hung up, or too slow to read */
		return;
	}
	if (!q->text && held_render(q, last) < 0) {
		held_end(q, false);
		return;
	}
	rc = held_send(q);
	if (rc == 0 && !last) {
		e->want_write = true;
		e->deadline_ms = timing_mono_ms() + HELD_SEND_TIMEOUT_MS;
		if (rwatch_hold(q->h->watch, e, NULL, NULL) == RWATCH_HELD)
			return;
	}
	/* Given back after the other answers of the change. */
	if (rc == 1 && q->persist != RHELD_CLOSE && !last)
		rwatch_later(q->h->watch, e);
	else
		held_end(q, rc == 1);
}

/* ---- held inside libmicrohttpd ---- */

static bool request_waiting(void *ctx)
{
	struct request *req = ctx;

	return index_current(req->h, req->route, req->service, req->q.index);
}

static void resume_wake(struct rwatch_entry *e, enum rwatch_why why)
{
	struct request *req =
		(struct request *)(void *)((char *)e - offsetof(struct request, entry));

	(void)why; /* whatever woke it, the handler answers */
	rheld_resume(req->h->watch, e, req->c);
}

/* The handler answers on its call after the resume (at once, should the
 * hold fail). */
static enum rheld_query_result hold_suspended(struct MHD_Connection *c, struct request *req)
{
	enum rwatch_result rc;

	req->c = c;
	req->entry.kind = RWATCH_QUERY;
	req->entry.service = req->route == RROUTE_SERVICE ? req->service : NULL;
	req->entry.deadline_ms = timing_mono_ms() + req->q.wait_ms;
	req->entry.wake = resume_wake;
	if (!rheld_suspend(req->h->watch, c, &req->entry, request_waiting, req, &rc))
		return RHELD_NOW;
	req->suspended = true;
	req->full = rc == RWATCH_FULL;
	return RHELD_SUSPENDED;
}

/* ---- taken out of libmicrohttpd ---- */

enum rheld_query_result rheld_query(struct MHD_Connection *c, struct request *req,
				    const char *version, bool head, enum rgzip_choice coding)
{
	struct held_query *q;
	enum rwatch_result rc;

	if (!rheld_read_only_requests(c))
		return hold_suspended(c, req);
	q = calloc(1, sizeof(*q));
	if (!q)
		return RHELD_NOW;
	/* Out of descriptors (each socket has two for a moment, libmicrohttpd's
	 * and ours, and a burst of connections can use them up): held inside
	 * libmicrohttpd. */
	if (rheld_take(c, &q->sock) < 0) {
		free(q);
		return hold_suspended(c, req);
	}
	q->h = req->h;
	q->route = req->route;
	memcpy(q->service, req->service, sizeof(q->service));
	q->has_state = req->q.has_state;
	q->state = req->q.state;
	q->head = head;
	q->coding = coding;
	q->persist = rheld_persist_of(c, version);
	q->index = req->q.index;
	q->entry.fd = q->sock.fd;
	q->entry.kind = RWATCH_QUERY;
	q->entry.service = q->route == RROUTE_SERVICE ? q->service : NULL;
	q->entry.deadline_ms = timing_mono_ms() + req->q.wait_ms;
	q->entry.wake = held_wake;
	rc = rwatch_hold(req->h->watch, &q->entry, still_waiting, q);
	if (rc == RWATCH_HELD) {
		rheld_closing_on_purpose();
		return RHELD_TAKEN; /* q is the watcher's: it may be woken already */
	}
	rwatch_release(req->h->watch, &q->entry);
	rheld_untake(c, &q->sock);
	free(q);
	return rc == RWATCH_FULL ? RHELD_FULL : RHELD_NOW;
}
