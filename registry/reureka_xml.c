/* Eureka's XML form; see reureka_xml.h. */
#include "registry/reureka_xml.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/rxml.h"

/* <name>text</name> on its own line at depth. */
static void element(FILE *f, int depth, const char *name, const char *text)
{
	fprintf(f, "%*s<%s>", 2 * depth, "", name);
	rxml_text(f, text);
	fprintf(f, "</%s>\n", name);
}

static void element_i64(FILE *f, int depth, const char *name, int64_t v)
{
	fprintf(f, "%*s<%s>%" PRId64 "</%s>\n", 2 * depth, "", name, v, name);
}

static void lease(FILE *f, int d, const struct reureka_inst *in)
{
	fprintf(f, "%*s<leaseInfo>\n", 2 * d, "");
	element_i64(f, d + 1, "renewalIntervalInSecs", reureka_renewal_s(in->ttl));
	element_i64(f, d + 1, "durationInSecs", in->ttl);
	element_i64(f, d + 1, "registrationTimestamp", in->tm.first_seen);
	element_i64(f, d + 1, "lastRenewalTimestamp", in->tm.last_seen);
	element_i64(f, d + 1, "evictionTimestamp", in->left_at);
	element_i64(f, d + 1, "serviceUpTimestamp", in->tm.first_seen);
	fprintf(f, "%*s</leaseInfo>\n", 2 * d, "");
}

static void metadata(FILE *f, int d, const struct token *t)
{
	size_t i;

	if (t->metadata_count == 0) {
		fprintf(f, "%*s<metadata class=\"java.util.Collections$EmptyMap\"/>\n", 2 * d, "");
		return;
	}
	fprintf(f, "%*s<metadata>\n", 2 * d, "");
	for (i = 0; i < t->metadata_count; i++) {
		fprintf(f, "%*s<", 2 * (d + 1), "");
		rxml_name(f, t->metadata[i].key);
		fputc('>', f);
		rxml_text(f, t->metadata[i].value);
		fputs("</", f);
		rxml_name(f, t->metadata[i].key);
		fputs(">\n", f);
	}
	fprintf(f, "%*s</metadata>\n", 2 * d, "");
}

static void instance(FILE *f, int d, const struct reureka_inst *in)
{
	const struct token *t = in->tok;
	char app[TOKEN_SERVICE_MAX + 1], home[REUREKA_URL_MAX];

	reureka_app_name(t->service, app);
	reureka_home_page(t, home);
	fprintf(f, "%*s<instance>\n", 2 * d, "");
	d++;
	element(f, d, "instanceId", t->instance_id);
	element(f, d, "hostName", t->address);
	element(f, d, "app", app);
	element(f, d, "ipAddr", t->address);
	element(f, d, "status", token_state_name(t->state));
	element(f, d, "overriddenstatus", "UNKNOWN");
	fprintf(f, "%*s<port enabled=\"%s\">%d</port>\n", 2 * d, "", t->port > 0 ? "true" : "false",
		t->port > 0 ? t->port : 0);
	fprintf(f, "%*s<securePort enabled=\"false\">443</securePort>\n", 2 * d, "");
	element_i64(f, d, "countryId", 1);
	fprintf(f,
		"%*s<dataCenterInfo class=\"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo\">\n"
		"%*s<name>MyOwn</name>\n%*s</dataCenterInfo>\n",
		2 * d, "", 2 * (d + 1), "", 2 * d, "");
	lease(f, d, in);
	metadata(f, d, t);
	if (home[0])
		element(f, d, "homePageUrl", home);
	if (t->health_url)
		element(f, d, "healthCheckUrl", t->health_url);
	element(f, d, "vipAddress", t->service);
	element(f, d, "secureVipAddress", t->service);
	element(f, d, "isCoordinatingDiscoveryServer", "false");
	element_i64(f, d, "lastUpdatedTimestamp", in->tm.changed);
	element_i64(f, d, "lastDirtyTimestamp", in->tm.changed);
	element(f, d, "actionType", reureka_action_name(in->action));
	fprintf(f, "%*s</instance>\n", 2 * (d - 1), "");
}

/* <application> with the instances [from, return) of one service. */
static size_t application(FILE *f, int d, const struct reureka_doc *doc, size_t from)
{
	const char *service = doc->v[from].tok->service;
	char name[TOKEN_SERVICE_MAX + 1];
	size_t i;

	reureka_app_name(service, name);
	fprintf(f, "%*s<application>\n", 2 * d, "");
	element(f, d + 1, "name", name);
	for (i = from; i < doc->n && strcmp(doc->v[i].tok->service, service) == 0; i++)
		instance(f, d + 1, &doc->v[i]);
	fprintf(f, "%*s</application>", 2 * d, "");
	return i;
}

char *reureka_xml(const struct reureka_doc *d, size_t *len)
{
	char *text = NULL;
	size_t i = 0;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	if (d->one_app) {
		if (d->n > 0)
			application(f, 0, d, 0);
	} else {
		fprintf(f, "<applications>\n  <versions__delta>%" PRIu64 "</versions__delta>\n",
			d->version);
		element(f, 1, "apps__hashcode", d->hashcode);
		while (i < d->n) {
			i = application(f, 1, d, i);
			fputc('\n', f);
		}
		fputs("</applications>", f);
	}
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
