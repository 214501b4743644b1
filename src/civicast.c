/*
 * civicast: the admin CLI.
 *
 * civicast [-c FILE] [--json] FAMILY COMMAND [OPTIONS] [ARGS]
 * -c and --json may also follow the command.
 */
#include "compat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmdline.h"
#include "conf.h"
#include "ctl.h"
#include "district.h"
#include "log.h"
#include "registry.h"
#include "util.h"
#include "xmalloc.h"

static const struct ctl_cmd *ctl_tables[] = {
	ctl_config_cmds,
	ctl_resident_cmds,
	ctl_optout_cmds,
	ctl_district_cmds,
	ctl_audience_cmds,
	ctl_status_cmds,
	ctl_publish_cmds,
	ctl_event_cmds,
	ctl_modem_cmds,
	ctl_route_cmds,
	ctl_key_cmds,
	ctl_purge_cmds,
};

/* Print "civicast: ..." to stderr. */
void
ctl_warnx(const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* Errors may quote input: never let a full phone number out. */
	log_mask_phones(line);
	fprintf(stderr, "civicast: %s\n", line);
}

/* The reason in a csv_next() cause, without its "line N: " prefix. */
const char *
ctl_csv_reason(const char *cause)
{
	const char	*p;

	if (strncmp(cause, "line ", 5) == 0 && (p = strstr(cause, ": ")) != NULL)
		return (p + 2);
	return (cause);
}

/* "family name" or "family" of a command, to f. */
static void
ctl_print_name(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "%s%s%s", cmd->family, cmd->name != NULL ? " " : "",
	    cmd->name != NULL ? cmd->name : "");
}

/* The arguments of a command's usage line, from its table row. */
static void
ctl_print_synopsis(FILE *f, const struct ctl_cmd *cmd)
{
	if (cmd->globals & CTL_CONF)
		fprintf(f, " [-c FILE]");
	if (cmd->opts != NULL && cmd->opts[0].name != NULL) {
		fputc(' ', f);
		cmdline_synopsis(f, cmd->opts);
	}
	if (cmd->globals & CTL_JSON)
		fprintf(f, " [--json]");
	if (cmd->operands != NULL)
		fprintf(f, " %s", cmd->operands);
}

/* Print usage of one command to f. */
void
ctl_usage(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "usage: civicast ");
	ctl_print_name(f, cmd);
	ctl_print_synopsis(f, cmd);
	fprintf(f, "\n       %s\n", cmd->help);
}

static void
ctl_usage_all(FILE *f)
{
	const struct ctl_cmd	*cmd;
	size_t			 i;

	fprintf(f, "usage: civicast [-c FILE] [--json] COMMAND ...\n\n");
	for (i = 0; i < nitems(ctl_tables); i++) {
		for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
			fprintf(f, "  ");
			ctl_print_name(f, cmd);
			ctl_print_synopsis(f, cmd);
			fprintf(f, "\n      %s\n", cmd->help);
		}
	}
	fprintf(f, "\nExit status: 0 ok, 1 refused or failed, 2 usage, "
	    "3 Redis unreachable.\nSee civicast(1); civicast help COMMAND "
	    "describes each option.\n");
}

/*
 * civicast help [FAMILY [COMMAND]]: the usage of the commands named, from
 * the same table the dispatcher uses.
 */
static int
ctl_help(int argc, char **argv)
{
	const struct ctl_cmd	*cmd;
	size_t			 i, n = 0;

	if (argc == 0) {
		ctl_usage_all(stdout);
		return (CTL_OK);
	}
	for (i = 0; i < nitems(ctl_tables); i++) {
		for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
			if (strcmp(cmd->family, argv[0]) != 0)
				continue;
			if (argc > 1 && (cmd->name == NULL ||
			    strcmp(cmd->name, argv[1]) != 0))
				continue;
			ctl_usage(stdout, cmd);
			/* One command asked for: each option, with its help. */
			if (argc > 1 || cmd->name == NULL)
				cmdline_describe(stdout, cmd->opts);
			n++;
		}
	}
	if (n == 0) {
		ctl_warnx("help: no command %s%s%s (civicast help lists them)",
		    argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		return (CTL_USAGE);
	}
	return (CTL_OK);
}

/* A command's options for the completion script, space-separated. */
static void
ctl_print_options(FILE *f, const struct ctl_cmd *cmd)
{
	const struct cmdline_opt	*o;

	for (o = cmd->opts; o != NULL && o->name != NULL; o++)
		fprintf(f, " --%s", o->name);
	if (cmd->globals & CTL_JSON)
		fprintf(f, " --json");
	fprintf(f, " --help");
}

/*
 * The values an option takes when its usage lists them ("any|all"), as a
 * completion case arm; nothing for a free value ("ID", "D1,D2").
 */
