/*
 * conftable.c: print the configuration table, one row a line:
 *
 *	<path> TAB <type> TAB reload|restart TAB required|-
 *
 * with the type as civicast.conf(5) names it (string, integer, boolean,
 * rate, array of strings, array of priorities, group, list).
 * tests/confdoc.sh compares it with the man pages.
 */
#include "compat.h"

#include <stdio.h>

#include "conf-table.h"

static const char *
type_word(enum conf_type type)
{
	switch (type) {
	case CONF_T_RATE:
		return ("rate");
	case CONF_T_GROUP:
		return ("group");
	case CONF_T_LIST:
		return ("list");
	default:
		return (conf_type_name(type));
	}
}

int
main(void)
{
	const struct conf_key	*table;
	size_t			 n, i;

	table = conf_table(&n);
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\n", table[i].path,
		    type_word(table[i].type),
		    table[i].apply == CONF_RESTART ? "restart" : "reload",
		    (table[i].flags & CONF_REQUIRED) ? "required" : "-");
	return (ferror(stdout) || fflush(stdout) != 0);
}
