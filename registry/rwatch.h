#ifndef DISCOVERY_REGISTRY_RWATCH_H
#define DISCOVERY_REGISTRY_RWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "hdeadline.h"
#include "heap.h"

/*
 * The registry's watcher thread and what it watches:
 *
 * - Suspended HTTP connections waiting for the table to change: blocking
 *   queries and idle event streams. A waiter costs no thread: its
 *   connection is suspended (MHD_suspend_connection) and resumed by
 *   rwatch_notify() when its service changes (only then: waiters are
 *   indexed by service, rwait.h), or by the watcher when its
 *   deadline passes, or when its client hangs up: libmicrohttpd does not
 *   poll a suspended connection, so the watcher keeps its socket in an
 *   epoll set of its own (EPOLLRDHUP) while it is suspended.
 * - Request deadlines (hdeadline.h): a connection that has not delivered
 *   its request within the request timeout is shut down.
 *
 * No wake-up is lost: rwatch_suspend() re-checks the caller's condition
 * under rwatch's lock, and rwatch_notify() takes that lock after the table
 * has committed the change.
 */
struct rwatch;
struct rwait_group;

enum rwatch_kind { RWATCH_QUERY, RWATCH_STREAM };

struct rwatch_entry {
	/* Set by the caller before rwatch_suspend(). */
	struct MHD_Connection *conn;
	enum rwatch_kind kind;
	const char *service; /* NULL: wake for any change */
	int64_t deadline_ms; /* monotonic */
	/* Set by rwatch when it resumes the connection because the client
	 * hung up; read by the caller after the resume. */
	bool gone;
	/* rwatch's own (and rwait's, its index of them). */
	struct rwatch_entry *prev, *next; /* in its service's group */
	struct rwait_group *group;
	struct heap_node due; /* in rwait's deadline heap, at deadline_ms */
	int fd;
	uint32_t gen;
};

struct rwatch_limits {
	size_t max_waiting;	   /* blocking queries suspended at once; 0: none */
	size_t max_streams;	   /* event streams open at once; 0: none */
	int64_t request_timeout_ms; /* 0: no request deadlines */
};

struct rwatch *rwatch_new(const struct rwatch_limits *limits) __attribute__((warn_unused_result));
/* Resumes everything still waiting, stops the watcher thread, frees. */
void rwatch_free(struct rwatch *w);

enum rwatch_result {
	RWATCH_SUSPENDED, /* wait: the connection is resumed later */
	RWATCH_READY,	  /* still_waiting() was false: answer now */
	RWATCH_CLOSED,	  /* stopping: answer now */
	RWATCH_FULL,	  /* max_waiting queries wait already */
	RWATCH_FAILED,	  /* no memory, or the socket cannot be watched */
};

/*
 * From an MHD handler or content reader only. If still_waiting(ctx) is true
 * (evaluated under the lock), suspends e->conn and registers e.
 */
enum rwatch_result rwatch_suspend(struct rwatch *w, struct rwatch_entry *e,
				  bool (*still_waiting)(void *ctx), void *ctx)
	__attribute__((warn_unused_result));

/* The table changed for service: resumes its waiters and the streams. */
void rwatch_notify(struct rwatch *w, const char *service);

/* Resumes every waiter and refuses new ones (before MHD_stop_daemon). */
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
	size_t waiting[2];	  /* by kind: suspended now */
	size_t streams_open;	  /* event streams open now */
	uint64_t woken[2];	  /* by kind: resumed by a change */
	uint64_t gone;		  /* held connections whose client hung up */
	uint64_t request_timeouts; /* connections shut down by their deadline */
};
void rwatch_stats(struct rwatch *w, struct rwatch_stats *out);

#endif
