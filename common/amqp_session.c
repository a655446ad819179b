/*
 * One AMQP 0-9-1 connection with one channel on rabbitmq-c 0.11: the
 * session's life (options and URL, connect with TLS and login, close,
 * teardown). What runs on an open session (declare, bind, consume,
 * publish, wait for deliveries) is in amqp_session_io.c.
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
#include "amqp_session_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "timing.h"

#define SESSION_FRAME_MAX	    131072
#define SESSION_DEFAULT_HEARTBEAT_S 10
#define SESSION_DEFAULT_TIMEOUT_MS  5000
/* Closing politely must not hold up a shutdown or a reconnect. */
#define SESSION_CLOSE_TIMEOUT_MS 1000
#define SESSION_PRODUCT		 "discovery"
/* Debian's CA bundle, used for amqps:// when no CA file is given. */
#define SESSION_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

static char *session_strdup(const char *text)
{
	return text ? strdup(text) : NULL;
}

struct timeval amqp_session__timeval(int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* Writes a sentence about a failed RPC reply into buf. */
void amqp_session__describe_reply(amqp_rpc_reply_t reply, char *buf, size_t len)
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

/*
 * Ends the connection. graceful: the connection still works, so say
 * goodbye with channel.close and connection.close, each bounded by a short
 * RPC timeout. Otherwise just drop the socket.
 */
void amqp_session__teardown(struct amqp_session *s, bool graceful)
{
	amqp_session__release_envelope(s);
	if (!s->conn)
		return;
	/* A blocked connection is not read by the broker: a polite close
	 * could sit in a full socket, so it is dropped instead. */
	if (graceful && !s->blocked) {
		struct timeval tv = amqp_session__timeval(SESSION_CLOSE_TIMEOUT_MS);

		/* Ignoring the replies: the connection is destroyed anyway. */
		(void)amqp_set_rpc_timeout(s->conn, &tv);
		if (s->channel_open)
			(void)amqp_channel_close(s->conn, SESSION_CHANNEL, AMQP_REPLY_SUCCESS);
		(void)amqp_connection_close(s->conn, AMQP_REPLY_SUCCESS);
	}
	(void)amqp_destroy_connection(s->conn);
	s->conn = NULL;
	s->channel_open = false;
	s->blocked = false;
}

/* The broker sent connection.close: confirm it and drop the socket. */
void amqp_session__confirm_connection_close(struct amqp_session *s)
{
	amqp_connection_close_ok_t ok = {0};

	(void)amqp_send_method(s->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
	amqp_session__teardown(s, false);
}

/* The broker sent channel.close: confirm it, then close the connection. */
void amqp_session__confirm_channel_close(struct amqp_session *s, amqp_channel_t channel)
{
	amqp_channel_close_ok_t ok = {0};

	(void)amqp_send_method(s->conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
	s->channel_open = false;
	amqp_session__teardown(s, true);
}

static void session_free_fields(struct amqp_session *s)
{
	amqp_session__nodes_free(s);
	free(s->connection_name);
	free(s->ca_file);
	free(s);
}

struct amqp_session *amqp_session_new(const struct amqp_session_options *opts)
{
	struct amqp_session *s;
	const char *ca;
	char err[600];

	if (!opts || !opts->url)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->connection_name = session_strdup(opts->connection_name);
	if (opts->connection_name && !s->connection_name)
		goto fail;
	if (amqp_session__nodes_parse(s, opts->url, err, sizeof(err)) < 0)
		goto fail;

	/* For the amqps:// nodes of the list (each URL picks its scheme). */
	ca = opts->tls_ca;
	if (!ca || !*ca)
		ca = access(SESSION_SYSTEM_CA, R_OK) == 0 ? SESSION_SYSTEM_CA : NULL;
	s->ca_file = session_strdup(ca);
	if (ca && !s->ca_file)
		goto fail;
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

const char *amqp_session_user(const struct amqp_session *s)
{
	return s->info.user;
}

bool amqp_session_is_blocked(const struct amqp_session *s)
{
	return amqp_session_is_open(s) && s->blocked;
}

const char *amqp_session_vhost(const struct amqp_session *s)
{
	return s->info.vhost;
}

bool amqp_session_is_open(const struct amqp_session *s)
{
	return s && s->conn && s->channel_open;
}

/*
 * rabbitmq-c 0.11 reports only "peer cert verification failed": this
 * callback, which OpenSSL calls for every certificate of the chain, keeps
 * the first reason and the broker's own subject for the error sentence.
 * It changes no verdict (rabbitmq-c checks the verify result itself).
 */
static int session_tls_verify(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct amqp_session *s = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store); /* the broker's own */

	if (!s)
		return ok;
	if (leaf && !s->tls_subject[0])
		X509_NAME_oneline(X509_get_subject_name(leaf), s->tls_subject,
				  sizeof(s->tls_subject));
	if (!ok && !s->tls_error[0])
		snprintf(s->tls_error, sizeof(s->tls_error), "%s (certificate depth %d)",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)),
			 X509_STORE_CTX_get_error_depth(store));
	return ok;
}

/* Creates the socket for the URL's scheme, with TLS verification on. */
static int session_new_socket(struct amqp_session *s, char *err, size_t errlen)
{
	amqp_socket_t *sock;
	SSL_CTX *ctx;

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
	s->tls_error[0] = '\0';
	s->tls_subject[0] = '\0';
	ctx = amqp_ssl_socket_get_context(sock);
	SSL_CTX_set_app_data(ctx, s);
	/* VERIFY_NONE is rabbitmq-c's own mode: the handshake completes and
	 * the library then refuses an unverified peer. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, session_tls_verify);
	return 0;
}

/* The sentence for a failed socket open, naming why TLS refused a broker. */
static void session_describe_open(const struct amqp_session *s, int status, char *err,
				  size_t errlen)
{
	switch (status) {
	case AMQP_STATUS_SSL_PEER_VERIFY_FAILED:
		snprintf(err, errlen,
			 "cannot connect to %s: TLS: the broker's certificate (%s) does not "
			 "verify against %s: %s",
			 s->masked_url, s->tls_subject[0] ? s->tls_subject : "none",
			 s->ca_file ? s->ca_file : "no CA file",
			 s->tls_error[0] ? s->tls_error : "no certificate");
		return;
	case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED:
		/* rabbitmq-c 0.11 compares DNS names (subjectAltName, else the
		 * common name) and never IP addresses. */
		snprintf(err, errlen,
			 "cannot connect to %s: TLS: the broker's certificate (%s) is not for "
			 "host %s (rabbitmq-c checks its DNS names, never IP addresses)",
			 s->masked_url, s->tls_subject[0] ? s->tls_subject : "none", s->info.host);
		return;
	default:
		snprintf(err, errlen, "cannot connect to %s: %s", s->masked_url,
			 amqp_error_string2(status));
	}
}

static int session_login(struct amqp_session *s, int64_t deadline_ms, char *err, size_t errlen)
{
	/* connection.blocked and basic.cancel reach only a client that says
	 * it understands them; rabbitmq-c merges this table into its own. */
	amqp_table_entry_t caps[] = {
		{.key = amqp_cstring_bytes("connection.blocked"),
		 .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}},
		{.key = amqp_cstring_bytes("consumer_cancel_notify"),
		 .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}},
	};
	amqp_table_entry_t entries[3];
	amqp_table_t props = {.num_entries = 0, .entries = entries};
	struct timeval tv = amqp_session__timeval(deadline_ms - timing_mono_ms());
	amqp_rpc_reply_t reply;
	char reason[256];

	entries[props.num_entries].key = amqp_cstring_bytes("product");
	entries[props.num_entries].value.kind = AMQP_FIELD_KIND_UTF8;
	entries[props.num_entries].value.value.bytes = amqp_cstring_bytes(SESSION_PRODUCT);
	props.num_entries++;
	entries[props.num_entries].key = amqp_cstring_bytes("capabilities");
	entries[props.num_entries].value.kind = AMQP_FIELD_KIND_TABLE;
	entries[props.num_entries].value.value.table =
		(amqp_table_t){.num_entries = 2, .entries = caps};
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
		amqp_session__describe_reply(reply, reason, sizeof(reason));
		snprintf(err, errlen, "login to %s failed: %s", s->masked_url, reason);
		return AMQP_SESSION_ERR_CONNECT;
	}

	tv = amqp_session__timeval(deadline_ms - timing_mono_ms());
	(void)amqp_set_rpc_timeout(s->conn, &tv);
	amqp_channel_open(s->conn, SESSION_CHANNEL);
	reply = amqp_get_rpc_reply(s->conn);
	if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
		amqp_session__describe_reply(reply, reason, sizeof(reason));
		snprintf(err, errlen, "opening a channel on %s failed: %s", s->masked_url, reason);
		return AMQP_SESSION_ERR_CONNECT;
	}
	s->channel_open = true;
	tv = amqp_session__timeval(s->timeout_ms);
	(void)amqp_set_rpc_timeout(s->conn, &tv);
	return 0;
}

