/* JSON shapes of the registry's answers, shared by the table and HTTP. */
#include "registry/render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_string_or_null(cJSON *obj, const char *key, const char *value)
{
	cJSON *item = value ? cJSON_AddStringToObject(obj, key, value)
			    : cJSON_AddNullToObject(obj, key);
	return item ? 0 : -1;
}

/* Integers go in as raw text: cJSON prints every number through "%1.15g"
 * and a sscanf check, which made up most of the cost of a large listing. */
static int add_int(cJSON *obj, const char *key, int64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, value);
	return cJSON_AddRawToObject(obj, key, text) ? 0 : -1;
}

cJSON *render_instance(const struct token *t, const struct render_times *tm,
		       int with_service)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *meta;
	size_t i;

	if (!obj)
		return NULL;
	if (with_service && !cJSON_AddStringToObject(obj, "service", t->service))
		goto fail;
	if (add_string_or_null(obj, "instanceId", t->instance_id) < 0 ||
	    add_string_or_null(obj, "address", t->address) < 0)
		goto fail;
	if (t->port > 0 ? add_int(obj, "port", t->port) < 0
			: !cJSON_AddNullToObject(obj, "port"))
		goto fail;
	if (add_string_or_null(obj, "state", token_state_name(t->state)) < 0 ||
	    add_string_or_null(obj, "hostname", t->hostname) < 0 ||
	    add_string_or_null(obj, "healthUrl", t->health_url) < 0 ||
	    add_string_or_null(obj, "streamUrl", t->stream_url) < 0)
		goto fail;
	meta = cJSON_AddObjectToObject(obj, "metadata");
	if (!meta)
		goto fail;
	for (i = 0; i < t->metadata_count; i++)
		if (!cJSON_AddStringToObject(meta, t->metadata[i].key,
					     t->metadata[i].value))
			goto fail;
	if (add_int(obj, "firstSeen", tm->first_seen) < 0 ||
	    add_int(obj, "lastSeen", tm->last_seen) < 0 ||
	    add_int(obj, "expiresAt", tm->expires_at) < 0 ||
	    add_int(obj, "ttl", t->ttl) < 0)
		goto fail;
	if (t->seq >= 0 ? add_int(obj, "seq", t->seq) < 0
			: !cJSON_AddNullToObject(obj, "seq"))
		goto fail;
	if (t->reason && !cJSON_AddStringToObject(obj, "reason", t->reason))
		goto fail;
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

char *render_event(uint64_t id, const char *event, const struct token *t,
		   const struct render_times *tm)
{
	cJSON *obj = render_instance(t, tm, 1);
	char *data = obj ? cJSON_PrintUnformatted(obj) : NULL;
	char *frame = NULL;

	cJSON_Delete(obj);
	if (!data)
		return NULL;
	if (asprintf(&frame, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", id, event,
		     data) < 0)
		frame = NULL;
	cJSON_free(data);
	return frame;
}

cJSON *render_turbine(const struct token *t)
{
	cJSON *obj = cJSON_CreateObject();
	char host[ADDR_TEXT_MAX + 16];

	if (!obj)
		return NULL;
	/* An IPv6 literal gets brackets so that host:port stays parseable. */
	if (t->port > 0)
		snprintf(host, sizeof(host), "%s%s%s:%d",
			 strchr(t->address, ':') ? "[" : "", t->address,
			 strchr(t->address, ':') ? "]" : "", t->port);
	else
		snprintf(host, sizeof(host), "%s", t->address);
	if (!cJSON_AddStringToObject(obj, "hostname", host) ||
	    !cJSON_AddStringToObject(obj, "cluster", t->service) ||
	    !cJSON_AddBoolToObject(obj, "isUp", t->state == TOKEN_UP)) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

char *render_error(int status, const char *message)
{
	cJSON *obj = cJSON_CreateObject();
	char *text = NULL;

	if (!obj)
		return NULL;
	if (cJSON_AddStringToObject(obj, "error", message) &&
	    cJSON_AddNumberToObject(obj, "status", status))
		text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return text;
}
