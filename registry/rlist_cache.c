/* The cache of the registry's listings (registry/rlist.h): slots keyed by
 * service and variant, each holding a built listing and its gzip form. */
#include "registry/rlist.h"
#include "registry/rlist_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

#define DEFAULT_MAX_AGE_MS 250
#define DEFAULT_MAX_CACHED_BYTES (32u << 20)
#define SLOTS 64

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
	b = rlist_body_new(&view, 1);
	if (!b) {
		free(out);
		return NULL;
	}
	b->packed = out;
	b->gzip = true;
	b->plain_len = plain->len;
	rlist_body_add(b, out, len);
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
		b = rlist_build_services(l->sub);
	else
		b = rlist_build_instances(l->sub, service, state, variant == V_TURBINE);
	if (!b)
		return NULL;
	/* What the cache can keep is sent many times: one piece. A bigger
	 * listing, built for one request, goes out from its pieces. */
	if (b->len <= l->max_cached_bytes)
		rlist_body_flatten(b);

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
