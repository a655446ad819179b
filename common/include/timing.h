#ifndef DISCOVERY_TIMING_H
#define DISCOVERY_TIMING_H

#include <stdint.h>

/* Milliseconds since the epoch (for tokens and API timestamps). */
int64_t timing_wall_ms(void);
/* Milliseconds on the monotonic clock (for timeouts and intervals). */
int64_t timing_mono_ms(void);
void timing_sleep_ms(int64_t ms);

/*
 * Parses a duration as the contract gives it: a number of seconds ("2",
 * "0.5") or a number with a unit ("500ms", "2s", "1m", "1h"). Rejects
 * negatives, garbage, trailing text and values over max_ms.
 */
int timing_parse_duration_ms(const char *text, int64_t max_ms, int64_t *out)
	__attribute__((warn_unused_result));

#endif
