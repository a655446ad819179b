#ifndef DISCOVERY_REGISTRY_RROUTE_H
#define DISCOVERY_REGISTRY_RROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "hreq.h"
#include "registry/rquery.h"
#include "token.h"

/*
 * The registry's routes and their parameters, from a decoded path and the
 * query parameters as libmicrohttpd splits them: no libmicrohttpd here, so
 * that the HTTP fuzzer (fuzz/fuzz_http_registry.c) links it.
 */
enum rroute {
	RROUTE_DASHBOARD,
	RROUTE_SERVICES,
	RROUTE_SERVICE,
	RROUTE_EVENTS,
	RROUTE_TURBINE,
	RROUTE_HEALTH,
	RROUTE_METRICS,
	RROUTE_PROMETHEUS,
	RROUTE_EUREKA, /* /eureka/apps and below: rroute_eureka() reads the rest */
	RROUTE_UNKNOWN,
};

/* The methods every route allows, for Allow and CORS preflight answers. */
#define RROUTE_METHODS "GET, HEAD, OPTIONS"

/* The route of path (a target in origin or absolute form). For the routes
 * with a name, service receives it, or *bad_name is set when it is not a
 * service name. */
enum rroute rroute_of(const char *path, char service[TOKEN_SERVICE_MAX + 1], bool *bad_name);

/* The parameters of /services and /services/{name}: rquery_parse of state,
 * index and wait; a parameter without a value ("?index") is refused, not
 * read as absent. 0, or -1 with *err a sentence for a 400. */
int rroute_query(const struct hreq_field *args, size_t n, struct rquery *q, const char **err)
	__attribute__((warn_unused_result));

/* What a path under /eureka/apps asks for. */
enum rroute_eureka {
	RROUTE_EUREKA_APPS,    /* /eureka/apps */
	RROUTE_EUREKA_DELTA,   /* /eureka/apps/delta */
	RROUTE_EUREKA_APP,     /* /eureka/apps/{APP} */
	RROUTE_EUREKA_NOTHING, /* anything else: 404 (instances are not served) */
};

/* The Eureka view of path, app receiving {APP} in lower case (Eureka's
 * names are upper case, services lower case); RROUTE_EUREKA_NOTHING when
 * it is no service name. */
enum rroute_eureka rroute_eureka(const char *path, char app[TOKEN_SERVICE_MAX + 1]);

/* The parameters of /prometheus/targets. */
struct rroute_filter {
	bool has_service, has_state;
	char service[TOKEN_SERVICE_MAX + 1];
	enum token_state state;
};

/* ?service= (a service name) and ?state= (a token state), both optional.
 * 0, or -1 with *err a sentence for a 400. */
int rroute_filter(const struct hreq_field *args, size_t n, struct rroute_filter *f,
		  const char **err) __attribute__((warn_unused_result));

#endif
