/*
 * libFuzzer target for the check of a connection's first request head
 * (common/hhead.c; fuzz/run.sh builds and runs it): any bytes get a
 * verdict without reading past them, a complete head ends with its empty
 * line within the limit and gets the same verdict alone, and a refusal is
 * one of the statuses the front door answers, always closing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_require.h"
#include "hhead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hhead_limits limits = {.max_head = 1024, .max_fields = 16};
	struct hhead_result out, again;
	/* An exact copy, so that ASan sees a read past the input. */
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	switch (hhead_check(buf, size, &limits, &out)) {
	case HHEAD_INCOMPLETE:
		fuzz_require(size <= limits.max_head);
		break;
	case HHEAD_COMPLETE:
		fuzz_require(out.length >= 2 && out.length <= size &&
			     out.length <= limits.max_head && buf[out.length - 1] == '\n');
		fuzz_require(hhead_check(buf, out.length, &limits, &again) == HHEAD_COMPLETE &&
			     again.length == out.length);
		fuzz_require(memchr(buf, '\0', out.length) == NULL);
		break;
	case HHEAD_REFUSED:
		fuzz_require(out.refusal.close && out.refusal.message != NULL);
		fuzz_require(out.refusal.status == 400 || out.refusal.status == 414 ||
			     out.refusal.status == 431 || out.refusal.status == 505);
		break;
	}
	free(buf);
	return 0;
}
