#ifndef DISCOVERY_HGUARD_H
#define DISCOVERY_HGUARD_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "hdeadline.h"
#include "peercap.h"

/*
 * What the registry's and the accountservice's libmicrohttpd daemons share
 * to keep one client from exhausting them: each connection's state for the
 * per-client cap (peercap.h) and its request deadline (hdeadline.h), kept
 * in MHD's socket context, and the check of a request body on routes that
 * take none. Each server arms and disarms the deadline under its own
 * threading rules.
 */
struct hguard_conn {
	struct peercap_peer *peer;
	struct hdeadline_entry deadline;
};

/* MHD's accept policy callback; cls is a struct peercap. */
enum MHD_Result hguard_accept(void *cls, const struct sockaddr *sa, socklen_t len);

/* From MHD_CONNECTION_NOTIFY_STARTED: the connection's state, stored in
 * *socket_ctx (NULL when out of memory: the connection is then neither
 * counted nor given a deadline). */
struct hguard_conn *hguard_conn_start(struct peercap *p, struct MHD_Connection *c,
				      void **socket_ctx);
/* From MHD_CONNECTION_NOTIFY_CLOSED, once its deadline is disarmed. */
void hguard_conn_end(struct peercap *p, void **socket_ctx);
/* The state of a connection (NULL if hguard_conn_start had no memory). */
struct hguard_conn *hguard_conn_of(struct MHD_Connection *c);

/*
 * On the first call of the access handler, for a route that takes no body:
 * true when the request announces a body over max bytes, or one of unknown
 * length (Transfer-Encoding). A 413 queued on that first call makes MHD
 * close the connection after it instead of reading the body.
 */
bool hguard_body_too_large(struct MHD_Connection *c, uint64_t max)
	__attribute__((warn_unused_result));

#endif
