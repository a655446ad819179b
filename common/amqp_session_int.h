#ifndef DISCOVERY_AMQP_SESSION_INT_H
#define DISCOVERY_AMQP_SESSION_INT_H

/*
 * Internal to amqp_session.c and amqp_session_io.c, not part of the API:
 * the session is one module split over two files (its life, and what runs
 * on an open session), and both need the struct and a few helpers. Callers
 * use common/include/amqp_session.h, where the struct stays opaque.
 */
#include "amqp_session.h"

#include <stdint.h>
#include <sys/time.h>

#include <amqp.h>

#define SESSION_CHANNEL 1
/* An AMQP short string (exchange, routing key, queue name) is <= 255 bytes. */
#define SESSION_SHORTSTR 256
/* Room a publish leaves in the socket buffer beyond twice its body. */
#define SESSION_PUBLISH_MARGIN 16384

/* One broker URL of the list: a node of a cluster, or the only broker. */
struct amqp_session_node {
	char *url; /* parsed in place: info points into it */
	struct amqp_connection_info info;
	char masked_url[512];
};

struct amqp_session {
	struct amqp_session_node *nodes;
	size_t node_count;
	size_t node;	  /* the node connected to, or last tried */
	size_t next_node; /* where the next open starts */
	/* The current node's, copied at every attempt so that the rest of the
	 * session reads one connection's URL, user and vhost. */
	struct amqp_connection_info info;
	char masked_url[512];
	char *connection_name; /* NULL: none */
	char *ca_file;	       /* NULL: no CA file to load */
	/* Why the broker's certificate did not verify, and its subject, from
	 * OpenSSL's verify callback during the last TLS handshake. */
	char tls_error[160];
	char tls_subject[160];
	/* The broker's reason for the last refusal (amqp_session_refusal). */
	char refusal[320];
	int heartbeat_s;
	int timeout_ms;

	amqp_connection_state_t conn; /* NULL while closed */
	bool channel_open;
	bool blocked; /* connection.blocked seen, unblocked not yet */

	bool have_envelope;
	amqp_envelope_t envelope;
	char exchange[SESSION_SHORTSTR];
	char routing_key[SESSION_SHORTSTR];
	char user_id[SESSION_SHORTSTR];
};

/* Parses the comma-separated list into s->nodes, starting at a random
 * node; 0, or a negative code with a sentence (passwords masked) in err. */
int amqp_session__nodes_parse(struct amqp_session *s, const char *list, char *err,
			      size_t errlen) __attribute__((warn_unused_result));
void amqp_session__nodes_free(struct amqp_session *s);
/* Makes node i the current one (info and masked_url). */
void amqp_session__node_select(struct amqp_session *s, size_t i);

/* A relative timeout for rabbitmq-c; a negative ms counts as 0. */
struct timeval amqp_session__timeval(int64_t ms);

/* Writes a sentence about a failed RPC reply into buf. */
void amqp_session__describe_reply(amqp_rpc_reply_t reply, char *buf, size_t len);

/* Destroys the current delivery, if any. */
void amqp_session__release_envelope(struct amqp_session *s);

/* Ends the connection, politely when graceful; safe when already closed. */
void amqp_session__teardown(struct amqp_session *s, bool graceful);

/* The broker sent connection.close: confirm it and drop the socket. */
void amqp_session__confirm_connection_close(struct amqp_session *s);

/* The broker sent channel.close: confirm it, then close the connection. */
void amqp_session__confirm_channel_close(struct amqp_session *s, amqp_channel_t channel);

#endif
