/* Server-Sent Events: begun by a libmicrohttpd content reader, held and
 * written outside it once idle; see rsse.h. */
#include "registry/rsse.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "registry/rheld.h"
#include "registry/rhttp.h"
#include "registry/rlist.h"
#include "registry/rquery.h"
#include "timing.h"

/* The content reader's buffer, allocated with every stream: an event
 * frame is a few hundred bytes and longer ones go out in pieces. */
#define SSE_BLOCK 1024
/* How long a held stream's client may take to read a frame its socket
 * could not take whole: libmicrohttpd's connection timeout (rhttp.c). */
#define SSE_SEND_TIMEOUT_MS 120000
#define SSE_KEEPALIVE ": keep-alive\n\n"
#define SSE_LAST_CHUNK "0\r\n\r\n"

/* The stream while libmicrohttpd sends it. */
struct sse {
	struct rsse_source src;
	struct MHD_Connection *conn;
	uint64_t last_id;
	char *frame; /* being sent */
	size_t off, len;
	struct rlist_reader *snapshot; /* being sent, before any event */
	uint64_t snapshot_pos;
	int64_t keepalive_due;
	bool handed_over; /* to a held stream, which keeps its count */
	/* Held inside libmicrohttpd, suspended, when it could not be handed
	 * over (out of descriptors); gone: its client hung up meanwhile. */
	struct rwatch_entry entry;
	bool gone;
};

/* The stream once held: what it sends next, framed as libmicrohttpd
 * framed what went before. */
struct held_stream {
	struct rwatch_entry entry;
	struct rsse_source src;
	struct rheld_socket sock;
	uint64_t last_id;
	int64_t keepalive_due;
	char *out; /* being sent */
	size_t off, len;
};

static struct held_stream *held_of(struct rwatch_entry *e)
{
	return (struct held_stream *)(void *)((char *)e - offsetof(struct held_stream, entry));
}

static bool nothing_new(void *ctx)
{
	struct held_stream *t = ctx;

	return rfeed_index(t->src.feed) <= t->last_id;
}

static void held_end(struct held_stream *t)
{
	rwatch_release(t->src.watch, &t->entry);
	rheld_close(t->src.peers, &t->sock);
	rwatch_stream_close(t->src.watch);
	free(t->out);
	free(t);
}

/* Makes frame (len bytes, malloc'ed, taken) the next thing to send: as a
 * chunk on a chunked stream. -1 on no memory. */
static int held_frame(struct held_stream *t, char *frame, size_t len)
{
	char *chunk;
	int n;

	if (!t->src.chunked) {
		t->out = frame;
		t->len = len;
		t->off = 0;
		return 0;
	}
	chunk = malloc(len + 24);
	if (!chunk) {
		free(frame);
		return -1;
	}
	n = snprintf(chunk, 24, "%zX\r\n", len);
	memcpy(chunk + n, frame, len);
	memcpy(chunk + n + len, "\r\n", 2);
	free(frame);
	t->out = chunk;
	t->len = (size_t)n + len + 2;
	t->off = 0;
	return 0;
}

