#include "accountservice/acct_routes.h"
#include "accountservice/acct_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hguard.h"
#include "log.h"
#include "timing.h"

#define JSON_TYPE     "application/json"

/* Per-request state, created by the URI callback (which sees the whole
 * request target, query included) and freed when the request completes. */
struct http_req {
	struct acct_routes *routes;
	struct MHD_Connection *connection;
	size_t uri_len;
	int64_t start_us;
	struct hguard_conn *conn; /* NULL when it had no memory */
	bool seen;
	bool refused; /* on the first call, answered on the last */
	struct hreq_refusal refusal;
	enum acct_route route;
	unsigned status;
	/* An account waiting for its quote, then its response. */
	char id[ACCT_PATH_ID_MAX + 1];
	char name[ACCT_STORE_NAME_MAX];
	struct MHD_Response *ready;
	unsigned ready_status;
};

static const char oom_body[] = "{\"error\":\"out of memory\"}";

static int64_t routes_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void *acct_routes_begin(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct acct_routes *routes = cls;
	struct http_req *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->routes = routes;
	r->connection = c;
	r->uri_len = strlen(uri);
	r->start_us = routes_now_us();
	r->route = ACCT_ROUTE_OTHER;
	r->conn = hguard_conn_of(c);
	routes->active++;
	return r;
}

void acct_routes_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct acct_routes *routes = cls;
	struct http_req *r = *req_cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (r->status != 0)
		acct_metrics_request(routes->o->metrics, r->route, r->status,
				     routes_now_us() - r->start_us);
	if (r->ready != NULL)
		MHD_destroy_response(r->ready);
	/* The next request is due within the request timeout, as an idle
	 * keep-alive connection is. */
	if (r->conn != NULL)
		hdeadline_arm(&routes->deadlines, &r->conn->deadline, timing_mono_ms());
	free(r);
	routes->active--;
	*req_cls = NULL;
}

/* Every callback of a loop's daemon runs on that loop's thread, so its
 * deadlines need no lock; the shared per-client counts have their own. */
void acct_routes_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			    enum MHD_ConnectionNotificationCode toe)
{
	struct acct_routes *routes = cls;
	struct hguard_conn *hc;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		hc = hguard_conn_start(routes->peers, routes->front, c, socket_ctx);
		if (hc != NULL)
			hdeadline_arm(&routes->deadlines, &hc->deadline, timing_mono_ms());
		return;
	}
	hc = *socket_ctx;
	/* MHD closes the socket after this returns: the deadline must not
	 * outlive it. */
	if (hc != NULL)
		hdeadline_disarm(&routes->deadlines, &hc->deadline);
	hguard_conn_end(routes->peers, socket_ctx);
}

/* A JSON response whose body outlives it: a literal. */
static struct MHD_Response *routes_static(const char *json)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
	if (resp != NULL &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE) == MHD_NO) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return resp;
}

/* Queues a response and lets go of it; MHD frees it after sending. */
static enum MHD_Result routes_queue(struct MHD_Connection *c, struct http_req *r, unsigned status,
				    struct MHD_Response *resp)
{
	enum MHD_Result ret;
	if (resp == NULL)
		return MHD_NO;
	if (r->routes->closing &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_NO) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		r->status = status;
	return ret;
}

/* Sets the content type and queues. */
static enum MHD_Result routes_send(struct MHD_Connection *c, struct http_req *r, unsigned status,
				   struct MHD_Response *resp, const char *type)
{
	if (resp != NULL &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return routes_queue(c, r, status, resp);
}

static enum MHD_Result routes_send_static(struct MHD_Connection *c, struct http_req *r,
					  unsigned status, const char *json)
{
	return routes_queue(c, r, status, routes_static(json));
}

char *acct_routes_account_body(const char *id, const char *name, const char *served_by,
			       cJSON *quote)
{
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;
	if (quote == NULL || root == NULL || cJSON_AddStringToObject(root, "id", id) == NULL ||
	    cJSON_AddStringToObject(root, "name", name) == NULL ||
	    cJSON_AddStringToObject(root, "servedBy", served_by) == NULL ||
	    !cJSON_AddItemToObject(root, "quote", quote)) {
		/* The add of the quote comes last: here it never succeeded,
		 * so the quote is still ours. */
		cJSON_Delete(quote);
	} else {
		text = cJSON_PrintUnformatted(root);
	}
	cJSON_Delete(root);
	return text;
}

/* The account with its quote (which it takes), as a JSON response; a 500
 * response when out of memory. Sets *status. */
static struct MHD_Response *routes_account_response(const struct http_req *r, cJSON *quote,
						    unsigned *status)
{
	struct MHD_Response *resp = NULL;
	char *text = acct_routes_account_body(r->id, r->name, r->routes->o->served_by, quote);
	if (text != NULL) {
		resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text,
									  cJSON_free);
		if (resp == NULL)
			cJSON_free(text);
		else if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE) ==
			 MHD_NO) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
	}
	*status = resp != NULL ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR;
	return resp != NULL ? resp : routes_static(oom_body);
}

