/* JSON listings of the table and the cache of their rendered text. */
#include "registry/rlist.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

#define DEFAULT_MAX_AGE_MS 250
#define SLOTS 64
/* Cached text at most; a listing that does not fit is served uncached. */
#define MAX_CACHED_BYTES (32u << 20)

/* ---- JSON ---- */

struct walk {
	cJSON *array;
	const enum token_state *state;
	bool failed;
};

static void add_service(void *ctx, const char *service, const size_t counts[4])
{
	struct walk *w = ctx;
	cJSON *obj;
	size_t n = counts[0] + counts[1] + counts[2] + counts[3];

	if (w->failed)
		return;
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddItemToArray(w->array, obj)) {
		cJSON_Delete(obj);
		w->failed = true;
		return;
	}
	if (!cJSON_AddStringToObject(obj, "name", service) ||
	    !cJSON_AddNumberToObject(obj, "instances", (double)n) ||
	    !cJSON_AddNumberToObject(obj, "up", (double)counts[TOKEN_UP]))
		w->failed = true;
}

static void add_item(struct walk *w, cJSON *obj)
{
	if (!obj || !cJSON_AddItemToArray(w->array, obj)) {
		cJSON_Delete(obj);
		w->failed = true;
	}
}

static void add_instance(void *ctx, const struct token *tok, const struct render_times *tm)
{
	struct walk *w = ctx;

	if (!w->failed && (!w->state || tok->state == *w->state))
		add_item(w, render_instance(tok, tm, 0));
}

static void add_turbine(void *ctx, const struct token *tok, const struct render_times *tm)
{
	struct walk *w = ctx;

	(void)tm;
	if (!w->failed)
		add_item(w, render_turbine(tok));
}

/* Wraps the walked array in its envelope; takes w->array. */
static cJSON *envelope(struct walk *w, const struct table_view *view, const char *service,
		       const char *key)
{
	cJSON *root = w->failed ? NULL : cJSON_CreateObject();

	if (!root) {
		cJSON_Delete(w->array);
		return NULL;
	}
	if (!cJSON_AddNumberToObject(root, "index", (double)view->index) ||
	    (view->stale && !cJSON_AddTrueToObject(root, "stale")) ||
	    (service && !cJSON_AddStringToObject(root, "service", service)) ||
	    !cJSON_AddItemToObject(root, key, w->array)) {
		cJSON_Delete(w->array);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* The builders, with what their walk saw. */
static cJSON *services_json(struct table *t, struct table_view *view)
{
	struct walk w = { .array = cJSON_CreateArray() };

	if (!w.array)
		return NULL;
	table_foreach_service(t, add_service, &w, view);
	return envelope(&w, view, NULL, "services");
}

static cJSON *service_json(struct table *t, const char *service,
			   const enum token_state *state, struct table_view *view)
{
	struct walk w = { .array = cJSON_CreateArray(), .state = state };

	if (!w.array)
		return NULL;
	table_foreach_instance(t, service, add_instance, &w, view);
	return envelope(&w, view, service, "instances");
}

static cJSON *turbine_json(struct table *t, const char *service, struct table_view *view)
{
	struct walk w = { .array = cJSON_CreateArray() };

	if (!w.array)
		return NULL;
	table_foreach_instance(t, service, add_turbine, &w, view);
	if (w.failed) {
		cJSON_Delete(w.array);
		return NULL;
	}
	return w.array;
}

cJSON *rlist_services_json(struct table *t, uint64_t *index)
{
	struct table_view view = {0};
	cJSON *root = services_json(t, &view);

	*index = view.index;
	return root;
}

cJSON *rlist_service_json(struct table *t, const char *service, const enum token_state *state,
			  uint64_t *index)
{
	struct table_view view = {0};
	cJSON *root = service_json(t, service, state, &view);

	*index = view.index;
	return root;
}

cJSON *rlist_turbine_json(struct table *t, const char *service, uint64_t *index)
{
	struct table_view view = {0};
	cJSON *root = turbine_json(t, service, &view);

	*index = view.index;
	return root;
}

/* ---- cache ---- */

enum variant { V_SERVICES, V_TURBINE, V_ALL, V_STATE }; /* V_STATE + token_state */

struct slot {
	char service[TOKEN_SERVICE_MAX + 1];
	int variant;
	bool stale;
	int64_t rendered_ms; /* monotonic */
	struct rlist_body *body; /* NULL: empty */
};

struct rlist {
	struct table *table;
	int64_t max_age_ms;
	pthread_mutex_t mu;
	size_t cached_bytes;
	struct slot slots[SLOTS];
};

void rlist_release(void *p)
{
	struct rlist_body *b = p;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		cJSON_free(b->text);
		free(b);
	}
}

struct rlist *rlist_new(struct table *t, int64_t max_age_ms)
{
	struct rlist *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->table = t;
	l->max_age_ms = max_age_ms > 0 ? max_age_ms : DEFAULT_MAX_AGE_MS;
	if (pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l);
		return NULL;
	}
	return l;
}

