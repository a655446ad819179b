/*
 * A token body read by yajl's event parser (libyajl, Debian's package):
 * yajl checks the JSON grammar and decodes escapes; the callbacks below
 * keep the values token_decode checks and skip everything else.
 */
#include "token_scan.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

static const char *const field_names[FIELD_COUNT] = {
	"state",      "address",  "service",   "port",	    "ttl",    "seq",	  "ts",
	"instanceId", "hostname", "healthUrl", "streamUrl", "reason", "metadata",
	"incarnation",
};

/* yajl's allocations: a bump arena inside the scan, the heap beyond it.
 * Each block starts with its size, so that realloc can copy it. */
#define ARENA_HEADER 16

static size_t arena_round(size_t n)
{
	return (n + ARENA_HEADER - 1) & ~(size_t)(ARENA_HEADER - 1);
}

static bool in_arena(const struct token_scan *s, const void *p)
{
	uintptr_t a = (uintptr_t)s->arena, q = (uintptr_t)p;

	return q >= a && q < a + sizeof(s->arena);
}

static void *arena_malloc(void *ctx, size_t n)
{
	struct token_scan *s = ctx;
	size_t need = ARENA_HEADER + arena_round(n);
	unsigned char *block;

	if (need > sizeof(s->arena) - s->arena_used)
		return malloc(n);
	block = s->arena + s->arena_used;
	memcpy(block, &n, sizeof(n));
	s->arena_used += need;
	return block + ARENA_HEADER;
}

static void arena_free(void *ctx, void *p)
{
	if (!in_arena(ctx, p))
		free(p);
}

static void *arena_realloc(void *ctx, void *p, size_t n)
{
	struct token_scan *s = ctx;
	unsigned char *block;
	size_t old;
	void *q;

	if (p == NULL)
		return arena_malloc(ctx, n);
	if (!in_arena(s, p))
		return realloc(p, n);
	block = (unsigned char *)p - ARENA_HEADER;
	memcpy(&old, block, sizeof(old));
	/* yajl's stacks grow one step at a time: the newest block grows in place. */
	if (block + ARENA_HEADER + arena_round(old) == s->arena + s->arena_used &&
	    (size_t)(block - s->arena) + ARENA_HEADER + arena_round(n) <= sizeof(s->arena)) {
		s->arena_used = (size_t)(block - s->arena) + ARENA_HEADER + arena_round(n);
		memcpy(block, &n, sizeof(n));
		return p;
	}
	q = arena_malloc(ctx, n);
	if (q != NULL)
		memcpy(q, p, old < n ? old : n);
	return q;
}

/* A NUL-terminated copy of a value in s->text; NULL cannot happen (see
 * token_scan.h) but stops the parse if it did. */
static const char *keep(struct token_scan *s, const void *p, size_t n)
{
	char *out;

	if (n + 1 > sizeof(s->text) - s->text_used)
		return NULL;
	out = s->text + s->text_used;
	memcpy(out, p, n);
	out[n] = '\0';
	s->text_used += n + 1;
	return out;
}

static int field_of(const unsigned char *key, size_t n)
{
	for (int f = 0; f < FIELD_COUNT; f++) {
		/* The first letters tell most names apart without a call. */
		if (key[0] == (unsigned char)field_names[f][0] && strlen(field_names[f]) == n &&
		    memcmp(key, field_names[f], n) == 0)
			return f;
	}
	return -1;
}

/*
 * The slot a value at the current position fills, or NULL when nobody
 * keeps it: an unknown field, a known one given again (marked), a
 * metadata pair past the cap, the root.
 */
static struct scan_value *slot(struct token_scan *s)
{
	if (s->skip_depth > 0)
		return NULL;
	if (s->depth == 1 && s->pending >= 0) {
		struct scan_value *v = &s->field[s->pending];

		s->pending = -1;
		if (v->type != SCAN_ABSENT) {
			s->duplicate = true;
			return NULL;
		}
		return v;
	}
	if (s->depth == 2 && s->in_metadata && s->meta_count > 0 && !s->meta_overflow) {
		struct scan_value *v = &s->meta[s->meta_count - 1].value;

		return v->type == SCAN_ABSENT ? v : NULL;
	}
	return NULL;
}

static int on_text(struct token_scan *s, enum scan_type type, const void *p, size_t n)
{
	struct scan_value *v = slot(s);

	if (v == NULL)
		return 1;
	v->text = keep(s, p, n);
	v->type = type;
	return v->text != NULL;
}

static int on_other(void *ctx)
{
	struct scan_value *v = slot(ctx);

	if (v != NULL)
		v->type = SCAN_OTHER;
	return 1;
}

static int on_boolean(void *ctx, int b)
{
	(void)b;
	return on_other(ctx);
}

static int on_number(void *ctx, const char *p, size_t n)
{
	return on_text(ctx, SCAN_NUMBER, p, n);
}

static int on_string(void *ctx, const unsigned char *p, size_t n)
{
	return on_text(ctx, SCAN_STRING, p, n);
}

static int on_start_map(void *ctx)
{
	struct token_scan *s = ctx;
	struct scan_value *v;

	if (s->depth == 0 && s->skip_depth == 0) {
		s->root_is_object = true;
		s->depth = 1;
		s->pending = -1;
		return 1;
	}
	if (s->depth == 1 && s->skip_depth == 0 && s->pending == FIELD_METADATA &&
	    s->field[FIELD_METADATA].type == SCAN_ABSENT) {
		s->field[FIELD_METADATA].type = SCAN_OBJECT;
		s->pending = -1;
		s->in_metadata = true;
		s->depth = 2;
		return 1;
	}
	v = slot(s);
	if (v != NULL)
		v->type = SCAN_OBJECT;
	s->skip_depth++;
	return 1;
}

static int on_start_array(void *ctx)
{
	struct token_scan *s = ctx;

	on_other(s);
	s->skip_depth++;
	return 1;
}

static int on_end(void *ctx)
{
	struct token_scan *s = ctx;

	if (s->skip_depth > 0) {
		s->skip_depth--;
	} else {
		s->depth--;
		s->in_metadata = false;
	}
	return 1;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t n)
{
	struct token_scan *s = ctx;
	struct scan_meta *m;

	if (s->skip_depth > 0)
		return 1;
	if (s->depth == 1) {
		s->pending = n > 0 ? field_of(key, n) : -1;
		return 1;
	}
	if (s->meta_count == TOKEN_MAX_METADATA) {
		s->meta_overflow = true;
		return 1;
	}
	m = &s->meta[s->meta_count];
	m->key = keep(s, key, n);
	m->value.type = SCAN_ABSENT;
	s->meta_count++;
	return m->key != NULL;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_other,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number, /* the text as written: no overflow of yajl's own */
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

int token_scan(const char *body, size_t len, struct token_scan *s)
{
	yajl_alloc_funcs funcs = {arena_malloc, arena_realloc, arena_free, s};
	yajl_handle h;
	bool ok;

	memset(s, 0, offsetof(struct token_scan, text));
	s->pending = -1;
	h = yajl_alloc(&callbacks, &funcs, s);
	if (h == NULL)
		return TOKEN_ERR_NO_MEMORY;
	/* The caller checked the UTF-8 of the whole body already. */
	yajl_config(h, yajl_dont_validate_strings, 1);
	ok = yajl_parse(h, (const unsigned char *)body, len) == yajl_status_ok &&
	     yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	if (!ok)
		return TOKEN_ERR_NOT_JSON;
	return s->root_is_object ? 0 : TOKEN_ERR_NOT_OBJECT;
}
