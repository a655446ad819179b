#ifndef DISCOVERY_ACCT_QUOTE_H
#define DISCOVERY_ACCT_QUOTE_H

#include <cjson/cJSON.h>

#include "accountservice/acct_metrics.h"

/*
 * The quote client: one libcurl GET per call on a new connection (no
 * keep-alive, so that a load balancer in front of the quotes-service, like
 * Swarm's VIP, balances every call), bounded by a total timeout. Call
 * curl_global_init() once before any thread uses it.
 */
#define ACCT_QUOTE_BODY_MAX 16384

#define ACCT_FALLBACK_QUOTE    "May the source be with you, always."
#define ACCT_FALLBACK_IP       "circuit-breaker"
#define ACCT_FALLBACK_LANGUAGE "en"

/*
 * Fetches a quote from url. Returns a new object
 * {"quote":…,"ipAddress":…,"language":…} holding the quotes-service's
 * three strings, or the fallback quote when the call failed, timed out,
 * answered other than 200, or sent something that is not such an object.
 * *outcome says which (ACCT_QUOTE_OK, _TIMEOUT or _ERROR). NULL only when
 * out of memory.
 */
cJSON *acct_quote_fetch(const char *url, long timeout_ms, enum acct_quote_outcome *outcome)
	__attribute__((warn_unused_result));

/* The fallback quote object of the contract; NULL when out of memory. */
cJSON *acct_quote_fallback(void) __attribute__((warn_unused_result));

#endif
