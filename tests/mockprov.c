/*
 * mockprov.c: a mock HTTP SMS provider for the tests and benchmarks.
 *
 * usage: mockprov -p PORT|0 -l LOG.jsonl [-f PORTFILE] [--latency MS]
 *	      [--script "503x5,200"] [--retry-after VALUE]
 *	      [--fail-phone NUMBER:STATUS]...
 *
 * Listens on 127.0.0.1 (port 0: any free one, written to PORTFILE) and
 * answers every request per the script: "503x5,200" is five 503s, then
 * 200 for ever (the last entry repeats; default "200").  A 2xx carries
 * {"id":"mock-N"}; anything else {"error":"mock STATUS"} and, with
 * --retry-after, a Retry-After header.  --fail-phone answers STATUS for
 * a request whose "to" is NUMBER, whatever the script says.  Replies wait
 * --latency ms on a timer per request, so slow replies overlap.
 *
 * Every request is one JSON line in the log, flushed at once: time_ms,
 * n, conn (serial of the TCP connection), concurrent (requests being
 * answered, this one included), method, uri, content_type, body, and the
 * decoded to/text/ref of a form body, a query string or a JSON body.  At
 * exit (SIGTERM, SIGINT) a last line {"event":"exit", requests,
 * connections, max_concurrent}.
 */
#include "compat.h"

#include <sys/queue.h>
#include <sys/time.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

struct step {
	int		 status;
	unsigned long	 count;		/* 0: for ever */
};

struct failphone {
	char		*number;
	int		 status;
};

/* A TCP connection we have seen a request on. */
struct conn {
	struct evhttp_connection *evcon;
	ev_uint16_t		  peer_port;
	unsigned long		  serial;
	LIST_ENTRY(conn)	  entry;
};

/* A request waiting for its latency to pass. */
struct pending {
	struct evhttp_request	*req;
	struct event		*ev;
	int			 status;
	unsigned long		 n;
	LIST_ENTRY(pending)	 entry;
};

static struct event_base	*base;
static FILE			*jlog;
static struct step		*steps;
static size_t			 nsteps;
static struct failphone		*fails;
static size_t			 nfails;
static long			 latency;		/* ms */
static const char		*retry_after;
static unsigned long		 nrequests, nconns, concurrent;
static unsigned long		 max_concurrent;
static LIST_HEAD(, conn)	 conns = LIST_HEAD_INITIALIZER(conns);
static LIST_HEAD(, pending)	 pendings = LIST_HEAD_INITIALIZER(pendings);

static void
usage(FILE *f)
{
	fprintf(f, "usage: mockprov -p PORT|0 -l LOG.jsonl [-f PORTFILE] "
	    "[--latency MS]\n"
	    "\t[--script \"503x5,200\"] [--retry-after VALUE] "
	    "[--fail-phone NUMBER:STATUS]...\n");
}

static long long
now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

static long long
number(const char *s, long long min, long long max, const char *what)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "mockprov: %s \"%s\" is %s\n", what, s,
		    errstr);
		exit(2);
	}
	return (v);
}

static void
parse_script(const char *s)
{
	char	*copy, *p, *item, *x;

	copy = strdup(s);
	for (p = copy; (item = strsep(&p, ",")) != NULL;) {
		if (*item == '\0')
			continue;
		steps = reallocarray(steps, nsteps + 1, sizeof *steps);
		if (steps == NULL)
			abort();
		if ((x = strchr(item, 'x')) != NULL)
			*x++ = '\0';
		steps[nsteps].status = (int)number(item, 100, 599, "status");
		steps[nsteps].count = x != NULL ?
		    (unsigned long)number(x, 1, 1000000000, "count") : 1;
		nsteps++;
	}
	free(copy);
	if (nsteps == 0) {
		fprintf(stderr, "mockprov: empty script\n");
		exit(2);
	}
	steps[nsteps - 1].count = 0;
}

/* The status the script gives request n (counting from 0). */
static int
script_status(unsigned long n)
{
	size_t	i;

	for (i = 0; i < nsteps; i++) {
		if (steps[i].count == 0 || n < steps[i].count)
			return (steps[i].status);
		n -= steps[i].count;
	}
	return (steps[nsteps - 1].status);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn	*c = arg;

	LIST_REMOVE(c, entry);
	free(c);
}

