#ifndef DISCOVERY_ACCT_BALANCE_H
#define DISCOVERY_ACCT_BALANCE_H

#include <stddef.h>

#include "accountservice/acct_metrics.h"
#include "addr.h"

/*
 * Client-side load balancing of the quote calls (QUOTES_DISCOVERY): an
 * embedded subscriber, on a thread of its own, follows the tokens of one
 * service, and every call goes to the next UP instance in instanceId order,
 * round-robin over all the HTTP loops. An instance leaves the rotation as
 * soon as the subscriber drops it: at its DOWN token, at once when its AMQP
 * connection closes (a crash), or when its ttl runs out.
 */
struct acct_balance;

/* A token's instanceId is at most 255 bytes (common/token_decode.c). */
#define ACCT_BALANCE_ID_MAX 256

struct acct_balance_options {
	const char *amqp_url;
	const char *amqp_tls_ca; /* "" or NULL: the system's bundle */
	const char *exchange;
	const char *secret;  /* "": unsigned tokens */
	const char *service; /* the one followed */
	struct acct_metrics *metrics;
};

/* One instance chosen for a call: copies, valid after the table moves on. */
struct acct_balance_pick {
	char instance_id[ACCT_BALANCE_ID_MAX];
	char address[ADDR_TEXT_MAX];
	int port; /* 0: the token had none, keep the URL's */
};

/* Starts following; the options' strings must outlive it. NULL on bad
 * options, no memory or no thread. */
struct acct_balance *acct_balance_start(const struct acct_balance_options *o)
	__attribute__((warn_unused_result));
void acct_balance_free(struct acct_balance *b);

/* The next UP instance other than exclude (NULL: none excluded) into *out:
 * 0, or -1 when there is none. Any thread. */
int acct_balance_pick(struct acct_balance *b, const char *exclude, struct acct_balance_pick *out)
	__attribute__((warn_unused_result));

#endif
