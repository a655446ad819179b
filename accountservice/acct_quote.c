#include "accountservice/acct_quote.h"
#include "accountservice/acct_qbody.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "accountservice/acct_balance.h"
#include "accountservice/acct_linger.h"
#include "log.h"
#include "timing.h"

/* libcurl's receive buffer of each handle (its default is 16 KiB): a quote
 * and its headers are a few hundred bytes, and a larger body is still read
 * whole, in several pieces. */
#define QUOTE_RECV_BUFFER 4096L
/* A body starts with room for a typical quote and doubles up to the cap. */
#define QUOTE_BODY_START 512
/* Idle calls kept with their easy handle for the next request; a burst of
 * slow calls above this is freed when it ends. */
#define QUOTE_POOL_MAX 64

/*
 * One call. The easy handle is set up once and kept with its call in a
 * pool: creating a handle, or resetting it and setting every option again,
 * for every call costs CPU that the call itself does not need. The
 * connection is still new for every call (CURLOPT_FRESH_CONNECT,
 * CURLOPT_FORBID_REUSE), and the multi handle's DNS cache looks the name
 * of the quotes-service up again once a minute, so a moved VIP is followed.
 *
 * The request says "Connection: close", so the quotes-service closes first
 * once it has answered, and the client's close, after that server's FIN, is
 * the passive one: the TIME_WAIT of every call stays with the server, where
 * it costs no ephemeral port towards the VIP, and the server reads a clean
 * end of stream, not a reset. libcurl closes as soon as it has the whole
 * body, which can be before the server's FIN is in; such a socket is not
 * closed then but waits in the loop's epoll set for that FIN
 * (acct_linger.h).
 *
 * With a balancer (QUOTES_DISCOVERY), every call is aimed anew: the URL
 * gets the chosen instance's address and port, and a refused connection
 * is tried once more on another instance with what is left of the
 * timeout, so a crashed instance that the table still holds costs a
 * retry, not a fallback.
 */
struct quote_call {
	CURL *easy;
	char *body;
	size_t len, cap;
	acct_quote_done_fn *done;
	void *arg;
	struct quote_call *next_free;
	/* With a balancer: where the call went, when it started, and whether
	 * it is already the retry. */
	char instance_id[ACCT_BALANCE_ID_MAX];
	int64_t started_ms;
	bool retried;
};

struct acct_quotes {
	CURLM *multi;
	struct curl_slist *headers; /* of every call */
	const char *url;
	long timeout_ms;
	int epoll_fd;
	int64_t deadline_ms; /* of libcurl's timer; -1: none */
	size_t in_flight;
	struct quote_call *pool;
	size_t pool_len;
	struct acct_linger *linger; /* finished calls' sockets */
	struct acct_balance *balance; /* NULL: every call to url (the VIP) */
	CURLU *base;		      /* url, parsed, when there is a balancer */
	struct acct_metrics *metrics;
};

/* Appends to the body, growing it up to the cap; returning less than given
 * aborts the transfer, which also caps chunked responses that
 * CURLOPT_MAXFILESIZE would not. */
static size_t quote_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct quote_call *call = userdata;
	size_t n = size * nmemb, cap = call->cap;
	char *grown;
	if (n > ACCT_QUOTE_BODY_MAX - call->len)
		return 0;
	while (cap < call->len + n)
		cap = cap == 0 ? QUOTE_BODY_START : cap * 2;
	if (cap != call->cap) {
		cap = cap < ACCT_QUOTE_BODY_MAX ? cap : ACCT_QUOTE_BODY_MAX;
		grown = realloc(call->body, cap);
		if (grown == NULL)
			return 0;
		call->body = grown;
		call->cap = cap;
	}
	memcpy(call->body + call->len, ptr, n);
	call->len += n;
	return n;
}

/* libcurl is done with a socket: it closes after the server's FIN. */
static int quote_on_socket_close(void *clientp, curl_socket_t fd)
{
	struct acct_quotes *q = clientp;
	return acct_linger_close(q->linger, fd);
}

