/*
 * libFuzzer target for the registry's HTTP request path (fuzz/run.sh
 * builds and runs it): the input is one request (fuzz/http_input.h) that
 * goes through the checks, the routing and the parameter parsing the
 * registry's handler makes. Whatever passes must keep its promises;
 * whatever is refused must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_require.h"
#include "fuzz/http_input.h"
#include "registry/rroute.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_input in;
	char service[TOKEN_SERVICE_MAX + 1];
	const char *err = NULL, *last;
	enum rroute route;
	struct rroute_filter filter;
	struct rquery q;
	uint64_t id;
	bool bad_name;

	if (!http_input_accepted(data, size, &in))
		return 0;
	/* No parameter is left twice once the checks passed. */
	for (size_t i = 1; i < in.req.nargs; i++)
		fuzz_require(strcmp(in.args[i - 1].key, in.args[i].key) < 0);
	route = rroute_of(in.path, service, &bad_name);
	if ((route == RROUTE_SERVICE || route == RROUTE_TURBINE) && !bad_name) {
		fuzz_require(token_service_is_valid(service));
		fuzz_require(strstr(hreq_path(in.path), service) != NULL);
	}
	if (route == RROUTE_SERVICES || route == RROUTE_SERVICE) {
		if (rroute_query(in.args, in.req.nargs, &q, &err) < 0)
			fuzz_require(err != NULL && err[0] != '\0');
		else if (q.blocking)
			fuzz_require(q.wait_ms >= 0 && q.wait_ms <= RQUERY_MAX_WAIT_MS);
	}
	if (route == RROUTE_PROMETHEUS) {
		if (rroute_filter(in.args, in.req.nargs, &filter, &err) < 0)
			fuzz_require(err != NULL && err[0] != '\0');
		else if (filter.has_service)
			fuzz_require(token_service_is_valid(filter.service));
	}
	if (route == RROUTE_EUREKA && rroute_eureka(hreq_path(in.path), service) == RROUTE_EUREKA_APP)
		fuzz_require(token_service_is_valid(service));
	last = http_input_header(&in, "Last-Event-ID");
	if (route == RROUTE_EVENTS && last != NULL && rquery_parse_u64(last, &id) == 0)
		fuzz_require(last[0] >= '0' && last[0] <= '9');
	return 0;
}
