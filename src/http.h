/*
 * http.h: HTTP SMS providers over libcurl's multi interface on the
 * daemon's libevent loop (the hiperfifo pattern), and the generic
 * provider's request/response mapping (pure, unit-tested).
 */
#ifndef CIVICAST_HTTP_H
#define CIVICAST_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "channel.h"

struct conf_channel;

/* The channel ops of type "http". */
extern const struct channel_ops http_channel_ops;

struct http_request {
	char		 *url;
	char		 *method;	/* "GET" or "POST" */
	char		**headers;	/* "Name: value" */
	size_t		  nheaders;
	char		 *body;		/* NULL for GET */
};

/*
 * Build the request for msg from the channel's url, method, headers and
 * body templates: ${to}, ${text}, ${ref} and ${signature} are
 * substituted, URL-encoded in the URL and in form bodies, JSON-escaped
 * (without quotes) when the content type is JSON.  -1 with cause.
 */
int	 prov_generic_request(const struct conf_channel *,
	    const struct channel_msg *, struct http_request *, char **cause);
/* Free a request's strings. */
void	 http_request_free(struct http_request *);
/*
 * Classify a response: 2xx accepted (provider_ref from a JSON body's
 * "id", "ref", "message_id" or "msgid" when present), 429 and 5xx
 * temporary, other 4xx permanent.  retry_after is the Retry-After header
 * in ms (seconds or an HTTP date), or -1.  ref and error are allocated
 * (or NULL).
 */
enum send_result prov_generic_classify(long status, const char *retry_after,
	    const char *body, size_t len, long *retry_after_ms, char **ref,
	    char **error);

#endif
