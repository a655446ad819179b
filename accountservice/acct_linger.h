#ifndef DISCOVERY_ACCT_LINGER_H
#define DISCOVERY_ACCT_LINGER_H

#include <stdbool.h>
#include <stdint.h>

#include "accountservice/acct_metrics.h"

/*
 * Client sockets that close only after their server has: whoever closes a
 * TCP connection first keeps its TIME_WAIT, and a client that closes after
 * the server's FIN leaves it with the server, where it holds no ephemeral
 * port of the client. The quote client hands each finished connection
 * here; it is closed at once when the server's FIN is in, else when it
 * comes (watched in the owner's epoll set) or at a deadline. Everything
 * here runs on the owner's event loop thread.
 */
struct acct_linger;

/* Sockets join epoll_fd with data.fd set to the socket and wait at most
 * wait_ms each (0: none waits); metrics (which must outlive it) counts who
 * closed first. NULL when out of memory. */
struct acct_linger *acct_linger_new(int epoll_fd, long wait_ms, struct acct_metrics *metrics)
	__attribute__((warn_unused_result));

/* Takes fd, a socket its owner is done with: closed now when the server
 * has closed its side, the socket failed or never connected, or no more
 * can wait; else it waits. 0, or what close() returned. */
int acct_linger_close(struct acct_linger *l, int fd);

/* epoll reported events on fd: true when fd is a waiting socket (handled
 * here), false when it is someone else's. */
bool acct_linger_on_socket(struct acct_linger *l, int fd);

/* Monotonic milliseconds of the earliest deadline, -1 when none waits. */
int64_t acct_linger_deadline_ms(const struct acct_linger *l);

/* Closes the sockets whose deadline has passed: this side closes first. */
void acct_linger_expire(struct acct_linger *l);

/* Closes every socket still waiting and frees l. */
void acct_linger_free(struct acct_linger *l);

#endif
