/* The strict check of a connection's first request head (common/hhead.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hhead.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct hhead_limits limits = {.max_head = 256, .max_fields = 8};

static enum hhead_verdict check(const char *s, struct hhead_result *out)
{
	return hhead_check(s, strlen(s), &limits, out);
}

static void hhead_check_should_accept_what_is_served_today(void **state)
{
	static const char *const ok[] = {
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /health HTTP/1.0\r\n\r\n",
		"GET /health HTTP/1.2\r\nHost: x\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", /* empty lines first */
		"GET / HTTP/1.1\nHost: x\n\n",		      /* bare LF */
		"GET http://127.0.0.1:6868/services HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /services/\xff\xc0\x80 HTTP/1.1\r\nHost: x\r\n\r\n", /* the route's 400 */
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length:  12 \r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Tab: a\tb\r\nX-Utf8: caf\xc3\xa9\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", /* pipelined */
		/* framing hreq_check refuses later, in JSON, from libmicrohttpd's values */
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\n",
	};
	(void)state;
	for (size_t i = 0; i < N(ok); i++) {
		struct hhead_result out;
		assert_int_equal(check(ok[i], &out), HHEAD_COMPLETE);
		assert_true(out.length <= strlen(ok[i]));
		assert_true(out.length >= 4);
	}
}

static void hhead_check_should_say_where_the_head_ends(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\n";
	struct hhead_result out;
	(void)state;
	assert_int_equal(check(s, &out), HHEAD_COMPLETE);
	assert_int_equal(out.length, strlen("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	assert_false(out.head);
}

static void hhead_check_should_wait_for_every_prefix_of_a_good_head(void **state)
{
	const char *s = "GET /health HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	struct hhead_result out;
	(void)state;
	for (size_t n = 0; n < strlen(s); n++)
		assert_int_equal(hhead_check(s, n, &limits, &out), HHEAD_INCOMPLETE);
	assert_int_equal(hhead_check(s, strlen(s), &limits, &out), HHEAD_COMPLETE);
}

static void hhead_check_should_refuse_a_bad_request_line(void **state)
{
	static const struct {
		const char *s;
		unsigned status;
	} cases[] = {
		{"GARBAGE\r\n\r\n", 400},
		{"GET\r\n\r\n", 400},
		{"GET /health\r\n\r\n", 400}, /* HTTP/0.9 */
		{"GET  /health HTTP/1.1\r\n", 400},
		{"GET /health  HTTP/1.1\r\n", 400},
		{"GET /health HTTP/1.1 \r\n", 400},
		{" GET /health HTTP/1.1\r\n", 400},
		{"GET /a b HTTP/1.1\r\n", 400},
		{"GET\t/ HTTP/1.1\r\n", 400},
		{"G(T / HTTP/1.1\r\n", 400},
		{"GET /\x01 HTTP/1.1\r\n", 400},
		{"GET / http/1.1\r\n", 400},
		{"GET / HTTP/1.10\r\n", 400},
		{"GET / HTTP/1\r\n", 400},
		{"GET / HTTP/2.0\r\n", 505},
		{"GET / HTTP/0.9\r\n", 505},
		{"GET / HTTP/9.9\r\n", 505},
	};
	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct hhead_result out;
		assert_int_equal(check(cases[i].s, &out), HHEAD_REFUSED);
		assert_int_equal(out.refusal.status, cases[i].status);
		assert_true(out.refusal.close);
		assert_non_null(out.refusal.message);
	}
}

static void hhead_check_should_refuse_a_bad_header_line(void **state)
{
	static const char *const bad[] = {
		"Host x",		    /* no colon */
		"Bad Name: x",		    /* a space in the name */
		"Host : x",		    /* a space before the colon */
		": x",			    /* no name */
		"X(y): z",		    /* not a token */
		"X: a\x01b",		    /* a control character */
		"X: a\x7f",		    /* DEL */
		"Content-Length: -1",	    /* not 1*DIGIT */
		"Content-Length: 1x",	    /* not 1*DIGIT */
		"Content-Length: ",	    /* empty */
		"content-length: +5",	    /* any case */
		"Content-Length: 1 2",	    /* two numbers */
	};
	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		char s[128];
		struct hhead_result out;
		snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n", bad[i]);
		assert_int_equal(check(s, &out), HHEAD_REFUSED);
		assert_int_equal(out.refusal.status, 400);
	}
}

