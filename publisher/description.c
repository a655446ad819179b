#include "description.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "addr.h"
#include "announce.h"
#include "token_decode.h"
#include "token_sign.h"

/* A fresh incarnation per process start: crash detection trusts it, so it
 * comes from the kernel's generator, not from the jitter source. */
static int description_draw_incarnation(char out[TOKEN_INCARNATION_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[TOKEN_INCARNATION_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 0x0F];
	}
	out[TOKEN_INCARNATION_LEN] = '\0';
	return 0;
}

/* The caller's description as a token (borrowed strings), or -1 when a
 * field does not fit one; err says which. */
int description_token_of(const struct publisher_instance *in, struct token *t, char *err,
			   size_t errlen)
{
	size_t i;

	*t = (struct token){ .state = TOKEN_UP, .port = in->port, .seq = -1 };
	if (!in->service || !token_service_is_valid(in->service)) {
		snprintf(err, errlen, "bad service name '%s'", in->service ? in->service : "");
		return -1;
	}
	if (!in->address || !addr_is_literal(in->address)) {
		snprintf(err, errlen, "bad address '%s' (an IPv4 or IPv6 literal)",
			 in->address ? in->address : "");
		return -1;
	}
	if (in->port < 0 || in->port > 65535) {
		snprintf(err, errlen, "bad port %d", in->port);
		return -1;
	}
	if (in->metadata_count > TOKEN_MAX_METADATA || (in->metadata_count && !in->metadata)) {
		snprintf(err, errlen, "more than %d metadata keys", TOKEN_MAX_METADATA);
		return -1;
	}
	snprintf(t->service, sizeof(t->service), "%s", in->service);
	snprintf(t->address, sizeof(t->address), "%s", in->address);
	t->instance_id = (char *)in->instance_id;
	t->hostname = (char *)in->hostname;
	t->health_url = (char *)in->health_url;
	t->stream_url = (char *)in->stream_url;
	for (i = 0; i < in->metadata_count; i++) {
		t->metadata[i].key = (char *)in->metadata[i].key;
		t->metadata[i].value = (char *)in->metadata[i].value;
	}
	t->metadata_count = in->metadata_count;
	return 0;
}

/* Copies the description, fills the instance id the contract's way and
 * draws the incarnation. */
int description_copy(struct token *dst, const struct token *src)
{
	char id[TOKEN_DEFAULT_ID_MAX];

	if (token_copy(dst, src) < 0)
		return -1;
	if (description_draw_incarnation(dst->incarnation) < 0)
		return -1;
	if (dst->instance_id && dst->instance_id[0])
		return 0;
	free(dst->instance_id);
	token_default_instance_id(dst->address, dst->port, id, sizeof(id));
	dst->instance_id = strdup(id);
	return dst->instance_id ? 0 : -1;
}

/*
 * Runs the largest token this publisher will send through the registry's
 * own decoder, so that options the registry would reject fail here, at
 * start, instead of every token being dropped later.
 */
int description_check(const struct token *t, int ttl_s, const char *secret, char *err,
		      size_t errlen)
{
	struct announce_message m;
	struct token back;
	int rc;

	rc = announce_build(t, TOKEN_OUT_OF_SERVICE, ttl_s, TOKEN_SEQ_MAX, TOKEN_SEQ_MAX,
			    secret, &m);
	if (rc < 0) {
		snprintf(err, errlen, "the token cannot be built (%s; at most %d bytes)",
			 token_error_name(rc), TOKEN_MAX_BODY);
		return -1;
	}
	rc = secret && secret[0] ? token_decode_signed(m.body, m.len, m.routing_key, &back)
				 : token_decode(m.body, m.len, m.routing_key, &back);
	announce_message_clear(&m);
	if (rc < 0) {
		snprintf(err, errlen, "the registry would reject the token: %s (docs/token.md)",
			 token_error_name(rc));
		return -1;
	}
	token_clear(&back);
	return 0;
}
