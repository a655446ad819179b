/* gzip content coding: Accept-Encoding and zlib; see rgzip.h. */
#include "registry/rgzip.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

/* ---- Accept-Encoding ---- */

#define OWS " \t"

/* A qvalue ("0", "0.5", "1.000") in thousandths; -1 when malformed. */
static int qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q <= 1000 ? q : -1;
}

/* One element, "coding *( OWS ; OWS param )", s[0..n) trimmed: its coding
 * in *name (length *name_len) and its weight; -1 when malformed. */
static int element(const char *s, size_t n, const char **name, size_t *name_len)
{
	size_t i = strcspn(s, OWS ";"), k;
	int q = 1000;

	if (i > n)
		i = n;
	*name = s;
	*name_len = i;
	if (i == 0)
		return -1;
	while (i < n) {
		const char *p;

		i += strspn(s + i, OWS);
		if (i >= n)
			break;
		if (s[i] != ';')
			return -1;
		i++;
		i += strspn(s + i, OWS);
		p = s + i;
		k = strcspn(p, OWS ";");
		if (i + k > n)
			k = n - i;
		/* Only the weight means anything for a content coding. */
		if (k >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			q = qvalue(p + 2, k - 2);
			if (q < 0)
				return -1;
		}
		i += k;
	}
	return q;
}

static bool named(const char *name, size_t len, const char *coding)
{
	return strlen(coding) == len && strncasecmp(name, coding, len) == 0;
}

enum rgzip_choice rgzip_choose(const char *accept_encoding)
{
	int gzip = -1, identity = -1, star = -1; /* -1: not named */
	const char *s = accept_encoding;

	if (!s)
		return RGZIP_IDENTITY;
	while (*s) {
		size_t n = strcspn(s, ","), len, end = n;
		const char *name;
		int q;

		while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		len = strspn(s, OWS);
		q = len < end ? element(s + len, end - len, &name, &len) : -1;
		if (q >= 0) {
			if (named(name, len, "gzip") || named(name, len, "x-gzip"))
				gzip = q;
			else if (named(name, len, "identity"))
				identity = q;
			else if (named(name, len, "*"))
				star = q;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	if (gzip < 0)
		gzip = star < 0 ? 0 : star;
	/* Identity is acceptable unless refused by name or by "*;q=0"; when
	 * not named its weight ranks below any coding named. */
	if (identity < 0)
		identity = star < 0 ? -1 : star;
	if (gzip == 0)
		return RGZIP_IDENTITY;
	if (identity == 0)
		return RGZIP_GZIP_ONLY;
	return gzip >= identity ? RGZIP_GZIP : RGZIP_IDENTITY;
}

/* ---- deflate ---- */

struct rgzip {
	z_stream z;
	char *buf;
	size_t cap;
	bool failed; /* the output lacks a piece: rgzip_end() refuses it */
};

struct rgzip *rgzip_begin(size_t hint)
{
	struct rgzip *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	/* JSON listings shrink about tenfold; the buffer grows if not. */
	g->cap = hint / 4 + 64;
	g->buf = malloc(g->cap);
	/* 15 + 16: a gzip header and trailer around the deflate stream; level
	 * 6 is zlib's default, the listing is compressed once per change. */
	if (!g->buf || deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
				    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g->buf);
		free(g);
		return NULL;
	}
	g->z.next_out = (Bytef *)g->buf;
	g->z.avail_out = (uInt)g->cap;
	return g;
}

/* Runs deflate over the input given, growing the output as it fills. */
static int run(struct rgzip *g, int flush)
{
	for (;;) {
		int rc = deflate(&g->z, flush);
		size_t used;
		char *bigger;

		if (rc == Z_STREAM_END)
			return 0;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
		if (flush == Z_NO_FLUSH && g->z.avail_in == 0)
			return 0;
		if (g->z.avail_out > 0) {
			if (rc == Z_BUF_ERROR)
				return -1; /* no progress possible: not expected */
			continue;
		}
		used = g->cap;
		bigger = realloc(g->buf, 2 * g->cap);
		if (!bigger)
			return -1;
		g->buf = bigger;
		g->cap *= 2;
		g->z.next_out = (Bytef *)g->buf + used;
		g->z.avail_out = (uInt)(g->cap - used);
	}
}

int rgzip_add(struct rgzip *g, const char *text, size_t len)
{
	/* zlib counts in uInt: a piece past 4 GiB goes in slices. */
	while (len > 0 && !g->failed) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;

		g->z.next_in = (Bytef *)text;
		g->z.avail_in = n;
		g->failed = run(g, Z_NO_FLUSH) < 0;
		text += n;
		len -= n;
	}
	return g->failed ? -1 : 0;
}

int rgzip_end(struct rgzip *g, char **out, size_t *out_len)
{
	int rc = -1;
	char *shrunk;

	g->z.next_in = NULL;
	g->z.avail_in = 0;
	if (!g->failed && run(g, Z_FINISH) == 0) {
		*out_len = g->z.total_out;
		shrunk = realloc(g->buf, *out_len ? *out_len : 1);
		*out = shrunk ? shrunk : g->buf;
		g->buf = NULL;
		rc = 0;
	}
	deflateEnd(&g->z);
	free(g->buf);
	free(g);
	return rc;
}
