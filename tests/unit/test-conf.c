/*
 * test-conf.c: the configuration loader, its messages and secrets.
 */
#include "compat.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"
#include "xmalloc.h"

static char *
datafile(const char *name)
{
	const char	*top;
	char		*path;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	xasprintf(&path, "%s/tests/data/conf/%s", top, name);
	return (path);
}

static struct conf *
load(const char *name, struct conf_errors *errs)
{
	struct conf	*conf;
	char		*path;

	path = datafile(name);
	conf = conf_load(path, errs);
	free(path);
	return (conf);
}

/* Fail unless one of msgs contains want; print them all if not. */
static void
expect_in(char **msgs, size_t n, const char *want)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strstr(msgs[i], want) != NULL)
			return;
	}
	print_error("no message contains \"%s\"; got:\n", want);
	for (i = 0; i < n; i++)
		print_error("  %s\n", msgs[i]);
	fail();
}

static void
expect_error(const struct conf_errors *errs, const char *want)
{
	expect_in(errs->msgs, errs->n, want);
}

/* Load a bad file and check it yields exactly these messages. */
static void
expect_bad(const char *name, const char **wants, size_t nwants)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	size_t			 i;

	conf = load(name, &errs);
	assert_null(conf);
	for (i = 0; i < nwants; i++)
		expect_error(&errs, wants[i]);
	if (errs.n != nwants) {
		for (i = 0; i < errs.n; i++)
			print_error("  %s\n", errs.msgs[i]);
	}
	assert_int_equal(errs.n, nwants);
	conf_errors_free(&errs);
}

static void
test_defaults(void **state)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	const struct conf_group	*g;

	conf = conf_load(NULL, &errs);
	assert_non_null(conf);
	assert_int_equal(errs.n, 0);
	assert_int_equal(errs.nwarnings, 0);
	assert_null(conf->path);
	assert_string_equal(conf->redis_host, "127.0.0.1");
	assert_int_equal(conf->redis_port, 6379);
	assert_null(conf->redis_socket);
	assert_null(conf->redis_password_file);
	assert_null(conf->redis_user);
	assert_string_equal(conf->redis_prefix, CONF_PREFIX_DEFAULT);
	assert_int_equal(conf->redis_db, 0);
	assert_int_equal(conf->redis_timeout, 2000);
	assert_int_equal(conf->log_level, LOG_LEVEL_INFO);
	assert_non_null(conf->instance);
	assert_true(conf->instance[0] != '\0');
	assert_null(conf->pidfile);
	assert_string_equal(conf->timezone, "Asia/Shanghai");
	assert_non_null(strstr(conf->templates_dir, "/templates"));
	assert_non_null(strstr(conf->districts_file, "/divisions-cn.csv"));
	assert_true(conf->ngroups >= 5);
	g = conf_group_find(conf, "elderly");
	assert_non_null(g);
	assert_string_equal(g->name, "老年人");
	assert_string_equal(conf_group_find(conf, "low_income")->name,
	    "低收入农户");
	assert_string_equal(conf_group_find(conf, "tekun")->name, "特困人员");
	assert_non_null(conf_group_find(conf, "disabled"));
	assert_non_null(conf_group_find(conf, "dibao"));
	assert_null(conf_group_find(conf, "nobody"));
	assert_int_equal(conf->ndepartments, 0);
	assert_int_equal(conf->nchannels, 0);
	assert_int_equal(conf->nroutes, 0);
	conf_free(conf);
	conf_errors_free(&errs);
}

