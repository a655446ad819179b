#ifndef DISCOVERY_RNG_H
#define DISCOVERY_RNG_H

#include <stdint.h>

/* A small per-thread random source for jitter (not for secrets). */
struct rng {
	uint64_t state;
};

void rng_seed(struct rng *r);          /* from getrandom(), else time and pid */
uint64_t rng_next(struct rng *r);
/* Uniform integer in [lo, hi]. */
int64_t rng_between(struct rng *r, int64_t lo, int64_t hi);
/* value scaled by a random factor in [1 - fraction, 1 + fraction]. */
int64_t rng_jitter(struct rng *r, int64_t value, double fraction);

#endif
