#ifndef DISCOVERY_REGISTRY_RENDER_H
#define DISCOVERY_REGISTRY_RENDER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "token.h"

/* The registry's view of one instance: its last token and when. */
struct render_times {
	int64_t first_seen; /* ms since the epoch */
	int64_t last_seen;
	int64_t expires_at;
};

/*
 * The instance object of /services/{name}: every key of the contract is
 * present, absent optional values are null, metadata is always an object.
 * With with_service, also "service" (the form of /events). NULL on no memory.
 */
cJSON *render_instance(const struct token *t, const struct render_times *tm,
		       int with_service) __attribute__((warn_unused_result));

/*
 * One change event as an SSE frame, "id: …\nevent: …\ndata: {…}\n\n", the
 * data being the instance object with "service" (and "reason" when t has
 * one). malloc()ed; NULL on no memory.
 */
char *render_event(uint64_t id, const char *event, const struct token *t,
		   const struct render_times *tm) __attribute__((warn_unused_result));

/* Turbine's instance model: {"hostname":"addr:port","cluster":…,"isUp":…}. */
cJSON *render_turbine(const struct token *t) __attribute__((warn_unused_result));

/* {"error":message,"status":status} printed; cJSON_free() it. NULL on no memory. */
char *render_error(int status, const char *message)
	__attribute__((warn_unused_result));

#endif
