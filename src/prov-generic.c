/*
 * prov-generic.c: the generic HTTP provider, as pure functions.
 *
 * A request is built from the channel's templates: ${to}, ${text}, ${ref}
 * and ${signature} are replaced by the message's fields, encoded for where
 * they land:
 *
 *	url				always URL-encoded
 *	body, form or no type		URL-encoded
 *	body, a type with "json"	JSON-escaped, without the quotes
 *	body, any other type		raw
 *	headers				raw; a CR or LF in a value is an error
 *
 * ${to} is the canonical 11-digit national number ("13800138000"), never
 * +86 or 0086: every Chinese SMS gateway we know takes it that way, and a
 * template that needs a prefix writes it literally ("86${to}").
 *
 * A response is classified by status alone (2xx, 408/429/5xx, other 4xx,
 * the rest); the body is only looked at for the provider's message id and
 * for the error text.
 */
#include "compat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "caltime.h"
#include "conf.h"
#include "http.h"
#include "xmalloc.h"

#define PROV_FORM_TYPE		"application/x-www-form-urlencoded"
#define PROV_RETRY_MAX		(3600L * 1000)	/* ms: cap on Retry-After */
#define PROV_ERROR_BODY		200		/* bytes of body in an error */

enum prov_enc {
	PROV_ENC_URL,
	PROV_ENC_JSON,
	PROV_ENC_RAW,
	PROV_ENC_HEADER
};

static int
prov_unreserved(unsigned char c)
{
	/* RFC 3986 section 2.3. */
	return (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~');
}

static void
prov_encode(struct buf *b, const char *s, enum prov_enc enc)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			 tmp[8];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (enc) {
		case PROV_ENC_URL:
			if (prov_unreserved(*p)) {
				buf_add(b, p, 1);
				break;
			}
			tmp[0] = '%';
			tmp[1] = hex[*p >> 4];
			tmp[2] = hex[*p & 0xf];
			buf_add(b, tmp, 3);
			break;
		case PROV_ENC_JSON:
			/*
			 * Every control character as \u00XX, even \n: one
			 * rule that no JSON parser misreads.  Bytes >= 0x80
			 * are UTF-8 and pass through (U+2028 included: valid
			 * JSON, only a problem for JavaScript eval).
			 */
			if (*p == '"' || *p == '\\') {
				tmp[0] = '\\';
				tmp[1] = (char)*p;
				buf_add(b, tmp, 2);
			} else if (*p < 0x20 || *p == 0x7f) {
				snprintf(tmp, sizeof tmp, "\\u%04x", *p);
				buf_add(b, tmp, 6);
			} else
				buf_add(b, p, 1);
			break;
		case PROV_ENC_RAW:
		case PROV_ENC_HEADER:
			buf_add(b, p, 1);
			break;
		}
	}
}

/*
 * Expand the variables of template tmpl (called what, for errors) into a
 * new string; -1 with cause for an unknown or unterminated ${...}.
 */
static int
prov_expand(const char *what, const char *tmpl, const struct channel_msg *msg,
    enum prov_enc enc, char **out, char **cause)
{
	static const char	*names[] = { "to", "text", "ref", "signature" };
	const char		*values[4], *p, *end, *v;
	struct buf		 b;
	size_t			 i, n;

	values[0] = msg->to;
	values[1] = msg->text;
	values[2] = msg->id;
	values[3] = msg->signature;

	buf_init(&b, 0);
	for (p = tmpl; *p != '\0'; p = end) {
		if (p[0] != '$' || p[1] != '{') {
			end = p + 1;
			buf_add(&b, p, 1);
			continue;
		}
		if ((end = strchr(p + 2, '}')) == NULL) {
			xasprintf(cause, "%s: unterminated ${ in template",
			    what);
			goto fail;
		}
		n = (size_t)(end - (p + 2));
		for (i = 0; i < nitems(names); i++) {
			if (strlen(names[i]) == n &&
			    strncmp(p + 2, names[i], n) == 0)
				break;
		}
		if (i == nitems(names)) {
			xasprintf(cause, "%s: unknown variable ${%.*s} "
			    "(known: to, text, ref, signature)", what,
			    (int)(n > 32 ? 32 : n), p + 2);
			goto fail;
		}
		v = values[i] != NULL ? values[i] : "";
		if (enc == PROV_ENC_HEADER && strpbrk(v, "\r\n") != NULL) {
			xasprintf(cause, "%s: ${%s} has a line break", what,
			    names[i]);
			goto fail;
		}
		prov_encode(&b, v, enc);
		end++;
	}
	*out = buf_steal(&b);
	return (0);

fail:
	buf_free(&b);
	return (-1);
}

