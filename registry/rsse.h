#ifndef DISCOVERY_REGISTRY_RSSE_H
#define DISCOVERY_REGISTRY_RSSE_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "registry/rwatch.h"
#include "discovery/subscriber.h"
#include "registry/rfeed.h"

/*
 * The response of GET /events: a stream of the table's change events as
 * Server-Sent Events. The content reader sends what the event ring holds
 * after the client's last id, a comment every keepalive_ms when idle, and
 * otherwise suspends its connection in rwatch until the next change, so an
 * idle stream costs no thread and no polling. It ends when rwatch closes.
 *
 * A stream ends with an error as soon as rwatch finds that its client hung
 * up while it was suspended.
 *
 * last_event_id: the client's Last-Event-ID header. Without one, or with
 * one the event ring cannot resume from (too old, from an earlier run or
 * another replica), the stream starts with event "snapshot" (the whole
 * table, rlist_snapshot) and goes on with the changes after it. NULL with *why set on a malformed id, when rwatch's
 * max_streams are open, or on no memory.
 */
enum rsse_refusal { RSSE_NO_MEMORY, RSSE_BAD_ID, RSSE_FULL };
struct MHD_Response *rsse_response(struct MHD_Connection *c, struct subscriber *sub,
				   struct rfeed *feed, struct rwatch *w, int64_t keepalive_ms,
				   const char *last_event_id, enum rsse_refusal *why)
	__attribute__((warn_unused_result));

#endif
