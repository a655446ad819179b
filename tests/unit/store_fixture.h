#ifndef DISCOVERY_TESTS_STORE_FIXTURE_H
#define DISCOVERY_TESTS_STORE_FIXTURE_H

/* Tokens for the subscriber's table tests, decoded through the real codec so
 * that they are valid by construction. Include after <cmocka.h>. */
#include <stdio.h>
#include <string.h>

#include "subscriber/sub_store.h"
#include "token_decode.h"

static inline struct token make(const char *service, const char *id, const char *state,
			 int64_t seq, int ttl)
{
	char body[512], key[128];
	struct token t;

	snprintf(body, sizeof(body),
		 "{\"state\":\"%s\",\"address\":\"10.0.0.5\",\"port\":6767,"
		 "\"instanceId\":\"%s\",\"seq\":%lld,\"ttl\":%d}",
		 state, id, (long long)seq, ttl);
	snprintf(key, sizeof(key), "discovery.%s.up", service);
	assert_int_equal(token_decode(body, strlen(body), key, &t), 0);
	return t;
}

static inline int apply(struct sub_store *t, const char *service, const char *id,
		 const char *state, int64_t seq, int ttl, int64_t now)
{
	struct token tok = make(service, id, state, seq, ttl);
	int rc = sub_store_apply(t, &tok, now);

	token_clear(&tok);
	return rc;
}

#endif
