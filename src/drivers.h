/*
 * drivers.h: the channel drivers this build has (http, modem), found by
 * the type a channel is configured with.  Apart from channel.h so that
 * the drivers, which include channel.h, are not included back by it.
 */
#ifndef CIVICAST_DRIVERS_H
#define CIVICAST_DRIVERS_H

struct channel_ops;

/* The ops for a configured channel type, or NULL. */
const struct channel_ops *drivers_find(const char *type);

#endif