static void
test_good(void **state)
{
	struct conf_errors		 errs;
	struct conf			*conf;
	const struct conf_department	*d;
	const struct conf_channel	*c;
	const struct conf_route		*r;

	conf = load("good.conf", &errs);
	if (conf == NULL)
		expect_error(&errs, "(no error expected)");
	assert_non_null(conf);
	assert_int_equal(errs.nwarnings, 0);
	assert_non_null(strstr(conf->path, "good.conf"));
	assert_string_equal(conf->redis_host, "127.0.0.1");
	assert_int_equal(conf->redis_port, 6380);
	assert_string_equal(conf->redis_password_file,
	    "/etc/civicast/redis.pass");
	assert_string_equal(conf->redis_user, "civicast");
	assert_string_equal(conf->redis_prefix, "cc:");
	assert_int_equal(conf->redis_db, 3);
	assert_int_equal(conf->redis_timeout, 1500);
	assert_int_equal(conf->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(conf->instance, "county-a");
	assert_string_equal(conf->pidfile, "/run/civicast/civicastd.pid");
	assert_string_equal(conf->templates_dir, "/srv/civicast/templates");
	assert_string_equal(conf->districts_file,
	    "/srv/civicast/divisions-cn.csv");

	assert_int_equal(conf->ngroups, 5);
	assert_string_equal(conf->groups[4].id, "tekun");
	assert_int_equal(conf->groups[4].line, 24);
	assert_null(conf_group_find(conf, "orphans"));

	assert_int_equal(conf->ndepartments, 2);
	d = conf_department_find(conf, "mzj");
	assert_ptr_equal(d, &conf->departments[0]);
	assert_string_equal(d->name, "嵊州市民政局");
	assert_string_equal(d->signature, "【嵊州民政】");
	assert_string_equal(d->hotline, "0575-83022222");
	assert_string_equal(d->key_file, "/etc/civicast/keys/mzj.key");
	assert_int_equal(d->ngroups, 3);
	assert_string_equal(d->groups[2], "dibao");
	assert_int_equal(d->ndistricts, 1);
	assert_string_equal(d->districts[0], "330683");
	assert_int_equal(d->priorities,
	    PRIO_BIT(PRIO_ROUTINE) | PRIO_BIT(PRIO_URGENT));
	assert_int_equal(d->max_audience, 200000);
	assert_int_equal(d->line, 27);
	/* Defaults: all groups, all districts, the three priorities given. */
	d = conf_department_find(conf, "yjj");
	assert_non_null(d);
	assert_int_equal(d->ngroups, 1);
	assert_string_equal(d->groups[0], "*");
	assert_int_equal(d->ndistricts, 1);
	assert_string_equal(d->districts[0], "*");
	assert_int_equal(d->priorities, PRIO_ALL);
	assert_int_equal(d->max_audience, 0);
	assert_null(conf_department_find(conf, "nobody"));

	assert_int_equal(conf->nchannels, 2);
	c = conf_channel_find(conf, "http1");
	assert_non_null(c);
	assert_int_equal(c->type, CHANNEL_HTTP);
	assert_string_equal(c->driver, "generic");
	assert_string_equal(c->url, "https://sms.example/send");
	assert_string_equal(c->method, "POST");
	assert_string_equal(c->body, "to=${to}&text=${text}&ref=${ref}");
	assert_string_equal(c->content_type,
	    "application/x-www-form-urlencoded");
	assert_int_equal(c->nheaders, 1);
	assert_string_equal(c->headers[0], "X-Key: abc");
	assert_int_equal(c->rate.count, 200);
	assert_int_equal(c->rate.period, 1);
	assert_int_equal(c->concurrency, 32);
	assert_int_equal(c->timeout, 10);
	assert_null(c->device);
	c = conf_channel_find(conf, "m0");
	assert_non_null(c);
	assert_int_equal(c->type, CHANNEL_MODEM);
	assert_string_equal(c->device, "/dev/ttyUSB0");
	assert_null(c->imei);
	assert_int_equal(c->baud, 115200);
	assert_string_equal(c->pin_file, "/etc/civicast/m0.pin");
	assert_int_equal(c->rate.count, 10);
	assert_int_equal(c->rate.period, 60);
	/* HTTP defaults stay off a modem. */
	assert_null(c->driver);
	assert_null(c->method);
	assert_null(conf_channel_find(conf, "nobody"));

	assert_int_equal(conf->nroutes, 2);
	r = &conf->routes[0];
	assert_int_equal(r->nchannels, 2);
	assert_string_equal(r->channels[0], "http1");
	assert_string_equal(r->channels[1], "m0");
	assert_int_equal(r->priorities, PRIO_BIT(PRIO_EMERGENCY));
	assert_int_equal(r->ndepartments, 1);
	assert_string_equal(r->departments[0], "mzj");
	assert_int_equal(r->ndistricts, 1);
	assert_string_equal(r->districts[0], "3306");
	r = &conf->routes[1];
	assert_int_equal(r->priorities, PRIO_ALL);
	assert_null(r->departments);
	assert_int_equal(r->ndepartments, 0);
	assert_null(r->districts);
	assert_int_equal(r->ndistricts, 0);

	conf_free(conf);
	conf_errors_free(&errs);
}

static void
test_example(void **state)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	const char		*top;
	char			*path;

	/* The shipped example must stay valid. */
	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	xasprintf(&path, "%s/etc/civicast.conf.example", top);
	conf = conf_load(path, &errs);
	if (conf == NULL)
		expect_error(&errs, "(no error expected)");
	assert_non_null(conf);
	assert_int_equal(errs.nwarnings, 0);
	assert_int_equal(conf->nchannels, 4);
	conf_free(conf);
	conf_errors_free(&errs);
	free(path);
}

