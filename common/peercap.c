/* Connections per client address: a hash table of the addresses that hold
 * at least one connection, each with its count. */
#include "peercap.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A power of two; chains stay short up to tens of thousands of addresses. */
#define PEERCAP_BUCKETS 4096

struct peercap_peer {
	unsigned char addr[16]; /* IPv4 as an IPv4-mapped IPv6 address */
	size_t count;
	struct peercap_peer *next;
};

struct peercap {
	pthread_mutex_t mu;
	size_t max_per_peer, max_total;
	struct peercap_stats stats;
	struct peercap_peer *buckets[PEERCAP_BUCKETS];
};

/* The 16-byte key of an IP address; false for other families. */
static bool peercap_key(const struct sockaddr *sa, socklen_t len, unsigned char key[16])
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

/* FNV-1a. */
static size_t peercap_bucket(const unsigned char key[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (PEERCAP_BUCKETS - 1);
}

static struct peercap_peer **peercap_find(struct peercap *p, const unsigned char key[16])
{
	struct peercap_peer **pp = &p->buckets[peercap_bucket(key)];
	while (*pp != NULL && memcmp((*pp)->addr, key, 16) != 0)
		pp = &(*pp)->next;
	return pp;
}

struct peercap *peercap_new(size_t max_per_peer, size_t max_total)
{
	struct peercap *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	p->max_per_peer = max_per_peer;
	p->max_total = max_total;
	return p;
}

void peercap_free(struct peercap *p)
{
	if (p == NULL)
		return;
	for (size_t b = 0; b < PEERCAP_BUCKETS; b++) {
		struct peercap_peer *peer = p->buckets[b], *next;
		for (; peer != NULL; peer = next) {
			next = peer->next;
			free(peer);
		}
	}
	pthread_mutex_destroy(&p->mu);
	free(p);
}

bool peercap_admit(struct peercap *p, const struct sockaddr *sa, socklen_t len)
{
	unsigned char key[16];
	struct peercap_peer *peer;
	bool admit = true;

	if (!peercap_key(sa, len, key))
		return true;
	pthread_mutex_lock(&p->mu);
	if (p->max_total != 0 && p->stats.connections >= p->max_total) {
		admit = false;
		p->stats.refused_full++;
	} else if (p->max_per_peer != 0) {
		peer = *peercap_find(p, key);
		if (peer != NULL && peer->count >= p->max_per_peer) {
			admit = false;
			p->stats.refused_per_peer++;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return admit;
}

struct peercap_peer *peercap_open(struct peercap *p, const struct sockaddr *sa, socklen_t len)
{
	unsigned char key[16];
	struct peercap_peer **pp, *peer;

	if (!peercap_key(sa, len, key))
		return NULL;
	pthread_mutex_lock(&p->mu);
	pp = peercap_find(p, key);
	peer = *pp;
	if (peer == NULL) {
		peer = calloc(1, sizeof(*peer));
		if (peer != NULL) {
			memcpy(peer->addr, key, 16);
			*pp = peer;
		}
	}
	if (peer != NULL) {
		peer->count++;
		p->stats.connections++;
	}
	pthread_mutex_unlock(&p->mu);
	return peer;
}

void peercap_close(struct peercap *p, struct peercap_peer *peer)
{
	if (peer == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stats.connections--;
	if (--peer->count == 0) {
		struct peercap_peer **pp = peercap_find(p, peer->addr);
		*pp = peer->next;
		free(peer);
	}
	pthread_mutex_unlock(&p->mu);
}

void peercap_stats(struct peercap *p, struct peercap_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->stats;
	pthread_mutex_unlock(&p->mu);
}

size_t peercap_count(struct peercap *p, const struct sockaddr *sa, socklen_t len)
{
	unsigned char key[16];
	struct peercap_peer *peer;
	size_t n;

	if (!peercap_key(sa, len, key))
		return 0;
	pthread_mutex_lock(&p->mu);
	peer = *peercap_find(p, key);
	n = peer != NULL ? peer->count : 0;
	pthread_mutex_unlock(&p->mu);
	return n;
}
