/*
 * The accountservice handlers against a quotes-service played by a small
 * libmicrohttpd server inside this test: it answers a quote, 500, garbage,
 * a quote without its fields, or nothing within the client's timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accountservice/acct_http.h"
#include "accountservice/acct_quote.h"
#include "timing.h"

#define QUOTE_TIMEOUT_MS 300
#define SLOW_MS		 1000

enum fake_mode { FAKE_QUOTE, FAKE_500, FAKE_GARBAGE, FAKE_MISSING, FAKE_SLOW };

struct fixture {
	char dir[64];
	char db[96];
	char quotes_url[96];
	struct acct_store *store;
	struct acct_metrics metrics;
	struct acct_http *http;
	struct MHD_Daemon *fake;
	atomic_int mode;
	atomic_int fake_connections;
	int health_calls;
	bool last_health;
	bool testability_off; /* for the next start_service */
};

static struct fixture fx;

/* ---- the fake quotes-service ------------------------------------------ */

static enum MHD_Result fake_send(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result fake_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **req_cls)
{
	static int marker;
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	if (*req_cls == NULL) {
		*req_cls = &marker;
		return MHD_YES;
	}
	switch (atomic_load(&fx.mode)) {
	case FAKE_500:
		return fake_send(c, 500, "{\"error\":\"boom\"}");
	case FAKE_GARBAGE:
		return fake_send(c, 200, "<html>not json");
	case FAKE_MISSING:
		return fake_send(c, 200, "{\"quote\":\"half\",\"language\":\"en\"}");
	case FAKE_SLOW:
		timing_sleep_ms(SLOW_MS);
		return fake_send(c, 200,
				 "{\"quote\":\"late\",\"ipAddress\":\"x\",\"language\":\"en\"}");
	default:
		return fake_send(c, 200,
				 "{\"quote\":\"Fake it till you make it.\","
				 "\"ipAddress\":\"fake/127.0.0.1:1\",\"language\":\"en\"}");
	}
}

static void fake_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			    enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	(void)socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&fx.fake_connections, 1);
}

/* ---- the service under test ------------------------------------------- */

static void on_health(void *arg, bool healthy)
{
	struct fixture *f = arg;
	f->health_calls++;
	f->last_health = healthy;
}

static struct acct_http *start_service(struct acct_store *store)
{
	char err[256];
	struct acct_http_options o = {
		.port = 0,
		.store = store,
		.served_by = "192.0.2.7",
		.quotes_url = fx.quotes_url,
		.quotes_timeout_ms = QUOTE_TIMEOUT_MS,
		.metrics = &fx.metrics,
		.testability_off = fx.testability_off,
		.on_health = on_health,
		.on_health_arg = &fx,
	};
	struct acct_http *h = acct_http_start(&o, err, sizeof(err));
	if (h == NULL)
		fprintf(stderr, "%s\n", err);
	return h;
}

static int group_setup(void **state)
{
	char err[256];
	const union MHD_DaemonInfo *info;
	(void)state;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test-acct-http.XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	snprintf(fx.db, sizeof(fx.db), "%s/accounts.db", fx.dir);
	fx.store = acct_store_open(fx.db, err, sizeof(err));
	if (fx.store == NULL)
		return -1;
	fx.fake = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
					   MHD_USE_AUTO,
				   0, NULL, NULL, fake_access, NULL, MHD_OPTION_NOTIFY_CONNECTION,
				   fake_connection, NULL, MHD_OPTION_END);
	if (fx.fake == NULL)
		return -1;
	info = MHD_get_daemon_info(fx.fake, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(fx.quotes_url, sizeof(fx.quotes_url), "http://127.0.0.1:%u/api/quote?strength=4",
		 info->port);
	acct_metrics_init(&fx.metrics);
	fx.http = start_service(fx.store);
	return fx.http == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	char path[128];
	(void)state;
	acct_http_stop(fx.http);
	MHD_stop_daemon(fx.fake);
	acct_store_close(fx.store);
	snprintf(path, sizeof(path), "%s-lock", fx.db);
	unlink(path);
	unlink(fx.db);
	rmdir(fx.dir);
	curl_global_cleanup();
	return 0;
}

static int reset_mode(void **state)
{
	(void)state;
	atomic_store(&fx.mode, FAKE_QUOTE);
	return 0;
}

/* ---- a small HTTP client ---------------------------------------------- */

