/*
 * xmalloc.h: allocators that exit on out-of-memory.
 *
 * civicast keeps every piece of work that matters in Redis, so dying on
 * OOM loses nothing: a restarted daemon picks the work up again.
 */
#ifndef CIVICAST_XMALLOC_H
#define CIVICAST_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

/* malloc or die. */
void	*xmalloc(size_t);
/* calloc or die. */
void	*xcalloc(size_t, size_t);
/* realloc of nmemb * size, overflow-checked, or die. */
void	*xreallocarray(void *, size_t, size_t);
/* strdup or die. */
char	*xstrdup(const char *);
/* strndup or die. */
char	*xstrndup(const char *, size_t);
/* asprintf or die; returns the length. */
int	 xasprintf(char **, const char *, ...) printflike(2, 3);
/* vasprintf or die; returns the length. */
int	 xvasprintf(char **, const char *, va_list) printflike(2, 0);

#endif
