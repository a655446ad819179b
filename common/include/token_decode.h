#ifndef DISCOVERY_TOKEN_DECODE_H
#define DISCOVERY_TOKEN_DECODE_H

#include <stddef.h>

#include "token.h"

/*
 * Decodes and validates one message body. routing_key is
 * "discovery.<service>.<state>"; it gives the default service and a body's
 * service must equal it (so per-service topic permissions hold). On success
 * *out owns its strings (token_clear() them); on failure *out is cleared.
 */
int token_decode(const void *body, size_t len, const char *routing_key, struct token *out)
	__attribute__((warn_unused_result));

/* The same, for a body whose signature was verified: it must also carry
 * service, instanceId, seq and ts itself (TOKEN_ERR_UNBOUND otherwise), so
 * that the signature binds them. */
int token_decode_signed(const void *body, size_t len, const char *routing_key,
			struct token *out) __attribute__((warn_unused_result));

#endif
