#ifndef DISCOVERY_REGISTRY_RLIST_H
#define DISCOVERY_REGISTRY_RLIST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "discovery/subscriber.h"
#include "registry/rgzip.h"
#include "registry/rrender.h"
#include "token.h"

/*
 * The JSON listings of the registry (/services, /services/{name},
 * /turbine/{name}) and a cache of them.
 *
 * A listing never renders under the table's lock: an instance listing
 * copies, under the lock, a reference to each instance's rrender_frag (kept
 * up to date by the table) and the few numbers a renewal changes; the text
 * between them is formatted after the lock is released. A listing the
 * cache can hold is then copied once into one buffer (nparts 1), which
 * responses send as it is; a bigger one is sent piece by piece
 * (rlist_reader) without ever being one big buffer.
 * /services copies names and counts under the lock and renders after it.
 *
 * A cached listing is served again while the index it was built at (the
 * table's for /services, the service's otherwise) and the table's staleness
 * are unchanged, so every join, update, leave or expiry shows at once. A
 * renewal moves no index but changes lastSeen, expiresAt and seq: an
 * instance listing is therefore also built again once it is older than
 * max_age_ms, which bounds how far those three fields lag behind the table.
 * /services and Turbine carry no such fields and are exact. A listing
 * longer than the cache's byte budget is built for every request.
 *
 * A client that takes gzip (rgzip_choose) gets the listing compressed: the
 * compressed form is made from the plain one on the first such request and
 * cached beside it, in the same slot, so that it is valid exactly as long
 * as the plain one (same index, same staleness, same age) and dropped with
 * it; both count against the byte budget.
 */

/* A piece of a listing's text. */
struct rlist_part {
	const char *text;
	size_t len;
};

/* A built listing, shared by the cache and the responses sending it. */
struct rlist_body {
	atomic_uint refs;
	uint64_t index; /* for X-Registry-Index */
	bool stale;     /* what the walk saw */
	size_t len;     /* of the whole text */
	size_t nparts;
	struct rlist_part *parts; /* the text, in order */
	size_t nfrags;
	struct rrender_frag **frags; /* held: parts point into them */
	char *glue; /* held: the other parts point into it */
	bool gzip;	  /* the text is the gzip form of a listing plain_len long */
	size_t plain_len;
	char *packed; /* held: the one part of a gzip form or a flattened listing */
};

struct rlist;

/* max_age_ms: 0 for the default, 250 ms; max_cached_bytes: the total
 * length of the listings kept, 0 for the default, 32 MiB. NULL on no
 * memory. */
struct rlist *rlist_new(struct subscriber *t, int64_t max_age_ms, size_t max_cached_bytes)
	__attribute__((warn_unused_result));
void rlist_free(struct rlist *l);

/* {"index":N,"services":[{"name","instances","up"}]} (+"stale":true),
 * from the cache when still valid; rlist_release() it. NULL on no memory.
 * Each listing comes gzip'd when coding asks for it (RGZIP_GZIP only from
 * RGZIP_MIN_BYTES on), plain otherwise or when compressing failed. */
struct rlist_body *rlist_services(struct rlist *l, enum rgzip_choice coding)
	__attribute__((warn_unused_result));
/* {"index":N,"service":name,"instances":[…]} sorted by instanceId, filtered
 * by *state when state is not NULL (+"stale":true). */
struct rlist_body *rlist_service(struct rlist *l, const char *service,
				 const enum token_state *state, enum rgzip_choice coding)
	__attribute__((warn_unused_result));
/* Turbine's array of the instances of one service; index: the service's. */
struct rlist_body *rlist_turbine(struct rlist *l, const char *service,
				 enum rgzip_choice coding) __attribute__((warn_unused_result));

/* The SSE frame of event "snapshot": id and index the table's, data
 * {"index":N,"instances":[every instance, each with "service" first]}. */
struct rlist_body *rlist_snapshot(struct subscriber *t) __attribute__((warn_unused_result));

/* One service's instance counts by token_state. */
struct rlist_count {
	char name[TOKEN_SERVICE_MAX + 1];
	size_t by_state[4];
};

/* Copies, under the table's lock, the counts of every service with
 * instances, by name, into *out (free() it); view gets what the walk saw.
 * 0, or -1 on no memory. Renders nothing: that is the caller's, after. */
int rlist_counts(struct subscriber *t, struct rlist_count **out, size_t *n, struct subscriber_view *view)
	__attribute__((warn_unused_result));

/* Drops one reference to a struct rlist_body. */
void rlist_release(void *body);

/*
 * Sends a body in pieces (rlist_reader.c), in the form of libmicrohttpd's
 * content reader:
 * rlist_reader_read() copies up to max bytes from position pos into buf
 * and returns how many, or -1 (MHD_CONTENT_READER_END_OF_STREAM) past the
 * end; rlist_reader_free() is the matching free callback.
 */
struct rlist_reader;
/* Takes the reference to b (released here on failure); NULL on no memory. */
struct rlist_reader *rlist_reader_new(struct rlist_body *b) __attribute__((warn_unused_result));
ssize_t rlist_reader_read(void *reader, uint64_t pos, char *buf, size_t max);
void rlist_reader_free(void *reader);

#endif
