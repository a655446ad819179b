/*
 * Discovery token v1: decoding with every rule of the wire contract,
 * compact encoding, and HMAC-SHA256 signatures. docs/token.md describes
 * the format and the caps chosen here for individual strings.
 */
#include "token.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Caps on individual strings, in bytes, so that no field can take the
 * whole body and every consumer can size its output. */
#define TOKEN_TEXT_MAX 255         /* instanceId, hostname */
#define TOKEN_URL_MAX 1024         /* healthUrl, streamUrl */
#define TOKEN_REASON_MAX 128
#define TOKEN_META_KEY_MAX 128
#define TOKEN_META_VALUE_MAX 1024
#define TOKEN_TTL_MAX 86400
/* 2^53: every integer up to it is exact in the double cJSON parses into. */
#define TOKEN_INT_MAX 9007199254740992.0
#define TOKEN_MAC_LEN 32

static const char *const state_upper[] = {"UP", "DOWN", "STARTING", "OUT_OF_SERVICE"};
static const char *const state_lower[] = {"up", "down", "starting", "out_of_service"};
#define STATE_COUNT (sizeof(state_upper) / sizeof(state_upper[0]))

static const char *const error_names[TOKEN_ERROR_COUNT] = {
	"too_large",   "not_json",     "not_object",  "bad_type",
	"bad_state",   "bad_address",  "bad_service", "bad_port",
	"bad_ttl",     "bad_metadata", "bad_routing_key", "bad_field",
	"no_memory",
};

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
	FIELD_COUNT
};

static const char *const field_names[FIELD_COUNT] = {
	"state", "address", "service", "port", "ttl", "seq", "ts",
	"instanceId", "hostname", "healthUrl", "streamUrl", "reason", "metadata",
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

/*
 * True when s[0..len) is well-formed UTF-8: no overlong forms, surrogates,
 * code points past U+10FFFF or NUL. With `text`, control characters (C0,
 * DEL, C1) are refused too, as they have no business in a token's strings.
 */
static bool utf8_check(const unsigned char *s, size_t len, bool text)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80) {
			cp = c;
			n = 1;
		} else if (c >= 0xC2 && c <= 0xDF) {
			cp = c & 0x1F;
			n = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			cp = c & 0x0F;
			n = 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			cp = c & 0x07;
			n = 4;
		} else {
			return false;
		}
		if (n > len - i)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return false;
		if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
			return false;
		if (text && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)))
			return false;
		i += n;
	}
	return true;
}

/*
 * cJSON turns the escape \u0000 into a NUL that silently cuts a string
 * short, so a body carrying one would not decode to what it says. In valid
 * JSON a backslash only ever starts an escape, so skipping the escaped
 * character is enough to tell "\\u0000" (a backslash, then text) apart.
 */
static bool has_escaped_nul(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
			return true;
		i++;
	}
	return false;
}

/*
 * The service named by "discovery.<service>.<state>". The service may hold
 * dots itself, so the state is the last segment; it must be a state name in
 * lower case, though the body's state is the one that counts.
 */
static int routing_key_service(const char *key, char service[TOKEN_SERVICE_MAX + 1])
{
	const size_t prefix = strlen(TOKEN_ROUTING_PREFIX);
	const char *name, *dot;
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
	if (!token_service_is_valid(service) || state_lookup(dot + 1, state_lower) < 0)
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

static int decode_integer(const cJSON *item, double lo, double hi, int range_err,
			  int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return TOKEN_ERR_BAD_TYPE;
	return json_integer(item, lo, hi, out) ? 0 : range_err;
}

static bool text_ok(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);

	return len > 0 && len <= max && utf8_check((const unsigned char *)s, len, true);
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

/* Validates an optional string field and copies it; absent stays NULL. */
static int decode_string(const cJSON *item, enum token_field f, char **out)
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
	*out = strdup(s);
	return *out == NULL ? TOKEN_ERR_NO_MEMORY : 0;
}

