/*
 * Discovery token v1: decoding with every rule of the wire contract.
 * docs/token.md describes the format and the caps chosen here for
 * individual strings.
 */
#include "token_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "addr.h"
#include "utf8.h"

/* Caps on individual strings, in bytes, so that no field can take the
 * whole body and every consumer can size its output (and TOKEN_TEXT_MAX,
 * token.h: instanceId, hostname). */
#define TOKEN_URL_MAX	     1024 /* healthUrl, streamUrl */
#define TOKEN_REASON_MAX     128
#define TOKEN_META_KEY_MAX   128
#define TOKEN_META_VALUE_MAX 1024
#define TOKEN_TTL_MAX	     86400

/* The known fields, in the order token_decode validates them. */
enum token_field {
	FIELD_STATE,
	FIELD_ADDRESS,
	FIELD_SERVICE,
	FIELD_PORT,
	FIELD_TTL,
	FIELD_SEQ,
	FIELD_TS,
	FIELD_INSTANCE_ID,
	FIELD_HOSTNAME,
	FIELD_HEALTH_URL,
	FIELD_STREAM_URL,
	FIELD_REASON,
	FIELD_METADATA,
	FIELD_INCARNATION,
	FIELD_COUNT
};

static const char *const field_names[FIELD_COUNT] = {
	"state",      "address",  "service",   "port",	    "ttl",    "seq",	  "ts",
	"instanceId", "hostname", "healthUrl", "streamUrl", "reason", "metadata",
	"incarnation",
};

/*
 * The service named by "discovery.<service>.<state>". The service may hold
 * dots itself, so the state is the last segment; it must be a state name in
 * lower case, though the body's state is the one that counts.
 */
static int routing_key_service(const char *key, char service[TOKEN_SERVICE_MAX + 1])
{
	const size_t prefix = strlen(TOKEN_ROUTING_PREFIX);
	const char *name, *dot;
	enum token_state state;
	size_t n;

	if (strncmp(key, TOKEN_ROUTING_PREFIX, prefix) != 0)
		return TOKEN_ERR_BAD_ROUTING_KEY;
	name = key + prefix;
	dot = strrchr(name, '.');
	if (dot == NULL) /* also "discovery.sync", which is not a token */
		return TOKEN_ERR_BAD_ROUTING_KEY;
	n = (size_t)(dot - name);
	if (n == 0 || n > TOKEN_SERVICE_MAX)
		return TOKEN_ERR_BAD_ROUTING_KEY;
	memcpy(service, name, n);
	service[n] = '\0';
	if (!token_service_is_valid(service))
		return TOKEN_ERR_BAD_ROUTING_KEY;
	/* token_parse_state() also takes "UP"; the key's segment is lower case only. */
	if (token_parse_state(dot + 1, &state) < 0 || strcmp(dot + 1, token_state_key(state)) != 0)
		return TOKEN_ERR_BAD_ROUTING_KEY;
	return 0;
}

/* An integral JSON number in [lo, hi] (both within ±2^53). */
static bool json_integer(const cJSON *item, double lo, double hi, int64_t *out)
{
	double d = item->valuedouble;

	if (!(d >= lo && d <= hi)) /* also false for NaN */
		return false;
	if (d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

static int decode_integer(const cJSON *item, double lo, double hi, int range_err, int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return TOKEN_ERR_BAD_TYPE;
	return json_integer(item, lo, hi, out) ? 0 : range_err;
}

static bool text_ok(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);

	return len > 0 && len <= max && utf8_is_valid(s, len, true);
}

static bool url_ok(const char *s)
{
	size_t scheme;

	if (strncmp(s, "http://", 7) == 0)
		scheme = 7;
	else if (strncmp(s, "https://", 8) == 0)
		scheme = 8;
	else
		return false;
	return s[scheme] != '\0' && text_ok(s, TOKEN_URL_MAX);
}

char *token_buf_keep(struct token_buf *buf, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > sizeof(buf->text) - buf->used)
		return NULL;
	p = memcpy(buf->text + buf->used, s, n);
	buf->used += n;
	return p;
}

/* A copy of s: in buf when there is one, else on the heap. */
static char *keep(struct token_buf *buf, const char *s)
{
	return buf ? token_buf_keep(buf, s) : strdup(s);
}

/* Validates an optional string field and copies it; absent stays NULL. */
static int decode_string(const cJSON *item, enum token_field f, struct token_buf *buf,
			 char **out)
{
	const char *s;
	bool ok;

	if (item == NULL)
		return 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return TOKEN_ERR_BAD_TYPE;
	s = item->valuestring;
	switch (f) {
	case FIELD_HEALTH_URL:
	case FIELD_STREAM_URL:
		ok = url_ok(s);
		break;
	case FIELD_REASON:
		ok = text_ok(s, TOKEN_REASON_MAX);
		break;
	default:
		ok = text_ok(s, TOKEN_TEXT_MAX);
		break;
	}
	if (!ok)
		return TOKEN_ERR_BAD_FIELD;
	*out = keep(buf, s);
	return *out == NULL ? TOKEN_ERR_NO_MEMORY : 0;
}

