/*
 * http.c: the "http" channel: libcurl's multi interface on libevent.
 *
 * The hiperfifo pattern: curl tells us through the socket callback which
 * sockets to watch for what, and through the timer callback when it next
 * wants to be woken; libevent events call curl_multi_socket_action() and
 * then collect finished transfers with curl_multi_info_read().  Nothing
 * blocks, and curl is never re-entered from its own callbacks.
 *
 * Connections are kept alive in the multi handle's cache (at most
 * concurrency of them per host), so a broadcast of 100k messages opens a
 * handful of TCP (and TLS) connections, not 100k.  Easy handles are
 * reused too, from a small idle stack.
 *
 * A done callback may call send() (keeping the pipe full) or even fini();
 * every entry from libevent counts itself in hc->depth, and fini() inside
 * a callback only marks the channel dead: the outermost frame frees it.
 */
#include "compat.h"

#include <sys/queue.h>
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "channel.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "phone.h"
#include "util.h"
#include "xmalloc.h"

#define HTTP_BODY_MAX		(64 * 1024)	/* response bytes kept */
#define HTTP_TIMEOUT_DEFAULT	10		/* s, when the conf has none */
#define HTTP_CONNECT_MAX	5000		/* ms, cap on connect time */

struct http_chan;

/* A socket curl asked us to watch. */
struct http_sock {
	struct http_chan	*hc;
	curl_socket_t		 fd;
	struct event		*ev;
	TAILQ_ENTRY(http_sock)	 entry;
};

/* One message in flight. */
struct http_xfer {
	struct http_chan	*hc;
	CURL			*easy;		/* NULL: failed before curl */
	struct curl_slist	*hdrs;

	struct channel_msg	 msg;		/* our copies */
	channel_done_cb		*cb;
	void			*arg;

	struct http_request	 req;
	size_t			 body_len;	/* request body bytes */
	struct buf		 resp;		/* response body, capped */
	int			 truncated;
	char			 retry_after[64];
	char			 errbuf[CURL_ERROR_SIZE];

	/* A failure before curl had the transfer, reported from the loop. */
	struct event		*ev_fail;
	char			*fail_error;

	TAILQ_ENTRY(http_xfer)	 entry;
};

struct http_chan {
	struct channel		*ch;
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	TAILQ_HEAD(, http_xfer)	 xfers;
	TAILQ_HEAD(, http_sock)	 socks;
	CURL		       **idle;		/* reusable easy handles */
	size_t			 nidle;
	size_t			 inflight;
	size_t			 concurrency;
	long			 timeout;	/* s */
	int			 running;
	int			 depth;		/* libevent entries active */
	int			 dying;		/* fini() inside a callback */
};

static int	http_curl_ready;

static void	http_free(struct http_chan *);

static const char *
http_id(const struct http_chan *hc)
{
	return (hc->ch->conf->id != NULL ? hc->ch->conf->id : "http");
}

static void
http_enter(struct http_chan *hc)
{
	hc->depth++;
}

/* Leave a libevent entry; 1 when the channel was freed. */
static int
http_leave(struct http_chan *hc)
{
	if (--hc->depth == 0 && hc->dying) {
		http_free(hc);
		return (1);
	}
	return (0);
}

static void
http_xfer_free(struct http_xfer *x)
{
	struct http_chan	*hc = x->hc;

	if (x->easy != NULL) {
		curl_multi_remove_handle(hc->multi, x->easy);
		if (hc->nidle < hc->concurrency && !hc->dying) {
			curl_easy_reset(x->easy);
			hc->idle[hc->nidle++] = x->easy;
		} else
			curl_easy_cleanup(x->easy);
	}
	if (x->ev_fail != NULL)
		event_free(x->ev_fail);
	curl_slist_free_all(x->hdrs);
	http_request_free(&x->req);
	buf_free(&x->resp);
	free((char *)x->msg.id);
	free((char *)x->msg.to);
	free((char *)x->msg.text);
	free((char *)x->msg.signature);
	free(x->fail_error);
	free(x);
}

/* Hand a result to the caller and forget the transfer. */
static void
http_report(struct http_xfer *x, const struct channel_result *r)
{
	struct http_chan	*hc = x->hc;
	char			 masked[PHONE_BUFSIZE];

	TAILQ_REMOVE(&hc->xfers, x, entry);
	hc->inflight--;
	phone_mask(x->msg.to, masked);
	log_debug("channel %s: %s to %s: %s%s%s", http_id(hc), x->msg.id,
	    masked, channel_result_name(r->result),
	    r->error != NULL ? ": " : "", r->error != NULL ? r->error : "");
	x->cb(x->arg, &x->msg, r);
	http_xfer_free(x);
}

