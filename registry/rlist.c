/* JSON listings of the table, built from references, and their cache. */
#include "registry/rlist.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_number.h"
#include "registry/rcollect.h"
#include "timing.h"

#define DEFAULT_MAX_AGE_MS 250
#define DEFAULT_MAX_CACHED_BYTES (32u << 20)
#define SLOTS 64
/* The envelope before the first instance: index, stale, service. Its
 * longest, {"index":<20 digits>,"stale":true,"service":"<name>","instances":[,
 * is 69 bytes besides the name. */
#define PREFIX_MAX (80 + TOKEN_SERVICE_MAX)

/* ---- bodies ---- */

void rlist_release(void *p)
{
	struct rlist_body *b = p;
	size_t i;

	if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	for (i = 0; i < b->nfrags; i++)
		rrender_frag_release(b->frags[i]);
	free(b->frags);
	free(b->parts);
	cJSON_free(b->glue);
	free(b->packed);
	free(b);
}

/* An empty body with room for nparts parts; NULL on no memory. */
static struct rlist_body *body_new(const struct subscriber_view *view, size_t nparts)
{
	struct rlist_body *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->parts = malloc(nparts * sizeof(*b->parts));
	if (!b->parts) {
		free(b);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->index = view->index;
	b->stale = view->stale;
	return b;
}

static void body_add(struct rlist_body *b, const char *text, size_t len)
{
	b->parts[b->nparts].text = text;
	b->parts[b->nparts].len = len;
	b->nparts++;
	b->len += len;
}

/* Moves the collected references into b. */
static int take_frags(struct rlist_body *b, struct rcollect *c)
{
	size_t i;

	b->frags = malloc((c->n ? c->n : 1) * sizeof(*b->frags));
	if (!b->frags)
		return -1;
	for (i = 0; i < c->n; i++)
		b->frags[i] = c->v[i].frag;
	b->nfrags = c->n;
	c->n = 0;
	return 0;
}

/* Makes b one piece, before anyone shares it, so that it goes out
 * straight from its buffer: libmicrohttpd then sends the headers and the
 * body in one sendmsg(), where a content reader copies the pieces into the
 * connection's buffer, a few KiB at a time, for every request. A cached
 * listing pays that copy once. The pieces' references are let go; on no
 * memory b stays in pieces (and is sent as such). */
static void body_flatten(struct rlist_body *b)
{
	size_t i, off = 0;
	char *flat;

	if (b->nparts <= 1)
		return;
	flat = malloc(b->len);
	if (!flat)
		return;
	for (i = 0; i < b->nparts; i++) {
		memcpy(flat + off, b->parts[i].text, b->parts[i].len);
		off += b->parts[i].len;
	}
	for (i = 0; i < b->nfrags; i++)
		rrender_frag_release(b->frags[i]);
	free(b->frags);
	b->frags = NULL;
	b->nfrags = 0;
	cJSON_free(b->glue);
	b->glue = NULL;
	b->packed = flat;
	b->parts[0] = (struct rlist_part){ .text = flat, .len = b->len };
	b->nparts = 1;
}

/* ---- the listings ---- */

/* {"index":N,"service":…,"instances":[head tail},head tail}]}: the tails,
 * separators and envelope are formatted here, outside the table's lock. */
static struct rlist_body *service_body(struct rcollect *c, const struct subscriber_view *view,
				       const char *service)
{
	struct rlist_body *b = body_new(view, 2 * c->n + 1);
	char *g;
	size_t i, n;

	if (!b)
		return NULL;
	b->glue = cJSON_malloc(PREFIX_MAX + c->n * (RRENDER_TAIL_MAX + 3) + 3);
	if (!b->glue || take_frags(b, c) < 0) {
		rlist_release(b);
		return NULL;
	}
	g = b->glue;
	n = (size_t)snprintf(g, PREFIX_MAX, "{\"index\":%" PRIu64 "%s,\"service\":\"%s\",\"instances\":[",
			     view->index, view->stale ? ",\"stale\":true" : "", service);
	if (b->nfrags == 0) {
		memcpy(g + n, "]}", 2);
		body_add(b, g, n + 2);
		return b;
	}
	body_add(b, g, n);
	g += n;
	for (i = 0; i < b->nfrags; i++) {
		const char *end = i + 1 < b->nfrags ? "}," : "}]}";
		size_t end_len = strlen(end);

		body_add(b, b->frags[i]->head, b->frags[i]->head_len);
		n = rrender_tail(g, c->v[i].ttl, c->v[i].seq, &c->v[i].tm);
		memcpy(g + n, end, end_len);
		body_add(b, g, n + end_len);
		g += n + end_len;
	}
	return b;
}

/* [turbine,turbine]: nothing but the references and constant separators. */
static struct rlist_body *turbine_body(struct rcollect *c, const struct subscriber_view *view)
{
	struct rlist_body *b = body_new(view, 2 * c->n + 2);
	size_t i;

