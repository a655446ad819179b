#include "rng.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void rng_seed(struct rng *r)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec;
	}
	/* xorshift must never be seeded with zero. */
	r->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

uint64_t rng_next(struct rng *r)
{
	/* xorshift64*: small, fast and plenty for jitter. */
	uint64_t x = r->state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

int64_t rng_between(struct rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = (uint64_t)(hi - lo) + 1;
	return lo + (int64_t)(rng_next(r) % span);
}

int64_t rng_jitter(struct rng *r, int64_t value, double fraction)
{
	int64_t spread = (int64_t)((double)value * fraction);
	return value + rng_between(r, -spread, spread);
}
