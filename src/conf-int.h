/*
 * conf-int.h: what conf-load.c and conf-check.c share; not for other files.
 *
 * A conf_ctx is one load of one file: conf-load.c walks it against the key
 * table, conf-check.c collects its problems and checks across sections.
 */
#ifndef CIVICAST_CONF_INT_H
#define CIVICAST_CONF_INT_H

#include <stddef.h>

#include <libconfig.h>

#include "compat.h"
#include "conf.h"

struct conf_key;

struct conf_ctx {
	const char		*file;
	config_t		*cfg;		/* NULL: embedded defaults */
	struct conf_errors	*errs;
	int			*lines;		/* each error's line, to sort */
	const struct conf_key	*table;
	size_t			 ntable;
	int			 full;		/* CONF_ERRORS_MAX reached */
};

/* conf-load.c */
const char	*conf_child(const char *path, const char *prefix);
int		 conf_is_array(const config_setting_t *);
int		 conf_channel_kind(const config_setting_t *);

/* conf-check.c */
void		 conf_err(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) printflike(3, 4);
void		 conf_warn(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) printflike(3, 4);
void		 conf_sort_errors(struct conf_ctx *);
const char	*conf_hint(struct conf_ctx *, const char *prefix,
		    const char *name);
void		 conf_check_dups(struct conf_ctx *, const char *list,
		    const char *what, char *elems, size_t n, size_t size,
		    size_t idoff, size_t lineoff);
void		 conf_check_departments(struct conf_ctx *, struct conf *);
void		 conf_warn_departments(struct conf_ctx *, struct conf *);
void		 conf_check_channels(struct conf_ctx *, struct conf *);
void		 conf_check_routes(struct conf_ctx *, struct conf *);
void		 conf_check_redis(struct conf_ctx *, struct conf *, int warn);
void		 conf_check_secrets(struct conf_ctx *, struct conf *);

#endif
