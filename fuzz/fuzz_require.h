#ifndef DISCOVERY_FUZZ_REQUIRE_H
#define DISCOVERY_FUZZ_REQUIRE_H

#include <stdbool.h>
#include <stdlib.h>

/* A broken promise is a crash, which is what libFuzzer reports. */
static inline void fuzz_require(bool ok)
{
	if (!ok)
		abort();
}

#endif
