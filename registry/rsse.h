#ifndef DISCOVERY_REGISTRY_RSSE_H
#define DISCOVERY_REGISTRY_RSSE_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "registry/rwatch.h"
#include "registry/table.h"

/*
 * The response of GET /events: a stream of the table's change events as
 * Server-Sent Events. The content reader sends what the event ring holds
 * after the client's last id, a comment every keepalive_ms when idle, and
 * otherwise suspends its connection in rwatch until the next change, so an
 * idle stream costs no thread and no polling. It ends when rwatch closes.
 *
 * last_event_id: the client's Last-Event-ID header, or NULL to start with
 * the next change. NULL on a malformed id (*bad_id set) or no memory.
 */
struct MHD_Response *rsse_response(struct MHD_Connection *c, struct table *t,
				   struct rwatch *w, int64_t keepalive_ms,
				   const char *last_event_id, bool *bad_id)
	__attribute__((warn_unused_result));

#endif
