#ifndef DISCOVERY_REGISTRY_RGZIP_H
#define DISCOVERY_REGISTRY_RGZIP_H

#include <stddef.h>

/*
 * gzip content coding of the listings: what a client's Accept-Encoding
 * allows (RFC 9110, section 12.5.3), and the deflate itself (zlib).
 */

/* Bodies shorter than this go out plain when the client also takes them
 * plain: gzip's 18-byte frame and the client's inflate buy nothing there. */
#define RGZIP_MIN_BYTES 1024

enum rgzip_choice {
	RGZIP_IDENTITY,	 /* send it plain */
	RGZIP_GZIP,	 /* gzip preferred, plain acceptable: gzip unless small */
	RGZIP_GZIP_ONLY, /* identity refused (identity;q=0, or *;q=0) but gzip taken */
};

/* The coding to answer a request with, from its Accept-Encoding value (NULL
 * when the header is absent: plain, as browsers and curl without
 * --compressed expect). gzip (or x-gzip) is chosen when its weight is above
 * 0 and not below identity's; a coding not named takes the weight of "*"
 * when given; a malformed element is ignored. */
enum rgzip_choice rgzip_choose(const char *accept_encoding);

/* A gzip member built from pieces of text given in order:
 * rgzip_begin(hint: the text's whole length, to size the output), then
 * rgzip_add() for each piece, then rgzip_end(), which frees the stream and
 * hands over the output (free() it). Each returns NULL or -1 on no memory;
 * rgzip_end() also frees a stream whose rgzip_add() failed. */
struct rgzip;
struct rgzip *rgzip_begin(size_t hint) __attribute__((warn_unused_result));
int rgzip_add(struct rgzip *z, const char *text, size_t len) __attribute__((warn_unused_result));
int rgzip_end(struct rgzip *z, char **out, size_t *out_len) __attribute__((warn_unused_result));

#endif