/* The serial of the request's connection, counting new ones. */
static unsigned long
conn_serial(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct conn			*c;
	char				*addr;
	ev_uint16_t			 peer_port = 0;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return (0);
	/*
	 * The client's port with the pointer: libevent does not call the
	 * close callback on every path that frees a connection, and a new
	 * one may get the old one's address.
	 */
	evhttp_connection_get_peer(evcon, &addr, &peer_port);
	LIST_FOREACH(c, &conns, entry) {
		if (c->evcon == evcon && c->peer_port == peer_port)
			return (c->serial);
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		abort();
	c->evcon = evcon;
	c->peer_port = peer_port;
	c->serial = ++nconns;
	LIST_INSERT_HEAD(&conns, c, entry);
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	return (c->serial);
}

/* Add to, text and ref from a form string (body or query) to o. */
static void
form_fields(json_t *o, const char *s)
{
	static const char	*keys[] = { "to", "text", "ref" };
	struct evkeyvalq	 q;
	const char		*v;
	size_t			 i;

	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(s, &q) != 0)
		return;
	for (i = 0; i < nitems(keys); i++) {
		if ((v = evhttp_find_header(&q, keys[i])) != NULL)
			json_object_set_new(o, keys[i], json_string(v));
	}
	evhttp_clear_headers(&q);
}

static void
json_fields(json_t *o, const char *body)
{
	static const char	*keys[] = { "to", "text", "ref" };
	json_t			*root, *v;
	json_error_t		 jerr;
	size_t			 i;

	if ((root = json_loads(body, 0, &jerr)) == NULL)
		return;
	for (i = 0; i < nitems(keys); i++) {
		v = json_object_get(root, keys[i]);
		if (json_is_string(v))
			json_object_set(o, keys[i], v);
	}
	json_decref(root);
}

static void
reply(struct pending *p)
{
	struct evbuffer	*out;

	out = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(p->req),
	    "Content-Type", "application/json");
	if (p->status >= 200 && p->status <= 299)
		evbuffer_add_printf(out, "{\"id\":\"mock-%lu\"}", p->n);
	else {
		evbuffer_add_printf(out, "{\"error\":\"mock %d\"}", p->status);
		if (retry_after != NULL)
			evhttp_add_header(evhttp_request_get_output_headers(
			    p->req), "Retry-After", retry_after);
	}
	/* If the client has gone, libevent frees the request in here. */
	evhttp_send_reply(p->req, p->status, "Mock", out);
	evbuffer_free(out);
	concurrent--;
	LIST_REMOVE(p, entry);
	if (p->ev != NULL)
		event_free(p->ev);
	free(p);
}

