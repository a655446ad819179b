/* XML character data and element names; see rxml.h. */
#include "registry/rxml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The code point at s (valid UTF-8) and its length in *len. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xE0) {
		*len = 2;
		return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if (s[0] < 0xF0) {
		*len = 3;
		return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		       (s[2] & 0x3F);
	}
	*len = 4;
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
	       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

void rxml_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	uint32_t c;

	while (*p) {
		c = utf8_next(p, &len);
		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case 0xFFFE:
		case 0xFFFF:
			fputs("\xEF\xBF\xBD", f);
			break;
		default:
			fwrite(p, 1, len, f);
		}
		p += len;
	}
}

/* XML 1.0 (fifth edition) NameStartChar, and NameChar with `inner`. */
static bool name_char(uint32_t c, bool inner)
{
	static const uint32_t start[][2] = {
		{ ':', ':' },	      { 'A', 'Z' },	    { '_', '_' },	{ 'a', 'z' },
		{ 0xC0, 0xD6 },	      { 0xD8, 0xF6 },	    { 0xF8, 0x2FF },	{ 0x370, 0x37D },
		{ 0x37F, 0x1FFF },    { 0x200C, 0x200D },   { 0x2070, 0x218F }, { 0x2C00, 0x2FEF },
		{ 0x3001, 0xD7FF },   { 0xF900, 0xFDCF },   { 0xFDF0, 0xFFFD }, { 0x10000, 0xEFFFF },
	};
	static const uint32_t more[][2] = {
		{ '-', '.' }, { '0', '9' }, { 0xB7, 0xB7 }, { 0x300, 0x36F }, { 0x203F, 0x2040 },
	};
	size_t i;

	for (i = 0; i < sizeof(start) / sizeof(start[0]); i++)
		if (c >= start[i][0] && c <= start[i][1])
			return true;
	if (!inner)
		return false;
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (c >= more[i][0] && c <= more[i][1])
			return true;
	return false;
}

void rxml_name(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	uint32_t c;

	while (*p) {
		c = utf8_next(p, &len);
		if (c == '$')
			fputs("_-", f);
		else if (c == '_')
			fputs("__", f);
		else if (!name_char(c, p != (const unsigned char *)s))
			fprintf(f, "_.%04x", (unsigned)c);
		else
			fwrite(p, 1, len, f);
		p += len;
	}
}
