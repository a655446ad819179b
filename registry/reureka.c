/* Eureka's read API: paths, the walks and the document model; see
 * reureka.h. The two forms are reureka_json.c's and reureka_xml.c's. */
#include "registry/reureka.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/rcollect.h"
#include "registry/reureka_json.h"
#include "registry/reureka_xml.h"

const char *reureka_action_name(enum reureka_action a)
{
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED" };

	return (unsigned)a < 3 ? names[a] : "MODIFIED";
}

void reureka_app_name(const char *service, char out[TOKEN_SERVICE_MAX + 1])
{
	size_t i;

	for (i = 0; service[i] && i < TOKEN_SERVICE_MAX; i++)
		out[i] = (char)(service[i] >= 'a' && service[i] <= 'z' ? service[i] - 'a' + 'A'
								       : service[i]);
	out[i] = '\0';
}

int reureka_renewal_s(int ttl)
{
	return ttl / 3 > 0 ? ttl / 3 : 1;
}

void reureka_home_page(const struct token *t, char out[REUREKA_URL_MAX])
{
	char host[RRENDER_HOST_PORT_MAX];

	out[0] = '\0';
	if (t->port <= 0)
		return;
	rrender_host_port(t, host);
	snprintf(out, REUREKA_URL_MAX, "http://%s/", host);
}

/* What a walk copies: each instance's token and numbers; rendering waits
 * until the table's lock is released. */
struct gather {
	struct reureka_inst *v;
	size_t n, cap;
	size_t by_state[4];
	int64_t since; /* only instances changed since (the delta); INT64_MIN: all */
	bool failed;
};

static void gather_add(struct gather *g, const struct token *tok, const struct rrender_times *tm,
		       int ttl, int64_t left_at, enum reureka_action action)
{
	struct reureka_inst *v;
	struct token *copy;

	if (g->failed)
		return;
	v = rcollect_grow(g->v, &g->cap, g->n, sizeof(*v));
	copy = v ? rrender_token_dup(tok) : NULL;
	if (v)
		g->v = v;
	if (!copy) {
		g->failed = true;
		return;
	}
	v[g->n] = (struct reureka_inst){ copy, *tm, ttl, left_at, action };
	g->n++;
}

static void gather_instance(void *ctx, const struct subscriber_instance *in, void *frag)
{
	struct gather *g = ctx;
	struct rrender_times tm = rrender_times_of(in);
	struct token tok;

	(void)frag;
	g->by_state[in->state]++;
	if (tm.changed < g->since)
		return;
	rrender_token_of(in, &tok);
	gather_add(g, &tok, &tm, in->ttl, 0,
		   tm.changed > tm.first_seen ? REUREKA_MODIFIED : REUREKA_ADDED);
}

static void gather_departure(void *ctx, const struct token *tok, const struct rrender_times *tm,
			     int ttl, int64_t left_at)
{
	gather_add(ctx, tok, tm, ttl, left_at, REUREKA_DELETED);
}

static int by_service_then_id(const void *a, const void *b)
{
	const struct token *x = ((const struct reureka_inst *)a)->tok;
	const struct token *y = ((const struct reureka_inst *)b)->tok;
	int c = strcmp(x->service, y->service);

	return c ? c : strcmp(x->instance_id, y->instance_id);
}

/* Eureka's reconcile hash code: STATUS_count_ for every status present,
 * by status name. */
static void hashcode(const size_t by_state[4], char *out, size_t outlen)
{
	static const enum token_state by_name[] = { TOKEN_DOWN, TOKEN_OUT_OF_SERVICE,
						    TOKEN_STARTING, TOKEN_UP };
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < 4; i++)
		if (by_state[by_name[i]] > 0 && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, "%s_%zu_",
					      token_state_name(by_name[i]), by_state[by_name[i]]);
}

int reureka_render(struct subscriber *t, struct rfeed *feed, enum rroute_eureka view, const char *app, bool json,
		   char **body, size_t *len, uint64_t *index)
{
	struct gather g = { .since = INT64_MIN };
	struct subscriber_view tv = { 0 };
	struct reureka_doc doc = { 0 };
	int rc = -1;
	size_t i;

	*body = NULL;
	/* The delta's window (g.since) first: the walk keeps what changed in it. */
	if (view == RROUTE_EUREKA_DELTA)
		rfeed_foreach_departure(feed, gather_departure, &g, &g.since);
	subscriber_foreach(t, view == RROUTE_EUREKA_APP ? app : NULL, gather_instance, &g, &tv);
	/* The service's index for one application, as X-Registry-Index. */
	*index = tv.index;
	if (g.failed)
		goto out;
	if (view == RROUTE_EUREKA_APP && g.n == 0) {
		rc = 1;
		goto out;
	}
	/* Departures come after the walk's order; qsort of NULL (nothing
	 * changed) is undefined. */
	if (view == RROUTE_EUREKA_DELTA && g.n > 1)
		qsort(g.v, g.n, sizeof(*g.v), by_service_then_id);
	doc.one_app = view == RROUTE_EUREKA_APP;
	/* Eureka's full registry is version 1; its delta has a version that
	 * moves with every change, as the table index does. */
	doc.version = view == RROUTE_EUREKA_DELTA ? tv.index : 1;
	hashcode(g.by_state, doc.hashcode, sizeof(doc.hashcode));
	doc.v = g.v;
	doc.n = g.n;
	*body = json ? reureka_json(&doc, len) : reureka_xml(&doc, len);
	rc = *body ? 0 : -1;
out:
	for (i = 0; i < g.n; i++)
		rrender_token_free(g.v[i].tok);
	free(g.v);
	return rc;
}
