#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "rng.h"
#include "token.h"
#include "token_decode.h"
#include "token_sign.h"

#define KEY "discovery.accountservice.up"
#define MINIMAL "{\"state\":\"UP\",\"address\":\"10.0.0.5\"}"
#define FULL                                                                        \
	"{\"state\":\"UP\",\"address\":\"10.0.0.22\",\"service\":\"accountservice\","  \
	"\"port\":6767,\"instanceId\":\"acct-1\",\"hostname\":\"c0ffee\","            \
	"\"healthUrl\":\"http://10.0.0.22:6767/health\","                             \
	"\"streamUrl\":\"https://10.0.0.22:6767/stream\",\"reason\":\"deploy\","       \
	"\"ttl\":6,\"seq\":41,\"ts\":1700000000123,"                                   \
	"\"metadata\":{\"zone\":\"a\",\"version\":\"1.2.3\"}}"

static int decode(const char *body, const char *key, struct token *t)
{
	return token_decode(body, strlen(body), key, t);
}

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

static bool same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool token_equal(const struct token *a, const struct token *b)
{
	if (a->state != b->state || strcmp(a->address, b->address) != 0 ||
	    strcmp(a->service, b->service) != 0 || a->port != b->port || a->ttl != b->ttl ||
	    a->seq != b->seq || a->ts != b->ts || a->metadata_count != b->metadata_count)
		return false;
	if (!same_text(a->instance_id, b->instance_id) || !same_text(a->hostname, b->hostname) ||
	    !same_text(a->health_url, b->health_url) ||
	    !same_text(a->stream_url, b->stream_url) || !same_text(a->reason, b->reason))
		return false;
	for (size_t i = 0; i < a->metadata_count; i++) {
		if (!same_text(a->metadata[i].key, b->metadata[i].key) ||
		    !same_text(a->metadata[i].value, b->metadata[i].value))
			return false;
	}
	return true;
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

	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"fd00::22\",\"port\":6767}", KEY,
				&t),
			 0);
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

	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":8080}", KEY,
				&t),
			 0);
	assert_string_equal(t.instance_id, "10.0.0.5:8080");
	token_clear(&t);
	assert_int_equal(decode(MINIMAL, KEY, &t), 0);
	assert_string_equal(t.instance_id, "10.0.0.5");
	token_clear(&t);
}

static void token_decode_should_default_ttl_and_accept_its_range(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(decode(MINIMAL, KEY, &t), 0);
	assert_int_equal(t.ttl, 6);
	token_clear(&t);
	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"ttl\":86400}", KEY,
				&t),
			 0);
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
	assert_int_equal(reject("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"x\":\"\xc0\xaf\"}",
				KEY),
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
	static const char *bad[] = {
		"",         "10.0.0.256",   "10.0.0.5:80", "[::1]",     "fe80::1%eth0",
		"localhost", "10.0.0",      " 10.0.0.5",   "10.0.0.5\\n",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
	};
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

	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"eu.acct_2\"}",
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
	static const char *bad[] = {
		TOKEN_SYNC_KEY,           "discovery",           "discovery.",
		"discovery.accountservice", "other.accountservice.up", "discovery..up",
		"discovery.accountservice.UP", "discovery.accountservice.bogus",
		"discovery.Accountservice.up", "discovery.accountservice.up.",
		"Discovery.accountservice.up", "",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(reject(MINIMAL, bad[i]), TOKEN_ERR_BAD_ROUTING_KEY);
}

static void token_decode_should_require_a_service_without_routing_key(void **state)
{
	(void)state;
	struct token t;

	assert_int_equal(reject(MINIMAL, NULL), TOKEN_ERR_BAD_SERVICE);
	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":\"a\"}",
				NULL, &t),
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
	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"seq\":9007199254740992,"
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
	assert_int_equal(reject_with("\"reason\":\"a\tb\""), TOKEN_ERR_BAD_FIELD);
	assert_int_equal(reject_with("\"healthUrl\":\"ftp://10.0.0.5/health\""), TOKEN_ERR_BAD_FIELD);
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
	assert_int_equal(reject_with("\"metadata\":{\"zone\":{\"a\":\"b\"}}"), TOKEN_ERR_BAD_METADATA);
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
	assert_int_equal(decode("{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"metadata\":{\"canary\":\"\"}}",
				KEY, &t),
			 0);
	assert_string_equal(t.metadata[0].value, "");
	token_clear(&t);
}

