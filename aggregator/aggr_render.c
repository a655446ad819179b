#include "aggregator/aggr_render.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool render_member(cJSON *list, const struct aggr_member *m)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(list, o)) {
		cJSON_Delete(o);
		return false;
	}
	return cJSON_AddStringToObject(o, "instanceId", m->instance_id) &&
	       cJSON_AddStringToObject(o, "address", m->address) &&
	       (m->port > 0 ? cJSON_AddNumberToObject(o, "port", m->port) != NULL
			    : cJSON_AddNullToObject(o, "port") != NULL) &&
	       cJSON_AddStringToObject(o, "state", subscriber_state_name(m->state)) &&
	       cJSON_AddBoolToObject(o, "healthy", m->checked && m->healthy) &&
	       (m->checked ? cJSON_AddNumberToObject(o, "checkedAt", (double)m->checked_at) != NULL
			   : cJSON_AddNullToObject(o, "checkedAt") != NULL) &&
	       (m->checked && m->error[0] != '\0'
			? cJSON_AddStringToObject(o, "error", m->error) != NULL
			: cJSON_AddNullToObject(o, "error") != NULL);
}

/* One service: the members from *at on that share its name; moves *at. */
static bool render_service(cJSON *services, const struct aggr_member *const *members, size_t n,
			   size_t *at)
{
	const char *name = members[*at]->service;
	cJSON *s = cJSON_CreateObject(), *list;
	size_t healthy = 0, count = 0;

	if (s == NULL || !cJSON_AddItemToArray(services, s)) {
		cJSON_Delete(s);
		return false;
	}
	if (!cJSON_AddStringToObject(s, "name", name))
		return false;
	for (size_t i = *at; i < n && strcmp(members[i]->service, name) == 0; i++) {
		count++;
		healthy += members[i]->checked && members[i]->healthy;
	}
	if (!cJSON_AddNumberToObject(s, "instances", (double)count) ||
	    !cJSON_AddNumberToObject(s, "healthy", (double)healthy))
		return false;
	list = cJSON_AddArrayToObject(s, "members");
	if (list == NULL)
		return false;
	for (; count > 0; count--, (*at)++)
		if (!render_member(list, members[*at]))
			return false;
	return true;
}

char *aggr_render_status(const struct aggr_member *const *members, size_t n)
{
	cJSON *root = cJSON_CreateObject(), *services;
	char *text = NULL;
	size_t at = 0;

	services = root != NULL ? cJSON_AddArrayToObject(root, "services") : NULL;
	if (services == NULL)
		goto out;
	while (at < n)
		if (!render_service(services, members, n, &at))
			goto out;
	text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}

static bool render_turbine_one(cJSON *list, const struct aggr_member *m)
{
	bool v6 = strchr(m->address, ':') != NULL;
	char host[128];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(list, o)) {
		cJSON_Delete(o);
		return false;
	}
	if (m->port > 0)
		snprintf(host, sizeof(host), "%s%s%s:%d", v6 ? "[" : "", m->address, v6 ? "]" : "",
			 m->port);
	else
		snprintf(host, sizeof(host), "%s", m->address);
	return cJSON_AddStringToObject(o, "hostname", host) &&
	       cJSON_AddStringToObject(o, "cluster", m->service) &&
	       cJSON_AddBoolToObject(o, "isUp",
				     m->state == SUBSCRIBER_UP && !(m->checked && !m->healthy));
}

char *aggr_render_turbine(const struct aggr_member *const *members, size_t n, const char *service)
{
	cJSON *list = cJSON_CreateArray();
	char *text = NULL;

	if (list == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(members[i]->service, service) == 0 &&
		    !render_turbine_one(list, members[i]))
			goto out;
	text = cJSON_PrintUnformatted(list);
out:
	cJSON_Delete(list);
	return text;
}
