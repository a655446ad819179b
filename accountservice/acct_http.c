#include "accountservice/acct_http.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accountservice/acct_quote.h"
#include "log.h"

#define HTTP_ID_MAX	      32
#define HTTP_CONNECTION_LIMIT 1000
#define HTTP_IDLE_TIMEOUT_S   60
#define HTTP_STACK_SIZE	      (512u * 1024)
/* Room for the request line and headers of one request. MHD zeroes the
 * whole pool for every request on a keep-alive connection, so more room
 * costs CPU on every request (64 KiB: about 20 % more CPU per request
 * measured); 16 KiB lets URLs up to about 14 KiB reach our JSON 414, and
 * longer ones get MHD's own (HTML) 414. */
#define HTTP_MEMORY_LIMIT (16u * 1024)
#define JSON_TYPE	  "application/json"

struct acct_http {
	struct MHD_Daemon *daemon;
	struct acct_http_options o;
	atomic_bool healthy;
	int port;
};

/* Per-request state, created by the URI callback (which sees the whole
 * request target, query included) and freed when the request completes. */
struct http_req {
	size_t uri_len;
	int64_t start_us;
	bool seen;
	enum acct_route route;
	unsigned status;
};

static int64_t http_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *http_uri_start(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_req *r = calloc(1, sizeof(*r));
	(void)cls;
	(void)c;
	if (r == NULL)
		return NULL;
	r->uri_len = strlen(uri);
	r->start_us = http_now_us();
	r->route = ACCT_ROUTE_OTHER;
	return r;
}

static void http_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct acct_http *h = cls;
	struct http_req *r = *req_cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (r->status != 0)
		acct_metrics_request(h->o.metrics, r->route, r->status,
				     http_now_us() - r->start_us);
	free(r);
	*req_cls = NULL;
}

/* Queues a response and lets go of it; MHD frees it after sending. */
static enum MHD_Result http_send(struct MHD_Connection *c, struct http_req *r, unsigned status,
				 struct MHD_Response *resp, const char *type)
{
	enum MHD_Result ret;
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		r->status = status;
	return ret;
}

/* A body that outlives the response: a literal. */
static enum MHD_Result http_send_static(struct MHD_Connection *c, struct http_req *r,
					unsigned status, const char *json)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
	return http_send(c, r, status, resp, JSON_TYPE);
}

/* A body built with cJSON: the response frees it when MHD is done. */
static enum MHD_Result http_send_json(struct MHD_Connection *c, struct http_req *r, unsigned status,
				      cJSON *root)
{
	char *text = cJSON_PrintUnformatted(root);
	struct MHD_Response *resp;
	cJSON_Delete(root);
	if (text == NULL)
		return http_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"{\"error\":\"out of memory\"}");
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, cJSON_free);
	if (resp == NULL)
		cJSON_free(text);
	return http_send(c, r, status, resp, JSON_TYPE);
}

static bool http_id_is_valid(const char *id)
{
	size_t n = strspn(id, "0123456789");
	return n >= 1 && n <= HTTP_ID_MAX && id[n] == '\0';
}

static enum MHD_Result http_account(struct acct_http *h, struct MHD_Connection *c,
				    struct http_req *r, const char *id)
{
	char name[ACCT_STORE_NAME_MAX];
	enum acct_quote_outcome outcome;
	cJSON *root, *quote;
	int rc;

	if (!http_id_is_valid(id))
		return http_send_static(c, r, MHD_HTTP_BAD_REQUEST,
					"{\"error\":\"an account id is 1 to 32 digits\"}");
	if (h->o.store == NULL)
		return http_send_static(c, r, MHD_HTTP_SERVICE_UNAVAILABLE,
					"{\"error\":\"accounts store not open\"}");
	rc = acct_store_get_name(h->o.store, id, name, sizeof(name));
	if (rc == ACCT_STORE_NOT_FOUND)
		return http_send_static(c, r, MHD_HTTP_NOT_FOUND,
					"{\"error\":\"no account with this id\"}");
	if (rc < 0)
		return http_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"{\"error\":\"accounts store failed\"}");

	quote = acct_quote_fetch(h->o.quotes_url, h->o.quotes_timeout_ms, &outcome);
	acct_metrics_quote(h->o.metrics, outcome);
	if (outcome != ACCT_QUOTE_OK)
		acct_metrics_quote(h->o.metrics, ACCT_QUOTE_FALLBACK);

	root = cJSON_CreateObject();
	if (quote == NULL || root == NULL || cJSON_AddStringToObject(root, "id", id) == NULL ||
	    cJSON_AddStringToObject(root, "name", name) == NULL ||
	    cJSON_AddStringToObject(root, "servedBy", h->o.served_by) == NULL ||
	    !cJSON_AddItemToObject(root, "quote", quote)) {
		/* The add of the quote comes last: here it never succeeded,
		 * so the quote is still ours. */
		cJSON_Delete(quote);
		cJSON_Delete(root);
		return http_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"{\"error\":\"out of memory\"}");
	}
	return http_send_json(c, r, MHD_HTTP_OK, root);
}

static enum MHD_Result http_health(struct acct_http *h, struct MHD_Connection *c,
				   struct http_req *r)
{
	char body[128];
	bool healthy = atomic_load(&h->healthy);
	bool open = h->o.store != NULL;
	struct MHD_Response *resp;
	if (healthy && open)
		return http_send_static(c, r, MHD_HTTP_OK, "{\"status\":\"UP\"}");
	snprintf(body, sizeof(body), "{\"status\":\"DOWN\",\"healthy\":%s,\"store\":\"%s\"}",
		 healthy ? "true" : "false", open ? "open" : "closed");
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	return http_send(c, r, MHD_HTTP_SERVICE_UNAVAILABLE, resp, JSON_TYPE);
}

