#ifndef DISCOVERY_HDEADLINE_H
#define DISCOVERY_HDEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Request deadlines of an HTTP server: a connection must deliver its whole
 * request (line, headers and any body) within timeout_ms of being accepted
 * or of its previous response, or its socket is shut down, which makes
 * libmicrohttpd close it at its next read. MHD_OPTION_CONNECTION_TIMEOUT
 * cannot do this: it counts inactivity, and a client sending one byte a
 * second is never inactive (slowloris).
 *
 * Every deadline is armed at now + timeout_ms, so the list is in deadline
 * order by construction: arming appends, and everything is O(1).
 *
 * Not thread-safe: the caller serialises every call on one list. The
 * connection's descriptor must stay open while its entry is armed (disarm
 * it in the MHD_CONNECTION_NOTIFY_CLOSED callback, which libmicrohttpd
 * calls before it closes the socket).
 */
struct hdeadline_entry {
	int fd;
	int64_t due_ms;
	struct hdeadline_entry *prev, *next;
	bool armed;
};

struct hdeadline {
	int64_t timeout_ms; /* 0: no deadlines, arming does nothing */
	struct hdeadline_entry *head, *tail;
};

/* (Re)arms e at now_ms + timeout_ms. */
void hdeadline_arm(struct hdeadline *d, struct hdeadline_entry *e, int64_t now_ms);
/* Idempotent. */
void hdeadline_disarm(struct hdeadline *d, struct hdeadline_entry *e);
/* When the first armed deadline is due (INT64_MAX: none). */
int64_t hdeadline_next(const struct hdeadline *d);
/* Shuts down and disarms every connection due by now_ms; returns how many. */
size_t hdeadline_expire(struct hdeadline *d, int64_t now_ms);

#endif