/*
 * Was the whole request written to the socket?
 *
 * Why this matters: once the provider has the complete request it may
 * act on it (and send the SMS) even if we never see its answer, so a
 * timeout or a reset after that point is SEND_UNKNOWN and must not be
 * retried blindly; before it, the provider cannot have acted (an HTTP
 * server does not process half a request), so it is SEND_TEMPFAIL.
 *
 * PRETRANSFER time is 0 until the connection (and TLS) is up and curl
 * starts sending.  For a body, curl counts every body byte it writes in
 * SIZE_UPLOAD, including a small body sent in one piece with the
 * headers, so the request is complete when that reaches the body length.
 * Without a body (GET) there is no such counter for the header bytes:
 * once sending started the request is taken as sent, erring towards
 * UNKNOWN (an operator looks) rather than a duplicate SMS.
 */
static int
http_request_sent(struct http_xfer *x)
{
	curl_off_t	pre = 0, up = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T,
	    &pre) != CURLE_OK || pre == 0)
		return (0);
	if (x->body_len == 0)
		return (1);
	if (curl_easy_getinfo(x->easy, CURLINFO_SIZE_UPLOAD_T,
	    &up) != CURLE_OK)
		return (1);
	return (up >= (curl_off_t)x->body_len);
}

/* A transfer curl has finished with, successfully or not. */
static void
http_xfer_done(struct http_xfer *x, CURLcode res)
{
	struct channel_result	 r;
	long			 status = 0;
	char			*ref = NULL, *error = NULL;

	memset(&r, 0, sizeof r);
	r.retry_after = -1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);

	/*
	 * A final status line means the provider answered: its status
	 * decides, even if the body was then cut short (a 200 whose body
	 * times out was still accepted).
	 */
	if (status >= 200) {
		r.result = prov_generic_classify(status,
		    x->retry_after[0] != '\0' ? x->retry_after : NULL,
		    x->resp.data, x->resp.len, &r.retry_after, &ref, &error);
		r.provider_ref = ref;
		r.error = error;
		if (res != CURLE_OK && r.result == SEND_OK)
			log_debug("channel %s: %s: accepted, then %s",
			    http_id(x->hc), x->msg.id,
			    curl_easy_strerror(res));
		http_report(x, &r);
		free(ref);
		free(error);
		return;
	}

	switch (res) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		/* Never connected: nothing can have reached the provider. */
		r.result = SEND_TEMPFAIL;
		break;
	default:
		r.result = http_request_sent(x) ? SEND_UNKNOWN : SEND_TEMPFAIL;
		break;
	}
	if (res == CURLE_OK)	/* no status and no error: not HTTP at all */
		xasprintf(&error, "no HTTP response");
	else if (x->errbuf[0] != '\0')
		xasprintf(&error, "%s (%s)", curl_easy_strerror(res),
		    x->errbuf);
	else
		error = xstrdup(curl_easy_strerror(res));
	if (r.result == SEND_UNKNOWN) {
		free(ref);
		xasprintf(&ref, "%s after the request was sent", error);
		free(error);
		error = ref;
		ref = NULL;
	}
	r.error = error;
	http_report(x, &r);
	free(error);
}

/* Collect finished transfers; stops if a callback killed the channel. */
static void
http_check_info(struct http_chan *hc)
{
	struct http_xfer	*x;
	CURLMsg			*m;
	int			 left;

	while (!hc->dying && (m = curl_multi_info_read(hc->multi,
	    &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x == NULL)
			continue;
		http_xfer_done(x, m->data.result);
	}
}

static void
http_action(struct http_chan *hc, curl_socket_t fd, int what)
{
	CURLMcode	mc;

	http_enter(hc);
	mc = curl_multi_socket_action(hc->multi, fd, what, &hc->running);
	if (mc != CURLM_OK && mc != CURLM_BAD_SOCKET)
		log_warnx("channel %s: curl_multi_socket_action: %s",
		    http_id(hc), curl_multi_strerror(mc));
	http_check_info(hc);
	http_leave(hc);
}

/* libevent: a watched socket is ready. */
static void
http_event_cb(evutil_socket_t fd, short what, void *arg)
{
	int	action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	http_action(arg, fd, action);
}

/* libevent: curl's timer expired. */
static void
http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	http_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: only arm the timer, never call back into curl. */
static int
http_curl_timer(CURLM *multi, long ms, void *arg)
{
	struct http_chan	*hc = arg;

	if (ms < 0) {
		evtimer_del(hc->timer);
		return (0);
	}
	util_timer_ms(hc->timer, ms);
	return (0);
}

static void
http_sock_free(struct http_sock *s)
{
	TAILQ_REMOVE(&s->hc->socks, s, entry);
	event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget a socket. */
static int
http_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct http_chan	*hc = arg;
	struct http_sock	*s = sockp;
	short			 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			http_sock_free(s);
		return (0);
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->hc = hc;
		s->fd = fd;
		s->ev = event_new(hc->base, fd, kind, http_event_cb, hc);
		if (s->ev == NULL)
			fatalx("event_new failed");
		TAILQ_INSERT_TAIL(&hc->socks, s, entry);
		curl_multi_assign(hc->multi, fd, s);
	} else {
		event_del(s->ev);
		event_assign(s->ev, hc->base, fd, kind, http_event_cb, hc);
	}
	event_add(s->ev, NULL);
	return (0);
}

