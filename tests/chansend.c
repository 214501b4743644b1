/*
 * chansend.c: drive one http channel without the daemon.
 *
 * usage: chansend -u URL [-b BODY] [-t CONTENT_TYPE] [-m GET|POST]
 *	      [-H "Name: value"]... [-c CONCURRENCY] [-T TIMEOUT_S]
 *	      [-n COUNT] [--to 13800138000] [--text TEXT] [--sig SIGNATURE]
 *	      [-v]
 *
 * Builds a struct conf_channel in memory (no config file), runs the
 * channel on its own event_base and sends COUNT messages, refs m1..mN,
 * keeping every slot busy.  Prints one line per result:
 *
 *	<ref> ok|tempfail|permfail|unknown <provider_ref|-> <retry_ms> <error|->
 *
 * and a summary "# N results ... elapsed_ms E rate R/s".  Exit 0 when every
 * result came back.  Without -b the body is the usual form
 * "to=${to}&text=${text}&ref=${ref}".
 */
#include "compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "channel.h"
#include "conf.h"
#include "drivers.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct run {
	struct channel		 ch;
	struct event_base	*base;
	unsigned long		 count;
	unsigned long		 next;		/* messages started */
	unsigned long		 results;
	unsigned long		 by[4];		/* per enum send_result */
	const char		*to;
	const char		*text;
	const char		*sig;
	int			 fill_failed;
};

static void	fill(struct run *);

static void
usage(FILE *f)
{
	fprintf(f, "usage: chansend -u URL [-b BODY] [-t CONTENT_TYPE] "
	    "[-m GET|POST] [-H HEADER]...\n"
	    "\t[-c CONCURRENCY] [-T TIMEOUT_S] [-n COUNT] "
	    "[--to NUMBER] [--text TEXT]\n\t[--sig SIGNATURE] [-v]\n");
}

static long long
number(const char *s, long long min, long long max, const char *what)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "chansend: %s \"%s\" is %s\n", what, s,
		    errstr);
		exit(2);
	}
	return (v);
}

static void
done(void *arg, const struct channel_msg *msg, const struct channel_result *r)
{
	struct run	*run = arg;

	printf("%s %s %s %ld %s\n", msg->id, channel_result_name(r->result),
	    r->provider_ref != NULL ? r->provider_ref : "-", r->retry_after,
	    r->error != NULL ? r->error : "-");
	if ((size_t)r->result < nitems(run->by))
		run->by[r->result]++;
	if (++run->results == run->count)
		event_base_loopbreak(run->base);
	else
		fill(run);
}

/* Hand the channel as many messages as it takes. */
static void
fill(struct run *run)
{
	struct channel_msg	 msg;
	char			 id[32];

	while (run->next < run->count &&
	    run->ch.ops->capacity(&run->ch) > 0) {
		snprintf(id, sizeof id, "m%lu", run->next + 1);
		msg.id = id;
		msg.to = run->to;
		msg.text = run->text;
		msg.signature = run->sig;
		if (run->ch.ops->send(&run->ch, &msg, done, run) != 0) {
			/* capacity() said yes: a broken channel. */
			run->fill_failed = 1;
			event_base_loopbreak(run->base);
			return;
		}
		run->next++;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 'R' },
		{ "text", required_argument, NULL, 'X' },
		{ "sig", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf_channel	 cc;
	struct run		 run;
	char			*cause;
	long long		 start, elapsed;
	int			 c, verbose = 0;

	memset(&cc, 0, sizeof cc);
	memset(&run, 0, sizeof run);
	cc.id = xstrdup("chansend");
	cc.type = CHANNEL_HTTP;
	cc.driver = xstrdup("generic");
	cc.method = xstrdup("POST");
	cc.concurrency = 8;
	cc.timeout = 10;
	run.count = 1;
	run.to = "13800138000";
	run.text = "civicast chansend test";
	run.sig = "";

	while ((c = getopt_long(argc, argv, "b:c:H:hm:n:T:t:u:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'u':
			free(cc.url);
			cc.url = xstrdup(optarg);
			break;
		case 'b':
			free(cc.body);
			cc.body = xstrdup(optarg);
			break;
		case 't':
			free(cc.content_type);
			cc.content_type = xstrdup(optarg);
			break;
		case 'm':
			free(cc.method);
			cc.method = xstrdup(optarg);
			break;
		case 'H':
			cc.headers = xreallocarray(cc.headers, cc.nheaders + 1,
			    sizeof *cc.headers);
			cc.headers[cc.nheaders++] = xstrdup(optarg);
			break;
		case 'c':
			cc.concurrency = (int)number(optarg, 1, 1024,
			    "concurrency");
			break;
		case 'T':
			cc.timeout = (int)number(optarg, 1, 300, "timeout");
			break;
		case 'n':
			run.count = (unsigned long)number(optarg, 1,
			    100000000, "count");
			break;
		case 'R':
			run.to = optarg;
			break;
		case 'X':
			run.text = optarg;
			break;
		case 'S':
			run.sig = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (cc.url == NULL || optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (cc.body == NULL && strcmp(cc.method, "POST") == 0)
		cc.body = xstrdup("to=${to}&text=${text}&ref=${ref}");

	log_init(1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, "chansend");
	if ((run.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	run.ch.conf = &cc;
	if ((run.ch.ops = drivers_find("http")) == NULL)
		fatalx("no http channel type");
	if (run.ch.ops->init(&run.ch, run.base, &cause) != 0)
		fatalx("%s", cause);

	start = util_now_ms();
	fill(&run);
	event_base_dispatch(run.base);
	elapsed = util_now_ms() - start;

	printf("# %lu results of %lu: ok %lu tempfail %lu permfail %lu "
	    "unknown %lu; concurrency %d elapsed_ms %lld rate %.0f/s\n",
	    run.results, run.count, run.by[SEND_OK], run.by[SEND_TEMPFAIL],
	    run.by[SEND_PERMFAIL], run.by[SEND_UNKNOWN], cc.concurrency,
	    elapsed, elapsed > 0 ? run.results * 1000.0 / elapsed :
	    (double)run.results);
	fflush(stdout);

	run.ch.ops->fini(&run.ch);
	event_base_free(run.base);
	free(cc.id);
	free(cc.driver);
	free(cc.method);
	free(cc.url);
	free(cc.body);
	free(cc.content_type);
	while (cc.nheaders > 0)
		free(cc.headers[--cc.nheaders]);
	free(cc.headers);
	return (run.results == run.count && !run.fill_failed ? 0 : 1);
}
