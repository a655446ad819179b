#ifndef DISCOVERY_HREQ_H
#define DISCOVERY_HREQ_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The checks of an HTTP request that both servers make and libmicrohttpd
 * 0.9.75 does not (docs/api.md lists which is whose): framing a proxy in
 * front could read otherwise (request smuggling), a missing Host, a %00
 * that would cut a path or parameter short, a query parameter given twice.
 * No libmicrohttpd here, so that the fuzzers link it.
 */

/* One header or query parameter as libmicrohttpd hands it over; value is
 * NULL for a parameter without "=". */
struct hreq_field {
	const char *key;
	const char *value;
};

struct hreq_request {
	const char *version; /* "HTTP/1.1", "HTTP/1.0" */
	const struct hreq_field *headers;
	size_t nheaders;
	struct hreq_field *args; /* hreq_check sorts them by key */
	size_t nargs;
	bool nul_escape; /* the target held %00 (see hguard_unescape) */
};

/* Why a request is refused: the status, a sentence for the JSON body, and
 * whether the connection must close after it (its framing is in doubt, so
 * the next request could not be found). */
struct hreq_refusal {
	unsigned status;
	const char *message;
	bool close;
};

/* 0 when r may be served, else -1 with *out filled. */
int hreq_check(const struct hreq_request *r, struct hreq_refusal *out)
	__attribute__((warn_unused_result));

/* The path of a request target: itself in origin form ("/x"), the part
 * after the authority in absolute form ("http://host:port/x", which
 * servers must accept, RFC 9112 3.2.2; "/" when there is none). */
const char *hreq_path(const char *target);

#endif
