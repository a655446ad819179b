/*
 * HTTP routes of the registry.
 *
 * Threading: MHD_USE_INTERNAL_POLLING_THREAD with epoll and a pool of
 * h->threads workers (MHD_OPTION_THREAD_POOL_SIZE), each with its own epoll
 * set and its share of the connections, plus rwatch's watcher thread
 * (and its helpers), which holds the blocking queries and idle streams
 * taken out of MHD (rheld.h) and writes their answers, and the front
 * door's (rfront.c), which accepts and checks each connection's first
 * request head before MHD gets the socket. One connection is served
 * by one worker at a time, so what hangs off it (its struct request, its
 * hguard_conn, an event stream's state) needs no lock; everything the
 * workers share does: the table (subscriber's lock), the listing cache
 * (rlist's lock, bodies counted with atomics), the change feed (rfeed's
 * lock), the counts (h->mu), the per-client caps (peercap's lock), the
 * front door's counts (atomics, its handoffs under its lock), the waiters
 * and request deadlines (rwatch's lock; a held entry is its owner's, or
 * the one thread's that woke it; a resume of the rare query held inside
 * MHD reaches the worker through MHD's own lock). Handlers only
 * read the table and never touch AMQP. Responses are queued on the second
 * call of the access handler, after MHD has read the whole request, so
 * keep-alive connections stay open (queuing on the first call makes 0.9.75
 * close them); only a request with a body too large, or one whose framing
 * is in doubt (hguard_check), is answered on the first call, so that MHD
 * closes the connection instead of reading it. How answers are queued and
 * counted is rreply.c's (the two share registry/rhttp_int.h).
 *
 * One client cannot exhaust the server: it holds at most
 * max_per_client connections (refused at accept, as are connections past
 * max_connections), a connection must deliver
 * each request within the request timeout (rwatch shuts it down), held
 * queries and open streams are capped (503), and a held connection whose
 * client hung up is freed at once (rwatch).
 */
#include "registry/rhttp.h"
#include "registry/rhttp_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "registry/dashboard.h"
#include "registry/rheld.h"
#include "registry/rsse.h"
#include "registry/rstatus.h"
#include "timing.h"

#define MAX_URL 2048
#define DEFAULT_KEEPALIVE_MS 15000
/* Lets pages from any origin read the answers (dashboards, EventSource)
 * and see the index header: everything here is public and read-only. */
int rhttp_allow_browsers(struct MHD_Response *resp)
{
	if (MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*") == MHD_NO ||
	    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
				    "X-Registry-Index") == MHD_NO)
		return -1;
	return 0;
}

/* ---- routes ---- */

static enum MHD_Result add_length(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 2;
	return MHD_YES;
}

static enum MHD_Result serve_health(struct MHD_Connection *c, struct request *req)
{
	uint64_t index;
	cJSON *root = rstatus_health(req->h->sub, &index);

	return rreply_json(c, req, MHD_HTTP_OK, root, index);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c, struct request *req)
{
	struct rhttp *h = req->h;
	/* With a thread pool, MHD sums its workers' counts (without their
	 * locks: a figure of the moment, as any gauge). */
	const union MHD_DaemonInfo *conns =
		MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	struct rmetrics_http counts;
	enum MHD_Result rc;
	size_t len = 0;
	char *text;

	pthread_mutex_lock(&h->mu);
	counts = h->counts;
	pthread_mutex_unlock(&h->mu);
	text = rstatus_metrics(&(struct rstatus_sources){
				       .subscriber = h->sub,
				       .feed = h->feed,
				       .watch = h->watch,
				       .peers = h->peers,
				       .front = &h->front,
				       .connections = conns ? conns->num_connections : 0,
				       .threads = h->threads,
				       .counts = &counts,
				       .mirror = h->mirror,
			       },
			       &len);
	if (!text)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	rc = rreply_buffer(c, req, MHD_HTTP_OK, "text/plain; version=0.0.4", text, len,
		   subscriber_index(h->sub, NULL));
	free(text);
	return rc;
}