static int decode_metadata(const cJSON *obj, struct token_buf *buf, struct token *t)
{
	const cJSON *item;

	if (obj == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return TOKEN_ERR_BAD_TYPE;
	cJSON_ArrayForEach(item, obj)
	{
		struct token_meta *m;

		if (t->metadata_count == TOKEN_MAX_METADATA)
			return TOKEN_ERR_BAD_METADATA;
		if (item->string == NULL || !text_ok(item->string, TOKEN_META_KEY_MAX))
			return TOKEN_ERR_BAD_METADATA;
		if (!cJSON_IsString(item) || item->valuestring == NULL)
			return TOKEN_ERR_BAD_METADATA;
		/* Empty values are allowed: "k": "" is a flag without a value. */
		if (item->valuestring[0] != '\0' &&
		    !text_ok(item->valuestring, TOKEN_META_VALUE_MAX))
			return TOKEN_ERR_BAD_METADATA;
		for (size_t i = 0; i < t->metadata_count; i++) {
			if (strcmp(t->metadata[i].key, item->string) == 0)
				return TOKEN_ERR_BAD_METADATA;
		}
		m = &t->metadata[t->metadata_count];
		m->key = keep(buf, item->string);
		m->value = keep(buf, item->valuestring);
		/* Counted first so that token_clear() frees a half-made pair. */
		t->metadata_count++;
		if (m->key == NULL || m->value == NULL)
			return TOKEN_ERR_NO_MEMORY;
	}
	return 0;
}

/* Collects the known fields; a known field given twice is refused, since
 * JSON parsers disagree on which of the two counts. */
static int collect_fields(const cJSON *root, const cJSON *fields[FIELD_COUNT])
{
	const cJSON *item;

	cJSON_ArrayForEach(item, root)
	{
		if (item->string == NULL)
			continue;
		for (size_t f = 0; f < FIELD_COUNT; f++) {
			/* The first letters tell most names apart without a call. */
			if (item->string[0] != field_names[f][0] ||
			    strcmp(item->string, field_names[f]) != 0)
				continue;
			if (fields[f] != NULL)
				return TOKEN_ERR_BAD_FIELD;
			fields[f] = item;
			break;
		}
	}
	return 0;
}

static int default_instance_id(struct token_buf *buf, struct token *t)
{
	if (buf == NULL) {
		t->instance_id = malloc(TOKEN_DEFAULT_ID_MAX);
	} else if (sizeof(buf->text) - buf->used >= TOKEN_DEFAULT_ID_MAX) {
		t->instance_id = buf->text + buf->used;
		buf->used += TOKEN_DEFAULT_ID_MAX;
	}
	if (t->instance_id == NULL)
		return TOKEN_ERR_NO_MEMORY;
	token_default_instance_id(t->address, t->port, t->instance_id, TOKEN_DEFAULT_ID_MAX);
	return 0;
}

static int decode_incarnation(const cJSON *item, struct token *t)
{
	if (item == NULL)
		return 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return TOKEN_ERR_BAD_TYPE;
	if (!token_incarnation_is_valid(item->valuestring))
		return TOKEN_ERR_BAD_FIELD;
	memcpy(t->incarnation, item->valuestring, TOKEN_INCARNATION_LEN + 1);
	return 0;
}

static int decode_fields(const cJSON *fields[FIELD_COUNT], const char *key_service,
			 struct token_buf *buf, struct token *t)
{
	const cJSON *item;
	enum token_state state;
	int64_t n;
	int result;

	item = fields[FIELD_STATE];
	if (item == NULL)
		return TOKEN_ERR_BAD_STATE;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return TOKEN_ERR_BAD_TYPE;
	/* token_parse_state() also takes "up"; the body's state is upper case only. */
	if (token_parse_state(item->valuestring, &state) < 0 ||
	    strcmp(item->valuestring, token_state_name(state)) != 0)
		return TOKEN_ERR_BAD_STATE;
	t->state = state;

	item = fields[FIELD_ADDRESS];
	if (item == NULL)
		return TOKEN_ERR_BAD_ADDRESS;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return TOKEN_ERR_BAD_TYPE;
	if (strnlen(item->valuestring, ADDR_TEXT_MAX) >= ADDR_TEXT_MAX ||
	    !addr_is_literal(item->valuestring))
		return TOKEN_ERR_BAD_ADDRESS;
	strcpy(t->address, item->valuestring);

	item = fields[FIELD_SERVICE];
	if (item != NULL) {
		if (!cJSON_IsString(item) || item->valuestring == NULL)
			return TOKEN_ERR_BAD_TYPE;
		if (!token_service_is_valid(item->valuestring))
			return TOKEN_ERR_BAD_SERVICE;
		if (key_service != NULL && strcmp(item->valuestring, key_service) != 0)
			return TOKEN_ERR_BAD_SERVICE;
		strcpy(t->service, item->valuestring);
	} else if (key_service != NULL) {
		strcpy(t->service, key_service);
	} else {
		return TOKEN_ERR_BAD_SERVICE;
	}

	if (fields[FIELD_PORT] != NULL) {
		result = decode_integer(fields[FIELD_PORT], 1, 65535, TOKEN_ERR_BAD_PORT, &n);
		if (result < 0)
			return result;
		t->port = (int)n;
	}
	t->ttl = TOKEN_DEFAULT_TTL;
	if (fields[FIELD_TTL] != NULL) {
		result = decode_integer(fields[FIELD_TTL], 1, TOKEN_TTL_MAX, TOKEN_ERR_BAD_TTL, &n);
		if (result < 0)
			return result;
		t->ttl = (int)n;
	}
	t->seq = -1;
	if (fields[FIELD_SEQ] != NULL) {
		result = decode_integer(fields[FIELD_SEQ], 0, (double)TOKEN_SEQ_MAX, TOKEN_ERR_BAD_FIELD,
					&t->seq);
		if (result < 0)
			return result;
	}
	if (fields[FIELD_TS] != NULL) {
		result = decode_integer(fields[FIELD_TS], 0, (double)TOKEN_SEQ_MAX, TOKEN_ERR_BAD_FIELD,
					&t->ts);
		if (result < 0)
			return result;
	}

	result = decode_string(fields[FIELD_INSTANCE_ID], FIELD_INSTANCE_ID, buf, &t->instance_id);
	if (result == 0)
		result = decode_string(fields[FIELD_HOSTNAME], FIELD_HOSTNAME, buf, &t->hostname);
	if (result == 0)
		result = decode_string(fields[FIELD_HEALTH_URL], FIELD_HEALTH_URL, buf,
				       &t->health_url);
	if (result == 0)
		result = decode_string(fields[FIELD_STREAM_URL], FIELD_STREAM_URL, buf,
				       &t->stream_url);
	if (result == 0)
		result = decode_string(fields[FIELD_REASON], FIELD_REASON, buf, &t->reason);
	if (result == 0)
		result = decode_metadata(fields[FIELD_METADATA], buf, t);
	if (result == 0)
		result = decode_incarnation(fields[FIELD_INCARNATION], t);
	if (result == 0 && t->instance_id == NULL)
		result = default_instance_id(buf, t);
	return result;
}

/* A signature binds only what the body says: the fields that would
 * otherwise come from the routing key or defaults must be in it. */
static int check_binding(const cJSON *fields[FIELD_COUNT])
{
	static const enum token_field bound[] = {
		FIELD_SERVICE, FIELD_INSTANCE_ID, FIELD_SEQ, FIELD_TS,
	};

	for (size_t i = 0; i < sizeof(bound) / sizeof(bound[0]); i++)
		if (fields[bound[i]] == NULL)
			return TOKEN_ERR_UNBOUND;
	return 0;
}

/* Decodes into out, its strings on the heap, or in buf (out is buf->tok). */
static int decode(const void *body, size_t len, const char *routing_key, bool signed_mode,
		  struct token_buf *buf, struct token *out)
{
	char copy[TOKEN_MAX_BODY + 1];
	char key_service[TOKEN_SERVICE_MAX + 1];
	const cJSON *fields[FIELD_COUNT] = {0};
	cJSON *root;
	int result;

	memset(out, 0, sizeof(*out));
	if (buf)
		buf->used = 0;
	if (len > TOKEN_MAX_BODY)
		return TOKEN_ERR_TOO_LARGE;
	if (routing_key != NULL) {
		result = routing_key_service(routing_key, key_service);
		if (result < 0)
			return result;
	}
	if (len > 0 && body == NULL)
		return TOKEN_ERR_NOT_JSON;
	/* NUL bytes are refused here too, so the copy ends where the body does. */
	if (!utf8_is_valid(body, len, false))
		return TOKEN_ERR_NOT_JSON;
	if (utf8_json_has_escaped_nul(body, len))
		return TOKEN_ERR_BAD_FIELD;
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';

	root = cJSON_ParseWithOpts(copy, NULL, 1);
	if (root == NULL)
		return TOKEN_ERR_NOT_JSON;
	if (!cJSON_IsObject(root)) {
		result = TOKEN_ERR_NOT_OBJECT;
		goto out_delete_root;
	}
	result = collect_fields(root, fields);
	if (result == 0 && signed_mode)
		result = check_binding(fields);
	if (result == 0)
		result = decode_fields(fields, routing_key != NULL ? key_service : NULL, buf, out);
	if (result < 0 && buf)
		memset(out, 0, sizeof(*out));
	else if (result < 0)
		token_clear(out);

out_delete_root:
	cJSON_Delete(root);
	return result;
}

int token_decode(const void *body, size_t len, const char *routing_key, struct token *out)
{
	return decode(body, len, routing_key, false, NULL, out);
}

int token_decode_signed(const void *body, size_t len, const char *routing_key,
			struct token *out)
{
	return decode(body, len, routing_key, true, NULL, out);
}

int token_decode_into(const void *body, size_t len, const char *routing_key, bool signed_mode,
		      struct token_buf *buf)
{
	return decode(body, len, routing_key, signed_mode, buf, &buf->tok);
}
