/*
 * A third party's program on the installed libraries alone: it announces
 * itself with libdiscovery-publisher and sees itself with
 * libdiscovery-subscriber (the join callback, then the snapshot), then
 * stops announcing and sees it leave. docs/subscriber.md shows it; the
 * install test (tests/integration/test_install_libs.sh) builds it with
 * pkg-config and runs it against a real broker.
 *
 *   cc -o example install_example.c \
 *      $(pkg-config --cflags --libs libdiscovery-publisher libdiscovery-subscriber)
 *   ./example amqp://guest:guest@localhost:5672/ example-service
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, with -std=c11 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <discovery/publisher.h>
#include <discovery/subscriber.h>

/* What the callbacks saw: they run on the subscriber's thread. */
struct seen {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	int joins, leaves;
	enum subscriber_leave_reason reason;
};

static void on_join(struct subscriber *sub, const struct subscriber_instance *in)
{
	struct seen *s = subscriber_data(sub);

	printf("join: %s %s at %s:%d\n", in->service, in->instance_id, in->address, in->port);
	pthread_mutex_lock(&s->mu);
	s->joins++;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->mu);
}

static void on_leave(struct subscriber *sub, const struct subscriber_instance *in,
		     enum subscriber_leave_reason reason)
{
	struct seen *s = subscriber_data(sub);

	printf("leave: %s %s (%s)\n", in->service, in->instance_id,
	       subscriber_leave_reason_name(reason));
	pthread_mutex_lock(&s->mu);
	s->leaves++;
	s->reason = reason;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->mu);
}

/* Waits up to 15 s for *count to reach 1; 0 when it did. */
static int wait_for(struct seen *s, const int *count)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 15;
	pthread_mutex_lock(&s->mu);
	while (*count < 1 && rc == 0)
		rc = pthread_cond_timedwait(&s->changed, &s->mu, &until);
	pthread_mutex_unlock(&s->mu);
	return *count < 1 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "amqp://guest:guest@localhost:5672/";
	const char *service = argc > 2 ? argv[2] : "example";
	const char *follow[] = { service, NULL };
	struct seen s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };
	struct subscriber_options so = {
		.amqp_url = url,
		.services = follow,
		.callbacks = { .join = on_join, .leave = on_leave },
		.data = &s,
	};
	struct publisher_instance me = {
		.service = service,
		.address = "127.0.0.1",
		.port = 8080,
		.health_url = "http://127.0.0.1:8080/health",
	};
	struct publisher_options po = { .amqp_url = url, .instance = &me };
	struct subscriber_snapshot *snap;
	struct subscriber *sub;
	struct publisher *pub;
	int result = 1;

	printf("libdiscovery-publisher %s, libdiscovery-subscriber %s\n",
	       DISCOVERY_PUBLISHER_VERSION, DISCOVERY_SUBSCRIBER_VERSION);
	sub = subscriber_new(&so);
	if (!sub || subscriber_start(sub) < 0) {
		fprintf(stderr, "cannot start the subscriber\n");
		return 1;
	}
	pub = publisher_start(&po);
	if (!pub) {
		fprintf(stderr, "cannot start the publisher\n");
		goto out;
	}
	if (wait_for(&s, &s.joins) < 0) {
		fprintf(stderr, "never saw itself join\n");
		publisher_stop(pub);
		goto out;
	}
	snap = subscriber_snapshot(sub, service, SUBSCRIBER_MASK(SUBSCRIBER_UP));
	if (snap) {
		for (size_t i = 0; i < subscriber_snapshot_count(snap); i++) {
			const struct subscriber_instance *in = subscriber_snapshot_at(snap, i);

			printf("listed: %s %s:%d %s\n", in->instance_id, in->address, in->port,
			       subscriber_state_name(in->state));
		}
		if (subscriber_snapshot_count(snap) != 1)
			fprintf(stderr, "the snapshot lists %zu instances, not 1\n",
				subscriber_snapshot_count(snap));
	}
	if (!snap || subscriber_snapshot_count(snap) != 1) {
		subscriber_snapshot_free(snap);
		publisher_stop(pub);
		goto out;
	}
	subscriber_snapshot_free(snap);
	publisher_stop(pub); /* says DOWN */
	if (wait_for(&s, &s.leaves) < 0 || s.reason != SUBSCRIBER_LEFT_DOWN) {
		fprintf(stderr, "never saw itself leave\n");
		goto out;
	}
	printf("ok\n");
	result = 0;
out:
	subscriber_free(sub);
	return result;
}
