#ifndef DISCOVERY_ACCT_QUOTE_H
#define DISCOVERY_ACCT_QUOTE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "accountservice/acct_balance.h"
#include "accountservice/acct_metrics.h"

/*
 * The quote client of one event loop: libcurl's multi interface driven by
 * the loop's epoll set, so that a call in flight holds no thread and a slow
 * quotes-service delays only the requests waiting for it. Every call opens
 * a new connection (no keep-alive, so that a load balancer in front of the
 * quotes-service, like Swarm's VIP, balances every call) and is bounded by
 * a total timeout. Everything here runs on the loop's thread. Call
 * curl_global_init() once before any loop starts.
 */
#define ACCT_QUOTE_BODY_MAX 16384

#define ACCT_FALLBACK_QUOTE    "May the source be with you, always."
#define ACCT_FALLBACK_IP       "circuit-breaker"
#define ACCT_FALLBACK_LANGUAGE "en"

struct acct_quotes;

/*
 * How a call ended: quote is a new object {"quote":…,"ipAddress":…,
 * "language":…} holding the quotes-service's three strings, or the
 * fallback quote when the call failed, timed out, answered other than 200,
 * or sent something that is not such an object; outcome says which
 * (ACCT_QUOTE_OK, _TIMEOUT or _ERROR). quote is the callee's to delete,
 * and NULL only when out of memory.
 */
typedef void acct_quote_done_fn(void *arg, cJSON *quote, enum acct_quote_outcome outcome);

/* A client whose sockets join epoll_fd, with data.fd set to the socket;
 * url and metrics must outlive it. Each request says "Connection: close",
 * and a finished call's socket waits up to close_wait_ms (0: not at all)
 * for the server to close first, so that the server keeps the TIME_WAIT;
 * metrics counts which side closed first. With balance (NULL: every call to
 * url), each call goes to the instance it picks, url's host and port
 * replaced (acct_balance.h). NULL when out of memory or when libcurl
 * refuses the URL. */
struct acct_quotes *acct_quotes_new(int epoll_fd, const char *url, long timeout_ms,
				    long close_wait_ms, struct acct_balance *balance,
				    struct acct_metrics *metrics)
	__attribute__((warn_unused_result));

/* Starts a call. done runs later, from acct_quotes_on_socket() or
 * acct_quotes_on_timeout(), never from inside this call. 0, -1 when out
 * of memory, or ACCT_QUOTES_NO_INSTANCE when the balancer knows no UP
 * instance (then done never runs: serve the fallback). */
#define ACCT_QUOTES_NO_INSTANCE (-2)
int acct_quotes_get(struct acct_quotes *q, acct_quote_done_fn *done, void *arg)
	__attribute__((warn_unused_result));

/* epoll reported events on fd, one of this client's sockets. */
void acct_quotes_on_socket(struct acct_quotes *q, int fd, uint32_t events);

/* Milliseconds until acct_quotes_on_timeout() is due, 0 when it is now,
 * -1 when nothing waits on a timer. */
long acct_quotes_timeout_ms(const struct acct_quotes *q);
void acct_quotes_on_timeout(struct acct_quotes *q);

/* Calls started and not done yet. */
size_t acct_quotes_in_flight(const struct acct_quotes *q);

/* Frees the client. Call it with no call in flight: each ends within the
 * timeout, so an event loop that keeps running until
 * acct_quotes_in_flight() is 0 gets there. */
void acct_quotes_free(struct acct_quotes *q);

/* The fallback quote object of the contract; NULL when out of memory. */
cJSON *acct_quote_fallback(void) __attribute__((warn_unused_result));

#endif
