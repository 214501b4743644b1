/*
 * log.h: the one logging module (OpenBSD log.c API).
 *
 * Lines go to stderr in the foreground and to syslog (journald) otherwise.
 * Every line passes through log_mask_phones() before it is written, so a
 * Chinese mobile number that slips into a message is masked as 138****0000.
 */
#ifndef CIVICAST_LOG_H
#define CIVICAST_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Start logging: foreground to stderr, else syslog as ident. */
void	 log_init(int foreground, enum log_level level, const char *ident);
/* Change the level at run time (SIGHUP, `civicast log verbose`). */
void	 log_setlevel(enum log_level level);
/* The level in force. */
enum log_level log_getlevel(void);
/* Parse "error", "warn", "info" or "debug"; -1 when unknown. */
int	 log_level_parse(const char *name);
/* Name of a level. */
const char *log_level_name(enum log_level level);

/* Warning with strerror(errno) appended. */
void	 log_warn(const char *, ...) printflike(1, 2);
/* Warning. */
void	 log_warnx(const char *, ...) printflike(1, 2);
/* Informational message. */
void	 log_info(const char *, ...) printflike(1, 2);
/* Debug message. */
void	 log_debug(const char *, ...) printflike(1, 2);
/* Error with strerror(errno), then exit(1): start-up and broken invariants only. */
__dead void fatal(const char *, ...) printflike(1, 2);
/* Error, then exit(1): start-up and broken invariants only. */
__dead void fatalx(const char *, ...) printflike(1, 2);

/*
 * Mask every Chinese mobile number in s (in place): an 11-digit run that
 * starts with 1, alone or after +86/86/0086, keeps its first three and last
 * four digits (13800138000 -> 138****8000).  Digits grouped by spaces or
 * dashes as people type them are masked too.
 */
void	 log_mask_phones(char *s);

#endif
