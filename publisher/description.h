#ifndef DISCOVERY_PUBLISHER_DESCRIPTION_H
#define DISCOVERY_PUBLISHER_DESCRIPTION_H

#include <stddef.h>

#include "discovery/publisher.h"
#include "token.h"

/*
 * The caller's description of its instance (struct publisher_instance)
 * turned into the token the publisher sends, and checked before the
 * publisher starts, so that a description the registry would reject fails
 * at once instead of every token being dropped later.
 */

/* The description as a token of borrowed strings, or -1 when a field does
 * not fit one; err says which. */
int description_token_of(const struct publisher_instance *in, struct token *t, char *err,
			 size_t errlen);
/* dst: an owned copy of src, its instance id filled the contract's way
 * when empty, and a fresh incarnation drawn. -1: no memory or entropy. */
int description_copy(struct token *dst, const struct token *src);
/* Builds the largest token t can become and runs it through the
 * registry's decoder; -1 with err when it fails. */
int description_check(const struct token *t, int ttl_s, const char *secret, char *err,
		      size_t errlen);

#endif
