/*
 * What runs on an open AMQP session: declaring exchanges and queues,
 * binding, consuming, publishing, and waiting for deliveries, including
 * the frames that are not deliveries (basic.return, channel.close,
 * connection.close). Opening and closing are in amqp_session.c.
 *
 * A failure that leaves the connection unusable closes the session, so
 * the owner reconnects and redeclares from scratch.
 */
#include "amqp_session.h"
#include "amqp_session_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/sockios.h>

#include <amqp.h>

#include "log.h"
#include "timing.h"

/*
 * rabbitmq-c 0.11 publishes with no deadline: once the socket's buffer is
 * full (the broker stopped reading, as it does with a blocked connection)
 * amqp_basic_publish waits forever. So a message goes out only when the
 * buffer has room for it with a wide margin (frames, TLS records), which
 * the kernel takes without waiting.
 */
static bool session_socket_has_room(const struct amqp_session *s, size_t body_len)
{
	int fd = amqp_get_sockfd(s->conn), queued = 0, sndbuf = 0;
	socklen_t optlen = sizeof(sndbuf);
	size_t need = 2 * body_len + SESSION_PUBLISH_MARGIN;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &queued) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &optlen) != 0)
		return true; /* cannot tell: the heartbeat timeout is the net */
	/* Linux reports twice the buffer it accounts payload against. */
	return queued >= 0 && (size_t)queued + need <= (size_t)sndbuf / 2;
}

static void session_copy_bytes(char *out, size_t outlen, amqp_bytes_t bytes)
{
	size_t n = bytes.len < outlen - 1 ? bytes.len : outlen - 1;

	if (n > 0)
		memcpy(out, bytes.bytes, n);
	out[n] = '\0';
}

void amqp_session__release_envelope(struct amqp_session *s)
{
	if (!s->have_envelope)
		return;
	amqp_destroy_envelope(&s->envelope);
	s->have_envelope = false;
}

/* Maps the reply of an RPC on our channel to 0 or a session error. */
static int session_rpc_result(struct amqp_session *s, const char *what)
{
	amqp_rpc_reply_t reply = amqp_get_rpc_reply(s->conn);
	char reason[256];

	if (reply.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	amqp_session__describe_reply(reply, reason, sizeof(reason));
	if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
		/* The owner says it (once, not once per retry): it knows
		 * whether this is news. */
		snprintf(s->refusal, sizeof(s->refusal), "%s refused: %s", what, reason);
		log_debug("amqp refused url=%s reason=\"%s\"", s->masked_url, s->refusal);
		if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
			amqp_session__confirm_channel_close(s, SESSION_CHANNEL);
		else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
			amqp_session__confirm_connection_close(s);
		else
			amqp_session__teardown(s, false);
		return AMQP_SESSION_ERR_REFUSED;
	}
	log_warn("amqp connection lost during %s url=%s reason=\"%s\"", what, s->masked_url,
		 reason);
	amqp_session__teardown(s, false);
	return AMQP_SESSION_ERR_LOST;
}

/* Frees what earlier RPC replies left in the connection's pools. */
static int session_begin_rpc(struct amqp_session *s)
{
	if (!amqp_session_is_open(s))
		return AMQP_SESSION_ERR_NOT_OPEN;
	amqp_maybe_release_buffers(s->conn);
	return 0;
}

int amqp_session_declare_exchange(struct amqp_session *s, const char *name, const char *type,
				  bool durable)
{
	int rc = session_begin_rpc(s);

	if (rc < 0)
		return rc;
	amqp_exchange_declare(s->conn, SESSION_CHANNEL, amqp_cstring_bytes(name),
			      amqp_cstring_bytes(type), 0, durable, 0, 0, amqp_empty_table);
	return session_rpc_result(s, "exchange.declare");
}

static int session_declare_queue(struct amqp_session *s, const char *name, bool exclusive,
				 bool durable, amqp_table_t args, char *out_name, size_t outlen)
{
	amqp_queue_declare_ok_t *ok;
	int rc = session_begin_rpc(s);

	if (rc < 0)
		return rc;
	/* A shared queue is kept (transient, as the Go services declare
	 * theirs, unless durable); an exclusive one goes away with its
	 * connection. */
	ok = amqp_queue_declare(s->conn, SESSION_CHANNEL, amqp_cstring_bytes(name), 0, durable,
				exclusive, exclusive, args);
	rc = session_rpc_result(s, "queue.declare");
	if (rc < 0)
		return rc;
	if (out_name && outlen > 0) {
		/* A queue name fits in 256 bytes; a shorter buffer is the
		 * caller's mistake, reported rather than truncated. */
		if (ok->queue.len >= outlen)
			return AMQP_SESSION_ERR_NO_MEMORY;
		session_copy_bytes(out_name, outlen, ok->queue);
	}
	return 0;
}