	if (!b)
		return NULL;
	if (take_frags(b, c) < 0) {
		rlist_release(b);
		return NULL;
	}
	body_add(b, "[", 1);
	for (i = 0; i < b->nfrags; i++) {
		if (i)
			body_add(b, ",", 1);
		body_add(b, b->frags[i]->turbine, b->frags[i]->turbine_len);
	}
	body_add(b, "]", 1);
	return b;
}

static struct rlist_body *instances_body(struct subscriber *t, const char *service,
					 const enum token_state *state, bool turbine)
{
	struct rcollect c = { .state = state };
	struct subscriber_view view = { 0 };
	struct rlist_body *b = NULL;

	subscriber_foreach(t, service, rcollect_instance, &c, &view);
	if (!c.failed)
		b = turbine ? turbine_body(&c, &view) : service_body(&c, &view, service);
	rcollect_clear(&c);
	return b;
}

/* The SSE snapshot frame, "id: N\nevent: snapshot\ndata: {"index":N,
 * "instances":[{"service":…,head tail},…]}\n\n": every instance of every
 * service, built from references as the listings are. */
struct rlist_body *rlist_snapshot(struct subscriber *t)
{
	struct rcollect c = { 0 };
	struct subscriber_view view = { 0 };
	struct rlist_body *b = NULL;
	char *g;
	size_t i, n;

	subscriber_foreach(t, NULL, rcollect_instance, &c, &view);
	if (c.failed)
		goto out;
	b = body_new(&view, 3 * c.n + 2);
	if (!b)
		goto out;
	b->glue = cJSON_malloc(2 * PREFIX_MAX + c.n * (RRENDER_TAIL_MAX + TOKEN_SERVICE_MAX + 20));
	if (!b->glue || take_frags(b, &c) < 0) {
		rlist_release(b);
		b = NULL;
		goto out;
	}
	g = b->glue;
	n = (size_t)snprintf(g, 2 * PREFIX_MAX,
			     "id: %" PRIu64 "\nevent: snapshot\ndata: {\"index\":%" PRIu64
			     "%s,\"instances\":[",
			     view.index, view.index, view.stale ? ",\"stale\":true" : "");
	body_add(b, g, n);
	g += n;
	for (i = 0; i < b->nfrags; i++) {
		/* The head opens the object; the service goes in first. */
		n = (size_t)snprintf(g, TOKEN_SERVICE_MAX + 20, "%s{\"service\":\"%s\",",
				     i ? "," : "", b->frags[i]->service);
		body_add(b, g, n);
		g += n;
		body_add(b, b->frags[i]->head + 1, b->frags[i]->head_len - 1);
		n = rrender_tail(g, c.v[i].ttl, c.v[i].seq, &c.v[i].tm);
		g[n++] = '}';
		body_add(b, g, n);
		g += n;
	}
	memcpy(g, "]}\n\n", 4);
	body_add(b, g, 4);
out:
	rcollect_clear(&c);
	return b;
}

struct service_walk {
	struct rlist_count *v;
	size_t n, cap;
	bool failed;
};

static void collect_service(void *ctx, const char *service, const size_t counts[4])
{
	struct service_walk *w = ctx;
	struct rlist_count *v;

	if (w->failed)
		return;
	v = rcollect_grow(w->v, &w->cap, w->n, sizeof(*v));
	if (!v) {
		w->failed = true;
		return;
	}
	w->v = v;
	snprintf(v[w->n].name, sizeof(v[w->n].name), "%s", service);
	memcpy(v[w->n].by_state, counts, sizeof(v[w->n].by_state));
	w->n++;
}

int rlist_counts(struct subscriber *t, struct rlist_count **out, size_t *n, struct subscriber_view *view)
{
	struct service_walk w = { 0 };

	subscriber_foreach_service(t, collect_service, &w, view);
	if (w.failed) {
		free(w.v);
		return -1;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}

/* Renders the copied counts as the /services envelope. */
static char *services_text(const struct rlist_count *v, size_t count,
			   const struct subscriber_view *view)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *list, *obj;
	char *text = NULL;
	const size_t *c;
	size_t i;

	if (!root)
		return NULL;
	if (!json_number_add(root, "index", (int64_t)view->index) ||
	    (view->stale && !cJSON_AddTrueToObject(root, "stale")))
		goto out;
	list = cJSON_AddArrayToObject(root, "services");
	if (!list)
		goto out;
	for (i = 0; i < count; i++) {
		c = v[i].by_state;
		obj = cJSON_CreateObject();
		if (!obj || !cJSON_AddItemToArray(list, obj)) {
			cJSON_Delete(obj);
			goto out;
		}
		if (!cJSON_AddStringToObject(obj, "name", v[i].name) ||
		    !cJSON_AddNumberToObject(obj, "instances", (double)(c[0] + c[1] + c[2] + c[3])) ||
		    !cJSON_AddNumberToObject(obj, "up", (double)c[TOKEN_UP]))
			goto out;
	}
	text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}

static struct rlist_body *services_body(struct subscriber *t)
{
	struct subscriber_view view = { 0 };
	struct rlist_count *v = NULL;
	struct rlist_body *b = NULL;
	char *text = NULL;
	size_t n = 0;

