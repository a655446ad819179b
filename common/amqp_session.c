/*
 * One AMQP 0-9-1 connection with one channel on rabbitmq-c 0.11.
 *
 * Every call that can wait is bounded: the connect, the TLS and login
 * handshakes share one deadline of timeout_ms, RPCs are bounded by
 * amqp_set_rpc_timeout, and waiting for deliveries by the caller's timeout
 * (heartbeats are serviced meanwhile). Any failure that leaves the
 * connection unusable (socket error, heartbeat timeout, the broker closing
 * the channel or the connection) closes the whole session, so the owner
 * reconnects and redeclares from scratch.
 */
#include "amqp_session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

#include "log.h"
#include "timing.h"

#define SESSION_CHANNEL		    1
#define SESSION_FRAME_MAX	    131072
#define SESSION_DEFAULT_HEARTBEAT_S 10
#define SESSION_DEFAULT_TIMEOUT_MS  5000
/* Closing politely must not hold up a shutdown or a reconnect. */
#define SESSION_CLOSE_TIMEOUT_MS 1000
#define SESSION_PRODUCT		 "discovery"
/* Debian's CA bundle, used for amqps:// when AMQP_TLS_CA is not set. */
#define SESSION_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
/* An AMQP short string (exchange, routing key, queue name) is <= 255 bytes. */
#define SESSION_SHORTSTR 256

struct amqp_session {
	char *url; /* parsed in place: info points into it */
	struct amqp_connection_info info;
	char masked_url[512];
	char *connection_name; /* NULL: none */
	char *ca_file;	       /* NULL: no CA file to load */
	int heartbeat_s;
	int timeout_ms;

	amqp_connection_state_t conn; /* NULL while closed */
	bool channel_open;

	bool have_envelope;
	amqp_envelope_t envelope;
	char exchange[SESSION_SHORTSTR];
	char routing_key[SESSION_SHORTSTR];
};

static char *session_strdup(const char *text)
{
	return text ? strdup(text) : NULL;
}

static struct timeval session_timeval(int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

static void session_copy_bytes(char *out, size_t outlen, amqp_bytes_t bytes)
{
	size_t n = bytes.len < outlen - 1 ? bytes.len : outlen - 1;

	if (n > 0)
		memcpy(out, bytes.bytes, n);
	out[n] = '\0';
}

/* Writes a sentence about a failed RPC reply into buf. */
static void session_describe_reply(amqp_rpc_reply_t reply, char *buf, size_t len)
{
	switch (reply.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		snprintf(buf, len, "no error");
		return;
	case AMQP_RESPONSE_NONE:
		snprintf(buf, len, "missing RPC reply");
		return;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(buf, len, "%s", amqp_error_string2(reply.library_error));
		return;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		break;
	}
	if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
		const amqp_connection_close_t *c = reply.reply.decoded;

		snprintf(buf, len, "broker closed the connection: %u %.*s", (unsigned)c->reply_code,
			 (int)c->reply_text.len, (const char *)c->reply_text.bytes);
	} else if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
		const amqp_channel_close_t *c = reply.reply.decoded;

		snprintf(buf, len, "broker closed the channel: %u %.*s", (unsigned)c->reply_code,
			 (int)c->reply_text.len, (const char *)c->reply_text.bytes);
	} else {
		snprintf(buf, len, "unexpected broker method 0x%08" PRIx32,
			 (uint32_t)reply.reply.id);
	}
}

static void session_release_envelope(struct amqp_session *s)
{
	if (!s->have_envelope)
		return;
	amqp_destroy_envelope(&s->envelope);
	s->have_envelope = false;
}

/*
 * Ends the connection. graceful: the connection still works, so say
 * goodbye with channel.close and connection.close, each bounded by a short
 * RPC timeout. Otherwise just drop the socket.
 */
