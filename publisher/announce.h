#ifndef DISCOVERY_ANNOUNCE_H
#define DISCOVERY_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"
#include "token_sign.h"

/*
 * The pure part of the publisher: what one token message looks like, from
 * the instance's description and the publisher's state. No I/O here, so
 * every rule is unit-testable without a broker.
 */

/* ttl in seconds for an interval: 3 intervals, rounded up, at least 1. */
int announce_ttl_s(int64_t interval_ms);

/* The token state to announce: DOWN when stopping, else UP when healthy,
 * else DOWN or OUT_OF_SERVICE as configured. */
enum token_state announce_state(bool stopping, bool healthy, bool out_of_service_when_unhealthy);

/* One ready-to-publish token message. */
struct announce_message {
	char *body; /* JSON, owned; free with announce_message_clear() */
	size_t len;
	char routing_key[sizeof(TOKEN_ROUTING_PREFIX) + TOKEN_SERVICE_MAX + 32];
	bool has_signature;
	char signature[TOKEN_SIGNATURE_HEX + 1];
	int64_t expiration_ms; /* the token's ttl */
	int64_t timestamp_s;   /* send time */
};

/*
 * Builds the message for `base` (the instance's description) with the given
 * state, ttl, seq and ts, signed with `secret` when it is non-empty. Returns
 * 0, TOKEN_ERR_TOO_LARGE when the body would exceed TOKEN_MAX_BODY (or
 * memory ran out), or TOKEN_ERR_BAD_SERVICE when no routing key can be made.
 */
int announce_build(const struct token *base, enum token_state state, int ttl, int64_t seq,
		   int64_t ts_ms, const char *secret, struct announce_message *out)
	__attribute__((warn_unused_result));
void announce_message_clear(struct announce_message *m);

#endif