static void quote_call_free(struct quote_call *call)
{
	curl_easy_cleanup(call->easy);
	free(call->body);
	free(call);
}

/* A new call whose handle has the options every call shares. */
static struct quote_call *quote_call_new(struct acct_quotes *q)
{
	struct quote_call *call = calloc(1, sizeof(*call));
	/* Each setopt can only fail on bad arguments or no memory. */
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	if (call == NULL)
		return NULL;
	call->easy = curl_easy_init();
	if (call->easy != NULL)
		rc = curl_easy_setopt(call->easy, CURLOPT_URL, q->url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, q->timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_FRESH_CONNECT, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_FORBID_REUSE, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_MAXFILESIZE, (long)ACCT_QUOTE_BODY_MAX);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_BUFFERSIZE, QUOTE_RECV_BUFFER);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, quote_write);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_WRITEDATA, call);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_PRIVATE, call);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_HTTPHEADER, q->headers);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_CLOSESOCKETFUNCTION,
				      quote_on_socket_close);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_CLOSESOCKETDATA, q);
	if (rc != CURLE_OK) {
		quote_call_free(call);
		return NULL;
	}
	return call;
}

/* libcurl says which events of a socket it waits for: mirror that in the
 * loop's epoll set. curl_multi_assign() remembers which sockets are in. */
