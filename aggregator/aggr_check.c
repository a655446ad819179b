#include "aggregator/aggr_check.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timing.h"

/* The longest the loop sleeps without looking at the table: a join wakes
 * it anyway, so this only bounds a missed wake. */
#define CHECK_IDLE_MS 1000

struct check_transfer {
	struct aggr_job job;
	CURL *easy;
};

struct aggr_check {
	struct aggr_table *table;
	size_t max_parallel;
	int64_t timeout_ms;
	CURLM *multi;
	struct check_transfer *slots; /* max_parallel of them; easy NULL: free */
	struct aggr_job *jobs;	      /* room for taking due checks */
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t mu; /* the counters */
	struct aggr_check_stats stats;
};

const char *aggr_check_outcome_name(enum aggr_check_outcome o)
{
	static const char *const names[AGGR_CHECK_OUTCOMES] = {"healthy", "http_error", "timeout",
							       "refused", "other"};
	return (unsigned)o < AGGR_CHECK_OUTCOMES ? names[o] : "other";
}

enum aggr_check_outcome aggr_check_classify(int curl_code, long http_status, char *error,
					    size_t errlen)
{
	error[0] = '\0';
	switch (curl_code) {
	case CURLE_OK:
		if (http_status >= 200 && http_status < 300)
			return AGGR_CHECK_HEALTHY;
		snprintf(error, errlen, "HTTP %ld", http_status);
		return AGGR_CHECK_HTTP_ERROR;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(error, errlen, "timeout");
		return AGGR_CHECK_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
		snprintf(error, errlen, "refused");
		return AGGR_CHECK_REFUSED;
	default:
		snprintf(error, errlen, "%s", curl_easy_strerror((CURLcode)curl_code));
		return AGGR_CHECK_OTHER;
	}
}

/* A health answer's body is not read: its status says it all. */
static size_t check_discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* A check began (o ignored), or one ended with o (in flight or not). */
static void check_count(struct aggr_check *c, bool began, bool was_in_flight,
			enum aggr_check_outcome o)
{
	pthread_mutex_lock(&c->mu);
	if (began) {
		c->stats.in_flight++;
	} else {
		c->stats.outcomes[o]++;
		c->stats.in_flight -= was_in_flight;
	}
	pthread_mutex_unlock(&c->mu);
}

static void check_release(struct aggr_check *c, struct check_transfer *tr)
{
	curl_multi_remove_handle(c->multi, tr->easy);
	curl_easy_cleanup(tr->easy);
	tr->easy = NULL;
	aggr_job_free(&tr->job);
}

/* Starts job in a free slot (it takes the job); a job that cannot start
 * is recorded as failed. */
static void check_begin(struct aggr_check *c, struct check_transfer *tr, struct aggr_job *job)
{
	CURL *e = curl_easy_init();

	tr->job = *job;
	memset(job, 0, sizeof(*job));
	/* Only http(s): a healthUrl comes from the token stream. */
	if (e == NULL || curl_easy_setopt(e, CURLOPT_URL, tr->job.url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		goto fail;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, check_discard);
	curl_easy_setopt(e, CURLOPT_PRIVATE, tr);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "discovery-aggregator");
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		goto fail;
	tr->easy = e;
	check_count(c, true, false, AGGR_CHECK_OTHER);
	return;
fail:
	aggr_table_record(c->table, &tr->job, false, "cannot start the check", timing_wall_ms());
	check_count(c, false, false, AGGR_CHECK_OTHER);
	curl_easy_cleanup(e);
	aggr_job_free(&tr->job);
}

static void check_finish(struct aggr_check *c, CURLMsg *msg)
{
	struct check_transfer *tr = NULL;
	enum aggr_check_outcome o;
	char error[AGGR_TABLE_ERROR_MAX];
	long status = 0;

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
	o = aggr_check_classify(msg->data.result, status, error, sizeof(error));
	aggr_table_record(c->table, &tr->job, o == AGGR_CHECK_HEALTHY, error, timing_wall_ms());
	if (o != AGGR_CHECK_HEALTHY)
		log_debug("health check failed service=%s instance=%s url=%s error=%s",
			  tr->job.service, tr->job.instance_id, tr->job.url, error);
	check_count(c, false, true, o);
	check_release(c, tr);
}

/* Fills the free slots with due checks. */
static void check_fill(struct aggr_check *c)
{
	size_t free_slots = 0, n, j = 0;

	for (size_t i = 0; i < c->max_parallel; i++)
		free_slots += c->slots[i].easy == NULL;
	if (free_slots == 0)
		return;
	n = aggr_table_take_due(c->table, timing_mono_ms(), c->jobs, free_slots);
	for (size_t i = 0; i < c->max_parallel && j < n; i++)
		if (c->slots[i].easy == NULL)
			check_begin(c, &c->slots[i], &c->jobs[j++]);
}

/* How long to sleep: until the next due check, at most CHECK_IDLE_MS. */
static int check_wait_ms(struct aggr_check *c)
{
	int64_t left = aggr_table_next_due(c->table) - timing_mono_ms();
	return left < 0 ? 0 : left > CHECK_IDLE_MS ? CHECK_IDLE_MS : (int)left;
}

static void *check_run(void *arg)
{
	struct aggr_check *c = arg;
	int running = 0, queued;
	CURLMsg *msg;

	while (!atomic_load(&c->stop)) {
		check_fill(c);
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &queued)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				check_finish(c, msg);
		if (curl_multi_poll(c->multi, NULL, 0, check_wait_ms(c), NULL) != CURLM_OK)
			timing_sleep_ms(10);
	}
	return NULL;
}

static void check_free(struct aggr_check *c)
{
	for (size_t i = 0; i < c->max_parallel; i++)
		if (c->slots != NULL && c->slots[i].easy != NULL)
			check_release(c, &c->slots[i]);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	free(c->slots);
	free(c->jobs);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct aggr_check *aggr_check_start(struct aggr_table *t, size_t max_parallel, int64_t timeout_ms)
{
	struct aggr_check *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->stop, false);
	c->table = t;
	c->max_parallel = max_parallel;
	c->timeout_ms = timeout_ms;
	c->slots = calloc(max_parallel, sizeof(*c->slots));
	c->jobs = calloc(max_parallel, sizeof(*c->jobs));
	c->multi = curl_multi_init();
	if (c->slots == NULL || c->jobs == NULL || c->multi == NULL ||
	    pthread_create(&c->thread, NULL, check_run, c) != 0) {
		check_free(c);
		return NULL;
	}
	return c;
}

void aggr_check_wake(struct aggr_check *c)
{
	curl_multi_wakeup(c->multi);
}

void aggr_check_stats(struct aggr_check *c, struct aggr_check_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->stats;
	pthread_mutex_unlock(&c->mu);
}

void aggr_check_stop(struct aggr_check *c)
{
	if (c == NULL)
		return;
	atomic_store(&c->stop, true);
	curl_multi_wakeup(c->multi);
	pthread_join(c->thread, NULL);
	check_free(c);
}
