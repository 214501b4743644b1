/*
 * rawclient.c: the baseline for HTTP delivery throughput.
 *
 * usage: rawclient -u URL [-n REQUESTS] [-c CONCURRENCY]
 *	      [--to 13800138000] [--text TEXT]
 *
 * POSTs REQUESTS form bodies "to=...&text=...&ref=rN" to URL, CONCURRENCY
 * at a time, over kept-alive connections, with nothing but libcurl's
 * multi interface and curl_multi_poll(): no civicast code, no libevent.
 * Prints the elapsed time, requests/s and how many answers were 2xx.
 * Compare with tests/chansend (the daemon's http channel) against the
 * same tests/mockprov:
 *
 *	mockprov -p 0 -f port -l /dev/null &
 *	rawclient -u http://127.0.0.1:$(cat port)/send -n 20000 -c 32
 *	chansend -u http://127.0.0.1:$(cat port)/send -n 20000 -c 32
 *
 * Build: cc -O2 -o rawclient bench/rawclient.c $(pkg-config --cflags
 * --libs libcurl)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <curl/curl.h>

struct slot {
	CURL		*easy;
	char		 body[1024];
};

static unsigned long	 started, finished, ok2xx, failed;

static long long
now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return (size * n);
}

static void
start(CURLM *multi, struct slot *s, const char *url, const char *to,
    const char *text)
{
	started++;
	snprintf(s->body, sizeof s->body, "to=%s&text=%s&ref=r%lu", to, text,
	    started);
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	curl_multi_add_handle(multi, s->easy);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 'R' },
		{ "text", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*url = NULL, *to = "13800138000";
	const char	*text = "civicast%20rawclient";
	struct slot	*slots, *s;
	unsigned long	 n = 1000, c = 32, i;
	CURLM		*multi;
	CURLMsg		*m;
	long long	 t0, elapsed;
	long		 status;
	int		 ch, running, left;

	while ((ch = getopt_long(argc, argv, "c:n:u:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			c = strtoul(optarg, NULL, 10);
			break;
		case 'R':
			to = optarg;
			break;
		case 'X':
			text = optarg;	/* sent as given: URL-encode it */
			break;
		default:
			fprintf(stderr, "usage: rawclient -u URL [-n N] "
			    "[-c C] [--to NUMBER] [--text ENCODED]\n");
			return (2);
		}
	}
	if (url == NULL || n == 0 || c == 0) {
		fprintf(stderr, "usage: rawclient -u URL [-n N] [-c C]\n");
		return (2);
	}
	if (c > n)
		c = n;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	/* Same limits as the http channel: c connections, all kept. */
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)c);
	slots = calloc(c, sizeof *slots);
	if (slots == NULL)
		return (1);

	t0 = now_ms();
	for (i = 0; i < c; i++) {
		slots[i].easy = curl_easy_init();
		start(multi, &slots[i], url, to, text);
	}
	do {
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			status = 0;
			curl_easy_getinfo(m->easy_handle,
			    CURLINFO_RESPONSE_CODE, &status);
			if (m->data.result == CURLE_OK && status >= 200 &&
			    status <= 299)
				ok2xx++;
			else
				failed++;
			finished++;
			curl_multi_remove_handle(multi, s->easy);
			if (started < n) {
				start(multi, s, url, to, text);
				running++;
			}
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	} while (running > 0 || finished < started);
	elapsed = now_ms() - t0;

	printf("rawclient: %lu requests, concurrency %lu, %lu 2xx, %lu failed, "
	    "elapsed_ms %lld, rate %.0f/s\n", finished, c, ok2xx, failed,
	    elapsed, elapsed > 0 ? finished * 1000.0 / elapsed :
	    (double)finished);
	for (i = 0; i < c; i++)
		curl_easy_cleanup(slots[i].easy);
	free(slots);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return (failed != 0);
}
