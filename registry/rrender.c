/* JSON shapes of the registry's answers, shared by the table and HTTP. */
#include "registry/rrender.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_string_or_null(cJSON *obj, const char *key, const char *value)
{
	cJSON *item = value ? cJSON_AddStringToObject(obj, key, value)
			    : cJSON_AddNullToObject(obj, key);
	return item ? 0 : -1;
}

/* Integers go in as raw text: cJSON prints every number through "%1.15g"
 * and a sscanf check, which made up most of the cost of a large listing. */
static int add_int(cJSON *obj, const char *key, int64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, value);
	return cJSON_AddRawToObject(obj, key, text) ? 0 : -1;
}

/* The keys of the instance object that only a change alters, printed
 * without the closing brace; *len its length. cJSON_free() it. */
static char *head_text(const struct token *t, int with_service, size_t *len)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *meta;
	char *text = NULL;
	size_t i;

	if (!obj)
		return NULL;
	if (with_service && !cJSON_AddStringToObject(obj, "service", t->service))
		goto out;
	if (add_string_or_null(obj, "instanceId", t->instance_id) < 0 ||
	    add_string_or_null(obj, "address", t->address) < 0)
		goto out;
	if (t->port > 0 ? add_int(obj, "port", t->port) < 0
			: !cJSON_AddNullToObject(obj, "port"))
		goto out;
	if (add_string_or_null(obj, "state", token_state_name(t->state)) < 0 ||
	    add_string_or_null(obj, "hostname", t->hostname) < 0 ||
	    add_string_or_null(obj, "healthUrl", t->health_url) < 0 ||
	    add_string_or_null(obj, "streamUrl", t->stream_url) < 0)
		goto out;
	meta = cJSON_AddObjectToObject(obj, "metadata");
	if (!meta)
		goto out;
	for (i = 0; i < t->metadata_count; i++)
		if (!cJSON_AddStringToObject(meta, t->metadata[i].key,
					     t->metadata[i].value))
			goto out;
	text = cJSON_PrintUnformatted(obj);
	if (text) {
		*len = strlen(text) - 1; /* the object's '}' */
		text[*len] = '\0';
	}
out:
	cJSON_Delete(obj);
	return text;
}

void rrender_token_of(const struct subscriber_instance *in, struct token *out)
{
	size_t i;

	*out = (struct token){
		.state = (enum token_state)in->state,
		.port = in->port,
		.instance_id = (char *)in->instance_id,
		.hostname = (char *)in->hostname,
		.health_url = (char *)in->health_url,
		.stream_url = (char *)in->stream_url,
		.reason = (char *)in->reason,
		.user_id = (char *)in->user_id,
		.ttl = in->ttl,
		.seq = in->seq,
		.ts = in->ts,
		.metadata_count = in->metadata_count < TOKEN_MAX_METADATA ? in->metadata_count
									  : TOKEN_MAX_METADATA,
	};
	snprintf(out->address, sizeof(out->address), "%s", in->address);
	snprintf(out->service, sizeof(out->service), "%s", in->service);
	snprintf(out->incarnation, sizeof(out->incarnation), "%s", in->incarnation);
	for (i = 0; i < out->metadata_count; i++) {
		out->metadata[i].key = (char *)in->metadata[i].key;
		out->metadata[i].value = (char *)in->metadata[i].value;
	}
}

struct rrender_times rrender_times_of(const struct subscriber_instance *in)
{
	return (struct rrender_times){ in->first_seen, in->last_seen, in->expires_at, in->changed };
}

size_t rrender_tail(char buf[RRENDER_TAIL_MAX], int ttl, int64_t seq,
		   const struct rrender_times *tm)
{
	char seq_text[24] = "null";
	int n;

	if (seq >= 0)
		snprintf(seq_text, sizeof(seq_text), "%" PRId64, seq);
	n = snprintf(buf, RRENDER_TAIL_MAX,
		     ",\"firstSeen\":%" PRId64 ",\"lastSeen\":%" PRId64
		     ",\"expiresAt\":%" PRId64 ",\"ttl\":%d,\"seq\":%s",
		     tm->first_seen, tm->last_seen, tm->expires_at, ttl, seq_text);
	return n < 0 ? 0 : (size_t)n;
}

