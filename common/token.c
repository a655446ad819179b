/*
 * Discovery token v1: the model every program shares (states, error codes,
 * service names), compact encoding and the routing key. Decoding lives in
 * token_decode.c, signatures in token_sign.c; docs/token.md describes the
 * format.
 */
#include "token.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_number.h"

static const char *const state_upper[] = {"UP", "DOWN", "STARTING", "OUT_OF_SERVICE"};
static const char *const state_lower[] = {"up", "down", "starting", "out_of_service"};
#define STATE_COUNT (sizeof(state_upper) / sizeof(state_upper[0]))

static const char *const error_names[TOKEN_ERROR_COUNT] = {
	"too_large",	   "not_json",	  "not_object", "bad_type", "bad_state",
	"bad_address",	   "bad_service", "bad_port",	"bad_ttl",  "bad_metadata",
	"bad_routing_key", "bad_field",	  "no_memory",
	"unbound",
};

const char *token_error_name(int err)
{
	if (err >= 0 || -err > TOKEN_ERROR_COUNT)
		return "unknown";
	return error_names[-err - 1];
}

const char *token_state_name(enum token_state state)
{
	if ((unsigned)state >= STATE_COUNT)
		return "UNKNOWN";
	return state_upper[state];
}

const char *token_state_key(enum token_state state)
{
	if ((unsigned)state >= STATE_COUNT)
		return "unknown";
	return state_lower[state];
}

static int state_lookup(const char *text, const char *const names[])
{
	for (size_t i = 0; i < STATE_COUNT; i++) {
		if (strcmp(text, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

int token_parse_state(const char *text, enum token_state *out)
{
	int i;

	if (text == NULL)
		return TOKEN_ERR_BAD_STATE;
	i = state_lookup(text, state_upper);
	if (i < 0)
		i = state_lookup(text, state_lower);
	if (i < 0)
		return TOKEN_ERR_BAD_STATE;
	*out = (enum token_state)i;
	return 0;
}

static bool service_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

bool token_service_is_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= TOKEN_SERVICE_MAX || !service_char(name[i], i == 0))
			return false;
	}
	return true;
}

bool token_incarnation_is_valid(const char *text)
{
	size_t i;

	if (text == NULL)
		return false;
	for (i = 0; i < TOKEN_INCARNATION_LEN; i++)
		if (!isxdigit((unsigned char)text[i]))
			return false;
	return text[i] == '\0';
}

void token_default_instance_id(const char *address, int port, char *out, size_t outlen)
{
	if (port == 0)
		snprintf(out, outlen, "%s", address);
	else if (strchr(address, ':')) /* brackets keep the port apart from a v6 address */
		snprintf(out, outlen, "[%s]:%d", address, port);
	else
		snprintf(out, outlen, "%s:%d", address, port);
}

static bool add_string(cJSON *obj, const char *name, const char *value)
{
	return value == NULL || cJSON_AddStringToObject(obj, name, value) != NULL;
}

/* Integers exactly (json_number.h: cJSON would round seq and ts). */
static bool add_integer(cJSON *obj, const char *name, int64_t value, bool present)
{
	return !present || json_number_add(obj, name, value) != NULL;
}

static bool add_metadata(cJSON *root, const struct token *t)
{
	size_t count =
		t->metadata_count < TOKEN_MAX_METADATA ? t->metadata_count : TOKEN_MAX_METADATA;
	cJSON *obj;

	if (count == 0)
		return true;
	obj = cJSON_AddObjectToObject(root, "metadata");
	if (obj == NULL)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (t->metadata[i].key == NULL || t->metadata[i].value == NULL)
			continue;
		if (cJSON_AddStringToObject(obj, t->metadata[i].key, t->metadata[i].value) == NULL)
			return false;
	}
	return true;
}

/*
 * Returns NULL when out of memory, and also when the JSON would pass
 * TOKEN_MAX_BODY: no consumer would accept such a body. The string comes
 * from cJSON's default allocator, malloc(), so free() releases it.
 */
char *token_encode(const struct token *t)
{
	cJSON *root = cJSON_CreateObject();
	char *json = NULL;

	if (root == NULL)
		return NULL;
	if (add_string(root, "state", token_state_name(t->state)) &&
	    add_string(root, "address", t->address) && add_string(root, "service", t->service) &&
	    add_integer(root, "port", t->port, t->port != 0) &&
	    add_string(root, "instanceId", t->instance_id) &&
	    add_string(root, "hostname", t->hostname) &&
	    add_string(root, "healthUrl", t->health_url) &&
	    add_string(root, "streamUrl", t->stream_url) && add_string(root, "reason", t->reason) &&
	    add_integer(root, "ttl", t->ttl, true) &&
	    add_integer(root, "seq", t->seq, t->seq >= 0) &&
	    add_integer(root, "ts", t->ts, t->ts != 0) &&
	    add_string(root, "incarnation", t->incarnation[0] ? t->incarnation : NULL) &&
	    add_metadata(root, t))
		json = cJSON_PrintUnformatted(root);
	if (json != NULL && strlen(json) > TOKEN_MAX_BODY) {
		free(json);
		json = NULL;
	}
	cJSON_Delete(root);
	return json;
}

int token_routing_key(const struct token *t, char *out, size_t outlen)
{
	int n;

	if ((unsigned)t->state >= STATE_COUNT)
		return TOKEN_ERR_BAD_STATE;
	if (!token_service_is_valid(t->service))
		return TOKEN_ERR_BAD_SERVICE;
	n = snprintf(out, outlen, "%s%s.%s", TOKEN_ROUTING_PREFIX, t->service,
		     token_state_key(t->state));
	if (n < 0 || (size_t)n >= outlen)
		return TOKEN_ERR_TOO_LARGE;
	return 0;
}

static bool dup_optional(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

int token_copy(struct token *dst, const struct token *src)
{
	size_t count =
		src->metadata_count < TOKEN_MAX_METADATA ? src->metadata_count : TOKEN_MAX_METADATA;
	bool ok;

	/* Scalars and arrays by value; every pointer is then replaced. */
	*dst = *src;
	dst->metadata_count = 0;
	ok = dup_optional(&dst->instance_id, src->instance_id);
	ok = dup_optional(&dst->hostname, src->hostname) && ok;
	ok = dup_optional(&dst->health_url, src->health_url) && ok;
	ok = dup_optional(&dst->stream_url, src->stream_url) && ok;
	ok = dup_optional(&dst->reason, src->reason) && ok;
	ok = dup_optional(&dst->user_id, src->user_id) && ok;
	for (size_t i = 0; i < count; i++) {
		ok = dup_optional(&dst->metadata[i].key, src->metadata[i].key) && ok;
		ok = dup_optional(&dst->metadata[i].value, src->metadata[i].value) && ok;
		dst->metadata_count++;
	}
	if (!ok) {
		token_clear(dst);
		return TOKEN_ERR_NO_MEMORY;
	}
	return 0;
}

void token_clear(struct token *t)
{
	size_t count =
		t->metadata_count < TOKEN_MAX_METADATA ? t->metadata_count : TOKEN_MAX_METADATA;

	free(t->instance_id);
	free(t->hostname);
	free(t->health_url);
	free(t->stream_url);
	free(t->reason);
	free(t->user_id);
	for (size_t i = 0; i < count; i++) {
		free(t->metadata[i].key);
		free(t->metadata[i].value);
	}
	memset(t, 0, sizeof(*t));
}