static void
ctl_print_choices(FILE *f, const struct ctl_cmd *cmd)
{
	const struct cmdline_opt	*o;
	const char			*p;

	for (o = cmd->opts; o != NULL && o->name != NULL; o++) {
		if (o->arg == NULL || strchr(o->arg, '|') == NULL ||
		    strspn(o->arg, "abcdefghijklmnopqrstuvwxyz_|") !=
		    strlen(o->arg))
			continue;
		fprintf(f, "\t\tif [ \"$prev\" = --%s ]; then COMPREPLY=($("
		    "compgen -W \"", o->name);
		for (p = o->arg; *p != '\0'; p++)
			fputc(*p == '|' ? ' ' : *p, f);
		fprintf(f, "\" -- \"$cur\")); return; fi\n");
	}
}

/* 1 when cmd is the first row of its family in the tables. */
static int
ctl_family_first(const struct ctl_cmd *cmd)
{
	const struct ctl_cmd	*c;
	size_t			 i;

	for (i = 0; i < nitems(ctl_tables); i++) {
		for (c = ctl_tables[i]; c->family != NULL; c++) {
			if (c == cmd)
				return (1);
			if (strcmp(c->family, cmd->family) == 0)
				return (0);
		}
	}
	return (0);
}

/*
 * civicast completion bash: a bash completion script made from the
 * command table, so that it knows every command and option this build
 * has (source it, or install it in bash-completion's directory).
 */
static int
ctl_completion(int argc, char **argv)
{
	const struct ctl_cmd	*cmd, *c2;
	size_t			 i, j;

	if (argc != 1 || strcmp(argv[0], "bash") != 0) {
		ctl_warnx("completion: only 'civicast completion bash' is "
		    "known");
		return (CTL_USAGE);
	}
	printf("# bash completion for civicast, made by 'civicast completion "
	    "bash'\n_civicast()\n{\n\tlocal cur=${COMP_WORDS[COMP_CWORD]}"
	    "\n\tlocal prev=${COMP_WORDS[COMP_CWORD-1]}"
	    "\n\tlocal fam=${COMP_WORDS[1]} sub=${COMP_WORDS[2]}\n"
	    "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"help completion");
	for (i = 0; i < nitems(ctl_tables); i++) {
		for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
			if (ctl_family_first(cmd))
				printf(" %s", cmd->family);
		}
	}
	printf("\" -- \"$cur\"))\n\t\treturn\n\tfi\n"
	    "\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n\t\tcase \"$fam\" in\n");
	/* The second word: a family's commands, from every table. */
	for (i = 0; i < nitems(ctl_tables); i++) {
		for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
			if (cmd->name == NULL || !ctl_family_first(cmd))
				continue;
			printf("\t\t%s) COMPREPLY=($(compgen -W \"",
			    cmd->family);
			for (j = 0; j < nitems(ctl_tables); j++) {
				for (c2 = ctl_tables[j]; c2->family != NULL;
				    c2++) {
					if (c2->name != NULL &&
					    strcmp(c2->family,
					    cmd->family) == 0)
						printf(" %s", c2->name);
				}
			}
			printf("\" -- \"$cur\")); return ;;\n");
		}
	}
	printf("\t\tesac\n\tfi\n\tcase \"$fam $sub\" in\n");
	/* Then a command's options. */
	for (i = 0; i < nitems(ctl_tables); i++) {
		for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
			if (cmd->name != NULL)
				printf("\t\"%s %s\")\n", cmd->family,
				    cmd->name);
			else
				printf("\t\"%s \"*)\n", cmd->family);
			ctl_print_choices(stdout, cmd);
			printf("\t\tCOMPREPLY=($(compgen -W \"");
			ctl_print_options(stdout, cmd);
			printf("\" -- \"$cur\")); return ;;\n");
		}
	}
	printf("\tesac\n}\ncomplete -o default -F _civicast civicast\n");
	return (CTL_OK);
}