static void token_encode_should_write_contract_names_in_compact_json(void **state)
{
	(void)state;
	struct token t;
	char *json;

	assert_int_equal(decode(FULL, KEY, &t), 0);
	json = token_encode(&t);
	assert_non_null(json);
	/* FULL is written in the encoder's field order. */
	assert_string_equal(json, FULL);
	free(json);
	token_clear(&t);
}

static void token_encode_should_omit_absent_fields(void **state)
{
	(void)state;
	struct token t;
	char *json;

	assert_int_equal(decode(MINIMAL, KEY, &t), 0);
	json = token_encode(&t);
	assert_string_equal(json, "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"service\":"
				  "\"accountservice\",\"instanceId\":\"10.0.0.5\",\"ttl\":6}");
	free(json);
	token_clear(&t);
}

static void token_encode_should_roundtrip_through_decode(void **state)
{
	(void)state;
	struct token a = {0}, b;
	char *json, key[128];

	a.state = TOKEN_OUT_OF_SERVICE;
	strcpy(a.address, "2001:db8::7");
	strcpy(a.service, "quotes-service");
	a.port = 8080;
	a.instance_id = strdup("q-\"1\"\\\xc3\xa9");
	a.hostname = strdup("quotes-7f9c");
	a.reason = strdup("expired");
	a.ttl = 86400;
	a.seq = 9007199254740992LL;
	a.ts = 1700000000999LL;
	a.metadata[0].key = strdup("a b");
	a.metadata[0].value = strdup("");
	a.metadata_count = 1;

	json = token_encode(&a);
	assert_non_null(json);
	assert_int_equal(token_routing_key(&a, key, sizeof(key)), 0);
	assert_string_equal(key, "discovery.quotes-service.out_of_service");
	assert_int_equal(token_decode(json, strlen(json), key, &b), 0);
	assert_true(token_equal(&a, &b));
	free(json);
	token_clear(&a);
	token_clear(&b);
}

static void token_encode_should_refuse_bodies_over_the_limit(void **state)
{
	(void)state;
	struct token t = {0};
	char value[1025];

	strcpy(t.address, "10.0.0.5");
	strcpy(t.service, "a");
	t.ttl = 6;
	memset(value, 'v', 1024);
	value[1024] = '\0';
	for (int i = 0; i < 4; i++) {
		char k[] = {'k', (char)('0' + i), '\0'};

		t.metadata[i].key = strdup(k);
		t.metadata[i].value = strdup(value);
		t.metadata_count++;
	}
	assert_null(token_encode(&t));
	token_clear(&t);
}

static void token_routing_key_should_name_service_and_state(void **state)
{
	(void)state;
	struct token t = {0};
	char key[64];

	strcpy(t.service, "accountservice");
	t.state = TOKEN_DOWN;
	assert_int_equal(token_routing_key(&t, key, sizeof(key)), 0);
	assert_string_equal(key, "discovery.accountservice.down");
	assert_true(token_routing_key(&t, key, strlen("discovery.accountservice.down")) < 0);
	strcpy(t.service, "Bad");
	assert_true(token_routing_key(&t, key, sizeof(key)) < 0);
}

static void token_copy_should_make_an_independent_deep_copy(void **state)
{
	(void)state;
	struct token a, b;

	assert_int_equal(decode(FULL, KEY, &a), 0);
	assert_int_equal(token_copy(&b, &a), 0);
	assert_true(token_equal(&a, &b));
	assert_ptr_not_equal(a.instance_id, b.instance_id);
	assert_ptr_not_equal(a.metadata[1].value, b.metadata[1].value);
	token_clear(&a);
	assert_string_equal(b.metadata[1].value, "1.2.3");
	assert_string_equal(b.health_url, "http://10.0.0.22:6767/health");
	token_clear(&b);
}

