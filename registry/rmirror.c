/* The out-bridge to a queue of the blog series' form. */
#include "registry/rmirror.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "token.h"

struct rmirror {
	char *queue;
	char **services; /* NULL-terminated; NULL: every service */
	int64_t ttl_ms;
	atomic_uint_fast64_t written, failed;
};

static void free_services(char **services)
{
	for (size_t i = 0; services && services[i]; i++)
		free(services[i]);
	free(services);
}

/* "a,b , c" into a NULL-terminated list; *out NULL for "" (all). */
static int parse_services(const char *text, char ***out, char *err, size_t errlen)
{
	size_t n = 0, cap = 1;
	char **list;
	const char *p;

	*out = NULL;
	for (p = text; *p; p++)
		cap += *p == ',';
	list = calloc(cap + 1, sizeof(*list));
	if (!list)
		goto out_memory;
	for (p = text; *p;) {
		const char *end = p + strcspn(p, ",");
		const char *next = *end == ',' ? end + 1 : end;

		while (p < end && *p == ' ')
			p++;
		while (end > p && end[-1] == ' ')
			end--;
		if (end > p) {
			list[n] = strndup(p, (size_t)(end - p));
			if (!list[n])
				goto out_memory;
			if (!token_service_is_valid(list[n])) {
				snprintf(err, errlen,
					 "bad service name '%s' in REGISTRY_LEGACY_OUT_SERVICES",
					 list[n]);
				free_services(list);
				return -1;
			}
			n++;
		}
		p = next;
	}
	if (n == 0) {
		free(list);
		return 0;
	}
	*out = list;
	return 0;
out_memory:
	free_services(list);
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct rmirror *rmirror_new(const char *queue, const char *services, int64_t ttl_ms, char *err,
			    size_t errlen)
{
	struct rmirror *m = calloc(1, sizeof(*m));

	if (!m || !(m->queue = strdup(queue))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (parse_services(services, &m->services, err, errlen) < 0)
		goto out_free;
	m->ttl_ms = ttl_ms;
	atomic_init(&m->written, 0);
	atomic_init(&m->failed, 0);
	return m;
out_free:
	rmirror_free(m);
	return NULL;
}

void rmirror_free(struct rmirror *m)
{
	if (!m)
		return;
	free_services(m->services);
	free(m->queue);
	free(m);
}

static bool mirrored(const struct rmirror *m, const char *service)
{
	if (!m->services)
		return true;
	for (size_t i = 0; m->services[i]; i++)
		if (strcmp(m->services[i], service) == 0)
			return true;
	return false;
}

/*
 * What the plugin is told: UP when an instance joins UP or changes to UP,
 * DOWN when it changes to any other state or leaves, however it leaves
 * (its DOWN token, its connection lost, its ttl run out here). A join in
 * another state (STARTING) is not news to a consumer that knows only UP
 * and DOWN. Nothing but the two fields: the plugin's JSON mapper refuses
 * a body with any field it does not know.
 */
void rmirror_tap(void *ctx, struct subscriber *sub, const char *event,
		 const struct subscriber_instance *in)
{
	struct rmirror *m = ctx;
	bool up = in->state == SUBSCRIBER_UP;
	char body[64 + ADDR_TEXT_MAX];
	const char *state;

	if (!mirrored(m, in->service))
		return;
	if (strcmp(event, "join") == 0) {
		if (!up)
			return;
		state = "UP";
	} else if (strcmp(event, "update") == 0) {
		state = up ? "UP" : "DOWN";
	} else {
		state = "DOWN";
	}
	/* The address is an IP literal (the subscriber validated it): no
	 * character in it needs escaping. */
	snprintf(body, sizeof(body), "{\"state\":\"%s\",\"address\":\"%s\"}", state, in->address);
	if (subscriber_publish(sub, "", m->queue, body, m->ttl_ms) == 0) {
		atomic_fetch_add_explicit(&m->written, 1, memory_order_relaxed);
		log_debug("legacy out queue=%s state=%s service=%s instance=%s", m->queue, state,
			  in->service, in->instance_id);
		return;
	}
	atomic_fetch_add_explicit(&m->failed, 1, memory_order_relaxed);
	log_warn("legacy out: cannot write to queue=%s state=%s service=%s instance=%s", m->queue,
		 state, in->service, in->instance_id);
}

void rmirror_counts(const struct rmirror *m, struct rmirror_counts *out)
{
	out->written = atomic_load_explicit(&m->written, memory_order_relaxed);
	out->failed = atomic_load_explicit(&m->failed, memory_order_relaxed);
}
