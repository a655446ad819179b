#ifndef DISCOVERY_PEERCAP_H
#define DISCOVERY_PEERCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Connections per client address, and in all, for an HTTP server that one
 * client must not exhaust. Thread-safe: the servers' event loops share one.
 *
 * libmicrohttpd's MHD_OPTION_PER_IP_CONNECTION_LIMIT counts per daemon (the
 * accountservice runs one daemon per event loop, so a client would get the
 * cap once per loop) and refuses without telling anyone, so nothing could
 * count the refusals. Here the front door (hfront.h) asks peercap_admit()
 * and calls peercap_open() when it accepts, and the server's connection
 * notification calls peercap_close() when libmicrohttpd closes it.
 *
 * The count moves when a connection starts, after the admission: two event
 * loops admitting the same address at the same instant may each let one
 * connection through, so a client holds at most the cap plus the number of
 * loops less one (exactly the cap with one loop, as in the registry).
 */
struct peercap;
struct peercap_peer;

/* Caps of 0: none (connections are still counted). */
struct peercap *peercap_new(size_t max_per_peer, size_t max_total)
	__attribute__((warn_unused_result));
void peercap_free(struct peercap *p);

/* True when fewer than max_total connections are open and the address
 * holds fewer than max_per_peer; a refusal is counted by its cause. Other
 * address families (not IP) are always admitted. */
bool peercap_admit(struct peercap *p, const struct sockaddr *sa, socklen_t len)
	__attribute__((warn_unused_result));
/* A connection from sa started: its peer, to give back to peercap_close(),
 * or NULL (not IP, or no memory: then it is not counted). */
struct peercap_peer *peercap_open(struct peercap *p, const struct sockaddr *sa, socklen_t len);
/* The connection closed; NULL does nothing. */
void peercap_close(struct peercap *p, struct peercap_peer *peer);

struct peercap_stats {
	size_t connections;	   /* open now */
	uint64_t refused_per_peer; /* the address held max_per_peer */
	uint64_t refused_full;	   /* max_total were open */
};
void peercap_stats(struct peercap *p, struct peercap_stats *out);
/* Connections the address holds now (for tests and logs). */
size_t peercap_count(struct peercap *p, const struct sockaddr *sa, socklen_t len);

#endif
