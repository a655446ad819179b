/* Connections taken out of libmicrohttpd; see rheld.h. */
#include "registry/rheld.h"

#include <fcntl.h>
#include <stddef.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hguard.h"

/* Set between a close on purpose and libmicrohttpd's message about it,
 * which it writes on the same thread before the handler's caller returns. */
static _Thread_local bool closing_on_purpose;

int rheld_take(struct MHD_Connection *c, struct rheld_socket *out)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct hguard_conn *hc = hguard_conn_of(c);

	if (!info || info->connect_fd < 0)
		return -1;
	out->fd = fcntl(info->connect_fd, F_DUPFD_CLOEXEC, 0);
	if (out->fd < 0)
		return -1;
	/* Taken before the entry is held: once held, it may be woken, and
	 * end, before the handler returns. */
	out->peer = hc ? hc->peer : NULL;
	if (hc)
		hc->peer = NULL;
	return 0;
}

void rheld_untake(struct MHD_Connection *c, struct rheld_socket *s)
{
	struct hguard_conn *hc = hguard_conn_of(c);

	close(s->fd);
	s->fd = -1;
	if (hc)
		hc->peer = s->peer;
	s->peer = NULL;
}

void rheld_closing_on_purpose(void)
{
	closing_on_purpose = true;
}

bool rheld_expected_message(void)
{
	bool was = closing_on_purpose;

	closing_on_purpose = false;
	return was;
}

void rheld_close(struct peercap *peers, struct rheld_socket *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	peercap_close(peers, s->peer);
	s->peer = NULL;
}

bool rheld_suspend(struct rwatch *w, struct MHD_Connection *c, struct rwatch_entry *e,
		   bool (*still_waiting)(void *ctx), void *ctx, enum rwatch_result *rc)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (!info)
		return false;
	e->fd = info->connect_fd;
	e->inside = true;
	MHD_suspend_connection(c);
	*rc = rwatch_hold(w, e, still_waiting, ctx);
	if (*rc != RWATCH_HELD) {
		rwatch_release(w, e);
		MHD_resume_connection(c);
	}
	return true;
}

void rheld_resume(struct rwatch *w, struct rwatch_entry *e, struct MHD_Connection *c)
{
	rwatch_release(w, e);
	MHD_resume_connection(c);
}

bool rheld_bytes_read(int fd, uint64_t *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int queued;

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received) ||
	    ioctl(fd, FIONREAD, &queued) != 0 || queued < 0 ||
	    ti.tcpi_bytes_received < (uint64_t)queued)
		return false;
	*out = ti.tcpi_bytes_received - (uint64_t)queued;
	return true;
}

bool rheld_read_only_requests(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct hguard_conn *hc = hguard_conn_of(c);
	uint64_t read;

	return info && hc && rheld_bytes_read(info->connect_fd, &read) &&
	       read - hc->read_before == hc->consumed;
}

/* Whether the comma-separated list holds token (case-insensitive). */
static bool has_token(const char *list, const char *token)
{
	size_t len = strlen(token);

	while (list && *list) {
		size_t n;

		list += strspn(list, " \t,");
		n = strcspn(list, " \t,");
		if (n == len && strncasecmp(list, token, len) == 0)
			return true;
		list += n;
	}
	return false;
}

enum rheld_persist rheld_persist_of(struct MHD_Connection *c, const char *version)
{
	const char *conn = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);

	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		return has_token(conn, "close") ? RHELD_CLOSE : RHELD_KEEP;
	return has_token(conn, "keep-alive") ? RHELD_KEEP_1_0 : RHELD_CLOSE;
}
