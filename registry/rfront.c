/*
 * The registry's front door (hfront.h): its own thread accepts on the
 * port, checks each connection's first request head and hands the good
 * ones to the daemon, which runs its own polling threads (MHD_add_connection
 * from another thread is safe with MHD_USE_ITC; with a thread pool it
 * gives the socket to a worker), as are the sockets of held queries once
 * answered (rheld_query.c). A refused head gets the answer any error of ours gets:
 * {"error":…,"status":N} with the common headers, counted by status under
 * the route "other".
 */
#include "registry/rhttp_int.h"

#include <stdio.h>

#include "registry/rrender.h"

#define RFRONT_BACKLOG 1024
/* The daemon's connection pool is 8 KiB (rhttp.c): a head of 4 KiB with
 * at most 64 header lines leaves room for what libmicrohttpd keeps of it
 * and for the response, so that it never answers 431 itself on a first
 * request. */
#define RFRONT_MAX_HEAD	  4096
#define RFRONT_MAX_FIELDS 64

static bool rfront_admit(void *cls, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct rhttp *h = cls;

	return MHD_add_connection(h->daemon, fd, sa, len) == MHD_YES;
}

bool rfront_readmit(struct rhttp *h, int fd, struct peercap_peer *peer)
{
	return hfront_readmit(&h->front, h->peers, fd, peer, rfront_admit, h);
}

static size_t rfront_refuse(void *cls, const struct hreq_refusal *why, bool head, char *buf,
			    size_t cap)
{
	struct rhttp *h = cls;
	char *body = rrender_error((int)why->status, why->message);
	char extra[256];
	size_t len;

	rreply_count(h, RROUTE_UNKNOWN, (int)why->status);
	if (!body)
		return 0;
	snprintf(extra, sizeof(extra),
		 "X-Registry-Index: %llu\r\nCache-Control: no-store\r\n"
		 "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: X-Registry-Index\r\n",
		 (unsigned long long)subscriber_index(h->sub, NULL));
	len = hfront_answer(buf, cap, why->status, extra, body, head);
	cJSON_free(body);
	return len;
}

int rfront_start(struct rhttp *h, const struct rhttp_options *o, char *err, size_t errlen)
{
	struct hfront *f;
	int port;
	int fd;

	h->front.max_pending = o->limits.max_pending;
	if (hfront_shared_init(&h->front) < 0) {
		snprintf(err, errlen, "cannot create a mutex");
		return -1;
	}
	fd = hfront_listen(o->port, RFRONT_BACKLOG, &port, err, errlen);
	if (fd < 0)
		goto fail;
	f = hfront_new(&(struct hfront_options){
		.listen_fd = fd,
		.limits = {.max_head = RFRONT_MAX_HEAD, .max_fields = RFRONT_MAX_FIELDS},
		.timeout_ms = o->limits.request_timeout_ms,
		.peers = h->peers,
		.shared = &h->front,
		.admit = rfront_admit,
		.refuse = rfront_refuse,
		.cls = h,
	});
	h->front_thread = f ? hfront_thread_start(f) : NULL;
	if (!h->front_thread) {
		hfront_free(f);
		snprintf(err, errlen, "cannot start the front door");
		goto fail;
	}
	return 0;
fail:
	hfront_shared_destroy(&h->front, h->peers);
	return -1;
}

void rfront_stop(struct rhttp *h)
{
	hfront_thread_stop(h->front_thread);
	h->front_thread = NULL;
}
