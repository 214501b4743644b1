/*
 * scope.h: what a department may publish (pure code, unit-tested): its
 * groups, district prefixes, priorities and templates.  The largest
 * audience is checked once the audience is counted (fanout.c).
 */
#ifndef CIVICAST_SCOPE_H
#define CIVICAST_SCOPE_H

struct broadcast;
struct conf;
struct conf_department;

/*
 * 0 when the department may send the event, or -1 with *cause naming the
 * rule broken ("scope: department mzj may not send emergency messages
 * (departments.[].priorities)").
 */
int	 scope_check(const struct broadcast *, const struct conf *,
	    const struct conf_department *, char **cause);

#endif
