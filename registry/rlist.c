/* JSON listings of the table, built from references (their cache is
 * rlist_cache.c). */
#include "registry/rlist.h"
#include "registry/rlist_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_number.h"
#include "registry/rcollect.h"

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
struct rlist_body *rlist_body_new(const struct subscriber_view *view, size_t nparts)
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

void rlist_body_add(struct rlist_body *b, const char *text, size_t len)
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
void rlist_body_flatten(struct rlist_body *b)
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
	struct rlist_body *b = rlist_body_new(view, 2 * c->n + 1);
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
		rlist_body_add(b, g, n + 2);
		return b;
	}
	rlist_body_add(b, g, n);
	g += n;
	for (i = 0; i < b->nfrags; i++) {
		const char *end = i + 1 < b->nfrags ? "}," : "}]}";
		size_t end_len = strlen(end);

		rlist_body_add(b, b->frags[i]->head, b->frags[i]->head_len);
		n = rrender_tail(g, c->v[i].ttl, c->v[i].seq, &c->v[i].tm);
		memcpy(g + n, end, end_len);
		rlist_body_add(b, g, n + end_len);
		g += n + end_len;
	}
	return b;
}

/* [turbine,turbine]: nothing but the references and constant separators. */
static struct rlist_body *turbine_body(struct rcollect *c, const struct subscriber_view *view)
{
	struct rlist_body *b = rlist_body_new(view, 2 * c->n + 2);
	size_t i;

	if (!b)
		return NULL;
	if (take_frags(b, c) < 0) {
		rlist_release(b);
		return NULL;
	}
	rlist_body_add(b, "[", 1);
	for (i = 0; i < b->nfrags; i++) {
		if (i)
			rlist_body_add(b, ",", 1);
		rlist_body_add(b, b->frags[i]->turbine, b->frags[i]->turbine_len);
	}
	rlist_body_add(b, "]", 1);
	return b;
}

struct rlist_body *rlist_build_instances(struct subscriber *t, const char *service,
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
	b = rlist_body_new(&view, 3 * c.n + 2);
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
	rlist_body_add(b, g, n);
	g += n;
	for (i = 0; i < b->nfrags; i++) {
		/* The head opens the object; the service goes in first. */
		n = (size_t)snprintf(g, TOKEN_SERVICE_MAX + 20, "%s{\"service\":\"%s\",",
				     i ? "," : "", b->frags[i]->service);
		rlist_body_add(b, g, n);
		g += n;
		rlist_body_add(b, b->frags[i]->head + 1, b->frags[i]->head_len - 1);
		n = rrender_tail(g, c.v[i].ttl, c.v[i].seq, &c.v[i].tm);
		g[n++] = '}';
		rlist_body_add(b, g, n);
		g += n;
	}
	memcpy(g, "]}\n\n", 4);
	rlist_body_add(b, g, 4);
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

struct rlist_body *rlist_build_services(struct subscriber *t)
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
		b = rlist_body_new(&view, 1);
	if (!b) {
		cJSON_free(text);
		return NULL;
	}
	b->glue = text;
	rlist_body_add(b, text, strlen(text));
	return b;
}