static int
prov_has_header(char **headers, size_t n, const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < n; i++) {
		if (strncasecmp(headers[i], name, len) == 0 &&
		    headers[i][len] == ':')
			return (1);
	}
	return (0);
}

/* Build the request for msg from the channel's templates; -1 with cause. */
int
prov_generic_request(const struct conf_channel *cc,
    const struct channel_msg *msg, struct http_request *req, char **cause)
{
	const char	*ctype;
	enum prov_enc	 enc;
	size_t		 i;
	char		*h;

	memset(req, 0, sizeof *req);
	*cause = NULL;
	if (cc->url == NULL) {
		*cause = xstrdup("url: not set");
		return (-1);
	}
	if (cc->method == NULL || strcasecmp(cc->method, "POST") == 0)
		req->method = xstrdup("POST");
	else if (strcasecmp(cc->method, "GET") == 0)
		req->method = xstrdup("GET");
	else {
		xasprintf(cause, "method: \"%s\" is not GET or POST",
		    cc->method);
		return (-1);
	}

	if (prov_expand("url", cc->url, msg, PROV_ENC_URL, &req->url,
	    cause) != 0)
		goto fail;

	req->headers = xreallocarray(NULL, cc->nheaders + 1, sizeof (char *));
	for (i = 0; i < cc->nheaders; i++) {
		if (prov_expand("headers", cc->headers[i], msg,
		    PROV_ENC_HEADER, &h, cause) != 0)
			goto fail;
		req->headers[req->nheaders++] = h;
	}

	/* A GET has no body: the body template, if any, is not used. */
	if (strcmp(req->method, "GET") == 0)
		return (0);

	ctype = cc->content_type != NULL ? cc->content_type : PROV_FORM_TYPE;
	if (strcasestr(ctype, "json") != NULL)
		enc = PROV_ENC_JSON;
	else if (strncasecmp(ctype, PROV_FORM_TYPE,
	    strlen(PROV_FORM_TYPE)) == 0)
		enc = PROV_ENC_URL;
	else
		enc = PROV_ENC_RAW;
	if (prov_expand("body", cc->body != NULL ? cc->body : "", msg, enc,
	    &req->body, cause) != 0)
		goto fail;
	if (!prov_has_header(req->headers, req->nheaders, "Content-Type")) {
		xasprintf(&h, "Content-Type: %s", ctype);
		req->headers[req->nheaders++] = h;
	}
	return (0);

fail:
	http_request_free(req);
	return (-1);
}

/* Free a request's strings. */
void
http_request_free(struct http_request *req)
{
	size_t	i;

	free(req->url);
	free(req->method);
	for (i = 0; i < req->nheaders; i++)
		free(req->headers[i]);
	free(req->headers);
	free(req->body);
	memset(req, 0, sizeof *req);
}

