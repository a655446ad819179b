#ifndef DISCOVERY_UTF8_H
#define DISCOVERY_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Checks of text that comes from outside (tokens, quotes) before it is
 * copied into our own JSON: every string we write out must be valid UTF-8
 * without NUL, or the JSON we emit is not JSON.
 */

/* True when s[0..len) is well-formed UTF-8: no overlong forms, surrogates,
 * code points past U+10FFFF, truncated sequences or NUL. With `text`,
 * control characters (C0, DEL, C1) are refused too. */
bool utf8_is_valid(const char *s, size_t len, bool text) __attribute__((warn_unused_result));

/* True when the JSON text s[0..len) holds the escape \u0000, which a
 * parser turns into a NUL that silently cuts the string short. */
bool utf8_json_has_escaped_nul(const char *s, size_t len) __attribute__((warn_unused_result));

/* True when s[0..len) holds a \u escape of half a surrogate pair without
 * its other half: no character at all, which some parsers replace with
 * '?' or write as invalid UTF-8. */
bool utf8_json_has_lone_surrogate(const char *s, size_t len) __attribute__((warn_unused_result));

#endif
