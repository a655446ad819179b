/* Request deadlines: a list in deadline order, shut down from its head. */
#include "hdeadline.h"

#include <sys/socket.h>

void hdeadline_disarm(struct hdeadline *d, struct hdeadline_entry *e)
{
	if (!e->armed)
		return;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		d->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		d->tail = e->prev;
	e->prev = e->next = NULL;
	e->armed = false;
}

void hdeadline_arm(struct hdeadline *d, struct hdeadline_entry *e, int64_t now_ms)
{
	if (d->timeout_ms <= 0)
		return;
	hdeadline_disarm(d, e);
	e->due_ms = now_ms + d->timeout_ms;
	e->prev = d->tail;
	if (d->tail != NULL)
		d->tail->next = e;
	else
		d->head = e;
	d->tail = e;
	e->armed = true;
}

int64_t hdeadline_next(const struct hdeadline *d)
{
	return d->head != NULL ? d->head->due_ms : INT64_MAX;
}

size_t hdeadline_expire(struct hdeadline *d, int64_t now_ms)
{
	size_t n = 0;
	while (d->head != NULL && d->head->due_ms <= now_ms) {
		struct hdeadline_entry *e = d->head;
		hdeadline_disarm(d, e);
		/* Not close(): the descriptor is libmicrohttpd's. Its next
		 * read sees the end of the stream and it closes the
		 * connection the usual way. */
		(void)shutdown(e->fd, SHUT_RDWR);
		n++;
	}
	return n;
}
