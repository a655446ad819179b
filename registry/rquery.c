/* Query parameters of the registry's HTTP API. */
#include "registry/rquery.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

int rquery_parse_u64(const char *text, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts signs and blanks; the API does not. */
	if (!text || !isdigit((unsigned char)text[0]) || strlen(text) > 20)
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int rquery_parse(const char *state, const char *index, const char *wait,
		 struct rquery *out, const char **err)
{
	memset(out, 0, sizeof(*out));
	if (state) {
		if (token_parse_state(state, &out->state) < 0) {
			*err = "state must be one of UP, DOWN, STARTING, OUT_OF_SERVICE";
			return -1;
		}
		out->has_state = true;
	}
	if (index) {
		if (rquery_parse_u64(index, &out->index) < 0) {
			*err = "index must be a non-negative integer";
			return -1;
		}
		out->blocking = true;
		out->wait_ms = RQUERY_DEFAULT_WAIT_MS;
	}
	if (wait) {
		int64_t ms;
		if (timing_parse_duration_ms(wait, RQUERY_MAX_WAIT_MS, &ms) < 0) {
			*err = "wait must be a duration such as 30s, 500ms or 2m, at most 10m";
			return -1;
		}
		if (out->blocking)
			out->wait_ms = ms;
	}
	return 0;
}
