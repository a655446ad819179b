/*
 * libFuzzer target for the gzip coding of the registry's listings
 * (registry/rgzip.c, fuzz/run.sh builds and runs it): any Accept-Encoding
 * value gets one of the three choices, a later "gzip;q=0" always wins
 * (plain), and the input deflated in two pieces inflates back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz/fuzz_require.h"
#include "registry/rgzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const char *s, size_t size)
{
	struct rgzip *z = rgzip_begin(size);
	char *gz = NULL, *back = malloc(size + 1);
	size_t len = 0, half = size / 2;
	z_stream in = { 0 };

	fuzz_require(z != NULL && back != NULL);
	fuzz_require(rgzip_add(z, s, half) == 0);
	fuzz_require(rgzip_add(z, s + half, size - half) == 0);
	fuzz_require(rgzip_end(z, &gz, &len) == 0);
	fuzz_require(inflateInit2(&in, 15 + 16) == Z_OK);
	in.next_in = (Bytef *)gz;
	in.avail_in = (uInt)len;
	in.next_out = (Bytef *)back;
	in.avail_out = (uInt)size + 1;
	fuzz_require(inflate(&in, Z_FINISH) == Z_STREAM_END);
	fuzz_require(in.total_out == size && in.avail_in == 0);
	fuzz_require(memcmp(back, s, size) == 0);
	inflateEnd(&in);
	free(gz);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char refuse[] = ", gzip;q=0";
	char *s;
	enum rgzip_choice c;

	if (size > 4096)
		return 0;
	s = malloc(size + sizeof(refuse));
	fuzz_require(s != NULL);
	memcpy(s, data, size);
	round_trip(s, size);
	s[size] = '\0'; /* a NUL inside ends the header value, as in MHD's */
	c = rgzip_choose(s);
	fuzz_require(c == RGZIP_IDENTITY || c == RGZIP_GZIP || c == RGZIP_GZIP_ONLY);
	memcpy(s + strlen(s), refuse, sizeof(refuse));
	fuzz_require(rgzip_choose(s) == RGZIP_IDENTITY);
	free(s);
	return 0;
}
