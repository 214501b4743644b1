/*
 * channel.c: the table of delivery channel types.
 */
#include "compat.h"

#include <string.h>

#include "channel.h"
#include "http.h"
#include "modem.h"

/* Every channel type this build knows. */
static const struct channel_ops *channel_types[] = {
	&http_channel_ops,
	&modem_channel_ops,
};

static const char *channel_result_names[] = {
	"ok",		/* SEND_OK */
	"tempfail",	/* SEND_TEMPFAIL */
	"permfail",	/* SEND_PERMFAIL */
	"unknown"	/* SEND_UNKNOWN */
};

/* The ops for a configured channel type, or NULL. */
const struct channel_ops *
channel_ops_find(const char *type)
{
	size_t	i;

	if (type == NULL)
		return (NULL);
	for (i = 0; i < nitems(channel_types); i++) {
		if (strcmp(channel_types[i]->type, type) == 0)
			return (channel_types[i]);
	}
	return (NULL);
}

/* The name of a result: "ok", "tempfail", "permfail" or "unknown". */
const char *
channel_result_name(enum send_result r)
{
	if ((size_t)r >= nitems(channel_result_names))
		return ("?");
	return (channel_result_names[r]);
}
