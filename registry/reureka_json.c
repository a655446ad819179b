/* Eureka's JSON form; see reureka_json.h. */
#include "registry/reureka_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_number.h"

static bool add_port(cJSON *obj, const char *key, int port, bool enabled)
{
	cJSON *p = cJSON_AddObjectToObject(obj, key);

	return p && json_number_add(p, "$", port) &&
	       cJSON_AddStringToObject(p, "@enabled", enabled ? "true" : "false");
}

static bool add_stamp(cJSON *obj, const char *key, int64_t ms)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, ms);
	return cJSON_AddStringToObject(obj, key, text) != NULL;
}

static bool add_lease(cJSON *obj, const struct reureka_inst *in)
{
	cJSON *l = cJSON_AddObjectToObject(obj, "leaseInfo");

	return l && json_number_add(l, "renewalIntervalInSecs", reureka_renewal_s(in->ttl)) &&
	       json_number_add(l, "durationInSecs", in->ttl) &&
	       json_number_add(l, "registrationTimestamp", in->tm.first_seen) &&
	       json_number_add(l, "lastRenewalTimestamp", in->tm.last_seen) &&
	       json_number_add(l, "evictionTimestamp", in->left_at) &&
	       json_number_add(l, "serviceUpTimestamp", in->tm.first_seen);
}

static bool add_metadata(cJSON *obj, const struct token *t)
{
	cJSON *m = cJSON_AddObjectToObject(obj, "metadata");
	size_t i;

	if (!m)
		return false;
	if (t->metadata_count == 0)
		return cJSON_AddStringToObject(m, "@class", "java.util.Collections$EmptyMap");
	for (i = 0; i < t->metadata_count; i++)
		if (!cJSON_AddStringToObject(m, t->metadata[i].key, t->metadata[i].value))
			return false;
	return true;
}

static bool add_instance(cJSON *list, const struct reureka_inst *in)
{
	const struct token *t = in->tok;
	char app[TOKEN_SERVICE_MAX + 1], home[REUREKA_URL_MAX];
	cJSON *o = cJSON_CreateObject();
	cJSON *dc;

	if (!o || !cJSON_AddItemToArray(list, o)) {
		cJSON_Delete(o);
		return false;
	}
	reureka_app_name(t->service, app);
	reureka_home_page(t, home);
	if (!cJSON_AddStringToObject(o, "instanceId", t->instance_id) ||
	    !cJSON_AddStringToObject(o, "hostName", t->address) ||
	    !cJSON_AddStringToObject(o, "app", app) ||
	    !cJSON_AddStringToObject(o, "ipAddr", t->address) ||
	    !cJSON_AddStringToObject(o, "status", token_state_name(t->state)) ||
	    !cJSON_AddStringToObject(o, "overriddenStatus", "UNKNOWN") ||
	    !add_port(o, "port", t->port > 0 ? t->port : 0, t->port > 0) ||
	    !add_port(o, "securePort", 443, false) || !json_number_add(o, "countryId", 1))
		return false;
	dc = cJSON_AddObjectToObject(o, "dataCenterInfo");
	if (!dc ||
	    !cJSON_AddStringToObject(dc, "@class",
				     "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo") ||
	    !cJSON_AddStringToObject(dc, "name", "MyOwn"))
		return false;
	if (!add_lease(o, in) || !add_metadata(o, t) ||
	    (home[0] && !cJSON_AddStringToObject(o, "homePageUrl", home)) ||
	    (t->health_url && !cJSON_AddStringToObject(o, "healthCheckUrl", t->health_url)) ||
	    !cJSON_AddStringToObject(o, "vipAddress", t->service) ||
	    !cJSON_AddStringToObject(o, "secureVipAddress", t->service) ||
	    !cJSON_AddStringToObject(o, "isCoordinatingDiscoveryServer", "false") ||
	    !add_stamp(o, "lastUpdatedTimestamp", in->tm.changed) ||
	    !add_stamp(o, "lastDirtyTimestamp", in->tm.changed) ||
	    !cJSON_AddStringToObject(o, "actionType", reureka_action_name(in->action)))
		return false;
	return true;
}

/* {"name":…,"instance":[…]} of the instances [from, *next) of one service. */
static bool add_application(cJSON *app, const struct reureka_doc *d, size_t from, size_t *next)
{
	const char *service = d->v[from].tok->service;
	char name[TOKEN_SERVICE_MAX + 1];
	cJSON *list;
	size_t i;

	reureka_app_name(service, name);
	list = cJSON_AddStringToObject(app, "name", name) ? cJSON_AddArrayToObject(app, "instance")
							   : NULL;
	if (!list)
		return false;
	for (i = from; i < d->n && strcmp(d->v[i].tok->service, service) == 0; i++)
		if (!add_instance(list, &d->v[i]))
			return false;
	*next = i;
	return true;
}

static bool add_applications(cJSON *root, const struct reureka_doc *d)
{
	cJSON *apps = cJSON_AddObjectToObject(root, "applications");
	char version[24];
	cJSON *list, *app;
	size_t i = 0;

	snprintf(version, sizeof(version), "%" PRIu64, d->version);
	if (!apps || !cJSON_AddStringToObject(apps, "versions__delta", version) ||
	    !cJSON_AddStringToObject(apps, "apps__hashcode", d->hashcode))
		return false;
	list = cJSON_AddArrayToObject(apps, "application");
	if (!list)
		return false;
	while (i < d->n) {
		app = cJSON_CreateObject();
		if (!app || !cJSON_AddItemToArray(list, app)) {
			cJSON_Delete(app);
			return false;
		}
		if (!add_application(app, d, i, &i))
			return false;
	}
	return true;
}

char *reureka_json(const struct reureka_doc *d, size_t *len)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *app;
	char *text = NULL;
	size_t next;
	bool ok;

	if (!root)
		return NULL;
	if (d->one_app) {
		app = cJSON_AddObjectToObject(root, "application");
		ok = app && d->n > 0 && add_application(app, d, 0, &next);
	} else {
		ok = add_applications(root, d);
	}
	if (ok)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text)
		*len = strlen(text);
	return text;
}
