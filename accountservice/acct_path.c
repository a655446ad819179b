/* The accountservice's routes and path parameters; see acct_path.h. */
#include "accountservice/acct_path.h"

#include <string.h>

#include "hreq.h"

enum acct_route acct_path_route(const char *target, const char **param)
{
	static const char accounts[] = "/accounts/";
	static const char testability[] = "/testability/healthy/";
	const char *url = hreq_path(target);

	*param = NULL;
	if (strncmp(url, accounts, sizeof(accounts) - 1) == 0) {
		*param = url + sizeof(accounts) - 1;
		return ACCT_ROUTE_ACCOUNTS;
	}
	if (strncmp(url, testability, sizeof(testability) - 1) == 0) {
		*param = url + sizeof(testability) - 1;
		return ACCT_ROUTE_TESTABILITY;
	}
	if (strcmp(url, "/health") == 0)
		return ACCT_ROUTE_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return ACCT_ROUTE_METRICS;
	return ACCT_ROUTE_OTHER;
}

bool acct_path_id_is_valid(const char *id)
{
	size_t n = strspn(id, "0123456789");
	return n >= 1 && n <= ACCT_PATH_ID_MAX && id[n] == '\0';
}

int acct_path_flag(const char *value, bool *healthy)
{
	if (strcmp(value, "true") == 0)
		*healthy = true;
	else if (strcmp(value, "false") == 0)
		*healthy = false;
	else
		return -1;
	return 0;
}
