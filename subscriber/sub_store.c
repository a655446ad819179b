/*
 * The live instance table. Every instance is in a hash index (sub_index) by
 * service and instanceId, which is what each token looks up; services and,
 * inside each, instances are also in glibc's balanced binary trees
 * (tsearch), which give ordered listings for free and change only when an
 * instance joins or leaves; an expiry heap (common/heap.c) finds what expires
 * next without a scan. A renewal, the common token, allocates nothing: it
 * is compared with the instance before anything is copied.
 * Every change is queued as a copy for sub_store_drain(), so the host hears
 * of it with the lock released; what the host keeps per instance (the
 * registry's rendered JSON) comes from its attach hook, called here when
 * an instance joins or changes. This file changes the table;
 * sub_store_expiry.c keeps its deadlines and sub_store_read.c reads it.
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

void sub_store__inst_free(struct sub_store *t, struct inst *in)
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

/* The hash key "<service>\0<instanceId>" into key: its length, or 0 when
 * a name is longer than a decoded token's can be (no such instance can be
 * in the table). */
static size_t inst_key(const char *service, const char *instance_id,
		       char key[SUB_STORE_KEY_MAX])
{
	size_t ls = strnlen(service, TOKEN_SERVICE_MAX + 1);
	size_t li = strnlen(instance_id, TOKEN_TEXT_MAX + 1);

	if (ls > TOKEN_SERVICE_MAX || li > TOKEN_TEXT_MAX)
		return 0;
	memcpy(key, service, ls + 1);
	memcpy(key + ls + 1, instance_id, li);
	return ls + 1 + li;
}

/* What inst_has_key compares an instance's key with. */
struct key_ref {
	const char *key;
	size_t len;
};

static bool inst_has_key(const void *item, const void *ctx)
{
	const struct inst *in = item;
	const struct key_ref *k = ctx;

	return in->keylen == k->len && memcmp(in->key, k->key, k->len) == 0;
}

static struct inst *inst_find(struct sub_store *t, const char *key, size_t keylen,
			      uint64_t hash)
{
	struct key_ref k = { key, keylen };

	return sub_index_find(&t->table, hash, inst_has_key, &k);
}

/* Takes the instance out of every structure; its last seq stays behind as
 * a tombstone, so a replay of an older token cannot bring it back. */
