/* Server-Sent Events over a libmicrohttpd content reader. */
#include "registry/rsse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/rhttp.h"
#include "registry/rlist.h"
#include "registry/rquery.h"
#include "timing.h"

/* The content reader's buffer, allocated with every stream: an event
 * frame is a few hundred bytes and longer ones go out in pieces. */
#define SSE_BLOCK 1024

struct sse {
	struct rfeed *feed;
	struct rwatch *watch;
	struct MHD_Connection *conn;
	int64_t keepalive_ms;
	uint64_t last_id;
	char *frame; /* being sent */
	size_t off, len;
	struct rlist_reader *snapshot; /* being sent, before any event */
	uint64_t snapshot_pos;
	int64_t keepalive_due;
	struct rwatch_entry entry;
};

static bool nothing_new(void *ctx)
{
	struct sse *s = ctx;

	return rfeed_index(s->feed) <= s->last_id;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	uint64_t id;
	int rc;

	(void)pos;
	for (;;) {
		if (!s->frame && s->snapshot) {
			ssize_t n = rlist_reader_read(s->snapshot, s->snapshot_pos, buf, max);

			if (n > 0) {
				s->snapshot_pos += (uint64_t)n;
				return n;
			}
			rlist_reader_free(s->snapshot);
			s->snapshot = NULL;
		}
		if (s->frame) {
			size_t n = s->len - s->off < max ? s->len - s->off : max;
			memcpy(buf, s->frame + s->off, n);
			s->off += n;
			if (s->off == s->len) {
				free(s->frame);
				s->frame = NULL;
			}
			return (ssize_t)n;
		}
		if (s->entry.gone)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* MHD closes */
		if (rwatch_closed(s->watch))
			return MHD_CONTENT_READER_END_OF_STREAM;
		rc = rfeed_event_after(s->feed, s->last_id, &s->frame, &id);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (rc == 1) {
			s->last_id = id;
		} else if (timing_mono_ms() >= s->keepalive_due) {
			/* Comment lines keep proxies from timing the stream out
			 * and find clients that went away. */
			s->frame = strdup(": keep-alive\n\n");
			if (!s->frame)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			s->keepalive_due = timing_mono_ms() + s->keepalive_ms;
		} else {
			s->entry.conn = s->conn;
			s->entry.kind = RWATCH_STREAM;
			s->entry.service = NULL;
			s->entry.deadline_ms = s->keepalive_due;
			/* Returning 0 is allowed only with the connection
			 * suspended: MHD would call again at once otherwise. */
			switch (rwatch_suspend(s->watch, &s->entry, nothing_new, s)) {
			case RWATCH_SUSPENDED:
				return 0;
			case RWATCH_FAILED:
				return MHD_CONTENT_READER_END_WITH_ERROR;
			default:
				continue; /* news, or closing (then the end) */
			}
		}
		s->off = 0;
		s->len = strlen(s->frame);
	}
}

static void sse_free(void *cls)
{
	struct sse *s = cls;

	rwatch_stream_close(s->watch);
	rlist_reader_free(s->snapshot);
	free(s->frame);
	free(s);
}

struct MHD_Response *rsse_response(struct MHD_Connection *c, struct subscriber *sub,
				   struct rfeed *feed, struct rwatch *w, int64_t keepalive_ms,
				   const char *last_event_id, enum rsse_refusal *why)
{
	struct MHD_Response *resp;
	uint64_t index = subscriber_index(sub, NULL), last_id = index;
	struct sse *s;
	char idx[24];

	*why = RSSE_BAD_ID;
	if (last_event_id && rquery_parse_u64(last_event_id, &last_id) < 0)
		return NULL;
	*why = RSSE_FULL;
	if (!rwatch_stream_open(w))
		return NULL;
	*why = RSSE_NO_MEMORY;
	s = calloc(1, sizeof(*s));
	if (!s) {
		rwatch_stream_close(w);
		return NULL;
	}
	s->feed = feed;
	s->watch = w;
	s->conn = c;
	s->keepalive_ms = keepalive_ms;
	s->last_id = last_id;
	/* A client the ring cannot bring up to date (a new one, one from an
	 * earlier run or another replica, one too far behind) gets the whole
	 * table first, then the changes after it. */
	if (!last_event_id || !rfeed_resumable(feed, last_id)) {
		struct rlist_body *b = rlist_snapshot(sub);

		if (b) {
			s->last_id = b->index;
			s->snapshot = rlist_reader_new(b);
		}
		if (!s->snapshot) {
			sse_free(s);
			return NULL;
		}
	}
	/* The first bytes tell the client how soon to reconnect. */
	s->frame = strdup("retry: 2000\n\n");
	if (!s->frame) {
		sse_free(s);
		return NULL;
	}
	s->len = strlen(s->frame);
	s->keepalive_due = timing_mono_ms() + keepalive_ms;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read,
						 s, sse_free);
	if (!resp) {
		sse_free(s);
		return NULL;
	}
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)index);
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "text/event-stream") == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") == MHD_NO ||
	    MHD_add_response_header(resp, "X-Registry-Index", idx) == MHD_NO ||
	    rhttp_allow_browsers(resp) < 0) {
		MHD_destroy_response(resp); /* frees s through sse_free */
		return NULL;
	}
	return resp;
}
