/*
 * Discovery token v1: decoding with every rule of the wire contract.
 * docs/token.md describes the format and the caps chosen here for
 * individual strings.
 */
#include "token_decode.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "token_scan.h"
#include "utf8.h"

/* Caps on individual strings, in bytes, so that no field can take the
 * whole body and every consumer can size its output (and TOKEN_TEXT_MAX,
 * token.h: instanceId, hostname). */
#define TOKEN_URL_MAX	     1024 /* healthUrl, streamUrl */
#define TOKEN_REASON_MAX     128
#define TOKEN_META_KEY_MAX   128
#define TOKEN_META_VALUE_MAX 1024
#define TOKEN_TTL_MAX	     86400

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

static locale_t c_numbers;

static void c_numbers_make(void)
{
	c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* An integral JSON number in [lo, hi] (both within ±2^53). JSON's decimal
 * point is '.', whatever locale the program that links us has set. */
static bool json_integer(const struct scan_value *v, double lo, double hi, int64_t *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	double d;

	pthread_once(&once, c_numbers_make);
	if (c_numbers == (locale_t)0)
		return false;
	d = strtod_l(v->text, NULL, c_numbers);
	if (!(d >= lo && d <= hi)) /* also false for NaN */
		return false;
	if (d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

static int decode_integer(const struct scan_value *v, double lo, double hi, int range_err,
			  int64_t *out)
{
	if (v->type != SCAN_NUMBER)
		return TOKEN_ERR_BAD_TYPE;
	return json_integer(v, lo, hi, out) ? 0 : range_err;
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
static int decode_string(const struct scan_value *v, enum token_field f, struct token_buf *buf,
			 char **out)
{
	const char *s;
	bool ok;

	if (v->type == SCAN_ABSENT)
		return 0;
	if (v->type != SCAN_STRING)
		return TOKEN_ERR_BAD_TYPE;
	s = v->text;
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

static int decode_metadata(const struct token_scan *scan, struct token_buf *buf,
			   struct token *t)
{
	if (scan->field[FIELD_METADATA].type == SCAN_ABSENT)
		return 0;
	if (scan->field[FIELD_METADATA].type != SCAN_OBJECT)
		return TOKEN_ERR_BAD_TYPE;
	for (size_t i = 0; i < scan->meta_count; i++) {
		const struct scan_meta *item = &scan->meta[i];
		struct token_meta *m;

		if (!text_ok(item->key, TOKEN_META_KEY_MAX))
			return TOKEN_ERR_BAD_METADATA;
		if (item->value.type != SCAN_STRING)
			return TOKEN_ERR_BAD_METADATA;
		/* Empty values are allowed: "k": "" is a flag without a value. */
		if (item->value.text[0] != '\0' && !text_ok(item->value.text, TOKEN_META_VALUE_MAX))
			return TOKEN_ERR_BAD_METADATA;
		for (size_t j = 0; j < t->metadata_count; j++) {
			if (strcmp(t->metadata[j].key, item->key) == 0)
				return TOKEN_ERR_BAD_METADATA;
		}
		m = &t->metadata[t->metadata_count];
		m->key = keep(buf, item->key);
		m->value = keep(buf, item->value.text);
		/* Counted first so that token_clear() frees a half-made pair. */
		t->metadata_count++;
		if (m->key == NULL || m->value == NULL)
			return TOKEN_ERR_NO_MEMORY;
	}
	return scan->meta_overflow ? TOKEN_ERR_BAD_METADATA : 0;
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

static int decode_incarnation(const struct scan_value *v, struct token *t)
{
	if (v->type == SCAN_ABSENT)
		return 0;
	if (v->type != SCAN_STRING)
		return TOKEN_ERR_BAD_TYPE;
	if (!token_incarnation_is_valid(v->text))
		return TOKEN_ERR_BAD_FIELD;
	memcpy(t->incarnation, v->text, TOKEN_INCARNATION_LEN + 1);
	return 0;
}

static int decode_fields(const struct token_scan *scan, const char *key_service,
			 struct token_buf *buf, struct token *t)
{
	const struct scan_value *fields = scan->field, *item;
	enum token_state state;
	int64_t n;
	int result;

	item = &fields[FIELD_STATE];
	if (item->type == SCAN_ABSENT)
		return TOKEN_ERR_BAD_STATE;
	if (item->type != SCAN_STRING)
		return TOKEN_ERR_BAD_TYPE;
	/* token_parse_state() also takes "up"; the body's state is upper case only. */
	if (token_parse_state(item->text, &state) < 0 ||
	    strcmp(item->text, token_state_name(state)) != 0)
		return TOKEN_ERR_BAD_STATE;
	t->state = state;

	item = &fields[FIELD_ADDRESS];
	if (item->type == SCAN_ABSENT)
		return TOKEN_ERR_BAD_ADDRESS;
	if (item->type != SCAN_STRING)
		return TOKEN_ERR_BAD_TYPE;
	if (strnlen(item->text, ADDR_TEXT_MAX) >= ADDR_TEXT_MAX ||
	    !addr_is_literal(item->text))
		return TOKEN_ERR_BAD_ADDRESS;
	strcpy(t->address, item->text);

	item = &fields[FIELD_SERVICE];
	if (item->type != SCAN_ABSENT) {
		if (item->type != SCAN_STRING)
			return TOKEN_ERR_BAD_TYPE;
		if (!token_service_is_valid(item->text))
			return TOKEN_ERR_BAD_SERVICE;
		if (key_service != NULL && strcmp(item->text, key_service) != 0)
			return TOKEN_ERR_BAD_SERVICE;
		strcpy(t->service, item->text);
	} else if (key_service != NULL) {
		strcpy(t->service, key_service);
	} else {
		return TOKEN_ERR_BAD_SERVICE;
	}

	if (fields[FIELD_PORT].type != SCAN_ABSENT) {
		result = decode_integer(&fields[FIELD_PORT], 1, 65535, TOKEN_ERR_BAD_PORT, &n);
		if (result < 0)
			return result;
		t->port = (int)n;
	}
	t->ttl = TOKEN_DEFAULT_TTL;
	if (fields[FIELD_TTL].type != SCAN_ABSENT) {
		result = decode_integer(&fields[FIELD_TTL], 1, TOKEN_TTL_MAX, TOKEN_ERR_BAD_TTL, &n);
		if (result < 0)
			return result;
		t->ttl = (int)n;
	}
	t->seq = -1;
	if (fields[FIELD_SEQ].type != SCAN_ABSENT) {
		result = decode_integer(&fields[FIELD_SEQ], 0, (double)TOKEN_SEQ_MAX, TOKEN_ERR_BAD_FIELD,
					&t->seq);
		if (result < 0)
			return result;
	}
	if (fields[FIELD_TS].type != SCAN_ABSENT) {
		result = decode_integer(&fields[FIELD_TS], 0, (double)TOKEN_SEQ_MAX, TOKEN_ERR_BAD_FIELD,
					&t->ts);
		if (result < 0)
			return result;
	}

	result = decode_string(&fields[FIELD_INSTANCE_ID], FIELD_INSTANCE_ID, buf, &t->instance_id);
	if (result == 0)
		result = decode_string(&fields[FIELD_HOSTNAME], FIELD_HOSTNAME, buf, &t->hostname);
	if (result == 0)
		result = decode_string(&fields[FIELD_HEALTH_URL], FIELD_HEALTH_URL, buf,
				       &t->health_url);
	if (result == 0)
		result = decode_string(&fields[FIELD_STREAM_URL], FIELD_STREAM_URL, buf,
				       &t->stream_url);
	if (result == 0)
		result = decode_string(&fields[FIELD_REASON], FIELD_REASON, buf, &t->reason);
	if (result == 0)
		result = decode_metadata(scan, buf, t);
	if (result == 0)
		result = decode_incarnation(&fields[FIELD_INCARNATION], t);
	if (result == 0 && t->instance_id == NULL)
		result = default_instance_id(buf, t);
	return result;
}

/* A signature binds only what the body says: the fields that would
 * otherwise come from the routing key or defaults must be in it. */
static int check_binding(const struct token_scan *scan)
{
	static const enum token_field bound[] = {
		FIELD_SERVICE, FIELD_INSTANCE_ID, FIELD_SEQ, FIELD_TS,
	};

	for (size_t i = 0; i < sizeof(bound) / sizeof(bound[0]); i++)
		if (scan->field[bound[i]].type == SCAN_ABSENT)
			return TOKEN_ERR_UNBOUND;
	return 0;
}

/* Decodes into out, its strings on the heap, or in buf (out is buf->tok). */
static int decode(const void *body, size_t len, const char *routing_key, bool signed_mode,
		  struct token_buf *buf, struct token *out)
{
	char key_service[TOKEN_SERVICE_MAX + 1];
	struct token_scan scan;
	int result;

	memset(out, 0, sizeof(*out));
	if (buf) {
		buf->used = 0;
		buf->ttl_given = false;
	}
	if (len > TOKEN_MAX_BODY)
		return TOKEN_ERR_TOO_LARGE;
	if (routing_key != NULL) {
		result = routing_key_service(routing_key, key_service);
		if (result < 0)
			return result;
	}
	if (len > 0 && body == NULL)
		return TOKEN_ERR_NOT_JSON;
	/* NUL bytes are refused here too, so every kept string ends where it should. */
	if (!utf8_is_valid(body, len, false))
		return TOKEN_ERR_NOT_JSON;
	if (utf8_json_has_escaped_nul(body, len))
		return TOKEN_ERR_BAD_FIELD;
	if (utf8_json_has_lone_surrogate(body, len))
		return TOKEN_ERR_NOT_JSON;
	result = token_scan(body, len, &scan);
	if (result == 0 && scan.duplicate)
		result = TOKEN_ERR_BAD_FIELD;
	if (result == 0 && signed_mode)
		result = check_binding(&scan);
	if (result == 0)
		result = decode_fields(&scan, routing_key != NULL ? key_service : NULL, buf, out);
	if (result == 0 && buf)
		buf->ttl_given = scan.field[FIELD_TTL].type != SCAN_ABSENT;
	if (result < 0 && buf)
		memset(out, 0, sizeof(*out));
	else if (result < 0)
		token_clear(out);
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