int amqp_session_declare_queue(struct amqp_session *s, const char *name, bool exclusive,
			       char *out_name, size_t outlen)
{
	return session_declare_queue(s, name, exclusive, false, amqp_empty_table, out_name, outlen);
}

int amqp_session_declare_durable_queue(struct amqp_session *s, const char *name)
{
	return session_declare_queue(s, name, false, true, amqp_empty_table, NULL, 0);
}

int amqp_session_declare_bounded_queue(struct amqp_session *s, int64_t max_length,
				       char *out_name, size_t outlen)
{
	amqp_table_entry_t limit = {
		.key = amqp_cstring_bytes("x-max-length"),
		.value = {.kind = AMQP_FIELD_KIND_I64, .value.i64 = max_length},
	};
	amqp_table_t args = {.num_entries = 1, .entries = &limit};

	/* RabbitMQ's default overflow behaviour, drop-head, is the one
	 * wanted: past the limit the oldest message goes. */
	return session_declare_queue(s, "", true, false, args, out_name, outlen);
}

int amqp_session_bind(struct amqp_session *s, const char *queue, const char *exchange,
		      const char *routing_key)
{
	int rc = session_begin_rpc(s);

	if (rc < 0)
		return rc;
	amqp_queue_bind(s->conn, SESSION_CHANNEL, amqp_cstring_bytes(queue),
			amqp_cstring_bytes(exchange), amqp_cstring_bytes(routing_key),
			amqp_empty_table);
	return session_rpc_result(s, "queue.bind");
}

int amqp_session_consume(struct amqp_session *s, const char *queue)
{
	int rc = session_begin_rpc(s);

	if (rc < 0)
		return rc;
	amqp_basic_consume(s->conn, SESSION_CHANNEL, amqp_cstring_bytes(queue), amqp_empty_bytes, 0,
			   1, 0, amqp_empty_table);
	return session_rpc_result(s, "basic.consume");
}

int amqp_session_publish(struct amqp_session *s, const struct amqp_session_message *m)
{
	amqp_basic_properties_t props;
	amqp_table_entry_t *entries = NULL;
	char expiration[24];
	amqp_bytes_t body;
	int status;

	if (!amqp_session_is_open(s))
		return AMQP_SESSION_ERR_NOT_OPEN;
	if (s->blocked || !session_socket_has_room(s, m->len))
		return AMQP_SESSION_ERR_BLOCKED;
	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	props.delivery_mode = 1; /* transient */
	if (m->content_type) {
		props._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
		props.content_type = amqp_cstring_bytes(m->content_type);
	}
	if (m->expiration_ms > 0) {
		snprintf(expiration, sizeof(expiration), "%" PRId64, m->expiration_ms);
		props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		props.expiration = amqp_cstring_bytes(expiration);
	}
	if (m->timestamp_s > 0) {
		props._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
		props.timestamp = (uint64_t)m->timestamp_s;
	}
	if (m->user_id) {
		props._flags |= AMQP_BASIC_USER_ID_FLAG;
		props.user_id = amqp_cstring_bytes(m->user_id);
	}
	if (m->header_count > 0) {
		if (m->header_count > INT32_MAX)
			return AMQP_SESSION_ERR_NO_MEMORY;
		entries = calloc(m->header_count, sizeof(*entries));
		if (!entries)
			return AMQP_SESSION_ERR_NO_MEMORY;
		for (size_t i = 0; i < m->header_count; i++) {
			entries[i].key = amqp_cstring_bytes(m->headers[i].name);
			entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
			entries[i].value.value.bytes = amqp_cstring_bytes(m->headers[i].value);
		}
		props._flags |= AMQP_BASIC_HEADERS_FLAG;
		props.headers.num_entries = (int)m->header_count;
		props.headers.entries = entries;
	}
	body.bytes = (void *)m->body;
	body.len = m->len;
	status = amqp_basic_publish(s->conn, SESSION_CHANNEL, amqp_cstring_bytes(m->exchange),
				    amqp_cstring_bytes(m->routing_key), 0, 0, &props, body);
	free(entries);
	if (status != AMQP_STATUS_OK) {
		/* Frames may be half written: the stream cannot be trusted. */
		log_warn("amqp publish failed url=%s reason=\"%s\"", s->masked_url,
			 amqp_error_string2(status));
		amqp_session__teardown(s, false);
		return AMQP_SESSION_ERR_LOST;
	}
	return 0;
}