struct reply {
	long status;
	char body[8192];
	size_t len;
	char headers[4096];
	size_t hlen;
	long connects;
};

static size_t collect(char *p, size_t size, size_t n, void *ud, char *buf, size_t cap, size_t *len)
{
	size_t k = size * n;
	(void)ud;
	if (k > cap - 1 - *len)
		return 0;
	memcpy(buf + *len, p, k);
	*len += k;
	buf[*len] = '\0';
	return k;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	return collect(p, size, n, ud, r->body, sizeof(r->body), &r->len);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	return collect(p, size, n, ud, r->headers, sizeof(r->headers), &r->hlen);
}

/* One request on an existing handle (so tests can reuse the connection). */
static void request_on(CURL *curl, int port, const char *method, const char *path, struct reply *r)
{
	char url[32768];
	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &r->connects);
}

static void request(const char *method, const char *path, struct reply *r)
{
	CURL *curl = curl_easy_init();
	assert_non_null(curl);
	request_on(curl, acct_http_port(fx.http), method, path, r);
	curl_easy_cleanup(curl);
}

static cJSON *json_of(const struct reply *r)
{
	cJSON *root = cJSON_ParseWithLength(r->body, r->len);
	assert_non_null(root);
	return root;
}

static const char *str_at(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void assert_json_error(const struct reply *r, long status)
{
	cJSON *root;
	assert_int_equal(r->status, status);
	assert_non_null(strstr(r->headers, "Content-Type: application/json"));
	root = json_of(r);
	assert_true(strlen(str_at(root, "error")) > 0);
	cJSON_Delete(root);
}

static void assert_fallback(const struct reply *r)
{
	cJSON *root, *quote;
	assert_int_equal(r->status, 200);
	root = json_of(r);
	assert_string_equal(str_at(root, "name"), "Person_0");
	quote = cJSON_GetObjectItemCaseSensitive(root, "quote");
	assert_string_equal(str_at(quote, "quote"), ACCT_FALLBACK_QUOTE);
	assert_string_equal(str_at(quote, "ipAddress"), "circuit-breaker");
	assert_string_equal(str_at(quote, "language"), "en");
	cJSON_Delete(root);
}

/* ---- cases ------------------------------------------------------------ */

static void acct_http_account_should_merge_the_quote(void **state)
{
	struct reply r;
	cJSON *root, *quote;
	(void)state;
	request("GET", "/accounts/10000", &r);
	assert_int_equal(r.status, 200);
	root = json_of(&r);
	assert_string_equal(str_at(root, "id"), "10000");
	assert_string_equal(str_at(root, "name"), "Person_0");
	assert_string_equal(str_at(root, "servedBy"), "192.0.2.7");
	quote = cJSON_GetObjectItemCaseSensitive(root, "quote");
	assert_string_equal(str_at(quote, "quote"), "Fake it till you make it.");
	assert_string_equal(str_at(quote, "ipAddress"), "fake/127.0.0.1:1");
	assert_string_equal(str_at(quote, "language"), "en");
	cJSON_Delete(root);
	request("GET", "/accounts/10099", &r);
	root = json_of(&r);
	assert_string_equal(str_at(root, "name"), "Person_99");
	cJSON_Delete(root);
}

static void acct_http_account_should_open_a_new_quote_connection_per_call(void **state)
{
	struct reply r;
	CURL *curl = curl_easy_init();
	int before = atomic_load(&fx.fake_connections);
	(void)state;
	/* Three calls on one client connection: three quote connections. */
	for (int i = 0; i < 3; i++) {
		request_on(curl, acct_http_port(fx.http), "GET", "/accounts/10001", &r);
		assert_int_equal(r.status, 200);
	}
	curl_easy_cleanup(curl);
	assert_int_equal(atomic_load(&fx.fake_connections) - before, 3);
}

static void acct_http_account_should_fall_back_when_quotes_answers_500(void **state)
{
	struct reply r;
	(void)state;
	atomic_store(&fx.mode, FAKE_500);
	request("GET", "/accounts/10000", &r);
	assert_fallback(&r);
}

static void acct_http_account_should_fall_back_on_garbage(void **state)
{
	struct reply r;
	(void)state;
	atomic_store(&fx.mode, FAKE_GARBAGE);
	request("GET", "/accounts/10000", &r);
	assert_fallback(&r);
}

static void acct_http_account_should_fall_back_on_missing_fields(void **state)
{
	struct reply r;
	(void)state;
	atomic_store(&fx.mode, FAKE_MISSING);
	request("GET", "/accounts/10000", &r);
	assert_fallback(&r);
}

static void acct_http_account_should_fall_back_when_quotes_is_refused(void **state)
{
	struct reply r;
	char saved[sizeof(fx.quotes_url)];
	struct acct_http *h;
	CURL *curl = curl_easy_init();
	(void)state;
	/* Port 1 on loopback: nothing listens there. */
	memcpy(saved, fx.quotes_url, sizeof(saved));
	snprintf(fx.quotes_url, sizeof(fx.quotes_url), "http://127.0.0.1:1/api/quote");
	h = start_service(fx.store);
	assert_non_null(h);
	request_on(curl, acct_http_port(h), "GET", "/accounts/10000", &r);
	curl_easy_cleanup(curl);
	acct_http_stop(h);
	memcpy(fx.quotes_url, saved, sizeof(saved));
	assert_fallback(&r);
}

static void acct_http_account_should_fall_back_when_quotes_times_out(void **state)
{
	struct reply r;
	int64_t start = timing_mono_ms(), elapsed;
	(void)state;
	atomic_store(&fx.mode, FAKE_SLOW);
	request("GET", "/accounts/10000", &r);
	elapsed = timing_mono_ms() - start;
	assert_fallback(&r);
	/* Bounded by the timeout, not by the quotes-service. */
	assert_true(elapsed >= QUOTE_TIMEOUT_MS - 10);
	assert_true(elapsed < SLOW_MS);
}

/* Each request waits for its own quote only: twenty at once against a
 * quotes-service that never answers in time all end at the timeout, not
 * one timeout after another. */
static void acct_http_account_should_not_let_a_slow_quote_hold_up_others(void **state)
{
	enum { CLIENTS = 20 };
	struct reply replies[CLIENTS];
	CURL *easy[CLIENTS];
	CURLM *multi = curl_multi_init();
	char url[64];
	int running = 1;
	int64_t start, elapsed;
	(void)state;
	atomic_store(&fx.mode, FAKE_SLOW);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/accounts/10000", acct_http_port(fx.http));
	for (int i = 0; i < CLIENTS; i++) {
		memset(&replies[i], 0, sizeof(replies[i]));
		easy[i] = curl_easy_init();
		curl_easy_setopt(easy[i], CURLOPT_URL, url);
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &replies[i]);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, 10000L);
		curl_multi_add_handle(multi, easy[i]);
	}
	start = timing_mono_ms();
	while (running > 0) {
		assert_int_equal(curl_multi_perform(multi, &running), CURLM_OK);
		assert_int_equal(curl_multi_poll(multi, NULL, 0, 100, NULL), CURLM_OK);
	}
	elapsed = timing_mono_ms() - start;
	for (int i = 0; i < CLIENTS; i++) {
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &replies[i].status);
		assert_fallback(&replies[i]);
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_multi_cleanup(multi);
	assert_true(elapsed < SLOW_MS);
}

