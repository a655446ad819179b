#ifndef DISCOVERY_REGISTRY_RCONFIG_H
#define DISCOVERY_REGISTRY_RCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* The registry's configuration: defaults, then environment, then flags. */
struct rconfig {
	const char *amqp_url;
	const char *amqp_tls_ca;
	int port;
	const char *exchange;
	const char *secret;
	long max_instances;
	long max_services;
	long max_per_service;
	int64_t max_ttl_ms;
	long max_departures;
	long queue_max;
	long max_connections;
	long max_per_client;
	long max_waiting;
	long max_streams;
	int64_t request_timeout_ms;
	long max_body;
	long max_pending;
	long http_threads; /* after loading: 1 or more */
	const char *legacy_queue;
	const char *legacy_service;
	int64_t legacy_ttl_ms;
	int64_t failover_grace_ms;
	const char *legacy_out_queue;    /* "": no out-bridge */
	const char *legacy_out_services; /* comma-separated; "": all */
	int64_t legacy_out_ttl_ms;       /* 0: messages wait for ever */
	enum log_level log_level;
};

/* 0, CONFIG_HELP (help printed: exit 0) or negative with err (exit 2). */
int rconfig_load(struct rconfig *c, int argc, char **argv, char *err,
		 size_t errlen) __attribute__((warn_unused_result));

#endif
