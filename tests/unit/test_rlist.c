#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "registry/rlist.h"
#include "tests/unit/gzip_fixture.h"
#include "tests/unit/sub_fixture.h"
#include "timing.h"

/* The whole text of b, read the way libmicrohttpd does, in small blocks
 * so that pieces are split; the caller keeps its reference. free() it. */
static char *text_of(struct rlist_body *b)
{
	struct rlist_reader *r;
	char *text = malloc(b->len + 1);
	size_t pos = 0;
	ssize_t n;

	assert_non_null(text);
	atomic_fetch_add(&b->refs, 1);
	r = rlist_reader_new(b);
	assert_non_null(r);
	while (pos < b->len) {
		n = rlist_reader_read(r, pos, text + pos, b->len - pos < 7 ? b->len - pos : 7);
		assert_true(n > 0);
		pos += (size_t)n;
	}
	assert_int_equal(rlist_reader_read(r, pos, text, 7), -1);
	text[pos] = '\0';
	rlist_reader_free(r);
	return text;
}

/* Whether the text of b contains needle. */
static bool has(struct rlist_body *b, const char *needle)
{
	char *text = text_of(b);
	bool found = strstr(text, needle) != NULL;

	free(text);
	return found;
}

/* The listing parsed; cJSON_Delete() it. */
static cJSON *json_of(struct rlist_body *b)
{
	char *text = text_of(b);
	cJSON *root = cJSON_Parse(text);

	assert_non_null(root);
	free(text);
	rlist_release(b);
	return root;
}

static void rlist_service_should_filter_by_state_and_sort(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 0, 0);
	enum token_state up = TOKEN_UP;
	cJSON *root, *list;
	(void)state;

	assert_int_equal(sub_apply(t, "a", "z", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(t, "a", "b", "STARTING", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(t, "a", "m", "UP", 1, 6, 0), SUB_STORE_JOINED);
	root = json_of(rlist_service(l, "a", NULL, RGZIP_IDENTITY));
	assert_int_equal(cJSON_GetObjectItem(root, "index")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(root, "service")->valuestring, "a");
	list = cJSON_GetObjectItem(root, "instances");
	assert_int_equal(cJSON_GetArraySize(list), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "instanceId")->valuestring, "b");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 2), "instanceId")->valuestring, "z");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 2), "ttl")->valueint, 6);
	assert_null(cJSON_GetObjectItem(root, "stale"));
	cJSON_Delete(root);
	root = json_of(rlist_service(l, "a", &up, RGZIP_IDENTITY));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "instances")), 2);
	cJSON_Delete(root);
	root = json_of(rlist_service(l, "nobody", NULL, RGZIP_IDENTITY));
	assert_int_equal(cJSON_GetObjectItem(root, "index")->valueint, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "instances")), 0);
	cJSON_Delete(root);

	sub_store_set_stale(t->store, true, 0);
	root = json_of(rlist_services(l, RGZIP_IDENTITY));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(root, "stale")));
	list = cJSON_GetObjectItem(root, "services");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "instances")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "up")->valueint, 2);
	cJSON_Delete(root);
	root = json_of(rlist_service(l, "a", NULL, RGZIP_IDENTITY));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(root, "stale")));
	cJSON_Delete(root);
	rlist_free(l);
	sub_free(t);
}

static void rlist_turbine_should_give_host_port_and_is_up(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 0, 0);
	struct rlist_body *b;
	char *text;
	(void)state;

	b = rlist_turbine(l, "a", RGZIP_IDENTITY);
	text = text_of(b);
	assert_string_equal(text, "[]");
	free(text);
	rlist_release(b);
	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(t, "a", "i2", "STARTING", 1, 6, 0), SUB_STORE_JOINED);
	b = rlist_turbine(l, "a", RGZIP_IDENTITY);
	text = text_of(b);
	assert_string_equal(text,
			    "[{\"hostname\":\"10.0.0.5:6767\",\"cluster\":\"a\",\"isUp\":true},"
			    "{\"hostname\":\"10.0.0.5:6767\",\"cluster\":\"a\",\"isUp\":false}]");
	free(text);
	rlist_release(b);
	rlist_free(l);
	sub_free(t);
}

static void rlist_service_should_keep_what_it_listed_after_the_instance_left(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 0, 0);
	struct rlist_body *b;
	char *text;
	(void)state;

	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	assert_int_equal(sub_apply(t, "a", "i1", "DOWN", 2, 6, 0), SUB_STORE_LEFT);
	rlist_free(l); /* the cache lets go too: b alone holds the piece */
	text = text_of(b);
	assert_non_null(strstr(text, "\"instanceId\":\"i1\""));
	assert_non_null(strstr(text, "\"seq\":1}]}"));
	free(text);
	rlist_release(b);
	sub_free(t);
}

