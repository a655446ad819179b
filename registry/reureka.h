#ifndef DISCOVERY_REGISTRY_REUREKA_H
#define DISCOVERY_REGISTRY_REUREKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/rrender.h"
#include "registry/rroute.h"
#include "discovery/subscriber.h"
#include "registry/rfeed.h"
#include "token.h"

/*
 * Netflix Eureka's read API over the table, so that Eureka clients and
 * Prometheus' eureka_sd_config can read it: GET /eureka/apps (every
 * application), /eureka/apps/{APP} (one) and /eureka/apps/delta (what
 * changed in the last 3 minutes). An application is a service, named in
 * upper case as Eureka does; {APP} is read in any case. The documents are
 * those Eureka's own serializers write: JSON (EurekaJacksonCodec) when the
 * request's Accept holds "json", XML (XStream's Converters) otherwise.
 * The paths are rroute_eureka()'s.
 *
 * How an instance maps: hostName and ipAddr are its address (what Eureka
 * clients register with preferIpAddress, and what Prometheus scrapes);
 * port its port (enabled; 0 and disabled without one); securePort 443,
 * disabled; dataCenterInfo MyOwn; leaseInfo from its ttl (renewal every
 * ttl/3 s, duration ttl) and times (registration and service up: firstSeen,
 * last renewal: lastSeen, eviction: when it left, else 0); metadata its
 * metadata; homePageUrl http://address:port/; healthCheckUrl its healthUrl;
 * vipAddress and secureVipAddress its service; lastUpdatedTimestamp and
 * lastDirtyTimestamp its last change; actionType ADDED until it changes,
 * then MODIFIED, and DELETED in the delta for one that left.
 */

enum reureka_action { REUREKA_ADDED, REUREKA_MODIFIED, REUREKA_DELETED };

/* One instance as the renderers see it. */
struct reureka_inst {
	struct token *tok; /* the instance: a copy (rrender_token_dup) */
	struct rrender_times tm;
	int ttl;
	int64_t left_at; /* DELETED: when it left (wall ms); else 0 */
	enum reureka_action action;
};

/* A whole document: the instances by service, then instanceId. */
struct reureka_doc {
	bool one_app;   /* {"application":…}, not {"applications":…} */
	uint64_t version; /* versions__delta */
	char hashcode[160]; /* apps__hashcode: "DOWN_1_UP_3_" over the table */
	struct reureka_inst *v;
	size_t n;
};

/* "UP", "DOWN", … as Eureka's InstanceStatus; "ADDED", … as its ActionType. */
const char *reureka_action_name(enum reureka_action a);

/* The pieces both forms derive alike. */
#define REUREKA_URL_MAX (RRENDER_HOST_PORT_MAX + 16)
/* The application name of a service: upper case. */
void reureka_app_name(const char *service, char out[TOKEN_SERVICE_MAX + 1]);
/* leaseInfo.renewalIntervalInSecs: a third of the ttl (publishers renew
 * three times per ttl), at least 1. */
int reureka_renewal_s(int ttl);
/* homePageUrl, http://address:port/; "" without a port. */
void reureka_home_page(const struct token *t, char out[REUREKA_URL_MAX]);

/*
 * Renders a view (app: RROUTE_EUREKA_APP's) as JSON or XML into *body
 * (free() it), *len its length, *index the table index the walk saw.
 * Returns 0, 1 when the application has no instance (404), or -1 on no
 * memory.
 */
int reureka_render(struct subscriber *t, struct rfeed *feed, enum rroute_eureka view, const char *app, bool json,
		   char **body, size_t *len, uint64_t *index) __attribute__((warn_unused_result));

#endif
