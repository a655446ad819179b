#ifndef DISCOVERY_LOG_H
#define DISCOVERY_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One line per event on stderr:
 *   2026-11-26T14:40:00.123Z level=info prog=registry msg text key=value ...
 * The caller writes "key=value" pairs into the message itself. Never pass a
 * password: use log_mask_url() for URLs that may carry credentials.
 */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_init(const char *program, enum log_level level);
/* "debug", "info", "warn" or "error". */
const char *log_level_name(enum log_level level);
/* Parses "debug", "info", "warn"/"warning", "error" (any case). */
int log_parse_level(const char *text, enum log_level *out)
	__attribute__((warn_unused_result));
bool log_enabled(enum log_level level);
void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* libmicrohttpd's MHD_OPTION_EXTERNAL_LOGGER: its messages as one warning
 * line each, prefixed "http: ". */
void log_http_server(void *cls, const char *fmt, va_list ap);

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

/*
 * Copies url to out with any password replaced by "***", whatever it holds:
 *   amqp://guest:guest@host:5672/  -> amqp://guest:***@host:5672/
 *   amqp://svc:Zm9v/Y@r@host/      -> amqp://svc:***@host/
 *   amqp://a:x@h1/,amqps://b:y@h2/ -> amqp://a:***@h1/,amqps://b:***@h2/
 * Everything between "://" and the last '@' of each URL of a comma-separated
 * list is userinfo; the user name before its first ':' stays when it is a
 * plain one, anything odder is masked whole. Never writes more than outlen
 * bytes, and a cut output still hides the password.
 */
void log_mask_url(const char *url, char *out, size_t outlen);
/* The end of the URL that starts at url in a comma-separated list: the next
 * ',' directly followed by a "scheme://", else the end of the string. */
const char *log_url_end(const char *url);

/* At most `burst` events per `window_ms`; tells whether this one may be
 * logged and counts the ones suppressed since the last allowed one. */
struct log_ratelimit {
	int64_t window_start_ms;
	int used;
	uint64_t suppressed;
};
bool log_ratelimit_allow(struct log_ratelimit *rl, int burst, int64_t window_ms);

#endif
