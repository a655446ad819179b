/* Per-connection guards of a libmicrohttpd daemon. */
#include "hguard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hguard_conn *hguard_conn_start(struct peercap *p, struct hfront_shared *front,
				      struct MHD_Connection *c, void **socket_ctx)
{
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct hguard_conn *hc = calloc(1, sizeof(*hc));
	struct peercap_peer *peer = fd != NULL ? hfront_claim(front, fd->connect_fd) : NULL;

	*socket_ctx = hc;
	if (hc == NULL) {
		/* Not tracked from here on: its count goes at once. */
		peercap_close(p, peer);
		return NULL;
	}
	hc->deadline.fd = fd != NULL ? fd->connect_fd : -1;
	hc->peer = peer;
	return hc;
}

void hguard_conn_end(struct peercap *p, void **socket_ctx)
{
	struct hguard_conn *hc = *socket_ctx;

	if (hc == NULL)
		return;
	peercap_close(p, hc->peer);
	free(hc);
	*socket_ctx = NULL;
}

struct hguard_conn *hguard_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

bool hguard_body_too_large(struct MHD_Connection *c, uint64_t max)
{
	const char *te =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *cl =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (te != NULL)
		return true;
	if (cl == NULL)
		return false;
	/* A Content-Length that is not a number was refused before (by the
	 * front door on a first request, by MHD on a later one); an overflow
	 * is too large in any case. */
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno != 0 || n > max;
}

size_t hguard_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	struct hguard_conn *hc;

	(void)cls;
	if (strstr(s, "%00") == NULL)
		return MHD_http_unescape(s);
	hc = hguard_conn_of(c);
	if (hc != NULL)
		hc->nul_escape = true;
	return strlen(s);
}

struct hguard_fill {
	struct hreq_field *at;
	size_t n, cap;
};

static enum MHD_Result hguard_fill_one(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	struct hguard_fill *f = cls;

	(void)kind;
	if (f->n == f->cap)
		return MHD_NO;
	f->at[f->n++] = (struct hreq_field){.key = key, .value = value};
	return MHD_YES;
}

static int hguard_fields_of(struct MHD_Connection *c, enum MHD_ValueKind kind,
			    struct hreq_field **out, size_t *n)
{
	struct hguard_fill f = {.cap = (size_t)MHD_get_connection_values(c, kind, NULL, NULL)};

	*out = NULL;
	*n = 0;
	if (f.cap == 0)
		return 0;
	f.at = calloc(f.cap, sizeof(*f.at));
	if (f.at == NULL)
		return -1;
	MHD_get_connection_values(c, kind, hguard_fill_one, &f);
	*out = f.at;
	*n = f.n;
	return 0;
}

int hguard_fields_get(struct MHD_Connection *c, struct hguard_fields *f)
{
	memset(f, 0, sizeof(*f));
	if (hguard_fields_of(c, MHD_HEADER_KIND, &f->headers, &f->nheaders) < 0 ||
	    hguard_fields_of(c, MHD_GET_ARGUMENT_KIND, &f->args, &f->nargs) < 0) {
		hguard_fields_free(f);
		return -1;
	}
	return 0;
}

void hguard_fields_free(struct hguard_fields *f)
{
	free(f->headers);
	free(f->args);
	memset(f, 0, sizeof(*f));
}

int hguard_check(struct MHD_Connection *c, const char *version, struct hreq_refusal *out)
{
	struct hguard_conn *hc = hguard_conn_of(c);
	struct hguard_fields f;
	struct hreq_request r = {.version = version};
	int rc;

	/* The mark is this request's: the next one starts clean. */
	if (hc != NULL) {
		r.nul_escape = hc->nul_escape;
		hc->nul_escape = false;
	}
	if (hguard_fields_get(c, &f) < 0) {
		*out = (struct hreq_refusal){.status = MHD_HTTP_INTERNAL_SERVER_ERROR,
					     .message = "out of memory",
					     .close = true};
		return -1;
	}
	r.headers = f.headers;
	r.nheaders = f.nheaders;
	r.args = f.args;
	r.nargs = f.nargs;
	rc = hreq_check(&r, out);
	hguard_fields_free(&f);
	return rc;
}
