#ifndef DISCOVERY_ACCT_PATH_H
#define DISCOVERY_ACCT_PATH_H

#include <stdbool.h>

#include "accountservice/acct_metrics.h"

/*
 * The accountservice's routes and their path parameters, from a decoded
 * request target: no libmicrohttpd here, so that the HTTP fuzzer
 * (fuzz/fuzz_http_account.c) links it.
 */
#define ACCT_PATH_ID_MAX 32

/* The route of target (origin or absolute form), and in *param the rest
 * after its prefix for the routes with a parameter (NULL otherwise). */
enum acct_route acct_path_route(const char *target, const char **param);

/* An account id: 1 to ACCT_PATH_ID_MAX digits and nothing else. */
bool acct_path_id_is_valid(const char *id);

/* The value of /testability/healthy/{true|false}: 0 with *healthy set, or
 * -1 for anything else. */
int acct_path_flag(const char *value, bool *healthy) __attribute__((warn_unused_result));

#endif
