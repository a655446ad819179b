/*
 * GET /services and /services/{name}: the query parameters, a blocking
 * query held until its service changes (rheld_query.c), the listing from
 * the cache, in the coding the client takes.
 */
#include "registry/rhttp_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every Accept-Encoding line of a request, joined as RFC 9110 (5.3)
 * joins repeated fields; a request fits in the 8 KiB connection pool. */
struct codings {
	char text[8192];
	size_t len;
	bool present, overflow;
};

static enum MHD_Result add_coding(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct codings *a = cls;
	int n;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_ACCEPT_ENCODING) != 0 || a->overflow)
		return MHD_YES;
	n = snprintf(a->text + a->len, sizeof(a->text) - a->len, "%s%s", a->present ? ", " : "",
		     value ? value : "");
	if (n < 0 || (size_t)n >= sizeof(a->text) - a->len)
		a->overflow = true;
	else
		a->len += (size_t)n;
	a->present = true;
	return MHD_YES;
}

/* The coding the client takes a listing in, from its Accept-Encoding
 * (plain, should the lines not fit: a cut list could drop a q=0). */
enum rgzip_choice rlisting_coding(struct MHD_Connection *c)
{
	struct codings a = { .len = 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, add_coding, &a);
	if (!a.present || a.overflow)
		return RGZIP_IDENTITY;
	return rgzip_choose(a.text);
}

enum MHD_Result rlisting_serve(struct MHD_Connection *c, struct request *req, const char *version,
			       bool head)
{
	struct rhttp *h = req->h;
	enum rgzip_choice coding = rlisting_coding(c);
	struct hguard_fields f;
	const char *err = NULL;
	int rc;

	if (req->suspended)
		goto answer; /* resumed */
	if (hguard_fields_get(c, &f) < 0)
		return rreply_error(c, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	rc = rroute_query(f.args, f.nargs, &req->q, &err);
	hguard_fields_free(&f);
	if (rc < 0)
		return rreply_error(c, req, MHD_HTTP_BAD_REQUEST, err);
	if (req->q.has_state && req->route == RROUTE_SERVICES)
		return rreply_error(c, req, MHD_HTTP_BAD_REQUEST,
				   "state filters /services/{name} only");
	if (req->q.blocking && req->q.wait_ms > 0) {
		switch (rheld_query(c, req, version, head, coding)) {
		case RHELD_TAKEN:
			/* MHD closes its side; the socket is rheld's now. */
			req->handed_over = true;
			return MHD_NO;
		case RHELD_SUSPENDED:
			return MHD_YES;
		case RHELD_FULL:
			req->full = true;
			break;
		default:
			break; /* ready, closing, or cannot wait: answer now */
		}
	}
answer:
	if (req->full) {
		rreply_refusal(h, RMETRICS_REFUSED_WAITING);
		return rreply_error(c, req, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "too many blocking queries held; retry later");
	}
	if (req->route == RROUTE_SERVICES)
		return rreply_listing(c, req, rlist_services(h->lists, coding));
	return rreply_listing(c, req, rlist_service(h->lists, req->service,
						   req->q.has_state ? &req->q.state : NULL,
						   coding));
}

