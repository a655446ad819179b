#ifndef DISCOVERY_REGISTRY_RWATCH_H
#define DISCOVERY_REGISTRY_RWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

/*
 * Suspended HTTP connections waiting for the table to change: blocking
 * queries and idle event streams. A waiter costs no thread: its connection
 * is suspended (MHD_suspend_connection) and resumed by rwatch_notify() when
 * its service changes, or by rwatch's timer thread when its deadline passes.
 *
 * No wake-up is lost: rwatch_suspend() re-checks the caller's condition
 * under rwatch's lock, and rwatch_notify() takes that lock after the table
 * has committed the change.
 */
struct rwatch;

enum rwatch_kind { RWATCH_QUERY, RWATCH_STREAM };

struct rwatch_entry {
	/* Set by the caller before rwatch_suspend(). */
	struct MHD_Connection *conn;
	enum rwatch_kind kind;
	const char *service; /* NULL: wake for any change */
	int64_t deadline_ms; /* monotonic */
	/* rwatch's own. */
	struct rwatch_entry *prev, *next;
	bool linked;
};

struct rwatch *rwatch_new(void) __attribute__((warn_unused_result));
/* Resumes everything still waiting, stops the timer thread, frees. */
void rwatch_free(struct rwatch *w);

/*
 * From an MHD handler or content reader only. If still_waiting(ctx) is true
 * (evaluated under the lock), suspends e->conn, registers e and returns true;
 * otherwise, or once rwatch_close() ran, returns false.
 */
bool rwatch_suspend(struct rwatch *w, struct rwatch_entry *e,
		    bool (*still_waiting)(void *ctx), void *ctx);

/* The table changed for service: resumes its waiters and the streams. */
void rwatch_notify(struct rwatch *w, const char *service);

/* Resumes every waiter and refuses new ones (before MHD_stop_daemon). */
void rwatch_close(struct rwatch *w);
bool rwatch_closed(struct rwatch *w);

/* An HTTP connection closed. After a burst of closes, once they stop, the
 * timer thread gives the memory they freed back to the system. */
void rwatch_connection_closed(struct rwatch *w);

/* Waiters of a kind now. */
size_t rwatch_count(struct rwatch *w, enum rwatch_kind kind);

#endif
