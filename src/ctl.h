/*
 * ctl.h: the civicast admin CLI's shared state and command tables.
 *
 * Each command family (resident, optout, district, audience, config,
 * status) lives in its own ctl-<family>.c and exports a table of
 * struct ctl_cmd: its options (a struct cmdline_opt table), operands and
 * help. civicast.c dispatches on "FAMILY COMMAND", parses the options with
 * cmdline_parse() and makes usage, "civicast help" and the bash completion
 * from the same rows, so they have one source.
 */
#ifndef CIVICAST_CTL_H
#define CIVICAST_CTL_H

#include <stdio.h>

#include "compat.h"
#include "audience.h"
#include "cmdline.h"
#include "registry.h"

/* Exit codes, documented in civicast(1). */
#define CTL_OK		0	/* done */
#define CTL_FAIL	1	/* refused or failed */
#define CTL_USAGE	2	/* bad command line */
#define CTL_UNREACHABLE	3	/* Redis (or the daemon) unreachable */

struct conf;
struct district_table;

struct ctl_cmd;

struct ctl {
	const struct ctl_cmd	*cmd;		/* the command being run */
	const char		*conf_path;	/* NULL: default */
	int			 conf_explicit;	/* -c was given */
	int			 json;		/* --json */
	struct conf		*conf;
	struct registry		 reg;
	int			 reg_open;
	struct district_table	*dt;
};

#define CTL_JSON	0x1	/* the command answers --json */
#define CTL_CONF	0x2	/* its usage names -c FILE */

/* One command: its name, what it accepts, and the function that runs it. */
struct ctl_cmd {
	const char		 *family;
	const char		 *name;		/* NULL: the family alone */
	const struct cmdline_opt *opts;		/* NULL: no options */
	const char		 *operands;	/* usage of the operands, or NULL */
	int			  nmin, nmax;	/* operands accepted */
	int			  globals;	/* CTL_JSON, CTL_CONF */
	const char		 *help;		/* one line */
	int			(*exec)(struct ctl *,
				    const struct cmdline_args *);
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
/* Print a JSON value (a json_t *) to stdout and free it. */
void	 ctl_json_print(void *json);
/* Exit with a Redis failure: 3 when the connection is gone, else 1. */
__dead void ctl_redis_fail(struct ctl *, char *cause);

/* The audience options of audience count and resident list. */
#define CTL_AUDIENCE_OPTS \
	{ "groups", 0, "G1,G2|*", 0, 0, 0, \
	  "residents in these groups (* or none: every resident)" }, \
	{ "match", 0, "any|all", 0, 0, 0, \
	  "in any of the groups (the default) or in all of them" }, \
	{ "districts", 0, "D1,D2", 0, 0, 0, \
	  "living in these divisions or under them" }, \
	{ "exclude-districts", 0, "D3,..", 0, 0, 0, \
	  "but not in these divisions" }
/* The query from the audience options; exits 2 with the reason when bad. */
void	 ctl_audience_query(struct ctl *, const struct cmdline_args *,
	    struct audience_query *);

#endif