/* The dashboard's files: the browser revalidates them (ETag, 304) and may
 * run nothing that did not come from here (DASHBOARD_CSP). A 304 is made
 * from the whole file: libmicrohttpd then sends the Content-Length a 200
 * would have (RFC 9110 8.6) and no body. */
static enum MHD_Result serve_dashboard(struct MHD_Connection *c, struct request *req,
				       const char *url)
{
	const struct dashboard_file *f = dashboard_find(hreq_path(url));
	const char *inm;
	struct MHD_Response *resp;

	if (!f)
		return rreply_error(c, req, MHD_HTTP_NOT_FOUND, "no such route");
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	resp = MHD_create_response_from_buffer(f->len, (void *)f->body, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, f->etag) == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				    DASHBOARD_CACHE_CONTROL) == MHD_NO ||
	    MHD_add_response_header(resp, "Content-Security-Policy", DASHBOARD_CSP) == MHD_NO ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_NO ||
	    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_NO) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return rreply_response(c, req,
			       dashboard_etag_matches(inm, f->etag) ? MHD_HTTP_NOT_MODIFIED
								    : MHD_HTTP_OK,
			       f->type, resp, subscriber_index(req->h->sub, NULL));
}

/* ---- server-sent events ---- */

static enum MHD_Result serve_events(struct MHD_Connection *c, struct request *req,
				   const char *version, bool head)
{
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	struct MHD_Response *resp;
	enum rsse_refusal why;
	enum MHD_Result rc;
	uint64_t id;

	/* An empty id is no id (as EventSource resets it): a new stream. */
	if (last != NULL && last[0] == '\0')
		last = NULL;
	/* HEAD gets the stream's headers, not a stream: libmicrohttpd 0.9.75
	 * would follow a HEAD answer of unknown length with the chunked
	 * terminator, which the client reads as the next response. */
	if (head) {
		if (last != NULL && rquery_parse_u64(last, &id) < 0)
			return rreply_error(c, req, MHD_HTTP_BAD_REQUEST,
					   "Last-Event-ID must be an event id");
		return rreply_buffer(c, req, MHD_HTTP_OK, "text/event-stream", "", 0,
			     subscriber_index(req->h->sub, NULL));
	}
	resp = rsse_response(c, &(struct rsse_source){
					.sub = req->h->sub,
					.feed = req->h->feed,
					.watch = req->h->watch,
					.peers = req->h->peers,
					.keepalive_ms = req->h->keepalive_ms,
					.chunked = strcmp(version, MHD_HTTP_VERSION_1_1) == 0,
				}, last, &why);
	if (!resp) {
		switch (why) {
		case RSSE_BAD_ID:
			return rreply_error(c, req, MHD_HTTP_BAD_REQUEST,
					   "Last-Event-ID must be an event id");
		case RSSE_FULL:
			rreply_refusal(req->h, RMETRICS_REFUSED_STREAMS);
			return rreply_error(c, req, MHD_HTTP_SERVICE_UNAVAILABLE,
					   "too many event streams open; retry later");
		default:
			return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "out of memory");
		}
	}
	rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	rreply_count(req->h, req->route, MHD_HTTP_OK);
	return rc;
}

