/*
 * token_decode against 10,000 malformed inputs mutated from valid tokens:
 * each one is refused with a known code, or accepted keeping every promise
 * of a decoded token; token_decode_into agrees with it on every one.
 */
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
#include "token_decode.h"
#include "token_fixture.h"

static const char *const seeds[] = {
	FULL,
	MINIMAL,
	"{\"state\":\"DOWN\",\"address\":\"fd00::22\",\"port\":6767,\"ttl\":3,"
	"\"seq\":9007199254740992,\"reason\":\"expired\"}",
	"{\"state\":\"STARTING\",\"address\":\"10.1.2.3\",\"service\":\"accountservice\","
	"\"metadata\":{\"a\":\"1\",\"b\":\"\",\"c\":\"\\u00e9\\\"\\\\\"}}",
};

/* clang-format off */
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
/* clang-format on */

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
					memmove(hit + to, hit + from,
						len - (size_t)(hit - buf) - from);
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

/* The decoder into a reused buffer says what token_decode says, of every
 * input the generator makes, in both modes. */
static void token_decode_into_should_agree_with_token_decode(void **state)
{
	(void)state;
	static struct token_buf tb; /* 4.5 KB: not on cmocka's stack */
	struct rng r = {.state = 0x0123456789abcdefULL};
	char buf[TOKEN_MAX_BODY + 64];
	int accepted = 0;

	for (int i = 0; i < 10000; i++) {
		size_t len = mutate(&r, buf, sizeof(buf) - 1);
		bool signed_mode = rng_between(&r, 0, 9) == 0;
		struct token t;
		int rc = signed_mode ? token_decode_signed(buf, len, KEY, &t)
				     : token_decode(buf, len, KEY, &t);

		assert_int_equal(token_decode_into(buf, len, KEY, signed_mode, &tb), rc);
		if (rc == 0) {
			accepted++;
			assert_true(token_equal(&t, &tb.tok));
			assert_string_equal(t.incarnation, tb.tok.incarnation);
			token_clear(&t);
		} else {
			assert_null(tb.tok.instance_id);
			assert_int_equal(tb.tok.metadata_count, 0);
		}
	}
	assert_true(accepted > 500);
}

/* The largest body's strings, a default instanceId and a user_id of the
 * longest AMQP short string all fit the buffer. */
static void token_decode_into_should_fit_the_largest_body(void **state)
{
	(void)state;
	static struct token_buf tb;
	char body[TOKEN_MAX_BODY + 1], user[256];
	size_t len;
	int n;

	n = snprintf(body, sizeof(body),
		     "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":1,\"metadata\":{");
	for (int k = 0; k < 3; k++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "\"k%d\":\"%0*d\",", k, 1000, 0);
	n += snprintf(body + n, sizeof(body) - (size_t)n, "\"k3\":\"");
	/* The last value takes what is left of the largest body. */
	len = TOKEN_MAX_BODY - 3 - (size_t)n;
	memset(body + n, '7', len);
	len += (size_t)n;
	memcpy(body + len, "\"}}", 3);
	len += 3;
	assert_int_equal(len, TOKEN_MAX_BODY);
	assert_int_equal(token_decode_into(body, len, KEY, false, &tb), 0);
	assert_string_equal(tb.tok.instance_id, "10.0.0.5:1");
	assert_int_equal(tb.tok.metadata_count, 4);
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	assert_non_null(token_buf_keep(&tb, user));
	assert_string_equal(tb.tok.metadata[0].value + 999, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_decode_should_survive_10000_malformed_inputs),
		cmocka_unit_test(token_decode_into_should_agree_with_token_decode),
		cmocka_unit_test(token_decode_into_should_fit_the_largest_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
