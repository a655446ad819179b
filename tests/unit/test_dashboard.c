/* The dashboard's embedded files and their revalidation (registry/dashboard.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "registry/dashboard.h"
#include "registry/rroute.h"

static const struct dashboard_file *index_page(void)
{
	const struct dashboard_file *f = dashboard_find("/");

	assert_non_null(f);
	return f;
}

static void dashboard_find_should_find_every_file_and_nothing_else(void **state)
{
	(void)state;
	assert_true(dashboard_nfiles >= 4);
	for (size_t i = 0; i < dashboard_nfiles; i++)
		assert_ptr_equal(dashboard_find(dashboard_files[i].path), &dashboard_files[i]);
	assert_string_equal(index_page()->type, "text/html; charset=utf-8");
	assert_string_equal(dashboard_find("/dashboard/app.js")->type,
			    "text/javascript; charset=utf-8");
	assert_string_equal(dashboard_find("/dashboard/style.css")->type,
			    "text/css; charset=utf-8");
	assert_null(dashboard_find("/index.html"));
	assert_null(dashboard_find("/dashboard/"));
	assert_null(dashboard_find("/dashboard/app.js/"));
	assert_null(dashboard_find(""));
}

/* A file the registry holds but does not route would be a 404. */
static void dashboard_files_should_each_have_a_route(void **state)
{
	char service[TOKEN_SERVICE_MAX + 1];
	bool bad;

	(void)state;
	for (size_t i = 0; i < dashboard_nfiles; i++)
		assert_int_equal(rroute_of(dashboard_files[i].path, service, &bad),
				 RROUTE_DASHBOARD);
}

static void dashboard_files_should_have_a_quoted_etag_and_a_body(void **state)
{
	(void)state;
	for (size_t i = 0; i < dashboard_nfiles; i++) {
		const struct dashboard_file *f = &dashboard_files[i];
		size_t n = strlen(f->etag);

		assert_true(n > 2);
		assert_int_equal(f->etag[0], '"');
		assert_int_equal(f->etag[n - 1], '"');
		assert_null(strpbrk(f->etag + 1, ", \t\\"));
		assert_true(f->len > 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(f->etag, dashboard_files[j].etag);
	}
}

/* The page loads its script, styles and icon by relative URLs (so that it
 * also works under a proxy's path prefix): each is embedded. */
static void dashboard_index_should_reference_every_other_file(void **state)
{
	const struct dashboard_file *page = index_page();
	char needle[256];

	(void)state;
	for (size_t i = 0; i < dashboard_nfiles; i++) {
		const char *path = dashboard_files[i].path;

		if (strcmp(path, "/") == 0)
			continue;
		snprintf(needle, sizeof(needle), "\"%s\"", path + 1);
		assert_non_null(memmem(page->body, page->len, needle, strlen(needle)));
	}
	/* No inline script or style: DASHBOARD_CSP would block it. */
	assert_null(memmem(page->body, page->len, "<style", 6));
	assert_null(memmem(page->body, page->len, "<script>", 8));
	assert_null(memmem(page->body, page->len, " style=", 7));
}

static void dashboard_etag_matches_should_follow_if_none_match(void **state)
{
	static const char *const yes[] = {
		"\"abc\"", "W/\"abc\"", "\"x\", \"abc\"",     "\"x\",\"abc\"",
		"*",	   " \"abc\" ", "\"x\" ,\tW/\"abc\"",
	};
	static const char *const no[] = {
		"", "\"abcd\"", "\"ab\"", "abc", "\"x\", \"y\"", "W/", ",", "*x", "\"abc\"x",
	};

	(void)state;
	assert_false(dashboard_etag_matches(NULL, "\"abc\""));
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(dashboard_etag_matches(yes[i], "\"abc\""));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(dashboard_etag_matches(no[i], "\"abc\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dashboard_find_should_find_every_file_and_nothing_else),
		cmocka_unit_test(dashboard_files_should_each_have_a_route),
		cmocka_unit_test(dashboard_files_should_have_a_quoted_etag_and_a_body),
		cmocka_unit_test(dashboard_index_should_reference_every_other_file),
		cmocka_unit_test(dashboard_etag_matches_should_follow_if_none_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
