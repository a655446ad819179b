/* The dashboard's embedded files: which one a path names, and whether the
 * browser already holds it. */
#include "registry/dashboard.h"

#include <string.h>

const struct dashboard_file *dashboard_find(const char *path)
{
	for (size_t i = 0; i < dashboard_nfiles; i++)
		if (strcmp(dashboard_files[i].path, path) == 0)
			return &dashboard_files[i];
	return NULL;
}

bool dashboard_etag_matches(const char *if_none_match, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = if_none_match;

	if (!p)
		return false;
	for (;;) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return false;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, ", \t");
		if ((n == 1 && *p == '*') || (n == elen && memcmp(p, etag, n) == 0))
			return true;
		p += n;
	}
}
