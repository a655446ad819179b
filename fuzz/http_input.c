/* Splits a fuzzer's input into one HTTP request; see http_input.h. */
#include "fuzz/http_input.h"

#include <string.h>
#include <strings.h>

#include "fuzz/fuzz_require.h"

static int http_input_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* %HH decoding in place, as libmicrohttpd's MHD_http_unescape. */
static void http_input_unescape(char *s, bool *nul)
{
	char *w = s;

	if (strstr(s, "%00") != NULL) {
		*nul = true;
		return;
	}
	for (char *r = s; *r; r++, w++) {
		int hi = r[0] == '%' && r[1] ? http_input_hex(r[1]) : -1;
		int lo = hi >= 0 && r[2] ? http_input_hex(r[2]) : -1;

		if (lo >= 0) {
			*w = (char)((hi << 4) | lo);
			r += 2;
		} else {
			*w = *r;
		}
	}
	*w = '\0';
}

/* The next line of *p (ended by \n, a \r before it dropped), or NULL. */
static char *http_input_line(char **p)
{
	char *line = *p, *nl;

	if (line == NULL)
		return NULL;
	nl = strchr(line, '\n');
	if (nl == NULL) {
		*p = NULL;
	} else {
		*nl = '\0';
		*p = nl + 1;
	}
	if (nl != NULL && nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	return line;
}

static void http_input_args(char *query, struct http_input *in)
{
	char *save = NULL;

	for (char *kv = strtok_r(query, "&", &save); kv && in->req.nargs < HTTP_INPUT_FIELDS;
	     kv = strtok_r(NULL, "&", &save)) {
		struct hreq_field *f = &in->args[in->req.nargs++];
		char *eq = strchr(kv, '=');

		for (char *c = kv; *c; c++)
			if (*c == '+')
				*c = ' ';
		if (eq != NULL) {
			*eq = '\0';
			http_input_unescape(eq + 1, &in->req.nul_escape);
		}
		http_input_unescape(kv, &in->req.nul_escape);
		f->key = kv;
		f->value = eq != NULL ? eq + 1 : NULL;
	}
}

int http_input_parse(const uint8_t *data, size_t size, struct http_input *in)
{
	char *p = in->text, *line, *target, *sp, *q;

	if (size > HTTP_INPUT_MAX || memchr(data, 0, size) != NULL)
		return -1;
	memcpy(in->text, data, size);
	in->text[size] = '\0';
	memset(&in->req, 0, sizeof(in->req));
	in->req.headers = in->headers;
	in->req.args = in->args;
	line = http_input_line(&p);
	if (line == NULL || (sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	in->method = line;
	target = sp + 1;
	sp = strrchr(target, ' ');
	in->req.version = "";
	if (sp != NULL) {
		*sp = '\0';
		in->req.version = sp + 1;
	}
	while ((line = http_input_line(&p)) != NULL && line[0] != '\0') {
		struct hreq_field *f;
		char *colon = strchr(line, ':');
		if (colon == NULL)
			return -1;
		if (in->req.nheaders == HTTP_INPUT_FIELDS)
			continue;
		f = &in->headers[in->req.nheaders++];
		*colon = '\0';
		colon++;
		colon += strspn(colon, " \t");
		f->key = line;
		f->value = colon;
	}
	q = strchr(target, '?');
	if (q != NULL) {
		*q = '\0';
		http_input_args(q + 1, in);
	}
	http_input_unescape(target, &in->req.nul_escape);
	in->path = target;
	return 0;
}

const char *http_input_header(const struct http_input *in, const char *key)
{
	for (size_t i = 0; i < in->req.nheaders; i++)
		if (strcasecmp(in->headers[i].key, key) == 0)
			return in->headers[i].value;
	return NULL;
}

bool http_input_accepted(const uint8_t *data, size_t size, struct http_input *in)
{
	struct hreq_refusal refusal;

	if (http_input_parse(data, size, in) < 0)
		return false;
	if (hreq_check(&in->req, &refusal) == 0)
		return true;
	fuzz_require(refusal.status == 400 || refusal.status == 501);
	fuzz_require(refusal.message != NULL && refusal.message[0] != '\0');
	return false;
}
