#ifndef DISCOVERY_SIDECAR_H
#define DISCOVERY_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

/* The pure parts of the sidecar program's configuration. */

#define SIDECAR_META_KEY_MAX   64
#define SIDECAR_META_VALUE_MAX 256

/* True for a metadata key: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
bool sidecar_meta_key_is_valid(const char *key, size_t len);

/*
 * Parses "k=v,k2=v2" (NULL or "" is an empty list) into t->metadata,
 * replacing what was there. Keys must be valid and distinct, values at most
 * SIDECAR_META_VALUE_MAX bytes without commas, at most TOKEN_MAX_METADATA
 * pairs. Returns 0, or -1 with a sentence in err (t->metadata is then empty).
 */
int sidecar_parse_metadata(const char *list, struct token *t, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* True for an absolute http:// or https:// URL with a host. */
bool sidecar_url_is_valid(const char *url);

#endif
