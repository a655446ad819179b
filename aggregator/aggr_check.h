#ifndef DISCOVERY_AGGR_CHECK_H
#define DISCOVERY_AGGR_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregator/aggr_table.h"

/*
 * The health checker: a thread of its own running a libcurl multi handle
 * that fetches the health URL of every member that is due, at most
 * max_parallel at once, each bounded by timeout_ms, and records each
 * result in the table. A hanging instance holds one slot until its
 * timeout, never the others. aggr_check_wake() (from any thread) makes it
 * look for due checks at once, as after a join.
 */
enum aggr_check_outcome {
	AGGR_CHECK_HEALTHY,
	AGGR_CHECK_HTTP_ERROR, /* an answer, but not 2xx */
	AGGR_CHECK_TIMEOUT,
	AGGR_CHECK_REFUSED,
	AGGR_CHECK_OTHER, /* no answer for another reason */
};
#define AGGR_CHECK_OUTCOMES 5

struct aggr_check_stats {
	uint64_t outcomes[AGGR_CHECK_OUTCOMES];
	size_t in_flight;
};

struct aggr_check;

struct aggr_check *aggr_check_start(struct aggr_table *t, size_t max_parallel, int64_t timeout_ms)
	__attribute__((warn_unused_result));
void aggr_check_wake(struct aggr_check *c);
void aggr_check_stats(struct aggr_check *c, struct aggr_check_stats *out);
/* Stops the thread, abandoning the checks in flight, and frees. */
void aggr_check_stop(struct aggr_check *c);

/* "healthy", "http_error", "timeout", "refused", "other". */
const char *aggr_check_outcome_name(enum aggr_check_outcome o);
/* The outcome of a finished transfer and its short error text ("" when
 * healthy): "timeout", "refused", "HTTP 503", or libcurl's sentence. */
enum aggr_check_outcome aggr_check_classify(int curl_code, long http_status, char *error,
					    size_t errlen);

#endif
