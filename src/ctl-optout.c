/*
 * ctl-optout.c: civicast optout add|remove|list.
 *
 * An opt-out belongs to a phone, not to a resident: a carer's phone
 * shared by several residents is opted out for all of them.  Opt-outs do
 * not apply to emergency broadcasts.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "phone.h"
#include "registry.h"
#include "util.h"

static int	optout_change(struct ctl *, const struct cmdline_args *);
static int	optout_list(struct ctl *, const struct cmdline_args *);

/* The optout command family. */
const struct ctl_cmd ctl_optout_cmds[] = {
	{ "optout", "add", NULL, "PHONE", 1, 1, 0,
	  "stop routine and urgent messages to a phone", optout_change },
	{ "optout", "remove", NULL, "PHONE", 1, 1, 0,
	  "let a phone receive messages again", optout_change },
	{ "optout", "list", NULL, NULL, 0, 0, CTL_JSON,
	  "list opted-out phones (masked)", optout_list },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

static int
optout_change(struct ctl *ctl, const struct cmdline_args *a)
{
	char			 phone[PHONE_BUFSIZE], masked[PHONE_BUFSIZE];
	const char		*why;
	char			*cause;
	int			 on, r;

	on = strcmp(ctl->cmd->name, "add") == 0;
	if (phone_normalize(a->argv[0], phone, &why) != 0) {
		ctl_warnx("phone: %s", why);
		return (CTL_FAIL);
	}
	phone_mask(phone, masked);
	r = registry_optout(ctl_registry(ctl), phone, on, &cause);
	if (r == -1)
		ctl_redis_fail(ctl, cause);
	if (on)
		printf("%s %s\n", masked, r ? "opted out" :
		    "was already opted out");
	else
		printf("%s %s\n", masked, r ? "opted back in" :
		    "was not opted out");
	return (CTL_OK);
}

struct optout_print {
	json_t	*arr;
	size_t	 n;
};

static void
optout_print1(void *arg, const char *phone, long long since,
    const char *user)
{
	struct optout_print	*p = arg;
	char			 masked[PHONE_BUFSIZE], when[40];

	phone_mask(phone, masked);
	util_time_iso((time_t)since, when, sizeof when);
	p->n++;
	if (p->arr != NULL) {
		json_array_append_new(p->arr, json_pack("{s:s, s:s, s:s}",
		    "phone", masked, "since", when, "by", user));
		return;
	}
	printf("%-12s %s %s\n", masked, when, user);
}

static int
optout_list(struct ctl *ctl, const struct cmdline_args *a)
{
	struct optout_print	 p;
	char			*cause;

	p.arr = ctl->json ? json_array() : NULL;
	p.n = 0;
	if (registry_optout_list(ctl_registry(ctl), optout_print1, &p,
	    &cause) != 0)
		ctl_redis_fail(ctl, cause);
	if (p.arr != NULL)
		ctl_json_print(p.arr);
	else if (p.n == 0)
		printf("no opted-out phones\n");
	return (CTL_OK);
}