struct pending {
	int port;
	struct reply r;
};

static void *request_in_thread(void *arg)
{
	struct pending *p = arg;
	CURL *curl = curl_easy_init();
	request_on(curl, p->port, "GET", "/accounts/10000", &p->r);
	curl_easy_cleanup(curl);
	return NULL;
}

/* A stop lets a request that waits for its quote finish, tells its client
 * to close the connection, and then no longer accepts. */
static void acct_http_stop_should_finish_requests_in_flight(void **state)
{
	struct pending p;
	pthread_t t;
	struct acct_http *h = start_service(fx.store);
	CURL *curl = curl_easy_init();
	int before = atomic_load(&fx.fake_connections);
	(void)state;
	assert_non_null(h);
	atomic_store(&fx.mode, FAKE_SLOW);
	p.port = acct_http_port(h);
	assert_int_equal(pthread_create(&t, NULL, request_in_thread, &p), 0);
	/* Stop once the request waits for its quote (its call reached the
	 * quotes-service), however slow this machine is. */
	for (int i = 0; i < 500 && atomic_load(&fx.fake_connections) == before; i++)
		timing_sleep_ms(10);
	assert_int_not_equal(atomic_load(&fx.fake_connections), before);
	acct_http_stop(h);
	pthread_join(t, NULL);
	assert_fallback(&p.r);
	assert_non_null(strcasestr(p.r.headers, "Connection: close"));
	curl_easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1/health");
	curl_easy_setopt(curl, CURLOPT_PORT, (long)p.port);
	assert_int_equal(curl_easy_perform(curl), CURLE_COULDNT_CONNECT);
	curl_easy_cleanup(curl);
}