static int decode_metadata(const cJSON *obj, struct token *t)
{
	const cJSON *item;

	if (obj == NULL)
		return 0;
	if (!cJSON_IsObject(obj))
		return TOKEN_ERR_BAD_TYPE;
	cJSON_ArrayForEach(item, obj) {
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
		m->key = strdup(item->string);
		m->value = strdup(item->valuestring);
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

	cJSON_ArrayForEach(item, root) {
		if (item->string == NULL)
			continue;
		for (size_t f = 0; f < FIELD_COUNT; f++) {
			if (strcmp(item->string, field_names[f]) != 0)
				continue;
			if (fields[f] != NULL)
				return TOKEN_ERR_BAD_FIELD;
			fields[f] = item;
			break;
		}
	}
	return 0;
}

static int default_instance_id(struct token *t)
{
	size_t len = strlen(t->address) + sizeof("[]:65535");
	bool v6 = strchr(t->address, ':') != NULL;

	t->instance_id = malloc(len);
	if (t->instance_id == NULL)
		return TOKEN_ERR_NO_MEMORY;
	if (t->port == 0)
		snprintf(t->instance_id, len, "%s", t->address);
	else if (v6) /* brackets keep the port apart from the address */
		snprintf(t->instance_id, len, "[%s]:%d", t->address, t->port);
	else
		snprintf(t->instance_id, len, "%s:%d", t->address, t->port);
	return 0;
}

static int decode_fields(const cJSON *fields[FIELD_COUNT], const char *key_service,
			 struct token *t)
{
	const cJSON *item;
	int64_t n;
	int result;

	item = fields[FIELD_STATE];
	if (item == NULL)
		return TOKEN_ERR_BAD_STATE;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return TOKEN_ERR_BAD_TYPE;
	result = state_lookup(item->valuestring, state_upper);
	if (result < 0)
		return TOKEN_ERR_BAD_STATE;
	t->state = (enum token_state)result;

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
		result = decode_integer(fields[FIELD_SEQ], 0, TOKEN_INT_MAX, TOKEN_ERR_BAD_FIELD,
					&t->seq);
		if (result < 0)
			return result;
	}
	if (fields[FIELD_TS] != NULL) {
		result = decode_integer(fields[FIELD_TS], 0, TOKEN_INT_MAX, TOKEN_ERR_BAD_FIELD,
					&t->ts);
		if (result < 0)
			return result;
	}

	result = decode_string(fields[FIELD_INSTANCE_ID], FIELD_INSTANCE_ID, &t->instance_id);
	if (result == 0)
		result = decode_string(fields[FIELD_HOSTNAME], FIELD_HOSTNAME, &t->hostname);
	if (result == 0)
		result = decode_string(fields[FIELD_HEALTH_URL], FIELD_HEALTH_URL, &t->health_url);
	if (result == 0)
		result = decode_string(fields[FIELD_STREAM_URL], FIELD_STREAM_URL, &t->stream_url);
	if (result == 0)
		result = decode_string(fields[FIELD_REASON], FIELD_REASON, &t->reason);
	if (result == 0)
		result = decode_metadata(fields[FIELD_METADATA], t);
	if (result == 0 && t->instance_id == NULL)
		result = default_instance_id(t);
	return result;
}

int token_decode(const void *body, size_t len, const char *routing_key, struct token *out)
{
	char copy[TOKEN_MAX_BODY + 1];
	char key_service[TOKEN_SERVICE_MAX + 1];
	const cJSON *fields[FIELD_COUNT] = {0};
	cJSON *root;
	int result;

	memset(out, 0, sizeof(*out));
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
	if (!utf8_check(body, len, false))
		return TOKEN_ERR_NOT_JSON;
	if (has_escaped_nul(body, len))
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
	if (result == 0)
		result = decode_fields(fields, routing_key != NULL ? key_service : NULL, out);
	if (result < 0)
		token_clear(out);

out_delete_root:
	cJSON_Delete(root);
	return result;
}

static bool add_string(cJSON *obj, const char *name, const char *value)
{
	return value == NULL || cJSON_AddStringToObject(obj, name, value) != NULL;
}

