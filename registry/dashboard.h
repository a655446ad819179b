#ifndef DISCOVERY_REGISTRY_DASHBOARD_H
#define DISCOVERY_REGISTRY_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The dashboard served at GET /: the files of registry/dashboard/, embedded
 * at build time by scripts/dashboard_embed.sh (the Makefile writes
 * $(BUILD)/gen/registry/dashboard_files.c). No libmicrohttpd here: rhttp
 * serves them.
 */
struct dashboard_file {
	const char *path; /* "/" for index.html, else "/dashboard/<name>" */
	const char *type; /* Content-Type */
	const char *etag; /* quoted, from the file's SHA-256 */
	const unsigned char *body;
	size_t len;
};

extern const struct dashboard_file dashboard_files[];
extern const size_t dashboard_nfiles;

/* Scripts, styles, the icon and the event stream come from the registry
 * itself, and nothing else is allowed: no inline script or style, no
 * other origin, no frames, no forms. */
#define DASHBOARD_CSP                                                                              \
	"default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* Browsers check back every time (the ETag makes that a 304) rather than
 * keep a page older than the registry that serves it. */
#define DASHBOARD_CACHE_CONTROL "no-cache"

/* The file served at path (a path, no query), or NULL. */
const struct dashboard_file *dashboard_find(const char *path);

/* Whether an If-None-Match header value (NULL: absent) names etag, so the
 * answer is 304: "*", or a comma-separated list of entity tags compared
 * weakly (W/"x" matches "x"), as RFC 9110 13.1.2 says for GET and HEAD. */
bool dashboard_etag_matches(const char *if_none_match, const char *etag);

#endif
