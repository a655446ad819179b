/*
 * The quote body parser of the accountservice (acct_qbody.c) against every class of malformed
 * UTF-8 a quotes-service could send, and the account response built from
 * what it returns, checked with a strict JSON parser of its own (cJSON is
 * not strict about UTF-8, so it cannot be the judge here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "accountservice/acct_qbody.h"
#include "accountservice/acct_quote.h"
#include "accountservice/acct_routes.h"

/* ---- a strict JSON checker (RFC 8259, UTF-8 per Unicode table 3-7) ---- */

struct strict {
	const unsigned char *p, *end;
};

static void strict_ws(struct strict *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* One well-formed UTF-8 sequence of two bytes or more, by its byte ranges. */
static bool strict_utf8_seq(struct strict *s)
{
	static const struct {
		unsigned char lo0, hi0, lo1, hi1;
		int n;
	} forms[] = {
		{0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3},
		{0xE1, 0xEC, 0x80, 0xBF, 3}, {0xED, 0xED, 0x80, 0x9F, 3},
		{0xEE, 0xEF, 0x80, 0xBF, 3}, {0xF0, 0xF0, 0x90, 0xBF, 4},
		{0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
	};
	const unsigned char *p = s->p;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (p[0] < forms[i].lo0 || p[0] > forms[i].hi0)
			continue;
		if (s->end - p < forms[i].n || p[1] < forms[i].lo1 || p[1] > forms[i].hi1)
			return false;
		for (int k = 2; k < forms[i].n; k++)
			if (p[k] < 0x80 || p[k] > 0xBF)
				return false;
		s->p += forms[i].n;
		return true;
	}
	return false;
}

static bool strict_string(struct strict *s)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = *s->p;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (s->end - s->p < 2)
				return false;
			if (s->p[1] == 'u') {
				if (s->end - s->p < 6)
					return false;
				for (int k = 2; k < 6; k++)
					if (!strchr("0123456789abcdefABCDEF", s->p[k]) ||
					    s->p[k] == 0)
						return false;
				/* Our own output must never hold an escaped NUL. */
				if (memcmp(s->p + 2, "0000", 4) == 0)
					return false;
				s->p += 6;
			} else if (s->p[1] != 0 && strchr("\"\\/bfnrt", s->p[1])) {
				s->p += 2;
			} else {
				return false;
			}
		} else if (c < 0x80) {
			s->p++;
		} else if (!strict_utf8_seq(s)) {
			return false;
		}
	}
	if (s->p >= s->end)
		return false;
	s->p++;
	return true;
}

static bool strict_value(struct strict *s, int depth);

static bool strict_members(struct strict *s, int depth, bool object)
{
	char close = object ? '}' : ']';
	s->p++;
	strict_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		strict_ws(s);
		if (object) {
			if (!strict_string(s))
				return false;
			strict_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!strict_value(s, depth + 1))
			return false;
		strict_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == close) {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
	}
}

static bool strict_value(struct strict *s, int depth)
{
	static const char *const words[] = {"true", "false", "null"};
	strict_ws(s);
	if (s->p >= s->end || depth > 32)
		return false;
	if (*s->p == '{' || *s->p == '[')
		return strict_members(s, depth, *s->p == '{');
	if (*s->p == '"')
		return strict_string(s);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);
		if ((size_t)(s->end - s->p) >= n && memcmp(s->p, words[i], n) == 0) {
			s->p += n;
			return true;
		}
	}
	if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
		while (s->p < s->end && strchr("+-.eE0123456789", *s->p) && *s->p != 0)
			s->p++;
		return true;
	}
	return false;
}

static bool strict_json(const char *text)
{
	struct strict s = {(const unsigned char *)text, (const unsigned char *)text + strlen(text)};
	if (!strict_value(&s, 0))
		return false;
	strict_ws(&s);
	return s.p == s.end;
}

/* ---- cases ------------------------------------------------------------ */

/* The account response around a quotes-service body: the parsed quote, or
 * the fallback when the parser refuses it, as the service does. */
static char *account_for(const char *body, size_t len, bool *refused)
{
	cJSON *quote = acct_qbody_parse(body, len);
	*refused = quote == NULL;
	if (quote == NULL)
		quote = acct_quote_fallback();
	return acct_routes_account_body("10000", "Person_0", "127.0.0.1", quote);
}

