#ifndef DISCOVERY_REGISTRY_RGRACE_H
#define DISCOVERY_REGISTRY_RGRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/rconn.h"
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
struct rgrace;

struct rgrace_close {
	char service[TOKEN_SERVICE_MAX + 1];
	char instance_id[RCONN_FIELD_MAX];
	char incarnation[TOKEN_INCARNATION_LEN + 1];
	char user[RCONN_FIELD_MAX];
	bool created_seen; /* the connection's creation (its user) was seen */
	int64_t due_ms;	   /* monotonic */
};

struct rgrace *rgrace_new(size_t max) __attribute__((warn_unused_result));
void rgrace_free(struct rgrace *g);

/* 0, or -1 when max closes are waiting already. */
int rgrace_defer(struct rgrace *g, const struct rgrace_close *c)
	__attribute__((warn_unused_result));
/* Forgets the waiting closes of this instance and incarnation; how many. */
size_t rgrace_cancel(struct rgrace *g, const char *service, const char *instance_id,
		     const char *incarnation);
/* Moves every deadline to at least due_ms (the registry itself was away:
 * the instances need a moment to answer its sync). */
void rgrace_postpone(struct rgrace *g, int64_t due_ms);
/* Takes up to max closes due at now_ms into out; how many. */
size_t rgrace_take_due(struct rgrace *g, int64_t now_ms, struct rgrace_close *out, size_t max);
size_t rgrace_count(const struct rgrace *g);

#endif
