#include "aggregator/aggr_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct aggr_table {
	pthread_mutex_t mu;
	struct aggr_member **m; /* sorted by service, then instanceId */
	size_t n, cap, max;
	int64_t interval_ms, keep_down_ms;
	uint64_t next_serial;
	uint64_t refused, removed;
};

struct aggr_table *aggr_table_new(size_t max_members, int64_t interval_ms, int64_t keep_down_ms)
{
	struct aggr_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	t->max = max_members;
	t->interval_ms = interval_ms;
	t->keep_down_ms = keep_down_ms;
	return t;
}

static void member_free(struct aggr_member *m)
{
	free(m->service);
	free(m->instance_id);
	free(m->address);
	free(m->url);
	free(m);
}

void aggr_table_free(struct aggr_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		member_free(t->m[i]);
	free(t->m);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static int member_cmp(const char *service, const char *id, const struct aggr_member *m)
{
	int c = strcmp(service, m->service);
	return c != 0 ? c : strcmp(id, m->instance_id);
}

/* The index of (service, id), or where it would go; *found says which. */
static size_t table_find(const struct aggr_table *t, const char *service, const char *id,
			 bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = member_cmp(service, id, t->m[mid]);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

/* What is checked: the token's healthUrl, else http://address:port/health. */
static char *member_url(const struct subscriber_instance *in)
{
	bool v6 = strchr(in->address, ':') != NULL;
	char port[16] = "";
	char *url;

	if (in->health_url != NULL && in->health_url[0] != '\0')
		return strdup(in->health_url);
	if (in->port > 0)
		snprintf(port, sizeof(port), ":%d", in->port);
	if (asprintf(&url, "http://%s%s%s%s/health", v6 ? "[" : "", in->address, v6 ? "]" : "",
		     port) < 0)
		return NULL;
	return url;
}

static void table_drop_at(struct aggr_table *t, size_t i)
{
	member_free(t->m[i]);
	memmove(&t->m[i], &t->m[i + 1], (t->n - i - 1) * sizeof(t->m[0]));
	t->n--;
}

/* A member that left. */
static void table_remove_at(struct aggr_table *t, size_t i)
{
	table_drop_at(t, i);
	t->removed++;
}

static struct aggr_member *table_insert(struct aggr_table *t, size_t at,
					const struct subscriber_instance *in)
{
	struct aggr_member *m;

	if (t->n >= t->max)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct aggr_member **grown = realloc(t->m, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		t->m = grown;
		t->cap = cap;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->service = strdup(in->service);
	m->instance_id = strdup(in->instance_id);
	if (m->service == NULL || m->instance_id == NULL) {
		member_free(m);
		return NULL;
	}
	memmove(&t->m[at + 1], &t->m[at], (t->n - at) * sizeof(t->m[0]));
	t->m[at] = m;
	t->n++;
	return m;
}

/* Takes the instance's address, port and URL; 1 when they changed. */
static int member_describe(struct aggr_member *m, const struct subscriber_instance *in)
{
	char *url = member_url(in), *address = strdup(in->address);
	bool changed;

	if (url == NULL || address == NULL) {
		free(url);
		free(address);
		return -1;
	}
	changed = m->url == NULL || strcmp(m->url, url) != 0 || strcmp(m->address, address) != 0 ||
		  m->port != in->port;
	free(m->url);
	free(m->address);
	m->url = url;
	m->address = address;
	m->port = in->port;
	return changed ? 1 : 0;
}

int aggr_table_upsert(struct aggr_table *t, const struct subscriber_instance *in, int64_t now_mono)
{
	struct aggr_member *m;
	bool found, fresh;
	size_t at;
	int rc;

	pthread_mutex_lock(&t->mu);
	at = table_find(t, in->service, in->instance_id, &found);
	m = found ? t->m[at] : table_insert(t, at, in);
	if (m == NULL) {
		t->refused++;
		pthread_mutex_unlock(&t->mu);
		return -1;
	}
	rc = member_describe(m, in);
	if (rc < 0) {
		if (!found)
			table_drop_at(t, at);
		t->refused++;
		pthread_mutex_unlock(&t->mu);
		return -1;
	}
	/* Back after a DOWN, or new: checked at once. */
	fresh = !found || m->left || rc == 1;
	m->state = in->state;
	m->ttl_s = in->ttl;
	m->left = false;
	if (fresh) {
		m->serial = ++t->next_serial;
		m->due_mono = now_mono;
	}
	pthread_mutex_unlock(&t->mu);
	return fresh ? 1 : 0;
}

int aggr_table_leave(struct aggr_table *t, const struct subscriber_instance *in,
		     enum subscriber_leave_reason reason, int64_t now_mono)
{
	struct aggr_member *m;
	bool found;
	size_t at;
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	at = table_find(t, in->service, in->instance_id, &found);
	if (found && reason != SUBSCRIBER_LEFT_DOWN) {
		table_remove_at(t, at);
	} else if (found) {
		m = t->m[at];
		m->state = SUBSCRIBER_DOWN;
		m->left = true;
		/* Had it gone silent instead, it would have been listed for its
		 * ttl: so long at least, and one interval more, so that one
		 * check shows it as it is now. */
		m->keep_until_mono = now_mono + (t->keep_down_ms > 0 ? t->keep_down_ms
								     : (int64_t)m->ttl_s * 1000 +
									       t->interval_ms);
		m->due_mono = now_mono;
		rc = 1;
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void aggr_job_free(struct aggr_job *job)
{
	free(job->service);
	free(job->instance_id);
	free(job->url);
	memset(job, 0, sizeof(*job));
}

static int job_fill(struct aggr_job *job, const struct aggr_member *m)
{
	job->service = strdup(m->service);
	job->instance_id = strdup(m->instance_id);
	job->url = strdup(m->url);
	job->serial = m->serial;
	if (job->service == NULL || job->instance_id == NULL || job->url == NULL) {
		aggr_job_free(job);
		return -1;
	}
	return 0;
}

size_t aggr_table_take_due(struct aggr_table *t, int64_t now_mono, struct aggr_job *jobs,
			   size_t max)
{
	size_t n = 0, i = 0;

	pthread_mutex_lock(&t->mu);
	while (i < t->n) {
		struct aggr_member *m = t->m[i];
		if (m->left && now_mono >= m->keep_until_mono && !m->in_flight) {
			table_remove_at(t, i);
			continue;
		}
		if (n < max && !m->in_flight && now_mono >= m->due_mono &&
		    job_fill(&jobs[n], m) == 0) {
			m->in_flight = true;
			/* The next one an interval after this one started,
			 * unless a join asks for one sooner. */
			m->due_mono = now_mono + t->interval_ms;
			n++;
		}
		i++;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

void aggr_table_record(struct aggr_table *t, const struct aggr_job *job, bool healthy,
		       const char *error, int64_t checked_at)
{
	struct aggr_member *m;
	bool found;
	size_t at;

	pthread_mutex_lock(&t->mu);
	at = table_find(t, job->service, job->instance_id, &found);
	m = found ? t->m[at] : NULL;
	if (m != NULL) {
		m->in_flight = false;
		/* A result for what the member was is not what it is now. */
		if (m->serial == job->serial) {
			m->checked = true;
			m->healthy = healthy;
			m->checked_at = checked_at;
			snprintf(m->error, sizeof(m->error), "%s", error ? error : "");
		}
	}
	pthread_mutex_unlock(&t->mu);
}

int64_t aggr_table_next_due(struct aggr_table *t)
{
	int64_t next = INT64_MAX;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n; i++) {
		const struct aggr_member *m = t->m[i];
		if (!m->in_flight && m->due_mono < next)
			next = m->due_mono;
		if (m->left && m->keep_until_mono < next)
			next = m->keep_until_mono;
	}
	pthread_mutex_unlock(&t->mu);
	return next;
}

void aggr_table_read(struct aggr_table *t, aggr_table_read_fn fn, void *ctx)
{
	pthread_mutex_lock(&t->mu);
	fn(ctx, (const struct aggr_member *const *)t->m, t->n);
	pthread_mutex_unlock(&t->mu);
}

void aggr_table_stats(struct aggr_table *t, struct aggr_table_stats *out)
{
	*out = (struct aggr_table_stats){0};
	pthread_mutex_lock(&t->mu);
	out->members = t->n;
	for (size_t i = 0; i < t->n; i++) {
		out->healthy += t->m[i]->checked && t->m[i]->healthy;
		out->left += t->m[i]->left;
	}
	out->refused = t->refused;
	out->removed = t->removed;
	pthread_mutex_unlock(&t->mu);
}
