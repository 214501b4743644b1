/*
 * resident.c: validate a resident from typed input.
 */
#include "compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "resident.h"
#include "util.h"
#include "xmalloc.h"

static int
resident_strcmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Resolve group ids or display names into sorted ';'-joined ids. */
int
resident_groups(const struct conf *conf, const char *list, char *out,
    size_t outlen, char **cause)
{
	const struct conf_group	 *g;
	const char		**ids;
	char			**parts;
	size_t			  n, i, j, k;

	out[0] = '\0';
	n = util_split(list, ";|,", &parts);
	if (n == 0) {
		free(parts);
		return (0);
	}
	if (n > RESIDENT_GROUPS_MAX) {
		xasprintf(cause, "more than %d groups", RESIDENT_GROUPS_MAX);
		util_split_free(parts, n);
		return (-1);
	}
	ids = xcalloc(n, sizeof *ids);
	for (i = 0; i < n; i++) {
		g = conf_group_find(conf, parts[i]);
		for (j = 0; g == NULL && j < conf->ngroups; j++) {
			/* Excel lists often carry the display name, 老年人. */
			if (strcmp(conf->groups[j].name, parts[i]) == 0)
				g = &conf->groups[j];
		}
		if (g == NULL) {
			if (util_utf8_clean(parts[i]) && strlen(parts[i]) < 64)
				xasprintf(cause, "unknown group '%s'", parts[i]);
			else
				xasprintf(cause, "unknown group");
			free(ids);
			util_split_free(parts, n);
			return (-1);
		}
		ids[i] = g->id;
	}
	qsort(ids, n, sizeof *ids, resident_strcmp);
	for (i = k = 0; i < n; i++) {
		if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
			continue;	/* "elderly;老年人" is one group */
		if (k++ > 0)
			strlcat(out, ";", outlen);
		if (strlcat(out, ids[i], outlen) >= outlen) {
			xasprintf(cause, "group list too long");
			free(ids);
			util_split_free(parts, n);
			return (-1);
		}
	}
	free(ids);
	util_split_free(parts, n);
	return (0);
}

static int
resident_id_ok(const char *id)
{
	const unsigned char	*p;
	size_t			 len = strlen(id);

	if (len == 0 || len > RESIDENT_ID_MAX)
		return (0);
	for (p = (const unsigned char *)id; *p != '\0'; p++) {
		/* ASCII graphic only: ids are keys, and end up in audit logs. */
		if (*p <= 0x20 || *p >= 0x7f)
			return (0);
	}
	return (1);
}

/* Fill r from typed fields, checking each; -1 with cause. */
int
resident_make(struct resident *r, const struct conf *conf,
    const struct district_table *dt, const char *id, const char *phone,
    const char *district, const char *groups, const char *name,
    char **cause)
{
	const char	*why;
	char		*gcause;

	memset(r, 0, sizeof *r);
	if (!resident_id_ok(id)) {
		xasprintf(cause, "id: must be 1-%d printable ASCII characters "
		    "without spaces", RESIDENT_ID_MAX);
		return (-1);
	}
	strlcpy(r->id, id, sizeof r->id);
	if (phone_normalize(phone, r->phone, &why) != 0) {
		xasprintf(cause, "phone: %s", why);
		return (-1);
	}
	if (!district_shape_ok(district)) {
		xasprintf(cause, "district: must be a statistical division "
		    "code of 2, 4, 6, 9 or 12 digits");
		return (-1);
	}
	if (district_check(dt, district, &why) != 0) {
		xasprintf(cause, "district %s: %s", district, why);
		return (-1);
	}
	strlcpy(r->district, district, sizeof r->district);
	if (resident_groups(conf, groups, r->groups, sizeof r->groups,
	    &gcause) != 0) {
		xasprintf(cause, "groups: %s", gcause);
		free(gcause);
		return (-1);
	}
	if (name != NULL && *name != '\0') {
		if (strlen(name) > RESIDENT_NAME_MAX) {
			xasprintf(cause, "name: longer than %d bytes",
			    RESIDENT_NAME_MAX);
			return (-1);
		}
		if (!util_utf8_clean(name)) {
			xasprintf(cause, "name: not clean UTF-8 text");
			return (-1);
		}
		strlcpy(r->name, name, sizeof r->name);
	}
	return (0);
}