/* Connects to the current node within one timeout_ms. */
static int session_open_node(struct amqp_session *s, char *err, size_t errlen)
{
	int64_t deadline_ms = timing_mono_ms() + s->timeout_ms;
	struct timeval tv;
	int status;
	int rc;

	s->conn = amqp_new_connection();
	if (!s->conn) {
		snprintf(err, errlen, "out of memory connecting to %s", s->masked_url);
		return AMQP_SESSION_ERR_NO_MEMORY;
	}
	rc = session_new_socket(s, err, errlen);
	if (rc < 0)
		goto fail;

	tv = amqp_session__timeval(deadline_ms - timing_mono_ms());
	status =
		amqp_socket_open_noblock(amqp_get_socket(s->conn), s->info.host, s->info.port, &tv);
	if (status != AMQP_STATUS_OK) {
		session_describe_open(s, status, err, errlen);
		rc = AMQP_SESSION_ERR_CONNECT;
		goto fail;
	}
	rc = session_login(s, deadline_ms, err, errlen);
	if (rc < 0)
		goto fail;
	return 0;

fail:
	amqp_session__teardown(s, false);
	return rc;
}

/*
 * Tries each node once, from next_node on, and keeps the first that
 * answers. The next open (after a lost connection, say the node stopped)
 * starts at the node after it, so a failover moves along the list rather
 * than knocking at the node that just went away. A stopped node refuses
 * at once; an unreachable one costs its own timeout_ms.
 */
