#ifndef DISCOVERY_TESTS_GZIP_FIXTURE_H
#define DISCOVERY_TESTS_GZIP_FIXTURE_H

/* Inflating what the registry compressed, for test_rgzip.c and
 * test_rlist.c (include cmocka.h first). */
#include <stdlib.h>

#include <zlib.h>

/* The text of one gzip member len bytes long, NUL-terminated; free() it. */
static char *gzip_inflated(const char *gz, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap = 1 << 20;
	char *out = malloc(cap + 1);

	assert_non_null(out);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* one member, nothing after it */
	*out_len = z.total_out;
	out[z.total_out] = '\0';
	inflateEnd(&z);
	return out;
}

#endif
