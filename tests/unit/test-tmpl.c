/*
 * test-tmpl.c: template parsing, the shipped templates, and rendering.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sms.h"
#include "tmpl.h"
#include "util.h"
#include "xmalloc.h"

#define HOTLINE		"0575-83012345"
#define SIGNATURE	"\xe3\x80\x90\xe5\xb5\x8a\xe5\xb7\x9e\xe6\xb0\x91" \
			"\xe6\x94\xbf\xe3\x80\x91"	/* 【嵊州民政】 */
#define ENDING		"\xe5\x92\xa8\xe8\xaf\xa2\xe6\x8a\x95\xe8\xaf\x89" \
			"\xe7\x94\xb5\xe8\xaf\x9d\xef\xbc\x9a" HOTLINE \
			"\xe3\x80\x82"	/* 咨询投诉电话：HOTLINE。 */
#define BODY_END	"${hotline}\xe3\x80\x82"

/* Variables for a render: names and values, ended by a NULL name. */
struct kv {
	const char	*k;
	const char	*v;
};

static const char *
kv_lookup(void *arg, const char *name)
{
	const struct kv	*kv = arg;

	for (; kv->k != NULL; kv++) {
		if (strcmp(kv->k, name) == 0)
			return (kv->v);
	}
	return (NULL);
}

static struct tmpl *
parse_ok(const char *text)
{
	struct tmpl	*t;
	char		*cause;

	if ((t = tmpl_parse("t", text, strlen(text), &cause)) == NULL)
		fail_msg("rejected: %s", cause);
	return (t);
}

static void
parse_bad(const char *name, const char *text, size_t len, const char *want)
{
	struct tmpl	*t;
	char		*cause = NULL;

	if ((t = tmpl_parse(name, text, len, &cause)) != NULL) {
		tmpl_free(t);
		fail_msg("accepted: %s", text);
	}
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

/* parse_bad() with the default name on a C string. */
static void
bad(const char *text, const char *want)
{
	parse_bad("t", text, strlen(text), want);
}

/* Render t with vars into a fresh buffer capped at max; NULL on error. */
static char *
render(const struct tmpl *t, const struct kv *vars, size_t max, char **cause)
{
	struct buf	out;

	buf_init(&out, max);
	*cause = NULL;
	if (tmpl_render(t, kv_lookup, (void *)vars, &out, cause) != 0) {
		assert_non_null(*cause);
		assert_int_equal(out.len, 0);
		buf_free(&out);
		return (NULL);
	}
	assert_null(*cause);
	return (buf_steal(&out));
}

static void
check_render(const char *text, const struct kv *vars, const char *want)
{
	struct tmpl	*t;
	char		*got, *cause;

	t = parse_ok(text);
	if ((got = render(t, vars, 0, &cause)) == NULL)
		fail_msg("render failed: %s", cause);
	assert_string_equal(got, want);
	free(got);
	tmpl_free(t);
}

static const char *
shipped_dir(char *path, size_t len)
{
	const char	*top;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	snprintf(path, len, "%s/templates", top);
	return (path);
}

/* Every shipped template loads, in name order, and can be found. */
static void
test_shipped_load(void **state)
{
	struct tmpl_set		*set;
	const struct tmpl	*t;
	struct dirent		*de;
	DIR			*d;
	char			 dir[4096], *cause = NULL;
	size_t			 i, n = 0, len;

	shipped_dir(dir, sizeof dir);
	if ((set = tmpl_set_load(dir, &cause)) == NULL)
		fail_msg("shipped templates do not load:\n%s", cause);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".txt") == 0)
			n++;
	}
	closedir(d);
	assert_true(n >= 16);
	assert_int_equal(tmpl_count(set), n);
	for (i = 0; i < tmpl_count(set); i++) {
		t = tmpl_get(set, i);
		if (i > 0)
			assert_true(strcmp(tmpl_get(set, i - 1)->name,
			    t->name) < 0);
		assert_ptr_equal(tmpl_find(set, t->name), t);
		assert_non_null(t->category);
		assert_non_null(t->description);
		/* The disclosure rules: every body ends with the hotline. */
		len = strlen(t->body);
		assert_true(len > 10);
		assert_true(len > strlen(BODY_END));
		assert_string_equal(t->body + len - strlen(BODY_END), BODY_END);
		assert_null(strchr(t->body, '\n'));
	}
	assert_null(tmpl_get(set, i));
	assert_null(tmpl_find(set, "no_such_template"));
	assert_null(tmpl_find(set, "aaa"));
	assert_null(tmpl_find(set, "zzz"));
	assert_non_null(tmpl_find(set, "heat_warning"));
	tmpl_set_free(set);
}