static enum MHD_Result http_testability(struct acct_http *h, struct MHD_Connection *c,
					struct http_req *r, const char *value)
{
	bool healthy;
	if (strcmp(value, "true") == 0)
		healthy = true;
	else if (strcmp(value, "false") == 0)
		healthy = false;
	else
		return http_send_static(c, r, MHD_HTTP_BAD_REQUEST,
					"{\"error\":\"use /testability/healthy/true or /false\"}");
	if (atomic_exchange(&h->healthy, healthy) != healthy) {
		log_info("health flag set healthy=%s", healthy ? "true" : "false");
		if (h->o.on_health != NULL)
			h->o.on_health(h->o.on_health_arg, healthy);
	}
	return http_send_static(c, r, MHD_HTTP_OK,
				healthy ? "{\"healthy\":true}" : "{\"healthy\":false}");
}

static enum MHD_Result http_metrics(struct acct_http *h, struct MHD_Connection *c,
				    struct http_req *r)
{
	size_t len = 0;
	char *text = acct_metrics_render(h->o.metrics, &len);
	struct MHD_Response *resp;
	if (text == NULL)
		return http_send_static(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"{\"error\":\"out of memory\"}");
	resp = MHD_create_response_from_buffer_with_free_callback(len, text, free);
	if (resp == NULL)
		free(text);
	return http_send(c, r, MHD_HTTP_OK, resp, "text/plain; version=0.0.4; charset=utf-8");
}

/* The route of a path, and the rest after its prefix for routes with a
 * parameter. */
static enum acct_route http_route_of(const char *url, const char **param)
{
	static const char accounts[] = "/accounts/";
	static const char testability[] = "/testability/healthy/";
	*param = NULL;
	if (strncmp(url, accounts, sizeof(accounts) - 1) == 0) {
		*param = url + sizeof(accounts) - 1;
		return ACCT_ROUTE_ACCOUNTS;
	}
	if (strncmp(url, testability, sizeof(testability) - 1) == 0) {
		*param = url + sizeof(testability) - 1;
		return ACCT_ROUTE_TESTABILITY;
	}
	if (strcmp(url, "/health") == 0)
		return ACCT_ROUTE_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return ACCT_ROUTE_METRICS;
	return ACCT_ROUTE_OTHER;
}

static enum MHD_Result http_dispatch(struct acct_http *h, struct MHD_Connection *c,
				     struct http_req *r, const char *url, const char *method)
{
	const char *param;
	struct MHD_Response *resp;

	if (r->uri_len > ACCT_HTTP_URI_MAX)
		return http_send_static(c, r, MHD_HTTP_URI_TOO_LONG,
					"{\"error\":\"URL longer than 2048 bytes\"}");
	r->route = http_route_of(url, &param);
	if (r->route == ACCT_ROUTE_OTHER)
		return http_send_static(c, r, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		static const char body[] = "{\"error\":\"method not allowed\"}";
		resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
						       MHD_RESPMEM_PERSISTENT);
		if (resp != NULL &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_NO) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
		return http_send(c, r, MHD_HTTP_METHOD_NOT_ALLOWED, resp, JSON_TYPE);
	}
	switch (r->route) {
	case ACCT_ROUTE_ACCOUNTS:
		return http_account(h, c, r, param);
	case ACCT_ROUTE_TESTABILITY:
		return http_testability(h, c, r, param);
	case ACCT_ROUTE_HEALTH:
		return http_health(h, c, r);
	default:
		return http_metrics(h, c, r);
	}
}

/*
 * The first call for a request only marks it: queuing a response before
 * MHD has read the whole request would close the connection after it
 * (no keep-alive). Request bodies are read and dropped; the response goes
 * out on the last call.
 */
static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **req_cls)
{
	struct http_req *r = *req_cls;
	(void)version;
	(void)upload_data;
	if (r == NULL)
		return MHD_NO; /* the URI callback ran out of memory */
	if (!r->seen) {
		r->seen = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return http_dispatch(cls, c, r, url, method);
}

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("http: %s", line);
}

struct acct_http *acct_http_start(const struct acct_http_options *o, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct acct_http *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->o = *o;
	atomic_init(&h->healthy, true);
	/*
	 * One thread per connection. A request to /accounts makes a blocking
	 * libcurl call of up to quotes_timeout_ms; in a thread pool that call
	 * would also stall every other connection multiplexed on the same
	 * pool thread, so a slow quotes-service would delay requests that
	 * have nothing to wait for. With a thread per connection a slow quote
	 * only ever holds its own client. Keep-alive clients keep their
	 * thread, so the thread creation cost is per connection, not per
	 * request; the connection limit bounds the number of threads and the
	 * idle timeout returns them.
	 */
	h->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO |
			MHD_USE_ERROR_LOG,
		(uint16_t)o->port, NULL, NULL, http_access, h, MHD_OPTION_EXTERNAL_LOGGER, http_log,
		h, MHD_OPTION_URI_LOG_CALLBACK, http_uri_start, h, MHD_OPTION_NOTIFY_COMPLETED,
		http_completed, h, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)HTTP_STACK_SIZE,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on port %d", o->port);
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : o->port;
	return h;
}

int acct_http_port(const struct acct_http *h)
{
	return h->port;
}

bool acct_http_is_healthy(const struct acct_http *h)
{
	return atomic_load(&h->healthy);
}

void acct_http_stop(struct acct_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