static void token_clear_should_free_and_zero_the_token(void **state)
{
	(void)state;
	struct token t, zero;

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(decode(FULL, KEY, &t), 0);
	token_clear(&t);
	assert_memory_equal(&t, &zero, sizeof(t));
	token_clear(&t); /* twice is harmless */
}

static void token_parse_state_should_accept_upper_and_lower_case(void **state)
{
	(void)state;
	enum token_state s;

	assert_int_equal(token_parse_state("OUT_OF_SERVICE", &s), 0);
	assert_int_equal(s, TOKEN_OUT_OF_SERVICE);
	assert_int_equal(token_parse_state("starting", &s), 0);
	assert_int_equal(s, TOKEN_STARTING);
	assert_int_equal(token_parse_state("Up", &s), TOKEN_ERR_BAD_STATE);
	assert_int_equal(token_parse_state("", &s), TOKEN_ERR_BAD_STATE);
	assert_int_equal(token_parse_state(NULL, &s), TOKEN_ERR_BAD_STATE);
	assert_string_equal(token_state_name(TOKEN_DOWN), "DOWN");
	assert_string_equal(token_state_name((enum token_state)9), "UNKNOWN");
}

static void token_error_name_should_label_every_code(void **state)
{
	(void)state;
	static const char *names[TOKEN_ERROR_COUNT] = {
		"too_large", "not_json",    "not_object",   "bad_type",        "bad_state",
		"bad_address", "bad_service", "bad_port",   "bad_ttl",         "bad_metadata",
		"bad_routing_key", "bad_field", "no_memory",
	};

	for (int i = 0; i < TOKEN_ERROR_COUNT; i++)
		assert_string_equal(token_error_name(-i - 1), names[i]);
	assert_string_equal(token_error_name(TOKEN_ERR_BAD_FIELD), "bad_field");
	assert_string_equal(token_error_name(0), "unknown");
	assert_string_equal(token_error_name(-TOKEN_ERROR_COUNT - 1), "unknown");
}

