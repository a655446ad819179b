#ifndef DISCOVERY_SUBSCRIBER_SUB_STORE_INT_H
#define DISCOVERY_SUBSCRIBER_SUB_STORE_INT_H

/*
 * Internal to the table's files, not part of the API: sub_store.c (what
 * changes the table), sub_store_expiry.c (its deadlines), sub_store_read.c
 * (its walks, views and counters) and sub_store_change.c (its changes on
 * their way to the host) all need the structs.
 * Everyone else uses subscriber/sub_store.h, where struct sub_store stays opaque.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "subscriber/sub_index.h"
#include "subscriber/sub_tomb.h"
#include "subscriber/sub_store.h"

/* The longest hash key: "<service>\0<instanceId>". */
#define SUB_STORE_KEY_MAX (TOKEN_SERVICE_MAX + 1 + TOKEN_TEXT_MAX)

struct svc;

/* A change queued for sub_store_drain: a copy of the instance as it was. */
struct sub_change {
	enum sub_store_outcome kind;
	enum subscriber_leave_reason reason;
	struct token tok;
	int64_t first_seen, last_seen, expires_wall, changed;
	uint64_t index;
};

struct inst {
	struct token tok;
	int64_t first_seen;   /* wall ms, as are the two below */
	int64_t last_seen;
	int64_t expires_wall; /* what deadline means on the wall clock */
	int64_t changed;      /* wall ms of its join or last change */
	int64_t deadline;     /* monotonic ms: when it expires */
	/* .at: where it waits in the expiry heap, at most the deadline (a
	 * renewal moves it only past the heap's precision, see inst_renew). */
	struct heap_node expiry;
	struct svc *svc;
	void *data; /* the host's attach hook's, of tok */
	uint64_t index; /* of its last change */
	int64_t conflict_logged_ms; /* monotonic; 0: never */
	uint64_t hash; /* of key, in the store's index */
	size_t keylen;
	char key[]; /* "<service>\0<instanceId>", keylen bytes */
};

#define INST_OF_EXPIRY(node) \
	((struct inst *)(void *)((char *)(node) - offsetof(struct inst, expiry)))

struct svc {
	char name[TOKEN_SERVICE_MAX + 1];
	/* tsearch tree of struct inst, by instanceId: the ordered walks. It
	 * changes with joins and leaves only; lookups go through the hash. */
	void *instances;
	size_t count;
	size_t by_state[4];
	uint64_t index;
};

struct sub_store {
	pthread_mutex_t mu;
	struct sub_store_limits lim;
	void *services; /* tsearch tree of struct svc, by name */
	/* Every instance by service and instanceId: the lookup of each token,
	 * one hash and one compare, where the tree took a dozen string
	 * compares, each a cache miss. */
	struct sub_index table;
	size_t service_records;
	size_t instances;
	struct heap heap;
	uint64_t index;
	uint64_t joins, updates, leaves, expiries;
	uint64_t refused_by[SUB_STORE_CAP_COUNT], ttl_clamped, conflicts;
	bool stale;
	struct sub_change *changes; /* queued for sub_store_drain */
	size_t nchanges, changes_cap;
	struct sub_tomb tombs;
};

/* sub_store_change.c: moves the indexes and queues a copy of in for the
 * drain (a leaving one says DOWN, and why: reason_text, else the leave
 * reason's name); the host's data for in with tok as its token ((void *)1
 * without hooks, NULL on no memory), and the release of one. */
void sub_store__record(struct sub_store *t, struct svc *s, enum sub_store_outcome kind,
		       struct inst *in, enum subscriber_leave_reason reason,
		       const char *reason_text);
void *sub_store__attach(struct sub_store *t, const struct inst *in, const struct token *tok);
void sub_store__detach(struct sub_store *t, void *data);

/* sub_store.c: takes the instance out of every structure (its last seq
 * stays behind as a tombstone), and frees it with the host's data. */
void sub_store__unlink(struct sub_store *t, struct inst *in, int64_t now_ms);
void sub_store__inst_free(struct sub_store *t, struct inst *in);

/* sub_store_expiry.c: a fresh ttl window from now_ms (deadline, lastSeen,
 * expiresAt), and the heap's move of a renewed instance, which waits
 * until its deadline moved by more than the heap's precision. */
void sub_store__renew(struct sub_store *t, struct inst *in, int64_t now_ms);
void sub_store__reschedule(struct sub_store *t, struct inst *in);

/* The public description of an instance, borrowed from in. */
void sub_store__instance(const struct inst *in, struct subscriber_instance *out);

/* Orders services by name (tsearch). */
int sub_store__svc_cmp(const void *a, const void *b);
/* The service record of that name, or NULL; under the table's lock. */
struct svc *sub_store__svc_find(struct sub_store *t, const char *name);

#endif