void rrender_host_port(const struct token *t, char out[RRENDER_HOST_PORT_MAX])
{
	/* An IPv6 literal gets brackets so that host:port stays parseable. */
	if (t->port > 0)
		snprintf(out, RRENDER_HOST_PORT_MAX, "%s%s%s:%d", strchr(t->address, ':') ? "[" : "",
			 t->address, strchr(t->address, ':') ? "]" : "", t->port);
	else
		snprintf(out, RRENDER_HOST_PORT_MAX, "%s", t->address);
}

/* Turbine's instance model of t, printed; cJSON_free() it. */
static char *turbine_text(const struct token *t)
{
	cJSON *obj = cJSON_CreateObject();
	char host[RRENDER_HOST_PORT_MAX];
	char *text = NULL;

	if (!obj)
		return NULL;
	rrender_host_port(t, host);
	if (cJSON_AddStringToObject(obj, "hostname", host) &&
	    cJSON_AddStringToObject(obj, "cluster", t->service) &&
	    cJSON_AddBoolToObject(obj, "isUp", t->state == TOKEN_UP))
		text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return text;
}

struct token *rrender_token_dup(const struct token *t)
{
	struct token *copy = malloc(sizeof(*copy));

	if (copy && token_copy(copy, t) < 0) {
		free(copy);
		return NULL;
	}
	return copy;
}

void rrender_token_free(struct token *t)
{
	if (!t)
		return;
	token_clear(t);
	free(t);
}

struct rrender_frag *rrender_frag_new(const struct token *t)
{
	size_t head_len = 0, turbine_len, service_len = strlen(t->service);
	char *head = head_text(t, 0, &head_len);
	char *turbine = head ? turbine_text(t) : NULL;
	struct rrender_frag *f = NULL;

	if (!turbine)
		goto out;
	turbine_len = strlen(turbine);
	f = malloc(sizeof(*f) + head_len + turbine_len + service_len + 3);
	if (!f)
		goto out;
	atomic_init(&f->refs, 1);
	f->head_len = head_len;
	f->turbine_len = turbine_len;
	memcpy(f->text, head, head_len + 1);
	memcpy(f->text + head_len + 1, turbine, turbine_len + 1);
	memcpy(f->text + head_len + turbine_len + 2, t->service, service_len + 1);
	f->head = f->text;
	f->turbine = f->text + head_len + 1;
	f->service = f->text + head_len + turbine_len + 2;
out:
	cJSON_free(turbine);
	cJSON_free(head);
	return f;
}

struct rrender_frag *rrender_frag_ref(struct rrender_frag *f)
{
	atomic_fetch_add(&f->refs, 1);
	return f;
}

void rrender_frag_release(struct rrender_frag *f)
{
	if (f && atomic_fetch_sub(&f->refs, 1) == 1)
		free(f);
}

char *rrender_event(uint64_t id, const char *event, const struct token *t,
		   const struct rrender_times *tm)
{
	size_t len;
	char *head = head_text(t, 1, &len);
	cJSON *reason = t->reason ? cJSON_CreateString(t->reason) : NULL;
	char *reason_text = reason ? cJSON_PrintUnformatted(reason) : NULL;
	char tail[RRENDER_TAIL_MAX], *frame = NULL;

	if (!head || (t->reason && !reason_text))
		goto out;
	rrender_tail(tail, t->ttl, t->seq, tm);
	if (asprintf(&frame, "id: %" PRIu64 "\nevent: %s\ndata: %s%s%s%s}\n\n", id, event,
		     head, tail, reason_text ? ",\"reason\":" : "",
		     reason_text ? reason_text : "") < 0)
		frame = NULL;
out:
	cJSON_free(reason_text);
	cJSON_Delete(reason);
	cJSON_free(head);
	return frame;
}

char *rrender_error(int status, const char *message)
{
	cJSON *obj = cJSON_CreateObject();
	char *text = NULL;

	if (!obj)
		return NULL;
	if (cJSON_AddStringToObject(obj, "error", message) &&
	    cJSON_AddNumberToObject(obj, "status", status))
		text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return text;
}
