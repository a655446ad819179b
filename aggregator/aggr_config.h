#ifndef DISCOVERY_AGGR_CONFIG_H
#define DISCOVERY_AGGR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* The services AGGREGATOR_SERVICES may name at most. */
#define AGGR_CONFIG_SERVICES_MAX 64

/* aggregator configuration: defaults, then environment, then flags. */
struct aggr_config {
	const char *amqp_url;
	const char *amqp_tls_ca;
	const char *exchange;
	const char *secret;
	const char *services_text; /* comma-separated; "": every service */
	int port;
	int64_t interval_ms;
	int64_t timeout_ms;
	long max_parallel;
	long max_members;
	int64_t keep_down_ms; /* 0: the member's ttl plus one interval */
	long max_connections;
	long max_per_client;
	enum log_level log_level;
	/* services_text split, NULL-terminated; services[0] NULL: all. */
	char services_buf[AGGR_CONFIG_SERVICES_MAX * 64];
	const char *services[AGGR_CONFIG_SERVICES_MAX + 1];
};

/*
 * Fills *c. Returns 0, CONFIG_HELP after printing --help, or a negative
 * code with a one-line message in err (the caller exits with 2).
 */
int aggr_config_load(struct aggr_config *c, int argc, char **argv, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Splits a comma-separated list of service names into c->services:
 * 0, or -1 with a sentence in err (a bad name, too many, too long). */
int aggr_config_services(struct aggr_config *c, const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
