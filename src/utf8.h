/*
 * utf8.h: strict UTF-8 decoding, shared by every parser of text.
 */
#ifndef CIVICAST_UTF8_H
#define CIVICAST_UTF8_H

#include <stddef.h>

size_t	utf8_decode(const unsigned char *, size_t, unsigned int *);
size_t	utf8_valid(const unsigned char *, size_t);

#endif
