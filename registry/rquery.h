#ifndef DISCOVERY_REGISTRY_RQUERY_H
#define DISCOVERY_REGISTRY_RQUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "token.h"

/* Blocking queries wait at most this long; ?index= alone waits the default. */
#define RQUERY_MAX_WAIT_MS (10 * 60 * 1000)
#define RQUERY_DEFAULT_WAIT_MS (5 * 60 * 1000)

/* The query parameters of /services and /services/{name}. */
struct rquery {
	bool has_state;
	enum token_state state;
	bool blocking;   /* ?index= given */
	uint64_t index;
	int64_t wait_ms; /* with blocking */
};

/*
 * Parses the raw values (NULL when absent). Returns 0, or -1 with *err a
 * sentence for a 400 answer: a state that is not a token state, an index
 * that is not a non-negative integer, a wait that is not a duration of at
 * most 10 minutes.
 */
int rquery_parse(const char *state, const char *index, const char *wait,
		 struct rquery *out, const char **err)
	__attribute__((warn_unused_result));

/* Last-Event-ID and ?index=: a decimal uint64 and nothing else. */
int rquery_parse_u64(const char *text, uint64_t *out)
	__attribute__((warn_unused_result));

#endif
