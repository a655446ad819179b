#ifndef DISCOVERY_ACCT_ROUTES_H
#define DISCOVERY_ACCT_ROUTES_H

#include <microhttpd.h>
#include <stdatomic.h>

#include "accountservice/acct_http.h"
#include "accountservice/acct_quote.h"
#include "hdeadline.h"
#include "hfront.h"
#include "peercap.h"

/*
 * The routes of the accountservice HTTP API, as libmicrohttpd callbacks
 * for a daemon driven by one event loop (see acct_http.c). A request to
 * /accounts/{id} suspends its connection while the quote call is in
 * flight and resumes it with the answer, so the loop keeps serving
 * everything else meanwhile.
 */
struct acct_routes {
	const struct acct_http_options *o;
	atomic_bool *healthy;	    /* shared by every loop */
	struct acct_quotes *quotes; /* this loop's quote client */
	struct peercap *peers;	    /* shared by every loop */
	struct hfront_shared *front; /* the front doors' counts, shared too */
	struct hdeadline deadlines; /* this loop's connections' request deadlines */
	unsigned active;	    /* requests begun and not completed */
	bool closing;		    /* stopping: responses close their connection */
};

/* The callbacks, each with a struct acct_routes as cls: the access
 * handler, MHD_OPTION_URI_LOG_CALLBACK, MHD_OPTION_NOTIFY_COMPLETED and
 * MHD_OPTION_NOTIFY_CONNECTION. */
enum MHD_Result acct_routes_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **req_cls);
void *acct_routes_begin(void *cls, const char *uri, struct MHD_Connection *c);
void acct_routes_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			   enum MHD_RequestTerminationCode toe);
void acct_routes_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			    enum MHD_ConnectionNotificationCode toe);

/* The body of GET /accounts/{id}: the account with its quote (which it
 * takes), to cJSON_free(); NULL when out of memory. */
char *acct_routes_account_body(const char *id, const char *name, const char *served_by,
			       cJSON *quote) __attribute__((warn_unused_result));

#endif