static void
test_syntax(void **state)
{
	static const char *wants[] = { "syntax.conf:4: syntax error" };

	expect_bad("syntax.conf", wants, nitems(wants));
}

static void
test_missing_file(void **state)
{
	static const char *wants[] = {
		"nonexistent.conf: cannot open: No such file"
	};

	expect_bad("nonexistent.conf", wants, nitems(wants));
}

static void
test_types(void **state)
{
	static const char *wants[] = {
		"types.conf:3: redis.port: wrong type: expected integer, "
		    "found string \"6379\"",
		"types.conf:4: redis.db: 16 is out of range (0 to 15)",
		"types.conf:5: redis.timeout: 50 is out of range "
		    "(100 to 60000)",
		"types.conf:6: redis.prefix: \"civic cast:\" must not "
		    "contain spaces",
		"types.conf:9: daemon.log_level: \"verbose\" is not error, "
		    "warn, info or debug",
		"types.conf:10: daemon.instance: wrong type: expected "
		    "string, found integer",
		"types.conf:12: timezone: \"Asia/Nowhere\" no such zone",
		"types.conf:13: templates_dir: \"templates\" must be an "
		    "absolute path",
		"types.conf:14: groups: wrong type: expected list",
	};

	expect_bad("types.conf", wants, nitems(wants));
}

static void
test_five(void **state)
{
	static const char *wants[] = {
		"five.conf:3: redis: unknown key \"prot\" (did you mean "
		    "\"port\"?)",
		"five.conf:4: redis.db: 16 is out of range",
		"five.conf:7: groups[0].id: \"Elderly!\" must be 1 to 32 of "
		    "a-z, 0-9 and _",
		"five.conf:17: departments[0].groups[1]: unknown group "
		    "\"orphans\"",
		"five.conf:21: channels[0].rate: bad rate \"10/week\"",
	};

	expect_bad("five.conf", wants, nitems(wants));
}

static void
test_departments(void **state)
{
	static const char *wants[] = {
		"departments.conf:4: departments[0].id: \"MZJ\" must be",
		"departments.conf:6: departments[0].signature: \"嵊州民政\" "
		    "must be wrapped in 【】",
		"departments.conf:7: departments[0].hotline: \"0575-8302x\" "
		    "must be digits, dashes and spaces only",
		"departments.conf:8: departments[0].groups: \"*\" (all) "
		    "must be alone",
		"departments.conf:9: departments[0].districts[0]: \"33068\" "
		    "must be \"*\" or a division code",
		"departments.conf:10: departments[0].priorities[1]: unknown "
		    "priority \"critical\"",
		"departments.conf:11: departments[0].max_audience: -1 is out "
		    "of range",
		"departments.conf:18: departments[1].groups[0]: unknown group "
		    "\"eldrly\" (did you mean \"elderly\"?)",
		"departments.conf:20: departments[2]: missing required key "
		    "\"name\"",
		"departments.conf:21: departments[2].id: duplicate department "
		    "id \"rsj\" (first at line 13)",
	};

	expect_bad("departments.conf", wants, nitems(wants));
}