static void session_teardown(struct amqp_session *s, bool graceful)
{
	session_release_envelope(s);
	if (!s->conn)
		return;
	if (graceful) {
		struct timeval tv = session_timeval(SESSION_CLOSE_TIMEOUT_MS);

		/* Ignoring the replies: the connection is destroyed anyway. */
		(void)amqp_set_rpc_timeout(s->conn, &tv);
		if (s->channel_open)
			(void)amqp_channel_close(s->conn, SESSION_CHANNEL, AMQP_REPLY_SUCCESS);
		(void)amqp_connection_close(s->conn, AMQP_REPLY_SUCCESS);
	}
	(void)amqp_destroy_connection(s->conn);
	s->conn = NULL;
	s->channel_open = false;
}

/* The broker sent connection.close: confirm it and drop the socket. */
static void session_confirm_connection_close(struct amqp_session *s)
{
	amqp_connection_close_ok_t ok = {0};

	(void)amqp_send_method(s->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
	session_teardown(s, false);
}

/* The broker sent channel.close: confirm it, then close the connection. */
static void session_confirm_channel_close(struct amqp_session *s, amqp_channel_t channel)
{
	amqp_channel_close_ok_t ok = {0};

	(void)amqp_send_method(s->conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
	s->channel_open = false;
	session_teardown(s, true);
}

/* Maps the reply of an RPC on our channel to 0 or a session error. */
static int session_rpc_result(struct amqp_session *s, const char *what)
{
	amqp_rpc_reply_t reply = amqp_get_rpc_reply(s->conn);
	char reason[256];

	if (reply.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	session_describe_reply(reply, reason, sizeof(reason));
	if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
		log_warn("amqp %s refused url=%s reason=\"%s\"", what, s->masked_url, reason);
		if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
			session_confirm_channel_close(s, SESSION_CHANNEL);
		else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
			session_confirm_connection_close(s);
		else
			session_teardown(s, false);
		return AMQP_SESSION_ERR_REFUSED;
	}
	log_warn("amqp connection lost during %s url=%s reason=\"%s\"", what, s->masked_url,
		 reason);
	session_teardown(s, false);
	return AMQP_SESSION_ERR_LOST;
}

static void session_free_fields(struct amqp_session *s)
{
	free(s->url);
	free(s->connection_name);
	free(s->ca_file);
	free(s);
}

struct amqp_session *amqp_session_new(const struct amqp_session_options *opts)
{
	struct amqp_session *s;
	const char *ca;

	if (!opts || !opts->url)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->url = strdup(opts->url);
	s->connection_name = session_strdup(opts->connection_name);
	if (!s->url || (opts->connection_name && !s->connection_name))
		goto fail;
	log_mask_url(opts->url, s->masked_url, sizeof(s->masked_url));

	amqp_default_connection_info(&s->info);
	if (amqp_parse_url(s->url, &s->info) != AMQP_STATUS_OK)
		goto fail;
	/* "amqp://host/" names the default vhost, as in other AMQP clients;
	 * the vhost "/" can also be written "%2f". */
	if (s->info.vhost[0] == '\0')
		s->info.vhost = "/";

	if (s->info.ssl) {
		ca = getenv("AMQP_TLS_CA");
		if (!ca || !*ca)
			ca = access(SESSION_SYSTEM_CA, R_OK) == 0 ? SESSION_SYSTEM_CA : NULL;
		s->ca_file = session_strdup(ca);
		if (ca && !s->ca_file)
			goto fail;
	}
	s->heartbeat_s = opts->heartbeat_s > 0 ? opts->heartbeat_s : SESSION_DEFAULT_HEARTBEAT_S;
	s->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : SESSION_DEFAULT_TIMEOUT_MS;
	return s;

fail:
	session_free_fields(s);
	return NULL;
}

void amqp_session_free(struct amqp_session *s)
{
	if (!s)
		return;
	amqp_session_close(s);
	session_free_fields(s);
}

bool amqp_session_is_open(const struct amqp_session *s)
{
	return s && s->conn && s->channel_open;
}

/* Creates the socket for the URL's scheme, with TLS verification on. */
static int session_new_socket(struct amqp_session *s, char *err, size_t errlen)
{
	amqp_socket_t *sock;

	if (!s->info.ssl) {
		sock = amqp_tcp_socket_new(s->conn);
		if (!sock) {
			snprintf(err, errlen, "cannot create a socket for %s", s->masked_url);
			return AMQP_SESSION_ERR_NO_MEMORY;
		}
		return 0;
	}
	sock = amqp_ssl_socket_new(s->conn);
	if (!sock) {
		snprintf(err, errlen, "cannot create a TLS socket for %s", s->masked_url);
		return AMQP_SESSION_ERR_CONNECT;
	}
	amqp_ssl_socket_set_verify_peer(sock, 1);
	amqp_ssl_socket_set_verify_hostname(sock, 1);
	if (s->ca_file && amqp_ssl_socket_set_cacert(sock, s->ca_file) != AMQP_STATUS_OK) {
		snprintf(err, errlen, "cannot load the CA file %s for %s", s->ca_file,
			 s->masked_url);
		return AMQP_SESSION_ERR_CONNECT;
	}
	return 0;
}

static int session_login(struct amqp_session *s, int64_t deadline_ms, char *err, size_t errlen)
{
	amqp_table_entry_t entries[2];
	amqp_table_t props = {.num_entries = 0, .entries = entries};
	struct timeval tv = session_timeval(deadline_ms - timing_mono_ms());
	amqp_rpc_reply_t reply;
	char reason[256];

	entries[props.num_entries].key = amqp_cstring_bytes("product");
	entries[props.num_entries].value.kind = AMQP_FIELD_KIND_UTF8;
	entries[props.num_entries].value.value.bytes = amqp_cstring_bytes(SESSION_PRODUCT);
	props.num_entries++;
	if (s->connection_name) {
		entries[props.num_entries].key = amqp_cstring_bytes("connection_name");
		entries[props.num_entries].value.kind = AMQP_FIELD_KIND_UTF8;
		entries[props.num_entries].value.value.bytes =
			amqp_cstring_bytes(s->connection_name);
		props.num_entries++;
	}
	if (amqp_set_handshake_timeout(s->conn, &tv) != AMQP_STATUS_OK) {
		snprintf(err, errlen, "cannot set the login timeout for %s", s->masked_url);
		return AMQP_SESSION_ERR_CONNECT;
	}
	reply = amqp_login_with_properties(s->conn, s->info.vhost, 0, SESSION_FRAME_MAX,
					   s->heartbeat_s, &props, AMQP_SASL_METHOD_PLAIN,
					   s->info.user, s->info.password);
	if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
		session_describe_reply(reply, reason, sizeof(reason));
		snprintf(err, errlen, "login to %s failed: %s", s->masked_url, reason);
		return AMQP_SESSION_ERR_CONNECT;
	}

	tv = session_timeval(deadline_ms - timing_mono_ms());
	(void)amqp_set_rpc_timeout(s->conn, &tv);
	amqp_channel_open(s->conn, SESSION_CHANNEL);
	reply = amqp_get_rpc_reply(s->conn);
	if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
		session_describe_reply(reply, reason, sizeof(reason));
		snprintf(err, errlen, "opening a channel on %s failed: %s", s->masked_url, reason);
		return AMQP_SESSION_ERR_CONNECT;
	}
	s->channel_open = true;
	tv = session_timeval(s->timeout_ms);
	(void)amqp_set_rpc_timeout(s->conn, &tv);
	return 0;
}