static void hhead_check_should_refuse_obsolete_line_folding(void **state)
{
	struct hhead_result out;
	(void)state;
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", &out),
			 HHEAD_REFUSED);
	assert_int_equal(out.refusal.status, 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n", &out),
			 HHEAD_REFUSED);
}

static void hhead_check_should_refuse_nul_and_bare_cr_anywhere(void **state)
{
	static const char nul_line[] = "GET /a\0b HTTP/1.1\r\n\r\n";
	static const char nul_field[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	static const char nul_first[] = "\0GET / HTTP/1.1\r\n\r\n";
	struct hhead_result out;
	(void)state;
	assert_int_equal(hhead_check(nul_line, sizeof(nul_line) - 1, &limits, &out),
			 HHEAD_REFUSED);
	assert_int_equal(out.refusal.status, 400);
	assert_int_equal(hhead_check(nul_field, sizeof(nul_field) - 1, &limits, &out),
			 HHEAD_REFUSED);
	assert_int_equal(hhead_check(nul_first, sizeof(nul_first) - 1, &limits, &out),
			 HHEAD_REFUSED);
	assert_int_equal(check("GET / HTTP/1.1\rHost: x\r\n\r\n", &out), HHEAD_REFUSED);
	assert_int_equal(out.refusal.status, 400);
	assert_int_equal(check("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", &out), HHEAD_REFUSED);
	assert_int_equal(check("\rGET / HTTP/1.1\r\n\r\n", &out), HHEAD_REFUSED);
	/* A CR last may yet be followed by its LF. */
	assert_int_equal(check("GET / HTTP/1.1\r", &out), HHEAD_INCOMPLETE);
}

static void hhead_check_should_refuse_a_head_past_the_limits(void **state)
{
	char s[512];
	struct hhead_result out;
	(void)state;
	/* A request line longer than the head may be: 414. */
	memset(s, 'a', sizeof(s));
	memcpy(s, "GET /", 5);
	assert_int_equal(hhead_check(s, limits.max_head, &limits, &out), HHEAD_INCOMPLETE);
	assert_int_equal(hhead_check(s, limits.max_head + 1, &limits, &out), HHEAD_REFUSED);
	assert_int_equal(out.refusal.status, 414);
	/* Headers past it: 431. */
	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %0300d\r\n\r\n", 0);
	assert_int_equal(check(s, &out), HHEAD_REFUSED);
	assert_int_equal(out.refusal.status, 431);
	/* A head of exactly max_head bytes fits. */
	memset(s, 0, sizeof(s));
	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nX: %0*d\r\n\r\n",
		 (int)(limits.max_head - strlen("GET / HTTP/1.1\r\nX: \r\n\r\n")), 0);
	assert_int_equal(strlen(s), limits.max_head);
	assert_int_equal(check(s, &out), HHEAD_COMPLETE);
	/* More header lines than max_fields: 431. */
	strcpy(s, "GET / HTTP/1.1\r\n");
	for (size_t i = 0; i <= limits.max_fields; i++)
		strcat(s, "A: b\r\n");
	strcat(s, "\r\n");
	assert_int_equal(check(s, &out), HHEAD_REFUSED);
	assert_int_equal(out.refusal.status, 431);
}

static void hhead_check_should_tell_a_head_request(void **state)
{
	struct hhead_result out;
	(void)state;
	assert_int_equal(check("HEAD / HTTP/2.0\r\n\r\n", &out), HHEAD_REFUSED);
	assert_true(out.head);
	assert_int_equal(check("HEADER / HTTP/2.0\r\n\r\n", &out), HHEAD_REFUSED);
	assert_false(out.head);
}

static void hhead_is_tchar_should_take_the_token_characters_only(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		bool want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
		assert_int_equal(hhead_is_tchar((unsigned char)c), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hhead_check_should_accept_what_is_served_today),
		cmocka_unit_test(hhead_check_should_say_where_the_head_ends),
		cmocka_unit_test(hhead_check_should_wait_for_every_prefix_of_a_good_head),
		cmocka_unit_test(hhead_check_should_refuse_a_bad_request_line),
		cmocka_unit_test(hhead_check_should_refuse_a_bad_header_line),
		cmocka_unit_test(hhead_check_should_refuse_obsolete_line_folding),
		cmocka_unit_test(hhead_check_should_refuse_nul_and_bare_cr_anywhere),
		cmocka_unit_test(hhead_check_should_refuse_a_head_past_the_limits),
		cmocka_unit_test(hhead_check_should_tell_a_head_request),
		cmocka_unit_test(hhead_is_tchar_should_take_the_token_characters_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
