/* The registry's service discovery routes for other tools: Prometheus'
 * HTTP SD (rprom) and Eureka's read API (reureka). Part of the server
 * module (see rhttp_int.h). */
#include "registry/rhttp_int.h"

#include <stdlib.h>
#include <string.h>

#include "registry/reureka.h"
#include "registry/rprom.h"

enum MHD_Result rhttp_sd_prometheus(struct MHD_Connection *c, struct request *req)
{
	struct rroute_filter f;
	struct hguard_fields fields;
	const char *err = NULL;
	enum MHD_Result rc;
	uint64_t index;
	char *text;
	int bad;

	if (hguard_fields_get(c, &fields) < 0)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	bad = rroute_filter(fields.args, fields.nargs, &f, &err);
	hguard_fields_free(&fields);
	if (bad < 0)
		return rreply_error(c, req, MHD_HTTP_BAD_REQUEST, err);
	text = rprom_targets(req->h->sub, f.has_service ? f.service : NULL,
			     f.has_state ? &f.state : NULL, &index);
	if (!text)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	rc = rreply_buffer(c, req, MHD_HTTP_OK, "application/json", text, strlen(text), index);
	cJSON_free(text);
	return rc;
}

enum MHD_Result rhttp_sd_eureka(struct MHD_Connection *c, struct request *req, const char *url)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	/* As Eureka decides: JSON when Accept names it, XML otherwise. */
	bool json = accept && strstr(accept, "json");
	char app[TOKEN_SERVICE_MAX + 1];
	enum rroute_eureka view = rroute_eureka(hreq_path(url), app);
	uint64_t index;
	size_t len = 0;
	char *body;
	int rc;

	if (view == RROUTE_EUREKA_NOTHING)
		return rreply_error(c, req, MHD_HTTP_NOT_FOUND, "no such application");
	rc = reureka_render(req->h->sub, req->h->feed, view, app, json, &body, &len, &index);
	if (rc < 0)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (rc > 0)
		return rreply_error(c, req, MHD_HTTP_NOT_FOUND, "no such application");
	return rreply_response(c, req, MHD_HTTP_OK, json ? "application/json" : "application/xml",
			       MHD_create_response_from_buffer_with_free_callback(len, body, free),
			       index);
}
