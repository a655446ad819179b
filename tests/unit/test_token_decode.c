/*
 * token_decode against every rule of the wire contract (docs/token.md);
 * test_token_mutations.c throws malformed inputs at it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token_decode.h"
#include "token_fixture.h"

/* Decodes a body expected to be rejected; checks the token is left cleared. */
static int reject(const char *body, const char *key)
{
	struct token t;
	int rc = decode(body, key, &t);

	assert_true(rc < 0);
	assert_null(t.instance_id);
	assert_int_equal(t.metadata_count, 0);
	return rc;
}

/* "{"state":"UP","address":"10.0.0.5",<extra>}" */
static int reject_with(const char *extra)
{
	char body[TOKEN_MAX_BODY * 2];

	snprintf(body, sizeof(body), "{\"state\":\"UP\",\"address\":\"10.0.0.5\",%s}", extra);
	return reject(body, KEY);
}

static void token_decode_should_accept_a_full_token(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(decode(FULL, KEY, &t), 0);
	assert_int_equal(t.state, TOKEN_UP);
	assert_string_equal(t.address, "10.0.0.22");
	assert_string_equal(t.service, "accountservice");
	assert_int_equal(t.port, 6767);
	assert_string_equal(t.instance_id, "acct-1");
	assert_string_equal(t.hostname, "c0ffee");
	assert_string_equal(t.health_url, "http://10.0.0.22:6767/health");
	assert_string_equal(t.stream_url, "https://10.0.0.22:6767/stream");
	assert_string_equal(t.reason, "deploy");
	assert_int_equal(t.ttl, 6);
	assert_int_equal(t.seq, 41);
	assert_int_equal(t.ts, 1700000000123LL);
	assert_int_equal(t.metadata_count, 2);
	assert_string_equal(t.metadata[0].key, "zone");
	assert_string_equal(t.metadata[0].value, "a");
	assert_string_equal(t.metadata[1].key, "version");
	assert_string_equal(t.metadata[1].value, "1.2.3");
	token_clear(&t);
}

static void token_decode_should_fill_defaults_for_the_minimal_form(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(decode(MINIMAL, "discovery.quotes-service.down", &t), 0);
	assert_int_equal(t.state, TOKEN_UP); /* the body's state counts */
	assert_string_equal(t.address, "10.0.0.5");
	assert_string_equal(t.service, "quotes-service");
	assert_int_equal(t.port, 0);
	assert_string_equal(t.instance_id, "10.0.0.5");
	assert_int_equal(t.ttl, TOKEN_DEFAULT_TTL);
	assert_int_equal(t.seq, -1);
	assert_int_equal(t.ts, 0);
	assert_null(t.hostname);
	assert_null(t.health_url);
	assert_null(t.stream_url);
	assert_null(t.reason);
	assert_int_equal(t.metadata_count, 0);
	token_clear(&t);
}

static void token_decode_should_accept_every_state(void **state)
{
	(void)state;
	static const char *names[] = {"UP", "DOWN", "STARTING", "OUT_OF_SERVICE"};
	char body[128];
	struct token t;

	for (int i = 0; i < 4; i++) {
		snprintf(body, sizeof(body), "{\"state\":\"%s\",\"address\":\"10.0.0.5\"}",
			 names[i]);
		assert_int_equal(decode(body, KEY, &t), 0);
		assert_int_equal(t.state, i);
		token_clear(&t);
	}
}

static void token_decode_should_accept_ipv6_addresses(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"fd00::22\",\"port\":6767}", KEY, &t), 0);
	assert_string_equal(t.address, "fd00::22");
	/* Brackets keep the port apart from the address's own colons. */
	assert_string_equal(t.instance_id, "[fd00::22]:6767");
	token_clear(&t);
	assert_int_equal(decode("{\"state\":\"DOWN\",\"address\":\"::1\"}", KEY, &t), 0);
	assert_string_equal(t.instance_id, "::1");
	token_clear(&t);
}

static void token_decode_should_default_instance_id_to_address_and_port(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":8080}", KEY, &t), 0);
	assert_string_equal(t.instance_id, "10.0.0.5:8080");
	token_clear(&t);
	assert_int_equal(decode(MINIMAL, KEY, &t), 0);
	assert_string_equal(t.instance_id, "10.0.0.5");
	token_clear(&t);
}

