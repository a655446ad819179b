/*
 * Token messages: the signature (signed mode), the codec, the clock
 * window, legacy tokens, and what they do to the table. Rejections are
 * counted by reason and logged once per source at a limited rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subscriber/sub_int.h"
#include "timing.h"
#include "token_decode.h"
#include "token_sign.h"

/* The feed's lag is the smallest of its tokens' over the last two such
 * spans: the freshest token tells how far behind the feed is, and a
 * publisher whose clock runs late cannot make it look later. */
#define LAG_BUCKET_MS 500
#define LOG_WINDOW_MS 10000

static void log_reject(struct subscriber *sub, const char *source, int reason)
{
	struct sub_log_source *ls = NULL;
	size_t i;
	uint64_t suppressed;

	for (i = 0; i < SUB_LOG_SOURCES; i++)
		if (strncmp(sub->sources[i].key, source, sizeof(ls->key) - 1) == 0 &&
		    sub->sources[i].key[0]) {
			ls = &sub->sources[i];
			break;
		}
	if (!ls) {
		ls = &sub->sources[sub->next_source];
		sub->next_source = (sub->next_source + 1) % SUB_LOG_SOURCES;
		memset(ls, 0, sizeof(*ls));
		snprintf(ls->key, sizeof(ls->key), "%s", source);
	}
	suppressed = ls->rl.suppressed;
	if (log_ratelimit_allow(&ls->rl, 1, LOG_WINDOW_MS))
		log_warn("token rejected source=%s reason=%s suppressed=%llu",
			 ls->key, subscriber_reject_name(reason),
			 (unsigned long long)suppressed);
}

static void reject(struct subscriber *sub, const char *source, int reason)
{
	pthread_mutex_lock(&sub->mu);
	sub->stats.rejected[reason]++;
	pthread_mutex_unlock(&sub->mu);
	log_reject(sub, source, reason);
}

/* Notes how old a token was when it was handled (now_ms: the wall clock,
 * mono_ms: the monotonic one). */
static void note_lag(struct subscriber *sub, int64_t ts, int64_t now_ms, int64_t mono_ms)
{
	int64_t bucket = mono_ms / LAG_BUCKET_MS, lag = now_ms - ts;
	int slot = (int)(bucket & 1);

	if (ts <= 0)
		return;
	if (lag < 0)
		lag = 0;
	pthread_mutex_lock(&sub->mu);
	if (sub->lag_bucket[slot] != bucket) {
		sub->lag_bucket[slot] = bucket;
		sub->lag_min[slot] = lag;
	} else if (lag < sub->lag_min[slot]) {
		sub->lag_min[slot] = lag;
	}
	pthread_mutex_unlock(&sub->mu);
}

int64_t sub_token_lag_ms(struct subscriber *sub)
{
	int64_t bucket = timing_mono_ms() / LAG_BUCKET_MS, lag = -1;

	pthread_mutex_lock(&sub->mu);
	for (int i = 0; i < 2; i++)
		if (bucket - sub->lag_bucket[i] <= 1 && (lag < 0 || sub->lag_min[i] < lag))
			lag = sub->lag_min[i];
	pthread_mutex_unlock(&sub->mu);
	return lag < 0 ? 0 : lag;
}

/* 0 or the reject reason of a signed-mode check. */
static int check_signature(struct subscriber *sub, const struct amqp_session_delivery *d)
{
	char sig[TOKEN_SIGNATURE_HEX * 2];

	if (amqp_session_header(sub->session, TOKEN_SIGNATURE_HEADER, sig, sizeof(sig)) < 0)
		return SUB_TOKEN_UNSIGNED;
	if (!token_verify(sub->secret, d->body, d->len, sig))
		return SUB_TOKEN_BAD_SIGNATURE;
	return 0;
}

/*
 * A plain queue shares its messages out among its consumers, so with M
 * replicas each would see 1/M of the legacy tokens: whichever reads one
 * republishes it as a proper token, and every replica applies that copy.
 * seq and ts are the moment it was bridged. true when it went out.
 */
static bool bridge_legacy(struct subscriber *sub, struct token *tok, int64_t now_ms)
{
	char key[TOKEN_SERVICE_MAX + 32];
	char *body;
	int rc = -1;

	tok->seq = now_ms;
	tok->ts = now_ms;
	body = token_encode(tok);
	if (body && token_routing_key(tok, key, sizeof(key)) == 0)
		rc = sub_feed_publish(sub, key, body, (int64_t)tok->ttl * 1000);
	free(body);
	if (rc < 0)
		return false;
	pthread_mutex_lock(&sub->mu);
	sub->stats.legacy_bridged++;
	pthread_mutex_unlock(&sub->mu);
	return true;
}

/*
 * The token is decoded into the subscriber's own buffer (sub->decoded), so
 * that its strings cost no allocation: the table copies them only when an
 * instance joins or changes.
 */
void sub_token_handle(struct subscriber *sub, const struct amqp_session_delivery *d,
		      int64_t now_ms)
{
	bool legacy = sub->legacy_queue && d->exchange[0] == '\0' &&
		      strcmp(d->routing_key, sub->legacy_queue) == 0;
	struct token *tok = &sub->decoded.tok;
	int64_t mono_ms;
	const char *key;
	int rc;

	if (strcmp(d->routing_key, TOKEN_SYNC_KEY) == 0)
		return; /* a request to publishers, not a token */
	pthread_mutex_lock(&sub->mu);
	sub->stats.received++;
	pthread_mutex_unlock(&sub->mu);

	if (sub->secret) {
		rc = check_signature(sub, d);
		if (rc > 0) {
			reject(sub, d->routing_key, rc);
			return;
		}
	}
	key = legacy ? sub->legacy_key : d->routing_key;
	rc = token_decode_into(d->body, d->len, key, sub->secret != NULL, &sub->decoded);
	if (rc == 0 && d->user_id) {
		tok->user_id = token_buf_keep(&sub->decoded, d->user_id);
		if (!tok->user_id)
			rc = TOKEN_ERR_NO_MEMORY;
	}
	if (rc < 0) {
		reject(sub, d->routing_key, -rc - 1);
		return;
	}
	if (sub->secret && (tok->ts <= 0 || tok->ts < now_ms - sub->max_skew_ms ||
			    tok->ts > now_ms + sub->max_skew_ms)) {
		reject(sub, d->routing_key, SUB_TOKEN_STALE_TS);
		return;
	}
	mono_ms = timing_mono_ms();
	note_lag(sub, tok->ts, now_ms, mono_ms);
	if (legacy) {
		/* A legacy token without its own ttl gets the legacy one. */
		if (!sub->decoded.ttl_given)
			tok->ttl = sub->legacy_ttl_s;
		if (bridge_legacy(sub, tok, now_ms))
			return;
	}
	rc = sub_store_apply(sub->store, tok, mono_ms);
	if (rc >= 0) {
		pthread_mutex_lock(&sub->mu);
		sub->stats.applied++;
		sub->stats.outcomes[rc]++;
		pthread_mutex_unlock(&sub->mu);
		sub_event_resume(sub, tok->service, tok->instance_id, tok->incarnation);
		if (rc == SUB_STORE_JOINED || rc == SUB_STORE_LEFT)
			log_info("instance %s service=%s instance=%s address=%s",
				 rc == SUB_STORE_JOINED ? "joined" : "left", tok->service,
				 tok->instance_id, tok->address);
		subscriber__drain(sub);
	} else {
		reject(sub, d->routing_key, -rc - 1);
	}
}