/*
 * Integers are written by hand: cJSON prints numbers with "%1.15g" and
 * accepts the result as "close enough", which rounds seq and ts values
 * past 15 digits (2^53 would come back as 9007199254740990).
 */
static bool add_integer(cJSON *obj, const char *name, int64_t value, bool present)
{
	char text[24];

	if (!present)
		return true;
	snprintf(text, sizeof(text), "%" PRId64, value);
	return cJSON_AddRawToObject(obj, name, text) != NULL;
}

static bool add_metadata(cJSON *root, const struct token *t)
{
	size_t count = t->metadata_count < TOKEN_MAX_METADATA ? t->metadata_count
							      : TOKEN_MAX_METADATA;
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
	    add_string(root, "address", t->address) &&
	    add_string(root, "service", t->service) &&
	    add_integer(root, "port", t->port, t->port != 0) &&
	    add_string(root, "instanceId", t->instance_id) &&
	    add_string(root, "hostname", t->hostname) &&
	    add_string(root, "healthUrl", t->health_url) &&
	    add_string(root, "streamUrl", t->stream_url) &&
	    add_string(root, "reason", t->reason) &&
	    add_integer(root, "ttl", t->ttl, true) &&
	    add_integer(root, "seq", t->seq, t->seq >= 0) &&
	    add_integer(root, "ts", t->ts, t->ts != 0) &&
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
		     state_lower[t->state]);
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
	size_t count = src->metadata_count < TOKEN_MAX_METADATA ? src->metadata_count
								: TOKEN_MAX_METADATA;
	bool ok;

	/* Scalars and arrays by value; every pointer is then replaced. */
	*dst = *src;
	dst->metadata_count = 0;
	ok = dup_optional(&dst->instance_id, src->instance_id);
	ok = dup_optional(&dst->hostname, src->hostname) && ok;
	ok = dup_optional(&dst->health_url, src->health_url) && ok;
	ok = dup_optional(&dst->stream_url, src->stream_url) && ok;
	ok = dup_optional(&dst->reason, src->reason) && ok;
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
	size_t count = t->metadata_count < TOKEN_MAX_METADATA ? t->metadata_count
							      : TOKEN_MAX_METADATA;

	free(t->instance_id);
	free(t->hostname);
	free(t->health_url);
	free(t->stream_url);
	free(t->reason);
	for (size_t i = 0; i < count; i++) {
		free(t->metadata[i].key);
		free(t->metadata[i].value);
	}
	memset(t, 0, sizeof(*t));
}

static bool hmac_sha256(const char *secret, const void *body, size_t len,
			unsigned char mac[TOKEN_MAC_LEN])
{
	unsigned int mac_len = 0;
	size_t key_len;

	if (secret == NULL)
		return false;
	key_len = strlen(secret);
	if (key_len > INT32_MAX)
		return false;
	if (body == NULL)
		body = "";
	if (HMAC(EVP_sha256(), secret, (int)key_len, body, len, mac, &mac_len) == NULL)
		return false;
	return mac_len == TOKEN_MAC_LEN;
}

void token_sign(const char *secret, const void *body, size_t len,
		char hex[TOKEN_SIGNATURE_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[TOKEN_MAC_LEN];

	hex[0] = '\0';
	if (!hmac_sha256(secret, body, len, mac))
		return;
	for (size_t i = 0; i < TOKEN_MAC_LEN; i++) {
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 0x0F];
	}
	hex[TOKEN_SIGNATURE_HEX] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool token_verify(const char *secret, const void *body, size_t len, const char *hex)
{
	unsigned char want[TOKEN_MAC_LEN], got[TOKEN_MAC_LEN];

	if (hex == NULL || strnlen(hex, TOKEN_SIGNATURE_HEX + 1) != TOKEN_SIGNATURE_HEX)
		return false;
	for (size_t i = 0; i < TOKEN_MAC_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!hmac_sha256(secret, body, len, want))
		return false;
	/* The signature is what an attacker probes: compare in constant time. */
	return CRYPTO_memcmp(want, got, TOKEN_MAC_LEN) == 0;
}
