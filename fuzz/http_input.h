#ifndef DISCOVERY_FUZZ_HTTP_INPUT_H
#define DISCOVERY_FUZZ_HTTP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hreq.h"

/*
 * The HTTP fuzzers' reading of their input as one request, the way
 * libmicrohttpd 0.9.75 hands it to our handlers: the request line split
 * into method, target and version, "Name: value" header lines up to the
 * empty one, the target cut at "?" into a path decoded as
 * hguard_unescape does (a %00 marks the request and leaves it undecoded)
 * and parameters split at "&" and "=", "+" read as a space.
 */
#define HTTP_INPUT_MAX	  4096
#define HTTP_INPUT_FIELDS 128

struct http_input {
	char text[HTTP_INPUT_MAX + 1]; /* the pieces below point into it */
	const char *method, *path;
	struct hreq_field headers[HTTP_INPUT_FIELDS], args[HTTP_INPUT_FIELDS];
	struct hreq_request req;
};

/* 0, or -1 for an input libmicrohttpd would refuse before our handlers
 * (no request line, a header line without a colon, too long). */
int http_input_parse(const uint8_t *data, size_t size, struct http_input *in);

/* Parses the input and runs hreq_check on it: true when the request gets
 * to the routing; a refusal must carry a 400 or 501 and a message. */
bool http_input_accepted(const uint8_t *data, size_t size, struct http_input *in);

/* The value of a header (case-insensitive), NULL when absent. */
const char *http_input_header(const struct http_input *in, const char *key);

#endif