const char *amqp_session_refusal(const struct amqp_session *s)
{
	return s->refusal;
}

/*
 * amqp_consume_message put back a frame that is not a delivery: read it
 * and act on it. The frame is already buffered; the bound only guards
 * against a library surprise. Returns 0 to keep waiting, or a negative
 * code with the session closed.
 */
static int session_handle_frame(struct amqp_session *s)
{
	struct timeval tv = amqp_session__timeval(s->timeout_ms);
	amqp_frame_t frame;
	amqp_message_t returned;
	amqp_rpc_reply_t reply;
	int status;

	status = amqp_simple_wait_frame_noblock(s->conn, &frame, &tv);
	if (status != AMQP_STATUS_OK) {
		log_warn("amqp connection lost url=%s reason=\"%s\"", s->masked_url,
			 amqp_error_string2(status));
		amqp_session__teardown(s, false);
		return AMQP_SESSION_ERR_LOST;
	}
	if (frame.frame_type != AMQP_FRAME_METHOD)
		return 0;

	switch (frame.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD:
		return 0;
	case AMQP_BASIC_RETURN_METHOD:
		reply = amqp_read_message(s->conn, frame.channel, &returned, 0);
		if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
			amqp_session__teardown(s, false);
			return AMQP_SESSION_ERR_LOST;
		}
		log_warn("amqp broker returned an unroutable message url=%s", s->masked_url);
		amqp_destroy_message(&returned);
		return 0;
	case AMQP_CONNECTION_BLOCKED_METHOD: {
		const amqp_connection_blocked_t *b = frame.payload.method.decoded;

		s->blocked = true;
		log_warn("amqp broker blocked the connection url=%s reason=\"%.*s\"", s->masked_url,
			 (int)b->reason.len, (const char *)b->reason.bytes);
		return 0;
	}
	case AMQP_CONNECTION_UNBLOCKED_METHOD:
		s->blocked = false;
		log_info("amqp broker unblocked the connection url=%s", s->masked_url);
		return 0;
	case AMQP_BASIC_CANCEL_METHOD:
		/* The queue went (deleted, or its node left the cluster): a new
		 * connection declares and consumes everything again. */
		log_warn("amqp broker cancelled a consumer url=%s", s->masked_url);
		amqp_session__teardown(s, true);
		return AMQP_SESSION_ERR_LOST;
	case AMQP_CHANNEL_CLOSE_METHOD: {
		const amqp_channel_close_t *c = frame.payload.method.decoded;

		/* A refusal, not an outage: the owner decides how loudly to
		 * say it, and when to try again (a publisher retrying at once
		 * would be refused again at once). */
		snprintf(s->refusal, sizeof(s->refusal), "broker closed the channel: %u %.*s",
			 (unsigned)c->reply_code, (int)c->reply_text.len,
			 (const char *)c->reply_text.bytes);
		log_debug("amqp refused url=%s reason=\"%s\"", s->masked_url, s->refusal);
		amqp_session__confirm_channel_close(s, frame.channel);
		return AMQP_SESSION_ERR_REFUSED;
	}
	case AMQP_CONNECTION_CLOSE_METHOD: {
		const amqp_connection_close_t *c = frame.payload.method.decoded;

		log_warn("amqp broker closed the connection url=%s code=%u reason=\"%.*s\"",
			 s->masked_url, (unsigned)c->reply_code, (int)c->reply_text.len,
			 (const char *)c->reply_text.bytes);
		amqp_session__confirm_connection_close(s);
		return AMQP_SESSION_ERR_LOST;
	}
	default:
		log_debug("amqp ignored method 0x%08" PRIx32 " url=%s",
			  (uint32_t)frame.payload.method.id, s->masked_url);
		return 0;
	}
}