static int quote_on_socket_change(CURL *easy, curl_socket_t fd, int what, void *clientp,
				  void *socketp)
{
	struct acct_quotes *q = clientp;
	struct epoll_event ev = {.data.fd = fd};
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp != NULL && epoll_ctl(q->epoll_fd, EPOLL_CTL_DEL, fd, NULL) != 0 &&
		    errno != EBADF && errno != ENOENT)
			log_warn("quote socket: epoll_ctl del: %s", strerror(errno));
		curl_multi_assign(q->multi, fd, NULL);
		return 0;
	}
	ev.events =
		((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	if (epoll_ctl(q->epoll_fd, socketp != NULL ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
		log_warn("quote socket: epoll_ctl: %s", strerror(errno));
		return -1;
	}
	curl_multi_assign(q->multi, fd, q);
	return 0;
}

static int quote_on_timer_change(CURLM *multi, long timeout_ms, void *clientp)
{
	struct acct_quotes *q = clientp;
	(void)multi;
	q->deadline_ms = timeout_ms < 0 ? -1 : timing_mono_ms() + timeout_ms;
	return 0;
}

/* Aims the call at an instance: the quotes URL with its address and port
 * (the path and query kept) and timeout_ms to finish in. 0 or -1. */
static int quote_aim(struct acct_quotes *q, struct quote_call *call,
		     const struct acct_balance_pick *pick, long timeout_ms)
{
	char host[ADDR_TEXT_MAX + 2], port[12];
	CURLU *u = curl_url_dup(q->base);
	CURLUcode uc = u != NULL ? CURLUE_OK : CURLUE_OUT_OF_MEMORY;
	CURLcode rc = CURLE_URL_MALFORMAT;
	char *url = NULL;

	snprintf(host, sizeof(host), strchr(pick->address, ':') != NULL ? "[%s]" : "%s",
		 pick->address);
	if (uc == CURLUE_OK)
		uc = curl_url_set(u, CURLUPART_HOST, host, 0);
	if (uc == CURLUE_OK && pick->port > 0) {
		snprintf(port, sizeof(port), "%d", pick->port);
		uc = curl_url_set(u, CURLUPART_PORT, port, 0);
	}
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_URL, &url, 0);
	curl_url_cleanup(u);
	if (uc == CURLUE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_URL, url);
	curl_free(url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rc != CURLE_OK) {
		log_warn("cannot aim a quote call at instance=%s", pick->instance_id);
		return -1;
	}
	snprintf(call->instance_id, sizeof(call->instance_id), "%s", pick->instance_id);
	return 0;
}

/* A refused connection is tried once more on another instance within the
 * same timeout. true: the call runs again (its handle is back in). */
static bool quote_retry(struct acct_quotes *q, struct quote_call *call, CURLcode rc)
{
	struct acct_balance_pick pick;
	long left;

	if (q->balance == NULL || call->retried || rc != CURLE_COULDNT_CONNECT)
		return false;
	left = q->timeout_ms - (long)(timing_mono_ms() - call->started_ms);
	if (left <= 0 || acct_balance_pick(q->balance, call->instance_id, &pick) != 0)
		return false;
	log_debug("quote call refused by instance=%s, again to instance=%s", call->instance_id,
		  pick.instance_id);
	call->retried = true;
	call->len = 0;
	if (quote_aim(q, call, &pick, left) != 0 ||
	    curl_multi_add_handle(q->multi, call->easy) != CURLM_OK)
		return false;
	acct_metrics_quote_chose(q->metrics, ACCT_CHOSE_RETRY);
	return true;
}

struct acct_quotes *acct_quotes_new(int epoll_fd, const char *url, long timeout_ms,
				    long close_wait_ms, struct acct_balance *balance,
				    struct acct_metrics *metrics)
{
	struct acct_quotes *q = calloc(1, sizeof(*q));
	CURLMcode mrc = CURLM_OUT_OF_MEMORY;
	struct quote_call *first;
	if (q == NULL)
		return NULL;
	q->epoll_fd = epoll_fd;
	q->url = url;
	q->timeout_ms = timeout_ms;
	q->deadline_ms = -1;
	q->balance = balance;
	q->metrics = metrics;
	if (balance != NULL) {
		q->base = curl_url();
		if (q->base == NULL || curl_url_set(q->base, CURLUPART_URL, url, 0) != CURLUE_OK)
			goto fail;
	}
	q->headers = curl_slist_append(NULL, "Connection: close");
	q->linger = acct_linger_new(epoll_fd, close_wait_ms, metrics);
	q->multi = q->headers != NULL && q->linger != NULL ? curl_multi_init() : NULL;
	if (q->multi != NULL)
		mrc = curl_multi_setopt(q->multi, CURLMOPT_SOCKETFUNCTION, quote_on_socket_change);
	if (mrc == CURLM_OK)
		mrc = curl_multi_setopt(q->multi, CURLMOPT_SOCKETDATA, q);
	if (mrc == CURLM_OK)
		mrc = curl_multi_setopt(q->multi, CURLMOPT_TIMERFUNCTION, quote_on_timer_change);
	if (mrc == CURLM_OK)
		mrc = curl_multi_setopt(q->multi, CURLMOPT_TIMERDATA, q);
	if (mrc != CURLM_OK)
		goto fail;
	/* The first call of the pool: a bad URL or option fails here, once. */
	first = quote_call_new(q);
	if (first == NULL)
		goto fail;
	q->pool = first;
	q->pool_len = 1;
	return q;
fail:
	acct_quotes_free(q);
	return NULL;
}

cJSON *acct_quote_fallback(void)
{
	cJSON *o = cJSON_CreateObject();
	if (o == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "quote", ACCT_FALLBACK_QUOTE) == NULL ||
	    cJSON_AddStringToObject(o, "ipAddress", ACCT_FALLBACK_IP) == NULL ||
	    cJSON_AddStringToObject(o, "language", ACCT_FALLBACK_LANGUAGE) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The quote of a finished transfer, or NULL for the fallback. */
static cJSON *quote_result(const struct quote_call *call, CURLcode rc,
			   enum acct_quote_outcome *outcome)
{
	long status = 0;
	cJSON *o;
	*outcome = ACCT_QUOTE_ERROR;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		*outcome = ACCT_QUOTE_TIMEOUT;
		log_debug("quote call timed out");
		return NULL;
	}
	if (rc != CURLE_OK) {
		log_debug("quote call failed: %s", curl_easy_strerror(rc));
		return NULL;
	}
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		log_debug("quote call answered status=%ld", status);
		return NULL;
	}
	o = acct_qbody_parse(call->body, call->len);
	if (o == NULL)
		log_debug("quote call sent an invalid body len=%zu", call->len);
	else
		*outcome = ACCT_QUOTE_OK;
	return o;
}

