#ifndef DISCOVERY_ADDR_H
#define DISCOVERY_ADDR_H

#include <ifaddrs.h>
#include <stdbool.h>
#include <stddef.h>

#define ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/* True for an IPv4 or IPv6 literal without port or brackets. */
bool addr_is_literal(const char *text);

/*
 * The advertised address: `advertise` if non-empty (must be a literal),
 * else the first non-loopback IPv4 address inside `cidr` if non-empty,
 * else the first non-loopback IPv4 address. Returns 0, or a negative code
 * with a sentence in err (bad literal, bad CIDR, no matching address).
 */
int addr_advertised(const char *advertise, const char *cidr, char *out,
		    size_t outlen, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The same choice over a given interface list (for tests). */
int addr_pick(const struct ifaddrs *ifs, const char *advertise, const char *cidr,
	      char *out, size_t outlen, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
