/*
 * modem.h: the "modem" channel: one GSM modem (AT commands, PDU mode)
 * on a serial port, driven from the daemon's libevent loop.  The design
 * is the comment at the top of modem.c and docs/internals/modem.md.
 */
#ifndef CIVICAST_MODEM_H
#define CIVICAST_MODEM_H

#include "channel.h"

/* The channel ops of type "modem". */
extern const struct channel_ops modem_channel_ops;

#endif
