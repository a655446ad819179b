/*
 * libFuzzer target for the registry's query parameters (fuzz/run.sh builds
 * and runs it): the input is split at NUL bytes into state, index and wait
 * (a missing part is an absent parameter). Whatever the parser accepts
 * must keep its promises; whatever it refuses must say why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_require.h"
#include "registry/rquery.h"
#include "timing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PART_MAX 64

/* The next NUL-terminated part of the input, NULL when it is used up. */
static const char *next_part(const uint8_t **data, size_t *size, char buf[FUZZ_PART_MAX + 1])
{
	size_t n = 0;

	if (*size == 0)
		return NULL;
	while (n < *size && (*data)[n] != 0 && n < FUZZ_PART_MAX)
		n++;
	memcpy(buf, *data, n);
	buf[n] = '\0';
	if (n < *size)
		n++; /* the separator */
	*data += n;
	*size -= n;
	return buf;
}

static void check_u64(const char *text)
{
	char back[32];
	uint64_t v;

	if (rquery_parse_u64(text, &v) < 0)
		return;
	/* Accepted means digits only, so it prints back the same once
	 * leading zeros are gone. */
	snprintf(back, sizeof(back), "%llu", (unsigned long long)v);
	while (text[0] == '0' && text[1] != '\0')
		text++;
	fuzz_require(strcmp(back, text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sbuf[FUZZ_PART_MAX + 1], ibuf[FUZZ_PART_MAX + 1], wbuf[FUZZ_PART_MAX + 1];
	const char *state = next_part(&data, &size, sbuf);
	const char *index = next_part(&data, &size, ibuf);
	const char *wait = next_part(&data, &size, wbuf);
	const char *err = NULL;
	struct rquery q;
	int64_t ms;

	if (rquery_parse(state, index, wait, &q, &err) < 0) {
		fuzz_require(err != NULL && err[0] != '\0');
		return 0;
	}
	fuzz_require(q.has_state == (state != NULL));
	fuzz_require(!q.has_state || (unsigned)q.state <= TOKEN_OUT_OF_SERVICE);
	fuzz_require(q.blocking == (index != NULL));
	if (q.blocking)
		fuzz_require(q.wait_ms >= 0 && q.wait_ms <= RQUERY_MAX_WAIT_MS);
	if (index)
		check_u64(index);
	if (wait) {
		fuzz_require(timing_parse_duration_ms(wait, RQUERY_MAX_WAIT_MS, &ms) == 0);
		fuzz_require(ms >= 0 && ms <= RQUERY_MAX_WAIT_MS);
	}
	return 0;
}
