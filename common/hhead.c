/* The strict check of a connection's first request head; see hhead.h. */
#include "hhead.h"

#include <string.h>
#include <strings.h>

#define HHEAD_LINE_SYNTAX "a request line is: method SP target SP HTTP/1.x"

bool hhead_is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum hhead_verdict hhead_refuse(struct hhead_result *out, unsigned status,
				       const char *message)
{
	out->refusal = (struct hreq_refusal){.status = status, .message = message, .close = true};
	return HHEAD_REFUSED;
}

/* Where the line starting at from ends: *end at its CR or LF, *next after
 * the LF. HHEAD_INCOMPLETE when no LF came yet, HHEAD_REFUSED for a NUL or
 * a CR not followed by LF, HHEAD_COMPLETE otherwise. */
static enum hhead_verdict hhead_line(const char *buf, size_t from, size_t len, size_t *end,
				     size_t *next, struct hhead_result *out)
{
	for (size_t i = from; i < len; i++) {
		if (buf[i] == '\0')
			return hhead_refuse(out, 400, "a NUL byte in the request head");
		if (buf[i] == '\n') {
			*end = i;
			*next = i + 1;
			return HHEAD_COMPLETE;
		}
		if (buf[i] != '\r')
			continue;
		if (i + 1 == len)
			return HHEAD_INCOMPLETE;
		if (buf[i + 1] != '\n')
			return hhead_refuse(out, 400, "a bare CR in the request head");
		*end = i;
		*next = i + 2;
		return HHEAD_COMPLETE;
	}
	return HHEAD_INCOMPLETE;
}

/* A target byte: visible ASCII, or any byte past it (the routes refuse
 * what they cannot read, invalid UTF-8 included, in JSON). */
static bool hhead_target_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

/* The request line buf[s, e). */
static enum hhead_verdict hhead_request_line(const char *buf, size_t s, size_t e,
					     struct hhead_result *out)
{
	size_t m = s, t, v;
	const char *ver;

	while (m < e && hhead_is_tchar((unsigned char)buf[m]))
		m++;
	if (m == s || m == e || buf[m] != ' ')
		return hhead_refuse(out, 400, HHEAD_LINE_SYNTAX);
	out->head = m - s == 4 && memcmp(buf + s, "HEAD", 4) == 0;
	t = m + 1;
	while (t < e && hhead_target_byte((unsigned char)buf[t]))
		t++;
	if (t == m + 1)
		return hhead_refuse(out, 400, HHEAD_LINE_SYNTAX);
	if (t == e)
		return hhead_refuse(out, 400, "HTTP/0.9 is not served: the request line needs "
					      "HTTP/1.x");
	if (buf[t] != ' ')
		return hhead_refuse(out, 400, HHEAD_LINE_SYNTAX);
	v = t + 1;
	ver = buf + v;
	if (e - v != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[5] < '0' || ver[5] > '9' ||
	    ver[6] != '.' || ver[7] < '0' || ver[7] > '9')
		return hhead_refuse(out, 400, HHEAD_LINE_SYNTAX);
	if (ver[5] != '1')
		return hhead_refuse(out, 505, "only HTTP/1.x is served");
	return HHEAD_COMPLETE;
}

/* A value byte (RFC 9110 5.5): visible, SP, HTAB or obs-text. */
static bool hhead_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool hhead_is_digits(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A header line buf[s, e), not empty. */
static enum hhead_verdict hhead_field(const char *buf, size_t s, size_t e,
				      struct hhead_result *out)
{
	size_t n = s;

	/* RFC 9112 5.2: a server may refuse obs-fold with 400; folded, a
	 * value could be read one way here and another way by a proxy. */
	if (buf[s] == ' ' || buf[s] == '\t')
		return hhead_refuse(out, 400, "obsolete line folding is not accepted");
	while (n < e && hhead_is_tchar((unsigned char)buf[n]))
		n++;
	if (n == s || n == e || buf[n] != ':')
		return hhead_refuse(out, 400,
				    "a header line is name: value, the name a token without spaces");
	for (size_t i = n + 1; i < e; i++)
		if (!hhead_value_byte((unsigned char)buf[i]))
			return hhead_refuse(out, 400, "a control character in a header value");
	if (n - s == 14 && strncasecmp(buf + s, "Content-Length", 14) == 0 &&
	    !hhead_is_digits(buf + n + 1, e - n - 1))
		return hhead_refuse(out, 400, "Content-Length must be a decimal number");
	return HHEAD_COMPLETE;
}

enum hhead_verdict hhead_check(const char *buf, size_t len, const struct hhead_limits *l,
			       struct hhead_result *out)
{
	size_t seen = len < l->max_head ? len : l->max_head;
	size_t pos = 0, end, next, fields = 0;
	bool in_line = true;
	enum hhead_verdict v;

	*out = (struct hhead_result){.head = false};
	for (;;) {
		v = hhead_line(buf, pos, seen, &end, &next, out);
		if (v == HHEAD_REFUSED)
			return v;
		if (v == HHEAD_INCOMPLETE)
			break;
		if (in_line && end == pos) {
			pos = next; /* an empty line before the request line */
			continue;
		}
		if (in_line) {
			v = hhead_request_line(buf, pos, end, out);
			in_line = false;
		} else if (end == pos) {
			out->length = next;
			return HHEAD_COMPLETE;
		} else if (++fields > l->max_fields) {
			return hhead_refuse(out, 431, "too many header fields");
		} else {
			v = hhead_field(buf, pos, end, out);
		}
		if (v == HHEAD_REFUSED)
			return v;
		pos = next;
	}
	if (len <= l->max_head)
		return HHEAD_INCOMPLETE;
	if (in_line)
		return hhead_refuse(out, 414, "the request line is too long");
	return hhead_refuse(out, 431, "the request head is too large");
}