static void token_decode_should_accept_only_16_hex_digits_as_incarnation(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\","
				"\"incarnation\":\"0123456789abcDEF\"}", KEY, &t), 0);
	assert_string_equal(t.incarnation, "0123456789abcDEF");
	token_clear(&t);
	assert_int_equal(reject_with("\"incarnation\":\"0123456789abcde\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"incarnation\":\"0123456789abcdef0\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"incarnation\":\"0123456789abcdeg\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"incarnation\":1"), TOKEN_ERR_BAD_TYPE);
}

static void token_decode_signed_should_require_what_the_signature_binds(void **state)
{
	(void)state;
	static const char *const missing[] = {
		"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"instanceId\":\"i\",\"seq\":1,\"ts\":1}",
		"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"acct\",\"seq\":1,\"ts\":1}",
		"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"acct\",\"instanceId\":\"i\",\"ts\":1}",
		"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"acct\",\"instanceId\":\"i\",\"seq\":1}",
	};
	const char *full = "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"acct\","
			   "\"instanceId\":\"i\",\"seq\":1,\"ts\":1}";
	struct token t;

	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		assert_int_equal(token_decode_signed(missing[i], strlen(missing[i]),
						     "discovery.acct.up", &t), TOKEN_ERR_UNBOUND);
		assert_null(t.instance_id);
	}
	assert_int_equal(token_decode_signed(full, strlen(full), "discovery.acct.up", &t), 0);
	token_clear(&t);
	/* The body's service binds it to its own routing key only. */
	assert_int_equal(token_decode_signed(full, strlen(full), "discovery.other.up", &t),
			 TOKEN_ERR_BAD_SERVICE);
}

static void token_default_instance_id_should_bracket_only_ipv6(void **state)
{
	(void)state;
	char id[TOKEN_DEFAULT_ID_MAX];

	token_default_instance_id("fd00::1", 80, id, sizeof(id));
	assert_string_equal(id, "[fd00::1]:80");
	token_default_instance_id("10.0.0.1", 80, id, sizeof(id));
	assert_string_equal(id, "10.0.0.1:80");
	token_default_instance_id("fd00::1", 0, id, sizeof(id));
	assert_string_equal(id, "fd00::1");
}

static void token_decode_should_default_ttl_and_accept_its_range(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(decode(MINIMAL, KEY, &t), 0);
	assert_int_equal(t.ttl, 6);
	token_clear(&t);
	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"ttl\":86400}", KEY, &t), 0);
	assert_int_equal(t.ttl, 86400);
	token_clear(&t);
	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"ttl\":1}", KEY, &t),
			 0);
	assert_int_equal(t.ttl, 1);
	token_clear(&t);
}

static void token_decode_should_ignore_unknown_fields(void **state)
{
	(void)state;
	struct token t;
	const char *body = "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"version\":2,"
			   "\"extra\":{\"deep\":[1,2,{\"x\":null}]},\"State\":\"bogus\"}";

	assert_int_equal(decode(body, KEY, &t), 0);
	assert_int_equal(t.state, TOKEN_UP);
	token_clear(&t);
}

/* What the scanner must read as JSON does (RFC 8259), and nothing more. */
static void token_decode_should_read_the_json_grammar_exactly(void **state)
{
	(void)state;
	struct token t;
	char body[TOKEN_MAX_BODY + 1];
	int n, depth = 1500;

	assert_int_equal(reject_with("\"port\":080"), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("\"port\":+80"), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("\"port\":80,"), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("\"x\":NaN"), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("'x':1"), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("/* c */\"x\":1"), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("\"x\":\"\\ud800\\u0041\""), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("\"x\":\"\\q\""), TOKEN_ERR_NOT_JSON);
	/* An escaped key names the same field: given twice, it is rejected. */
	assert_int_equal(reject_with("\"st\\u0061te\":\"DOWN\""), TOKEN_ERR_BAD_FIELD);
	/* A surrogate pair is one character, kept as its UTF-8. */
	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\","
				"\"metadata\":{\"e\":\"\\ud83d\\ude00\"}}",
				KEY, &t),
			 0);
	assert_string_equal(t.metadata[0].value, "\xf0\x9f\x98\x80");
	token_clear(&t);
	/* Nesting deeper than the scanner's arena holds, in an unknown field. */
	n = snprintf(body, sizeof(body), "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"x\":");
	memset(body + n, '[', (size_t)depth);
	memset(body + n + depth, ']', (size_t)depth);
	memcpy(body + n + 2 * depth, "}", 2);
	assert_int_equal(decode(body, KEY, &t), 0);
	assert_int_equal(t.state, TOKEN_UP);
	token_clear(&t);
}