static void rlist_service_should_serve_a_listing_too_large_for_the_cache(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 60000, 1000);
	struct rlist_body *a, *b;
	char id[16], *ta, *tb;
	cJSON *root;
	int i;
	(void)state;

	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "i%02d", i);
		assert_int_equal(sub_apply(t, "big", id, "UP", 1, 6, 0), SUB_STORE_JOINED);
	}
	a = rlist_service(l, "big", NULL, RGZIP_IDENTITY);
	b = rlist_service(l, "big", NULL, RGZIP_IDENTITY);
	assert_true(a->len > 1000);
	assert_ptr_not_equal(a, b); /* built for each request */
	ta = text_of(a);
	tb = text_of(b);
	assert_string_equal(ta, tb);
	root = cJSON_Parse(ta);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "instances")), 50);
	cJSON_Delete(root);
	free(ta);
	free(tb);
	rlist_release(a);
	rlist_release(b);
	/* A small one still fits. */
	assert_int_equal(sub_apply(t, "small", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	a = rlist_service(l, "small", NULL, RGZIP_IDENTITY);
	b = rlist_service(l, "small", NULL, RGZIP_IDENTITY);
	assert_ptr_equal(a, b);
	rlist_release(a);
	rlist_release(b);
	rlist_free(l);
	sub_free(t);
}

static void rlist_reader_read_should_start_over_at_any_position(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 0, 0);
	struct rlist_body *b;
	struct rlist_reader *r;
	char *whole, buf[16];
	size_t pos;
	(void)state;

	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	assert_int_equal(sub_apply(t, "a", "i2", "UP", 1, 6, 0), SUB_STORE_JOINED);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	whole = text_of(b);
	r = rlist_reader_new(b);
	for (pos = b->len - 1;; pos -= 5) {
		assert_true(rlist_reader_read(r, pos, buf, 3) > 0);
		assert_memory_equal(buf, whole + pos, b->len - pos < 3 ? b->len - pos : 3);
		if (pos < 5)
			break;
	}
	rlist_reader_free(r);
	free(whole);
	rlist_free(l);
	sub_free(t);
}

static void rlist_service_should_serve_the_cache_until_the_index_moves(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 60000, 0);
	struct rlist_body *a, *b;
	enum token_state up = TOKEN_UP;
	(void)state;

	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	a = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	assert_ptr_equal(a, b); /* one rendering, shared */
	rlist_release(b);
	b = rlist_service(l, "a", &up, RGZIP_IDENTITY); /* another variant */
	assert_ptr_not_equal(a, b);
	rlist_release(b);
	assert_int_equal(sub_apply(t, "b", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY); /* another service changed */
	assert_ptr_equal(a, b);
	rlist_release(b);
	assert_int_equal(sub_apply(t, "a", "i2", "UP", 1, 6, 0), SUB_STORE_JOINED);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->index, subscriber_index(t, "a"));
	assert_true(has(b, "\"i2\""));
	rlist_release(b);
	rlist_release(a); /* still valid after the cache dropped it */
	rlist_free(l);
	sub_free(t);
}

/* The wall clock of the table's readable fields, set by the test. */
static int64_t test_wall;
static int64_t test_wall_ms(void)
{
	return test_wall;
}

static void rlist_service_should_render_renewals_again_after_max_age(void **state)
{
	struct subscriber *t = sub_new(test_wall_ms);
	struct rlist *l = rlist_new(t, 30, 0);
	struct rlist_body *a, *b;
	(void)state;

	test_wall = 1000;
	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 1000), SUB_STORE_JOINED);
	a = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	test_wall = 2000;
	assert_int_equal(sub_apply(t, "a", "i1", "UP", 2, 6, 2000), SUB_STORE_RENEWED);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	assert_ptr_equal(a, b); /* a renewal moves no index */
	rlist_release(b);
	timing_sleep_ms(40);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	assert_ptr_not_equal(a, b);
	assert_true(has(b, "\"lastSeen\":2000"));
	assert_true(has(b, "\"seq\":2"));
	rlist_release(b);
	rlist_release(a);
	rlist_free(l);
	sub_free(t);
}

