/*
 * libFuzzer target for what the registry reads from RabbitMQ's connection
 * events (fuzz/run.sh builds and runs it). The input is a script of events,
 * lines of "c <pid> <user> <vhost>" (created), "x <pid>" (closed) and
 * "n <user_provided_name>" (a name to parse): the memory of created
 * connections must stay within its bound and give back exactly what was
 * remembered, and a parsed name must put back together into the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_require.h"
#include "subscriber/sub_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_TRACKED 8
#define FUZZ_LINE_MAX 600

static void check_name(const char *name)
{
	struct sub_conn_name n;
	char back[FUZZ_LINE_MAX + 64];

	if (sub_conn_parse_name(name, &n) < 0)
		return;
	fuzz_require(token_service_is_valid(n.service));
	fuzz_require(token_incarnation_is_valid(n.incarnation));
	fuzz_require(n.instance_id[0] != '\0');
	snprintf(back, sizeof(back), "discovery:%s:%s:%s", n.service, n.instance_id,
		 n.incarnation);
	fuzz_require(strcmp(back, name) == 0);
}

static void run_line(struct sub_conn *c, char *line)
{
	char user[SUB_CONN_FIELD_MAX], vhost[SUB_CONN_FIELD_MAX];
	char *pid, *u, *v, *save = NULL;

	if (line[0] == 'n' && line[1] == ' ') {
		check_name(line + 2);
		return;
	}
	pid = strtok_r(line + 1, " ", &save);
	if (!pid || strlen(pid) >= SUB_CONN_FIELD_MAX)
		return;
	if (line[0] == 'c') {
		u = strtok_r(NULL, " ", &save);
		v = strtok_r(NULL, " ", &save);
		if (!u || !v || strlen(u) >= SUB_CONN_FIELD_MAX || strlen(v) >= SUB_CONN_FIELD_MAX)
			return;
		sub_conn_created(c, pid, u, v);
		/* The newest one is always remembered, as given. */
		fuzz_require(sub_conn_count(c) <= FUZZ_MAX_TRACKED);
		fuzz_require(sub_conn_closed(c, pid, user, vhost));
		fuzz_require(strcmp(user, u) == 0 && strcmp(vhost, v) == 0);
		sub_conn_created(c, pid, u, v);
	} else if (line[0] == 'x') {
		size_t before = sub_conn_count(c);
		bool known = sub_conn_closed(c, pid, user, vhost);

		fuzz_require(sub_conn_count(c) == before - (known ? 1 : 0));
		fuzz_require(!sub_conn_closed(c, pid, user, vhost));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sub_conn *c = sub_conn_new(FUZZ_MAX_TRACKED);
	char line[FUZZ_LINE_MAX + 1];
	size_t i = 0;

	if (!c)
		return 0;
	while (i < size) {
		size_t n = 0;

		while (i + n < size && data[i + n] != '\n' && n < FUZZ_LINE_MAX)
			n++;
		memcpy(line, data + i, n);
		line[n] = '\0';
		i += n + 1;
		if (strlen(line) == n) /* a NUL inside would hide the rest */
			run_line(c, line);
	}
	sub_conn_free(c);
	return 0;
}
