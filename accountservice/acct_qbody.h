#ifndef DISCOVERY_ACCT_QBODY_H
#define DISCOVERY_ACCT_QBODY_H

#include <cjson/cJSON.h>
#include <stddef.h>

/*
 * The body of a quotes-service answer, checked before anything of it is
 * copied into the accountservice's own JSON: without libcurl, so that its
 * tests need no server.
 */

/* The three string fields of a quotes-service body as a new object; NULL
 * when the body is not such an object, is not valid UTF-8 or holds a NUL
 * (a failed call: the fallback is served), or when out of memory. */
cJSON *acct_qbody_parse(const char *body, size_t len) __attribute__((warn_unused_result));

#endif