/* A consumer that gives ttl-less tokens a ttl of its own (the subscriber's
 * legacy tokens) learns whether the body had one. */
static void token_decode_into_should_say_whether_the_body_had_a_ttl(void **state)
{
	(void)state;
	static struct token_buf tb;
	const char *bad_ttl = "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"ttl\":\"6\"}";

	assert_int_equal(token_decode_into(MINIMAL, strlen(MINIMAL), KEY, false, &tb), 0);
	assert_false(tb.ttl_given);
	assert_int_equal(tb.tok.ttl, TOKEN_DEFAULT_TTL);
	assert_int_equal(token_decode_into(FULL, strlen(FULL), KEY, false, &tb), 0);
	assert_true(tb.ttl_given);
	assert_int_equal(tb.tok.ttl, 6);
	assert_int_equal(token_decode_into(bad_ttl, strlen(bad_ttl), KEY, false, &tb),
			 TOKEN_ERR_BAD_TYPE);
	assert_false(tb.ttl_given);
}

static void token_decode_should_reject_oversize_bodies(void **state)
{
	(void)state;
	char body[TOKEN_MAX_BODY + 2];
	struct token t;
	size_t min = strlen(MINIMAL);

	/* Exactly the limit, padded with JSON whitespace, is fine. */
	memset(body, ' ', sizeof(body));
	memcpy(body, MINIMAL, min);
	assert_int_equal(token_decode(body, TOKEN_MAX_BODY, KEY, &t), 0);
	token_clear(&t);
	assert_int_equal(token_decode(body, TOKEN_MAX_BODY + 1, KEY, &t), TOKEN_ERR_TOO_LARGE);
}

static void token_decode_should_reject_what_is_not_json(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(reject("", KEY), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject("{", KEY), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject("state=UP", KEY), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject(MINIMAL " trailing", KEY), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject(MINIMAL MINIMAL, KEY), TOKEN_ERR_NOT_JSON);
	/* A NUL after a valid object must not hide what follows it. */
	assert_int_equal(token_decode(MINIMAL "\0junk", sizeof(MINIMAL "\0junk") - 1, KEY, &t),
			 TOKEN_ERR_NOT_JSON);
	/* Not UTF-8: a Latin-1 byte, an overlong slash, a UTF-8 surrogate. */
	assert_int_equal(reject("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"x\":\"\xe9\"}", KEY),
			 TOKEN_ERR_NOT_JSON);
	assert_int_equal(
		reject("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"x\":\"\xc0\xaf\"}", KEY),
		TOKEN_ERR_NOT_JSON);
	assert_int_equal(
		reject("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"x\":\"\xed\xa0\x80\"}", KEY),
		TOKEN_ERR_NOT_JSON);
	/* A lone surrogate escape. */
	assert_int_equal(reject_with("\"hostname\":\"\\udc00\""), TOKEN_ERR_NOT_JSON);
}

static void token_decode_should_reject_what_is_not_an_object(void **state)
{
	(void)state;
	assert_int_equal(reject("[]", KEY), TOKEN_ERR_NOT_OBJECT);
	assert_int_equal(reject("[" MINIMAL "]", KEY), TOKEN_ERR_NOT_OBJECT);
	assert_int_equal(reject("\"UP\"", KEY), TOKEN_ERR_NOT_OBJECT);
	assert_int_equal(reject("42", KEY), TOKEN_ERR_NOT_OBJECT);
	assert_int_equal(reject("null", KEY), TOKEN_ERR_NOT_OBJECT);
}

static void token_decode_should_reject_known_fields_of_the_wrong_type(void **state)
{
	(void)state;
	assert_int_equal(reject("{\"state\":1,\"address\":\"10.0.0.5\"}", KEY), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject("{\"state\":\"UP\",\"address\":[]}", KEY), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"service\":5"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"port\":\"8080\""), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"ttl\":\"6\""), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"seq\":true"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"ts\":null"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"instanceId\":7"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"hostname\":{}"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"healthUrl\":false"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"streamUrl\":[\"http://x\"]"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"reason\":1"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"metadata\":[]"), TOKEN_ERR_BAD_TYPE);
	assert_int_equal(reject_with("\"metadata\":\"zone=a\""), TOKEN_ERR_BAD_TYPE);
}

