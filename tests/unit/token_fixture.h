#ifndef DISCOVERY_TESTS_TOKEN_FIXTURE_H
#define DISCOVERY_TESTS_TOKEN_FIXTURE_H

/* Bodies and comparisons shared by the token tests. */
#include <stdbool.h>
#include <string.h>

#include "token_decode.h"

#define KEY	"discovery.accountservice.up"
#define MINIMAL "{\"state\":\"UP\",\"address\":\"10.0.0.5\"}"
#define FULL                                                                                       \
	"{\"state\":\"UP\",\"address\":\"10.0.0.22\",\"service\":\"accountservice\","              \
	"\"port\":6767,\"instanceId\":\"acct-1\",\"hostname\":\"c0ffee\","                         \
	"\"healthUrl\":\"http://10.0.0.22:6767/health\","                                          \
	"\"streamUrl\":\"https://10.0.0.22:6767/stream\",\"reason\":\"deploy\","                   \
	"\"ttl\":6,\"seq\":41,\"ts\":1700000000123,"                                               \
	"\"metadata\":{\"zone\":\"a\",\"version\":\"1.2.3\"}}"

static inline int decode(const char *body, const char *key, struct token *t)
{
	return token_decode(body, strlen(body), key, t);
}

static inline bool same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static inline bool token_equal(const struct token *a, const struct token *b)
{
	if (a->state != b->state || strcmp(a->address, b->address) != 0 ||
	    strcmp(a->service, b->service) != 0 || a->port != b->port || a->ttl != b->ttl ||
	    a->seq != b->seq || a->ts != b->ts || a->metadata_count != b->metadata_count)
		return false;
	if (!same_text(a->instance_id, b->instance_id) || !same_text(a->hostname, b->hostname) ||
	    !same_text(a->health_url, b->health_url) || !same_text(a->stream_url, b->stream_url) ||
	    !same_text(a->reason, b->reason))
		return false;
	for (size_t i = 0; i < a->metadata_count; i++) {
		if (!same_text(a->metadata[i].key, b->metadata[i].key) ||
		    !same_text(a->metadata[i].value, b->metadata[i].value))
			return false;
	}
	return true;
}

#endif
