/*
 * buf.h: a growable byte buffer with a hard cap.
 *
 * All external bytes (files, Redis replies, serial lines, HTTP bodies)
 * are collected in a struct buf so no input can grow memory without bound.
 */
#ifndef CIVICAST_BUF_H
#define CIVICAST_BUF_H

#include <stddef.h>

#include "compat.h"

struct buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* 0: no cap */
};

/* Prepare an empty buffer that refuses to grow past max bytes (0: no cap). */
void	 buf_init(struct buf *, size_t max);
/* Append n bytes; -1 when the cap would be exceeded (nothing appended). */
int	 buf_add(struct buf *, const void *, size_t);
/* Append a string; -1 over the cap. */
int	 buf_adds(struct buf *, const char *);
/* Append formatted text; -1 over the cap. */
int	 buf_printf(struct buf *, const char *, ...) printflike(2, 3);
/* Forget the contents, keep the memory. */
void	 buf_reset(struct buf *);
/* Free the memory. */
void	 buf_free(struct buf *);
/* Take the data (NUL-terminated, never NULL) and leave the buffer empty. */
char	*buf_steal(struct buf *);

#endif