/* Back to the pool, or freed when the pool is full. */
static void quote_call_release(struct acct_quotes *q, struct quote_call *call)
{
	if (q->pool_len >= QUOTE_POOL_MAX) {
		quote_call_free(call);
		return;
	}
	call->next_free = q->pool;
	q->pool = call;
	q->pool_len++;
}

/* Hands every finished transfer to its done. */
static void quote_collect(struct acct_quotes *q)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(q->multi, &left)) != NULL) {
		struct quote_call *call = NULL;
		enum acct_quote_outcome outcome;
		cJSON *o;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		o = quote_result(call, msg->data.result, &outcome);
		curl_multi_remove_handle(q->multi, call->easy);
		if (o == NULL && quote_retry(q, call, msg->data.result))
			continue;
		q->in_flight--;
		call->done(call->arg, o != NULL ? o : acct_quote_fallback(), outcome);
		quote_call_release(q, call);
	}
}

int acct_quotes_get(struct acct_quotes *q, acct_quote_done_fn *done, void *arg)
{
	struct quote_call *call = q->pool;
	struct acct_balance_pick pick;

	if (q->balance != NULL && acct_balance_pick(q->balance, NULL, &pick) != 0) {
		acct_metrics_quote_chose(q->metrics, ACCT_CHOSE_NONE);
		return ACCT_QUOTES_NO_INSTANCE;
	}
	if (call != NULL) {
		q->pool = call->next_free;
		q->pool_len--;
	} else {
		call = quote_call_new(q);
		if (call == NULL)
			return -1;
	}
	call->len = 0;
	call->done = done;
	call->arg = arg;
	if (q->balance != NULL) {
		call->started_ms = timing_mono_ms();
		call->retried = false;
		if (quote_aim(q, call, &pick, q->timeout_ms) != 0) {
			quote_call_release(q, call);
			return -1;
		}
		acct_metrics_quote_chose(q->metrics, ACCT_CHOSE_NEXT);
	}
	if (curl_multi_add_handle(q->multi, call->easy) != CURLM_OK) {
		quote_call_release(q, call);
		return -1;
	}
	q->in_flight++;
	return 0;
}

void acct_quotes_on_socket(struct acct_quotes *q, int fd, uint32_t events)
{
	int running;
	int what;
	if (acct_linger_on_socket(q->linger, fd))
		return;
	what = ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? CURL_CSELECT_IN : 0) |
		   ((events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
		   ((events & EPOLLERR) ? CURL_CSELECT_ERR : 0);
	curl_multi_socket_action(q->multi, fd, what, &running);
	quote_collect(q);
}

long acct_quotes_timeout_ms(const struct acct_quotes *q)
{
	int64_t due = q->deadline_ms, linger = acct_linger_deadline_ms(q->linger), left;
	if (linger >= 0 && (due < 0 || linger < due))
		due = linger;
	if (due < 0)
		return -1;
	left = due - timing_mono_ms();
	return left > 0 ? (long)left : 0;
}

void acct_quotes_on_timeout(struct acct_quotes *q)
{
	int running;
	if (q->deadline_ms >= 0 && q->deadline_ms <= timing_mono_ms()) {
		q->deadline_ms = -1;
		curl_multi_socket_action(q->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		quote_collect(q);
	}
	acct_linger_expire(q->linger);
}

size_t acct_quotes_in_flight(const struct acct_quotes *q)
{
	return q->in_flight;
}

void acct_quotes_free(struct acct_quotes *q)
{
	if (q == NULL)
		return;
	while (q->pool != NULL) {
		struct quote_call *next = q->pool->next_free;
		quote_call_free(q->pool);
		q->pool = next;
	}
	if (q->multi != NULL)
		curl_multi_cleanup(q->multi);
	curl_slist_free_all(q->headers);
	curl_url_cleanup(q->base);
	/* After libcurl, which may hand it sockets as it cleans up. */
	acct_linger_free(q->linger);
	free(q);
}