static void token_decode_should_reject_missing_or_unknown_states(void **state)
{
	(void)state;
	assert_int_equal(reject("{\"address\":\"10.0.0.5\"}", KEY), TOKEN_ERR_BAD_STATE);
	assert_int_equal(reject("{\"state\":\"up\",\"address\":\"10.0.0.5\"}", KEY),
			 TOKEN_ERR_BAD_STATE);
	assert_int_equal(reject("{\"state\":\"RUNNING\",\"address\":\"10.0.0.5\"}", KEY),
			 TOKEN_ERR_BAD_STATE);
	assert_int_equal(reject("{\"state\":\"\",\"address\":\"10.0.0.5\"}", KEY),
			 TOKEN_ERR_BAD_STATE);
}

static void token_decode_should_reject_bad_addresses(void **state)
{
	(void)state;
	/* clang-format off */
	static const char *bad[] = {
		"",         "10.0.0.256",   "10.0.0.5:80", "[::1]",     "fe80::1%eth0",
		"localhost", "10.0.0",      " 10.0.0.5",   "10.0.0.5\\n",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
	};
	/* clang-format on */
	char body[256];

	assert_int_equal(reject("{\"state\":\"UP\"}", KEY), TOKEN_ERR_BAD_ADDRESS);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"state\":\"UP\",\"address\":\"%s\"}", bad[i]);
		assert_int_equal(reject(body, KEY), TOKEN_ERR_BAD_ADDRESS);
	}
}

static void token_decode_should_reject_bad_service_names(void **state)
{
	(void)state;
	char body[256], name[70];

	assert_int_equal(reject_with("\"service\":\"AccountService\""), TOKEN_ERR_BAD_SERVICE);
	assert_int_equal(reject_with("\"service\":\"-account\""), TOKEN_ERR_BAD_SERVICE);
	assert_int_equal(reject_with("\"service\":\"\""), TOKEN_ERR_BAD_SERVICE);
	assert_int_equal(reject_with("\"service\":\"account service\""), TOKEN_ERR_BAD_SERVICE);
	memset(name, 'a', 64);
	name[64] = '\0';
	snprintf(body, sizeof(body), "\"service\":\"%s\"", name);
	assert_int_equal(reject_with(body), TOKEN_ERR_BAD_SERVICE);
}

static void token_decode_should_reject_a_service_other_than_the_routing_keys(void **state)
{
	(void)state;
	/* A publisher allowed only discovery.quotes.* must not speak for accountservice. */
	assert_int_equal(reject("{\"state\":\"UP\",\"address\":\"10.0.0.5\","
				"\"service\":\"accountservice\"}",
				"discovery.quotes.up"),
			 TOKEN_ERR_BAD_SERVICE);
}

static void token_decode_should_accept_dotted_service_names(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"eu.acct_2\"}",
		       "discovery.eu.acct_2.up", &t),
		0);
	assert_string_equal(t.service, "eu.acct_2");
	token_clear(&t);
	assert_int_equal(decode(MINIMAL, "discovery.eu.acct_2.out_of_service", &t), 0);
	assert_string_equal(t.service, "eu.acct_2");
	token_clear(&t);
}

static void token_decode_should_reject_bad_routing_keys(void **state)
{
	(void)state;
	/* clang-format off */
	static const char *bad[] = {
		TOKEN_SYNC_KEY,           "discovery",           "discovery.",
		"discovery.accountservice", "other.accountservice.up", "discovery..up",
		"discovery.accountservice.UP", "discovery.accountservice.bogus",
		"discovery.Accountservice.up", "discovery.accountservice.up.",
		"Discovery.accountservice.up", "",
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(reject(MINIMAL, bad[i]), TOKEN_ERR_BAD_ROUTING_KEY);
}

static void token_decode_should_require_a_service_without_routing_key(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(reject(MINIMAL, NULL), TOKEN_ERR_BAD_SERVICE);
	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"a\"}", NULL, &t),
		0);
	assert_string_equal(t.service, "a");
	token_clear(&t);
}

static void token_decode_should_reject_bad_ports(void **state)
{
	(void)state;
	assert_int_equal(reject_with("\"port\":0"), TOKEN_ERR_BAD_PORT);
	assert_int_equal(reject_with("\"port\":65536"), TOKEN_ERR_BAD_PORT);
	assert_int_equal(reject_with("\"port\":-80"), TOKEN_ERR_BAD_PORT);
	assert_int_equal(reject_with("\"port\":80.5"), TOKEN_ERR_BAD_PORT);
	assert_int_equal(reject_with("\"port\":1e999"), TOKEN_ERR_BAD_PORT);
}

