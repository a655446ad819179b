#ifndef DISCOVERY_ACCT_HTTP_H
#define DISCOVERY_ACCT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "accountservice/acct_metrics.h"
#include "accountservice/acct_store.h"

/*
 * The accountservice HTTP API on libmicrohttpd:
 *   GET /accounts/{id}                 the account, servedBy and a quote
 *   GET /health                        200 UP, or 503 DOWN
 *   GET /testability/healthy/{bool}    flips the health flag (404 when off)
 *   GET /metrics                       Prometheus text
 * Anything else: JSON 404 (path), 405 (method), 413 (a request body over
 * max_body) or 414 (URL over 2 KiB).
 */
#define ACCT_HTTP_URI_MAX 2048

struct acct_http;

struct acct_http_options {
	int port;		  /* 0: any free port, see acct_http_port() */
	struct acct_store *store; /* NULL: not open; /health says DOWN */
	const char *served_by;	  /* the advertised address */
	const char *quotes_url;
	long quotes_timeout_ms;
	long quotes_close_wait_ms; /* see acct_quotes_new() */
	struct acct_balance *quotes_balance; /* NULL: every call to quotes_url */
	struct acct_metrics *metrics;
	/* true: /testability/healthy/... answers 404, for production. */
	bool testability_off;
	/* What one client may hold (every one an option, see acct_config.c). */
	size_t max_connections;	    /* over all loops; 0: 1000 */
	size_t max_per_client;	    /* connections per client address; 0: no cap */
	int64_t request_timeout_ms; /* a whole request, from accept or the last
				     * response; 0: no deadline */
	uint64_t max_body;	    /* bytes of an (ignored) request body */
	size_t max_pending;	    /* connections waiting for their first head; 0: no cap */
	/* Called from an HTTP thread when /testability/healthy flips the flag. */
	void (*on_health)(void *arg, bool healthy);
	void *on_health_arg;
};

/* Starts serving; the options' pointers must outlive the server. NULL with
 * a sentence in err. */
struct acct_http *acct_http_start(const struct acct_http_options *o, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int acct_http_port(const struct acct_http *h);
bool acct_http_is_healthy(const struct acct_http *h);
/* Stops accepting, waits for requests in flight, frees everything. */
void acct_http_stop(struct acct_http *h);

#endif
