#ifndef DISCOVERY_HGUARD_H
#define DISCOVERY_HGUARD_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "hdeadline.h"
#include "hfront.h"
#include "hreq.h"
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
	bool nul_escape; /* the request being read has %00 in its target */
	/* The registry's, for rheld_read_only_requests(): the bytes read from
	 * the socket before libmicrohttpd had it, and the bytes of the
	 * requests it has parsed since (heads and bodies). */
	uint64_t read_before, consumed;
};

/* From MHD_CONNECTION_NOTIFY_STARTED: the connection's state, stored in
 * *socket_ctx, with the per-client count the front door opened for it
 * (hfront_claim). NULL when out of memory: the connection is then neither
 * counted nor given a deadline. */
struct hguard_conn *hguard_conn_start(struct peercap *p, struct hfront_shared *front,
				      struct MHD_Connection *c, void **socket_ctx);
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

/*
 * MHD_OPTION_UNESCAPE_CALLBACK: decodes %HH as libmicrohttpd does, except
 * that a target holding %00 is left as it is and marked on its connection,
 * for hguard_check to refuse: decoded, the NUL would cut the path or the
 * parameter short ("/accounts/10000%00abc" read as account 10000).
 */
size_t hguard_unescape(void *cls, struct MHD_Connection *c, char *s);

/* The headers and query parameters of a request, borrowed from MHD until
 * the request ends (the arrays are malloc'ed). */
struct hguard_fields {
	struct hreq_field *headers, *args;
	size_t nheaders, nargs;
};
int hguard_fields_get(struct MHD_Connection *c, struct hguard_fields *f)
	__attribute__((warn_unused_result));
void hguard_fields_free(struct hguard_fields *f);

/*
 * On the first call of the access handler: 0 when the request may be
 * served, else -1 with *out saying how to refuse it (hreq_check, or 500
 * when out of memory). A refusal that closes the connection is to be
 * queued on that first call, so that MHD closes it without reading on.
 */
int hguard_check(struct MHD_Connection *c, const char *version, struct hreq_refusal *out)
	__attribute__((warn_unused_result));

#endif
