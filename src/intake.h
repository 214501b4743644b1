/*
 * intake.h: disclosure events in: the stream, its consumer group, the
 * dead-letter stream and the Pub/Sub bridge.
 */
#ifndef CIVICAST_INTAKE_H
#define CIVICAST_INTAKE_H

#include <stddef.h>
#include <time.h>

struct buf;
struct district_table;
struct tmpl_set;
struct bevent;
struct conf;
struct intake;
struct pipeline;

#define INTAKE_GROUP		"civicastd"	/* the consumer group */
#define INTAKE_NAME_RESERVE	32	/* characters a recipient name may add */
#define INTAKE_PLACE_RESERVE	16	/* characters a district name may add */

/* Set up intake for a pipeline. */
struct intake	*intake_new(struct pipeline *);
/* Free it. */
void		 intake_free(struct intake *);
/* Redis (re)connected and scripts loaded: (re)start reading. */
void		 intake_connected(struct intake *);
/* The configuration was reloaded. */
void		 intake_reloaded(struct intake *);

/*
 * Everything the daemon checks of an event besides the registry: parse,
 * validate at time now, and render the text that does not depend on the
 * recipient into text (signature first) with its worst-case length
 * against the configured cap.  Shared with `civicast publish --dry-run`.
 * -1 with cause.
 */
int		 intake_check(const char *json, size_t len, const struct conf *,
		    const struct district_table *, const struct tmpl_set *,
		    time_t now, struct bevent *ev, struct buf *text,
		    int *personal, char **cause);

#endif
