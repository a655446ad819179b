#ifndef DISCOVERY_SUBSCRIBER_SUB_GRACE_H
#define DISCOVERY_SUBSCRIBER_SUB_GRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "subscriber/sub_conn.h"
#include "token.h"

/*
 * Publisher connections that closed and whose instance is not removed yet.
 * In a RabbitMQ cluster a node that stops closes its connections and says
 * connection.closed for each, exactly as for a publisher that crashed; the
 * publisher then reconnects to another node and announces at once. So a
 * close waits a grace before it removes the instance, and the same process
 * coming back (its connection.created, or a token of its incarnation)
 * cancels it. Bounded: past max a close is not deferred (the caller acts at
 * once, as without a grace). Not thread-safe: the subscriber's thread owns it.
 */
struct sub_grace;

struct sub_grace_close {
	char service[TOKEN_SERVICE_MAX + 1];
	char instance_id[SUB_CONN_FIELD_MAX];
	char incarnation[TOKEN_INCARNATION_LEN + 1];
	char user[SUB_CONN_FIELD_MAX];
	bool created_seen; /* the connection's creation (its user) was seen */
	int64_t due_ms;	   /* monotonic */
};

struct sub_grace *sub_grace_new(size_t max) __attribute__((warn_unused_result));
void sub_grace_free(struct sub_grace *g);

/* 0, or -1 when max closes are waiting already. */
int sub_grace_defer(struct sub_grace *g, const struct sub_grace_close *c)
	__attribute__((warn_unused_result));
/* Forgets the waiting closes of this instance and incarnation; how many. */
size_t sub_grace_cancel(struct sub_grace *g, const char *service, const char *instance_id,
		     const char *incarnation);
/* Moves every deadline to at least due_ms (the registry itself was away:
 * the instances need a moment to answer its sync). */
void sub_grace_postpone(struct sub_grace *g, int64_t due_ms);
/* Takes up to max closes due at now_ms into out; how many. */
size_t sub_grace_take_due(struct sub_grace *g, int64_t now_ms, struct sub_grace_close *out, size_t max);
size_t sub_grace_count(const struct sub_grace *g);

#endif
