#include "addr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool addr_is_literal(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

/* Parses "a.b.c.d/n" into a network and mask in host byte order. */
static int addr_parse_cidr(const char *cidr, uint32_t *net, uint32_t *mask)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= sizeof(ip))
		return -1;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';

	struct in_addr in;
	if (inet_pton(AF_INET, ip, &in) != 1)
		return -1;
	char *end;
	long bits = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end != '\0' || bits < 0 || bits > 32)
		return -1;
	*mask = bits == 0 ? 0 : UINT32_MAX << (32 - bits);
	*net = ntohl(in.s_addr) & *mask;
	return 0;
}

int addr_pick(const struct ifaddrs *ifs, const char *advertise, const char *cidr,
	      char *out, size_t outlen, char *err, size_t errlen)
{
	if (advertise && *advertise) {
		if (!addr_is_literal(advertise)) {
			snprintf(err, errlen, "ADVERTISE_ADDR '%s' is not an IPv4 or IPv6 address",
				 advertise);
			return -1;
		}
		if (strlen(advertise) >= outlen) {
			snprintf(err, errlen, "address buffer too small");
			return -1;
		}
		strcpy(out, advertise);
		return 0;
	}

	uint32_t net = 0, mask = 0;
	bool want_cidr = cidr && *cidr;
	if (want_cidr && addr_parse_cidr(cidr, &net, &mask) < 0) {
		snprintf(err, errlen, "ADVERTISE_CIDR '%s' is not an IPv4 CIDR such as 10.0.0.0/24",
			 cidr);
		return -1;
	}

	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (i->ifa_flags & IFF_LOOPBACK)
			continue;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
		uint32_t host = ntohl(sin->sin_addr.s_addr);
		if ((host >> 24) == 127)
			continue;
		if (want_cidr && (host & mask) != net)
			continue;
		if (!inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outlen)) {
			snprintf(err, errlen, "address buffer too small");
			return -1;
		}
		return 0;
	}
	if (want_cidr)
		snprintf(err, errlen, "no network interface has an IPv4 address inside ADVERTISE_CIDR %s",
			 cidr);
	else
		snprintf(err, errlen, "no non-loopback IPv4 address found: set ADVERTISE_ADDR");
	return -1;
}

int addr_advertised(const char *advertise, const char *cidr, char *out,
		    size_t outlen, char *err, size_t errlen)
{
	if (advertise && *advertise)
		return addr_pick(NULL, advertise, cidr, out, outlen, err, errlen);

	struct ifaddrs *ifs;
	if (getifaddrs(&ifs) < 0) {
		snprintf(err, errlen, "cannot list network interfaces");
		return -1;
	}
	int rc = addr_pick(ifs, NULL, cidr, out, outlen, err, errlen);
	freeifaddrs(ifs);
	return rc;
}
