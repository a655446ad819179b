/*
 * The live instance table. Services and, inside each, instances live in
 * glibc's balanced binary trees (tsearch), which give ordered listings for
 * free; an expiry heap (sub_heap) finds what expires next without a scan.
 * Every change is queued as a copy for sub_store_drain(), so the host hears
 * of it with the lock released; what the host keeps per instance (the
 * registry's rendered JSON) comes from its attach hook, called here when
 * an instance joins or changes. This file changes the table;
 * sub_store_read.c reads it.
 */
#include "subscriber/sub_store.h"

#include <inttypes.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "subscriber/sub_store_int.h"
#include "timing.h"

#define DEFAULT_MAX_INSTANCES 50000
#define DEFAULT_MAX_SERVICES 10000
#define DEFAULT_MAX_PER_SERVICE 10000
#define DEFAULT_MAX_TTL_S 300
#define DEFAULT_TOMBSTONE_MS 30000
#define DEFAULT_MAX_TOMBSTONES 100000
#define CONFLICT_LOG_MS 60000

int sub_store__svc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc *)a)->name, ((const struct svc *)b)->name);
}

static int inst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct inst *)a)->tok.instance_id,
		      ((const struct inst *)b)->tok.instance_id);
}

/* ---- services and instances ---- */

static void inst_free(struct sub_store *t, struct inst *in)
{
	token_clear(&in->tok);
	sub_store__detach(t, in->data);
	free(in);
}

struct svc *sub_store__svc_find(struct sub_store *t, const char *name)
{
	struct svc key;
	void *node;

	snprintf(key.name, sizeof(key.name), "%s", name);
	node = tfind(&key, &t->services, sub_store__svc_cmp);
	return node ? *(struct svc **)node : NULL;
}

struct empty_search {
	struct svc *found;
};

static void find_empty(const void *nodep, VISIT which, void *closure)
{
	struct empty_search *e = closure;
	struct svc *s = *(struct svc *const *)nodep;

	if ((which == postorder || which == leaf) && !e->found && s->count == 0)
		e->found = s;
}

/* Finds or creates the service record; NULL when the cap refuses it (an
 * empty record is evicted first if there is one) or on no memory. */
static struct svc *svc_get(struct sub_store *t, const char *name, bool *no_memory)
{
	struct svc *s = sub_store__svc_find(t, name);

	*no_memory = false;
	if (s)
		return s;
	if (t->service_records >= t->lim.max_services) {
		struct empty_search e = { NULL };
		twalk_r(t->services, find_empty, &e);
		if (!e.found)
			return NULL;
		tdelete(e.found, &t->services, sub_store__svc_cmp);
		free(e.found);
		t->service_records--;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*no_memory = true;
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (!tsearch(s, &t->services, sub_store__svc_cmp)) {
		free(s);
		*no_memory = true;
		return NULL;
	}
	t->service_records++;
	return s;
}

static struct inst *inst_find(struct svc *s, const char *instance_id)
{
	struct inst key;
	void *node;