/* ---- dispatch ---- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **req_cls)
{
	struct request *req = *req_cls;
	size_t url_len = strlen(url);
	bool bad_name;

	(void)upload_data;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->h = cls;
		req->conn = hguard_conn_of(c);
		*req_cls = req;
		req->route = rroute_of(url, req->service, &bad_name);
		if (hguard_check(c, version, &req->refusal) < 0) {
			/* A refusal that closes is answered now: MHD then
			 * closes instead of reading a body it cannot frame. */
			if (req->refusal.close)
				return rreply_error(c, req, (int)req->refusal.status,
						   req->refusal.message);
			req->refused = true;
			return MHD_YES;
		}
		if (!hguard_body_too_large(c, req->h->max_body))
			return MHD_YES;
		rreply_refusal(req->h, RMETRICS_REFUSED_BODY);
		return rreply_error(c, req, MHD_HTTP_CONTENT_TOO_LARGE,
				   "no route takes a request body");
	}
	if (*upload_data_size) {
		if (req->conn)
			req->conn->consumed += *upload_data_size;
		*upload_data_size = 0; /* small bodies are read and ignored */
		return MHD_YES;
	}
	if (req->suspended)
		return rlisting_serve(c, req, version, strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
	/* The whole request is in: its deadline no longer applies (a held
	 * query or stream lasts as long as it needs). */
	if (req->conn) {
		const union MHD_ConnectionInfo *head =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);

		rwatch_deadline_disarm(req->h->watch, &req->conn->deadline);
		/* Unknown: never equal, so no query leaves libmicrohttpd. */
		req->conn->consumed += head ? head->header_size : UINT64_MAX / 2;
	}
	req->route = rroute_of(url, req->service, &bad_name);
	if (req->refused)
		return rreply_error(c, req, (int)req->refusal.status, req->refusal.message);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_length, &url_len);
	if (url_len > MAX_URL)
		return rreply_error(c, req, MHD_HTTP_URI_TOO_LONG, "URL too long");
	if (req->route == RROUTE_UNKNOWN)
		return rreply_error(c, req, MHD_HTTP_NOT_FOUND, "no such route");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_OPTIONS) != 0)
		return rreply_error(c, req, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "only GET, HEAD and OPTIONS are allowed");
	if (bad_name)
		return rreply_error(c, req, MHD_HTTP_BAD_REQUEST,
				   "service names match [a-z0-9][a-z0-9._-]{0,62}");
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
		return rreply_options(c, req);
	switch (req->route) {
	case RROUTE_DASHBOARD:
		return serve_dashboard(c, req, url);
	case RROUTE_SERVICES:
	case RROUTE_SERVICE:
		return rlisting_serve(c, req, version, strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
	case RROUTE_EVENTS:
		return serve_events(c, req, version, strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
	case RROUTE_TURBINE:
		return rreply_listing(c, req,
				      rlist_turbine(req->h->lists, req->service, rlisting_coding(c)));
	case RROUTE_HEALTH:
		return serve_health(c, req);
	case RROUTE_METRICS:
		return serve_metrics(c, req);
	case RROUTE_PROMETHEUS:
		return rhttp_sd_prometheus(c, req);
	case RROUTE_EUREKA:
		return rhttp_sd_eureka(c, req, url);
	default:
		return rreply_error(c, req, MHD_HTTP_NOT_FOUND, "no such route");
	}
}

/* The response went out: the connection's next request is due within the
 * request timeout, as an idle keep-alive connection is. */
static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct rhttp *h = cls;
	struct request *req = *req_cls;

	(void)c;
	(void)toe;
	/* Whether or not libmicrohttpd said so, a hand-over's message is
	 * past (rheld.h). */
	(void)rheld_expected_message();
	if (req && req->conn && !req->handed_over)
		rwatch_deadline_arm(h->watch, &req->conn->deadline);
	free(req);
	*req_cls = NULL;
}

static void connection_event(void *cls, struct MHD_Connection *c, void **socket_ctx,
			     enum MHD_ConnectionNotificationCode toe)
{
	struct rhttp *h = cls;
	struct hguard_conn *hc;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		hc = hguard_conn_start(h->peers, &h->front, c, socket_ctx);
		if (!hc)
			return;
		rwatch_deadline_arm(h->watch, &hc->deadline);
		/* What a held query on this socket read before (rheld.h). */
		if (!rheld_bytes_read(hc->deadline.fd, &hc->read_before))
			hc->read_before = UINT64_MAX / 2;
		return;
	}
	hc = *socket_ctx;
	/* MHD closes the socket after this returns: the deadline must not
	 * outlive it. */
	if (hc)
		rwatch_deadline_disarm(h->watch, &hc->deadline);
	hguard_conn_end(h->peers, socket_ctx);
	rwatch_connection_closed(h->watch);
}

/* libmicrohttpd's messages, in the registry's log, but for the one it
 * writes when it closes a connection handed over to rheld. */