/*
 * Render one shipped template with an "# example:" line's values (the
 * text after "example: ") and recipient and department values.
 */
static void
render_example(const struct tmpl *t, const char *ex, size_t exlen)
{
	struct kv	 vars[TMPL_MAX_VARS + 5];
	struct sms_len	 sl;
	const char	*end = ex + exlen, *sep, *eq, *scause;
	char		*copy, *p, *got, *cause, *msg;
	size_t		 n = 0;

	copy = xstrndup(ex, exlen);
	p = copy;
	end = copy + exlen;
	while (p < end) {
		if ((sep = strstr(p, "; ")) == NULL)
			sep = end;
		assert_non_null(eq = memchr(p, '=', sep - p));
		copy[eq - copy] = '\0';
		copy[sep - copy] = '\0';
		assert_true(n < TMPL_MAX_VARS);
		vars[n].k = p;
		vars[n++].v = eq + 1;
		p = (char *)sep + (sep == end ? 0 : 2);
	}
	vars[n].k = "recipient_name";
	vars[n++].v = "\xe5\xbc\xa0\xe4\xb8\x89";	/* 张三 */
	vars[n].k = "district_name";
	vars[n++].v = "\xe5\x89\x8d\xe5\xb2\xa1\xe6\x9d\x91";	/* 前岡村 */
	vars[n].k = "hotline";
	vars[n++].v = HOTLINE;
	vars[n].k = "department_name";
	vars[n++].v = "\xe5\xb5\x8a\xe5\xb7\x9e\xe5\xb8\x82\xe6\xb0\x91"
	    "\xe6\x94\xbf\xe5\xb1\x80";	/* 嵊州市民政局 */
	vars[n].k = NULL;

	if ((got = render(t, vars, 1024, &cause)) == NULL)
		fail_msg("%s: %s", t->name, cause);
	if (strlen(got) < strlen(ENDING) ||
	    strcmp(got + strlen(got) - strlen(ENDING), ENDING) != 0)
		fail_msg("%s: does not end with the hotline: %s", t->name, got);
	assert_null(strstr(got, "${"));
	assert_true(util_utf8_clean(got));

	/* The README's promise: 2 parts at most with a signature. */
	xasprintf(&msg, "%s%s", SIGNATURE, got);
	assert_int_equal(sms_measure(msg, strlen(msg), &sl, &scause), 0);
	assert_int_equal(sl.coding, SMS_UCS2);
	if (sl.segments > 2)
		fail_msg("%s: %zu parts (%zu units)", t->name, sl.segments,
		    sl.units);
	free(msg);
	free(got);
	free(copy);
}

