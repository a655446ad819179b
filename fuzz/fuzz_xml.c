/*
 * libFuzzer target for the registry's XML escapes (registry/rxml.c, fuzz/
 * run.sh builds and runs it): the input is any text the token decoder lets
 * in (valid UTF-8 without control characters). As character data it must
 * hold no markup but the four references; as an element name, no
 * character that ends or breaks a name, and not start with one that may
 * not start it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_require.h"
#include "registry/rxml.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *written(void (*w)(FILE *, const char *), const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fuzz_require(f != NULL);
	w(f, s);
	fuzz_require(fclose(f) == 0);
	fuzz_require(strlen(out) == len);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *text, *name, *p;

	if (size == 0 || size > 4096 || !utf8_is_valid((const char *)data, size, true))
		return 0;
	s = strndup((const char *)data, size);
	fuzz_require(s != NULL);
	text = written(rxml_text, s);
	fuzz_require(!strpbrk(text, "<>\""));
	for (p = strchr(text, '&'); p; p = strchr(p + 1, '&'))
		fuzz_require(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
			     strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0);
	fuzz_require(utf8_is_valid(text, strlen(text), true));
	fuzz_require(!strstr(text, "\xef\xbf\xbe") && !strstr(text, "\xef\xbf\xbf"));
	name = written(rxml_name, s);
	fuzz_require(name[0] != '\0' && !strpbrk(name, "<>&\"'=/ !?#%()*+,;@[\\]^`{|}~$"));
	fuzz_require(!(name[0] >= '0' && name[0] <= '9') && name[0] != '-' && name[0] != '.');
	fuzz_require(utf8_is_valid(name, strlen(name), true));
	free(name);
	free(text);
	free(s);
	return 0;
}