static void acct_qbody_parse_should_refuse_every_malformed_utf8_class(void **state)
{
	/* Each goes in the "quote" field of an otherwise good body. */
	static const struct {
		const char *name, *bytes;
		size_t len;
	} bad[] = {
		{"0xFF", "\xff", 1},
		{"0xFE", "\xfe", 1},
		{"lone continuation byte", "\x80", 1},
		{"overlong NUL (C0 80)", "\xc0\x80", 2},
		{"overlong slash (C1 AF)", "\xc1\xaf", 2},
		{"overlong 3 bytes (E0 80 AF)", "\xe0\x80\xaf", 3},
		{"overlong 4 bytes (F0 80 80 AF)", "\xf0\x80\x80\xaf", 4},
		{"high surrogate (ED A0 80)", "\xed\xa0\x80", 3},
		{"low surrogate (ED BF BF)", "\xed\xbf\xbf", 3},
		{"past U+10FFFF (F4 90 80 80)", "\xf4\x90\x80\x80", 4},
		{"5-byte form (F8 88 80 80 80)", "\xf8\x88\x80\x80\x80", 5},
		{"truncated 2 bytes", "\xc3", 1},
		{"truncated 3 bytes", "\xe2\x82", 2},
		{"truncated 4 bytes", "\xf0\x9f\x98", 3},
		{"raw NUL", "a\0b", 3},
		{"escaped NUL", "abc\\u0000def", 12},
		{"the issue's bytes", "\xff\xfe\xc0\x80", 4},
	};
	static const char head[] = "{\"quote\":\"";
	static const char tail[] = "\",\"ipAddress\":\"q/127.0.0.1:1\",\"language\":\"en\"}";
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[256];
		size_t len = 0;
		bool refused;
		char *text;
		memcpy(body, head, sizeof(head) - 1);
		len += sizeof(head) - 1;
		memcpy(body + len, bad[i].bytes, bad[i].len);
		len += bad[i].len;
		memcpy(body + len, tail, sizeof(tail) - 1);
		len += sizeof(tail) - 1;
		text = account_for(body, len, &refused);
		assert_non_null(text);
		if (!refused || !strict_json(text) || strstr(text, ACCT_FALLBACK_QUOTE) == NULL)
			fail_msg("%s: refused=%d, response %s", bad[i].name, refused, text);
		cJSON_free(text);
	}
}

static void acct_qbody_parse_should_keep_well_formed_text(void **state)
{
	/* Two, three and four byte forms at their edges, escapes, a
	 * surrogate pair written as an escape. */
	static const char body[] =
		"{\"quote\":\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbd \xf0\x90\x80\x80 "
		"\xf4\x8f\xbf\xbf \\\"\\\\u0000 \\ud83d\\ude00 \\t\","
		"\"ipAddress\":\"q\",\"language\":\"en\"}";
	bool refused;
	char *text = account_for(body, sizeof(body) - 1, &refused);
	(void)state;
	assert_false(refused);
	assert_non_null(text);
	assert_true(strict_json(text));
	assert_non_null(strstr(text, "\xf0\x9f\x98\x80")); /* the pair, decoded */
	assert_non_null(strstr(text, "\\\\u0000"));	   /* text, not a NUL */
	cJSON_free(text);
}

static void acct_qbody_parse_should_refuse_what_is_not_a_quote(void **state)
{
	static const char *const bodies[] = {
		"",
		"<html>",
		"[]",
		"\"quote\"",
		"{\"quote\":\"q\",\"ipAddress\":\"i\"}",
		"{\"quote\":1,\"ipAddress\":\"i\",\"language\":\"en\"}",
		"{\"quote\":\"\\ud800\",\"ipAddress\":\"i\",\"language\":\"en\"}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		cJSON *q = acct_qbody_parse(bodies[i], strlen(bodies[i]));
		if (q != NULL)
			fail_msg("accepted %s", bodies[i]);
	}
}

static void strict_json_should_refuse_what_it_must(void **state)
{
	/* The checker itself: it would let nothing wrong through. */
	(void)state;
	assert_true(strict_json("{\"a\":[1,\"\xc3\xa9\",true,null]}"));
	assert_false(strict_json("{\"a\":\"\xff\"}"));
	assert_false(strict_json("{\"a\":\"\xc0\x80\"}"));
	assert_false(strict_json("{\"a\":\"\xed\xa0\x80\"}"));
	assert_false(strict_json("{\"a\":\"\\u0000\"}"));
	assert_false(strict_json("{\"a\":\"x\"} x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strict_json_should_refuse_what_it_must),
		cmocka_unit_test(acct_qbody_parse_should_refuse_every_malformed_utf8_class),
		cmocka_unit_test(acct_qbody_parse_should_keep_well_formed_text),
		cmocka_unit_test(acct_qbody_parse_should_refuse_what_is_not_a_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