/* Every shipped template renders with each of its examples. */
static void
test_shipped_render(void **state)
{
	struct tmpl_set		*set;
	const struct tmpl	*t;
	char			 dir[4096], *path, *text, *cause, *p, *nl;
	size_t			 i, len, examples, total = 0;

	shipped_dir(dir, sizeof dir);
	if ((set = tmpl_set_load(dir, &cause)) == NULL)
		fail_msg("%s", cause);
	for (i = 0; i < tmpl_count(set); i++) {
		t = tmpl_get(set, i);
		xasprintf(&path, "%s/%s.txt", dir, t->name);
		if (util_read_file(path, 65536, &text, &len, &cause) != 0)
			fail_msg("%s", cause);
		examples = 0;
		for (p = text; *p == '#'; p = nl + 1) {
			assert_non_null(nl = strchr(p, '\n'));
			if (strncmp(p, "# example: ", 11) != 0)
				continue;
			render_example(t, p + 11, (size_t)(nl - p - 11));
			examples++;
		}
		if (examples == 0)
			fail_msg("%s: no example", t->name);
		total += examples;
		free(text);
		free(path);
	}
	assert_true(total >= tmpl_count(set));
	tmpl_set_free(set);
}

static void
test_parse(void **state)
{
	struct tmpl	*t;

	t = parse_ok("# category: subsidy\n"
	    "# params: amount,date\n"
	    "# description: Money.\n"
	    "# example: amount=100; date=7\xe6\x9c\x88" "1\xe6\x97\xa5\n"
	    "# example: date=8\xe6\x9c\x88" "1\xe6\x97\xa5; amount=1;2\n"
	    "${recipient_name}: ${amount} on ${date}, ${amount} $$.\n"
	    "Call ${hotline}.\n");
	assert_string_equal(t->name, "t");
	assert_string_equal(t->category, "subsidy");
	assert_string_equal(t->description, "Money.");
	assert_int_equal(t->nparams, 2);
	assert_string_equal(t->params[0], "amount");
	assert_string_equal(t->params[1], "date");
	assert_string_equal(t->body, "${recipient_name}: ${amount} on "
	    "${date}, ${amount} $$.\nCall ${hotline}.");
	assert_int_equal(t->nvars, 4);
	assert_string_equal(t->vars[0], "recipient_name");
	assert_string_equal(t->vars[1], "amount");
	assert_string_equal(t->vars[2], "date");
	assert_string_equal(t->vars[3], "hotline");
	tmpl_free(t);

	/* No header at all, no final newline, only builtin variables. */
	t = parse_ok("Hello ${recipient_name}, call ${hotline}");
	assert_null(t->category);
	assert_null(t->description);
	assert_int_equal(t->nparams, 0);
	assert_int_equal(t->nvars, 2);
	assert_string_equal(t->body, "Hello ${recipient_name}, call "
	    "${hotline}");
	tmpl_free(t);

	/* An empty params line, a BOM, a 32-byte name, a full-size body. */
	t = parse_ok("\xef\xbb\xbf# params:\nHi ${hotline}");
	assert_int_equal(t->nparams, 0);
	assert_string_equal(t->body, "Hi ${hotline}");
	tmpl_free(t);
	t = parse_ok("# params: abcdefghijklmnopqrstuvwxyz_01234\n"
	    "${abcdefghijklmnopqrstuvwxyz_01234}");
	tmpl_free(t);
	t = parse_ok("# params: a , b\n${a}${b}\n");
	assert_string_equal(t->params[1], "b");
	tmpl_free(t);
}

