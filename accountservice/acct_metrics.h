#ifndef DISCOVERY_ACCT_METRICS_H
#define DISCOVERY_ACCT_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/*
 * accountservice metrics: lock-free counters updated from any HTTP thread
 * and rendered in the Prometheus text format.
 */
enum acct_route {
	ACCT_ROUTE_ACCOUNTS,
	ACCT_ROUTE_HEALTH,
	ACCT_ROUTE_TESTABILITY,
	ACCT_ROUTE_METRICS,
	ACCT_ROUTE_OTHER,
	ACCT_ROUTE_COUNT
};

enum acct_quote_outcome {
	ACCT_QUOTE_OK,
	ACCT_QUOTE_TIMEOUT,
	ACCT_QUOTE_ERROR,
	ACCT_QUOTE_FALLBACK, /* the account was served with the fallback quote */
	ACCT_QUOTE_OUTCOME_COUNT
};

/* Which side of a quote connection closed first, and so keeps its
 * TIME_WAIT: the quotes-service's, where it costs no ephemeral port of this
 * one, or this side's, when no FIN came within the wait. */
enum acct_quote_closer { ACCT_CLOSED_BY_SERVER, ACCT_CLOSED_BY_SERVICE, ACCT_QUOTE_CLOSER_COUNT };

/* Quote calls under QUOTES_DISCOVERY (acct_balance.h): sent to the next
 * instance, sent again to another after a refused connection, or not sent
 * at all because no instance was known (the fallback quote). */
enum acct_quote_choice {
	ACCT_CHOSE_NEXT,
	ACCT_CHOSE_RETRY,
	ACCT_CHOSE_NONE,
	ACCT_QUOTE_CHOICE_COUNT
};

/* Why a connection or a request was refused by a limit. */
enum acct_refusal {
	ACCT_REFUSED_FULL,	      /* connection: max_connections are open */
	ACCT_REFUSED_PER_CLIENT,      /* connection: the client holds its cap */
	ACCT_REFUSED_REQUEST_TIMEOUT, /* connection: request not in within the time */
	ACCT_REFUSED_BODY,	      /* 413: a request body too large */
	ACCT_REFUSED_PENDING,	      /* connection: max_pending wait for their head */
	ACCT_REFUSAL_COUNT
};

/* The statuses the service answers with; anything else counts as "other". */
#define ACCT_METRICS_STATUSES 12
/* Latency bucket upper bounds in microseconds, plus +Inf. */
#define ACCT_METRICS_BUCKETS 14

struct acct_metrics {
	atomic_uint_fast64_t requests[ACCT_ROUTE_COUNT][ACCT_METRICS_STATUSES];
	atomic_uint_fast64_t quotes[ACCT_QUOTE_OUTCOME_COUNT];
	atomic_uint_fast64_t quote_closes[ACCT_QUOTE_CLOSER_COUNT];
	atomic_uint_fast64_t quote_choices[ACCT_QUOTE_CHOICE_COUNT];
	atomic_uint_fast64_t quote_instances; /* UP instances known, a gauge */
	atomic_uint_fast64_t pending; /* connections in the front door now, a gauge */
	atomic_uint_fast64_t refused[ACCT_REFUSAL_COUNT];
	atomic_uint_fast64_t latency_buckets[ACCT_METRICS_BUCKETS];
	atomic_uint_fast64_t latency_sum_us;
	atomic_uint_fast64_t latency_count;
};

void acct_metrics_init(struct acct_metrics *m);
void acct_metrics_request(struct acct_metrics *m, enum acct_route route, unsigned status,
			  int64_t latency_us);
void acct_metrics_quote(struct acct_metrics *m, enum acct_quote_outcome outcome);
void acct_metrics_quote_closed(struct acct_metrics *m, enum acct_quote_closer first);
void acct_metrics_quote_chose(struct acct_metrics *m, enum acct_quote_choice choice);
void acct_metrics_set_quote_instances(struct acct_metrics *m, uint64_t n);
void acct_metrics_refused(struct acct_metrics *m, enum acct_refusal why);
/* The connection caps count their own refusals (peercap.h): their totals. */
void acct_metrics_set_refused(struct acct_metrics *m, enum acct_refusal why, uint64_t n);
/* The text exposition; free() it. NULL when out of memory. */
char *acct_metrics_render(struct acct_metrics *m, size_t *len) __attribute__((warn_unused_result));

#endif
