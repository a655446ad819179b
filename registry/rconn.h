#ifndef DISCOVERY_REGISTRY_RCONN_H
#define DISCOVERY_REGISTRY_RCONN_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

/*
 * What RabbitMQ's connection events tell the registry. connection.closed
 * carries only the connection's name, pid, node and user_provided_name;
 * its user and vhost came with connection.created. So each created
 * connection's user and vhost are remembered by pid until its close,
 * bounded: past max the oldest is forgotten, and its close is then treated
 * as one whose creation was not seen (which only an exact incarnation can
 * act on). Not thread-safe: the subscriber's thread owns it.
 */
struct rconn;

#define RCONN_FIELD_MAX 256 /* an AMQP short string and its NUL */

struct rconn *rconn_new(size_t max) __attribute__((warn_unused_result));
void rconn_free(struct rconn *c);

/* connection.created: remembers user and vhost of pid. */
void rconn_created(struct rconn *c, const char *pid, const char *user, const char *vhost);
/* connection.closed: forgets pid. true with user and vhost filled when its
 * creation was seen. */
bool rconn_closed(struct rconn *c, const char *pid, char user[RCONN_FIELD_MAX],
		  char vhost[RCONN_FIELD_MAX]);
size_t rconn_count(const struct rconn *c);

/* A publisher's connection name, "discovery:<service>:<instanceId>:<incarnation>".
 * The instanceId may hold colons (IPv6, address:port): the service ends at
 * the first colon, the incarnation starts after the last. */
struct rconn_name {
	char service[TOKEN_SERVICE_MAX + 1];
	char instance_id[RCONN_FIELD_MAX];
	char incarnation[TOKEN_INCARNATION_LEN + 1];
};
/* 0, or -1 when the name is not such a name. */
int rconn_parse_name(const char *name, struct rconn_name *out)
	__attribute__((warn_unused_result));

#endif
