#ifndef DISCOVERY_HFRONT_H
#define DISCOVERY_HFRONT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hhead.h"
#include "peercap.h"

/*
 * The front door of an HTTP server on libmicrohttpd: it owns the listening
 * socket, accepts, and holds each new connection (non-blocking, in its own
 * epoll set) until the head of its first request is in, reading it with
 * MSG_PEEK so that every byte stays in the socket. hhead_check() judges
 * the head: a good one hands the socket to libmicrohttpd
 * (MHD_add_connection(), in the admit callback), which reads the request
 * as if it had accepted it; a bad one gets the server's own JSON refusal
 * with "Connection: close", and the connection closes once the client has
 * read it. libmicrohttpd 0.9.75 answers such heads itself, in HTML or not
 * at all, before any callback of ours runs.
 *
 * Only the first request of a connection passes here: libmicrohttpd reads
 * the later ones of a kept-alive connection alone (docs/api.md).
 *
 * Bounded: a head must be in within timeout_ms of the accept (else the
 * connection closes, counted as a timeout), at most max_pending
 * connections wait over all the fronts sharing one struct hfront_shared
 * (the next is closed at once, counted), and every connection counts
 * against the per-client cap (peercap) from its accept to its close: the
 * front door opens the count, the server's MHD_CONNECTION_NOTIFY_STARTED
 * takes it over with hfront_claim().
 *
 * A struct hfront is driven by one thread (hfront_run() when its fd is
 * readable or its timeout passed, as hiredis' adapters drive a context);
 * hfront_thread_start() is that thread for a server that has no loop of
 * its own.
 */
struct hfront;

/* What the fronts of one server share; zero it, set max_pending, and
 * hfront_shared_init() it. */
struct hfront_shared {
	size_t max_pending; /* connections waiting for their head; 0: no cap */
	atomic_size_t pending;
	atomic_uint_fast64_t refused_full; /* closed at accept: max_pending were waiting */
	atomic_uint_fast64_t timeouts;	   /* closed: no whole head within the timeout */
	pthread_mutex_t mu;		   /* guards handoffs */
	struct hfront_conn *handoffs;	   /* sockets given to MHD, not yet claimed */
};
int hfront_shared_init(struct hfront_shared *s) __attribute__((warn_unused_result));
/* Releases the count of every handoff never claimed. */
void hfront_shared_destroy(struct hfront_shared *s, struct peercap *peers);

struct hfront_options {
	int listen_fd; /* the front owns (and closes) it */
	struct hhead_limits limits;
	int64_t timeout_ms; /* 0: no deadline */
	struct peercap *peers;
	struct hfront_shared *shared;
	/* Gives a checked socket to libmicrohttpd: MHD_add_connection()'s
	 * result (it closes the socket when it fails). */
	bool (*admit)(void *cls, int fd, const struct sockaddr *sa, socklen_t len);
	/* Writes the whole answer refusing a head (status line, headers with
	 * "Connection: close", and the body unless head) into buf; returns
	 * its length, 0 when it does not fit (the connection just closes). */
	size_t (*refuse)(void *cls, const struct hreq_refusal *why, bool head, char *buf,
			 size_t cap);
	void *cls;
};

/* NULL when out of memory or descriptors; the listening socket is then
 * closed. */
struct hfront *hfront_new(const struct hfront_options *o) __attribute__((warn_unused_result));
/* Closes every connection still waiting, and the listening socket. */
void hfront_free(struct hfront *f);
/* The descriptor to watch for EPOLLIN (an epoll set), and the wait until
 * the next deadline (-1: none). */
int hfront_fd(const struct hfront *f);
int hfront_timeout_ms(const struct hfront *f);
/* Accepts, reads heads, answers and expires what is due; never blocks. */
void hfront_run(struct hfront *f);
/* Stops accepting (closes the listening socket); the connections waiting
 * go on. */
void hfront_quiesce(struct hfront *f);
/* Connections this front holds (waiting for a head, or closing). */
size_t hfront_holding(const struct hfront *f);

/* From MHD_CONNECTION_NOTIFY_STARTED: the per-client count of the socket
 * fd, which the front door opened (NULL: none). */
struct peercap_peer *hfront_claim(struct hfront_shared *s, int fd);

/* A socket that served a request outside libmicrohttpd (the registry's
 * held queries) goes back to it for its next request, as a socket from
 * the front door goes, with its per-client count (peer). On failure the
 * socket is closed and the count released. */
bool hfront_readmit(struct hfront_shared *s, struct peercap *peers, int fd,
		    struct peercap_peer *peer,
		    bool (*admit)(void *cls, int fd, const struct sockaddr *sa, socklen_t len),
		    void *cls);

/* An HTTP Date of now (RFC 9110 5.6.7); false if the clock cannot say. */
#define HFRONT_DATE_SIZE 40
bool hfront_date(char out[HFRONT_DATE_SIZE]);

/* The HTTP answer refusing a head: status line, Content-Type JSON,
 * Content-Length, Connection: close, extra (whole header lines, or ""),
 * then body unless head. Its length, 0 when it does not fit in cap. */
size_t hfront_answer(char *buf, size_t cap, unsigned status, const char *extra,
		     const char *body, bool head);

/* A non-blocking IPv4 socket listening on port on every address (0: any
 * free port), its port in *bound; -1 with a sentence in err. */
int hfront_listen(int port, int backlog, int *bound, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* A thread that runs f until hfront_thread_stop(), which frees f. */
struct hfront_thread;
struct hfront_thread *hfront_thread_start(struct hfront *f) __attribute__((warn_unused_result));
void hfront_thread_stop(struct hfront_thread *t);

#endif