/* CURLOPT_WRITEFUNCTION: keep up to 64 KiB, swallow the rest. */
static size_t
http_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;

	/*
	 * Past the cap the bytes are dropped, not refused: refusing would
	 * abort the transfer and close a good keep-alive connection, and
	 * the status line has already said what happened.
	 */
	if (!x->truncated && buf_add(&x->resp, p, size * n) != 0)
		x->truncated = 1;
	return (size * n);
}

/* CURLOPT_HEADERFUNCTION: remember Retry-After. */
static size_t
http_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 len = size * n, k;
	static const char	 name[] = "Retry-After:";

	/* A new status line (after a 1xx) starts a new set of headers. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->retry_after[0] = '\0';
		return (len);
	}
	k = sizeof name - 1;
	if (len > k && strncasecmp(p, name, k) == 0) {
		p += k;
		len -= k;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		    p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len >= sizeof x->retry_after)
			len = sizeof x->retry_after - 1;
		memcpy(x->retry_after, p, len);
		x->retry_after[len] = '\0';
	}
	return (size * n);
}

/* libevent: report a transfer that failed before curl had it. */
static void
http_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_xfer	*x = arg;
	struct http_chan	*hc = x->hc;
	struct channel_result	 r;

	memset(&r, 0, sizeof r);
	/*
	 * TEMPFAIL, not PERMFAIL: the fault is this channel's (a template
	 * or curl set-up), not the message's, and another channel may send
	 * it.
	 */
	r.result = SEND_TEMPFAIL;
	r.retry_after = -1;
	r.error = x->fail_error;
	http_enter(hc);
	http_report(x, &r);
	http_leave(hc);
}

static int
http_setup(struct http_xfer *x, char **cause)
{
	struct http_chan	*hc = x->hc;
	CURL			*e;
	CURLMcode		 mc;
	long			 connect_ms;
	size_t			 i;

	if (hc->nidle > 0)
		e = hc->idle[--hc->nidle];
	else if ((e = curl_easy_init()) == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		return (-1);
	}
	x->easy = e;

	for (i = 0; i < x->req.nheaders; i++)
		x->hdrs = curl_slist_append(x->hdrs, x->req.headers[i]);
	/* No "Expect: 100-continue" round trip before a large body. */
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");

	connect_ms = hc->timeout * 1000;
	if (connect_ms > HTTP_CONNECT_MAX)
		connect_ms = HTTP_CONNECT_MAX;
	curl_easy_setopt(e, CURLOPT_URL, x->req.url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, hc->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (strcmp(x->req.method, "POST") == 0) {
		x->body_len = strlen(x->req.body);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->req.body);
	} else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);

	/*
	 * Adding only arms curl's timer (through http_curl_timer): the
	 * transfer starts, and can finish, from the loop, never in here.
	 */
	if ((mc = curl_multi_add_handle(hc->multi, e)) != CURLM_OK) {
		xasprintf(cause, "curl_multi_add_handle: %s",
		    curl_multi_strerror(mc));
		curl_easy_cleanup(e);
		x->easy = NULL;
		return (-1);
	}
	return (0);
}

/* Start sending msg; -1 when no slot is free. */
static int
http_send(struct channel *ch, const struct channel_msg *msg,
    channel_done_cb *cb, void *arg)
{
	struct http_chan	*hc = ch->priv;
	struct http_xfer	*x;
	char			*cause = NULL;

	if (hc == NULL || hc->dying || hc->inflight >= hc->concurrency)
		return (-1);

	x = xcalloc(1, sizeof *x);
	x->hc = hc;
	x->cb = cb;
	x->arg = arg;
	x->msg.id = xstrdup(msg->id != NULL ? msg->id : "");
	x->msg.to = xstrdup(msg->to != NULL ? msg->to : "");
	x->msg.text = xstrdup(msg->text != NULL ? msg->text : "");
	x->msg.signature = xstrdup(msg->signature != NULL ?
	    msg->signature : "");
	buf_init(&x->resp, HTTP_BODY_MAX);
	TAILQ_INSERT_TAIL(&hc->xfers, x, entry);
	hc->inflight++;

	if (prov_generic_request(ch->conf, &x->msg, &x->req, &cause) != 0 ||
	    http_setup(x, &cause) != 0) {
		xasprintf(&x->fail_error, "channel %s: %s", http_id(hc),
		    cause);
		free(cause);
		x->ev_fail = evtimer_new(hc->base, http_fail_cb, x);
		if (x->ev_fail == NULL)
			fatalx("evtimer_new failed");
		event_active(x->ev_fail, EV_TIMEOUT, 1);
	}
	return (0);
}

