/* XML character data and element names (registry/rxml.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "registry/rxml.h"

typedef void (*writer)(FILE *f, const char *s);

static void check(writer w, const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	w(f, in);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, want);
	free(out);
}

static void rxml_text_should_escape_markup_and_non_characters(void **state)
{
	(void)state;
	check(rxml_text, "plain text", "plain text");
	check(rxml_text, "a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c'");
	check(rxml_text, "]]>", "]]&gt;");
	/* Multi-byte characters pass; U+FFFE and U+FFFF cannot be in XML. */
	check(rxml_text, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	check(rxml_text, "x\xef\xbf\xbey\xef\xbf\xbf", "x\xef\xbf\xbdy\xef\xbf\xbd");
}

static void rxml_name_should_code_names_as_xstream_does(void **state)
{
	(void)state;
	check(rxml_name, "management.port", "management.port");
	check(rxml_name, "my_key", "my__key");
	check(rxml_name, "a$b", "a_-b");
	/* Not a name start, not a name character: _. and the code point. */
	check(rxml_name, "1st", "_.0031st");
	check(rxml_name, "-x", "_.002dx");
	check(rxml_name, "a b/c", "a_.0020b_.002fc");
	check(rxml_name, "a<b&c\"", "a_.003cb_.0026c_.0022");
	/* Letters of other scripts are name characters; symbols are not. */
	check(rxml_name, "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	check(rxml_name, "x\xc3\x97y", "x_.00d7y");
	check(rxml_name, "x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rxml_text_should_escape_markup_and_non_characters),
		cmocka_unit_test(rxml_name_should_code_names_as_xstream_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
