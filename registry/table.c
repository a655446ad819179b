/*
 * The live instance table. Services and, inside each, instances live in
 * glibc's balanced binary trees (tsearch), which give ordered listings for
 * free; an expiry heap (rheap) finds what expires next without a scan; a
 * ring of preformatted SSE frames (rring) serves /events and Last-Event-ID.
 * The JSON listings are rlist's, built through table_foreach_*() from each
 * instance's render_frag, rendered here when the instance joins or changes.
 * This file changes the table; table_read.c reads it.
 */
#include "registry/table.h"

#include <inttypes.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry/table_int.h"
#include "timing.h"

#define DEFAULT_MAX_INSTANCES 50000
#define DEFAULT_MAX_SERVICES 10000
#define DEFAULT_MAX_PER_SERVICE 10000
#define DEFAULT_MAX_TTL_S 300
#define DEFAULT_EVENT_CAPACITY 4096
#define DEFAULT_TOMBSTONE_MS 30000
#define DEFAULT_MAX_TOMBSTONES 100000
#define DEFAULT_MAX_DEPARTURES 10000
#define DEFAULT_DELTA_WINDOW_MS 180000 /* Eureka's retentionTimeInMSInDeltaQueue */
#define CONFLICT_LOG_MS 60000

enum event_kind { EV_JOIN, EV_UPDATE, EV_LEAVE, EV_EXPIRE };
static const char *const event_names[] = { "join", "update", "leave", "expire" };

const char *table_outcome_name(enum table_outcome o)
{
	static const char *const names[TABLE_OUTCOME_COUNT] = {
		"joined", "updated", "renewed", "left", "stale_seq", "absent", "full",
		"replayed",
	};
	return (unsigned)o < TABLE_OUTCOME_COUNT ? names[o] : "unknown";
}

const char *table_cap_name(enum table_cap c)
{
	static const char *const names[TABLE_CAP_COUNT] = {
		"max_instances", "max_services", "max_per_service",
	};
	return (unsigned)c < TABLE_CAP_COUNT ? names[c] : "unknown";
}

int table__svc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc *)a)->name, ((const struct svc *)b)->name);
}

static int inst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct inst *)a)->tok.instance_id,
		      ((const struct inst *)b)->tok.instance_id);
}

/* ---- events ---- */

/* Moves the indexes and records one event rendered from in; a departure
 * is also remembered for Eureka's delta. */
static void record_change(struct table *t, struct svc *s, enum event_kind kind,
			  const struct inst *in, const char *reason)
{
	struct render_times tm = table__times(in);
	struct token view = in->tok;

	if (kind == EV_LEAVE || kind == EV_EXPIRE)
		rdepart_put(&t->departs, in->frag, &tm, in->tok.ttl, t->lim.wall_ms());

	s->index = ++t->index;
	view.reason = (char *)reason; /* borrowed for rendering only */
	/* A leaving or expired instance is gone, whatever it said last. */
	if (kind == EV_LEAVE || kind == EV_EXPIRE)
		view.state = TOKEN_DOWN;
	/* A frame that could not be rendered stays NULL and is skipped. */
	rring_push(&t->ring, t->index, render_event(t->index, event_names[kind], &view, &tm));
}

/* ---- services and instances ---- */

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void inst_free(void *p)
{
	struct inst *in = p;

	free(in->user_id);
	render_frag_release(in->frag);
	free(in);
}

/* in->tok becomes the view of its (new) fragment's token. */
static void inst_view(struct inst *in)
{
	free(in->user_id);
	in->user_id = NULL;
	in->tok = in->frag->tok;
}

/* A renewal: what it may change besides the times (it describes the
 * instance alike, see differs()), taken from copy. */
static void inst_take_renewal(struct inst *in, struct token *copy)
{
	in->tok.seq = copy->seq;
	in->tok.ttl = copy->ttl;
	in->tok.ts = copy->ts;
	memcpy(in->tok.incarnation, copy->incarnation, sizeof(in->tok.incarnation));
	if (same_str(in->tok.user_id, copy->user_id))
		return;
	free(in->user_id);
	in->user_id = copy->user_id; /* taken */
	copy->user_id = NULL;
	in->tok.user_id = in->user_id;
}

struct svc *table__svc_find(struct table *t, const char *name)
{
	struct svc key;
	void *node;

	snprintf(key.name, sizeof(key.name), "%s", name);
	node = tfind(&key, &t->services, table__svc_cmp);
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
static struct svc *svc_get(struct table *t, const char *name, bool *no_memory)
{
	struct svc *s = table__svc_find(t, name);

	*no_memory = false;
	if (s)
		return s;
	if (t->service_records >= t->lim.max_services) {
		struct empty_search e = { NULL };
		twalk_r(t->services, find_empty, &e);
		if (!e.found)
			return NULL;
		tdelete(e.found, &t->services, table__svc_cmp);
		free(e.found);
		t->service_records--;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*no_memory = true;
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (!tsearch(s, &t->services, table__svc_cmp)) {
		free(s);
		*no_memory = true;
		return NULL;
	}
	t->service_records++;
	return s;
}

struct inst *table__inst_find(struct svc *s, const char *instance_id)
{
	struct inst key;
	void *node;

