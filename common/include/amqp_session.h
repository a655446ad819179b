#ifndef DISCOVERY_AMQP_SESSION_H
#define DISCOVERY_AMQP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One AMQP 0-9-1 connection with one channel, on rabbitmq-c. A session
 * belongs to exactly one thread. Nothing here blocks forever: connect and
 * RPCs are bounded by timeout_ms, waiting for a delivery by its argument.
 *
 * Typical owner loop:
 *   for (;;) {
 *     if (!amqp_session_is_open(s)) {
 *       if (amqp_session_open(s, err, sizeof(err)) < 0) {
 *         sleep(backoff_next_ms(&b)); continue;
 *       }
 *       backoff_reset(&b); declare, bind, consume ...
 *     }
 *     rc = amqp_session_next(s, 100, &d);   // 1 delivery, 0 timeout
 *     if (rc < 0) continue;                 // lost: session is closed now
 *   }
 * Any call that fails because the connection is gone closes the session,
 * so the next amqp_session_is_open() is false and the loop reconnects.
 */
struct amqp_session;

struct amqp_session_options {
	/* amqp://user:pass@host:port/vhost or amqps://; or the nodes of a
	 * cluster as a comma-separated list of such URLs, each with its own
	 * scheme, credentials and vhost (see amqp_session_open). */
	const char *url;
	const char *connection_name; /* client property "connection_name", or NULL */
	int heartbeat_s;             /* 0: 10 s */
	int timeout_ms;              /* connect and RPC bound; 0: 5000 */
	/* amqps://: PEM file of the CA certificate(s) the broker's certificate
	 * must chain to; NULL or "": the system bundle. Verification of the
	 * certificate and of the URL's host name is always on. */
	const char *tls_ca;
};

struct amqp_session_header {
	const char *name;
	const char *value;
};

struct amqp_session_message {
	const char *exchange;
	const char *routing_key;
	const void *body;
	size_t len;
	const char *content_type;  /* NULL: none */
	int64_t expiration_ms;     /* 0: none */
	int64_t timestamp_s;       /* 0: none */
	const struct amqp_session_header *headers;
	size_t header_count;
	/* Property user_id, NULL: none. RabbitMQ refuses a message whose
	 * user_id is not the connection's user: use amqp_session_user(). */
	const char *user_id;
};

/* Borrowed from the session until the next amqp_session_next/close. */
struct amqp_session_delivery {
	const char *exchange;
	const char *routing_key;
	const void *body;
	size_t len;
	const char *user_id; /* property user_id, NULL when absent */
};

/* Negative error codes. REFUSED: the broker closed the channel over
 * something this session did (a declare with other options, a publish the
 * user's permissions forbid, a user_id that is not the connection's user);
 * the session is closed, and amqp_session_refusal says why. */
enum amqp_session_error {
	AMQP_SESSION_ERR_URL = -1,        /* the URL does not parse */
	AMQP_SESSION_ERR_CONNECT = -2,    /* socket, TLS or login failed */
	AMQP_SESSION_ERR_LOST = -3,       /* connection gone; session closed */
	AMQP_SESSION_ERR_REFUSED = -4,    /* broker refused an operation */
	AMQP_SESSION_ERR_NO_MEMORY = -5,
	AMQP_SESSION_ERR_NOT_OPEN = -6,
	/* Not sent, and the session stays open: the broker blocked the
	 * connection (a resource alarm), or the socket is too full for the
	 * message to go out without waiting. */
	AMQP_SESSION_ERR_BLOCKED = -7,
};

/* 0 when url is a broker URL, or a comma-separated list of them, the
 * session can use, else a negative code
 * and a sentence (password masked) in err saying what is wrong with it. */
