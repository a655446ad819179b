#include "aggregator/aggr_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static void metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

char *aggr_metrics_text(struct aggr_table *t, struct aggr_check *c, struct subscriber *sub)
{
	struct aggr_table_stats ts;
	struct aggr_check_stats cs;
	struct subscriber_stats ss;
	uint64_t failed = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	aggr_table_stats(t, &ts);
	aggr_check_stats(c, &cs);
	subscriber_stats(sub, &ss);
	metric(f, "aggregator_members", "gauge",
	       "Instances listed (those kept after DOWN included).", ts.members);
	metric(f, "aggregator_members_healthy", "gauge", "Instances whose last check passed.",
	       ts.healthy);
	metric(f, "aggregator_members_down_kept", "gauge",
	       "Instances that said DOWN, still listed and checked.", ts.left);
	metric(f, "aggregator_members_refused_total", "counter",
	       "New instances refused: AGGREGATOR_MAX_MEMBERS reached.", ts.refused);
	metric(f, "aggregator_members_removed_total", "counter", "Instances no longer listed.",
	       ts.removed);
	fputs("# HELP aggregator_checks_total Health checks done, by outcome.\n"
	      "# TYPE aggregator_checks_total counter\n",
	      f);
	for (int i = 0; i < AGGR_CHECK_OUTCOMES; i++) {
		fprintf(f, "aggregator_checks_total{outcome=\"%s\"} %" PRIu64 "\n",
			aggr_check_outcome_name(i), cs.outcomes[i]);
		failed += i != AGGR_CHECK_HEALTHY ? cs.outcomes[i] : 0;
	}
	metric(f, "aggregator_checks_failed_total", "counter", "Health checks that failed.",
	       failed);
	metric(f, "aggregator_checks_in_flight", "gauge", "Health checks running now.",
	       cs.in_flight);
	metric(f, "aggregator_feed_connected", "gauge", "1 while the token feed is connected.",
	       ss.connected);
	metric(f, "aggregator_feed_stale", "gauge",
	       "1 while the feed is down or blocked (nothing expires).", ss.stale);
	metric(f, "aggregator_tokens_received_total", "counter", "Token messages received.",
	       ss.received);
	metric(f, "aggregator_feed_reconnects_total", "counter", "Reconnects of the token feed.",
	       ss.reconnects);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
