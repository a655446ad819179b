#ifndef DISCOVERY_REGISTRY_RPROM_H
#define DISCOVERY_REGISTRY_RPROM_H

#include <stdint.h>

#include "discovery/subscriber.h"
#include "token.h"

/*
 * GET /prometheus/targets: Prometheus' HTTP service discovery
 * (http_sd_config), a JSON array with one target group per instance that
 * has a port:
 *
 *   [{"targets":["10.0.0.5:6767"],"labels":{"__meta_discovery_service":…,
 *     "__meta_discovery_instance_id":…,"__meta_discovery_state":"UP",
 *     "__meta_discovery_hostname":…,"__meta_discovery_metadata_<key>":…}}]
 *
 * hostname only when the token has one; a metadata key becomes a label
 * name with every character outside [a-zA-Z0-9_] replaced by '_' (the
 * first of two keys that end up with one name wins). Rendered from the
 * references a walk copies (rcollect), after the table's lock.
 */

/* The document for one service (NULL: every one) and one state (NULL:
 * any); cJSON_free() it. *index gets the index the walk saw (the
 * service's, or the table's). NULL on no memory. */
char *rprom_targets(struct subscriber *t, const char *service, const enum token_state *state,
		    uint64_t *index) __attribute__((warn_unused_result));

#endif