void rlist_free(struct rlist *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < SLOTS; i++)
		rlist_release(l->slots[i].body);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* Prints root (deleted here) into a body with one reference. */
static struct rlist_body *body_of(cJSON *root, uint64_t index)
{
	struct rlist_body *b = root ? malloc(sizeof(*b)) : NULL;

	if (b) {
		b->text = cJSON_PrintUnformatted(root);
		if (!b->text) {
			free(b);
			b = NULL;
		}
	}
	cJSON_Delete(root);
	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->index = index;
	b->len = strlen(b->text);
	return b;
}

static struct slot *slot_of(struct rlist *l, const char *service, int variant)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *service; service++)
		h = (h ^ (unsigned char)*service) * 16777619u;
	h = (h ^ (uint32_t)variant) * 16777619u;
	return &l->slots[h % SLOTS];
}

static bool still_valid(const struct rlist *l, const struct slot *s, const char *service,
			int variant, const struct table_view *now)
{
	bool timed = variant >= V_ALL;

	return s->body && s->variant == variant && strcmp(s->service, service) == 0 &&
	       s->body->index == now->index && s->stale == now->stale &&
	       (!timed || timing_mono_ms() - s->rendered_ms < l->max_age_ms);
}

static struct rlist_body *get(struct rlist *l, const char *service,
			      const enum token_state *state, int variant)
{
	struct slot *s = slot_of(l, service ? service : "", variant);
	struct table_view now, seen = { 0 };
	struct rlist_body *b;
	cJSON *root;

	table_view(l->table, variant == V_SERVICES ? NULL : service, &now);
	pthread_mutex_lock(&l->mu);
	if (still_valid(l, s, service ? service : "", variant, &now)) {
		b = s->body;
		atomic_fetch_add(&b->refs, 1);
		pthread_mutex_unlock(&l->mu);
		return b;
	}
	pthread_mutex_unlock(&l->mu);

	if (variant == V_SERVICES)
		root = services_json(l->table, &seen);
	else if (variant == V_TURBINE)
		root = turbine_json(l->table, service, &seen);
	else
		root = service_json(l->table, service, state, &seen);
	b = body_of(root, seen.index);
	if (!b)
		return NULL;

	pthread_mutex_lock(&l->mu);
	if (l->cached_bytes - (s->body ? s->body->len : 0) + b->len <= MAX_CACHED_BYTES) {
		if (s->body)
			l->cached_bytes -= s->body->len;
		rlist_release(s->body);
		snprintf(s->service, sizeof(s->service), "%s", service ? service : "");
		s->variant = variant;
		s->stale = seen.stale;
		s->rendered_ms = timing_mono_ms();
		s->body = b;
		l->cached_bytes += b->len;
		atomic_fetch_add(&b->refs, 1);
	}
	pthread_mutex_unlock(&l->mu);
	return b;
}

struct rlist_body *rlist_services(struct rlist *l)
{
	return get(l, NULL, NULL, V_SERVICES);
}

struct rlist_body *rlist_service(struct rlist *l, const char *service,
				 const enum token_state *state)
{
	return get(l, service, state, state ? V_STATE + (int)*state : V_ALL);
}

struct rlist_body *rlist_turbine(struct rlist *l, const char *service)
{
	return get(l, service, NULL, V_TURBINE);
}
