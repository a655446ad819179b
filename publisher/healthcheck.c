#include "healthcheck.h"

#include <stdio.h>

#include <curl/curl.h>

/* The body does not matter: only the status does. */
static size_t healthcheck_discard(char *data, size_t size, size_t nmemb, void *user)
{
	(void)data;
	(void)user;
	return size * nmemb;
}

bool healthcheck_probe(const char *url, long timeout_ms, char *err, size_t errlen)
{
	CURL *curl = curl_easy_init();
	CURLcode rc;
	long status = 0;
	bool healthy = false;

	if (!curl) {
		snprintf(err, errlen, "cannot create a curl handle");
		return false;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, healthcheck_discard);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	healthy = status >= 200 && status < 300;
	if (!healthy)
		snprintf(err, errlen, "HTTP status %ld", status);
out:
	curl_easy_cleanup(curl);
	return healthy;
}
