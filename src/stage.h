/*
 * stage.h: what the stages of the pipeline (intake, fanout, outbox,
 * retention) are given besides the daemon and the script runner: the
 * pieces loaded from files, which pipeline.c alone loads and swaps on a
 * reload.  A stage reads them through this struct, so it always sees
 * the current ones, and never reaches another stage: it is given a
 * callback to wake the next one instead.
 */
#ifndef CIVICAST_STAGE_H
#define CIVICAST_STAGE_H

#include <stddef.h>

struct carrier_table;
struct channel;
struct district_table;
struct tmpl_set;

struct stage_res {
	struct tmpl_set		*tmpls;		/* templates_dir */
	struct district_table	*dt;		/* districts_file + imports */
	struct carrier_table	*carriers;	/* NULL: none loaded */
	struct channel		*chans;		/* started channels */
	size_t			 nchans;
};

/* Wake the next stage: there may be work for it. */
typedef void	stage_wake_cb(void *);

#endif