static void
test_parse_errors(void **state)
{
	static const char	 nul[] = "# category: x\na\0b\n";
	char			*big;

	bad("# params: a\nx ${a", "2: unterminated ${");
	bad("# params: a\nx\ny ${a\n}", "3: unterminated ${");
	bad("ok\nx ${Name}", "2: bad variable name ${Name} (1 to 32 of a-z, "
	    "0-9 and _)");
	bad("${a-b}", "1: bad variable name ${a-b} (1 to 32 of a-z, 0-9 and "
	    "_)");
	bad("${abcdefghijklmnopqrstuvwxyz_012345x}", "1: bad variable name "
	    "${abcdefghijklmnopqrstuvwxyz_012345x} (1 to 32 of a-z, 0-9 and "
	    "_)");
	bad("# category: x\n${}", "2: empty variable ${}");
	bad("# category: x\ncost $5", "2: lone $ (write $$ for a dollar "
	    "sign)");
	bad("# category: x\ncost 5$", "2: lone $ (write $$ for a dollar "
	    "sign)");
	bad("# category: x\n{hotline}", "2: '{' outside ${...} (write a "
	    "variable as ${name})");
	bad("a}", "1: '}' outside ${...} (write a variable as ${name})");
	bad("# category: x\nab\tc\n", "2: control character U+0009");
	bad("# category: x\nabc\r\n", "2: carriage return (save the file "
	    "with Unix line ends)");
	bad("# category: x\na\xc2\x85" "b\n", "2: control character U+0085");
	bad("# category: x\na\xe2\x80\xa8" "b\n",
	    "2: control character U+2028");
	bad("# category: x\na\x7f\n", "2: control character U+007F");
	bad("# category: x\nok\n\xff\n", "3: not valid UTF-8");
	bad("# category: x\n\xc0\xaf\n", "2: not valid UTF-8");
	bad("# category: x\n\xed\xa0\x80\n", "2: not valid UTF-8");
	bad("# category: x\n\xe4\xb8\n", "2: not valid UTF-8");
	parse_bad("t", nul, sizeof nul - 1, "2: control character U+0000");
	bad("# category: x\n# colour: red\nbody\n",
	    "2: unknown header key 'colour'");
	bad("# category: x\n#no key\nbody\n",
	    "2: header line is not '# key: value'");
	bad("# category: x\n# params: a\n${a}\n# example: a=1\n",
	    "4: header line after the body");
	bad("# category: x\nbody\n\n", "3: blank line at the end of the body");
	bad("# category: x\n\nbody\n", "2: blank line between the header and "
	    "the body");
	bad("# category: x\n", "2: no body after the header");
	bad("", "1: no body after the header");
	bad("# category: x\n# category: y\nb", "2: second '# category:' "
	    "line");
	bad("# params: a\n# params: a\n${a}", "2: second '# params:' line");
	bad("# category:\nb", "1: empty category");

	/* params and the body disagree, both ways. */
	bad("# category: x\n# params: a,b\n${a}\n",
	    "2: params lists 'b' which the body does not use");
	bad("# category: x\n# params: a\n${a}\nthen ${b}\n",
	    "4: body uses ${b} which params does not list");
	bad("x ${a}", "1: body uses ${a} which params does not list");
	bad("# params: a,hotline\n${a}${hotline}",
	    "1: params lists 'hotline' which civicast fills itself");
	bad("# params: a,,b\n${a}${b}", "1: empty name in params");
	bad("# params: a,a\n${a}", "1: params lists 'a' twice");
	bad("# params: A\n${a}", "1: bad parameter name 'A' (1 to 32 of "
	    "a-z, 0-9 and _)");

	/* Examples give each parameter once, and nothing else. */
	bad("# params: a,b\n# example: a=1\n${a}${b}",
	    "2: example has no value for 'b'");
	bad("# params: a\n# example: a=1; c=2\n${a}",
	    "2: example gives 'c' which params does not list");
	/* An example may come before params. */
	tmpl_free(parse_ok("# example: a=1\n# params: a\n${a}"));
	bad("# params: a\n# example: a=1; a=2\n${a}",
	    "2: example gives 'a' twice");
	bad("# params: a\n# example: a=\n${a}", "2: example gives 'a' no "
	    "value");
	bad("# params: a\n# example: a\n${a}",
	    "2: example entry 'a' is not name=value");

	/* The body size limit. */
	big = xmalloc(TMPL_MAX_BODY + 2);
	memset(big, 'x', TMPL_MAX_BODY + 1);
	big[TMPL_MAX_BODY + 1] = '\0';
	bad(big, "1: body longer than 2048 bytes");
	big[TMPL_MAX_BODY] = '\n';
	tmpl_free(parse_ok(big));
	free(big);

	/* Template names. */
	parse_bad("Bad", "x", 1, "1: bad template name 'Bad' (1 to 32 of "
	    "a-z, 0-9 and _)");
	parse_bad("", "x", 1, "1: bad template name '' (1 to 32 of a-z, 0-9 "
	    "and _)");
	parse_bad("heat-warning", "x", 1, "1: bad template name "
	    "'heat-warning' (1 to 32 of a-z, 0-9 and _)");
	parse_bad("abcdefghijklmnopqrstuvwxyz_0123456", "x", 1, "1: bad "
	    "template name 'abcdefghijklmnopqrstuvwxyz_0123456' (1 to 32 of "
	    "a-z, 0-9 and _)");
	tmpl_free(parse_ok("x"));
}

