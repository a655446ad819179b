#include "aggregator/aggr_http.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator/aggr_metrics.h"
#include "aggregator/aggr_render.h"
#include "hguard.h"
#include "hreq.h"
#include "log.h"
#include "token.h"

#define JSON_TYPE "application/json"
/* An idle keep-alive connection is closed after this. */
#define HTTP_IDLE_TIMEOUT_S 30

struct aggr_http {
	struct aggr_http_options o;
	struct MHD_Daemon *daemon;
};

/* The routes' inputs for aggr_table_read. */
struct http_render {
	const char *service; /* NULL: /status */
	char *text;
};

static enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, char *text,
				 void (*release)(void *), const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (text == NULL) {
		static const char oom[] = "{\"error\":\"out of memory\"}";
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		type = JSON_TYPE;
		r = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
						    MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, release);
		if (r == NULL)
			release(text);
	}
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A JSON error body {"error":message}. */
static enum MHD_Result http_error(struct MHD_Connection *c, unsigned status, const char *message)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	if (o != NULL && cJSON_AddStringToObject(o, "error", message))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return http_send(c, status, text, cJSON_free, JSON_TYPE);
}

static void http_render_fn(void *ctx, const struct aggr_member *const *members, size_t n)
{
	struct http_render *r = ctx;

	r->text = r->service ? aggr_render_turbine(members, n, r->service)
			     : aggr_render_status(members, n);
}

static enum MHD_Result http_health(struct aggr_http *h, struct MHD_Connection *c)
{
	struct subscriber_stats st;
	struct aggr_table_stats ts;
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	subscriber_stats(h->o.sub, &st);
	aggr_table_stats(h->o.table, &ts);
	/* 200 also while the feed is down: the last checks are still the
	 * best answer there is. */
	if (o != NULL && cJSON_AddStringToObject(o, "status", st.stale ? "STALE" : "UP") &&
	    cJSON_AddStringToObject(o, "amqp",
				    st.blocked	   ? "blocked"
				    : st.connected ? "connected"
						   : "down") &&
	    cJSON_AddNumberToObject(o, "members", (double)ts.members) &&
	    cJSON_AddNumberToObject(o, "healthy", (double)ts.healthy))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return http_send(c, MHD_HTTP_OK, text, cJSON_free, JSON_TYPE);
}

static enum MHD_Result http_route(struct aggr_http *h, struct MHD_Connection *c, const char *url)
{
	static const char turbine[] = "/turbine/";
	struct http_render r = {0};
	const char *path = hreq_path(url);

	if (strcmp(path, "/status") == 0) {
		aggr_table_read(h->o.table, http_render_fn, &r);
		return http_send(c, MHD_HTTP_OK, r.text, cJSON_free, JSON_TYPE);
	}
	if (strncmp(path, turbine, sizeof(turbine) - 1) == 0) {
		r.service = path + sizeof(turbine) - 1;
		if (!token_service_is_valid(r.service))
			return http_error(c, MHD_HTTP_BAD_REQUEST,
					  "a service name is [a-z0-9][a-z0-9._-]{0,62}");
		aggr_table_read(h->o.table, http_render_fn, &r);
		return http_send(c, MHD_HTTP_OK, r.text, cJSON_free, JSON_TYPE);
	}
	if (strcmp(path, "/health") == 0)
		return http_health(h, c);
	if (strcmp(path, "/metrics") == 0)
		return http_send(c, MHD_HTTP_OK,
				 aggr_metrics_text(h->o.table, h->o.check, h->o.sub), free,
				 "text/plain; version=0.0.4");
	return http_error(c, MHD_HTTP_NOT_FOUND,
			  "no such route: GET /status, /turbine/{service}, /health or /metrics");
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **req_cls)
{
	static int marker;
	struct aggr_http *h = cls;
	struct hreq_refusal refusal;
	(void)upload_data;

	/* The first call only marks the request: a response queued before
	 * MHD has read it all would close the connection after it. */
	if (*req_cls == NULL) {
		*req_cls = &marker;
		/* Refused unread, on the first call, so that MHD closes the
		 * connection instead of reading the body on. */
		if (hguard_body_too_large(c, 0))
			return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					  "these routes take no request body");
		if (hguard_check(c, version, &refusal) < 0)
			return http_error(c, refusal.status, refusal.message);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served");
	return http_route(h, c, url);
}

struct aggr_http *aggr_http_start(const struct aggr_http_options *o, char *err, size_t errlen)
{
	struct aggr_http *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->o = *o;
	h->daemon = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)o->port, NULL, NULL,
		http_access, h, MHD_OPTION_EXTERNAL_LOGGER, log_http_server, NULL,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->max_per_client,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on port %d", o->port);
		free(h);
		return NULL;
	}
	return h;
}

void aggr_http_stop(struct aggr_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
