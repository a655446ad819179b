/* How the registry's HTTP answers are queued and counted; see rhttp_int.h. */
#include "registry/rhttp_int.h"

#include <stdio.h>
#include <string.h>

#include "registry/rrender.h"
#include "registry/rhttp.h"

void rreply_count(struct rhttp *h, enum rroute r, int status)
{
	pthread_mutex_lock(&h->mu);
	h->counts.requests[r][rmetrics_code_slot(status)]++;
	pthread_mutex_unlock(&h->mu);
}

void rreply_refusal(struct rhttp *h, enum rmetrics_refusal why)
{
	pthread_mutex_lock(&h->mu);
	h->counts.refused[why]++;
	pthread_mutex_unlock(&h->mu);
}

/* Adds the common headers to resp (destroyed here) and queues it. An
 * answer is not to be stored unless resp says otherwise (the dashboard's
 * files, which revalidate). */
enum MHD_Result rreply_response(struct MHD_Connection *c, struct request *req, int status,
				const char *type, struct MHD_Response *resp, uint64_t index)
{
	enum MHD_Result rc;
	char idx[24];

	if (!resp)
		return MHD_NO;
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)index);
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO ||
	    MHD_add_response_header(resp, "X-Registry-Index", idx) == MHD_NO ||
	    (!MHD_get_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL) &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_NO) ||
	    rhttp_allow_browsers(resp) < 0 ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, RROUTE_METHODS) == MHD_NO)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	rreply_count(req->h, req->route, status);
	return rc;
}

enum MHD_Result rreply_buffer(struct MHD_Connection *c, struct request *req, int status,
			      const char *type, const char *body, size_t len, uint64_t index)
{
	return rreply_response(
		c, req, status, type,
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY), index);
}

enum MHD_Result rreply_error(struct MHD_Connection *c, struct request *req, int status,
			     const char *message)
{
	char *body = rrender_error(status, message);
	enum MHD_Result rc;

	if (!body)
		return MHD_NO;
	rc = rreply_buffer(c, req, status, "application/json", body, strlen(body),
			   subscriber_index(req->h->sub, NULL));
	cJSON_free(body);
	return rc;
}

/* Takes ownership of root (NULL: no memory, 500). */
enum MHD_Result rreply_json(struct MHD_Connection *c, struct request *req, int status, cJSON *root,
			    uint64_t index)
{
	char *body = root ? cJSON_PrintUnformatted(root) : NULL;
	enum MHD_Result rc;

	cJSON_Delete(root);
	if (!body)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	rc = rreply_buffer(c, req, status, "application/json", body, strlen(body), index);
	cJSON_free(body);
	return rc;
}

void rreply_count_listing(struct rhttp *h, const struct rlist_body *b)
{
	if (!b->gzip)
		return;
	pthread_mutex_lock(&h->mu);
	h->counts.gzip_answers++;
	h->counts.gzip_saved_bytes += b->plain_len > b->len ? b->plain_len - b->len : 0;
	pthread_mutex_unlock(&h->mu);
}

/* The largest piece a listing is sent in: a 40 MB listing goes out 64 KiB
 * at a time, interleaved with the other connections of its HTTP thread. */
#define LISTING_BLOCK (64u << 10)

/* A listing in one piece (a cached one, rlist.h) is sent from its buffer,
 * which the response holds a reference to; another is sent in pieces from
 * its references. Takes the reference. Both forms carry Vary: a cache in
 * between must not hand the gzip form to a client that did not ask for
 * it, nor the plain one to every client. */
enum MHD_Result rreply_listing(struct MHD_Connection *c, struct request *req, struct rlist_body *b)
{
	struct MHD_Response *resp;
	struct rlist_reader *r;
	uint64_t index;
	size_t len;
	bool gzip;

	if (!b)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	index = b->index;
	len = b->len;
	gzip = b->gzip;
	rreply_count_listing(req->h, b);
	if (b->nparts == 1) {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			len, (void *)b->parts[0].text, rlist_release, b);
		if (!resp) {
			rlist_release(b);
			return MHD_NO;
		}
	} else {
		r = rlist_reader_new(b);
		if (!r)
			return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
					    "out of memory");
		/* A small listing's block is its size (+ 1: MHD refuses a 0). */
		resp = MHD_create_response_from_callback(
			len, len < LISTING_BLOCK ? len + 1 : LISTING_BLOCK, rlist_reader_read, r,
			rlist_reader_free);
		if (!resp) {
			rlist_reader_free(r);
			return MHD_NO;
		}
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
				    MHD_HTTP_HEADER_ACCEPT_ENCODING) == MHD_NO ||
	    (gzip && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") ==
			     MHD_NO)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return rreply_response(c, req, MHD_HTTP_OK, "application/json", resp, index);
}

/* OPTIONS, a CORS preflight among them: a page on another origin may
 * send what EventSource and fetch send (Last-Event-ID on a reconnect). */
enum MHD_Result rreply_options(struct MHD_Connection *c, struct request *req)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, RROUTE_METHODS) == MHD_NO ||
	    rhttp_allow_browsers(resp) < 0 ||
	    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, HEAD") == MHD_NO ||
	    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
				    "Last-Event-ID, Cache-Control, Accept, Content-Type") ==
		    MHD_NO ||
	    MHD_add_response_header(resp, "Access-Control-Max-Age", "86400") == MHD_NO) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	rc = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	rreply_count(req->h, req->route, MHD_HTTP_NO_CONTENT);
	return rc;
}
