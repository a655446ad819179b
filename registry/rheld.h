#ifndef DISCOVERY_REGISTRY_RHELD_H
#define DISCOVERY_REGISTRY_RHELD_H

#include <stdbool.h>

#include <microhttpd.h>

#include "peercap.h"
#include "registry/rwatch.h"

/*
 * Connections taken out of libmicrohttpd while they wait: a blocking query
 * that waits for its service to change (rheld_query.c, which writes its
 * answer itself and gives the socket back for the next request) and an
 * event stream once it is idle (rsse.c, which goes on writing its chunks).
 * Held inside libmicrohttpd, each would keep its connection and 8 KiB
 * pool, and every change would cost four epoll_ctl per waiter to resume
 * and suspend it; held here, it costs its socket and a small struct, and a
 * change one write (docs/benchmarks.md).
 *
 * How: the handler (or content reader) duplicates the connection's socket
 * and returns MHD_NO (MHD_CONTENT_READER_END_WITH_ERROR). libmicrohttpd
 * then closes its own descriptor, but the socket lives on in the
 * duplicate, because the daemon runs with MHD_USE_TURBO, under which
 * libmicrohttpd 0.9.75 closes without shutdown() (connection.c,
 * MHD_connection_mark_closed_). That is done only when libmicrohttpd has
 * read no byte past the request (rheld_read_only_requests): a request
 * pipelined behind it would be lost in its buffer. Such a query is held
 * inside libmicrohttpd instead, suspended, as every held query once was.
 * libmicrohttpd logs such a close as an application error: rheld_take()
 * marks the thread so that the registry's logger drops that one message.
 */

/* A socket taken from libmicrohttpd with its per-client count. */
struct rheld_socket {
	int fd;
	struct peercap_peer *peer;
};

/* Duplicates c's socket and takes its per-client count from its hguard
 * state; -1 when out of descriptors. */
int rheld_take(struct MHD_Connection *c, struct rheld_socket *out)
	__attribute__((warn_unused_result));
/* The handler keeps c after all: closes the duplicate, gives the count
 * back. */
void rheld_untake(struct MHD_Connection *c, struct rheld_socket *s);
/* The handler returns MHD_NO (the reader MHD_CONTENT_READER_END_WITH_ERROR)
 * now, on purpose (a hand-over, a stream whose client left): libmicrohttpd's
 * message about it is expected. */
void rheld_closing_on_purpose(void);
/* From the logger: true, once, when the message is that one. */
bool rheld_expected_message(void);
/* The held connection ends: closes the socket, releases the count. */
void rheld_close(struct peercap *peers, struct rheld_socket *s);

/* The other way to hold a connection, inside libmicrohttpd: c is suspended
 * first, so that no wake comes before the suspend, then e is held with its
 * fd set to c's and inside set (the caller sets the rest). false when c
 * has no socket to watch (nothing done). Otherwise *rc is the hold's
 * result; a hold that failed has resumed c at once, so that libmicrohttpd
 * calls its handler (or reader) again. */
bool rheld_suspend(struct rwatch *w, struct MHD_Connection *c, struct rwatch_entry *e,
		   bool (*still_waiting)(void *ctx), void *ctx, enum rwatch_result *rc)
	__attribute__((warn_unused_result));
/* From the wake() of such an entry: rwatch stops watching the socket, then
 * c runs again (and may close it, and free what holds e, at once). */
void rheld_resume(struct rwatch *w, struct rwatch_entry *e, struct MHD_Connection *c);

/* The bytes the kernel has handed to readers of fd (received, less those
 * still queued); false when it cannot say (not TCP). */
bool rheld_bytes_read(int fd, uint64_t *out);
/* Whether libmicrohttpd has read from c's socket exactly the requests it
 * parsed (hguard_conn's read_before and consumed), nothing more. */
bool rheld_read_only_requests(struct MHD_Connection *c);

/* Whether the request on c keeps its connection after the answer, as
 * libmicrohttpd decides it: HTTP/1.1 unless "Connection: close", HTTP/1.0
 * with "Connection: keep-alive". */
enum rheld_persist { RHELD_CLOSE, RHELD_KEEP, RHELD_KEEP_1_0 };
enum rheld_persist rheld_persist_of(struct MHD_Connection *c, const char *version);

#endif
