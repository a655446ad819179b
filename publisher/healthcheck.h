#ifndef DISCOVERY_HEALTHCHECK_H
#define DISCOVERY_HEALTHCHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The sidecar's health probe: GET url on a fresh connection (no reuse, so a
 * dead instance is not hidden behind a kept-alive socket), bounded by
 * timeout_ms. Healthy means a 2xx answer. Needs curl_global_init() first.
 * err gets the reason when unhealthy.
 */
bool healthcheck_probe(const char *url, long timeout_ms, char *err, size_t errlen);

#endif
