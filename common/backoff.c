#include "backoff.h"

void backoff_init(struct backoff *b)
{
	rng_seed(&b->rng);
	backoff_reset(b);
}

void backoff_reset(struct backoff *b)
{
	b->next_ms = BACKOFF_FIRST_MS;
}

int64_t backoff_next_ms(struct backoff *b)
{
	/* Jitter only downwards (up to 20 %), so the cap is a real bound. */
	int64_t delay = b->next_ms - rng_between(&b->rng, 0, b->next_ms / 5);
	b->next_ms *= 2;
	if (b->next_ms > BACKOFF_MAX_MS)
		b->next_ms = BACKOFF_MAX_MS;
	return delay;
}
