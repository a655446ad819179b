#ifndef DISCOVERY_TOKEN_H
#define DISCOVERY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Discovery token v1: see the wire contract in docs/ and ARCHITECTURE.md. */
#define TOKEN_MAX_BODY 4096
#define TOKEN_MAX_METADATA 32
#define TOKEN_SERVICE_MAX 63 /* [a-z0-9][a-z0-9._-]{0,62} */
/* The longest instanceId and hostname the decoder accepts, in bytes. */
#define TOKEN_TEXT_MAX 255
#define TOKEN_DEFAULT_TTL 6
#define TOKEN_ROUTING_PREFIX "discovery."
#define TOKEN_SYNC_KEY "discovery.sync"
/* The largest seq and ts: 2^53, exact in the double JSON parsers use. */
#define TOKEN_SEQ_MAX INT64_C(9007199254740992)
#define TOKEN_INCARNATION_LEN 16 /* hex characters, random per process start */
/* The longest default instanceId: "[" address "]:65535". */
#define TOKEN_DEFAULT_ID_MAX (ADDR_TEXT_MAX + sizeof("[]:65535"))

enum token_state { TOKEN_UP, TOKEN_DOWN, TOKEN_STARTING, TOKEN_OUT_OF_SERVICE };

struct token_meta {
	char *key;
	char *value;
};

/* Optional strings are NULL when absent; all strings are owned. */
struct token {
	enum token_state state;
	char address[ADDR_TEXT_MAX];
	char service[TOKEN_SERVICE_MAX + 1];
	int port;          /* 0 when absent */
	char *instance_id; /* never NULL after token_decode: defaulted */
	char *hostname;
	char *health_url;
	char *stream_url;
	char *reason;      /* "expired", "connection-lost" on registry-made DOWNs */
	char incarnation[TOKEN_INCARNATION_LEN + 1]; /* "" when absent */
	/* The broker user the token came from (the AMQP user_id property the
	 * broker checked), NULL when absent. Not a body field: never encoded. */
	char *user_id;
	int ttl;           /* seconds; TOKEN_DEFAULT_TTL when absent */
	int64_t seq;       /* -1 when absent */
	int64_t ts;        /* ms since epoch; 0 when absent */
	struct token_meta metadata[TOKEN_MAX_METADATA];
	size_t metadata_count;
};

/* Negative codes, each also a metrics label through token_error_name(). */
enum token_error {
	TOKEN_ERR_TOO_LARGE = -1,
	TOKEN_ERR_NOT_JSON = -2,
	TOKEN_ERR_NOT_OBJECT = -3,
	TOKEN_ERR_BAD_TYPE = -4,       /* a known field of the wrong type */
	TOKEN_ERR_BAD_STATE = -5,      /* missing or unknown state */
	TOKEN_ERR_BAD_ADDRESS = -6,    /* missing or not an IP literal */
	TOKEN_ERR_BAD_SERVICE = -7,    /* bad name, or not the routing key's */
	TOKEN_ERR_BAD_PORT = -8,
	TOKEN_ERR_BAD_TTL = -9,
	TOKEN_ERR_BAD_METADATA = -10,
	TOKEN_ERR_BAD_ROUTING_KEY = -11,
	TOKEN_ERR_BAD_FIELD = -12,     /* other field out of range (seq, ts, ...) */
	TOKEN_ERR_NO_MEMORY = -13,
	TOKEN_ERR_UNBOUND = -14,       /* signed, but lacks service, instanceId, seq or ts */
};
#define TOKEN_ERROR_COUNT 14

/* "too_large", "not_json", ... for metrics and logs; "unknown" otherwise. */
const char *token_error_name(int err);

/* "UP", "DOWN", "STARTING", "OUT_OF_SERVICE". */
const char *token_state_name(enum token_state state);
/* "up", "down", "starting", "out_of_service", as in routing keys. */
const char *token_state_key(enum token_state state);
/* Accepts the upper-case names, and lower-case ones (routing keys, ?state=). */
int token_parse_state(const char *text, enum token_state *out)
	__attribute__((warn_unused_result));
bool token_service_is_valid(const char *name);
/* True for exactly TOKEN_INCARNATION_LEN hex digits. */
bool token_incarnation_is_valid(const char *text);

/* The contract's default instanceId: "address:port", "[v6-address]:port",
 * or the address alone when port is 0. out needs TOKEN_DEFAULT_ID_MAX. */
void token_default_instance_id(const char *address, int port, char *out, size_t outlen);

/* Compact JSON of the token (absent optional fields omitted); free() it. */
char *token_encode(const struct token *t) __attribute__((warn_unused_result));

/* "discovery.<service>.<state lower-case>"; negative when out is too small. */
int token_routing_key(const struct token *t, char *out, size_t outlen)
	__attribute__((warn_unused_result));

/* Deep copy; 0 or TOKEN_ERR_NO_MEMORY. */
int token_copy(struct token *dst, const struct token *src)
	__attribute__((warn_unused_result));
/* Frees the owned strings and zeroes the token. */
void token_clear(struct token *t);

#endif