static void token_decode_should_reject_bad_ttls(void **state)
{
	(void)state;
	assert_int_equal(reject_with("\"ttl\":0"), TOKEN_ERR_BAD_TTL);
	assert_int_equal(reject_with("\"ttl\":86401"), TOKEN_ERR_BAD_TTL);
	assert_int_equal(reject_with("\"ttl\":-6"), TOKEN_ERR_BAD_TTL);
	assert_int_equal(reject_with("\"ttl\":2.5"), TOKEN_ERR_BAD_TTL);
}

static void token_decode_should_reject_bad_seq_and_ts(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(reject_with("\"seq\":-1"), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"seq\":1.5"), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"seq\":9007199254740994"), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"ts\":-1"), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"ts\":1e300"), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"seq\":9007199254740992,"
		       "\"ts\":0}",
		       KEY, &t),
		0);
	assert_int_equal(t.seq, 9007199254740992LL);
	token_clear(&t);
}

static void token_decode_should_reject_bad_strings(void **state)
{
	(void)state;
	char extra[600], text[300];

	assert_int_equal(reject_with("\"instanceId\":\"\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"hostname\":\"a\\nb\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"hostname\":\"a\x7f\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"hostname\":\"a\\u0085\""), TOKEN_ERR_BAD_FIELD);
	/* RFC 8259 7: a control character inside a string must be escaped. */
	assert_int_equal(reject_with("\"reason\":\"a\tb\""), TOKEN_ERR_NOT_JSON);
	assert_int_equal(reject_with("\"reason\":\"a\\tb\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"healthUrl\":\"ftp://10.0.0.5/health\""),
			 TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"healthUrl\":\"10.0.0.5/health\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"streamUrl\":\"http://\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"streamUrl\":\"HTTP://x\""), TOKEN_ERR_BAD_FIELD);
	/* An escaped NUL would silently cut the string short. */
	assert_int_equal(reject_with("\"instanceId\":\"a\\u0000b\""), TOKEN_ERR_BAD_FIELD);
	/* A known field given twice: parsers disagree on which one counts. */
	assert_int_equal(reject_with("\"state\":\"DOWN\""), TOKEN_ERR_BAD_FIELD);
	/* Length caps: 255 for instanceId and hostname. */
	memset(text, 'h', 256);
	text[256] = '\0';
	snprintf(extra, sizeof(extra), "\"hostname\":\"%s\"", text);
	assert_int_equal(reject_with(extra), TOKEN_ERR_BAD_FIELD);
	snprintf(extra, sizeof(extra), "\"instanceId\":\"%s\"", text);
	assert_int_equal(reject_with(extra), TOKEN_ERR_BAD_FIELD);
}

static void token_decode_should_accept_strings_at_their_caps(void **state)
{
	(void)state;
	char body[3000], id[256], url[1025];
	struct token t;

	memset(id, 'i', 255);
	id[255] = '\0';
	memcpy(url, "http://", 7);
	memset(url + 7, 'u', 1024 - 7);
	url[1024] = '\0';
	snprintf(body, sizeof(body),
		 "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"instanceId\":\"%s\","
		 "\"healthUrl\":\"%s\",\"hostname\":\"h\\u00e9\xe2\x82\xac\"}",
		 id, url);
	assert_int_equal(decode(body, KEY, &t), 0);
	assert_int_equal(strlen(t.instance_id), 255);
	assert_int_equal(strlen(t.health_url), 1024);
	assert_string_equal(t.hostname, "h\xc3\xa9\xe2\x82\xac");
	token_clear(&t);
}

/* {"state":"UP","address":"10.0.0.5","metadata":{"k0":"v",...}} with n keys. */
static int decode_metadata_keys(int n, struct token *t)
{
	char body[2048];
	size_t len = (size_t)snprintf(body, sizeof(body),
				      "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"metadata\":{");

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s\"k%d\":\"v%d\"",
					i ? "," : "", i, i);
	snprintf(body + len, sizeof(body) - len, "}}");
	return decode(body, KEY, t);
}