static void acct_http_account_should_answer_404_for_an_unknown_id(void **state)
{
	struct reply r;
	(void)state;
	request("GET", "/accounts/99999", &r);
	assert_json_error(&r, 404);
}

static void acct_http_account_should_answer_400_for_a_bad_id(void **state)
{
	static const char *const bad[] = {
		"/accounts/abc", "/accounts/",
		"/accounts/12a", "/accounts/123456789012345678901234567890123",
		"/accounts/1/2", "/accounts/-1",
	};
	struct reply r;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request("GET", bad[i], &r);
		assert_json_error(&r, 400);
	}
	/* 32 digits is still an id: just not a known one. */
	request("GET", "/accounts/12345678901234567890123456789012", &r);
	assert_json_error(&r, 404);
}

static void acct_http_should_answer_404_for_an_unknown_path(void **state)
{
	struct reply r;
	(void)state;
	request("GET", "/nothing/here", &r);
	assert_json_error(&r, 404);
	request("GET", "/accounts", &r);
	assert_json_error(&r, 404);
	request("GET", "/", &r);
	assert_json_error(&r, 404);
}

static void acct_http_should_answer_405_for_a_wrong_method(void **state)
{
	struct reply r;
	(void)state;
	request("POST", "/accounts/10000", &r);
	assert_json_error(&r, 405);
	assert_non_null(strstr(r.headers, "Allow: GET, HEAD"));
	request("DELETE", "/health", &r);
	assert_json_error(&r, 405);
}

static void acct_http_should_answer_414_for_a_long_url(void **state)
{
	static const size_t lengths[] = {2100, 10000};
	char path[10100];
	struct reply r;
	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		snprintf(path, sizeof(path), "/health?q=");
		memset(path + strlen(path), 'a', lengths[i]);
		path[lengths[i]] = '\0';
		request("GET", path, &r);
		assert_json_error(&r, 414);
	}
	/* Just under the limit is served. */
	snprintf(path, sizeof(path), "/health?q=");
	memset(path + strlen(path), 'a', 2000);
	path[2000] = '\0';
	request("GET", path, &r);
	assert_int_equal(r.status, 200);
}

static void acct_http_health_should_flip_with_testability(void **state)
{
	struct reply r;
	int calls = fx.health_calls;
	(void)state;
	request("GET", "/health", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"UP\"}");

	request("GET", "/testability/healthy/false", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fx.health_calls, calls + 1);
	assert_false(fx.last_health);
	assert_false(acct_http_is_healthy(fx.http));
	request("GET", "/health", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "\"status\":\"DOWN\""));

	request("GET", "/testability/healthy/true", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(fx.health_calls, calls + 2);
	assert_true(fx.last_health);
	request("GET", "/health", &r);
	assert_int_equal(r.status, 200);
}

static void acct_http_testability_should_reject_other_values(void **state)
{
	struct reply r;
	(void)state;
	request("GET", "/testability/healthy/maybe", &r);
	assert_json_error(&r, 400);
	request("GET", "/testability/healthy/", &r);
	assert_json_error(&r, 400);
	assert_true(acct_http_is_healthy(fx.http));
}

/* Turned off for production: 404 with a JSON error for every value and
 * method, and the health flag never moves. */
static void acct_http_testability_should_answer_404_when_turned_off(void **state)
{
	static const char *const paths[] = {"/testability/healthy/false",
					    "/testability/healthy/true", "/testability/healthy/x"};
	struct reply r;
	struct acct_http *h;
	CURL *curl = curl_easy_init();
	int calls = fx.health_calls;
	(void)state;
	fx.testability_off = true;
	h = start_service(fx.store);
	fx.testability_off = false;
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		request_on(curl, acct_http_port(h), "GET", paths[i], &r);
		assert_json_error(&r, 404);
		assert_non_null(strstr(r.body, "turned off"));
	}
	request_on(curl, acct_http_port(h), "POST", paths[0], &r);
	assert_json_error(&r, 404);
	assert_true(acct_http_is_healthy(h));
	assert_int_equal(fx.health_calls, calls);
	request_on(curl, acct_http_port(h), "GET", "/health", &r);
	assert_int_equal(r.status, 200);
	request_on(curl, acct_http_port(h), "GET", "/metrics", &r);
	assert_non_null(strstr(
		r.body, "accountservice_http_requests_total{route=\"testability\",status=\"404\"} 4\n"));
	curl_easy_cleanup(curl);
	acct_http_stop(h);
}

