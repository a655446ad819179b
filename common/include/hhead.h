#ifndef DISCOVERY_HHEAD_H
#define DISCOVERY_HHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "hreq.h"

/*
 * A strict check of the head (request line and header fields) of the first
 * request of a connection, made on the bytes received so far, before
 * libmicrohttpd sees any of them (hfront.h): libmicrohttpd 0.9.75 answers
 * some bad heads itself, in HTML or not at all, and takes others it should
 * refuse. Pure, no libmicrohttpd here, so that the fuzzer links it.
 *
 * Accepted, as libmicrohttpd accepts them: empty lines before the request
 * line (RFC 9112 2.2), a bare LF as the end of a line, HTTP/1.0 to
 * HTTP/1.9 (a 1.x server takes a later minor version, RFC 9110 2.5).
 * Refused, always closing the connection: a request line that is not
 * "method SP target SP HTTP/d.d" (no space, no version, more spaces), a
 * major version other than 1 (505), a header line without a colon or
 * whose name is not a token, obsolete line folding, a control character
 * in a value, a Content-Length that is not 1*DIGIT, a NUL or a bare CR
 * anywhere, and a head past the limits (414 while the request line is
 * not in, 431 after).
 */
enum hhead_verdict {
	HHEAD_INCOMPLETE, /* no verdict yet: more bytes are needed */
	HHEAD_COMPLETE,	  /* a whole head, acceptable */
	HHEAD_REFUSED,	  /* see the refusal */
};

struct hhead_limits {
	size_t max_head;   /* bytes from the first one to the empty line's end */
	size_t max_fields; /* header lines */
};

struct hhead_result {
	struct hreq_refusal refusal; /* HHEAD_REFUSED: status, sentence, close */
	bool head;		     /* the method is HEAD: a refusal has no body */
	size_t length;		     /* HHEAD_COMPLETE: bytes of the head */
};

/* The verdict on buf[0, len), the first bytes of a connection. Give it at
 * least max_head + 1 bytes when that many arrived, so that a head past
 * the limit is told from one that is still coming. */
enum hhead_verdict hhead_check(const char *buf, size_t len, const struct hhead_limits *l,
			       struct hhead_result *out) __attribute__((warn_unused_result));

/* A tchar of RFC 9110 5.6.2: what a method and a field name are made of. */
bool hhead_is_tchar(unsigned char c);

#endif
