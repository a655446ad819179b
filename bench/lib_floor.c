/*
 * The memory floor of the accountservice's libraries: a program linked like
 * the service, with the libraries the contract names (libmicrohttpd,
 * libcurl, rabbitmq-c, LMDB, cJSON), that only initialises libcurl and
 * starts an idle libmicrohttpd daemon, then prints its VmRSS and
 * Private_Dirty in kB. However little the service does itself, it cannot be
 * smaller than this.
 */
#include <amqp.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <lmdb.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

static long floor_kb(const char *path, const char *key)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (kb < 0 && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			sscanf(line + strlen(key), "%ld", &kb);
	fclose(f);
	return kb;
}

static enum MHD_Result floor_access(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **req_cls)
{
	(void)cls;
	(void)c;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	return MHD_NO;
}

int main(void)
{
	struct MHD_Daemon *d;
	/* One call into each library, so that each is loaded as in the
	 * service. */
	if (amqp_version() == NULL || mdb_version(NULL, NULL, NULL) == NULL ||
	    cJSON_Version() == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, floor_access,
			     NULL, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	printf("%ld %ld\n", floor_kb("/proc/self/status", "VmRSS:"),
	       floor_kb("/proc/self/smaps_rollup", "Private_Dirty:"));
	MHD_stop_daemon(d);
	curl_global_cleanup();
	return 0;
}