static void routes_count_quote(const struct acct_routes *routes, enum acct_quote_outcome outcome)
{
	acct_metrics_quote(routes->o->metrics, outcome);
	if (outcome != ACCT_QUOTE_OK)
		acct_metrics_quote(routes->o->metrics, ACCT_QUOTE_FALLBACK);
}

/* The quote arrived (or the fallback): the response is ready, and the next
 * call of the access handler, after the resume, queues it. */
static void routes_quote_done(void *arg, cJSON *quote, enum acct_quote_outcome outcome)
{
	struct http_req *r = arg;
	routes_count_quote(r->routes, outcome);
	r->ready = routes_account_response(r, quote, &r->ready_status);
	MHD_resume_connection(r->connection);
}

static enum MHD_Result routes_account(struct acct_routes *routes, struct MHD_Connection *c,
				      struct http_req *r, const char *id)
{
	struct MHD_Response *resp;
	unsigned status;
	int rc;

	if (!acct_path_id_is_valid(id))
		return routes_send_static(c, r, MHD_HTTP_BAD_REQUEST,
					  "{\"error\":\"an account id is 1 to 32 digits\"}");
	if (routes->o->store == NULL)
		return routes_send_static(c, r, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "{\"error\":\"accounts store not open\"}");
	rc = acct_store_get_name(routes->o->store, id, r->name, sizeof(r->name));
	if (rc == ACCT_STORE_NOT_FOUND)
		return routes_send_static(c, r, MHD_HTTP_NOT_FOUND,
					  "{\"error\":\"no account with this id\"}");
	if (rc < 0)
		return routes_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "{\"error\":\"accounts store failed\"}");
	snprintf(r->id, sizeof(r->id), "%s", id);
	rc = acct_quotes_get(routes->quotes, routes_quote_done, r);
	if (rc == 0) {
		MHD_suspend_connection(c);
		return MHD_YES;
	}
	/* No call could start (out of memory), or none was made (no instance
	 * of the QUOTES_DISCOVERY service known): the fallback, at once. */
	if (rc == ACCT_QUOTES_NO_INSTANCE)
		acct_metrics_quote(routes->o->metrics, ACCT_QUOTE_FALLBACK);
	else
		routes_count_quote(routes, ACCT_QUOTE_ERROR);
	resp = routes_account_response(r, acct_quote_fallback(), &status);
	return routes_queue(c, r, status, resp);
}

static enum MHD_Result routes_health(struct acct_routes *routes, struct MHD_Connection *c,
				     struct http_req *r)
{
	char body[128];
	bool healthy = atomic_load(routes->healthy);
	bool open = routes->o->store != NULL;
	struct MHD_Response *resp;
	if (healthy && open)
		return routes_send_static(c, r, MHD_HTTP_OK, "{\"status\":\"UP\"}");
	snprintf(body, sizeof(body), "{\"status\":\"DOWN\",\"healthy\":%s,\"store\":\"%s\"}",
		 healthy ? "true" : "false", open ? "open" : "closed");
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	return routes_send(c, r, MHD_HTTP_SERVICE_UNAVAILABLE, resp, JSON_TYPE);
}

static enum MHD_Result routes_testability(struct acct_routes *routes, struct MHD_Connection *c,
					  struct http_req *r, const char *value)
{
	const struct acct_http_options *o = routes->o;
	bool healthy;
	if (acct_path_flag(value, &healthy) < 0)
		return routes_send_static(
			c, r, MHD_HTTP_BAD_REQUEST,
			"{\"error\":\"use /testability/healthy/true or /false\"}");
	if (atomic_exchange(routes->healthy, healthy) != healthy) {
		log_info("health flag set healthy=%s", healthy ? "true" : "false");
		if (o->on_health != NULL)
			o->on_health(o->on_health_arg, healthy);
	}
	return routes_send_static(c, r, MHD_HTTP_OK,
				  healthy ? "{\"healthy\":true}" : "{\"healthy\":false}");
}

static enum MHD_Result routes_metrics(struct acct_routes *routes, struct MHD_Connection *c,
				      struct http_req *r)
{
	size_t len = 0;
	char *text;
	struct MHD_Response *resp;
	struct peercap_stats ps;

