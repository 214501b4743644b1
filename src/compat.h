/*
 * compat.h: the BSD functions civicast uses that glibc may lack.
 * configure replaces the missing ones from compat/ (AC_REPLACE_FUNCS).
 */
#ifndef CIVICAST_COMPAT_H
#define CIVICAST_COMPAT_H

#include <config.h>
#include <stddef.h>

#ifndef HAVE_STRLCPY
size_t	 strlcpy(char *, const char *, size_t);
#endif
#ifndef HAVE_STRLCAT
size_t	 strlcat(char *, const char *, size_t);
#endif
#ifndef HAVE_STRTONUM
long long strtonum(const char *, long long, long long, const char **);
#endif

#ifdef __GNUC__
#define printflike(a, b) __attribute__((format(printf, a, b)))
#define __dead __attribute__((noreturn))
#else
#define printflike(a, b)
#define __dead
#endif

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
