#ifndef DISCOVERY_REGISTRY_RWATCH_H
#define DISCOVERY_REGISTRY_RWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hdeadline.h"
#include "heap.h"

/*
 * The registry's watcher thread and what it watches:
 *
 * - Held connections: blocking queries waiting for their service to change
 *   and idle event streams, taken out of libmicrohttpd (rheld.h) so that
 *   a held connection costs its socket and a small struct, not an MHD
 *   connection and its 8 KiB pool. rwatch watches each socket (edge
 *   triggered, so that a change costs no epoll_ctl) and calls the entry's
 *   wake() on its threads (the watcher and threads - 1 others, which take
 *   the woken entries in batches, so that the answers to one change are
 *   written on every CPU) when the service changes (only then: waiters
 *   are indexed by service, rwait.h), when its deadline passes, when the
 *   client hangs up, when a socket that was full takes more, or when the
 *   server stops. wake() writes the answer itself and then holds the entry
 *   again, hands the socket back to libmicrohttpd, or closes it.
 * - Request deadlines (hdeadline.h): a connection that has not delivered
 *   its request within the request timeout is shut down.
 *
 * No wake-up is lost: rwatch_hold() re-checks the caller's condition under
 * rwatch's lock, and rwatch_notify() takes that lock after the table has
 * committed the change.
 */
struct rwatch;
struct rwait_group;

enum rwatch_kind { RWATCH_QUERY, RWATCH_STREAM };

/* Why wake() is called. */
enum rwatch_why {
	RWATCH_CHANGED,	 /* the service (or, for service NULL, anything) changed */
	RWATCH_DUE,	 /* deadline_ms passed */
	RWATCH_GONE,	 /* the client hung up */
	RWATCH_WRITABLE, /* want_write: the socket takes more */
	RWATCH_CLOSING,	 /* the server stops: finish now */
	RWATCH_LATER,	 /* rwatch_later(): nothing else is ready now */
};

struct rwatch_entry {
	/* Set by the owner before rwatch_hold(). */
	int fd; /* the owner's; watched from the first hold to rwatch_release() */
	enum rwatch_kind kind;
	const char *service; /* NULL: wake for any change */
	int64_t deadline_ms; /* monotonic */
	bool want_write;     /* held until the socket takes more, not for a change */
	bool inside;	     /* fd is a suspended libmicrohttpd connection's */
	/* On rwatch's thread, without its lock; e is out of the set and the
	 * owner's until it holds e again. */
	void (*wake)(struct rwatch_entry *e, enum rwatch_why why);
	/* rwatch's own (and rwait's, its index of them). */
	struct rwatch_entry *prev, *next; /* in its group, or next on the ready list */
	struct rwait_group *group;
	struct heap_node due; /* in rwait's deadline heap, at deadline_ms */
	enum rwatch_why why;  /* on the ready list */
	uint32_t gen;	      /* its socket's tag in the epoll set; 0: not in it */
	bool held;
	bool hup; /* hung up while out of the set */
};

struct rwatch_limits {
	size_t max_waiting;	   /* blocking queries held at once; 0: none */
	size_t max_streams;	   /* event streams open at once; 0: none */
	int64_t request_timeout_ms; /* 0: no request deadlines */
	unsigned int threads;	   /* threads that run wake(), the watcher's among them */
};

struct rwatch *rwatch_new(const struct rwatch_limits *limits) __attribute__((warn_unused_result));
/* Closes (rwatch_close), stops the watcher thread, frees. */
void rwatch_free(struct rwatch *w);

enum rwatch_result {
	RWATCH_HELD,   /* held: wake() is called later */
	RWATCH_READY,  /* still_waiting() was false: answer now */
	RWATCH_CLOSED, /* stopping: answer now */
	RWATCH_FULL,   /* max_waiting queries are held already */
	RWATCH_LEFT,   /* the client hung up while e was out of the set */
	RWATCH_FAILED, /* no memory, or the socket cannot be watched */
};

/*
 * Holds e: if still_waiting(ctx) is true (evaluated under the lock; NULL:
 * true), e waits in the set, and its socket is watched. From any thread
 * that owns e.
 */
enum rwatch_result rwatch_hold(struct rwatch *w, struct rwatch_entry *e,
			       bool (*still_waiting)(void *ctx), void *ctx)
	__attribute__((warn_unused_result));
/* From wake(): wake e again, with RWATCH_LATER, once no entry is ready
 * (what a woken entry does after its answer is out, so that it does not
 * hold up the other answers). */
void rwatch_later(struct rwatch *w, struct rwatch_entry *e);
/* The owner is done with e's socket (before closing it or handing it on):
 * rwatch stops watching it. e must be out of the set. */
void rwatch_release(struct rwatch *w, struct rwatch_entry *e);

/* The table changed for service: wakes its waiters and the streams. */
void rwatch_notify(struct rwatch *w, const char *service);

/* Wakes every held entry with RWATCH_CLOSING, refuses new ones, and
 * returns once every wake() has returned (before MHD_stop_daemon). */
void rwatch_close(struct rwatch *w);
bool rwatch_closed(struct rwatch *w);

/* An event stream begins (false: max_streams are open, or closing) and
 * ends. */
bool rwatch_stream_open(struct rwatch *w) __attribute__((warn_unused_result));
void rwatch_stream_close(struct rwatch *w);

/* A connection's request deadline: armed when the connection starts and
 * after each response, disarmed once a request is complete and when the
 * connection closes (before libmicrohttpd closes its socket). */
void rwatch_deadline_arm(struct rwatch *w, struct hdeadline_entry *e);
void rwatch_deadline_disarm(struct rwatch *w, struct hdeadline_entry *e);

/* An HTTP connection closed. After a burst of closes, once they stop, the
 * watcher gives the memory they freed back to the system. */
void rwatch_connection_closed(struct rwatch *w);

struct rwatch_stats {
	size_t waiting[2];	  /* by kind: held for a change now */
	size_t streams_open;	  /* event streams open now */
	size_t sockets;		  /* held sockets watched now, outside libmicrohttpd */
	uint64_t woken[2];	  /* by kind: woken by a change */
	uint64_t gone;		  /* held connections whose client hung up */
	uint64_t request_timeouts; /* connections shut down by their deadline */
};
void rwatch_stats(struct rwatch *w, struct rwatch_stats *out);

#endif