	peercap_stats(routes->peers, &ps);
	acct_metrics_set_refused(routes->o->metrics, ACCT_REFUSED_FULL, ps.refused_full);
	acct_metrics_set_refused(routes->o->metrics, ACCT_REFUSED_PER_CLIENT, ps.refused_per_peer);
	acct_metrics_set_refused(routes->o->metrics, ACCT_REFUSED_PENDING,
				 atomic_load(&routes->front->refused_full));
	atomic_store(&routes->o->metrics->pending, atomic_load(&routes->front->pending));
	text = acct_metrics_render(routes->o->metrics, &len);
	if (text == NULL)
		return routes_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, oom_body);
	resp = MHD_create_response_from_buffer_with_free_callback(len, text, free);
	if (resp == NULL)
		free(text);
	return routes_send(c, r, MHD_HTTP_OK, resp, "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result routes_dispatch(struct acct_routes *routes, struct MHD_Connection *c,
				       struct http_req *r, const char *url, const char *method)
{
	const char *param;

	if (r->uri_len > ACCT_HTTP_URI_MAX)
		return routes_send_static(c, r, MHD_HTTP_URI_TOO_LONG,
					  "{\"error\":\"URL longer than 2048 bytes\"}");
	r->route = acct_path_route(url, &param);
	if (r->route == ACCT_ROUTE_OTHER)
		return routes_send_static(c, r, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
	/* Turned off, the route is absent for every method; it stays counted
	 * under its own name, so that /metrics shows who still calls it. */
	if (r->route == ACCT_ROUTE_TESTABILITY && routes->o->testability_off)
		return routes_send_static(
			c, r, MHD_HTTP_NOT_FOUND,
			"{\"error\":\"not found: the testability routes are turned off\"}");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		struct MHD_Response *resp = routes_static("{\"error\":\"method not allowed\"}");
		if (resp != NULL &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_NO) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
		return routes_queue(c, r, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
	}
	switch (r->route) {
	case ACCT_ROUTE_ACCOUNTS:
		return routes_account(routes, c, r, param);
	case ACCT_ROUTE_TESTABILITY:
		return routes_testability(routes, c, r, param);
	case ACCT_ROUTE_HEALTH:
		return routes_health(routes, c, r);
	default:
		return routes_metrics(routes, c, r);
	}
}

/* A request hguard_check refused: {"error": its reason}. */
static enum MHD_Result routes_send_refusal(struct MHD_Connection *c, struct http_req *r)
{
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;
	struct MHD_Response *resp = NULL;
	if (root != NULL && cJSON_AddStringToObject(root, "error", r->refusal.message) != NULL)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return routes_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, oom_body);
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, cJSON_free);
	if (resp == NULL)
		cJSON_free(text);
	return routes_send(c, r, r->refusal.status, resp, JSON_TYPE);
}

/*
 * The first call for a request only marks it: queuing a response before
 * MHD has read the whole request would close the connection after it
 * (no keep-alive). Small request bodies are read and dropped, larger ones
 * refused at once; the response goes out on the last call, or, for an
 * account, on the call after the resume.
 */
enum MHD_Result acct_routes_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **req_cls)
{
	struct http_req *r = *req_cls;
	const char *param;
	(void)upload_data;
	if (r == NULL)
		return MHD_NO; /* the URI callback ran out of memory */
	if (!r->seen) {
		r->seen = true;
		if (hguard_check(c, version, &r->refusal) < 0) {
			/* A refusal that closes is answered now: MHD then
			 * closes instead of reading a body it cannot frame. */
			r->route = acct_path_route(url, &param);
			if (r->refusal.close)
				return routes_send_refusal(c, r);
			r->refused = true;
			return MHD_YES;
		}
		if (!hguard_body_too_large(c, r->routes->o->max_body))
			return MHD_YES;
		/* Answered before the body is read, so MHD closes the
		 * connection instead of reading it. */
		acct_metrics_refused(r->routes->o->metrics, ACCT_REFUSED_BODY);
		r->route = acct_path_route(url, &param);
		return routes_send_static(c, r, MHD_HTTP_CONTENT_TOO_LARGE,
					  "{\"error\":\"no route takes a request body\"}");
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* small bodies are read and ignored */
		return MHD_YES;
	}
	/* The whole request is in: its deadline no longer applies. */
	if (r->conn != NULL)
		hdeadline_disarm(&r->routes->deadlines, &r->conn->deadline);
	if (r->refused)
		return routes_send_refusal(c, r);
	if (r->ready != NULL) {
		struct MHD_Response *ready = r->ready;
		r->ready = NULL;
		return routes_queue(c, r, r->ready_status, ready);
	}
	return routes_dispatch(cls, c, r, url, method);
}
