/* Connections seen created, by pid: a tsearch tree for lookups and a
 * queue in creation order for forgetting the oldest. */
#include "subscriber/sub_conn.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define CONNECTION_PREFIX "discovery:"

struct sub_conn_entry {
	TAILQ_ENTRY(sub_conn_entry) age;
	char pid[SUB_CONN_FIELD_MAX];
	char user[SUB_CONN_FIELD_MAX];
	char vhost[SUB_CONN_FIELD_MAX];
};

struct sub_conn {
	void *tree;
	TAILQ_HEAD(, sub_conn_entry) oldest_first;
	size_t count, max;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sub_conn_entry *)a)->pid, ((const struct sub_conn_entry *)b)->pid);
}

struct sub_conn *sub_conn_new(size_t max)
{
	struct sub_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	TAILQ_INIT(&c->oldest_first);
	c->max = max;
	return c;
}

void sub_conn_free(struct sub_conn *c)
{
	if (!c)
		return;
	tdestroy(c->tree, free);
	free(c);
}

static void entry_drop(struct sub_conn *c, struct sub_conn_entry *e)
{
	tdelete(e, &c->tree, entry_cmp);
	TAILQ_REMOVE(&c->oldest_first, e, age);
	c->count--;
	free(e);
}

static struct sub_conn_entry *entry_find(struct sub_conn *c, const char *pid)
{
	struct sub_conn_entry key;
	void *node;

	snprintf(key.pid, sizeof(key.pid), "%s", pid);
	node = tfind(&key, &c->tree, entry_cmp);
	return node ? *(struct sub_conn_entry **)node : NULL;
}

void sub_conn_created(struct sub_conn *c, const char *pid, const char *user, const char *vhost)
{
	struct sub_conn_entry *e = entry_find(c, pid);

	if (e)
		entry_drop(c, e); /* a pid is never reused while alive: stale */
	if (c->max == 0)
		return;
	if (c->count >= c->max)
		entry_drop(c, TAILQ_FIRST(&c->oldest_first));
	e = calloc(1, sizeof(*e));
	if (!e)
		return; /* its close will count as one not seen created */
	snprintf(e->pid, sizeof(e->pid), "%s", pid);
	snprintf(e->user, sizeof(e->user), "%s", user);
	snprintf(e->vhost, sizeof(e->vhost), "%s", vhost);
	if (!tsearch(e, &c->tree, entry_cmp)) {
		free(e);
		return;
	}
	TAILQ_INSERT_TAIL(&c->oldest_first, e, age);
	c->count++;
}

bool sub_conn_closed(struct sub_conn *c, const char *pid, char user[SUB_CONN_FIELD_MAX],
		  char vhost[SUB_CONN_FIELD_MAX])
{
	struct sub_conn_entry *e = entry_find(c, pid);

	if (!e)
		return false;
	memcpy(user, e->user, SUB_CONN_FIELD_MAX);
	memcpy(vhost, e->vhost, SUB_CONN_FIELD_MAX);
	entry_drop(c, e);
	return true;
}

size_t sub_conn_count(const struct sub_conn *c)
{
	return c->count;
}

int sub_conn_parse_name(const char *name, struct sub_conn_name *out)
{
	const char *service, *colon, *last;
	size_t n;

	if (strncmp(name, CONNECTION_PREFIX, strlen(CONNECTION_PREFIX)) != 0)
		return -1;
	service = name + strlen(CONNECTION_PREFIX);
	colon = strchr(service, ':');
	last = strrchr(service, ':');
	if (!colon || colon == last)
		return -1;
	n = (size_t)(colon - service);
	if (n > TOKEN_SERVICE_MAX)
		return -1;
	memcpy(out->service, service, n);
	out->service[n] = '\0';
	n = (size_t)(last - colon - 1);
	if (n == 0 || n >= sizeof(out->instance_id))
		return -1;
	memcpy(out->instance_id, colon + 1, n);
	out->instance_id[n] = '\0';
	if (!token_service_is_valid(out->service) || !token_incarnation_is_valid(last + 1))
		return -1;
	memcpy(out->incarnation, last + 1, TOKEN_INCARNATION_LEN + 1);
	return 0;
}
