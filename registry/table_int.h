#ifndef DISCOVERY_REGISTRY_TABLE_INT_H
#define DISCOVERY_REGISTRY_TABLE_INT_H

/*
 * Internal to table.c (what changes the table) and table_read.c (its
 * walks, views and counters), not part of the API: both need the structs.
 * Everyone else uses registry/table.h, where struct table stays opaque.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/rdepart.h"
#include "registry/rheap.h"
#include "registry/rring.h"
#include "registry/rtomb.h"
#include "registry/table.h"

struct svc;

struct inst {
	/* A view of frag->tok, whose strings it borrows (one copy of the
	 * token per instance), with what a renewal changes kept current:
	 * seq, ttl, ts, incarnation, and user_id (then owned below). */
	struct token tok;
	char *user_id; /* owned: a renewal's user_id unlike the fragment's; else NULL */
	int64_t first_seen;   /* wall ms, as are the two below */
	int64_t last_seen;
	int64_t expires_wall; /* what expiry.at means on the wall clock */
	int64_t changed;      /* wall ms of its join or last change */
	struct rheap_node expiry; /* .at: the deadline, monotonic ms */
	struct svc *svc;
	struct render_frag *frag; /* of tok, for listings */
	int64_t conflict_logged_ms; /* monotonic; 0: never */
};

#define INST_OF_EXPIRY(node) \
	((struct inst *)(void *)((char *)(node) - offsetof(struct inst, expiry)))

struct svc {
	char name[TOKEN_SERVICE_MAX + 1];
	void *instances; /* tsearch tree of struct inst, by instanceId */
	size_t count;
	size_t by_state[4];
	uint64_t index;
};

struct table {
	pthread_mutex_t mu;
	struct table_limits lim;
	void *services; /* tsearch tree of struct svc, by name */
	size_t service_records;
	size_t instances;
	struct rheap heap;
	uint64_t index;
	uint64_t joins, updates, leaves, expiries, refused;
	uint64_t refused_by[TABLE_CAP_COUNT], ttl_clamped, conflicts;
	bool stale;
	struct rring ring; /* ids (index - ring.count, index] */
	struct rtomb tombs;
	struct rdepart departs; /* for Eureka's delta */
	table_notify_fn notify;
	void *notify_ctx;
};

/* Orders services by name (tsearch). */
int table__svc_cmp(const void *a, const void *b);
/* The service record of that name, or NULL; under the table's lock. */
struct svc *table__svc_find(struct table *t, const char *name);
/* The instance of that id in s, or NULL; under the table's lock. */
struct inst *table__inst_find(struct svc *s, const char *instance_id);
/* What listings show of an instance's times. */
struct render_times table__times(const struct inst *in);

#endif
