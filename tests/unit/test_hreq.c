/* The request checks both HTTP servers share (common/hreq.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hreq.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct hreq_field host[] = {{"Host", "x"}};

/* hreq_check of a request with these headers (and Host). */
static int check_headers(const struct hreq_field *h, size_t n, struct hreq_refusal *out)
{
	struct hreq_request r = {.version = "HTTP/1.1", .headers = h, .nheaders = n};
	return hreq_check(&r, out);
}

static void hreq_check_should_pass_a_plain_request(void **state)
{
	struct hreq_field args[] = {{"state", "UP"}, {"index", "1"}, {"wait", NULL}};
	struct hreq_request r = {.version = "HTTP/1.1",
				 .headers = host,
				 .nheaders = 1,
				 .args = args,
				 .nargs = N(args)};
	struct hreq_refusal out;
	(void)state;
	assert_int_equal(hreq_check(&r, &out), 0);
}

static void hreq_check_should_close_on_framing_a_proxy_could_read_otherwise(void **state)
{
	static const struct {
		struct hreq_field h[3];
		unsigned status;
	} cases[] = {
		{{{"Host", "x"}, {"Content-Length", "1"}, {"Content-Length", "5"}}, 400},
		{{{"Host", "x"}, {"Content-Length", "-1"}, {"X", "y"}}, 400},
		{{{"Host", "x"}, {"Content-Length", ""}, {"X", "y"}}, 400},
		{{{"Host", "x"}, {"Transfer-Encoding", "gzip"}, {"X", "y"}}, 501},
		{{{"Host", "x"},
		  {"Transfer-Encoding", "chunked"},
		  {"Transfer-Encoding", "chunked"}},
		 501},
		{{{"Host", "x"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, 400},
		{{{"Host", "x"}, {"Bad Name", "y"}, {"X", "y"}}, 400},
		{{{"Host", "x"}, {"Bad\tName", "y"}, {"X", "y"}}, 400},
		{{{"Host", "x"}, {"", "y"}, {"X", "y"}}, 400},
		{{{"Host", "x"}, {"Host", "y"}, {"X", "y"}}, 400},
	};
	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct hreq_refusal out = {0};
		assert_int_equal(check_headers(cases[i].h, 3, &out), -1);
		assert_int_equal(out.status, cases[i].status);
		assert_true(out.close);
		assert_non_null(out.message);
	}
}

static void hreq_check_should_take_what_is_well_framed(void **state)
{
	static const struct hreq_field same[] = {
		{"Host", "x"}, {"content-length", "5"}, {"Content-Length", "5"}};
	static const struct hreq_field chunked[] = {{"Host", "x"},
						    {"Transfer-Encoding", "Chunked"}};
	struct hreq_refusal out;
	(void)state;
	assert_int_equal(check_headers(same, N(same), &out), 0);
	assert_int_equal(check_headers(chunked, N(chunked), &out), 0);
}

static void hreq_check_should_want_host_in_http_1_1_only(void **state)
{
	struct hreq_request r = {.version = "HTTP/1.1"};
	struct hreq_refusal out;
	(void)state;
	assert_int_equal(hreq_check(&r, &out), -1);
	assert_int_equal(out.status, 400);
	assert_true(out.close);
	r.version = "HTTP/1.0";
	assert_int_equal(hreq_check(&r, &out), 0);
	r.version = "";
	assert_int_equal(hreq_check(&r, &out), 0);
}

static void hreq_check_should_refuse_nul_and_repeated_keys_keeping_the_connection(void **state)
{
	struct hreq_field args[] = {{"index", "abc"}, {"state", "UP"}, {"index", "1"}};
	struct hreq_request r = {
		.version = "HTTP/1.1", .headers = host, .nheaders = 1, .nul_escape = true};
	struct hreq_refusal out;
	(void)state;
	assert_int_equal(hreq_check(&r, &out), -1);
	assert_int_equal(out.status, 400);
	assert_false(out.close);
	assert_non_null(strstr(out.message, "%00"));
	r.nul_escape = false;
	r.args = args;
	r.nargs = N(args);
	assert_int_equal(hreq_check(&r, &out), -1);
	assert_int_equal(out.status, 400);
	assert_false(out.close);
	assert_non_null(strstr(out.message, "twice"));
}

static void hreq_path_should_serve_absolute_form(void **state)
{
	(void)state;
	assert_string_equal(hreq_path("/services"), "/services");
	assert_string_equal(hreq_path("http://127.0.0.1:6868/services/x"), "/services/x");
	assert_string_equal(hreq_path("HTTPS://h/health"), "/health");
	assert_string_equal(hreq_path("http://127.0.0.1:6868"), "/");
	assert_string_equal(hreq_path("ftp://h/health"), "ftp://h/health");
	assert_string_equal(hreq_path("*"), "*");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hreq_check_should_pass_a_plain_request),
		cmocka_unit_test(hreq_check_should_close_on_framing_a_proxy_could_read_otherwise),
		cmocka_unit_test(hreq_check_should_take_what_is_well_framed),
		cmocka_unit_test(hreq_check_should_want_host_in_http_1_1_only),
		cmocka_unit_test(
			hreq_check_should_refuse_nul_and_repeated_keys_keeping_the_connection),
		cmocka_unit_test(hreq_path_should_serve_absolute_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
