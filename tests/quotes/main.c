/*
 * quotes-standin: plays the quotes-service for tests, benchmarks and
 * `make run`. GET /api/quote?strength=N answers like the real one,
 *   {"quote":"…","ipAddress":"<hostname>/<ip>:<port>","language":"en"}
 * where ip:port is the local end of the accepted connection (so behind a
 * balancer each instance tells which one answered), after burning CPU in
 * proportion to 2^strength as the real one's BCrypt rounds do. Flags make
 * it slow (--delay-ms), failing (--fail: 500) or broken (--garbage).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "timing.h"

#define STANDIN_MAX_STRENGTH 20
/* SHA-256 rounds per unit of 2^strength: strength 4 costs about 1 ms. */
#define STANDIN_ROUNDS_PER_UNIT 64

struct standin {
	int port;
	long delay_ms;
	int fail;
	int garbage;
	const char *listen_addr;
	char hostname[256];
	atomic_uint next_quote;
};

static const char *const quotes[] = {
	"To be or not to be, that is the question.",
	"Simplicity is prerequisite for reliability.",
	"Premature optimization is the root of all evil.",
	"Talk is cheap. Show me the code.",
};

/* The CPU the real service spends on BCrypt, stood in by SHA-256 rounds. */
static void standin_burn(long strength)
{
	unsigned char digest[SHA256_DIGEST_LENGTH] = {0};
	long rounds = (1L << strength) * STANDIN_ROUNDS_PER_UNIT;
	for (long i = 0; i < rounds; i++)
		SHA256(digest, sizeof(digest), digest);
	/* Keep the result observable so the loop is not optimised away. */
	__asm__ volatile("" : : "r"(digest) : "memory");
}

/* "<ip>:<port>" of the local end of the connection. */
static void standin_local_addr(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "unknown";
	int port = 0;
	if (ci != NULL && getsockname(ci->connect_fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(out, outlen, "%s:%d", ip, port);
}

static enum MHD_Result standin_send(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") ==
	    MHD_NO) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result standin_quote(struct standin *s, struct MHD_Connection *c)
{
	const char *text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "strength");
	char local[INET6_ADDRSTRLEN + 8], body[1024], *end;
	long strength = 4;
	unsigned n;

	if (text != NULL) {
		strength = strtol(text, &end, 10);
		if (end == text || *end != '\0' || strength < 0 || strength > STANDIN_MAX_STRENGTH)
			return standin_send(c, MHD_HTTP_BAD_REQUEST,
					    "{\"error\":\"strength is 0..20\"}");
	}
	if (s->delay_ms > 0)
		timing_sleep_ms(s->delay_ms);
	if (s->fail)
		return standin_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "{\"error\":\"failing on purpose\"}");
	if (s->garbage)
		return standin_send(c, MHD_HTTP_OK, "this is not {json");
	standin_burn(strength);
	standin_local_addr(c, local, sizeof(local));
	n = atomic_fetch_add(&s->next_quote, 1) % (sizeof(quotes) / sizeof(quotes[0]));
	snprintf(body, sizeof(body),
		 "{\"quote\":\"%s\",\"ipAddress\":\"%s/%s\",\"language\":\"en\"}", quotes[n],
		 s->hostname, local);
	return standin_send(c, MHD_HTTP_OK, body);
}

/* Answers on the second call, once MHD has read the whole request, so
 * keep-alive connections stay open. */
static enum MHD_Result standin_access(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	static int marker;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return standin_send(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "{\"error\":\"method not allowed\"}");
	if (strcmp(url, "/api/quote") == 0)
		return standin_quote(cls, c);
	if (strcmp(url, "/health") == 0)
		return standin_send(c, MHD_HTTP_OK, "{\"status\":\"UP\"}");
	return standin_send(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
}

static struct MHD_Daemon *standin_listen(struct standin *s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_port = htons((uint16_t)s->port);
	if (s->listen_addr[0] != '\0' && inet_pton(AF_INET, s->listen_addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "quotes-standin: bad listen address '%s'\n", s->listen_addr);
		return NULL;
	}
	/* A thread per connection: a delayed answer holds only its client. */
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
					MHD_USE_AUTO,
				(uint16_t)s->port, NULL, NULL, standin_access, s,
				MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 2000u,
				MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
	struct standin s = {.port = 8080, .listen_addr = ""};
	const struct config_option opts[] = {
		{"port", "QUOTES_PORT", CONFIG_PORT, &s.port, 0, 65535,
		 "HTTP port (0: any free port, logged)"},
		{"listen-addr", "QUOTES_LISTEN_ADDR", CONFIG_STRING, &s.listen_addr, 0, 0,
		 "IPv4 address to listen on (empty: all)"},
		{"delay-ms", "QUOTES_DELAY_MS", CONFIG_INT, &s.delay_ms, 0, 600000,
		 "sleep this long before each quote answer"},
		{"fail", "QUOTES_FAIL", CONFIG_FLAG, &s.fail, 0, 0, "answer every quote with 500"},
		{"garbage", "QUOTES_GARBAGE", CONFIG_FLAG, &s.garbage, 0, 0,
		 "answer every quote with 200 and a body that is not JSON"},
	};
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	char err[256];
	sigset_t set;
	int sig = 0;
	int rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), argc, argv,
			     "A quotes-service stand-in: GET /api/quote?strength=N.", err,
			     sizeof(err));
	if (rc == CONFIG_HELP)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "quotes-standin: %s\n", err);
		return CONFIG_EXIT_USAGE;
	}
	log_init("quotes-standin", LOG_INFO);
	if (gethostname(s.hostname, sizeof(s.hostname)) != 0)
		snprintf(s.hostname, sizeof(s.hostname), "unknown");
	s.hostname[sizeof(s.hostname) - 1] = '\0';
	atomic_init(&s.next_quote, 0);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = standin_listen(&s);
	if (d == NULL) {
		log_error("cannot listen on port %d", s.port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	log_info("listening port=%d delay_ms=%ld fail=%d garbage=%d",
		 info != NULL ? info->port : s.port, s.delay_ms, s.fail, s.garbage);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	log_info("stopped");
	return 0;
}
