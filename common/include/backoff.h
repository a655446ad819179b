#ifndef DISCOVERY_BACKOFF_H
#define DISCOVERY_BACKOFF_H

#include <stdint.h>

#include "rng.h"

/*
 * Reconnect delays: start near 100 ms, double, and stay under the
 * contract's 2 s cap; each delay is shortened by up to 20 % at random so
 * that clients do not retry in step. The cap is 1.6 s rather than 2 s so
 * that the try after a broker's return, handshake included, lands within
 * the promised two seconds.
 */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 1600

struct backoff {
	int64_t next_ms;
	struct rng rng;
};

void backoff_init(struct backoff *b);
void backoff_reset(struct backoff *b);
/* The delay to wait now; the following one doubles up to the cap. */
int64_t backoff_next_ms(struct backoff *b);

#endif
