#include "log.h"

#include <ctype.h>
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

/* Appends to a fixed buffer, cutting quietly at its end: masked text is
 * only ever cut, so a short buffer never shows what the mask hides. */
struct log_out {
	char *buf;
	size_t cap, used;
};

static void log_out_put(struct log_out *o, const char *text, size_t len)
{
	size_t room = o->cap - 1 - o->used;
	if (len > room)
		len = room;
	memcpy(o->buf + o->used, text, len);
	o->used += len;
	o->buf[o->used] = '\0';
}

#define LOG_SCHEME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"
/* What a user name may hold (RFC 3986 userinfo without ':', and without
 * the ',' that separates the URLs of a list). Anything else before the ':'
 * means the userinfo is not the usual user:password, so all of it goes. */
#define LOG_USER_CHARS LOG_SCHEME_CHARS "_~%!$&'()*;="

/* Length of a leading "scheme://", or 0. */
static size_t log_scheme_len(const char *url, const char *end)
{
	size_t n = strspn(url, LOG_SCHEME_CHARS);
	if (n == 0 || !isalpha((unsigned char)url[0]) || (size_t)(end - url) < n + 3 ||
	    memcmp(url + n, "://", 3) != 0)
		return 0;
	return n + 3;
}

/* A ',' inside a password (where no "://" follows) does not split the URL,
 * so its tail is masked too; the session splits lists here as well, so a
 * list is masked exactly as it is used. */
const char *log_url_end(const char *url)
{
	const char *end = url + strlen(url);
	for (const char *c = strchr(url, ','); c != NULL; c = strchr(c + 1, ','))
		if (log_scheme_len(c + 1, end) > 0)
			return c;
	return end;
}

/*
 * One URL. The password may hold any character, '/', '?', '#' and '@'
 * included, so the userinfo runs from "://" (or from the start, when a
 * garbage URL has no scheme) to the last '@' of the URL, not to the first
 * '/': an '@' later in a path or query only makes the mask hide more.
 */
static void log_mask_one(struct log_out *o, const char *url, const char *end)
{
	const char *auth = url + log_scheme_len(url, end);
	const char *at = NULL;
	size_t user;

	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL) {
		log_out_put(o, url, (size_t)(end - url));
		return;
	}
	/* Stops at the first '@' at the latest, so it stays before `at`. */
	user = strspn(auth, LOG_USER_CHARS);
	log_out_put(o, url, (size_t)(auth - url));
	if (auth + user == at) {
		log_out_put(o, auth, user); /* a user name without a password */
	} else if (auth[user] == ':') {
		log_out_put(o, auth, user + 1);
		log_out_put(o, "***", 3);
	} else {
		log_out_put(o, "***", 3);
	}
	log_out_put(o, at, (size_t)(end - at));
}

void log_mask_url(const char *url, char *out, size_t outlen)
{
	struct log_out o = {.buf = out, .cap = outlen};

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (;;) {
		const char *end = log_url_end(url);
		log_mask_one(&o, url, end);
		if (*end == '\0')
			return;
		log_out_put(&o, ",", 1);
		url = end + 1;
	}
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

void log_http_server(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("http: %s", line);
}