void sub_store__unlink(struct sub_store *t, struct inst *in, int64_t now_ms)
{
	struct svc *s = in->svc;

	sub_tomb_put(&t->tombs, s->name, in->tok.instance_id, in->tok.seq,
		  now_ms + (int64_t)in->tok.ttl * 1000 + t->lim.tombstone_ms);
	tdelete(in, &s->instances, inst_cmp);
	sub_index_remove(&t->table, in->hash, in);
	heap_remove(&t->heap, &in->expiry);
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
	sub_index_free(&t->table); /* the slots; the trees hold the instances */
	tdestroy(t->services, svc_destroy);
	sub_tomb_free(&t->tombs);
	for (size_t i = 0; i < t->nchanges; i++)
		token_clear(&t->changes[i].tok);
	free(t->changes);
	heap_free(&t->heap);
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

static int replace_str(char **dst, const char *src)
{
	char *copy;

	if (same_str(*dst, src))
		return 0;
	copy = src ? strdup(src) : NULL;
	if (src && !copy)
		return TOKEN_ERR_NO_MEMORY;
	free(*dst);
	*dst = copy;
	return 0;
}

/* Takes from a renewal what differs() does not compare (the key, service
 * and instanceId, is the same by lookup): ttl, seq, ts, incarnation,
 * user_id and reason. Allocates only when user_id or reason changed. */
static int take_renewal(struct sub_store *t, struct token *dst, const struct token *src)
{
	if (replace_str(&dst->user_id, src->user_id) < 0 ||
	    replace_str(&dst->reason, src->reason) < 0)
		return TOKEN_ERR_NO_MEMORY;
	dst->ttl = src->ttl > t->lim.max_ttl_s ? t->lim.max_ttl_s : src->ttl;
	dst->seq = src->seq;
	dst->ts = src->ts;
	memcpy(dst->incarnation, src->incarnation, sizeof(dst->incarnation));
	return 0;
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

/* A token that brings something new for a known instance: a copy of it,
 * and the host's data for it. */
static int inst_update(struct sub_store *t, struct inst *in, const struct token *tok,
		       int64_t now_ms)
{
	struct svc *s = in->svc;
	struct token copy;
	void *data;

	if (token_copy(&copy, tok) < 0)
		return TOKEN_ERR_NO_MEMORY;
	if (copy.ttl > t->lim.max_ttl_s)
		copy.ttl = t->lim.max_ttl_s;
	data = sub_store__attach(t, in, &copy);
	if (!data) {
		token_clear(&copy);
		return TOKEN_ERR_NO_MEMORY;
	}
	sub_store__detach(t, in->data);
	in->data = data;
	s->by_state[in->tok.state]--;
	s->by_state[copy.state]++;
	token_clear(&in->tok);
	in->tok = copy;
	sub_store__renew(t, in, now_ms);
	sub_store__reschedule(t, in);
	in->changed = in->last_seen;
	t->updates++;
	sub_store__record(t, s, SUB_STORE_UPDATED, in, SUBSCRIBER_LEFT_DOWN, NULL);
	return SUB_STORE_UPDATED;
}

/* A new instance under key, when the caps let it in. */
static int inst_join(struct sub_store *t, const struct token *tok, const char *key,
		     size_t keylen, uint64_t hash, int64_t now_ms)
{
	struct svc *s = sub_store__svc_find(t, tok->service);
	enum sub_store_cap cap;
	struct inst *in;
	bool no_memory;

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
		if (no_memory)
			return TOKEN_ERR_NO_MEMORY;
		goto full;
	}
	in = calloc(1, sizeof(*in) + keylen);
	if (!in)
		return TOKEN_ERR_NO_MEMORY;
	if (token_copy(&in->tok, tok) < 0)
		goto out_free;
	/* A ttl of a day would keep a dead instance listed for a day. */
	if (in->tok.ttl > t->lim.max_ttl_s)
		in->tok.ttl = t->lim.max_ttl_s;
	memcpy(in->key, key, keylen);
	in->keylen = keylen;
	in->hash = hash;
	in->svc = s;
	sub_store__renew(t, in, now_ms);
	in->expiry.at = in->deadline;
	in->first_seen = in->changed = in->last_seen;
	in->data = sub_store__attach(t, in, &in->tok);
	if (!in->data)
		goto out_free;
	if (heap_push(&t->heap, &in->expiry) < 0)
		goto out_detach;
	if (!tsearch(in, &s->instances, inst_cmp))
		goto out_heap;
	if (sub_index_add(&t->table, hash, in) < 0)
		goto out_tree;
	s->count++;
	s->by_state[in->tok.state]++;
	t->instances++;
	t->joins++;
	sub_tomb_forget(&t->tombs, s->name, in->tok.instance_id);
	sub_store__record(t, s, SUB_STORE_JOINED, in, SUBSCRIBER_LEFT_DOWN, NULL);
	return SUB_STORE_JOINED;
out_tree:
	tdelete(in, &s->instances, inst_cmp);
out_heap:
	heap_remove(&t->heap, &in->expiry);
out_detach:
	sub_store__detach(t, in->data);
out_free:
	token_clear(&in->tok);
	free(in);
	return TOKEN_ERR_NO_MEMORY;
full:
	t->refused_by[cap]++;
	return SUB_STORE_FULL;
}

static int apply_locked(struct sub_store *t, const struct token *tok, int64_t now_ms)
{
	char key[SUB_STORE_KEY_MAX];
	size_t keylen = inst_key(tok->service, tok->instance_id, key);
	uint64_t hash = sub_index_hash(key, keylen);
	struct inst *in;
	int64_t last;

	if (!keylen)
		return TOKEN_ERR_BAD_FIELD; /* longer than any decoded token's */
	in = inst_find(t, key, keylen, hash);
	last = in ? in->tok.seq : sub_tomb_seq(&t->tombs, tok->service, tok->instance_id, now_ms);
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
	if (!in)
		return inst_join(t, tok, key, keylen, hash, now_ms);
	if (tok->state == TOKEN_DOWN) {
		if (tok->seq > in->tok.seq) /* the tombstone keeps the DOWN's */
			in->tok.seq = tok->seq;
		sub_store__unlink(t, in, now_ms);
		t->leaves++;
		in->last_seen = t->lim.wall_ms();
		sub_store__record(t, in->svc, SUB_STORE_LEFT, in, SUBSCRIBER_LEFT_DOWN,
				  tok->reason);
		sub_store__inst_free(t, in);
		return SUB_STORE_LEFT;
	}
	if (differs(&in->tok, tok))
		return inst_update(t, in, tok, now_ms);
	if (take_renewal(t, &in->tok, tok) < 0)
		return TOKEN_ERR_NO_MEMORY;
	sub_store__renew(t, in, now_ms);
	sub_store__reschedule(t, in);
	return SUB_STORE_RENEWED;
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
	char key[SUB_STORE_KEY_MAX];
	struct inst *in = NULL;
	size_t keylen;
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	keylen = inst_key(service, instance_id, key);
	if (keylen)
		in = inst_find(t, key, keylen, sub_index_hash(key, keylen));
	if (in && match)
		rc = match(match_ctx, &in->tok);
	if (rc < 0) {
		pthread_mutex_unlock(&t->mu);
		return rc;
	}
	if (in) {
		sub_store__unlink(t, in, now_ms);
		t->leaves++;
		in->last_seen = t->lim.wall_ms();
		sub_store__record(t, in->svc, SUB_STORE_LEFT, in, reason, NULL);
		sub_store__inst_free(t, in);
	}
	pthread_mutex_unlock(&t->mu);
	return in ? 1 : 0;
}