/* How many more messages send() would take now. */
static size_t
http_capacity(struct channel *ch)
{
	struct http_chan	*hc = ch->priv;

	if (hc == NULL || hc->dying || hc->inflight >= hc->concurrency)
		return (0);
	return (hc->concurrency - hc->inflight);
}

/* Messages handed over and not done yet. */
static size_t
http_inflight(struct channel *ch)
{
	struct http_chan	*hc = ch->priv;

	return (hc != NULL ? hc->inflight : 0);
}

static void
http_free(struct http_chan *hc)
{
	struct http_xfer	*x;
	struct http_sock	*s;

	while ((x = TAILQ_FIRST(&hc->xfers)) != NULL) {
		TAILQ_REMOVE(&hc->xfers, x, entry);
		http_xfer_free(x);
	}
	while (hc->nidle > 0)
		curl_easy_cleanup(hc->idle[--hc->nidle]);
	/* Closing cached connections may still call the socket callback. */
	curl_multi_cleanup(hc->multi);
	while ((s = TAILQ_FIRST(&hc->socks)) != NULL)
		http_sock_free(s);
	event_free(hc->timer);
	free(hc->idle);
	free(hc);
}

/* Abandon everything in flight (done is not called) and free. */
static void
http_fini(struct channel *ch)
{
	struct http_chan	*hc = ch->priv;

	if (hc == NULL)
		return;
	ch->priv = NULL;
	hc->dying = 1;
	if (hc->depth == 0)
		http_free(hc);
	/* Else the outermost libevent entry frees it (http_leave). */
}

/* Set up the channel on base; -1 with cause. */
static int
http_init(struct channel *ch, struct event_base *base, char **cause)
{
	const struct conf_channel	*cc = ch->conf;
	struct http_chan		*hc;
	CURLcode			 rc;

	/*
	 * curl_global_init() once per process, here rather than in main():
	 * http.c is libcurl's only user, and channels are created at
	 * start-up before the daemon does anything else, single-threaded.
	 * curl_global_cleanup() is never called: exit releases it all.
	 */
	if (!http_curl_ready) {
		if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
			xasprintf(cause, "curl_global_init: %s",
			    curl_easy_strerror(rc));
			return (-1);
		}
		http_curl_ready = 1;
	}
	if (cc->url == NULL) {
		xasprintf(cause, "channel %s: no url", cc->id);
		return (-1);
	}

	hc = xcalloc(1, sizeof *hc);
	hc->ch = ch;
	hc->base = base;
	hc->concurrency = cc->concurrency > 0 ? (size_t)cc->concurrency : 1;
	hc->timeout = cc->timeout > 0 ? cc->timeout : HTTP_TIMEOUT_DEFAULT;
	hc->idle = xreallocarray(NULL, hc->concurrency, sizeof *hc->idle);
	TAILQ_INIT(&hc->xfers);
	TAILQ_INIT(&hc->socks);
	if ((hc->timer = evtimer_new(base, http_timer_cb, hc)) == NULL)
		fatalx("evtimer_new failed");
	if ((hc->multi = curl_multi_init()) == NULL) {
		event_free(hc->timer);
		free(hc->idle);
		free(hc);
		xasprintf(cause, "channel %s: curl_multi_init failed", cc->id);
		return (-1);
	}
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETFUNCTION,
	    http_curl_socket);
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETDATA, hc);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERFUNCTION, http_curl_timer);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERDATA, hc);
	curl_multi_setopt(hc->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)hc->concurrency);
	/* Keep as many idle connections as we may use at once. */
	curl_multi_setopt(hc->multi, CURLMOPT_MAXCONNECTS,
	    (long)hc->concurrency);
	ch->priv = hc;
	log_debug("channel %s: http, concurrency %zu, timeout %lds",
	    http_id(hc), hc->concurrency, hc->timeout);
	return (0);
}

const struct channel_ops http_channel_ops = {
	.type = "http",
	.init = http_init,
	.send = http_send,
	.capacity = http_capacity,
	.inflight = http_inflight,
	.fini = http_fini
};
