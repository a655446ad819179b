/*
 * A token body's JSON read in one pass by yajl's event parser, keeping
 * only what token_decode checks: the known top-level fields and the
 * metadata pairs, as NUL-terminated text. No tree is built: a renewal,
 * the common case, costs no allocation at all.
 */
#ifndef DISCOVERY_TOKEN_SCAN_H
#define DISCOVERY_TOKEN_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

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

enum scan_type {
	SCAN_ABSENT,
	SCAN_STRING, /* text: the decoded string */
	SCAN_NUMBER, /* text: the number as written */
	SCAN_OBJECT,
	SCAN_OTHER, /* true, false, null or an array */
};

struct scan_value {
	enum scan_type type;
	const char *text; /* SCAN_STRING and SCAN_NUMBER only */
};

struct scan_meta {
	const char *key;
	struct scan_value value;
};

/* yajl's own allocations come from here first (about 2.5 KiB for a
 * token with an escape in it); only a very deep body spills onto the heap. */
#define TOKEN_SCAN_ARENA 4096

struct token_scan {
	struct scan_value field[FIELD_COUNT];
	bool duplicate;	   /* a known field given twice */
	bool meta_overflow; /* more than TOKEN_MAX_METADATA pairs */
	size_t meta_count;
	struct scan_meta meta[TOKEN_MAX_METADATA];
	/* Where the parse is: how deep, and which field a value belongs to. */
	int depth;
	int skip_depth; /* > 0 while inside a value nobody keeps */
	int pending;	/* field of the next depth-1 value, or -1 */
	bool in_metadata;
	bool root_is_object;
	size_t text_used;
	size_t arena_used;
	/* Every kept string and number fits in the body's length: a kept
	 * value is always followed by at least one byte (a quote, a comma or
	 * a brace) that makes room for its NUL, and escapes only shrink. */
	char text[TOKEN_MAX_BODY + 1];
	_Alignas(16) unsigned char arena[TOKEN_SCAN_ARENA];
};

/*
 * Scans body (UTF-8, no NUL, checked by the caller) into *scan: 0,
 * TOKEN_ERR_NOT_JSON (not one JSON value, trailing data, a raw control
 * character in a string), TOKEN_ERR_NOT_OBJECT (JSON, but not an object)
 * or TOKEN_ERR_NO_MEMORY. The kept text lives in
 * *scan.
 */
int token_scan(const char *body, size_t len, struct token_scan *scan)
	__attribute__((warn_unused_result));

#endif