static void
test_channels(void **state)
{
	static const char *wants[] = {
		"channels.conf:3: channels[0]: a modem has \"device\" or "
		    "\"imei\", not both",
		"channels.conf:5: channels[1]: a modem needs \"device\" or "
		    "\"imei\"",
		"channels.conf:6: channels[2].rate: bad rate \"0/s\": the "
		    "count must be 1 to 1000000",
		"channels.conf:6: channels[2]: an http channel needs \"url\"",
		"channels.conf:8: channels[3].device: only for type = "
		    "\"modem\" channels",
		"channels.conf:8: channels[3].body: only sent with method = "
		    "\"POST\"",
		"channels.conf:9: channels[4].type: \"sms\" is not",
		"channels.conf:9: channels[4].id: duplicate channel id \"m0\" "
		    "(first at line 3)",
		"channels.conf:10: channels[5].imei: \"12345\" must be 15 "
		    "digits",
		"channels.conf:13: routes[0].channels[1]: unknown channel "
		    "\"h9\"",
		"channels.conf:13: routes[0].departments[0]: unknown "
		    "department \"nobody\"",
		"channels.conf:14: routes[0].priorities[1]: unknown priority "
		    "\"asap\"",
	};

	expect_bad("channels.conf", wants, nitems(wants));
}

static void
test_unknown(void **state)
{
	static const char *wants[] = {
		"unknown.conf:2: unknown key \"channel\" (did you mean "
		    "\"channels\"?)",
		"unknown.conf:4: daemon: unknown key \"loglevel\" (did you "
		    "mean \"log_level\"?)",
		"unknown.conf:6: redis: unknown key \"frobnicate\"",
		"unknown.conf:8: groups[0]: unknown key \"nmae\" (did you "
		    "mean \"name\"?)",
	};
	struct conf_errors	 errs;

	expect_bad("unknown.conf", wants, nitems(wants));
	/* No far-fetched hint. */
	assert_null(load("unknown.conf", &errs));
	expect_error(&errs, "\"frobnicate\"");
	assert_null(strstr(errs.msgs[2], "did you mean"));
	conf_errors_free(&errs);
}

static void
test_warnings(void **state)
{
	struct conf_errors	 errs;
	struct conf		*conf;

	conf = load("warn.conf", &errs);
	assert_non_null(conf);
	assert_int_equal(errs.n, 0);
	assert_int_equal(errs.nwarnings, 2);
	expect_in(errs.warnings, errs.nwarnings, "warn.conf:4: department "
	    "\"mzj\" has no key_file: its events are all rejected");
	expect_in(errs.warnings, errs.nwarnings, "warn.conf:2: redis.host: "
	    "\"10.0.0.5\" is not loopback");
	/* Not in a file: defaults for what it leaves out. */
	assert_non_null(conf_group_find(conf, "veterans"));
	assert_int_equal(conf->departments[0].priorities,
	    PRIO_BIT(PRIO_ROUTINE) | PRIO_BIT(PRIO_URGENT));
	conf_free(conf);
	conf_errors_free(&errs);
}

static void
test_rate(void **state)
{
	static const struct {
		const char	*s;
		unsigned long	 count;
		unsigned long	 period;
	} good[] = {
		{ "200/s", 200, 1 }, { "1/sec", 1, 1 }, { "3/second", 3, 1 },
		{ "10/min", 10, 60 }, { "10/minute", 10, 60 },
		{ "60/hour", 60, 3600 }, { "60/h", 60, 3600 },
		{ "500/day", 500, 86400 }, { "500/d", 500, 86400 },
		{ "1000000/s", 1000000, 1 },
	};
	static const char *bad[] = {
		"", "200", "/s", "0/s", "1000001/s", "-1/s", "+1/s", " 1/s",
		"1/", "1/week", "1/S", "1/s ", "1.5/s", "99999999999999999/s",
		"x/min",
	};
	struct conf_rate	 rate;
	const char		*cause;
	size_t			 i;

	for (i = 0; i < nitems(good); i++) {
		cause = "unset";
		assert_int_equal(conf_rate_parse(good[i].s, &rate, &cause), 0);
		assert_int_equal(rate.count, good[i].count);
		assert_int_equal(rate.period, good[i].period);
	}
	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		if (conf_rate_parse(bad[i], &rate, &cause) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(cause);
	}
}

static void
test_prio(void **state)
{
	assert_int_equal(conf_prio_parse("emergency"), PRIO_EMERGENCY);
	assert_int_equal(conf_prio_parse("urgent"), PRIO_URGENT);
	assert_int_equal(conf_prio_parse("routine"), PRIO_ROUTINE);
	assert_int_equal(conf_prio_parse("Urgent"), -1);
	assert_int_equal(conf_prio_parse(""), -1);
	assert_string_equal(conf_prio_name(PRIO_EMERGENCY), "emergency");
	assert_string_equal(conf_prio_name(PRIO_ROUTINE), "routine");
}