static void acct_http_health_should_be_down_without_a_store(void **state)
{
	struct reply r;
	struct acct_http *h = start_service(NULL);
	CURL *curl = curl_easy_init();
	(void)state;
	assert_non_null(h);
	request_on(curl, acct_http_port(h), "GET", "/health", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "\"store\":\"closed\""));
	request_on(curl, acct_http_port(h), "GET", "/accounts/10000", &r);
	assert_int_equal(r.status, 503);
	curl_easy_cleanup(curl);
	acct_http_stop(h);
}

/* Pitfall: a response queued on the first access-handler call closes the
 * connection. Two requests on one client handle must share one connection
 * and no response may say Connection: close. */
static void acct_http_should_keep_connections_alive(void **state)
{
	static const char *const paths[] = {"/health", "/accounts/10000", "/accounts/abc",
					    "/nothing", "/metrics"};
	struct reply r;
	CURL *curl = curl_easy_init();
	(void)state;
	request_on(curl, acct_http_port(fx.http), "GET", "/health", &r);
	assert_int_equal(r.connects, 1);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		request_on(curl, acct_http_port(fx.http), "GET", paths[i], &r);
		assert_int_equal(r.connects, 0);
		assert_null(strcasestr(r.headers, "Connection: close"));
	}
	curl_easy_cleanup(curl);
}

static void acct_http_metrics_should_count_requests_and_quotes(void **state)
{
	struct reply r;
	(void)state;
	request("GET", "/accounts/10000", &r);
	atomic_store(&fx.mode, FAKE_500);
	request("GET", "/accounts/10000", &r);
	request("GET", "/nothing", &r);
	request("GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "Content-Type: text/plain"));
	assert_non_null(strstr(
		r.body, "accountservice_http_requests_total{route=\"accounts\",status=\"200\"} "));
	assert_non_null(strstr(
		r.body, "accountservice_http_requests_total{route=\"other\",status=\"404\"} "));
	assert_non_null(strstr(r.body, "accountservice_quote_calls_total{outcome=\"ok\"} "));
	assert_null(strstr(r.body, "accountservice_quote_calls_total{outcome=\"error\"} 0\n"));
	assert_null(strstr(r.body, "accountservice_quote_calls_total{outcome=\"fallback\"} 0\n"));
	assert_non_null(strstr(
		r.body, "accountservice_http_request_duration_seconds_bucket{le=\"+Inf\"} "));
	assert_non_null(strstr(r.body, "accountservice_http_request_duration_seconds_count "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(acct_http_account_should_merge_the_quote, reset_mode),
		cmocka_unit_test_setup(
			acct_http_account_should_open_a_new_quote_connection_per_call, reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_fall_back_when_quotes_answers_500,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_fall_back_on_garbage, reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_fall_back_on_missing_fields,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_fall_back_when_quotes_is_refused,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_fall_back_when_quotes_times_out,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_not_let_a_slow_quote_hold_up_others,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_stop_should_finish_requests_in_flight, reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_answer_404_for_an_unknown_id,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_account_should_answer_400_for_a_bad_id,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_should_answer_404_for_an_unknown_path, reset_mode),
		cmocka_unit_test_setup(acct_http_should_answer_405_for_a_wrong_method, reset_mode),
		cmocka_unit_test_setup(acct_http_should_answer_414_for_a_long_url, reset_mode),
		cmocka_unit_test_setup(acct_http_health_should_flip_with_testability, reset_mode),
		cmocka_unit_test_setup(acct_http_testability_should_reject_other_values,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_testability_should_answer_404_when_turned_off,
				       reset_mode),
		cmocka_unit_test_setup(acct_http_health_should_be_down_without_a_store, reset_mode),
		cmocka_unit_test_setup(acct_http_should_keep_connections_alive, reset_mode),
		cmocka_unit_test_setup(acct_http_metrics_should_count_requests_and_quotes,
				       reset_mode),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
