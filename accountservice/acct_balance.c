#include "accountservice/acct_balance.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/subscriber.h"
#include "log.h"

struct acct_balance {
	struct subscriber *sub;
	const char *service;
	struct acct_metrics *metrics;
	pthread_mutex_t mu; /* guards last */
	/* The instanceId of the last pick: the next one is the first UP
	 * instance after it, so the rotation survives joins and leaves. */
	char last[ACCT_BALANCE_ID_MAX];
};

/* One walk of the service's instances, in instanceId order. */
struct balance_walk {
	const char *after, *exclude;
	const struct subscriber_instance *first, *next;
	size_t up;
	struct acct_balance_pick *out;
	bool found;
};

static void balance_copy(const struct subscriber_instance *in, struct acct_balance_pick *out)
{
	snprintf(out->instance_id, sizeof(out->instance_id), "%s", in->instance_id);
	snprintf(out->address, sizeof(out->address), "%s", in->address);
	out->port = in->port;
}

/* Runs with the table locked: the instance's strings are copied here. */
static void balance_visit(void *ctx, const struct subscriber_instance *in, void *data)
{
	struct balance_walk *w = ctx;
	(void)data;
	if (in->state != SUBSCRIBER_UP)
		return;
	w->up++;
	if (w->out == NULL || w->next != NULL ||
	    (w->exclude != NULL && strcmp(in->instance_id, w->exclude) == 0))
		return;
	if (w->first == NULL) {
		w->first = in;
		balance_copy(in, w->out);
		w->found = true;
	}
	if (strcmp(in->instance_id, w->after) > 0) {
		w->next = in;
		balance_copy(in, w->out);
	}
}

int acct_balance_pick(struct acct_balance *b, const char *exclude, struct acct_balance_pick *out)
{
	struct balance_walk w = {.exclude = exclude, .out = out};
	pthread_mutex_lock(&b->mu);
	w.after = b->last;
	subscriber_foreach(b->sub, b->service, balance_visit, &w, NULL);
	if (w.found)
		snprintf(b->last, sizeof(b->last), "%s", out->instance_id);
	pthread_mutex_unlock(&b->mu);
	return w.found ? 0 : -1;
}

/* The gauge of UP instances, recounted at every change (callbacks may
 * query the subscriber). */
static void balance_recount(struct subscriber *sub)
{
	struct acct_balance *b = subscriber_data(sub);
	struct balance_walk w = {.after = ""};
	subscriber_foreach(sub, b->service, balance_visit, &w, NULL);
	acct_metrics_set_quote_instances(b->metrics, w.up);
}

static void balance_on_join(struct subscriber *sub, const struct subscriber_instance *in)
{
	log_info("quotes instance joined service=%s instance=%s address=%s port=%d state=%s",
		 in->service, in->instance_id, in->address, in->port,
		 subscriber_state_name(in->state));
	balance_recount(sub);
}

static void balance_on_update(struct subscriber *sub, const struct subscriber_instance *in)
{
	log_info("quotes instance changed service=%s instance=%s address=%s port=%d state=%s",
		 in->service, in->instance_id, in->address, in->port,
		 subscriber_state_name(in->state));
	balance_recount(sub);
}

static void balance_on_leave(struct subscriber *sub, const struct subscriber_instance *in,
			     enum subscriber_leave_reason reason)
{
	log_info("quotes instance left service=%s instance=%s reason=%s", in->service,
		 in->instance_id, subscriber_leave_reason_name(reason));
	balance_recount(sub);
}

struct acct_balance *acct_balance_start(const struct acct_balance_options *o)
{
	struct acct_balance *b = calloc(1, sizeof(*b));
	const char *services[] = {o->service, NULL};
	if (b == NULL)
		return NULL;
	b->service = o->service;
	b->metrics = o->metrics;
	if (pthread_mutex_init(&b->mu, NULL) != 0)
		goto out_free;
	b->sub = subscriber_new(&(struct subscriber_options){
		.amqp_url = o->amqp_url,
		.amqp_tls_ca = o->amqp_tls_ca != NULL && o->amqp_tls_ca[0] ? o->amqp_tls_ca : NULL,
		.exchange = o->exchange,
		.services = services,
		.secret = o->secret,
		/* In a cluster (several URLs) a node that stops closes its
		 * publishers' connections as a crash would: wait, as the
		 * registry does, for them to reconnect to another node, rather
		 * than take live instances out of the rotation for a moment. */
		.close_grace_ms = *log_url_end(o->amqp_url) ? 1000 : 0,
		.callbacks = {.join = balance_on_join,
			      .update = balance_on_update,
			      .leave = balance_on_leave},
		.data = b,
	});
	if (b->sub == NULL)
		goto out_mutex;
	if (subscriber_start(b->sub) != 0)
		goto out_sub;
	return b;
out_sub:
	subscriber_free(b->sub);
out_mutex:
	pthread_mutex_destroy(&b->mu);
out_free:
	free(b);
	return NULL;
}

void acct_balance_free(struct acct_balance *b)
{
	if (b == NULL)
		return;
	subscriber_free(b->sub);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
