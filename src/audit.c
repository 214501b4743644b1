/*
 * audit.c: the audit stream of registry changes and sensitive reads.
 */
#include "compat.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "audit.h"
#include "rblock.h"
#include "xmalloc.h"

/* Append an entry with name/value pairs (NULL terminated); -1 with cause. */
int
audit_append(redisContext *c, const char *prefix, const char *user,
    const char *action, char **cause, ...)
{
	va_list		 ap;
	const char	*argv[32], *s;
	char		*key;
	size_t		 argc = 0;
	redisReply	*r;
	int		 rc;

	xasprintf(&key, "%saudit", prefix);
	argv[argc++] = "XADD";
	argv[argc++] = key;
	argv[argc++] = "*";
	argv[argc++] = "user";
	argv[argc++] = user;
	argv[argc++] = "action";
	argv[argc++] = action;
	va_start(ap, cause);
	while ((s = va_arg(ap, const char *)) != NULL &&
	    argc < nitems(argv) - 1)
		argv[argc++] = s;
	va_end(ap);
	if (argc % 2 == 0) {
		/* A name without a value: a programming error. */
		argv[argc++] = "";
	}
	r = redisCommandArgv(c, (int)argc, argv, NULL);
	free(key);
	rc = rblock_check(c, r, cause);
	if (r != NULL)
		freeReplyObject(r);
	return (rc);
}

/* Call fn for the newest count entries, oldest first; -1 with cause. */
int
audit_list(redisContext *c, const char *prefix, size_t count,
    void (*fn)(void *, const struct audit_entry *), void *arg, char **cause)
{
	struct audit_entry	 e;
	redisReply		*r, *item, *kv;
	size_t			 i, j;

	r = redisCommand(c, "XREVRANGE %saudit + - COUNT %lu", prefix,
	    (unsigned long)count);
	if (rblock_check(c, r, cause) != 0) {
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	for (i = r->elements; i > 0; i--) {
		item = r->element[i - 1];
		if (item->type != REDIS_REPLY_ARRAY || item->elements != 2)
			continue;
		memset(&e, 0, sizeof e);
		strlcpy(e.id, item->element[0]->str, sizeof e.id);
		kv = item->element[1];
		e.fields = xcalloc(kv->elements + 1, sizeof *e.fields);
		for (j = 0; j < kv->elements; j++)
			e.fields[e.nfields++] = kv->element[j]->str;
		fn(arg, &e);
		free(e.fields);
	}
	freeReplyObject(r);
	return (0);
}