	if (rlist_counts(t, &v, &n, &view) == 0)
		text = services_text(v, n, &view);
	free(v);
	if (text)
		b = body_new(&view, 1);
	if (!b) {
		cJSON_free(text);
		return NULL;
	}
	b->glue = text;
	body_add(b, text, strlen(text));
	return b;
}

/* ---- cache ---- */

enum variant { V_SERVICES, V_TURBINE, V_ALL, V_STATE }; /* V_STATE + token_state */

struct slot {
	char service[TOKEN_SERVICE_MAX + 1];
	int variant;
	int64_t rendered_ms; /* monotonic */
	struct rlist_body *body; /* NULL: empty */
	struct rlist_body *gz;	 /* body's gzip form, NULL until asked for */
};

struct rlist {
	struct subscriber *sub;
	int64_t max_age_ms;
	size_t max_cached_bytes;
	pthread_mutex_t mu;
	size_t cached_bytes;
	struct slot slots[SLOTS];
};

struct rlist *rlist_new(struct subscriber *t, int64_t max_age_ms, size_t max_cached_bytes)
{
	struct rlist *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sub = t;
	l->max_age_ms = max_age_ms > 0 ? max_age_ms : DEFAULT_MAX_AGE_MS;
	l->max_cached_bytes = max_cached_bytes ? max_cached_bytes : DEFAULT_MAX_CACHED_BYTES;
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
	for (i = 0; i < SLOTS; i++) {
		rlist_release(l->slots[i].body);
		rlist_release(l->slots[i].gz);
	}
	pthread_mutex_destroy(&l->mu);
	free(l);
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
			int variant, const struct subscriber_view *now)
{
	bool timed = variant >= V_ALL;

	return s->body && s->variant == variant && strcmp(s->service, service) == 0 &&
	       s->body->index == now->index && s->body->stale == now->stale &&
	       (!timed || timing_mono_ms() - s->rendered_ms < l->max_age_ms);
}

static bool wants_gzip(const struct rlist_body *b, enum rgzip_choice coding)
{
	return coding == RGZIP_GZIP_ONLY || (coding == RGZIP_GZIP && b->len >= RGZIP_MIN_BYTES);
}

/* The gzip form of plain, in one part; NULL on no memory. */
static struct rlist_body *gzip_body(const struct rlist_body *plain)
{
	const struct subscriber_view view = { .index = plain->index, .stale = plain->stale };
	struct rgzip *z = rgzip_begin(plain->len);
	struct rlist_body *b;
	char *out = NULL;
	size_t i, len = 0;

