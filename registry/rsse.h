#ifndef DISCOVERY_REGISTRY_RSSE_H
#define DISCOVERY_REGISTRY_RSSE_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "registry/rwatch.h"
#include "discovery/subscriber.h"
#include "registry/rfeed.h"
#include "peercap.h"

/*
 * The response of GET /events: a stream of the table's change events as
 * Server-Sent Events. libmicrohttpd sends its head and what there is at
 * once (the retry, the snapshot or the events after the client's last
 * id); once the stream is idle, its socket is taken out of libmicrohttpd
 * (rheld.h) and held in rwatch, which wakes it on the next change, when a
 * comment is due every keepalive_ms, or when its client hangs up; the
 * stream then writes its events itself, as the same chunks (HTTP/1.1) or
 * the same bytes (HTTP/1.0) libmicrohttpd would have written, so that an
 * idle stream costs no thread, no polling and no MHD connection. It ends
 * when rwatch closes (with the last chunk), when its client hangs up, or
 * when the client reads nothing of a frame for 120 s.
 *
 * last_event_id: the client's Last-Event-ID header. Without one, or with
 * one the event ring cannot resume from (too old, from an earlier run or
 * another replica), the stream starts with event "snapshot" (the whole
 * table, rlist_snapshot) and goes on with the changes after it. NULL with
 * *why set on a malformed id, when rwatch's max_streams are open, or on no
 * memory.
 */
struct rsse_source {
	struct subscriber *sub;
	struct rfeed *feed;
	struct rwatch *watch;
	struct peercap *peers; /* the per-client counts, which a held stream keeps */
	int64_t keepalive_ms;
	bool chunked; /* HTTP/1.1: libmicrohttpd sends the stream chunked */
};
enum rsse_refusal { RSSE_NO_MEMORY, RSSE_BAD_ID, RSSE_FULL };
struct MHD_Response *rsse_response(struct MHD_Connection *c, const struct rsse_source *src,
				   const char *last_event_id, enum rsse_refusal *why)
	__attribute__((warn_unused_result));

#endif
