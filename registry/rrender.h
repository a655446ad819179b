#ifndef DISCOVERY_REGISTRY_RRENDER_H
#define DISCOVERY_REGISTRY_RRENDER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "discovery/subscriber.h"
#include "token.h"

/* The registry's view of one instance: its last token and when. */
struct rrender_times {
	int64_t first_seen; /* ms since the epoch */
	int64_t last_seen;
	int64_t expires_at;
	int64_t changed; /* its join or its last change (not a renewal) */
};

/*
 * What listings need of one instance, rendered when it joins or changes and
 * shared (refcounted, immutable) by the table and every listing that holds
 * it, so that a listing copies references under the table's lock and never
 * renders there. head is the instance object of /services/{name} up to and
 * including "metadata", without the closing brace: every key of the
 * contract is present, absent optional values are null, metadata is always
 * an object; rrender_tail() completes it. turbine is Turbine's instance
 * model, {"hostname":"addr:port","cluster":…,"isUp":…}; service the
 * instance's service (the SSE snapshot names it). The fragment keeps no
 * copy of the token: the subscriber's table holds the one copy of its
 * strings, and the answers rendered from whole tokens (Prometheus, Eureka)
 * copy them during their walk (rrender_token_dup).
 */
struct rrender_frag {
	atomic_uint refs;
	size_t head_len, turbine_len;
	const char *head, *turbine, *service; /* into text */
	char text[];
};

/* "address:port" ("[v6]:port"), or the address alone without a port;
 * out holds RRENDER_HOST_PORT_MAX bytes. */
#define RRENDER_HOST_PORT_MAX (ADDR_TEXT_MAX + 16)
void rrender_host_port(const struct token *t, char out[RRENDER_HOST_PORT_MAX]);

/* The subscriber's description of an instance as the token the renderers
 * take (its strings borrowed from in), and its times. */
void rrender_token_of(const struct subscriber_instance *in, struct token *out);
struct rrender_times rrender_times_of(const struct subscriber_instance *in);

/* A deep copy of t, malloc()ed, for what outlives the walk that saw it (a
 * departure, a Prometheus or Eureka answer rendered after the lock);
 * rrender_token_free() it. NULL on no memory. */
struct token *rrender_token_dup(const struct token *t) __attribute__((warn_unused_result));
void rrender_token_free(struct token *t);

/* One reference; NULL on no memory. */
struct rrender_frag *rrender_frag_new(const struct token *t) __attribute__((warn_unused_result));
struct rrender_frag *rrender_frag_ref(struct rrender_frag *f);
void rrender_frag_release(struct rrender_frag *f);

/* The longest rrender_tail() text, with its NUL. */
#define RRENDER_TAIL_MAX 160

/*
 * The keys a renewal changes, which complete a head:
 * ,"firstSeen":…,"lastSeen":…,"expiresAt":…,"ttl":…,"seq":… (seq null when
 * negative), no closing brace. Returns the length written into buf, which
 * holds RRENDER_TAIL_MAX bytes.
 */
size_t rrender_tail(char buf[RRENDER_TAIL_MAX], int ttl, int64_t seq,
		   const struct rrender_times *tm);

/*
 * One change event as an SSE frame, "id: …\nevent: …\ndata: {…}\n\n", the
 * data being the instance object with "service" first (and "reason" last
 * when t has one). malloc()ed; NULL on no memory.
 */
char *rrender_event(uint64_t id, const char *event, const struct token *t,
		   const struct rrender_times *tm) __attribute__((warn_unused_result));

/* {"error":message,"status":status} printed; cJSON_free() it. NULL on no memory. */
char *rrender_error(int status, const char *message)
	__attribute__((warn_unused_result));

#endif