static void
latency_cb(evutil_socket_t fd, short what, void *arg)
{
	reply(arg);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer		*in;
	struct pending		*p;
	const char		*ctype, *uri, *q, *method, *to;
	json_t			*o;
	char			*body, *line;
	size_t			 len, i;
	struct timeval		 tv;

	if ((p = calloc(1, sizeof *p)) == NULL)
		abort();
	p->req = req;
	LIST_INSERT_HEAD(&pendings, p, entry);
	p->n = ++nrequests;
	p->status = script_status(p->n - 1);
	if (++concurrent > max_concurrent)
		max_concurrent = concurrent;

	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if ((body = malloc(len + 1)) == NULL)
		abort();
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	uri = evhttp_request_get_uri(req);
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		method = "GET";
		break;
	case EVHTTP_REQ_POST:
		method = "POST";
		break;
	default:
		method = "OTHER";
		break;
	}

	o = json_object();
	json_object_set_new(o, "time_ms", json_integer(now_ms()));
	json_object_set_new(o, "n", json_integer((json_int_t)p->n));
	json_object_set_new(o, "conn", json_integer(
	    (json_int_t)conn_serial(req)));
	json_object_set_new(o, "concurrent", json_integer(
	    (json_int_t)concurrent));
	json_object_set_new(o, "method", json_string(method));
	json_object_set_new(o, "uri", json_string(uri));
	json_object_set_new(o, "content_type", ctype != NULL ?
	    json_string(ctype) : json_null());
	json_object_set_new(o, "body", json_stringn(body, len));
	if ((q = strchr(uri, '?')) != NULL)
		form_fields(o, q + 1);
	if (len > 0 && (ctype == NULL || strncasecmp(ctype,
	    "application/x-www-form-urlencoded", 33) == 0))
		form_fields(o, body);
	else if (len > 0 && strcasestr(ctype, "json") != NULL)
		json_fields(o, body);
	if ((to = json_string_value(json_object_get(o, "to"))) != NULL) {
		for (i = 0; i < nfails; i++) {
			if (strcmp(to, fails[i].number) == 0)
				p->status = fails[i].status;
		}
	}
	json_object_set_new(o, "status", json_integer(p->status));
	if ((line = json_dumps(o, JSON_COMPACT)) != NULL) {
		fprintf(jlog, "%s\n", line);
		fflush(jlog);
		free(line);
	}
	json_decref(o);
	free(body);

	if (latency <= 0) {
		reply(p);
		return;
	}
	p->ev = evtimer_new(base, latency_cb, p);
	tv.tv_sec = latency / 1000;
	tv.tv_usec = (latency % 1000) * 1000;
	evtimer_add(p->ev, &tv);
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "latency", required_argument, NULL, 'L' },
		{ "script", required_argument, NULL, 's' },
		{ "retry-after", required_argument, NULL, 'r' },
		{ "fail-phone", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct evhttp_bound_socket	*bound;
	struct evhttp			*http;
	struct event			*ev_term, *ev_int;
	struct sockaddr_storage		 ss;
	struct pending			*p;
	struct conn			*c;
	socklen_t			 sslen = sizeof ss;
	const char			*logpath = NULL, *portfile = NULL;
	char				*colon;
	FILE				*f;
	int				 ch, port = -1;

	while ((ch = getopt_long(argc, argv, "f:hl:p:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'p':
			port = (int)number(optarg, 0, 65535, "port");
			break;
		case 'l':
			logpath = optarg;
			break;
		case 'f':
			portfile = optarg;
			break;
		case 'L':
			latency = (long)number(optarg, 0, 3600000, "latency");
			break;
		case 's':
			parse_script(optarg);
			break;
		case 'r':
			retry_after = optarg;
			break;
		case 'F':
			if ((colon = strrchr(optarg, ':')) == NULL) {
				usage(stderr);
				return (2);
			}
			fails = reallocarray(fails, nfails + 1, sizeof *fails);
			if (fails == NULL)
				abort();
			fails[nfails].number = strndup(optarg,
			    (size_t)(colon - optarg));
			fails[nfails].status = (int)number(colon + 1, 100, 599,
			    "status");
			nfails++;
			break;
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (port < 0 || logpath == NULL || optind != argc) {
		usage(stderr);
		return (2);
	}
	if (nsteps == 0)
		parse_script("200");
	if ((jlog = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "mockprov: %s: %s\n", logpath,
		    strerror(errno));
		return (1);
	}

	/* A client that resets its connection must not kill us. */
	{
		struct sigaction	sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
	if ((base = event_base_new()) == NULL ||
	    (http = evhttp_new(base)) == NULL) {
		fprintf(stderr, "mockprov: libevent set-up failed\n");
		return (1);
	}
	evhttp_set_gencb(http, request_cb, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, 1 << 20);
	evhttp_set_timeout(http, 60);
	if ((bound = evhttp_bind_socket_with_handle(http, "127.0.0.1",
	    (ev_uint16_t)port)) == NULL) {
		fprintf(stderr, "mockprov: cannot listen on 127.0.0.1:%d\n",
		    port);
		return (1);
	}
	if (getsockname(evhttp_bound_socket_get_fd(bound),
	    (struct sockaddr *)&ss, &sslen) != 0) {
		fprintf(stderr, "mockprov: getsockname: %s\n",
		    strerror(errno));
		return (1);
	}
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (portfile != NULL) {
		/* Written whole, then renamed: a reader never sees half. */
		char	tmp[4096];

		snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
		if ((f = fopen(tmp, "w")) == NULL) {
			fprintf(stderr, "mockprov: %s: %s\n", tmp,
			    strerror(errno));
			return (1);
		}
		fprintf(f, "%d\n", port);
		if (fclose(f) != 0 || rename(tmp, portfile) != 0) {
			fprintf(stderr, "mockprov: %s: %s\n", portfile,
			    strerror(errno));
			return (1);
		}
	}

	ev_term = evsignal_new(base, SIGTERM, stop_cb, NULL);
	ev_int = evsignal_new(base, SIGINT, stop_cb, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);

	event_base_dispatch(base);

	fprintf(jlog, "{\"event\":\"exit\",\"requests\":%lu,"
	    "\"connections\":%lu,\"max_concurrent\":%lu}\n", nrequests,
	    nconns, max_concurrent);
	fclose(jlog);
	/* Requests still waiting are dropped; evhttp_free frees them. */
	while ((p = LIST_FIRST(&pendings)) != NULL) {
		LIST_REMOVE(p, entry);
		if (p->ev != NULL)
			event_free(p->ev);
		free(p);
	}
	event_free(ev_term);
	event_free(ev_int);
	evhttp_free(http);
	while ((c = LIST_FIRST(&conns)) != NULL) {
		LIST_REMOVE(c, entry);
		free(c);
	}
	event_base_free(base);
	free(steps);
	while (nfails > 0)
		free(fails[--nfails].number);
	free(fails);
	return (0);
}
