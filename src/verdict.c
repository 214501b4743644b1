/*
 * verdict.c: what civicastd decides about an event, for the daemon and
 * the CLI alike (pure: no I/O; authenticity is the caller's callback).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broadcast.h"
#include "buf.h"
#include "conf.h"
#include "district.h"
#include "scope.h"
#include "sms.h"
#include "tmpl.h"
#include "verdict.h"
#include "xmalloc.h"

/* 1 when the template's text depends on the recipient. */
int
verdict_personal(const struct tmpl *t)
{
	size_t	i;

	for (i = 0; i < t->nvars; i++) {
		if (strcmp(t->vars[i], "recipient_name") == 0 ||
		    strcmp(t->vars[i], "district_name") == 0)
			return (1);
	}
	return (0);
}

struct verdict_vars {
	const struct broadcast		*ev;
	const struct conf_department	*dept;
	const char			*name;
	const char			*district;
};

static const char *
verdict_lookup(void *arg, const char *name)
{
	struct verdict_vars	*v = arg;

	if (strcmp(name, "recipient_name") == 0)
		return (v->name);
	if (strcmp(name, "district_name") == 0)
		return (v->district);
	if (strcmp(name, "hotline") == 0)
		return (v->dept->hotline);
	if (strcmp(name, "department_name") == 0)
		return (v->dept->name);
	return (broadcast_param(v->ev, name));
}

/* The name to show for a resident's district ("" when none is known). */
static const char *
verdict_district_name(const struct district_table *dt, const char *code)
{
	const struct district	*d;
	char			 town[DISTRICT_BUFSIZE];

	if (dt == NULL || code == NULL || *code == '\0')
		return ("");
	if ((d = district_find(dt, code)) != NULL)
		return (d->name);
	/* A village known only through its township. */
	if (strlen(code) == DISTRICT_MAXLEN) {
		strlcpy(town, code, 10);
		if ((d = district_find(dt, town)) != NULL)
			return (d->name);
	}
	return ("");
}

/*
 * Render one message body for a recipient (name and district may be "")
 * into out: the template with the event's parameters and the
 * department's fields.  -1 with cause.
 */
int
verdict_render(const struct tmpl *t, const struct broadcast *ev,
    const struct conf_department *dept, const struct district_table *dt,
    const char *name, const char *district, struct buf *out, char **cause)
{
	struct verdict_vars	v;

	v.ev = ev;
	v.dept = dept;
	v.name = name != NULL ? name : "";
	v.district = verdict_district_name(dt, district);
	return (tmpl_render(t, verdict_lookup, &v, out, cause));
}


/* The replay window on `sent`, then the department's scope. */
static int
verdict_trust(const struct broadcast *ev, const struct conf *conf,
    const struct conf_department *d, time_t now, char **cause)
{
	char	when[40];

	if (ev->sent < now - conf->max_age) {
		xasprintf(cause, "sent: %s is more than %d s ago "
		    "(security.max_age): a replay?", broadcast_time_format(
		    ev->sent, when, sizeof when), conf->max_age);
		return (-1);
	}
	if (ev->sent > now + conf->max_ahead) {
		xasprintf(cause, "sent: %s is more than %d s ahead "
		    "(security.max_ahead)", broadcast_time_format(ev->sent,
		    when, sizeof when), conf->max_ahead);
		return (-1);
	}
	return (scope_check(ev, conf, d, cause));
}

/* Everything civicastd checks before the audience; -1 with cause. */
int
verdict_event(const char *json, size_t len, const struct conf *conf,
    const struct district_table *dt, const struct tmpl_set *tmpls,
    time_t now, verdict_auth_cb *auth, void *arg, struct broadcast *ev,
    struct buf *text, int *personal, char **cause)
{
	const struct conf_department	*dept;
	const struct tmpl		*t;
	struct sms_len			 sl;
	const char			*why;
	char				*rcause;
	size_t				 worst, i;

	*personal = 0;
	if (len > BROADCAST_MAX_JSON) {
		xasprintf(cause, "event: larger than %d bytes", BROADCAST_MAX_JSON);
		return (-1);
	}
	if (broadcast_parse(json, len, ev, cause) != 0)
		return (-1);
	if (broadcast_check(ev, conf, dt, tmpls, now, cause) != 0)
		goto fail;
	dept = conf_department_find(conf, ev->department);
	/* Who sent it before what it asks: no scope hints to a forger. */
	if (auth != NULL && auth(arg, dept, cause) != 0)
		goto fail;
	if (verdict_trust(ev, conf, dept, now, cause) != 0)
		goto fail;
	if (ev->kind == BROADCAST_CANCEL)
		return (0);
	t = tmpl_find(tmpls, ev->template);
	*personal = verdict_personal(t);
	buf_reset(text);
	buf_adds(text, dept->signature);
	if (verdict_render(t, ev, dept, NULL, "", "", text, &rcause) != 0) {
		xasprintf(cause, "template %s: %s", t->name, rcause);
		free(rcause);
		goto fail;
	}
	if (sms_measure(text->data, text->len, &sl, &why) != 0) {
		xasprintf(cause, "text: %s", why);
		goto fail;
	}
	/* A recipient's name and district may add this much. */
	worst = sl.chars;
	for (i = 0; i < t->nvars; i++) {
		if (strcmp(t->vars[i], "recipient_name") == 0)
			worst += VERDICT_NAME_RESERVE;
		else if (strcmp(t->vars[i], "district_name") == 0)
			worst += VERDICT_PLACE_RESERVE;
	}
	if (worst > (size_t)conf->message_max_chars) {
		xasprintf(cause, "text: %zu characters%s, over the limit of "
		    "%d (message_max_chars)", worst, *personal ?
		    " with the longest recipient name and place" : "",
		    conf->message_max_chars);
		goto fail;
	}
	return (0);

fail:
	broadcast_free(ev);
	return (-1);
}

/* What happens once the audience is counted. */
enum verdict_gate
verdict_audience(const struct broadcast *ev, const struct conf *conf,
    const struct conf_department *d, long long targeted, int approved,
    char **cause)
{
	const char	*category = NULL;
	size_t		 i;
	int		 over;

	*cause = NULL;
	if (d->max_audience > 0 && targeted > (long long)d->max_audience) {
		xasprintf(cause, "scope: %lld phones, over department %s's "
		    "max_audience of %lu (departments.[].max_audience)",
		    targeted, d->id, d->max_audience);
		return (VERDICT_REJECT);
	}
	if (approved)
		return (VERDICT_GO);
	over = conf->approval_over > 0 &&
	    targeted > (long long)conf->approval_over;
	for (i = 0; ev->category != NULL &&
	    i < conf->napproval_categories; i++) {
		if (strcmp(conf->approval_categories[i], ev->category) == 0)
			category = ev->category;
	}
	if (!over && category == NULL)
		return (VERDICT_GO);
	if (over)
		xasprintf(cause, "%lld phones, over security.approval_over "
		    "of %lu", targeted, conf->approval_over);
	else
		xasprintf(cause, "category %s is in "
		    "security.approval_categories", category);
	if (ev->priority == PRIO_EMERGENCY && conf->approval_emergency_fast)
		return (VERDICT_REVIEW);
	return (VERDICT_HOLD);
}

/* "go", "review", "hold" or "reject". */
const char *
verdict_gate_name(enum verdict_gate g)
{
	static const char	*names[] = { "go", "review", "hold", "reject" };

	if ((size_t)g >= nitems(names))
		return ("?");
	return (names[g]);
}
