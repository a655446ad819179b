/* UTF-8 checks of text from outside; see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

bool utf8_is_valid(const char *str, size_t len, bool text)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80) {
			cp = c;
			n = 1;
		} else if (c >= 0xC2 && c <= 0xDF) {
			cp = c & 0x1F;
			n = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			cp = c & 0x0F;
			n = 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			cp = c & 0x07;
			n = 4;
		} else {
			return false;
		}
		if (n > len - i)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return false;
		if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
			return false;
		if (text && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)))
			return false;
		i += n;
	}
	return true;
}

/* In valid JSON a backslash only ever starts an escape, so skipping the
 * escaped character is enough to tell "\\u0000" (a backslash, then text)
 * apart. */
bool utf8_json_has_escaped_nul(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
			return true;
		i++;
	}
	return false;
}
