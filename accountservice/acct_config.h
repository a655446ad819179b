#ifndef DISCOVERY_ACCT_CONFIG_H
#define DISCOVERY_ACCT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* accountservice configuration: defaults, then environment, then flags. */
struct acct_config {
	const char *amqp_url;
	const char *amqp_tls_ca;
	const char *service_name;
	int port;
	const char *exchange;
	int64_t interval_ms;
	const char *secret;
	const char *advertise_addr;
	const char *advertise_cidr;
	const char *quotes_url;
	const char *quotes_discovery; /* "": every call to quotes_url */
	long quotes_timeout_ms;
	long quotes_close_wait_ms;
	const char *db_path;
	long max_connections;
	long max_per_client;
	int64_t request_timeout_ms;
	long max_body;
	long max_pending;
	enum log_level log_level;
	int testability; /* 0: /testability/healthy/... answers 404 */
};

/*
 * Fills *c. Returns 0, CONFIG_HELP after printing --help, or a negative
 * code with a one-line message in err (the caller exits with 2).
 */
int acct_config_load(struct acct_config *c, int argc, char **argv, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
