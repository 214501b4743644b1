/*
 * drivers.c: the table of channel drivers.
 */
#include "compat.h"

#include <string.h>

#include "channel.h"
#include "drivers.h"
#include "http.h"
#include "modem.h"

/* Every channel type this build knows. */
static const struct channel_ops *drivers[] = {
	&http_channel_ops,
	&modem_channel_ops,
};

/* The ops for a configured channel type, or NULL. */
const struct channel_ops *
drivers_find(const char *type)
{
	size_t	i;

	if (type == NULL)
		return (NULL);
	for (i = 0; i < nitems(drivers); i++) {
		if (strcmp(drivers[i]->type, type) == 0)
			return (drivers[i]);
	}
	return (NULL);
}
