/*
 * ctl.h: the civicast admin CLI's shared state and command tables.
 *
 * Each command family (resident, optout, district, audience, config,
 * status) lives in its own ctl-<family>.c and exports a table of
 * struct ctl_cmd; civicast.c dispatches on "FAMILY COMMAND" and builds
 * --help from the same rows, so usage text has one source.
 */
#ifndef CIVICAST_CTL_H
#define CIVICAST_CTL_H

#include <stdio.h>

#include "compat.h"
#include "audience.h"
#include "registry.h"

/* Exit codes, documented in civicast(1). */
#define CTL_OK		0	/* done */
#define CTL_FAIL	1	/* refused or failed */
#define CTL_USAGE	2	/* bad command line */
#define CTL_UNREACHABLE	3	/* Redis (or the daemon) unreachable */

struct conf;
struct district_table;

struct ctl {
	const char		*conf_path;	/* NULL: default */
	int			 conf_explicit;	/* -c was given */
	int			 json;		/* --json */
	struct conf		*conf;
	struct registry		 reg;
	int			 reg_open;
	struct district_table	*dt;
};

struct ctl_cmd {
	const char	*family;
	const char	*name;		/* NULL: the family alone */
	const char	*args;		/* usage after "civicast FAMILY NAME" */
	const char	*help;		/* one line */
	int		(*exec)(struct ctl *, int, char **);
};

extern const struct ctl_cmd ctl_config_cmds[];
extern const struct ctl_cmd ctl_resident_cmds[];
extern const struct ctl_cmd ctl_optout_cmds[];
extern const struct ctl_cmd ctl_district_cmds[];
extern const struct ctl_cmd ctl_audience_cmds[];
extern const struct ctl_cmd ctl_status_cmds[];
extern const struct ctl_cmd ctl_publish_cmds[];
extern const struct ctl_cmd ctl_event_cmds[];
extern const struct ctl_cmd ctl_modem_cmds[];
extern const struct ctl_cmd ctl_route_cmds[];
extern const struct ctl_cmd ctl_key_cmds[];
extern const struct ctl_cmd ctl_purge_cmds[];

/* Print "civicast: ..." to stderr. */
void	 ctl_warnx(const char *, ...) printflike(1, 2);
/* Load the configuration or exit 1 with every problem printed. */
struct conf *ctl_conf(struct ctl *);
/* Open the registry or exit 3. */
struct registry *ctl_registry(struct ctl *);
/* Load the district table and the imported overlay, or exit. */
struct district_table *ctl_districts(struct ctl *);
/* The reason in a csv_next() cause, without its "line N: " prefix. */
const char *ctl_csv_reason(const char *);
/* Print usage of one command to f. */
void	 ctl_usage(FILE *f, const struct ctl_cmd *);
/*
 * Parse the command's options with getopt_long; on -h/--help print usage
 * to stdout and exit 0; on errors print usage to stderr and exit 2.
 * Returns the option character like getopt_long.
 */
int	 ctl_getopt(const struct ctl_cmd *, int argc, char **argv,
	    const char *optstring, const void *longopts);
/* Exit 2 with usage unless min <= argc <= max positional arguments remain. */
void	 ctl_nargs(const struct ctl_cmd *, int argc, int min, int max);
/* Print a JSON value (a json_t *) to stdout and free it. */
void	 ctl_json_print(void *json);
/* Exit with a Redis failure: 3 when the connection is gone, else 1. */
__dead void ctl_redis_fail(struct ctl *, char *cause);

/* The audience options of audience count and resident list. */
#define CTL_AUDIENCE_OPTIONS \
	{ "groups", required_argument, NULL, 'g' }, \
	{ "match", required_argument, NULL, 'm' }, \
	{ "districts", required_argument, NULL, 'd' }, \
	{ "exclude-districts", required_argument, NULL, 'x' }
struct ctl_audience {
	const char	*groups, *match, *districts, *exclude;
};
/* Keep option ch in a when it is an audience option; 1 when it was. */
int	 ctl_audience_opt(int ch, struct ctl_audience *a);
/* The query from a's options; exits 2 with the reason when they are bad. */
void	 ctl_audience_query(struct ctl *, const struct ctl_audience *,
	    struct audience_query *);

#endif
