/*
 * test-prov.c: the generic provider's requests and classification.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conf.h"
#include "http.h"

static const struct channel_msg msg_cn = {
	.id = "b1-42",
	.to = "13800138000",
	.text = "【民政局】暴雨 a&b=c+d/e?f 100%",
	.signature = "【民政局】"
};

static void
chan_init(struct conf_channel *cc, const char *method, const char *url,
    const char *body, const char *ctype)
{
	memset(cc, 0, sizeof *cc);
	cc->id = (char *)"t";
	cc->method = (char *)method;
	cc->url = (char *)url;
	cc->body = (char *)body;
	cc->content_type = (char *)ctype;
}

/* The request's header with this name (case as given), or NULL. */
static const char *
header(const struct http_request *req, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < req->nheaders; i++) {
		if (strncmp(req->headers[i], name, n) == 0 &&
		    req->headers[i][n] == ':')
			return (req->headers[i] + n + 2);
	}
	return (NULL);
}

static void
test_form(void **state)
{
	struct conf_channel	 cc;
	struct http_request	 req;
	char			*cause;

	chan_init(&cc, "POST", "https://sms.example/send?ref=${ref}",
	    "to=${to}&text=${text}&sig=${signature}", NULL);
	assert_int_equal(prov_generic_request(&cc, &msg_cn, &req, &cause), 0);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.url, "https://sms.example/send?ref=b1-42");
	assert_string_equal(req.body, "to=13800138000&text="
	    "%E3%80%90%E6%B0%91%E6%94%BF%E5%B1%80%E3%80%91"
	    "%E6%9A%B4%E9%9B%A8%20a%26b%3Dc%2Bd%2Fe%3Ff%20100%25"
	    "&sig=%E3%80%90%E6%B0%91%E6%94%BF%E5%B1%80%E3%80%91");
	/* No content type configured: a form. */
	assert_string_equal(header(&req, "Content-Type"),
	    "application/x-www-form-urlencoded");
	http_request_free(&req);
}

static void
test_url_always_encoded(void **state)
{
	struct conf_channel	 cc;
	struct http_request	 req;
	struct channel_msg	 m = msg_cn;
	char			*cause;

	m.text = "x y~-._!*'();:@&=+$,/?#[]";
	chan_init(&cc, "GET", "http://h/s?to=${to}&t=${text}", "ignored",
	    "application/json");
	assert_int_equal(prov_generic_request(&cc, &m, &req, &cause), 0);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.url, "http://h/s?to=13800138000&t="
	    "x%20y~-._%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23"
	    "%5B%5D");
	/* A GET has no body, so no Content-Type either. */
	assert_null(req.body);
	assert_null(header(&req, "Content-Type"));
	http_request_free(&req);
}

static void
test_json(void **state)
{
	struct conf_channel	 cc;
	struct http_request	 req;
	struct channel_msg	 m = msg_cn;
	char			*cause;

	/* Quote, backslash, newline, tab, ESC, DEL, U+2028, Chinese. */
	m.text = "a\"b\\c\nd\te\x1b" "f\x7f" "g\xe2\x80\xa8h老";
	chan_init(&cc, "POST", "http://h/", "{\"to\":\"${to}\","
	    "\"text\":\"${text}\"}", "application/json; charset=utf-8");
	assert_int_equal(prov_generic_request(&cc, &m, &req, &cause), 0);
	assert_string_equal(req.body, "{\"to\":\"13800138000\",\"text\":"
	    "\"a\\\"b\\\\c\\u000ad\\u0009e\\u001bf\\u007fg\xe2\x80\xa8h老\"}");
	assert_string_equal(header(&req, "Content-Type"),
	    "application/json; charset=utf-8");
	http_request_free(&req);
}

static void
test_raw_and_headers(void **state)
{
	struct conf_channel	 cc;
	struct http_request	 req;
	struct channel_msg	 m = msg_cn;
	char			*cause;
	char			 h0[] = "X-Ref: ${ref}";
	char			 h1[] = "content-type: text/plain";
	char			*hdrs[] = { h0, h1 };

	m.text = "a&b \"c\"";
	chan_init(&cc, "POST", "http://h/", "${text}", "text/plain");
	cc.headers = hdrs;
	cc.nheaders = 2;
	assert_int_equal(prov_generic_request(&cc, &m, &req, &cause), 0);
	assert_string_equal(req.body, "a&b \"c\"");
	assert_string_equal(header(&req, "X-Ref"), "b1-42");
	/* The configured content-type header is not doubled. */
	assert_int_equal(req.nheaders, 2);
	http_request_free(&req);

	/* A line break must not reach a header. */
	m.id = "x\r\nEvil: 1";
	assert_int_equal(prov_generic_request(&cc, &m, &req, &cause), -1);
	assert_non_null(strstr(cause, "line break"));
	free(cause);
}

static void
test_unknown_variable(void **state)
{
	struct conf_channel	 cc;
	struct http_request	 req;
	char			*cause;

	chan_init(&cc, "POST", "http://h/", "to=${to}&x=${phone}", NULL);
	assert_int_equal(prov_generic_request(&cc, &msg_cn, &req, &cause),
	    -1);
	assert_non_null(strstr(cause, "${phone}"));
	free(cause);
	assert_null(req.url);

	chan_init(&cc, "GET", "http://h/?x=${to", NULL, NULL);
	assert_int_equal(prov_generic_request(&cc, &msg_cn, &req, &cause),
	    -1);
	assert_non_null(strstr(cause, "unterminated"));
	free(cause);

	/* A lone $ is text. */
	chan_init(&cc, "GET", "http://h/?p=$5&q={x}", NULL, NULL);
	assert_int_equal(prov_generic_request(&cc, &msg_cn, &req, &cause), 0);
	assert_string_equal(req.url, "http://h/?p=$5&q={x}");
	http_request_free(&req);
}