	if (!z)
		return NULL;
	for (i = 0; i < plain->nparts; i++)
		if (rgzip_add(z, plain->parts[i].text, plain->parts[i].len) < 0)
			break;
	if (rgzip_end(z, &out, &len) < 0)
		return NULL;
	b = body_new(&view, 1);
	if (!b) {
		free(out);
		return NULL;
	}
	b->packed = out;
	b->gzip = true;
	b->plain_len = plain->len;
	body_add(b, out, len);
	return b;
}

/* b, or its gzip form when coding asks for it, cached beside b while b
 * is still the slot's; takes the reference to b. */
static struct rlist_body *encoded(struct rlist *l, struct slot *s, struct rlist_body *b,
				  enum rgzip_choice coding)
{
	struct rlist_body *gz;

	if (!wants_gzip(b, coding))
		return b;
	gz = gzip_body(b);
	if (!gz)
		return b; /* no memory: the plain form is an answer still */
	pthread_mutex_lock(&l->mu);
	if (s->body == b && !s->gz && l->cached_bytes + gz->len <= l->max_cached_bytes) {
		s->gz = gz;
		l->cached_bytes += gz->len;
		atomic_fetch_add(&gz->refs, 1);
	}
	pthread_mutex_unlock(&l->mu);
	rlist_release(b);
	return gz;
}

/* Empties slot s (under l->mu). */
static void slot_clear(struct rlist *l, struct slot *s)
{
	l->cached_bytes -= (s->body ? s->body->len : 0) + (s->gz ? s->gz->len : 0);
	rlist_release(s->body);
	rlist_release(s->gz);
	s->body = s->gz = NULL;
}

static struct rlist_body *get(struct rlist *l, const char *service,
			      const enum token_state *state, int variant, enum rgzip_choice coding)
{
	struct slot *s = slot_of(l, service ? service : "", variant);
	struct subscriber_view now;
	struct rlist_body *b, *gz = NULL;

	subscriber_view(l->sub, variant == V_SERVICES ? NULL : service, &now);
	pthread_mutex_lock(&l->mu);
	if (still_valid(l, s, service ? service : "", variant, &now)) {
		b = s->body;
		if (wants_gzip(b, coding))
			gz = s->gz;
		b = gz ? gz : b;
		atomic_fetch_add(&b->refs, 1);
		pthread_mutex_unlock(&l->mu);
		return gz ? gz : encoded(l, s, b, coding);
	}
	pthread_mutex_unlock(&l->mu);

	if (variant == V_SERVICES)
		b = services_body(l->sub);
	else
		b = instances_body(l->sub, service, state, variant == V_TURBINE);
	if (!b)
		return NULL;
	/* What the cache can keep is sent many times: one piece. A bigger
	 * listing, built for one request, goes out from its pieces. */
	if (b->len <= l->max_cached_bytes)
		body_flatten(b);

	pthread_mutex_lock(&l->mu);
	if (l->cached_bytes - (s->body ? s->body->len : 0) - (s->gz ? s->gz->len : 0) + b->len <=
	    l->max_cached_bytes) {
		slot_clear(l, s);
		snprintf(s->service, sizeof(s->service), "%s", service ? service : "");
		s->variant = variant;
		s->rendered_ms = timing_mono_ms();
		s->body = b;
		l->cached_bytes += b->len;
		atomic_fetch_add(&b->refs, 1);
	}
	pthread_mutex_unlock(&l->mu);
	return encoded(l, s, b, coding);
}

struct rlist_body *rlist_services(struct rlist *l, enum rgzip_choice coding)
{
	return get(l, NULL, NULL, V_SERVICES, coding);
}

struct rlist_body *rlist_service(struct rlist *l, const char *service,
				 const enum token_state *state, enum rgzip_choice coding)
{
	return get(l, service, state, state ? V_STATE + (int)*state : V_ALL, coding);
}

struct rlist_body *rlist_turbine(struct rlist *l, const char *service, enum rgzip_choice coding)
{
	return get(l, service, NULL, V_TURBINE, coding);
}
