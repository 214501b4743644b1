/*
 * channel.c: what every delivery channel shares (drivers.c lists them).
 */
#include "compat.h"

#include <string.h>

#include "channel.h"

static const char *channel_result_names[] = {
	"ok",		/* SEND_OK */
	"tempfail",	/* SEND_TEMPFAIL */
	"permfail",	/* SEND_PERMFAIL */
	"unknown"	/* SEND_UNKNOWN */
};

/* The name of a result: "ok", "tempfail", "permfail" or "unknown". */
const char *
channel_result_name(enum send_result r)
{
	if ((size_t)r >= nitems(channel_result_names))
		return ("?");
	return (channel_result_names[r]);
}
