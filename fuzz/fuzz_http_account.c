/*
 * libFuzzer target for the accountservice's HTTP request path (fuzz/run.sh
 * builds and runs it): the input is one request (fuzz/http_input.h) that
 * goes through the checks, the routing and the path parameters the
 * accountservice's handler makes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accountservice/acct_path.h"
#include "fuzz/fuzz_require.h"
#include "fuzz/http_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_input in;
	const char *param;
	bool healthy;

	if (!http_input_accepted(data, size, &in))
		return 0;
	switch (acct_path_route(in.path, &param)) {
	case ACCT_ROUTE_ACCOUNTS:
		fuzz_require(param != NULL);
		if (acct_path_id_is_valid(param))
			fuzz_require(strlen(param) >= 1 && strlen(param) <= ACCT_PATH_ID_MAX &&
				strspn(param, "0123456789") == strlen(param));
		break;
	case ACCT_ROUTE_TESTABILITY:
		fuzz_require(param != NULL);
		if (acct_path_flag(param, &healthy) == 0)
			fuzz_require(strcmp(param, healthy ? "true" : "false") == 0);
		break;
	default:
		fuzz_require(param == NULL);
	}
	return 0;
}