struct row {
	long		 status;
	const char	*retry_after;
	const char	*body;
	enum send_result want;
	const char	*ref;
	long		 retry_ms;
	const char	*error;
};

static void
test_classify(void **state)
{
	static const struct row rows[] = {
		{ 200, NULL, "{\"id\":\"abc\"}", SEND_OK, "abc", -1, NULL },
		{ 201, NULL, "{\"code\":0,\"id\":12345678901}", SEND_OK,
		  "12345678901", -1, NULL },
		{ 200, NULL, "{\"msgid\":\"q\"}", SEND_OK, "q", -1, NULL },
		{ 200, NULL, "{\"message_id\":7}", SEND_OK, "7", -1, NULL },
		{ 200, NULL, "OK", SEND_OK, NULL, -1, NULL },
		{ 200, NULL, "[1]", SEND_OK, NULL, -1, NULL },
		{ 204, NULL, "", SEND_OK, NULL, -1, NULL },
		{ 301, NULL, "moved", SEND_TEMPFAIL, NULL, -1,
		  "HTTP 301: moved" },
		{ 400, NULL, "bad number", SEND_PERMFAIL, NULL, -1,
		  "HTTP 400: bad number" },
		{ 401, NULL, "", SEND_PERMFAIL, NULL, -1, "HTTP 401" },
		{ 404, NULL, NULL, SEND_PERMFAIL, NULL, -1, "HTTP 404" },
		{ 408, NULL, "", SEND_TEMPFAIL, NULL, -1, "HTTP 408" },
		{ 429, "30", "slow down", SEND_TEMPFAIL, NULL, 30000,
		  "HTTP 429: slow down" },
		{ 429, " 999999 ", "", SEND_TEMPFAIL, NULL, 3600000,
		  "HTTP 429" },
		{ 500, NULL, "oops\r\n", SEND_TEMPFAIL, NULL, -1,
		  "HTTP 500: oops" },
		{ 503, "soon", "", SEND_TEMPFAIL, NULL, -1, "HTTP 503" },
		{ 503, "0", "", SEND_TEMPFAIL, NULL, 0, "HTTP 503" },
	};
	const struct row	*r;
	enum send_result	 got;
	size_t			 i;
	long			 ms;
	char			*ref, *error;

	for (i = 0; i < nitems(rows); i++) {
		r = &rows[i];
		got = prov_generic_classify(r->status, r->retry_after,
		    r->body, r->body != NULL ? strlen(r->body) : 0, &ms,
		    &ref, &error);
		if (got != r->want)
			fail_msg("row %zu: HTTP %ld: got %d", i, r->status,
			    (int)got);
		assert_int_equal(ms, r->retry_ms);
		if (r->ref == NULL)
			assert_null(ref);
		else
			assert_string_equal(ref, r->ref);
		if (r->error == NULL)
			assert_null(error);
		else
			assert_string_equal(error, r->error);
		free(ref);
		free(error);
	}
}

static void
test_retry_after_date(void **state)
{
	struct tm	 tm;
	time_t		 t;
	char		 date[64], *ref, *error;
	long		 ms;

	t = time(NULL) + 120;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	assert_int_equal(prov_generic_classify(429, date, "", 0, &ms, &ref,
	    &error), SEND_TEMPFAIL);
	assert_true(ms >= 118000 && ms <= 120000);
	free(error);

	/* In the past: go now.  Far future: one hour at most. */
	assert_int_equal(prov_generic_classify(503,
	    "Sun, 06 Nov 1994 08:49:37 GMT", "", 0, &ms, &ref, &error),
	    SEND_TEMPFAIL);
	assert_int_equal(ms, 0);
	free(error);
	assert_int_equal(prov_generic_classify(503,
	    "Fri, 31 Dec 20xx 23:59:59 GMT", "", 0, &ms, &ref, &error),
	    SEND_TEMPFAIL);
	assert_int_equal(ms, -1);
	free(error);
	t = time(NULL) + 86400;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	assert_int_equal(prov_generic_classify(503, date, "", 0, &ms, &ref,
	    &error), SEND_TEMPFAIL);
	assert_int_equal(ms, 3600000);
	free(error);
}

static void
test_error_text(void **state)
{
	char	 body[600], *ref, *error;
	long	 ms;
	size_t	 i;

	/* 300 bytes with controls sprinkled in: 200 kept, controls gone. */
	for (i = 0; i < 300; i++)
		body[i] = (i % 10 == 9) ? '\n' : (char)('a' + i % 26);
	body[300] = '\0';
	prov_generic_classify(500, NULL, body, 300, &ms, &ref, &error);
	assert_null(ref);
	assert_non_null(error);
	assert_int_equal(strncmp(error, "HTTP 500: ", 10), 0);
	assert_int_equal(strlen(error), 10 + 200 - 20);
	assert_null(strchr(error, '\n'));
	free(error);

	/* A cut never splits a UTF-8 character. */
	memset(body, 'x', 199);
	memcpy(body + 199, "老人", 6);
	prov_generic_classify(502, NULL, body, 205, &ms, &ref, &error);
	assert_int_equal(strlen(error), 10 + 199);
	free(error);

	/* Nothing but control characters: just the status. */
	prov_generic_classify(503, NULL, "\r\n\t", 3, &ms, &ref, &error);
	assert_string_equal(error, "HTTP 503");
	free(error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_url_always_encoded),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_raw_and_headers),
		cmocka_unit_test(test_unknown_variable),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_retry_after_date),
		cmocka_unit_test(test_error_text),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