static void
test_render(void **state)
{
	static const struct kv	vars[] = {
		{ "a", "A" }, { "b", "${a}" }, { "empty", "" },
		{ "ctl", "x\ny\tz\r\x7f\xc2\x85\xe2\x80\xa8\xe2\x80\xa9w" },
		{ "bytes", "\xff" "a\xc3\xe4\xb8\xad\xed\xa0\x80" "b\xe4\xb8" },
		{ "astral", "\xf0\xa0\xae\xb7" }, { NULL, NULL }
	};

	check_render("# params: a,b\n${a}-${b}-${a}", vars, "A-${a}-A");
	check_render("# params: a\n$$${a}$$$$", vars, "$A$$");
	check_render("# params: empty\n[${empty}]", vars, "[]");
	check_render("# params: a\nline1\nline2 ${a}", vars, "line1\nline2 A");
	check_render("# params: ctl\n<${ctl}>", vars, "<xyzw>");
	check_render("# params: bytes\n<${bytes}>", vars,
	    "<a\xe4\xb8\xad" "b>");
	check_render("# params: astral\n${astral}", vars, "\xf0\xa0\xae\xb7");
	check_render("no variables", vars, "no variables");
}

static void
test_render_fail(void **state)
{
	static const struct kv	vars[] = {
		{ "a", "0123456789" }, { NULL, NULL }
	};
	struct tmpl	*t;
	struct buf	 out;
	char		*cause, *got;

	/* A missing value: nothing is appended, earlier text stays. */
	t = parse_ok("# params: a,b\n${a} ${b}");
	buf_init(&out, 0);
	buf_adds(&out, "before");
	assert_int_equal(tmpl_render(t, kv_lookup, (void *)vars, &out,
	    &cause), -1);
	assert_string_equal(cause, "missing value for ${b}");
	assert_int_equal(out.len, 6);
	assert_string_equal(out.data, "before");
	free(cause);
	buf_free(&out);
	tmpl_free(t);

	/* Over the cap: out is as it was before the call. */
	t = parse_ok("# params: a\n<${a}${a}>");
	buf_init(&out, 25);
	buf_adds(&out, "before");
	assert_int_equal(tmpl_render(t, kv_lookup, (void *)vars, &out,
	    &cause), -1);
	assert_string_equal(cause, "message longer than 25 bytes");
	assert_int_equal(out.len, 6);
	assert_string_equal(out.data, "before");
	free(cause);
	/* With room for it, it fits exactly. */
	out.max = 28;
	assert_int_equal(tmpl_render(t, kv_lookup, (void *)vars, &out,
	    &cause), 0);
	assert_string_equal(out.data, "before<01234567890123456789>");
	buf_free(&out);

	/* Failing in a value, or in the closing literal. */
	buf_init(&out, 5);
	assert_int_equal(tmpl_render(t, kv_lookup, (void *)vars, &out,
	    &cause), -1);
	assert_int_equal(out.len, 0);
	free(cause);
	buf_free(&out);
	assert_null(render(t, vars, 21, &cause));
	free(cause);
	assert_non_null(got = render(t, vars, 22, &cause));
	free(got);
	tmpl_free(t);
}