static void token_service_is_valid_should_follow_the_pattern(void **state)
{
	(void)state;
	assert_true(token_service_is_valid("a"));
	assert_true(token_service_is_valid("0quotes_v2.eu-west"));
	assert_true(token_service_is_valid(
		"a12345678901234567890123456789012345678901234567890123456789012"));
	assert_false(token_service_is_valid(
		"a123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(token_service_is_valid(""));
	assert_false(token_service_is_valid(NULL));
	assert_false(token_service_is_valid(".a"));
	assert_false(token_service_is_valid("_a"));
	assert_false(token_service_is_valid("a/b"));
	assert_false(token_service_is_valid("aB"));
}

/* printf '%s' '{"state":"UP","address":"10.0.0.5"}' | openssl dgst -sha256 -hmac secret */
#define KAT_HEX "f9e538dc914df37376c30f121539078aafd7ba7dcb47b98536ed8f86127cd8ad"

static void token_sign_should_match_openssl(void **state)
{
	(void)state;
	char hex[TOKEN_SIGNATURE_HEX + 1];

	token_sign("secret", MINIMAL, strlen(MINIMAL), hex);
	assert_string_equal(hex, KAT_HEX);
	/* printf '' | openssl dgst -sha256 -hmac key */
	token_sign("key", NULL, 0, hex);
	assert_string_equal(hex, "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");
}

static void token_verify_should_accept_only_the_right_signature(void **state)
{
	(void)state;
	const char *body = MINIMAL;
	size_t len = strlen(body);
	char hex[TOKEN_SIGNATURE_HEX + 2];

	assert_true(token_verify("secret", body, len, KAT_HEX));
	strcpy(hex, KAT_HEX);
	for (char *p = hex; *p; p++) {
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	}
	assert_true(token_verify("secret", body, len, hex));
	/* A tampered body, another secret. */
	assert_false(token_verify("secret", "{\"state\":\"UP\",\"address\":\"10.0.0.6\"}", len,
				  KAT_HEX));
	assert_false(token_verify("secret", body, len - 1, KAT_HEX));
	assert_false(token_verify("Secret", body, len, KAT_HEX));
	/* Short, long, garbage, empty, missing. */
	strcpy(hex, KAT_HEX);
	hex[63] = '\0';
	assert_false(token_verify("secret", body, len, hex));
	strcpy(hex, KAT_HEX "0");
	assert_false(token_verify("secret", body, len, hex));
	strcpy(hex, KAT_HEX);
	hex[10] = 'g';
	assert_false(token_verify("secret", body, len, hex));
	assert_false(token_verify("secret", body, len, ""));
	assert_false(token_verify("secret", body, len, NULL));
	/* One flipped digit. */
	strcpy(hex, KAT_HEX);
	hex[0] = 'e';
	assert_false(token_verify("secret", body, len, hex));
}

/* --- 10,000 malformed inputs ------------------------------------------ */

static const char *const seeds[] = {
	FULL,
	MINIMAL,
	"{\"state\":\"DOWN\",\"address\":\"fd00::22\",\"port\":6767,\"ttl\":3,\"seq\":9007199254740992,"
	"\"reason\":\"expired\"}",
	"{\"state\":\"STARTING\",\"address\":\"10.1.2.3\",\"service\":\"accountservice\","
	"\"metadata\":{\"a\":\"1\",\"b\":\"\",\"c\":\"\\u00e9\\\"\\\\\"}}",
};

/* Pieces that make mutations more likely to reach deep into the decoder. */
static const char *const snippets[] = {
	"\"",      "{",        "}",          "[",          "]",          ",",
	":",       "\\",       "\\u0000",    "\\ud800",    "1e999",      "-1",
	"0.5",     "null",     "true",       "\"port\":",  "\"ttl\":",   "\"seq\":",
	"\"metadata\":{\"k\":\"v\"}",        "\"service\":\"other\"",   "\xff",
	"\xc3",    "\"state\":\"UP\"",       "\"address\":\"::1\"",     "9007199254740993",
};

/* Type swaps: replace a value of one type with one of another. */
static const char *const swaps[][2] = {
	{"\"UP\"", "1"},          {"\"10.0.0.5\"", "[]"},      {"6767", "\"6767\""},
	{"\"ttl\":6", "\"ttl\":6.5"}, {"{\"zone\"", "[\"zone\""}, {"\"acct-1\"", "{}"},
	{"41", "-41"},            {"\"a\"", "null"},           {"\"DOWN\"", "\"down\""},
	{"6767", "0"},            {"\"ttl\":3", "\"ttl\":0"},  {"fd00::22", "fd00::22:80"},
};

static size_t pick(struct rng *r, size_t n)
{
	return (size_t)rng_between(r, 0, (int64_t)n - 1);
}

static void insert(char *buf, size_t *len, size_t cap, size_t at, const char *s, size_t n)
{
	if (*len + n > cap)
		return;
	memmove(buf + at + n, buf + at, *len - at);
	memcpy(buf + at, s, n);
	*len += n;
}

static size_t mutate(struct rng *r, char *buf, size_t cap)
{
	const char *seed = seeds[pick(r, sizeof(seeds) / sizeof(seeds[0]))];
	size_t len = strlen(seed);
	int rounds = (int)rng_between(r, 1, 4);

	memcpy(buf, seed, len);
	if (rng_between(r, 0, 19) == 0) { /* entirely random bytes */
		len = pick(r, 300);
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)rng_next(r);
		return len;
	}
	for (int i = 0; i < rounds; i++) {
		size_t at = len ? pick(r, len + 1) : 0;

		switch (rng_between(r, 0, 4)) {
		case 0: /* byte flip */
			if (len > 0)
				buf[pick(r, len)] ^= (char)(1u << pick(r, 8));
			break;
		case 1: /* truncation */
			len = at;
			break;
		case 2: { /* insertion of a snippet */
			const char *s = snippets[pick(r, sizeof(snippets) / sizeof(snippets[0]))];

			insert(buf, &len, cap, at, s, strlen(s));
			break;
		}
		case 3: { /* random byte */
			char c = (char)rng_next(r);

			insert(buf, &len, cap, at, &c, 1);
			break;
		}
		default: { /* type swap */
			const char *const *sw = swaps[pick(r, sizeof(swaps) / sizeof(swaps[0]))];
			char *hit;

			buf[len] = '\0';
			hit = strstr(buf, sw[0]);
			if (hit != NULL) {
				size_t from = strlen(sw[0]), to = strlen(sw[1]);

				if (len - from + to <= cap) {
					memmove(hit + to, hit + from, len - (size_t)(hit - buf) - from);
					memcpy(hit, sw[1], to);
					len = len - from + to;
				}
			}
			break;
		}
		}
	}
	return len;
}

/* Everything an accepted token promises, and that it survives a roundtrip. */
static void check_accepted(const struct token *t, size_t body_len)
{
	struct token again;
	char key[128], *json;

	assert_true((unsigned)t->state <= TOKEN_OUT_OF_SERVICE);
	assert_true(addr_is_literal(t->address));
	assert_true(token_service_is_valid(t->service));
	assert_true(t->port >= 0 && t->port <= 65535);
	assert_true(t->ttl >= 1 && t->ttl <= 86400);
	assert_true(t->seq >= -1 && t->ts >= 0);
	assert_true(t->metadata_count <= TOKEN_MAX_METADATA);
	assert_non_null(t->instance_id);
	assert_true(t->instance_id[0] != '\0');

	json = token_encode(t);
	if (json == NULL) {
		/* Only defaults and number spellings make a body grow. */
		assert_true(body_len > TOKEN_MAX_BODY - 512);
		return;
	}
	assert_int_equal(token_routing_key(t, key, sizeof(key)), 0);
	assert_int_equal(token_decode(json, strlen(json), key, &again), 0);
	assert_true(token_equal(t, &again));
	token_clear(&again);
	free(json);
}

static void token_decode_should_survive_10000_malformed_inputs(void **state)
{
	(void)state;
	static const char *keys[] = {
		KEY, "discovery.accountservice.down", "discovery.other.up", TOKEN_SYNC_KEY, NULL,
	};
	struct rng r = {.state = 0x5eed5eed12345678ULL};
	char buf[TOKEN_MAX_BODY + 64];
	int accepted = 0, rejected = 0;

	for (int i = 0; i < 10000; i++) {
		size_t len = mutate(&r, buf, sizeof(buf) - 1);
		const char *key = keys[rng_between(&r, 0, 9) < 7 ? 0 : 1 + pick(&r, 4)];
		struct token t;
		int rc = token_decode(buf, len, key, &t);

		if (rc == 0) {
			accepted++;
			check_accepted(&t, len);
			token_clear(&t);
		} else {
			rejected++;
			assert_true(rc < 0 && rc >= -TOKEN_ERROR_COUNT);
			assert_null(t.instance_id);
		}
	}
	print_message("accepted %d, rejected %d\n", accepted, rejected);
	/* The generator must exercise both outcomes to mean anything. */
	assert_true(accepted > 500);
	assert_true(rejected > 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_decode_should_accept_a_full_token),
		cmocka_unit_test(token_decode_should_fill_defaults_for_the_minimal_form),
		cmocka_unit_test(token_decode_should_accept_every_state),
		cmocka_unit_test(token_decode_should_accept_ipv6_addresses),
		cmocka_unit_test(token_decode_should_default_instance_id_to_address_and_port),
		cmocka_unit_test(token_decode_should_default_ttl_and_accept_its_range),
		cmocka_unit_test(token_decode_should_ignore_unknown_fields),
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
		cmocka_unit_test(token_encode_should_write_contract_names_in_compact_json),
		cmocka_unit_test(token_encode_should_omit_absent_fields),
		cmocka_unit_test(token_encode_should_roundtrip_through_decode),
		cmocka_unit_test(token_encode_should_refuse_bodies_over_the_limit),
		cmocka_unit_test(token_routing_key_should_name_service_and_state),
		cmocka_unit_test(token_copy_should_make_an_independent_deep_copy),
		cmocka_unit_test(token_clear_should_free_and_zero_the_token),
		cmocka_unit_test(token_parse_state_should_accept_upper_and_lower_case),
		cmocka_unit_test(token_error_name_should_label_every_code),
		cmocka_unit_test(token_service_is_valid_should_follow_the_pattern),
		cmocka_unit_test(token_sign_should_match_openssl),
		cmocka_unit_test(token_verify_should_accept_only_the_right_signature),
		cmocka_unit_test(token_decode_should_survive_10000_malformed_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
