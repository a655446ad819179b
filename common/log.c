#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "timing.h"

static const char *log_program = "discovery";
static enum log_level log_threshold = LOG_INFO;

static const char *const log_level_names[] = {
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_WARN] = "warn",
	[LOG_ERROR] = "error",
};

void log_init(const char *program, enum log_level level)
{
	log_program = program;
	log_threshold = level;
}

int log_parse_level(const char *text, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcasecmp(text, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(text, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return log_level_names[level];
}

bool log_enabled(enum log_level level)
{
	return level >= log_threshold;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;

	int64_t now = timing_wall_ms();
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);

	/* Build the whole line first so concurrent threads never interleave. */
	char line[2048];
	int used = snprintf(line, sizeof(line),
			    "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s prog=%s ",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			    tm.tm_min, tm.tm_sec, (int)(now % 1000),
			    log_level_names[level], log_program);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + used, sizeof(line) - (size_t)used, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

void log_mask_url(const char *url, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	snprintf(out, outlen, "%s", url);

	/* userinfo sits between "://" and the last '@' before the path. */
	const char *scheme_end = strstr(url, "://");
	if (!scheme_end)
		return;
	const char *auth = scheme_end + 3;
	const char *path = auth + strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *p = auth; p < path; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return;
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon)
		return;
	snprintf(out, outlen, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

bool log_ratelimit_allow(struct log_ratelimit *rl, int burst, int64_t window_ms)
{
	int64_t now = timing_mono_ms();
	if (rl->window_start_ms == 0 || now - rl->window_start_ms >= window_ms) {
		rl->window_start_ms = now;
		rl->used = 0;
	}
	if (rl->used < burst) {
		rl->used++;
		return true;
	}
	rl->suppressed++;
	return false;
}
