#ifndef DISCOVERY_TOKEN_DECODE_H
#define DISCOVERY_TOKEN_DECODE_H

#include <stdbool.h>
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

/*
 * The same without an allocation (but for a body nested deeper than
 * token_scan's arena holds), for a consumer that handles one token at a time: buf->tok's
 * strings live in buf->text until the next decode into buf. Never
 * token_clear() buf->tok; token_copy() it to keep it. signed_mode: the
 * rules of token_decode_signed().
 */
struct token_buf {
	struct token tok;
	bool ttl_given; /* the body had a ttl (tok.ttl is the default otherwise) */
	size_t used;	/* bytes of text taken */
	/* Every string of a body fits in the body's length (a JSON string's
	 * quotes make room for its NUL, and escapes only shrink), besides a
	 * default instanceId and one string from outside the body, such as
	 * the AMQP user_id (a short string, at most 255 bytes). */
	char text[TOKEN_MAX_BODY + TOKEN_DEFAULT_ID_MAX + 256];
};
int token_decode_into(const void *body, size_t len, const char *routing_key, bool signed_mode,
		      struct token_buf *buf) __attribute__((warn_unused_result));
/* A copy of s in buf->text, for a field that does not come from the body;
 * NULL when it does not fit. */
char *token_buf_keep(struct token_buf *buf, const char *s) __attribute__((warn_unused_result));

#endif