static void
test_restart_keys(void **state)
{
	struct conf_errors	 errs;
	struct conf		*a, *b, *c;
	const char		*names[16];
	size_t			 n;

	a = load("good.conf", &errs);
	assert_non_null(a);
	conf_errors_free(&errs);
	b = load("good.conf", &errs);
	assert_non_null(b);
	conf_errors_free(&errs);
	assert_int_equal(conf_restart_keys(a, b, names, nitems(names)), 0);

	/* Reloadable changes need no restart. */
	b->log_level = LOG_LEVEL_WARN;
	free(b->timezone);
	b->timezone = xstrdup("UTC");
	b->departments[0].max_audience = 1;
	b->routes[0].priorities = PRIO_ALL;
	assert_int_equal(conf_restart_keys(a, b, names, nitems(names)), 0);

	b->redis_port = 6379;
	free(b->instance);
	b->instance = xstrdup("county-b");
	free(b->pidfile);
	b->pidfile = NULL;
	b->channels[1].rate.count = 20;
	n = conf_restart_keys(a, b, names, nitems(names));
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "redis.port");
	assert_string_equal(names[1], "daemon.instance");
	assert_string_equal(names[2], "daemon.pidfile");
	assert_string_equal(names[3], "channels");
	assert_int_equal(conf_restart_keys(a, b, names, 2), 2);

	conf_free(b);
	b = conf_load(NULL, &errs);
	assert_non_null(b);
	n = conf_restart_keys(a, b, names, nitems(names));
	/* port, password_file, user, prefix, db, timeout, instance, pidfile */
	assert_int_equal(n, 9);
	assert_string_equal(names[n - 1], "channels");

	/*
	 * A reload from a (running) to b keeps every key it warns about:
	 * afterwards b differs from a copy of a in no restart key, a holds
	 * the nine unused values, and b keeps its reloadable ones.
	 */
	c = load("good.conf", &errs);
	assert_non_null(c);
	conf_errors_free(&errs);
	conf_keep_restart(b, a);
	assert_int_equal(conf_restart_keys(c, b, names, nitems(names)), 0);
	assert_int_equal(conf_restart_keys(c, a, names, nitems(names)), 9);
	assert_string_equal(b->redis_host, c->redis_host);
	assert_int_equal(b->nchannels, c->nchannels);
	assert_string_equal(b->channels[0].id, c->channels[0].id);
	assert_int_equal(b->log_level, LOG_LEVEL_INFO);
	conf_free(c);
	conf_free(a);
	conf_free(b);
	conf_errors_free(&errs);
}

static void
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_secret(void **state)
{
	char	 dir[] = "/tmp/test-conf.XXXXXX";
	char	*path, *big, *secret, *cause;
	size_t	 len;

	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/redis.pass", dir);

	write_file(path, "s3cret\r\n", 8, 0644);
	cause = NULL;
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "chmod 600"));
	free(cause);

	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), -1);
	free(cause);

	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), 0);
	assert_string_equal(secret, "s3cret");
	assert_int_equal(len, 6);
	conf_secret_free(secret, len);

	/* Inner newlines are the secret's; only trailing ones go. */
	write_file(path, "a\nb\n\n", 5, 0400);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), 0);
	assert_string_equal(secret, "a\nb");
	conf_secret_free(secret, len);

	write_file(path, "\n", 1, 0600);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), -1);
	assert_non_null(strstr(cause, "empty"));
	free(cause);

	big = xmalloc(5000);
	memset(big, 'x', 5000);
	write_file(path, big, 4096, 0600);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), 0);
	assert_int_equal(len, 4096);
	conf_secret_free(secret, len);
	write_file(path, big, 4097, 0600);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), -1);
	assert_non_null(strstr(cause, "4096"));
	free(cause);
	free(big);

	assert_int_equal(conf_secret_read(dir, &secret, &len, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(conf_secret_read(path, &secret, &len, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);

	assert_int_equal(rmdir(dir), 0);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_five),
		cmocka_unit_test(test_departments),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_prio),
		cmocka_unit_test(test_restart_keys),
		cmocka_unit_test(test_secret),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
