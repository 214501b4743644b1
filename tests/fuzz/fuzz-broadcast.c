/*
 * fuzz-broadcast.c: the event parser on arbitrary bytes.
 *
 * Properties: an event parses or is refused with a cause and nothing
 * left in it; a parsed event holds what the contract promises (the
 * fields its kind requires, limits kept); the time parser agrees with
 * the time formatter; nothing leaks or crashes either way.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broadcast.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What a successfully parsed event must hold. */
static void
check_event(const struct broadcast *ev)
{
	size_t	i;

	if (ev->id == NULL || strlen(ev->id) > BROADCAST_MAX_ID ||
	    ev->department == NULL || ev->sent <= 0 ||
	    (unsigned int)ev->priority >= PRIO_COUNT)
		abort();
	if ((ev->kind == BROADCAST_ALERT) != (ev->references == NULL))
		abort();
	if (ev->kind == BROADCAST_CANCEL) {
		if (ev->template != NULL || ev->nparams != 0 ||
		    ev->audience.ndistricts != 0 || ev->expires != 0)
			abort();
		return;
	}
	if (ev->template == NULL || ev->audience.ndistricts == 0 ||
	    ev->expires <= 0 || ev->nparams > BROADCAST_MAX_PARAMS)
		abort();
	for (i = 0; i < ev->nparams; i++) {
		if (strlen(ev->params[i].value) > BROADCAST_MAX_PARAM_VALUE ||
		    broadcast_param(ev, ev->params[i].name) !=
		    ev->params[i].value)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct broadcast	 ev;
	char		*cause = NULL, *s, buf[64];
	time_t		 t, t2;

	if (broadcast_parse((const char *)data, len, &ev, &cause) != 0) {
		if (cause == NULL || ev.id != NULL)
			abort();
		free(cause);
	} else {
		if (cause != NULL)
			abort();
		check_event(&ev);
		broadcast_free(&ev);
	}

	/* The same bytes as a time: what parses formats back the same. */
	s = xstrndup((const char *)data, len > 64 ? 64 : len);
	if (broadcast_time_parse(s, &t) == 0) {
		broadcast_time_format(t, buf, sizeof buf);
		if (broadcast_time_parse(buf, &t2) != 0 || t2 != t)
			abort();
	}
	free(s);
	return (0);
}
