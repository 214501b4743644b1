/*
 * fanout.h: an accepted event's audience into rendered messages.
 */
#ifndef CIVICAST_FANOUT_H
#define CIVICAST_FANOUT_H

#include <stddef.h>

struct bevent;
struct buf;
struct conf;
struct conf_department;
struct district_table;
struct fanout;
struct pipeline;
struct tmpl;

/* Set up the fan-out worker of a pipeline. */
struct fanout	*fanout_new(struct pipeline *);
/* Free it. */
void		 fanout_free(struct fanout *);
/* An event may be waiting: look soon. */
void		 fanout_kick(struct fanout *);

/*
 * Render one message body for a recipient (name and district may be "")
 * into out: the template with the event's parameters and the
 * department's fields.  -1 with cause (a missing value, over out's cap).
 */
int		 fanout_render(const struct tmpl *, const struct bevent *,
		    const struct conf_department *,
		    const struct district_table *, const char *name,
		    const char *district, struct buf *out, char **cause);
/* 1 when the template's text depends on the recipient. */
int		 fanout_personal(const struct tmpl *);

#endif