int amqp_session_next(struct amqp_session *s, int timeout_ms, struct amqp_session_delivery *d)
{
	/* No clock for a poll (timeout 0), the common call in a burst. */
	int64_t deadline_ms = timeout_ms > 0 ? timing_mono_ms() + timeout_ms : 0;
	amqp_rpc_reply_t reply;
	struct timeval tv;
	char reason[256];
	int rc;

	amqp_session__release_envelope(s);
	if (!amqp_session_is_open(s))
		return AMQP_SESSION_ERR_NOT_OPEN;
	amqp_maybe_release_buffers(s->conn);

	for (;;) {
		tv = amqp_session__timeval(timeout_ms > 0 ? deadline_ms - timing_mono_ms() : 0);
		reply = amqp_consume_message(s->conn, &s->envelope, &tv, 0);
		if (reply.reply_type == AMQP_RESPONSE_NORMAL)
			break;
		if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    reply.library_error == AMQP_STATUS_TIMEOUT)
			return 0;
		if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
			rc = session_handle_frame(s);
			if (rc < 0)
				return rc;
			continue;
		}
		amqp_session__describe_reply(reply, reason, sizeof(reason));
		log_warn("amqp connection lost url=%s reason=\"%s\"", s->masked_url, reason);
		amqp_session__teardown(s, false);
		return AMQP_SESSION_ERR_LOST;
	}

	s->have_envelope = true;
	session_copy_bytes(s->exchange, sizeof(s->exchange), s->envelope.exchange);
	session_copy_bytes(s->routing_key, sizeof(s->routing_key), s->envelope.routing_key);
	d->exchange = s->exchange;
	d->routing_key = s->routing_key;
	d->body = s->envelope.message.body.bytes;
	d->len = s->envelope.message.body.len;
	d->user_id = NULL;
	if (s->envelope.message.properties._flags & AMQP_BASIC_USER_ID_FLAG) {
		session_copy_bytes(s->user_id, sizeof(s->user_id),
				   s->envelope.message.properties.user_id);
		d->user_id = s->user_id;
	}
	return 1;
}

int amqp_session_header(const struct amqp_session *s, const char *name, char *out, size_t outlen)
{
	const amqp_basic_properties_t *p;
	const amqp_field_value_t *v = NULL;
	size_t name_len = strlen(name);
	int n;

	if (!s->have_envelope || outlen == 0)
		return -1;
	p = &s->envelope.message.properties;
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return -1;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];

		if (e->key.len == name_len && memcmp(e->key.bytes, name, name_len) == 0) {
			v = &e->value;
			break;
		}
	}
	if (!v)
		return -1;

	switch (v->kind) {
	case AMQP_FIELD_KIND_UTF8:
	case AMQP_FIELD_KIND_BYTES:
		if (v->value.bytes.len >= outlen)
			return -1;
		session_copy_bytes(out, outlen, v->value.bytes);
		return 0;
	case AMQP_FIELD_KIND_I8:
		n = snprintf(out, outlen, "%d", (int)v->value.i8);
		break;
	case AMQP_FIELD_KIND_U8:
		n = snprintf(out, outlen, "%u", (unsigned)v->value.u8);
		break;
	case AMQP_FIELD_KIND_I16:
		n = snprintf(out, outlen, "%d", (int)v->value.i16);
		break;
	case AMQP_FIELD_KIND_U16:
		n = snprintf(out, outlen, "%u", (unsigned)v->value.u16);
		break;
	case AMQP_FIELD_KIND_I32:
		n = snprintf(out, outlen, "%" PRId32, v->value.i32);
		break;
	case AMQP_FIELD_KIND_U32:
		n = snprintf(out, outlen, "%" PRIu32, v->value.u32);
		break;
	case AMQP_FIELD_KIND_I64:
		n = snprintf(out, outlen, "%" PRId64, v->value.i64);
		break;
	case AMQP_FIELD_KIND_U64:
	case AMQP_FIELD_KIND_TIMESTAMP:
		n = snprintf(out, outlen, "%" PRIu64, v->value.u64);
		break;
	default:
		return -1;
	}
	return n >= 0 && (size_t)n < outlen ? 0 : -1;
}

int amqp_session_fd(const struct amqp_session *s)
{
	return s->conn ? amqp_get_sockfd(s->conn) : -1;
}

bool amqp_session_pending(const struct amqp_session *s)
{
	return s->conn && (amqp_frames_enqueued(s->conn) || amqp_data_in_buffer(s->conn));
}
