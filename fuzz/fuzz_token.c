/*
 * libFuzzer target for the token decoder (fuzz/run.sh builds and runs it).
 * Each input is decoded twice: whole, under a fixed routing key, and split
 * into a routing key (length in the first byte) and a body. Every accepted
 * token must keep the decoder's promises and survive encode -> decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz/fuzz_require.h"
#include "token.h"
#include "token_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_KEY "discovery.accountservice.up"
#define FUZZ_KEY_MAX 96

static void check_accepted(const struct token *t, size_t body_len)
{
	struct token again;
	char key[128], *json, *json_again;

	fuzz_require((unsigned)t->state <= TOKEN_OUT_OF_SERVICE);
	fuzz_require(addr_is_literal(t->address));
	fuzz_require(token_service_is_valid(t->service));
	fuzz_require(t->port >= 0 && t->port <= 65535);
	fuzz_require(t->ttl >= 1 && t->ttl <= 86400);
	fuzz_require(t->seq >= -1 && t->ts >= 0);
	fuzz_require(t->metadata_count <= TOKEN_MAX_METADATA);
	fuzz_require(t->instance_id != NULL && t->instance_id[0] != '\0');

	json = token_encode(t);
	if (json == NULL) {
		/* Only defaults and number spellings make a body grow. */
		fuzz_require(body_len > TOKEN_MAX_BODY - 512);
		return;
	}
	fuzz_require(token_routing_key(t, key, sizeof(key)) == 0);
	fuzz_require(token_decode(json, strlen(json), key, &again) == 0);
	json_again = token_encode(&again);
	/* The encoder writes every field, so equal JSON means equal tokens. */
	fuzz_require(json_again != NULL && strcmp(json, json_again) == 0);
	fuzz_require(again.state == t->state && again.seq == t->seq && again.ts == t->ts);
	free(json_again);
	free(json);
	token_clear(&again);
}

static void decode_one(const void *body, size_t len, const char *key)
{
	struct token t;
	int rc = token_decode(body, len, key, &t);

	if (rc == 0) {
		check_accepted(&t, len);
		token_clear(&t);
	} else {
		fuzz_require(rc < 0 && rc >= -TOKEN_ERROR_COUNT);
		fuzz_require(t.instance_id == NULL && t.metadata_count == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[FUZZ_KEY_MAX + 1];
	size_t key_len;

	decode_one(data, size, FUZZ_KEY);
	if (size == 0)
		return 0;
	key_len = data[0] % (FUZZ_KEY_MAX + 1);
	if (key_len > size - 1)
		key_len = size - 1;
	memcpy(key, data + 1, key_len);
	key[key_len] = '\0';
	decode_one(data + 1 + key_len, size - 1 - key_len, key);
	return 0;
}
