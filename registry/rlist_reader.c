/* Sends a listing piece by piece, as libmicrohttpd's content reader; see
 * rlist.h (the module's other half, rlist.c, builds and caches them). */
#include "registry/rlist.h"

#include <stdlib.h>
#include <string.h>

struct rlist_reader {
	struct rlist_body *b;
	size_t part, off; /* the next byte to send */
	uint64_t pos;     /* its position in the whole text */
};

struct rlist_reader *rlist_reader_new(struct rlist_body *b)
{
	struct rlist_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		rlist_release(b);
		return NULL;
	}
	r->b = b;
	return r;
}

ssize_t rlist_reader_read(void *reader, uint64_t pos, char *buf, size_t max)
{
	struct rlist_reader *r = reader;
	const struct rlist_part *p;
	size_t n = 0, k;

	/* libmicrohttpd reads in order; anything else starts over. */
	if (pos != r->pos) {
		r->part = r->off = 0;
		for (r->pos = 0; r->part < r->b->nparts &&
				 r->pos + r->b->parts[r->part].len <= pos;
		     r->part++)
			r->pos += r->b->parts[r->part].len;
		r->off = (size_t)(pos - r->pos);
		r->pos = pos;
	}
	while (n < max && r->part < r->b->nparts) {
		p = &r->b->parts[r->part];
		k = p->len - r->off < max - n ? p->len - r->off : max - n;
		memcpy(buf + n, p->text + r->off, k);
		n += k;
		r->off += k;
		if (r->off == p->len) {
			r->part++;
			r->off = 0;
		}
	}
	r->pos += n;
	return n ? (ssize_t)n : -1;
}

void rlist_reader_free(void *reader)
{
	struct rlist_reader *r = reader;

	if (r)
		rlist_release(r->b);
	free(r);
}
