#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "amqp_session.h"
#include "log.h"
#include "timing.h"

static bool config_takes_text(enum config_type type)
{
	return type == CONFIG_STRING || type == CONFIG_SECRET || type == CONFIG_URL ||
	       type == CONFIG_AMQP_URL || type == CONFIG_FILE;
}

static int config_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

static bool config_has_secret(enum config_type type)
{
	return type == CONFIG_SECRET || type == CONFIG_AMQP_URL;
}

/* Secrets read from files live as long as the process, as environ does. */
#define CONFIG_SECRET_FILES 8
#define CONFIG_SECRET_FILE_MAX 4096
static char config_file_values[CONFIG_SECRET_FILES][CONFIG_SECRET_FILE_MAX];
static size_t config_file_count;

/* *value gets the file's first line (a trailing newline is not part of a
 * secret). */
static int config_read_secret_file(const char *path, const char *source, const char **value,
				   char *err, size_t errlen)
{
	char *buf;
	FILE *f;
	size_t n;

	if (config_file_count >= CONFIG_SECRET_FILES) {
		snprintf(err, errlen, "%s: more than %d secret files", source, CONFIG_SECRET_FILES);
		return -1;
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read '%s': %s", source, path, strerror(errno));
		return -1;
	}
	buf = config_file_values[config_file_count];
	n = fread(buf, 1, CONFIG_SECRET_FILE_MAX, f);
	fclose(f);
	if (n == CONFIG_SECRET_FILE_MAX) {
		snprintf(err, errlen, "%s: '%s' is over %d bytes", source, path,
			 CONFIG_SECRET_FILE_MAX - 1);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	config_file_count++;
	*value = buf;
	return 0;
}

/* Stores one value; `source` names where it came from for the message. */
static int config_set(const struct config_option *o, const char *value,
		      const char *source, char *err, size_t errlen)
{
	char why[600];
	long number;
	int64_t ms;

	switch (o->type) {
	case CONFIG_STRING:
	case CONFIG_SECRET:
	case CONFIG_URL:
		*(const char **)o->target = value;
		return 0;
	case CONFIG_AMQP_URL:
		/* Said now, precisely, rather than as a connection that never
		 * comes; the message masks the password. */
		if (amqp_session_check_url(value, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", source, why);
			return -1;
		}
		*(const char **)o->target = value;
		return 0;
	case CONFIG_FILE:
		/* Checked now, so that a typo is a usage error at start and not
		 * a connection that fails over and over later. */
		if (*value && access(value, R_OK) != 0) {
			snprintf(err, errlen, "%s: cannot read '%s': %s", source, value,
				 strerror(errno));
			return -1;
		}
		*(const char **)o->target = value;
		return 0;
	case CONFIG_INT:
		if (config_parse_long(value, o->min, o->max, &number) < 0) {
			snprintf(err, errlen, "%s: '%s' is not a whole number in %ld..%ld",
				 source, value, o->min, o->max);
			return -1;
		}
		*(long *)o->target = number;
		return 0;
	case CONFIG_PORT:
		if (config_parse_long(value, o->min > 0 ? o->min : 0, 65535, &number) < 0 ||
		    (number == 0 && o->min > 0)) {
			snprintf(err, errlen, "%s: '%s' is not a port number (1..65535)", source,
				 value);
			return -1;
		}
		*(int *)o->target = (int)number;
		return 0;
	case CONFIG_DURATION_MS:
		if (timing_parse_duration_ms(value, o->max, &ms) < 0 || ms < o->min) {
			snprintf(err, errlen,
				 "%s: '%s' is not a duration between %ldms and %ldms (e.g. 2, 0.5, 500ms, 2s, 1m)",
				 source, value, o->min, o->max);
			return -1;
		}
		*(int64_t *)o->target = ms;
		return 0;
	case CONFIG_LOG_LEVEL:
		if (log_parse_level(value, o->target) < 0) {
			snprintf(err, errlen, "%s: '%s' is not debug, info, warn or error", source,
				 value);
			return -1;
		}
		return 0;
	case CONFIG_FLAG:
		if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
		    strcasecmp(value, "yes") == 0) {
			*(int *)o->target = 1;
		} else if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0 ||
			   strcasecmp(value, "no") == 0 || *value == '\0') {
			*(int *)o->target = 0;
		} else {
			snprintf(err, errlen, "%s: '%s' is not true or false", source, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct config_option *config_find(const struct config_option *opts,
					       size_t count, const char *name, size_t len)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(opts[i].flag) == len && strncmp(opts[i].flag, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* The longest option name that `name` starts with, or NULL. */
static const struct config_option *config_find_prefix(const struct config_option *opts,
						      size_t count, const char *name, size_t len)
{
	const struct config_option *best = NULL;
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(opts[i].flag);
		if (n < len && strncmp(opts[i].flag, name, n) == 0 &&
		    (!best || n > strlen(best->flag)))
			best = &opts[i];
	}
	return best;
}

/*
 * The message for an argument that is no option. Neither a stray value nor
 * the tail of "--flagVALUE" is echoed: either may be a password or a key.
 */
static void config_unknown(const struct config_option *opts, size_t count, const char *arg,
			   int index, char *err, size_t errlen)
{
	const char *name;
	size_t len;
	const struct config_option *o;

	if (strncmp(arg, "--", 2) != 0) {
		snprintf(err, errlen, "argument %d is not an option (a value follows its --flag)",
			 index);
		return;
	}
	name = arg + 2;
	len = strcspn(name, "=");
	o = config_find_prefix(opts, count, name, len);
	if (o)
		snprintf(err, errlen,
			 "unknown option '--%s...' (write --%s=VALUE or --%s VALUE)",
			 o->flag, o->flag, o->flag);
	else
		snprintf(err, errlen, "unknown option '--%.*s'", (int)len, name);
}

static void config_format_default(const struct config_option *o, char *out, size_t outlen)
{
	const char *text;

	switch (o->type) {
	case CONFIG_STRING:
	case CONFIG_FILE:
		text = *(const char **)o->target;
		snprintf(out, outlen, "%s", text ? text : "");
		return;
	case CONFIG_SECRET:
		text = *(const char **)o->target;
		snprintf(out, outlen, "%s", text && *text ? "***" : "");
		return;
	case CONFIG_URL:
	case CONFIG_AMQP_URL:
		text = *(const char **)o->target;
		log_mask_url(text ? text : "", out, outlen);
		return;
	case CONFIG_INT:
		snprintf(out, outlen, "%ld", *(long *)o->target);
		return;
	case CONFIG_PORT:
		snprintf(out, outlen, "%d", *(int *)o->target);
		return;
	case CONFIG_FLAG:
		snprintf(out, outlen, "%s", *(int *)o->target ? "on" : "off");
		return;
	case CONFIG_DURATION_MS:
		snprintf(out, outlen, "%lldms", (long long)*(int64_t *)o->target);
		return;
	case CONFIG_LOG_LEVEL:
		snprintf(out, outlen, "%s", log_level_name(*(enum log_level *)o->target));
		return;
	}
	out[0] = '\0';
}

void config_print_help(const struct config_option *opts, size_t count,
		       const char *program, const char *summary, FILE *out)
{
	fprintf(out, "Usage: %s [options]\n%s\n\nOptions (flags override environment variables):\n",
		program, summary);
	for (size_t i = 0; i < count; i++) {
		const struct config_option *o = &opts[i];
		char def[256];
		char flag[80];
		config_format_default(o, def, sizeof(def));
		if (o->type == CONFIG_FLAG)
			snprintf(flag, sizeof(flag), "--[no-]%s", o->flag);
		else
			snprintf(flag, sizeof(flag), "--%s VALUE", o->flag);
		/* Two spaces at least between a flag and its text, also past
		 * the column: help2man (the man pages) splits them there. */
		fprintf(out, "  %-28s  %s", flag, o->help);
		if (o->env)
			fprintf(out, " [env %s]", o->env);
		if (*def)
			fprintf(out, " (default: %s)", def);
		fputc('\n', out);
	}
	fprintf(out, "  %-28s  %s\n", "--help", "show this help and exit");
}

int config_usage_error(const char *program, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	return CONFIG_EXIT_USAGE;
}

int config_load(const struct config_option *opts, size_t count, int argc,
		char **argv, const char *summary, char *err, size_t errlen)
{
	const char *program = argc > 0 ? argv[0] : "program";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			config_print_help(opts, count, program, summary, stdout);
			return CONFIG_HELP;
		}
	}

	for (size_t i = 0; i < count; i++) {
		const char *value = opts[i].env ? getenv(opts[i].env) : NULL;
		char source[128];

		if (!value && config_has_secret(opts[i].type) && opts[i].env) {
			/* NAME_FILE, as Docker's official images read Swarm secrets. */
			snprintf(source, sizeof(source), "%s_FILE", opts[i].env);
			if (getenv(source) &&
			    config_read_secret_file(getenv(source), source, &value, err, errlen) < 0)
				return -1;
			if (value) {
				if (config_set(&opts[i], value, source, err, errlen) < 0)
					return -1;
				continue;
			}
		}
		/* An empty variable means "not set" for numbers, as in shells. */
		if (!value || (*value == '\0' && !config_takes_text(opts[i].type)))
			continue;
		if (config_set(&opts[i], value, opts[i].env, err, errlen) < 0)
			return -1;
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "--", 2) != 0) {
			config_unknown(opts, count, arg, i, err, errlen);
			return -1;
		}
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct config_option *o = config_find(opts, count, name, len);
		const char *value = eq ? eq + 1 : NULL;
		/* "--no-NAME" turns off a flag, for those that are on by default. */
		if (!o && !eq && len > 3 && strncmp(name, "no-", 3) == 0) {
			o = config_find(opts, count, name + 3, len - 3);
			if (o && o->type != CONFIG_FLAG)
				o = NULL;
			value = "0";
		}
		if (!o) {
			config_unknown(opts, count, arg, i, err, errlen);
			return -1;
		}
		if (!value && o->type == CONFIG_FLAG)
			value = "1";
		if (!value) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "option '--%s' needs a value", o->flag);
				return -1;
			}
			value = argv[++i];
		}
		char source[96];
		snprintf(source, sizeof(source), "--%s", o->flag);
		if (config_set(o, value, source, err, errlen) < 0)
			return -1;
	}
	return 0;
}