	key.tok.instance_id = (char *)instance_id;
	node = tfind(&key, &s->instances, inst_cmp);
	return node ? *(struct inst **)node : NULL;
}

/* Takes the instance out of every structure; its last seq stays behind as
 * a tombstone, so a replay of an older token cannot bring it back. */
static void inst_unlink(struct table *t, struct inst *in, int64_t now_ms)
{
	struct svc *s = in->svc;

	rtomb_put(&t->tombs, s->name, in->tok.instance_id, in->tok.seq,
		  now_ms + (int64_t)in->tok.ttl * 1000 + t->lim.tombstone_ms);
	tdelete(in, &s->instances, inst_cmp);
	rheap_remove(&t->heap, &in->expiry);
	s->count--;
	s->by_state[in->tok.state]--;
	t->instances--;
}

struct table *table_new(const struct table_limits *limits)
{
	struct table *t = calloc(1, sizeof(*t));

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
	if (!t->lim.event_capacity)
		t->lim.event_capacity = DEFAULT_EVENT_CAPACITY;
	if (!t->lim.tombstone_ms)
		t->lim.tombstone_ms = DEFAULT_TOMBSTONE_MS;
	if (!t->lim.max_tombstones)
		t->lim.max_tombstones = DEFAULT_MAX_TOMBSTONES;
	rtomb_init(&t->tombs, t->lim.max_tombstones);
	if (!t->lim.max_departures)
		t->lim.max_departures = DEFAULT_MAX_DEPARTURES;
	if (t->lim.delta_window_ms <= 0)
		t->lim.delta_window_ms = DEFAULT_DELTA_WINDOW_MS;
	rdepart_init(&t->departs, t->lim.max_departures, t->lim.delta_window_ms);
	t->index = t->lim.first_index;
	if (rring_init(&t->ring, t->lim.event_capacity) < 0)
		goto out_free;
	if (pthread_mutex_init(&t->mu, NULL) != 0)
		goto out_ring;
	return t;
out_ring:
	rring_free(&t->ring);
out_free:
	free(t);
	return NULL;
}

static void svc_destroy(void *p)
{
	struct svc *s = p;

	tdestroy(s->instances, inst_free);
	free(s);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	tdestroy(t->services, svc_destroy);
	rtomb_free(&t->tombs);
	rdepart_free(&t->departs);
	rring_free(&t->ring);
	rheap_free(&t->heap);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void table_set_notify(struct table *t, table_notify_fn fn, void *ctx)
{
	pthread_mutex_lock(&t->mu);
	t->notify = fn;
	t->notify_ctx = ctx;
	pthread_mutex_unlock(&t->mu);
}

static void notify(table_notify_fn fn, void *ctx, const char *service)
{
	if (fn)
		fn(ctx, service);
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
static void inst_renew(struct table *t, struct inst *in, int64_t now_ms)
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
static void note_conflict(struct table *t, struct inst *in, const struct token *tok,
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

static int apply_locked(struct table *t, const struct token *tok, int64_t now_ms)
{
	struct svc *s = table__svc_find(t, tok->service);
	struct inst *in = s ? table__inst_find(s, tok->instance_id) : NULL;
	struct token copy;
	int64_t last = in ? in->tok.seq
			  : rtomb_seq(&t->tombs, tok->service, tok->instance_id, now_ms);
	enum table_cap cap;
	bool no_memory, changed;

	/* A DOWN for an instance that is gone changes nothing, whatever its
	 * seq (the registry's own expiry DOWNs come back this way). */
	if (!in && tok->state == TOKEN_DOWN)
		return TABLE_ABSENT;
	if (tok->seq >= 0 && last >= 0) {
		if (in && tok->seq <= last)
			note_conflict(t, in, tok, now_ms);
		if (t->lim.strict_seq && tok->seq <= last)
			return TABLE_REPLAYED;
		if (tok->seq < last)
			return TABLE_STALE_SEQ;
	}
	if (tok->state == TOKEN_DOWN) {
		if (!in)
			return TABLE_ABSENT;
		if (tok->seq > in->tok.seq) /* the tombstone keeps the DOWN's */
			in->tok.seq = tok->seq;
		inst_unlink(t, in, now_ms);
		t->leaves++;
		in->last_seen = t->lim.wall_ms();
		record_change(t, s, EV_LEAVE, in, tok->reason ? tok->reason : "down");
		inst_free(in);
		return TABLE_LEFT;
	}
	if (token_copy(&copy, tok) < 0)
		return TOKEN_ERR_NO_MEMORY;
	/* A ttl of a day would keep a dead instance listed for a day. */
	if (copy.ttl > t->lim.max_ttl_s)
		copy.ttl = t->lim.max_ttl_s;
	if (in) {
		struct render_frag *frag = NULL;

		changed = differs(&in->tok, &copy);
		if (changed) {
			frag = render_frag_new(&copy);
			if (!frag)
				goto no_memory;
		}
		s->by_state[in->tok.state]--;
		s->by_state[copy.state]++;
		if (changed) {
			render_frag_release(in->frag);
			in->frag = frag;
			inst_view(in);
		} else {
			inst_take_renewal(in, &copy);
		}
		token_clear(&copy);
		inst_renew(t, in, now_ms);
		rheap_fix(&t->heap, &in->expiry);
		if (!changed)
			return TABLE_RENEWED;
		in->changed = in->last_seen;
		t->updates++;
		record_change(t, s, EV_UPDATE, in, NULL);
		return TABLE_UPDATED;
	}
	/* One service's flood must not fill the table for every other one. */
	cap = TABLE_CAP_PER_SERVICE;
	if (s && s->count >= t->lim.max_per_service)
		goto full;
	cap = TABLE_CAP_INSTANCES;
	if (t->instances >= t->lim.max_instances)
		goto full;
	cap = TABLE_CAP_SERVICES;
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
	in->frag = render_frag_new(&copy);
	if (!in->frag) {
		free(in);
		goto no_memory;
	}
	inst_view(in);
	token_clear(&copy);
	in->svc = s;
	inst_renew(t, in, now_ms);
	in->first_seen = in->changed = in->last_seen;
	if (rheap_push(&t->heap, &in->expiry) < 0) {
		render_frag_release(in->frag);
		free(in);
		goto no_memory;
	}
	if (!tsearch(in, &s->instances, inst_cmp)) {
		rheap_remove(&t->heap, &in->expiry);
		render_frag_release(in->frag);
		free(in);
		goto no_memory;
	}
	s->count++;
	s->by_state[in->tok.state]++;
	t->instances++;
	t->joins++;
	rtomb_forget(&t->tombs, s->name, in->tok.instance_id);
	record_change(t, s, EV_JOIN, in, NULL);
	return TABLE_JOINED;
full:
	token_clear(&copy);
	t->refused++;
	t->refused_by[cap]++;
	return TABLE_FULL;
no_memory:
	token_clear(&copy);
	return TOKEN_ERR_NO_MEMORY;
}

int table_apply(struct table *t, const struct token *tok, int64_t now_ms)
{
	table_notify_fn fn;
	void *ctx;
	int rc;

	pthread_mutex_lock(&t->mu);
	rc = apply_locked(t, tok, now_ms);
	if ((rc == TABLE_JOINED || rc == TABLE_UPDATED || rc == TABLE_RENEWED) &&
	    tok->ttl > t->lim.max_ttl_s)
		t->ttl_clamped++;
	fn = t->notify;
	ctx = t->notify_ctx;
	pthread_mutex_unlock(&t->mu);
	if (rc == TABLE_JOINED || rc == TABLE_UPDATED || rc == TABLE_LEFT)
		notify(fn, ctx, tok->service);
	return rc;
}

int table_remove(struct table *t, const char *service, const char *instance_id,
		 table_match_fn match, void *match_ctx, const char *reason, int64_t now_ms)
{
	struct svc *s;
	struct inst *in = NULL;
	table_notify_fn fn;
	void *ctx;
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	s = table__svc_find(t, service);
	if (s)
		in = table__inst_find(s, instance_id);
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
		record_change(t, s, EV_LEAVE, in, reason);
		inst_free(in);
	}
	fn = t->notify;
	ctx = t->notify_ctx;
	pthread_mutex_unlock(&t->mu);
	if (in)
		notify(fn, ctx, service);
	return in ? 1 : 0;
}

size_t table_expire(struct table *t, int64_t now_ms, struct token *out,
		    size_t max)
{
	table_notify_fn fn;
	void *ctx;
	struct rheap_node *top;
	size_t n = 0, i;

	pthread_mutex_lock(&t->mu);
	while (!t->stale && n < max) {
		struct inst *in;
		top = rheap_top(&t->heap);
		if (!top || top->at > now_ms)
			break;
		in = INST_OF_EXPIRY(top);
		if (token_copy(&out[n], &in->tok) < 0)
			break; /* retried on the next call */
		inst_unlink(t, in, now_ms);
		t->expiries++;
		record_change(t, in->svc, EV_EXPIRE, in, "expired");
		inst_free(in);
		n++;
	}
	fn = t->notify;
	ctx = t->notify_ctx;
	pthread_mutex_unlock(&t->mu);
	for (i = 0; i < n; i++)
		notify(fn, ctx, out[i].service);
	return n;
}

int64_t table_next_expiry(struct table *t)
{
	struct rheap_node *top;
	int64_t at;

	pthread_mutex_lock(&t->mu);
	top = rheap_top(&t->heap);
	at = top ? top->at : INT64_MAX;
	pthread_mutex_unlock(&t->mu);
	return at;
}

void table_set_stale(struct table *t, bool stale, int64_t now_ms)
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
		rheap_rebuild(&t->heap);
	}
	t->stale = stale;
	pthread_mutex_unlock(&t->mu);
}
