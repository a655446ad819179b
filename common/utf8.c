/* UTF-8 checks of text from outside; see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

#include "hex.h"

#define BYTES(b) (0x0101010101010101ULL * (b))

/*
 * True when the 8 bytes at p are all ASCII that the rules below accept:
 * no high bit, no NUL and, with text, no C0 control nor DEL. Tokens are
 * mostly ASCII, so most of a body is checked a word at a time. With no
 * high bit set, (w - BYTES(n)) & ~w & BYTES(0x80) is nonzero exactly when
 * some byte is below n.
 */
static bool ascii8(const unsigned char *p, bool text)
{
	uint64_t w, del;

	memcpy(&w, p, sizeof(w));
	if (w & BYTES(0x80))
		return false;
	if (!text)
		return ((w - BYTES(1)) & ~w & BYTES(0x80)) == 0;
	del = w ^ BYTES(0x7F); /* a DEL becomes a NUL */
	return ((w - BYTES(0x20)) & ~w & BYTES(0x80)) == 0 &&
	       ((del - BYTES(1)) & ~del & BYTES(0x80)) == 0;
}

bool utf8_is_valid(const char *str, size_t len, bool text)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (len - i >= 8 && ascii8(s + i, text)) {
			i += 8;
			continue;
		}
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
	const char *end = s + len, *p = s;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL && end - p >= 2) {
		if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
			return true;
		p += 2;
	}
	return false;
}

/* The value of four hex digits, or -1. */
static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

bool utf8_json_has_lone_surrogate(const char *s, size_t len)
{
	const char *end = s + len, *p = s;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL && end - p >= 2) {
		int high = p[1] == 'u' && end - p >= 6 ? hex4(p + 2) : -1, low;

		if (high >= 0xdc00 && high <= 0xdfff)
			return true;
		if (high >= 0xd800 && high <= 0xdbff) {
			low = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
			if (low < 0xdc00 || low > 0xdfff)
				return true;
			p += 12;
			continue;
		}
		p += 2;
	}
	return false;
}
