#ifndef DISCOVERY_CONFIG_H
#define DISCOVERY_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Table-driven configuration: every option has a long flag, an optional
 * environment variable and a help line. Values come from the defaults the
 * caller stored in the targets, then the environment, then the flags
 * ("--port 6767" or "--port=6767"; "--verbose", "--no-verbose" or
 * "--verbose=false" for a CONFIG_FLAG). --help is generated from the table.
 * A secret (CONFIG_SECRET, CONFIG_AMQP_URL) whose variable NAME is unset is
 * also read from the file that NAME_FILE names (its first line), as Docker's
 * official images read Swarm secrets.
 */
enum config_type {
	CONFIG_STRING,      /* const char **: points into environ or argv */
	CONFIG_SECRET,      /* like CONFIG_STRING, shown as *** in --help */
	CONFIG_URL,         /* like CONFIG_STRING, password masked in --help */
	CONFIG_AMQP_URL,    /* a CONFIG_URL amqp_session_check_url() accepts */
	CONFIG_FILE,        /* like CONFIG_STRING; a non-empty one must be readable */
	CONFIG_INT,         /* long *, within [min, max] */
	CONFIG_PORT,        /* int *, 1..65535 (0 allowed when min is 0) */
	CONFIG_DURATION_MS, /* int64_t *, "2", "0.5", "500ms", "2s", "1m" */
	CONFIG_FLAG,        /* int *, 1 by "--flag", 0 by "--no-flag"; env "1"/"true"/"0" */
	CONFIG_LOG_LEVEL,   /* enum log_level *: debug, info, warn, error */
};

struct config_option {
	const char *flag; /* long name without the dashes: "port" */
	const char *env;  /* "SERVER_PORT", or NULL for flag-only options */
	enum config_type type;
	void *target;
	long min, max; /* for CONFIG_INT/CONFIG_PORT/CONFIG_DURATION_MS (ms) */
	const char *help;
};

#define CONFIG_HELP 1 /* config_load printed --help: exit 0 */
#define CONFIG_EXIT_USAGE 2

/*
 * Returns 0, CONFIG_HELP after printing help to stdout, or a negative code
 * with a one-line message in err (unknown flag, missing value, bad number,
 * out of range). `summary` is the line under "Usage: <program> [options]".
 */
int config_load(const struct config_option *opts, size_t count, int argc,
		char **argv, const char *summary, char *err, size_t errlen)
	__attribute__((warn_unused_result));

void config_print_help(const struct config_option *opts, size_t count,
		       const char *program, const char *summary, FILE *out);

/*
 * Prints a usage error as every program says it, "program: <message> (see
 * --help)" on one line of stderr, and returns CONFIG_EXIT_USAGE for main()
 * to exit with.
 */
int config_usage_error(const char *program, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