int amqp_session_open(struct amqp_session *s, char *err, size_t errlen)
{
	int64_t deadline_ms;
	struct timeval tv;
	int status;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (amqp_session_is_open(s))
		return 0;
	session_teardown(s, false);
	deadline_ms = timing_mono_ms() + s->timeout_ms;

	s->conn = amqp_new_connection();
	if (!s->conn) {
		snprintf(err, errlen, "out of memory connecting to %s", s->masked_url);
		return AMQP_SESSION_ERR_NO_MEMORY;
	}
	rc = session_new_socket(s, err, errlen);
	if (rc < 0)
		goto fail;

	tv = session_timeval(deadline_ms - timing_mono_ms());
	status =
		amqp_socket_open_noblock(amqp_get_socket(s->conn), s->info.host, s->info.port, &tv);
	if (status != AMQP_STATUS_OK) {
		snprintf(err, errlen, "cannot connect to %s: %s", s->masked_url,
			 amqp_error_string2(status));
		rc = AMQP_SESSION_ERR_CONNECT;
		goto fail;
	}
	rc = session_login(s, deadline_ms, err, errlen);
	if (rc < 0)
		goto fail;
	return 0;

fail:
	session_teardown(s, false);
	return rc;
}

void amqp_session_close(struct amqp_session *s)
{
	if (!s)
		return;
	session_teardown(s, true);
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

int amqp_session_declare_queue(struct amqp_session *s, const char *name, bool exclusive,
			       char *out_name, size_t outlen)
{
	amqp_queue_declare_ok_t *ok;
	int rc = session_begin_rpc(s);

	if (rc < 0)
		return rc;
	/* A shared queue is transient and kept, as the Go services declare
	 * theirs; an exclusive one goes away with its connection. */
	ok = amqp_queue_declare(s->conn, SESSION_CHANNEL, amqp_cstring_bytes(name), 0, 0, exclusive,
				exclusive, amqp_empty_table);
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
		session_teardown(s, false);
		return AMQP_SESSION_ERR_LOST;
	}
	return 0;
}

