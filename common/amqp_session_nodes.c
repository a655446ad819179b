/*
 * The broker URLs of a session: AMQP_SERVER_URL may name the nodes of a
 * RabbitMQ cluster as a comma-separated list, each with its own scheme
 * (TLS or not), credentials and vhost. The list is split where the log
 * masking splits it (log_url_end), so what is logged is what is used.
 *
 * A session starts at a random node, so that many programs given the same
 * list spread over the cluster, and amqp_session_open moves on along the
 * list from there (amqp_session.c).
 */
#include "amqp_session.h"
#include "amqp_session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amqp.h>

#include "log.h"
#include "rng.h"

/* Why one URL cannot be used, or 0. `where` prefixes the sentence. */
static int nodes_check_one(const char *url, const char *where, char *err, size_t errlen)
{
	struct amqp_connection_info info;
	char masked[512], *copy;
	int status;

	log_mask_url(url, masked, sizeof(masked));
	if (*url == '\0') {
		snprintf(err, errlen, "%san empty URL in the list", where);
		return AMQP_SESSION_ERR_URL;
	}
	if (strncmp(url, "amqp://", 7) != 0 && strncmp(url, "amqps://", 8) != 0) {
		snprintf(err, errlen, "%s'%s' is not an amqp:// or amqps:// URL", where, masked);
		return AMQP_SESSION_ERR_URL;
	}
	/* A list the splitter did not see: the URLs are not separated by a
	 * plain ',' (a space, a ';'). */
	if (strstr(url + 7, "amqp://") || strstr(url + 7, "amqps://")) {
		snprintf(err, errlen,
			 "%s'%s' names several brokers: separate their URLs with ',' and no spaces",
			 where, masked);
		return AMQP_SESSION_ERR_URL;
	}
	copy = strdup(url);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return AMQP_SESSION_ERR_NO_MEMORY;
	}
	amqp_default_connection_info(&info);
	status = amqp_parse_url(copy, &info);
	free(copy);
	if (status != AMQP_STATUS_OK) {
		snprintf(err, errlen,
			 "%s'%s' does not parse: amqp[s]://user:password@host:port/vhost, with %%-escapes",
			 where, masked);
		return AMQP_SESSION_ERR_URL;
	}
	return 0;
}

static size_t nodes_count(const char *list)
{
	size_t n = 1;

	for (const char *end = log_url_end(list); *end; end = log_url_end(end + 1))
		n++;
	return n;
}

/* Copies the i-th URL of the list (0-based) into a new string. */
static char *nodes_item(const char *list, size_t i)
{
	const char *start = list, *end = log_url_end(list);

	while (i-- > 0) {
		start = end + 1;
		end = log_url_end(start);
	}
	return strndup(start, (size_t)(end - start));
}

int amqp_session_check_url(const char *url, char *err, size_t errlen)
{
	size_t n = nodes_count(url);
	char where[64] = "";
	char *item;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		item = nodes_item(url, i);
		if (!item) {
			snprintf(err, errlen, "out of memory");
			return AMQP_SESSION_ERR_NO_MEMORY;
		}
		if (n > 1)
			snprintf(where, sizeof(where), "URL %zu of %zu: ", i + 1, n);
		rc = nodes_check_one(item, where, err, errlen);
		free(item);
	}
	return rc;
}

int amqp_session__nodes_parse(struct amqp_session *s, const char *list, char *err,
			      size_t errlen)
{
	struct amqp_session_node *node;
	struct rng r;
	int rc;

	rc = amqp_session_check_url(list, err, errlen);
	if (rc < 0)
		return rc;
	s->node_count = nodes_count(list);
	s->nodes = calloc(s->node_count, sizeof(*s->nodes));
	if (!s->nodes)
		goto no_memory;
	for (size_t i = 0; i < s->node_count; i++) {
		node = &s->nodes[i];
		node->url = nodes_item(list, i);
		if (!node->url)
			goto no_memory;
		log_mask_url(node->url, node->masked_url, sizeof(node->masked_url));
		amqp_default_connection_info(&node->info);
		if (amqp_parse_url(node->url, &node->info) != AMQP_STATUS_OK) {
			snprintf(err, errlen, "'%s' does not parse", node->masked_url);
			return AMQP_SESSION_ERR_URL;
		}
		/* "amqp://host/" names the default vhost, as in other AMQP
		 * clients; the vhost "/" can also be written "%2f". */
		if (node->info.vhost[0] == '\0')
			node->info.vhost = "/";
	}
	rng_seed(&r);
	s->next_node = (size_t)rng_between(&r, 0, (int64_t)s->node_count - 1);
	amqp_session__node_select(s, s->next_node);
	return 0;

no_memory:
	snprintf(err, errlen, "out of memory");
	return AMQP_SESSION_ERR_NO_MEMORY;
}

void amqp_session__nodes_free(struct amqp_session *s)
{
	for (size_t i = 0; s->nodes && i < s->node_count; i++)
		free(s->nodes[i].url);
	free(s->nodes);
	s->nodes = NULL;
	s->node_count = 0;
}

void amqp_session__node_select(struct amqp_session *s, size_t i)
{
	s->node = i;
	s->info = s->nodes[i].info;
	memcpy(s->masked_url, s->nodes[i].masked_url, sizeof(s->masked_url));
}

const char *amqp_session_node(const struct amqp_session *s)
{
	return s->masked_url;
}

size_t amqp_session_node_count(const struct amqp_session *s)
{
	return s->node_count;
}