	key.tok.instance_id = (char *)instance_id;
	node = tfind(&key, &s->instances, inst_cmp);
	return node ? *(struct inst **)node : NULL;
}

/* Takes the instance out of every structure; its last seq stays behind as
 * a tombstone, so a replay of an older token cannot bring it back. */
static void inst_unlink(struct sub_store *t, struct inst *in, int64_t now_ms)
{
	struct svc *s = in->svc;

	sub_tomb_put(&t->tombs, s->name, in->tok.instance_id, in->tok.seq,
		  now_ms + (int64_t)in->tok.ttl * 1000 + t->lim.tombstone_ms);
	tdelete(in, &s->instances, inst_cmp);
	sub_heap_remove(&t->heap, &in->expiry);
	s->count--;
	s->by_state[in->tok.state]--;
	t->instances--;
}

struct sub_store *sub_store_new(const struct sub_store_limits *limits)
{
	struct sub_store *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (limits)
		t->lim = *limits;
	if (!t->lim.max_instances)
		t->lim.max_instances = DEFAULT_MAX_INSTANCES;
	if (!t->lim.max_services)
		t->lim.max_services = DEFAULT_MAX_SERVICES;
	if (!t->lim.max_per_service)
		t->lim.max_per_service = DEFAULT_MAX_PER_SERVICE;
	if (t->lim.max_ttl_s <= 0)
		t->lim.max_ttl_s = DEFAULT_MAX_TTL_S;
	if (!t->lim.wall_ms)
		t->lim.wall_ms = timing_wall_ms;
	if (!t->lim.tombstone_ms)
		t->lim.tombstone_ms = DEFAULT_TOMBSTONE_MS;
	if (!t->lim.max_tombstones)
		t->lim.max_tombstones = DEFAULT_MAX_TOMBSTONES;
	sub_tomb_init(&t->tombs, t->lim.max_tombstones);
	t->index = t->lim.first_index;
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

static void detach_visit(const void *nodep, VISIT which, void *closure)
{
	struct sub_store *t = closure;
	struct inst *in = *(struct inst *const *)nodep;

	if (which == postorder || which == leaf)
		sub_store__detach(t, in->data);
}

static void inst_destroy(void *p)
{
	struct inst *in = p;

	token_clear(&in->tok);
	free(in);
}

static void svc_destroy(void *p)
{
	struct svc *s = p;

	tdestroy(s->instances, inst_destroy);
	free(s);
}

static void svc_detach_visit(const void *nodep, VISIT which, void *closure)
{
	const struct svc *s = *(struct svc *const *)nodep;

	if (which == postorder || which == leaf)
		twalk_r(s->instances, detach_visit, closure);
}

void sub_store_free(struct sub_store *t)
{
	if (!t)
		return;
	twalk_r(t->services, svc_detach_visit, t);
	tdestroy(t->services, svc_destroy);
	sub_tomb_free(&t->tombs);
	for (size_t i = 0; i < t->nchanges; i++)
		token_clear(&t->changes[i].tok);
	free(t->changes);
	sub_heap_free(&t->heap);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* True when b describes the instance differently from a (not a renewal). */
static bool differs(const struct token *a, const struct token *b)
{
	size_t i;

	if (a->state != b->state || strcmp(a->address, b->address) != 0 ||
	    a->port != b->port || !same_str(a->hostname, b->hostname) ||
	    !same_str(a->health_url, b->health_url) ||
	    !same_str(a->stream_url, b->stream_url) ||
	    a->metadata_count != b->metadata_count)
		return true;
	for (i = 0; i < a->metadata_count; i++)
		if (strcmp(a->metadata[i].key, b->metadata[i].key) != 0 ||
		    strcmp(a->metadata[i].value, b->metadata[i].value) != 0)
			return true;
	return false;
}

/* A fresh ttl window from now: the deadline, and what people read of it. */
static void inst_renew(struct sub_store *t, struct inst *in, int64_t now_ms)
{
	in->last_seen = t->lim.wall_ms();
	in->expiry.at = now_ms + (int64_t)in->tok.ttl * 1000;
	in->expires_wall = in->last_seen + (int64_t)in->tok.ttl * 1000;
}

/*
 * Two live processes announcing one instanceId (the default address:port
 * behind NAT, or a mis-set overlay): the one with the higher seq wins and
 * every token of the other is stale. That is worth saying: counted, and
 * logged once a minute per instance with both processes named.
 */
static void note_conflict(struct sub_store *t, struct inst *in, const struct token *tok,
			  int64_t now_ms)
{
	if (!tok->incarnation[0] || !in->tok.incarnation[0] ||
	    strcmp(tok->incarnation, in->tok.incarnation) == 0)
		return;
	t->conflicts++;
	if (in->conflict_logged_ms && now_ms - in->conflict_logged_ms < CONFLICT_LOG_MS)
		return;
	in->conflict_logged_ms = now_ms;
	log_warn("instance conflict service=%s instance=%s: incarnation %s (hostname %s) and %s "
		 "(hostname %s) both announce it; the higher seq wins",
		 in->svc->name, in->tok.instance_id, in->tok.incarnation,
		 in->tok.hostname ? in->tok.hostname : "-", tok->incarnation,
		 tok->hostname ? tok->hostname : "-");
}

static int apply_locked(struct sub_store *t, const struct token *tok, int64_t now_ms)
{
	struct svc *s = sub_store__svc_find(t, tok->service);
	struct inst *in = s ? inst_find(s, tok->instance_id) : NULL;
	struct token copy;
	int64_t last = in ? in->tok.seq
			  : sub_tomb_seq(&t->tombs, tok->service, tok->instance_id, now_ms);
	enum sub_store_cap cap;
	bool no_memory, changed;

	/* A DOWN for an instance that is gone changes nothing, whatever its
	 * seq (the registry's own expiry DOWNs come back this way). */
	if (!in && tok->state == TOKEN_DOWN)
		return SUB_STORE_ABSENT;
	if (tok->seq >= 0 && last >= 0) {
		if (in && tok->seq <= last)
			note_conflict(t, in, tok, now_ms);
		if (t->lim.strict_seq && tok->seq <= last)
			return SUB_STORE_REPLAYED;
		if (tok->seq < last)
			return SUB_STORE_STALE_SEQ;
	}
	if (tok->state == TOKEN_DOWN) {
		if (!in)
			return SUB_STORE_ABSENT;
		if (tok->seq > in->tok.seq) /* the tombstone keeps the DOWN's */
			in->tok.seq = tok->seq;
		inst_unlink(t, in, now_ms);
		t->leaves++;
		in->last_seen = t->lim.wall_ms();
		sub_store__record(t, s, SUB_STORE_LEFT, in, SUBSCRIBER_LEFT_DOWN, tok->reason);
		inst_free(t, in);
		return SUB_STORE_LEFT;
	}
	if (token_copy(&copy, tok) < 0)
		return TOKEN_ERR_NO_MEMORY;
	/* A ttl of a day would keep a dead instance listed for a day. */
	if (copy.ttl > t->lim.max_ttl_s)
		copy.ttl = t->lim.max_ttl_s;
	if (in) {
		changed = differs(&in->tok, &copy);
		if (changed) {
			void *data = sub_store__attach(t, in, &copy);

			if (!data)
				goto no_memory;
			sub_store__detach(t, in->data);
			in->data = data;
		}
		s->by_state[in->tok.state]--;
		s->by_state[copy.state]++;
		token_clear(&in->tok);
		in->tok = copy;
		inst_renew(t, in, now_ms);
		sub_heap_fix(&t->heap, &in->expiry);
		if (!changed)
			return SUB_STORE_RENEWED;
		in->changed = in->last_seen;
		t->updates++;
		sub_store__record(t, s, SUB_STORE_UPDATED, in, SUBSCRIBER_LEFT_DOWN, NULL);
		return SUB_STORE_UPDATED;
	}
	/* One service's flood must not fill the table for every other one. */
	cap = SUB_STORE_CAP_PER_SERVICE;
	if (s && s->count >= t->lim.max_per_service)
		goto full;
	cap = SUB_STORE_CAP_INSTANCES;
	if (t->instances >= t->lim.max_instances)
		goto full;
	cap = SUB_STORE_CAP_SERVICES;
	s = svc_get(t, tok->service, &no_memory);
	if (!s) {
		if (no_memory) {
			token_clear(&copy);
			return TOKEN_ERR_NO_MEMORY;
		}
		goto full;
	}
	in = calloc(1, sizeof(*in));
	if (!in)
		goto no_memory;
	in->tok = copy; /* still copy's: freed by no_memory until linked */
	in->svc = s;
	inst_renew(t, in, now_ms);
	in->first_seen = in->changed = in->last_seen;
	in->data = sub_store__attach(t, in, &copy);
	if (!in->data) {
		free(in);
		goto no_memory;
	}
	if (sub_heap_push(&t->heap, &in->expiry) < 0) {
		sub_store__detach(t, in->data);
		free(in);
		goto no_memory;
	}
	if (!tsearch(in, &s->instances, inst_cmp)) {
		sub_heap_remove(&t->heap, &in->expiry);
		sub_store__detach(t, in->data);
		free(in);
		goto no_memory;
	}
	s->count++;
	s->by_state[copy.state]++;
	t->instances++;
	t->joins++;
	sub_tomb_forget(&t->tombs, s->name, copy.instance_id);
	sub_store__record(t, s, SUB_STORE_JOINED, in, SUBSCRIBER_LEFT_DOWN, NULL);
	return SUB_STORE_JOINED;
full:
	token_clear(&copy);
	t->refused_by[cap]++;
	return SUB_STORE_FULL;
no_memory:
	token_clear(&copy);
	return TOKEN_ERR_NO_MEMORY;
}

int sub_store_apply(struct sub_store *t, const struct token *tok, int64_t now_ms)
{
	int rc;

	pthread_mutex_lock(&t->mu);
	rc = apply_locked(t, tok, now_ms);
	if ((rc == SUB_STORE_JOINED || rc == SUB_STORE_UPDATED || rc == SUB_STORE_RENEWED) &&
	    tok->ttl > t->lim.max_ttl_s)
		t->ttl_clamped++;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int sub_store_remove(struct sub_store *t, const char *service, const char *instance_id,
		     sub_store_match_fn match, void *match_ctx,
		     enum subscriber_leave_reason reason, int64_t now_ms)
{
	struct svc *s;
	struct inst *in = NULL;
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	s = sub_store__svc_find(t, service);
	if (s)
		in = inst_find(s, instance_id);
	if (in && match)
		rc = match(match_ctx, &in->tok);
	if (rc < 0) {
		pthread_mutex_unlock(&t->mu);
		return rc;
	}
	if (in) {
		inst_unlink(t, in, now_ms);
		t->leaves++;
		in->last_seen = t->lim.wall_ms();
		sub_store__record(t, s, SUB_STORE_LEFT, in, reason, NULL);
		inst_free(t, in);
	}
	pthread_mutex_unlock(&t->mu);
	return in ? 1 : 0;
}

size_t sub_store_expire(struct sub_store *t, int64_t now_ms, struct token *out, size_t max)
{
	struct sub_heap_node *top;
	size_t n = 0;

	pthread_mutex_lock(&t->mu);
	while (!t->stale && n < max) {
		struct inst *in;
		top = sub_heap_top(&t->heap);
		if (!top || top->at > now_ms)
			break;
		in = INST_OF_EXPIRY(top);
		if (token_copy(&out[n], &in->tok) < 0)
			break; /* retried on the next call */
		inst_unlink(t, in, now_ms);
		t->expiries++;
		sub_store__record(t, in->svc, SUB_STORE_LEFT, in, SUBSCRIBER_LEFT_EXPIRED, NULL);
		inst_free(t, in);
		n++;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

int64_t sub_store_next_expiry(struct sub_store *t)
{
	struct sub_heap_node *top;
	int64_t at;

	pthread_mutex_lock(&t->mu);
	top = sub_heap_top(&t->heap);
	at = top ? top->at : INT64_MAX;
	pthread_mutex_unlock(&t->mu);
	return at;
}

void sub_store_set_stale(struct sub_store *t, bool stale, int64_t now_ms)
{
	size_t i;

	pthread_mutex_lock(&t->mu);
	if (t->stale && !stale) {
		/* Every instance keeps its order: all windows start now. */
		int64_t wall = t->lim.wall_ms();

		for (i = 0; i < t->heap.len; i++) {
			struct inst *in = INST_OF_EXPIRY(t->heap.v[i]);

			in->expiry.at = now_ms + (int64_t)in->tok.ttl * 1000;
			in->expires_wall = wall + (int64_t)in->tok.ttl * 1000;
		}
		sub_heap_rebuild(&t->heap);
	}
	t->stale = stale;
	pthread_mutex_unlock(&t->mu);
}
