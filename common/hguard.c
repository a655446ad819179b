/* Per-connection guards of a libmicrohttpd daemon. */
#include "hguard.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

enum MHD_Result hguard_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	return peercap_admit(cls, sa, len) ? MHD_YES : MHD_NO;
}

struct hguard_conn *hguard_conn_start(struct peercap *p, struct MHD_Connection *c,
				      void **socket_ctx)
{
	const union MHD_ConnectionInfo *addr =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct hguard_conn *hc = calloc(1, sizeof(*hc));

	*socket_ctx = hc;
	if (hc == NULL)
		return NULL;
	hc->deadline.fd = fd != NULL ? fd->connect_fd : -1;
	if (addr != NULL && addr->client_addr != NULL)
		hc->peer = peercap_open(p, addr->client_addr,
					addr->client_addr->sa_family == AF_INET6
						? sizeof(struct sockaddr_in6)
						: sizeof(struct sockaddr_in));
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
	/* MHD has answered 400 already for a Content-Length that is not a
	 * number; an overflow is too large in any case. */
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno != 0 || n > max;
}