int amqp_session_check_url(const char *url, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Copies the options; NULL on bad URL or no memory. */
struct amqp_session *amqp_session_new(const struct amqp_session_options *opts)
	__attribute__((warn_unused_result));
void amqp_session_free(struct amqp_session *s);

/* Connects, logs in, opens the channel. err gets a masked-URL sentence.
 * With several URLs: tries each node once, starting at a random one for
 * the first open and at the node after the last one connected to for
 * every later open, and keeps the first that answers. */
int amqp_session_open(struct amqp_session *s, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* The masked URL of the node connected to (or last tried), and how many
 * URLs the session was given. */
const char *amqp_session_node(const struct amqp_session *s);
size_t amqp_session_node_count(const struct amqp_session *s);
void amqp_session_close(struct amqp_session *s);
/* The user the current node's URL logs in as, and its vhost ("/" when the URL has none). */
const char *amqp_session_user(const struct amqp_session *s);
const char *amqp_session_vhost(const struct amqp_session *s);
bool amqp_session_is_open(const struct amqp_session *s);
/* Between the broker's connection.blocked (a memory or disk alarm: it
 * stops reading from publishing connections) and connection.unblocked, as
 * far as the frames read so far tell. */
bool amqp_session_is_blocked(const struct amqp_session *s);

int amqp_session_declare_exchange(struct amqp_session *s, const char *name,
				  const char *type, bool durable)
	__attribute__((warn_unused_result));
/* name "" asks the broker for a name, returned in out_name. Exclusive
 * queues are auto-deleted with the connection. */
int amqp_session_declare_queue(struct amqp_session *s, const char *name,
			       bool exclusive, char *out_name, size_t outlen)
	__attribute__((warn_unused_result));
/* A shared queue that survives a broker restart. */
int amqp_session_declare_durable_queue(struct amqp_session *s, const char *name)
	__attribute__((warn_unused_result));
/* An exclusive, server-named queue that holds at most max_length messages:
 * past it the broker drops the oldest (a stalled consumer does not make
 * the broker hoard). */
int amqp_session_declare_bounded_queue(struct amqp_session *s, int64_t max_length,
				       char *out_name, size_t outlen)
	__attribute__((warn_unused_result));
int amqp_session_bind(struct amqp_session *s, const char *queue,
		      const char *exchange, const char *routing_key)
	__attribute__((warn_unused_result));
/* Starts a no-ack consumer on the queue. */
int amqp_session_consume(struct amqp_session *s, const char *queue)
	__attribute__((warn_unused_result));

/* Sends without ever waiting for the broker: AMQP_SESSION_ERR_BLOCKED
 * (nothing sent, session open) while the connection is blocked or the
 * socket could not take the message at once. */
int amqp_session_publish(struct amqp_session *s,
			 const struct amqp_session_message *m)
	__attribute__((warn_unused_result));

/* The broker's reason for the last AMQP_SESSION_ERR_REFUSED, e.g.
 * "broker closed the channel: 403 ACCESS_REFUSED - access to topic ...", or
 * "" before any. */
const char *amqp_session_refusal(const struct amqp_session *s);

/*
 * Waits up to timeout_ms for a delivery, servicing heartbeats meanwhile.
 * Returns 1 with *d filled, 0 on timeout, or a negative code (the session
 * is then closed): AMQP_SESSION_ERR_REFUSED when the broker closed the
 * channel, say over a publish it refused, AMQP_SESSION_ERR_LOST when the
 * connection went. Other non-delivery frames are handled inside.
 */
int amqp_session_next(struct amqp_session *s, int timeout_ms,
		      struct amqp_session_delivery *d)
	__attribute__((warn_unused_result));

/* For a host's own poll loop: the connection's socket (-1 while closed),
 * and whether frames were already read from it that amqp_session_next()
 * has not handed out yet (poll() would not say so). */
int amqp_session_fd(const struct amqp_session *s);
bool amqp_session_pending(const struct amqp_session *s);

/* A header of the current delivery as text (strings, bytes, integers).
 * Returns 0, or -1 when absent or too long for out. */
int amqp_session_header(const struct amqp_session *s, const char *name,
			char *out, size_t outlen)
	__attribute__((warn_unused_result));

#endif
