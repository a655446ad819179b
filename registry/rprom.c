/* Prometheus' HTTP service discovery document; see rprom.h. */
#include "registry/rprom.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "registry/rcollect.h"

#define LABEL_PREFIX "__meta_discovery_"
#define META_PREFIX LABEL_PREFIX "metadata_"

/* META_PREFIX and key, every character outside [a-zA-Z0-9_] made '_', so
 * that it is a valid label name. */
static void label_name(const char *key, char out[sizeof(META_PREFIX) + TOKEN_MAX_BODY])
{
	size_t n = sizeof(META_PREFIX) - 1, i;

	memcpy(out, META_PREFIX, n);
	for (i = 0; key[i] && n + 1 < sizeof(META_PREFIX) + TOKEN_MAX_BODY; i++) {
		unsigned char c = (unsigned char)key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		out[n++] = ok ? (char)c : '_';
	}
	out[n] = '\0';
}

static int add_labels(cJSON *labels, const struct token *t)
{
	char name[sizeof(META_PREFIX) + TOKEN_MAX_BODY];
	size_t i;

	if (!cJSON_AddStringToObject(labels, LABEL_PREFIX "service", t->service) ||
	    !cJSON_AddStringToObject(labels, LABEL_PREFIX "instance_id", t->instance_id) ||
	    !cJSON_AddStringToObject(labels, LABEL_PREFIX "state", token_state_name(t->state)) ||
	    (t->hostname && !cJSON_AddStringToObject(labels, LABEL_PREFIX "hostname", t->hostname)))
		return -1;
	for (i = 0; i < t->metadata_count; i++) {
		label_name(t->metadata[i].key, name);
		if (cJSON_GetObjectItemCaseSensitive(labels, name))
			continue;
		if (!cJSON_AddStringToObject(labels, name, t->metadata[i].value))
			return -1;
	}
	return 0;
}

/* One {"targets":[…],"labels":{…}} group into list. */
static int add_group(cJSON *list, const struct token *t)
{
	char target[RRENDER_HOST_PORT_MAX];
	cJSON *group = cJSON_CreateObject();
	cJSON *targets, *labels;

	if (!group || !cJSON_AddItemToArray(list, group)) {
		cJSON_Delete(group);
		return -1;
	}
	rrender_host_port(t, target);
	targets = cJSON_AddArrayToObject(group, "targets");
	if (!targets || !cJSON_AddItemToArray(targets, cJSON_CreateString(target)))
		return -1;
	labels = cJSON_AddObjectToObject(group, "labels");
	return labels ? add_labels(labels, t) : -1;
}

char *rprom_targets(struct subscriber *t, const char *service, const enum token_state *state,
		    uint64_t *index)
{
	struct rcollect c = { .state = state, .tokens = true };
	struct subscriber_view view = { 0 };
	cJSON *list = NULL;
	char *text = NULL;
	size_t i;

	if (service)
		subscriber_foreach(t, service, rcollect_instance, &c, &view);
	else
		subscriber_foreach(t, NULL, rcollect_instance, &c, &view);
	*index = view.index;
	if (c.failed)
		goto out;
	list = cJSON_CreateArray();
	if (!list)
		goto out;
	for (i = 0; i < c.n; i++) {
		/* Prometheus scrapes host:port: an instance without a port has
		 * no target. */
		if (c.v[i].tok->port <= 0)
			continue;
		if (add_group(list, c.v[i].tok) < 0)
			goto out;
	}
	text = cJSON_PrintUnformatted(list);
out:
	cJSON_Delete(list);
	rcollect_clear(&c);
	return text;
}