/* 1 sent, 0 the socket is full, -1 the connection failed. */
static int held_flush(struct held_stream *t)
{
	while (t->off < t->len) {
		ssize_t n = send(t->entry.fd, t->out + t->off, t->len - t->off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		t->off += (size_t)n;
	}
	free(t->out);
	t->out = NULL;
	return 1;
}

/* The server stops: the stream's last chunk, if the socket takes it. */
static void held_finish(struct held_stream *t)
{
	if (t->src.chunked && !t->out)
		(void)!send(t->entry.fd, SSE_LAST_CHUNK, strlen(SSE_LAST_CHUNK), MSG_NOSIGNAL);
	held_end(t);
}

enum held_next { HELD_AGAIN, HELD_END, HELD_FINISH };

/* Sends what is new, then holds the stream again until there is more
 * (HELD_AGAIN); or says how it ends. */
static enum held_next held_send_news(struct held_stream *t)
{
	struct rwatch_entry *e = &t->entry;
	uint64_t id;
	char *frame;
	int rc;

	for (;;) {
		if (t->out) {
			rc = held_flush(t);
			if (rc < 0)
				return HELD_END;
			if (rc == 0) {
				e->want_write = true;
				e->deadline_ms = timing_mono_ms() + SSE_SEND_TIMEOUT_MS;
				return rwatch_hold(t->src.watch, e, NULL, NULL) == RWATCH_HELD
					       ? HELD_AGAIN
					       : HELD_END;
			}
		}
		e->want_write = false;
		rc = rfeed_event_after(t->src.feed, t->last_id, &frame, &id);
		if (rc < 0)
			return HELD_END;
		if (rc == 1) {
			t->last_id = id;
			if (held_frame(t, frame, strlen(frame)) < 0)
				return HELD_END;
			continue;
		}
		if (timing_mono_ms() >= t->keepalive_due) {
			frame = strdup(SSE_KEEPALIVE);
			if (!frame || held_frame(t, frame, strlen(SSE_KEEPALIVE)) < 0)
				return HELD_END;
			t->keepalive_due = timing_mono_ms() + t->src.keepalive_ms;
			continue;
		}
		e->deadline_ms = t->keepalive_due;
		switch (rwatch_hold(t->src.watch, e, nothing_new, t)) {
		case RWATCH_HELD:
			return HELD_AGAIN;
		case RWATCH_READY:
			continue;
		case RWATCH_CLOSED:
			return HELD_FINISH;
		default:
			return HELD_END;
		}
	}
}

static void held_wake(struct rwatch_entry *e, enum rwatch_why why)
{
	struct held_stream *t = held_of(e);
	enum held_next next = HELD_END; /* hung up, or too slow to read */

	if (why == RWATCH_CLOSING)
		next = HELD_FINISH;
	else if (why != RWATCH_GONE && !(why == RWATCH_DUE && e->want_write))
		next = held_send_news(t);
	if (next == HELD_END)
		held_end(t);
	else if (next == HELD_FINISH)
		held_finish(t);
}

/* The idle stream s leaves libmicrohttpd: RWATCH_HELD, or what else the
 * hold said (the reader goes on then). */
static enum rwatch_result hand_over(struct sse *s)
{
	struct held_stream *t = calloc(1, sizeof(*t));
	enum rwatch_result rc;

	if (!t)
		return RWATCH_FAILED;
	if (rheld_take(s->conn, &t->sock) < 0) {
		free(t);
		return RWATCH_FAILED;
	}
	t->src = s->src;
	t->last_id = s->last_id;
	t->keepalive_due = s->keepalive_due;
	t->entry.fd = t->sock.fd;
	t->entry.kind = RWATCH_STREAM;
	t->entry.service = NULL;
	t->entry.deadline_ms = s->keepalive_due;
	t->entry.wake = held_wake;
	rc = rwatch_hold(s->src.watch, &t->entry, nothing_new, t);
	if (rc == RWATCH_HELD) {
		s->handed_over = true;
		rheld_closing_on_purpose();
		return rc; /* t is the watcher's: it may be woken already */
	}
	rwatch_release(s->src.watch, &t->entry);
	rheld_untake(s->conn, &t->sock);
	free(t);
	return rc;
}

static struct sse *sse_of(struct rwatch_entry *e)
{
	return (struct sse *)(void *)((char *)e - offsetof(struct sse, entry));
}

static bool sse_nothing_new(void *ctx)
{
	struct sse *s = ctx;

	return rfeed_index(s->src.feed) <= s->last_id;
}

static void sse_resume(struct rwatch_entry *e, enum rwatch_why why)
{
	struct sse *s = sse_of(e);

	s->gone = why == RWATCH_GONE;
	rheld_resume(s->src.watch, e, s->conn);
}

/* The stream waits inside libmicrohttpd. False when it cannot wait at all. */
static bool sse_suspend(struct sse *s)
{
	enum rwatch_result rc;

	s->entry = (struct rwatch_entry){.kind = RWATCH_STREAM, .deadline_ms = s->keepalive_due,
					 .wake = sse_resume};
	if (!rheld_suspend(s->src.watch, s->conn, &s->entry, sse_nothing_new, s, &rc))
		return false;
	return rc == RWATCH_HELD || rc == RWATCH_READY || rc == RWATCH_CLOSED; /* MHD calls again */
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
		if (s->gone) {
			rheld_closing_on_purpose();
			return MHD_CONTENT_READER_END_WITH_ERROR; /* MHD closes */
		}
		if (rwatch_closed(s->src.watch))
			return MHD_CONTENT_READER_END_OF_STREAM;
		rc = rfeed_event_after(s->src.feed, s->last_id, &s->frame, &id);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (rc == 1) {
			s->last_id = id;
		} else if (timing_mono_ms() >= s->keepalive_due) {
			/* Only after a wait inside libmicrohttpd. */
			s->frame = strdup(SSE_KEEPALIVE);
			if (!s->frame)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			s->keepalive_due = timing_mono_ms() + s->src.keepalive_ms;
		} else {
			/* Everything before was sent (libmicrohttpd calls the
			 * reader once its buffer is out): the rest is the held
			 * stream's. */
			switch (hand_over(s)) {
			case RWATCH_HELD:
				return MHD_CONTENT_READER_END_WITH_ERROR; /* MHD closes */
			case RWATCH_READY:
			case RWATCH_CLOSED:
				continue; /* news, or the end */
			default:
				/* Returning 0 is allowed only with the connection
				 * suspended: MHD would call again at once. */
				if (sse_suspend(s))
					return 0;
				/* Should that fail too, the client reconnects
				 * with its Last-Event-ID. */
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
		}
		s->off = 0;
		s->len = strlen(s->frame);
	}
}

static void sse_free(void *cls)
{
	struct sse *s = cls;

	if (!s->handed_over)
		rwatch_stream_close(s->src.watch);
	rlist_reader_free(s->snapshot);
	free(s->frame);
	free(s);
}

struct MHD_Response *rsse_response(struct MHD_Connection *c, const struct rsse_source *src,
				   const char *last_event_id, enum rsse_refusal *why)
{
	struct MHD_Response *resp;
	uint64_t index = subscriber_index(src->sub, NULL), last_id = index;
	struct sse *s;
	char idx[24];

	*why = RSSE_BAD_ID;
	if (last_event_id && rquery_parse_u64(last_event_id, &last_id) < 0)
		return NULL;
	*why = RSSE_FULL;
	if (!rwatch_stream_open(src->watch))
		return NULL;
	*why = RSSE_NO_MEMORY;
	s = calloc(1, sizeof(*s));
	if (!s) {
		rwatch_stream_close(src->watch);
		return NULL;
	}
	s->src = *src;
	s->conn = c;
	s->last_id = last_id;
	/* A client the ring cannot bring up to date (a new one, one from an
	 * earlier run or another replica, one too far behind) gets the whole
	 * table first, then the changes after it. */
	if (!last_event_id || !rfeed_resumable(src->feed, last_id)) {
		struct rlist_body *b = rlist_snapshot(src->sub);

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
	s->keepalive_due = timing_mono_ms() + src->keepalive_ms;
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