/* Load the configuration or exit 1 with every problem printed. */
struct conf *
ctl_conf(struct ctl *ctl)
{
	struct conf_errors	 errs;
	const char		*path = ctl->conf_path;
	size_t			 i;

	if (ctl->conf != NULL)
		return (ctl->conf);
	memset(&errs, 0, sizeof errs);
	/* No -c and no installed file: the embedded defaults. */
	if (!ctl->conf_explicit && access(path, F_OK) != 0 && errno == ENOENT)
		path = NULL;
	ctl->conf = conf_load(path, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	if (ctl->conf == NULL) {
		ctl_warnx("%s: %zu problem%s; nothing done", path, errs.n,
		    errs.n == 1 ? "" : "s");
		conf_errors_free(&errs);
		exit(CTL_FAIL);
	}
	conf_errors_free(&errs);
	util_set_timezone(ctl->conf->timezone);
	return (ctl->conf);
}

/* Open the registry or exit 3. */
struct registry *
ctl_registry(struct ctl *ctl)
{
	char	*cause;

	if (ctl->reg_open)
		return (&ctl->reg);
	if (registry_open(&ctl->reg, ctl_conf(ctl), &cause) != 0) {
		ctl_warnx("%s", cause);
		free(cause);
		exit(CTL_UNREACHABLE);
	}
	ctl->reg_open = 1;
	return (&ctl->reg);
}

/* Exit with a Redis failure: 3 when the connection is gone, else 1. */
void
ctl_redis_fail(struct ctl *ctl, char *cause)
{
	ctl_warnx("%s", cause);
	free(cause);
	if (ctl->reg_open && ctl->reg.c->err != 0)
		exit(CTL_UNREACHABLE);
	exit(CTL_FAIL);
}

/* Load the district table and the imported overlay, or exit. */
struct district_table *
ctl_districts(struct ctl *ctl)
{
	struct conf	*conf = ctl_conf(ctl);
	char		*cause;

	if (ctl->dt != NULL)
		return (ctl->dt);
	ctl->dt = district_table_new();
	if (district_table_load(ctl->dt, conf->districts_file, &cause) != 0) {
		ctl_warnx("district table: %s", cause);
		free(cause);
		exit(CTL_FAIL);
	}
	if (registry_districts_load(ctl_registry(ctl), ctl->dt, &cause) != 0)
		ctl_redis_fail(ctl, cause);
	return (ctl->dt);
}

/* Print a JSON value to stdout and free it. */
void
ctl_json_print(void *json)
{
	json_dumpf(json, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(json);
}

/*
 * Take -c FILE, --config FILE, --json out of argv wherever they stand,
 * so they may come before or after the command; returns the new argc.
 */
static int
ctl_globals(struct ctl *ctl, int argc, char **argv)
{
	int	i, j;

	for (i = j = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			ctl->conf_path = argv[++i];
			ctl->conf_explicit = 1;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			ctl->conf_path = argv[i] + 9;
			ctl->conf_explicit = 1;
		} else if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return (j);
}

/* The civicast CLI: global options, then one command of the table. */
int
main(int argc, char **argv)
{
	struct ctl		 ctl;
	const struct ctl_cmd	*cmd, *found = NULL;
	struct cmdline_args	 args;
	char			*cause;
	size_t			 i;
	int			 rc, skip;

	memset(&ctl, 0, sizeof ctl);
	ctl.conf_path = CIVICAST_CONF;
	if (getenv("CIVICAST_CONF") != NULL) {
		ctl.conf_path = getenv("CIVICAST_CONF");
		ctl.conf_explicit = 1;
	}
	/* Library warnings (e.g. from rblock.c) go to stderr, masked. */
	log_init(1, LOG_LEVEL_WARN, "civicast");
	argc = ctl_globals(&ctl, argc, argv);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		ctl_usage_all(argc < 2 ? stderr : stdout);
		return (argc < 2 ? CTL_USAGE : CTL_OK);
	}
	if (strcmp(argv[1], "help") == 0)
		return (ctl_help(argc - 2, argv + 2));
	if (strcmp(argv[1], "completion") == 0)
		return (ctl_completion(argc - 2, argv + 2));
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("civicast %s\n", PACKAGE_VERSION);
		return (CTL_OK);
	}
	for (i = 0; i < nitems(ctl_tables) && found == NULL; i++) {
		for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
			if (strcmp(cmd->family, argv[1]) != 0)
				continue;
			if (cmd->name == NULL ||
			    (argc > 2 && strcmp(cmd->name, argv[2]) == 0)) {
				found = cmd;
				break;
			}
		}
	}
	if (found == NULL) {
		for (i = 0; i < nitems(ctl_tables); i++) {
			for (cmd = ctl_tables[i]; cmd->family != NULL; cmd++) {
				if (strcmp(cmd->family, argv[1]) == 0)
					ctl_usage(stderr, cmd);
			}
		}
		ctl_warnx("unknown command: %s%s%s", argv[1],
		    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
		return (CTL_USAGE);
	}
	/* The command sees its own name as argv[0], options after it. */
	skip = found->name != NULL ? 2 : 1;
	ctl.cmd = found;
	switch (cmdline_parse(found->opts, found->nmin, found->nmax,
	    argc - skip, argv + skip, &args, &cause)) {
	case 1:
		ctl_usage(stdout, found);
		cmdline_describe(stdout, found->opts);
		return (CTL_OK);
	case -1:
		ctl_warnx("%s%s%s: %s", found->family,
		    found->name != NULL ? " " : "",
		    found->name != NULL ? found->name : "", cause);
		free(cause);
		ctl_usage(stderr, found);
		return (CTL_USAGE);
	}
	rc = found->exec(&ctl, &args);
	cmdline_free(&args);
	if (ctl.reg_open)
		registry_close(&ctl.reg);
	if (ctl.dt != NULL)
		district_table_free(ctl.dt);
	if (ctl.conf != NULL)
		conf_free(ctl.conf);
	return (rc);
}
