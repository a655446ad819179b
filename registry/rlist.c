/* JSON listings of the table. */
#include "registry/rlist.h"

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
	struct table_view view;
	cJSON *root = services_json(t, &view);

	*index = view.index;
	return root;
}

cJSON *rlist_service_json(struct table *t, const char *service, const enum token_state *state,
			  uint64_t *index)
{
	struct table_view view;
	cJSON *root = service_json(t, service, state, &view);

	*index = view.index;
	return root;
}

cJSON *rlist_turbine_json(struct table *t, const char *service, uint64_t *index)
{
	struct table_view view;
	cJSON *root = turbine_json(t, service, &view);

	*index = view.index;
	return root;
}