/* The provider's message id from a JSON object body, or NULL. */
static char *
prov_ref(const char *body, size_t len)
{
	static const char	*keys[] = {
		"id", "ref", "message_id", "msgid"
	};
	json_t			*root, *v;
	json_error_t		 jerr;
	char			*ref = NULL;
	size_t			 i;
	double			 d;

	if (body == NULL || len == 0)
		return (NULL);
	if ((root = json_loadb(body, len, 0, &jerr)) == NULL)
		return (NULL);
	if (!json_is_object(root))
		goto out;
	for (i = 0; i < nitems(keys) && ref == NULL; i++) {
		v = json_object_get(root, keys[i]);
		if (json_is_string(v) && json_string_length(v) > 0)
			ref = xstrndup(json_string_value(v),
			    json_string_length(v));
		else if (json_is_integer(v))
			xasprintf(&ref, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		else if (json_is_real(v)) {
			/* 1.2e10 from a sloppy encoder: print it whole. */
			d = json_real_value(v);
			xasprintf(&ref, "%.17g", d);
		}
	}
out:
	json_decref(root);
	return (ref);
}

/* Retry-After (delta-seconds or an HTTP-date) in ms, capped; -1 if bad. */
static long
prov_retry_after(const char *s)
{
	static const char	*formats[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* obsolete RFC 850 */
		"%a %b %e %H:%M:%S %Y"		/* obsolete asctime() */
	};
	const char		*errstr, *end;
	struct tm		 tm;
	long long		 secs, t;
	time_t			 now;
	size_t			 i;
	char			 tmp[64];

	while (*s == ' ' || *s == '\t')
		s++;
	strlcpy(tmp, s, sizeof tmp);
	for (i = strlen(tmp); i > 0 && isspace((unsigned char)tmp[i - 1]); i--)
		tmp[i - 1] = '\0';
	if (tmp[0] == '\0')
		return (-1);
	if (isdigit((unsigned char)tmp[0])) {
		secs = strtonum(tmp, 0, 1LL << 40, &errstr);
		if (errstr != NULL)
			return (-1);
		if (secs > PROV_RETRY_MAX / 1000)
			return (PROV_RETRY_MAX);
		return ((long)secs * 1000);
	}
	for (i = 0; i < nitems(formats); i++) {
		memset(&tm, 0, sizeof tm);
		end = strptime(tmp, formats[i], &tm);
		if (end == NULL || *end != '\0')
			continue;
		/* An HTTP-date is GMT: its fields are UTC (RFC 9110 5.6.7). */
		if (caltime_timegm(&tm, &t) != 0)
			continue;
		now = time(NULL);
		if (t <= now)
			return (0);
		if (t - now > PROV_RETRY_MAX / 1000)
			return (PROV_RETRY_MAX);
		return ((long)(t - now) * 1000);
	}
	return (-1);
}

/* "HTTP <status>" and up to 200 bytes of the body without controls. */
static char *
prov_error(long status, const char *body, size_t len)
{
	struct buf	 b;
	size_t		 i, n;

	buf_init(&b, 0);
	buf_printf(&b, "HTTP %ld", status);
	if (body == NULL || len == 0)
		return (buf_steal(&b));
	n = len > PROV_ERROR_BODY ? PROV_ERROR_BODY : len;
	/* Do not cut a UTF-8 sequence in half: back up to its start. */
	if (n < len)
		while (n > 0 && ((unsigned char)body[n] & 0xc0) == 0x80)
			n--;
	buf_adds(&b, ": ");
	for (i = 0; i < n; i++) {
		if ((unsigned char)body[i] < 0x20 || body[i] == 0x7f)
			continue;
		buf_add(&b, body + i, 1);
	}
	/* A body of nothing but control characters says nothing. */
	if (b.len >= 2 && strcmp(b.data + b.len - 2, ": ") == 0) {
		b.len -= 2;
		b.data[b.len] = '\0';
	}
	return (buf_steal(&b));
}

/* Classify a response; see http.h. */
enum send_result
prov_generic_classify(long status, const char *retry_after, const char *body,
    size_t len, long *retry_after_ms, char **ref, char **error)
{
	*retry_after_ms = retry_after != NULL ?
	    prov_retry_after(retry_after) : -1;
	*ref = NULL;
	*error = NULL;

	if (status >= 200 && status <= 299) {
		*ref = prov_ref(body, len);
		return (SEND_OK);
	}
	*error = prov_error(status, body, len);
	/* 408: the server gave up waiting for us; nothing was processed. */
	if (status == 408 || status == 429)
		return (SEND_TEMPFAIL);
	if (status >= 400 && status <= 499)
		return (SEND_PERMFAIL);
	/* 5xx, and 1xx/3xx we do not follow: a fault to retry later. */
	return (SEND_TEMPFAIL);
}
