#include "sidecar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool sidecar_key_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

bool sidecar_meta_key_is_valid(const char *key, size_t len)
{
	if (len == 0 || len > SIDECAR_META_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!sidecar_key_char(key[i], i == 0))
			return false;
	return true;
}

static void sidecar_clear_metadata(struct token *t)
{
	for (size_t i = 0; i < t->metadata_count; i++) {
		free(t->metadata[i].key);
		free(t->metadata[i].value);
	}
	memset(t->metadata, 0, sizeof(t->metadata));
	t->metadata_count = 0;
}

static bool sidecar_has_key(const struct token *t, const char *key, size_t len)
{
	for (size_t i = 0; i < t->metadata_count; i++)
		if (strlen(t->metadata[i].key) == len && memcmp(t->metadata[i].key, key, len) == 0)
			return true;
	return false;
}

/* Adds the pair in [item, item + len); 0 or -1 with err. */
static int sidecar_add_pair(struct token *t, const char *item, size_t len, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	size_t klen, vlen;
	struct token_meta *m;

	if (!eq) {
		snprintf(err, errlen, "metadata '%.*s' is not key=value", (int)len, item);
		return -1;
	}
	klen = (size_t)(eq - item);
	vlen = len - klen - 1;
	if (!sidecar_meta_key_is_valid(item, klen)) {
		snprintf(err, errlen,
			 "metadata key '%.*s' is not 1-%d of [A-Za-z0-9._-] starting with a letter "
			 "or digit",
			 (int)klen, item, SIDECAR_META_KEY_MAX);
		return -1;
	}
	if (vlen > SIDECAR_META_VALUE_MAX) {
		snprintf(err, errlen, "metadata value of '%.*s' is longer than %d bytes", (int)klen,
			 item, SIDECAR_META_VALUE_MAX);
		return -1;
	}
	if (sidecar_has_key(t, item, klen)) {
		snprintf(err, errlen, "metadata key '%.*s' is given twice", (int)klen, item);
		return -1;
	}
	if (t->metadata_count >= TOKEN_MAX_METADATA) {
		snprintf(err, errlen, "more than %d metadata pairs", TOKEN_MAX_METADATA);
		return -1;
	}
	m = &t->metadata[t->metadata_count];
	m->key = strndup(item, klen);
	m->value = strndup(eq + 1, vlen);
	t->metadata_count++; /* counted at once so a failure below frees both */
	if (!m->key || !m->value) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int sidecar_parse_metadata(const char *list, struct token *t, char *err, size_t errlen)
{
	const char *item = list;

	sidecar_clear_metadata(t);
	if (!list || !list[0])
		return 0;
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);

		if (len == 0) {
			snprintf(err, errlen, "metadata list '%s' has an empty entry", list);
			goto fail;
		}
		if (sidecar_add_pair(t, item, len, err, errlen) < 0)
			goto fail;
		if (!comma)
			return 0;
		item = comma + 1;
	}
fail:
	sidecar_clear_metadata(t);
	return -1;
}

bool sidecar_url_is_valid(const char *url)
{
	const char *host;

	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':')
		return false;
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}
