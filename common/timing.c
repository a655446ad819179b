#include "timing.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t timing_clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t timing_wall_ms(void)
{
	return timing_clock_ms(CLOCK_REALTIME);
}

int64_t timing_mono_ms(void)
{
	return timing_clock_ms(CLOCK_MONOTONIC);
}

void timing_sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int timing_parse_duration_ms(const char *text, int64_t max_ms, int64_t *out)
{
	static const struct {
		const char *suffix;
		double ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};

	/* strtod would take "inf", "nan", hex and leading blanks: allow only
	 * digits with at most one decimal point. */
	size_t digits = strspn(text, "0123456789.");
	if (digits == 0 || memchr(text, '.', digits) != memrchr(text, '.', digits))
		return -1;
	if (text[0] == '.' || text[digits - 1] == '.')
		return -1;

	errno = 0;
	char *end;
	double value = strtod(text, &end);
	if (errno != 0 || end != text + digits)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		double ms = round(value * units[i].ms);
		if (ms > (double)max_ms)
			return -1;
		*out = (int64_t)ms;
		return 0;
	}
	return -1;
}