static void log_daemon(void *cls, const char *fmt, va_list ap)
{
	if (!rheld_expected_message())
		log_http_server(cls, fmt, ap);
}

static void on_change(void *ctx, const char *service)
{
	rwatch_notify(ctx, service);
}

struct rhttp *rhttp_start(const struct rhttp_options *opts, char *err, size_t errlen)
{
	const struct rhttp_limits *l = &opts->limits;
	struct MHD_OptionItem pool[2] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
	struct rhttp *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->sub = opts->subscriber;
	h->feed = opts->feed;
	h->mirror = opts->mirror;
	h->keepalive_ms = opts->keepalive_ms > 0 ? opts->keepalive_ms : DEFAULT_KEEPALIVE_MS;
	h->max_body = l->max_body;
	h->threads = opts->threads > 0 ? opts->threads : 1;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		snprintf(err, errlen, "cannot create a mutex");
		return NULL;
	}
	h->lists = rlist_new(h->sub, 0, 0);
	h->peers = peercap_new(l->max_per_client, l->max_connections);
	if (!h->lists || !h->peers) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	h->watch = rwatch_new(&(struct rwatch_limits){
		.max_waiting = l->max_waiting,
		.max_streams = l->max_streams,
		.request_timeout_ms = l->request_timeout_ms,
		.threads = h->threads,
	});
	if (!h->watch) {
		snprintf(err, errlen, "cannot start the watcher thread");
		goto fail;
	}
	rfeed_set_notify(h->feed, on_change, h->watch);
	/* A pool of 1 (or 0) is a warning in MHD's log: the option is left
	 * out instead. */
	if (h->threads > 1)
		pool[0] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, h->threads, NULL};
	h->daemon = MHD_start_daemon(
		/* MHD_USE_TURBO: no shutdown() at close, which a socket handed
		 * over to rheld must not get (rheld.h). MHD_USE_ITC (implied
		 * by MHD_ALLOW_SUSPEND_RESUME, for the queries held inside it):
		 * the front door and rheld add connections from their threads. */
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET,
		0, NULL, NULL, handle, h,
		MHD_OPTION_EXTERNAL_LOGGER, log_daemon, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, connection_event, h,
		/* Each worker has its own epoll set; MHD_add_connection gives
		 * each socket from the front door to one of them (one thread:
		 * no pool, the one polling thread). */
		MHD_OPTION_ARRAY, pool,
		/* Over peercap's cap, so that peercap refuses (and counts)
		 * first: MHD's own limit refuses without a word. MHD divides
		 * it among its workers: each gets the whole of it. */
		MHD_OPTION_CONNECTION_LIMIT, ((unsigned int)l->max_connections + 1) * h->threads,
		/* Inactivity of a connection sending its request is the
		 * request deadline's business; this one ends a client that
		 * stops reading its answer. */
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
		/* Requests are small GETs (URLs over 2 KiB get 414): an 8 KiB
		 * pool holds one with its headers, and keeps each of thousands
		 * of held connections cheap (32 KiB by default). */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
		MHD_OPTION_UNESCAPE_CALLBACK, hguard_unescape, NULL,
		MHD_OPTION_END);
	if (!h->daemon) {
		snprintf(err, errlen, "cannot start the HTTP server");
		goto fail_notify;
	}
	if (rfront_start(h, opts, err, errlen) < 0)
		goto fail_daemon;
	return h;
fail_daemon:
	MHD_stop_daemon(h->daemon);
fail_notify:
	rfeed_set_notify(h->feed, NULL, NULL);
	rwatch_free(h->watch);
fail:
	peercap_free(h->peers);
	rlist_free(h->lists);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return NULL;
}

void rhttp_stop(struct rhttp *h)
{
	if (!h)
		return;
	/* Suspended connections must be resumed before MHD_stop_daemon. */
	rfront_stop(h);
	rfeed_set_notify(h->feed, NULL, NULL);
	rwatch_close(h->watch);
	MHD_stop_daemon(h->daemon);
	hfront_shared_destroy(&h->front, h->peers);
	rwatch_free(h->watch);
	peercap_free(h->peers);
	rlist_free(h->lists);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