/* A struct tmpl filled in by hand renders too. */
static void
test_render_by_hand(void **state)
{
	static const struct kv	vars[] = {
		{ "hotline", "12345" }, { NULL, NULL }
	};
	char		 body[] = "Call ${hotline} $$";
	char		*vnames[] = { (char *)"hotline" };
	struct tmpl	 t;
	char		*got, *cause;

	memset(&t, 0, sizeof t);
	t.name = (char *)"hand";
	t.body = body;
	t.vars = vnames;
	t.nvars = 1;
	assert_non_null(got = render(&t, vars, 0, &cause));
	assert_string_equal(got, "Call 12345 $");
	free(got);
	body[5] = '{';
	assert_null(render(&t, vars, 0, &cause));
	assert_string_equal(cause, "bad template body: 1: '{' outside ${...} "
	    "(write a variable as ${name})");
	free(cause);
}

static void
test_builtin(void **state)
{
	assert_true(tmpl_builtin_var("recipient_name"));
	assert_true(tmpl_builtin_var("district_name"));
	assert_true(tmpl_builtin_var("hotline"));
	assert_true(tmpl_builtin_var("department_name"));
	assert_false(tmpl_builtin_var("area"));
	assert_false(tmpl_builtin_var("hotline2"));
	assert_false(tmpl_builtin_var(""));
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
remove_dir(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		*path;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
		free(path);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_set(void **state)
{
	struct tmpl_set	*set;
	char		 dir[] = "/tmp/test-tmpl.XXXXXX", *cause, *want;

	assert_non_null(mkdtemp(dir));

	/* An empty directory is an empty set. */
	assert_non_null(set = tmpl_set_load(dir, &cause));
	assert_int_equal(tmpl_count(set), 0);
	assert_null(tmpl_get(set, 0));
	assert_null(tmpl_find(set, "a"));
	tmpl_set_free(set);

	write_file(dir, "zeta.txt", "# params: a\n${a}\n");
	write_file(dir, "alpha.txt", "hello ${hotline}\n");
	write_file(dir, "mid_1.txt", "x\n");
	write_file(dir, "README.md", "# not a template ${\n");
	write_file(dir, ".hidden.txt", "${\n");
	write_file(dir, "notes.txt~", "${\n");
	assert_non_null(set = tmpl_set_load(dir, &cause));
	assert_int_equal(tmpl_count(set), 3);
	assert_string_equal(tmpl_get(set, 0)->name, "alpha");
	assert_string_equal(tmpl_get(set, 1)->name, "mid_1");
	assert_string_equal(tmpl_get(set, 2)->name, "zeta");
	assert_string_equal(tmpl_find(set, "mid_1")->body, "x");
	assert_null(tmpl_find(set, "mid"));
	tmpl_set_free(set);

	/* Two bad files: both are reported, in name order, one per line. */
	write_file(dir, "y_bad.txt", "# category: x\n# params: a\nx ${b}\n");
	write_file(dir, "b_bad.txt", "# category: x\n# colour: red\nx\n");
	assert_null(tmpl_set_load(dir, &cause));
	xasprintf(&want, "%s/b_bad.txt:2: unknown header key 'colour'\n"
	    "%s/y_bad.txt:2: params lists 'a' which the body does not use",
	    dir, dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	/* A bad file name is a bad template too. */
	write_file(dir, "y_bad.txt", "# params: a\nx ${a}\n");
	write_file(dir, "b_bad.txt", "x\n");
	write_file(dir, "Upper.txt", "x\n");
	assert_null(tmpl_set_load(dir, &cause));
	xasprintf(&want, "%s/Upper.txt:1: bad template name 'Upper' (1 to 32 "
	    "of a-z, 0-9 and _)", dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	remove_dir(dir);
	assert_null(tmpl_set_load(dir, &cause));
	xasprintf(&want, "%s: No such file or directory", dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_load),
		cmocka_unit_test(test_shipped_render),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_fail),
		cmocka_unit_test(test_render_by_hand),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_set),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
