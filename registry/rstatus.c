/* GET /health and GET /metrics: gathering the figures of every part. */
#include "registry/rstatus.h"

#include "json_number.h"

cJSON *rstatus_health(struct subscriber *sub, uint64_t *index)
{
	struct subscriber_stats st;
	cJSON *root = cJSON_CreateObject();

	subscriber_stats(sub, &st);
	*index = st.index;
	if (!root)
		return NULL;
	/* A broker outage keeps 200: the table is still the best answer there
	 * is, and an orchestrator restarting the registry would lose it. */
	cJSON_AddStringToObject(root, "status", st.stale ? "STALE" : "UP");
	cJSON_AddStringToObject(root, "amqp",
				st.blocked ? "blocked" : st.connected ? "connected" : "down");
	/* Which broker node (of a cluster's list) the feed comes from. */
	if (st.node[0])
		cJSON_AddStringToObject(root, "amqpNode", st.node);
	if (st.stale && st.blocked) {
		cJSON_AddTrueToObject(root, "stale");
		cJSON_AddStringToObject(root, "reason",
					"the broker blocked the feed (a resource alarm): "
					"self-preservation, nothing expires until one ttl after it ends");
		cJSON_AddNumberToObject(root, "blockedSince", (double)st.blocked_since_ms);
	} else if (st.stale) {
		cJSON_AddTrueToObject(root, "stale");
		cJSON_AddStringToObject(root, "reason",
					"AMQP connection down: self-preservation, "
					"nothing expires until it is back");
		cJSON_AddNumberToObject(root, "downSince", (double)st.down_since_ms);
		if (st.last_error[0])
			cJSON_AddStringToObject(root, "lastError", st.last_error);
	}
	cJSON_AddNumberToObject(root, "instances", (double)st.instances);
	cJSON_AddNumberToObject(root, "services", (double)st.services);
	json_number_add(root, "index", (int64_t)st.index);
	return root;
}

char *rstatus_metrics(const struct rstatus_sources *src, size_t *len)
{
	struct rmetrics_http hs = *src->counts;
	struct subscriber_stats ss;
	struct rfeed_stats fs;
	struct rwatch_stats ws;
	struct peercap_stats ps;
	struct rmirror_counts mc;

	subscriber_stats(src->subscriber, &ss);
	rfeed_stats(src->feed, &fs);
	rwatch_stats(src->watch, &ws);
	hs.queries_waiting = ws.waiting[RWATCH_QUERY];
	hs.streams_waiting = ws.waiting[RWATCH_STREAM];
	hs.streams_open = ws.streams_open;
	hs.clients_gone = ws.gone;
	hs.woken[RWATCH_QUERY] = ws.woken[RWATCH_QUERY];
	hs.woken[RWATCH_STREAM] = ws.woken[RWATCH_STREAM];
	hs.refused[RMETRICS_REFUSED_REQUEST_TIMEOUT] =
		ws.request_timeouts + atomic_load(&src->front->timeouts);
	hs.refused[RMETRICS_REFUSED_PENDING] = atomic_load(&src->front->refused_full);
	hs.pending = atomic_load(&src->front->pending);
	peercap_stats(src->peers, &ps);
	hs.refused[RMETRICS_REFUSED_PER_CLIENT] = ps.refused_per_peer;
	hs.refused[RMETRICS_REFUSED_FULL] = ps.refused_full;
	hs.connections = src->connections + ws.sockets;
	hs.held = ws.sockets;
	hs.threads = src->threads;
	if (src->mirror)
		rmirror_counts(src->mirror, &mc);
	return rmetrics_render(src->subscriber, &ss, &fs, &hs, src->mirror ? &mc : NULL, len);
}
