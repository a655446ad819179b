#include "announce.h"

#include <stdlib.h>
#include <string.h>

int announce_ttl_s(int64_t interval_ms)
{
	int64_t ttl;

	if (interval_ms <= 0)
		return 1;
	ttl = (3 * interval_ms + 999) / 1000;
	if (ttl > INT32_MAX)
		return INT32_MAX;
	return ttl < 1 ? 1 : (int)ttl;
}

enum token_state announce_state(bool stopping, bool healthy, bool out_of_service_when_unhealthy)
{
	if (stopping)
		return TOKEN_DOWN;
	if (healthy)
		return TOKEN_UP;
	return out_of_service_when_unhealthy ? TOKEN_OUT_OF_SERVICE : TOKEN_DOWN;
}

int announce_build(const struct token *base, enum token_state state, int ttl, int64_t seq,
		   int64_t ts_ms, const char *secret, struct announce_message *out)
{
	/* A shallow copy: it only lends base's strings to the encoder. */
	struct token t = *base;

	memset(out, 0, sizeof(*out));
	t.state = state;
	t.ttl = ttl;
	t.seq = seq;
	t.ts = ts_ms;
	t.reason = NULL;
	if (token_routing_key(&t, out->routing_key, sizeof(out->routing_key)) < 0)
		return TOKEN_ERR_BAD_SERVICE;
	/* token_encode refuses bodies over TOKEN_MAX_BODY; running out of
	 * memory is the only other way to get NULL. */
	out->body = token_encode(&t);
	if (!out->body)
		return TOKEN_ERR_TOO_LARGE;
	out->len = strlen(out->body);
	if (secret && secret[0]) {
		token_sign(secret, out->body, out->len, out->signature);
		out->has_signature = true;
	}
	out->expiration_ms = (int64_t)ttl * 1000;
	out->timestamp_s = ts_ms / 1000;
	return 0;
}

void announce_message_clear(struct announce_message *m)
{
	free(m->body);
	memset(m, 0, sizeof(*m));
}