/*
 * amqp_consume_message put back a frame that is not a delivery: read it
 * and act on it. The frame is already buffered; the bound only guards
 * against a library surprise. Returns 0 to keep waiting, or a negative
 * code with the session closed.
 */
static int session_handle_frame(struct amqp_session *s)
{
	struct timeval tv = session_timeval(s->timeout_ms);
	amqp_frame_t frame;
	amqp_message_t returned;
	amqp_rpc_reply_t reply;
	int status;

	status = amqp_simple_wait_frame_noblock(s->conn, &frame, &tv);
	if (status != AMQP_STATUS_OK) {
		log_warn("amqp connection lost url=%s reason=\"%s\"", s->masked_url,
			 amqp_error_string2(status));
		session_teardown(s, false);
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
			session_teardown(s, false);
			return AMQP_SESSION_ERR_LOST;
		}
		log_warn("amqp broker returned an unroutable message url=%s", s->masked_url);
		amqp_destroy_message(&returned);
		return 0;
	case AMQP_CHANNEL_CLOSE_METHOD: {
		const amqp_channel_close_t *c = frame.payload.method.decoded;

		log_warn("amqp broker closed the channel url=%s code=%u reason=\"%.*s\"",
			 s->masked_url, (unsigned)c->reply_code, (int)c->reply_text.len,
			 (const char *)c->reply_text.bytes);
		session_confirm_channel_close(s, frame.channel);
		return AMQP_SESSION_ERR_LOST;
	}
	case AMQP_CONNECTION_CLOSE_METHOD: {
		const amqp_connection_close_t *c = frame.payload.method.decoded;

		log_warn("amqp broker closed the connection url=%s code=%u reason=\"%.*s\"",
			 s->masked_url, (unsigned)c->reply_code, (int)c->reply_text.len,
			 (const char *)c->reply_text.bytes);
		session_confirm_connection_close(s);
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
	int64_t deadline_ms = timing_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	amqp_rpc_reply_t reply;
	struct timeval tv;
	char reason[256];
	int rc;

	session_release_envelope(s);
	if (!amqp_session_is_open(s))
		return AMQP_SESSION_ERR_NOT_OPEN;
	amqp_maybe_release_buffers(s->conn);

	for (;;) {
		tv = session_timeval(deadline_ms - timing_mono_ms());
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
		session_describe_reply(reply, reason, sizeof(reason));
		log_warn("amqp connection lost url=%s reason=\"%s\"", s->masked_url, reason);
		session_teardown(s, false);
		return AMQP_SESSION_ERR_LOST;
	}

	s->have_envelope = true;
	session_copy_bytes(s->exchange, sizeof(s->exchange), s->envelope.exchange);
	session_copy_bytes(s->routing_key, sizeof(s->routing_key), s->envelope.routing_key);
	d->exchange = s->exchange;
	d->routing_key = s->routing_key;
	d->body = s->envelope.message.body.bytes;
	d->len = s->envelope.message.body.len;
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
