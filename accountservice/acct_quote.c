#include "accountservice/acct_quote.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "log.h"

/* libcurl's receive buffer of each handle (its default is 16 KiB, kept by
 * every HTTP thread): a quote and its headers are a few hundred bytes, and
 * a larger body is still read whole, in several pieces. */
#define QUOTE_RECV_BUFFER 4096L

struct quote_body {
	char data[ACCT_QUOTE_BODY_MAX];
	size_t len;
};

/* Appends to the body; returning less than given aborts the transfer, which
 * also caps chunked responses that CURLOPT_MAXFILESIZE would not. */
static size_t quote_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct quote_body *b = userdata;
	size_t n = size * nmemb;
	if (n > sizeof(b->data) - b->len)
		return 0;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

/*
 * One easy handle per HTTP thread, kept for the thread's life and set up
 * once: creating a handle, or resetting it and setting every option again,
 * for every call costs CPU that the call itself does not need. An easy
 * handle is never shared between threads; the connection is still new for
 * every call (CURLOPT_FRESH_CONNECT, CURLOPT_FORBID_REUSE), and the name
 * of the quotes-service is still looked up again once a minute (libcurl's
 * DNS cache), so a moved VIP is followed.
 */
static pthread_key_t quote_key;
static bool quote_key_ok;
static pthread_once_t quote_once = PTHREAD_ONCE_INIT;

static void quote_handle_free(void *curl)
{
	curl_easy_cleanup(curl);
}

static void quote_key_create(void)
{
	quote_key_ok = pthread_key_create(&quote_key, quote_handle_free) == 0;
}

/* A new handle with the options every call shares; NULL when out of memory. */
static CURL *quote_handle_new(void)
{
	CURL *curl = curl_easy_init();
	/* Each setopt can only fail on bad arguments or no memory. */
	CURLcode rc = curl != NULL ? CURLE_OK : CURLE_OUT_OF_MEMORY;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_MAXFILESIZE, (long)ACCT_QUOTE_BODY_MAX);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, QUOTE_RECV_BUFFER);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, quote_write);
	if (rc != CURLE_OK) {
		curl_easy_cleanup(curl);
		return NULL;
	}
	return curl;
}

/* The calling thread's handle; NULL when out of memory. Without a key
 * (never in practice) it is a new handle that the caller frees: *owned
 * says so. */
static CURL *quote_handle(bool *owned)
{
	CURL *curl;
	pthread_once(&quote_once, quote_key_create);
	*owned = !quote_key_ok;
	curl = quote_key_ok ? pthread_getspecific(quote_key) : NULL;
	if (curl != NULL)
		return curl;
	curl = quote_handle_new();
	if (curl != NULL && quote_key_ok && pthread_setspecific(quote_key, curl) != 0)
		*owned = true;
	return curl;
}

cJSON *acct_quote_fallback(void)
{
	cJSON *q = cJSON_CreateObject();
	if (q == NULL)
		return NULL;
	if (cJSON_AddStringToObject(q, "quote", ACCT_FALLBACK_QUOTE) == NULL ||
	    cJSON_AddStringToObject(q, "ipAddress", ACCT_FALLBACK_IP) == NULL ||
	    cJSON_AddStringToObject(q, "language", ACCT_FALLBACK_LANGUAGE) == NULL) {
		cJSON_Delete(q);
		return NULL;
	}
	return q;
}

/* Copies the three string fields into a new object; NULL when the body is
 * not such an object (or out of memory). */
static cJSON *quote_parse(const struct quote_body *b)
{
	static const char *const fields[] = {"quote", "ipAddress", "language"};
	cJSON *root = cJSON_ParseWithLength(b->data, b->len);
	cJSON *q = NULL;
	if (!cJSON_IsObject(root))
		goto out;
	q = cJSON_CreateObject();
	for (size_t i = 0; q != NULL && i < sizeof(fields) / sizeof(fields[0]); i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, fields[i]);
		if (!cJSON_IsString(f) ||
		    cJSON_AddStringToObject(q, fields[i], f->valuestring) == NULL) {
			cJSON_Delete(q);
			q = NULL;
		}
	}
out:
	cJSON_Delete(root);
	return q;
}

/* One call on a handle from quote_handle(): only what may differ between
 * calls is set here. */
static CURLcode quote_get(CURL *curl, const char *url, long timeout_ms, struct quote_body *body,
			  long *status)
{
	CURLcode rc = curl_easy_setopt(curl, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		rc = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	return rc;
}

cJSON *acct_quote_fetch(const char *url, long timeout_ms, enum acct_quote_outcome *outcome)
{
	/* Only len is set: zeroing all of data would write (and make
	 * resident) 16 KiB of every thread's stack on every call. */
	struct quote_body body;
	long status = 0;
	cJSON *q = NULL;
	CURLcode rc;
	bool owned;
	CURL *curl = quote_handle(&owned);

	body.len = 0;
	*outcome = ACCT_QUOTE_ERROR;
	if (curl == NULL)
		return acct_quote_fallback();
	rc = quote_get(curl, url, timeout_ms, &body, &status);
	if (owned)
		curl_easy_cleanup(curl);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		*outcome = ACCT_QUOTE_TIMEOUT;
		log_debug("quote call timed out timeout_ms=%ld", timeout_ms);
	} else if (rc != CURLE_OK) {
		log_debug("quote call failed: %s", curl_easy_strerror(rc));
	} else if (status != 200) {
		log_debug("quote call answered status=%ld", status);
	} else {
		q = quote_parse(&body);
		if (q != NULL)
			*outcome = ACCT_QUOTE_OK;
		else
			log_debug("quote call sent an invalid body len=%zu", body.len);
	}
	return q != NULL ? q : acct_quote_fallback();
}
