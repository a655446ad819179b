/* The registry's routes and their parameters; see rroute.h. */
#include "registry/rroute.h"

#include <stdio.h>
#include <string.h>

enum rroute rroute_of(const char *target, char service[TOKEN_SERVICE_MAX + 1], bool *bad_name)
{
	static const struct {
		const char *path;
		enum rroute r;
	} fixed[] = {
		{"/", RROUTE_DASHBOARD},      {"/services", RROUTE_SERVICES},
		{"/events", RROUTE_EVENTS},   {"/health", RROUTE_HEALTH},
		{"/metrics", RROUTE_METRICS}, {"/prometheus/targets", RROUTE_PROMETHEUS},
		{"/eureka/apps", RROUTE_EUREKA},
		/* The dashboard's other files (registry/dashboard/). */
		{"/dashboard/app.js", RROUTE_DASHBOARD},
		{"/dashboard/style.css", RROUTE_DASHBOARD},
		{"/dashboard/favicon.svg", RROUTE_DASHBOARD},
	};
	static const struct {
		const char *prefix;
		enum rroute r;
	} named[] = {
		{"/services/", RROUTE_SERVICE},
		{"/turbine/", RROUTE_TURBINE},
	};
	const char *path = hreq_path(target);
	size_t i;

	*bad_name = false;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(path, fixed[i].path) == 0)
			return fixed[i].r;
	/* Eureka's names are its own (upper case, /delta): rroute_eureka(). */
	if (strncmp(path, "/eureka/apps/", 13) == 0)
		return RROUTE_EUREKA;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i].prefix);
		const char *name = path + n;
		if (strncmp(path, named[i].prefix, n) != 0 || !*name || strchr(name, '/'))
			continue;
		if (strlen(name) > TOKEN_SERVICE_MAX || !token_service_is_valid(name))
			*bad_name = true;
		else
			snprintf(service, TOKEN_SERVICE_MAX + 1, "%s", name);
		return named[i].r;
	}
	return RROUTE_UNKNOWN;
}

/* The value of parameter key: 0 with *value NULL when absent, -1 when it
 * is there without a value. */
static int rroute_arg(const struct hreq_field *args, size_t n, const char *key, const char **value)
{
	*value = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(args[i].key, key) != 0)
			continue;
		*value = args[i].value;
		return args[i].value != NULL ? 0 : -1;
	}
	return 0;
}

int rroute_query(const struct hreq_field *args, size_t n, struct rquery *q, const char **err)
{
	const char *state, *index, *wait;

	if (rroute_arg(args, n, "state", &state) < 0) {
		*err = "state needs a value: ?state=UP";
		return -1;
	}
	if (rroute_arg(args, n, "index", &index) < 0) {
		*err = "index needs a value: ?index=N";
		return -1;
	}
	if (rroute_arg(args, n, "wait", &wait) < 0) {
		*err = "wait needs a value: ?wait=30s";
		return -1;
	}
	return rquery_parse(state, index, wait, q, err);
}

int rroute_filter(const struct hreq_field *args, size_t n, struct rroute_filter *f,
		  const char **err)
{
	const char *service, *state;

	memset(f, 0, sizeof(*f));
	if (rroute_arg(args, n, "service", &service) < 0 ||
	    (service && (strlen(service) > TOKEN_SERVICE_MAX || !token_service_is_valid(service)))) {
		*err = "service names match [a-z0-9][a-z0-9._-]{0,62}: ?service=accountservice";
		return -1;
	}
	if (rroute_arg(args, n, "state", &state) < 0 ||
	    (state && token_parse_state(state, &f->state) < 0)) {
		*err = "state is UP, DOWN, STARTING or OUT_OF_SERVICE: ?state=UP";
		return -1;
	}
	if (service) {
		f->has_service = true;
		snprintf(f->service, sizeof(f->service), "%s", service);
	}
	f->has_state = state != NULL;
	return 0;
}

enum rroute_eureka rroute_eureka(const char *path, char app[TOKEN_SERVICE_MAX + 1])
{
	static const char prefix[] = "/eureka/apps";
	const char *name = path + sizeof(prefix) - 1;
	size_t i, n;

	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return RROUTE_EUREKA_NOTHING;
	if (name[0] == '\0' || strcmp(name, "/") == 0)
		return RROUTE_EUREKA_APPS;
	name++;
	if (strcmp(name, "delta") == 0)
		return RROUTE_EUREKA_DELTA;
	n = strlen(name);
	if (n == 0 || n > TOKEN_SERVICE_MAX || strchr(name, '/'))
		return RROUTE_EUREKA_NOTHING;
	/* Eureka upper-cases application names; services are lower case. */
	for (i = 0; i < n; i++)
		app[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	app[n] = '\0';
	return token_service_is_valid(app) ? RROUTE_EUREKA_APP : RROUTE_EUREKA_NOTHING;
}
