/*
 * ctl-config.c: civicast config check.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "district.h"
#include "pipeline.h"

static int	config_check(struct ctl *, const struct cmdline_args *);

/* The config command family. */
const struct ctl_cmd ctl_config_cmds[] = {
	{ "config", "check", NULL, NULL, 0, 0, CTL_CONF,
	  "validate the configuration: every problem with FILE:LINE and why",
	  config_check },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }
};

static int
config_check(struct ctl *ctl, const struct cmdline_args *a)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	const char		*path = ctl->conf_path, *shown;
	char			*cause;
	size_t			 i, problems = 0;

	if (!ctl->conf_explicit && access(path, F_OK) != 0 && errno == ENOENT)
		path = NULL;
	shown = path != NULL ? path : "(embedded defaults)";
	memset(&errs, 0, sizeof errs);
	conf = conf_load_checked(path, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	for (i = 0; i < errs.nwarnings; i++)
		fprintf(stderr, "%s\n", errs.warnings[i]);
	problems = errs.n;
	conf_errors_free(&errs);
	if (conf == NULL) {
		ctl_warnx("%s: %zu problem%s", shown, problems,
		    problems == 1 ? "" : "s");
		return (CTL_FAIL);
	}
	/* The files the keys name must be usable too, as civicastd -n. */
	if (pipeline_check(conf, &cause) != 0) {
		char	*line, *rest = cause;

		while ((line = strsep(&rest, "\n")) != NULL) {
			fprintf(stderr, "%s: %s\n", shown, line);
			problems++;
		}
		free(cause);
	}
	if (problems != 0) {
		ctl_warnx("%s: %zu problem%s", shown, problems,
		    problems == 1 ? "" : "s");
		conf_free(conf);
		return (CTL_FAIL);
	}
	printf("%s: OK (%zu groups, %zu departments, %zu channels, "
	    "%zu routes)\n", shown, conf->ngroups, conf->ndepartments,
	    conf->nchannels, conf->nroutes);
	conf_free(conf);
	return (CTL_OK);
}
