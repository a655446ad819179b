#ifndef DISCOVERY_REGISTRY_RHTTP_INT_H
#define DISCOVERY_REGISTRY_RHTTP_INT_H

/*
 * Internal to rhttp.c, rreply.c, rhttp_sd.c, rfront.c, rlisting.c and
 * rheld_query.c, not part of the API: the server is one module split over
 * these files (its requests and routes, how answers are queued and
 * counted, the discovery routes of other tools, the front door, the
 * listings, the held queries), and all need the structs. Callers use
 * registry/rhttp.h, where struct rhttp stays opaque.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "hfront.h"
#include "hguard.h"
#include "hreq.h"
#include "registry/rmetrics.h"
#include "registry/rlist.h"
#include "registry/rquery.h"
#include "registry/rhttp.h"
#include "registry/rroute.h"
#include "registry/rwatch.h"

struct rhttp {
	struct MHD_Daemon *daemon;
	struct rwatch *watch;
	struct subscriber *sub;
	struct rmirror *mirror;
	struct rfeed *feed;
	struct rlist *lists;
	struct peercap *peers;
	struct hfront_shared front;
	struct hfront_thread *front_thread;
	int64_t keepalive_ms;
	uint64_t max_body;
	unsigned int threads;
	pthread_mutex_t mu; /* guards counts */
	struct rmetrics_http counts;
};

struct request {
	struct rhttp *h;
	enum rroute route;
	bool refused; /* on the first call, to be answered on the second */
	struct hreq_refusal refusal;
	char service[TOKEN_SERVICE_MAX + 1];
	struct rquery q;
	bool handed_over; /* to rheld: the connection closes, the socket lives on */
	/* A query held inside libmicrohttpd (rheld_query.c): suspended,
	 * answered on the call after its resume (full: with the 503). */
	bool suspended, full;
	struct MHD_Connection *c;
	struct rwatch_entry entry;
	struct hguard_conn *conn; /* NULL when it had no memory */
};

/* Request counts by route and status, and refusals by limit (/metrics). */
void rreply_count(struct rhttp *h, enum rroute r, int status);
void rreply_refusal(struct rhttp *h, enum rmetrics_refusal why);

/* Each queues an answer with the common headers (type, X-Registry-Index,
 * no-store unless resp has its own Cache-Control, CORS; Allow on a 405)
 * and counts it; MHD_NO only when MHD cannot take it. rreply_response
 * takes resp (NULL: MHD_NO). */
enum MHD_Result rreply_response(struct MHD_Connection *c, struct request *req, int status,
				const char *type, struct MHD_Response *resp, uint64_t index);
enum MHD_Result rreply_buffer(struct MHD_Connection *c, struct request *req, int status,
			      const char *type, const char *body, size_t len, uint64_t index);
/* {"error":message,"status":status} */
enum MHD_Result rreply_error(struct MHD_Connection *c, struct request *req, int status,
			     const char *message);
/* Takes root (NULL: no memory, 500). */
enum MHD_Result rreply_json(struct MHD_Connection *c, struct request *req, int status, cJSON *root,
			    uint64_t index);
/* The gzip counts of a listing answered (nothing for a plain one). */
void rreply_count_listing(struct rhttp *h, const struct rlist_body *b);
/* A listing sent in pieces from its references; takes the reference. */
enum MHD_Result rreply_listing(struct MHD_Connection *c, struct request *req, struct rlist_body *b);
/* GET /prometheus/targets and /eureka/apps… (rhttp_sd.c). */
enum MHD_Result rhttp_sd_prometheus(struct MHD_Connection *c, struct request *req);
enum MHD_Result rhttp_sd_eureka(struct MHD_Connection *c, struct request *req, const char *url);
/* GET /services and /services/{name} (rlisting.c); a resumed held query
 * comes back here. */
enum MHD_Result rlisting_serve(struct MHD_Connection *c, struct request *req, const char *version,
			       bool head);
/* The coding a client takes a listing in, from its Accept-Encoding lines. */
enum rgzip_choice rlisting_coding(struct MHD_Connection *c);
/* The front door (rfront.c): listens on the port, checks every first
 * request head and hands the good ones to h->daemon. */
int rfront_start(struct rhttp *h, const struct rhttp_options *o, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* A held query's socket goes back to h->daemon for its next request
 * (hfront_readmit). */
bool rfront_readmit(struct rhttp *h, int fd, struct peercap_peer *peer);
/* A blocking query that waits is held (rheld_query.c, rheld.h): taken out
 * of libmicrohttpd (RHELD_TAKEN: the handler returns MHD_NO at once and
 * the watcher answers), or, when libmicrohttpd has read past it,
 * suspended (RHELD_SUSPENDED: the handler returns MHD_YES and answers on
 * the call after the resume, req->full saying whether with the 503).
 * Else the handler answers now (RHELD_NOW) or refuses (RHELD_FULL). */
enum rheld_query_result { RHELD_TAKEN, RHELD_SUSPENDED, RHELD_NOW, RHELD_FULL };
enum rheld_query_result rheld_query(struct MHD_Connection *c, struct request *req,
				    const char *version, bool head, enum rgzip_choice coding)
	__attribute__((warn_unused_result));
void rfront_stop(struct rhttp *h);
/* 204 to OPTIONS, a CORS preflight among them. */
enum MHD_Result rreply_options(struct MHD_Connection *c, struct request *req);

#endif
