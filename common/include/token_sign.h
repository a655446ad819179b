#ifndef DISCOVERY_TOKEN_SIGN_H
#define DISCOVERY_TOKEN_SIGN_H

#include <stdbool.h>
#include <stddef.h>

/* Optional HMAC-SHA256 signature of a token's body, in an AMQP header. */
#define TOKEN_SIGNATURE_HEX    64
#define TOKEN_SIGNATURE_HEADER "x-signature"

/*
 * secret is one key or a comma-separated list of keys (DISCOVERY_SECRET),
 * so that a key is rotated without a gap: publishers sign with the first,
 * consumers accept a signature by any.
 */

/* Lower-case hex HMAC-SHA256(first key, body): hex needs 65 bytes. */
void token_sign(const char *secret, const void *body, size_t len,
		char hex[TOKEN_SIGNATURE_HEX + 1]);
/* Constant-time check of a received signature (any case of hex) against
 * every key of the list. */
bool token_verify(const char *secret, const void *body, size_t len, const char *hex);

#endif