int amqp_session_open(struct amqp_session *s, char *err, size_t errlen)
{
	char prefix[64];
	size_t i, k, plen, len;
	int rc = AMQP_SESSION_ERR_CONNECT;

	if (errlen > 0)
		err[0] = '\0';
	if (amqp_session_is_open(s))
		return 0;
	amqp_session__teardown(s, false);
	for (i = 0; i < s->node_count; i++) {
		k = (s->next_node + i) % s->node_count;
		amqp_session__node_select(s, k);
		rc = session_open_node(s, err, errlen);
		if (rc == 0) {
			s->next_node = (k + 1) % s->node_count;
			/* The owner logs its connection with amqp_session_node(). */
			if (s->node_count > 1)
				log_debug("amqp connected node=%s (%zu of %zu)", s->masked_url,
					  k + 1, s->node_count);
			return 0;
		}
		if (s->node_count > 1)
			log_debug("amqp node did not answer node=%s reason=\"%s\"",
				  s->masked_url, errlen > 0 ? err : "");
	}
	/* The last node's sentence, said to be the last of several. */
	plen = (size_t)snprintf(prefix, sizeof(prefix), "none of the %zu nodes answered, last: ",
				s->node_count);
	if (s->node_count > 1 && plen < errlen) {
		len = strnlen(err, errlen - 1);
		if (len > errlen - 1 - plen)
			len = errlen - 1 - plen;
		memmove(err + plen, err, len);
		memcpy(err, prefix, plen);
		err[plen + len] = '\0';
	}
	return rc;
}

void amqp_session_close(struct amqp_session *s)
{
	if (!s)
		return;
	amqp_session__teardown(s, true);
}