static void rlist_services_should_render_again_when_staleness_flips(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 60000, 0);
	struct rlist_body *a, *b;
	(void)state;

	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	a = rlist_services(l, RGZIP_IDENTITY);
	assert_false(has(a, "stale"));
	sub_store_set_stale(t->store, true, 0);
	b = rlist_services(l, RGZIP_IDENTITY);
	assert_ptr_not_equal(a, b);
	assert_true(has(b, "\"stale\":true"));
	rlist_release(b);
	b = rlist_turbine(l, "a", RGZIP_IDENTITY);
	assert_true(has(b, "[{\"hostname\":\"10.0.0.5:6767\",\"cluster\":\"a\",\"isUp\":true}]"));
	rlist_release(b);
	rlist_release(a);
	rlist_free(l);
	sub_free(t);
}

/* The plain text a gzip'd body stands for; free() it. */
static char *plain_of(struct rlist_body *gz)
{
	char *packed = text_of(gz), *plain;
	size_t len;

	assert_true(gz->gzip);
	plain = gzip_inflated(packed, gz->len, &len);
	assert_int_equal(len, gz->plain_len);
	free(packed);
	return plain;
}

static void rlist_service_should_cache_the_gzip_form_beside_the_plain_one(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 60000, 0);
	struct rlist_body *p, *a, *b;
	char id[16], *tp, *ta;
	int i;
	(void)state;

	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "i%02d", i);
		assert_int_equal(sub_apply(t, "a", id, "UP", 1, 6, 0), SUB_STORE_JOINED);
	}
	p = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	a = rlist_service(l, "a", NULL, RGZIP_GZIP);
	assert_false(p->gzip);
	assert_true(p->len >= RGZIP_MIN_BYTES);
	assert_true(a->len < p->len / 2);
	assert_int_equal(a->index, p->index);
	tp = text_of(p);
	ta = plain_of(a);
	assert_string_equal(ta, tp);
	free(ta);
	free(tp);
	b = rlist_service(l, "a", NULL, RGZIP_GZIP_ONLY);
	assert_ptr_equal(a, b); /* compressed once, then served from the cache */
	rlist_release(b);
	b = rlist_service(l, "a", NULL, RGZIP_IDENTITY);
	assert_ptr_equal(p, b); /* the plain form is still there too */
	rlist_release(b);
	/* A change drops both forms. */
	assert_int_equal(sub_apply(t, "a", "i99", "UP", 1, 6, 0), SUB_STORE_JOINED);
	b = rlist_service(l, "a", NULL, RGZIP_GZIP);
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->index, subscriber_index(t, "a"));
	ta = plain_of(b);
	assert_non_null(strstr(ta, "\"i99\""));
	free(ta);
	rlist_release(b);
	rlist_release(a);
	rlist_release(p);
	rlist_free(l);
	sub_free(t);
}

static void rlist_services_should_keep_small_listings_plain_unless_told(void **state)
{
	struct subscriber *t = sub_new(NULL);
	struct rlist *l = rlist_new(t, 60000, 0);
	struct rlist_body *a, *b;
	char *ta, *tb;
	(void)state;

	assert_int_equal(sub_apply(t, "a", "i1", "UP", 1, 6, 0), SUB_STORE_JOINED);
	a = rlist_services(l, RGZIP_GZIP);
	assert_false(a->gzip);
	assert_true(a->len < RGZIP_MIN_BYTES);
	b = rlist_turbine(l, "a", RGZIP_GZIP_ONLY); /* identity refused: small or not */
	assert_true(b->gzip);
	rlist_release(b);
	b = rlist_services(l, RGZIP_GZIP_ONLY);
	assert_true(b->gzip);
	ta = text_of(a);
	tb = plain_of(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	rlist_release(b);
	rlist_release(a);
	rlist_free(l);
	sub_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rlist_service_should_filter_by_state_and_sort),
		cmocka_unit_test(rlist_turbine_should_give_host_port_and_is_up),
		cmocka_unit_test(rlist_service_should_keep_what_it_listed_after_the_instance_left),
		cmocka_unit_test(rlist_service_should_serve_a_listing_too_large_for_the_cache),
		cmocka_unit_test(rlist_reader_read_should_start_over_at_any_position),
		cmocka_unit_test(rlist_service_should_serve_the_cache_until_the_index_moves),
		cmocka_unit_test(rlist_service_should_render_renewals_again_after_max_age),
		cmocka_unit_test(rlist_services_should_render_again_when_staleness_flips),
		cmocka_unit_test(rlist_service_should_cache_the_gzip_form_beside_the_plain_one),
		cmocka_unit_test(rlist_services_should_keep_small_listings_plain_unless_told),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
