/* Request checks shared by both HTTP servers; see hreq.h. */
#include "hreq.h"
#include "hhead.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool hreq_refuse(struct hreq_refusal *out, unsigned status, const char *message, bool close)
{
	out->status = status;
	out->message = message;
	out->close = close;
	return true;
}

/* RFC 9110 5.1: a field name is a token; libmicrohttpd 0.9.75 takes
 * "Bad Name: x" as a header called "Bad Name". */
static bool hreq_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!hhead_is_tchar((unsigned char)*s))
			return false;
	return true;
}

static bool hreq_all_digits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/*
 * The body framing: libmicrohttpd reads the first Content-Length only (a
 * proxy that reads the last one would see another request in the rest),
 * prefers Transfer-Encoding to it, and waits for the end of a body in a
 * transfer coding it does not implement. Each such request is refused
 * and its connection closed.
 */
static bool hreq_bad_framing(const struct hreq_request *r, struct hreq_refusal *out)
{
	const char *length = NULL, *coding = NULL;
	size_t hosts = 0;

	for (size_t i = 0; i < r->nheaders; i++) {
		const struct hreq_field *h = &r->headers[i];
		const char *v = h->value != NULL ? h->value : "";

		if (!hreq_is_token(h->key))
			return hreq_refuse(out, 400, "a header name is a token: no spaces", true);
		if (strcasecmp(h->key, "Host") == 0)
			hosts++;
		if (strcasecmp(h->key, "Transfer-Encoding") == 0) {
			if (coding != NULL || strcasecmp(v, "chunked") != 0)
				return hreq_refuse(
					out, 501, "the only transfer coding implemented is chunked",
					true);
			coding = v;
		}
		if (strcasecmp(h->key, "Content-Length") == 0) {
			if (!hreq_all_digits(v))
				return hreq_refuse(out, 400,
						   "Content-Length must be a decimal number", true);
			if (length != NULL && strcmp(length, v) != 0)
				return hreq_refuse(out, 400, "conflicting Content-Length values",
						   true);
			length = v;
		}
	}
	if (length != NULL && coding != NULL)
		return hreq_refuse(out, 400, "Content-Length and Transfer-Encoding together", true);
	/* RFC 9112 3.2: exactly one Host in an HTTP/1.1 request. */
	if (hosts > 1 ||
	    (hosts == 0 && r->version != NULL && strncmp(r->version, "HTTP/1.", 7) == 0 &&
	     strcmp(r->version, "HTTP/1.0") != 0))
		return hreq_refuse(out, 400, "an HTTP/1.1 request needs one Host header", true);
	return false;
}

static int hreq_by_key(const void *a, const void *b)
{
	return strcmp(((const struct hreq_field *)a)->key, ((const struct hreq_field *)b)->key);
}

int hreq_check(const struct hreq_request *r, struct hreq_refusal *out)
{
	if (hreq_bad_framing(r, out))
		return -1;
	if (r->nul_escape) {
		hreq_refuse(out, 400, "%00 is not allowed in the path or query", false);
		return -1;
	}
	/* Repeated keys would be read first-wins here and last-wins
	 * elsewhere: say so instead of guessing. Sorted, a repeat is next to
	 * its twin, at n log n for thousands of parameters in a long URL. */
	if (r->nargs > 1)
		qsort(r->args, r->nargs, sizeof(r->args[0]), hreq_by_key);
	for (size_t i = 1; i < r->nargs; i++)
		if (strcmp(r->args[i].key, r->args[i - 1].key) == 0) {
			hreq_refuse(out, 400, "a query parameter is given twice", false);
			return -1;
		}
	return 0;
}

const char *hreq_path(const char *target)
{
	const char *rest, *slash;

	if (strncasecmp(target, "http://", 7) == 0)
		rest = target + 7;
	else if (strncasecmp(target, "https://", 8) == 0)
		rest = target + 8;
	else
		return target;
	slash = strchr(rest, '/');
	return slash != NULL ? slash : "/";
}