static void token_decode_should_accept_32_metadata_keys_and_reject_33(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(decode_metadata_keys(TOKEN_MAX_METADATA, &t), 0);
	assert_int_equal(t.metadata_count, TOKEN_MAX_METADATA);
	assert_string_equal(t.metadata[31].key, "k31");
	assert_string_equal(t.metadata[31].value, "v31");
	token_clear(&t);
	assert_int_equal(decode_metadata_keys(TOKEN_MAX_METADATA + 1, &t), TOKEN_ERR_BAD_METADATA);
	assert_null(t.instance_id);
	assert_int_equal(t.metadata_count, 0);
}

static void token_decode_should_reject_bad_metadata(void **state)
{
	(void)state;
	char extra[2200], text[1100];
	struct token t;

	assert_int_equal(reject_with("\"metadata\":{\"zone\":1}"), TOKEN_ERR_BAD_METADATA);
	assert_int_equal(reject_with("\"metadata\":{\"zone\":{\"a\":\"b\"}}"),
			 TOKEN_ERR_BAD_METADATA);
	assert_int_equal(reject_with("\"metadata\":{\"\":\"a\"}"), TOKEN_ERR_BAD_METADATA);
	assert_int_equal(reject_with("\"metadata\":{\"a\":\"1\",\"a\":\"2\"}"),
			 TOKEN_ERR_BAD_METADATA);
	assert_int_equal(reject_with("\"metadata\":{\"a\":\"x\\ny\"}"), TOKEN_ERR_BAD_METADATA);
	memset(text, 'k', 129);
	text[129] = '\0';
	snprintf(extra, sizeof(extra), "\"metadata\":{\"%s\":\"v\"}", text);
	assert_int_equal(reject_with(extra), TOKEN_ERR_BAD_METADATA);
	memset(text, 'v', 1025);
	text[1025] = '\0';
	snprintf(extra, sizeof(extra), "\"metadata\":{\"k\":\"%s\"}", text);
	assert_int_equal(reject_with(extra), TOKEN_ERR_BAD_METADATA);
	/* An empty value is a flag without a value. */
	assert_int_equal(
		decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"metadata\":{\"canary\":\"\"}}",
		       KEY, &t),
		0);
	assert_string_equal(t.metadata[0].value, "");
	token_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_decode_should_accept_a_full_token),
		cmocka_unit_test(token_decode_should_fill_defaults_for_the_minimal_form),
		cmocka_unit_test(token_decode_should_accept_every_state),
		cmocka_unit_test(token_decode_should_accept_ipv6_addresses),
		cmocka_unit_test(token_decode_should_default_instance_id_to_address_and_port),
		cmocka_unit_test(token_decode_should_accept_only_16_hex_digits_as_incarnation),
		cmocka_unit_test(token_decode_signed_should_require_what_the_signature_binds),
		cmocka_unit_test(token_default_instance_id_should_bracket_only_ipv6),
		cmocka_unit_test(token_decode_should_default_ttl_and_accept_its_range),
		cmocka_unit_test(token_decode_should_ignore_unknown_fields),
		cmocka_unit_test(token_decode_should_read_the_json_grammar_exactly),
		cmocka_unit_test(token_decode_into_should_say_whether_the_body_had_a_ttl),
		cmocka_unit_test(token_decode_should_reject_oversize_bodies),
		cmocka_unit_test(token_decode_should_reject_what_is_not_json),
		cmocka_unit_test(token_decode_should_reject_what_is_not_an_object),
		cmocka_unit_test(token_decode_should_reject_known_fields_of_the_wrong_type),
		cmocka_unit_test(token_decode_should_reject_missing_or_unknown_states),
		cmocka_unit_test(token_decode_should_reject_bad_addresses),
		cmocka_unit_test(token_decode_should_reject_bad_service_names),
		cmocka_unit_test(token_decode_should_reject_a_service_other_than_the_routing_keys),
		cmocka_unit_test(token_decode_should_accept_dotted_service_names),
		cmocka_unit_test(token_decode_should_reject_bad_routing_keys),
		cmocka_unit_test(token_decode_should_require_a_service_without_routing_key),
		cmocka_unit_test(token_decode_should_reject_bad_ports),
		cmocka_unit_test(token_decode_should_reject_bad_ttls),
		cmocka_unit_test(token_decode_should_reject_bad_seq_and_ts),
		cmocka_unit_test(token_decode_should_reject_bad_strings),
		cmocka_unit_test(token_decode_should_accept_strings_at_their_caps),
		cmocka_unit_test(token_decode_should_accept_32_metadata_keys_and_reject_33),
		cmocka_unit_test(token_decode_should_reject_bad_metadata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
