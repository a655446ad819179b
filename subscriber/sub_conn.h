#ifndef DISCOVERY_SUBSCRIBER_SUB_CONN_H
#define DISCOVERY_SUBSCRIBER_SUB_CONN_H

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
struct sub_conn;

#define SUB_CONN_FIELD_MAX 256 /* an AMQP short string and its NUL */

struct sub_conn *sub_conn_new(size_t max) __attribute__((warn_unused_result));
void sub_conn_free(struct sub_conn *c);

/* connection.created: remembers user and vhost of pid. */
void sub_conn_created(struct sub_conn *c, const char *pid, const char *user, const char *vhost);
/* connection.closed: forgets pid. true with user and vhost filled when its
 * creation was seen. */
bool sub_conn_closed(struct sub_conn *c, const char *pid, char user[SUB_CONN_FIELD_MAX],
		  char vhost[SUB_CONN_FIELD_MAX]);
size_t sub_conn_count(const struct sub_conn *c);

/* A publisher's connection name, "discovery:<service>:<instanceId>:<incarnation>".
 * The instanceId may hold colons (IPv6, address:port): the service ends at
 * the first colon, the incarnation starts after the last. */
struct sub_conn_name {
	char service[TOKEN_SERVICE_MAX + 1];
	char instance_id[SUB_CONN_FIELD_MAX];
	char incarnation[TOKEN_INCARNATION_LEN + 1];
};
/* 0, or -1 when the name is not such a name. */
int sub_conn_parse_name(const char *name, struct sub_conn_name *out)
	__attribute__((warn_unused_result));

#endif
