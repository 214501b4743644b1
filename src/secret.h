/*
 * secret.h: secret files (passwords, keys) that only their owner can read.
 */
#ifndef CIVICAST_SECRET_H
#define CIVICAST_SECRET_H

#include <stddef.h>

/*
 * Read a secret file (password, key) into a NUL-terminated buffer with
 * trailing newlines stripped.  Refuses a file readable or writable by
 * group or others, owned by another user, or not a regular file.  The
 * caller wipes and frees it with conf_secret_free().
 */
int		 conf_secret_read(const char *path, char **out, size_t *len,
		    char **cause);
/*
 * The same without stripping anything: keys are raw bytes, and a key
 * may well end in what looks like a newline.
 */
int		 conf_secret_read_raw(const char *path, char **out, size_t *len,
		    char **cause);
/*
 * Check a secret file against the same rules without reading it, and
 * that it holds at least min bytes: what `civicast config check`,
 * `civicastd -n`, start-up and reload apply to every file the
 * configuration names.  -1 with cause, which says the fix.
 */
int		 conf_secret_check(const char *path, size_t min, char **cause);
/* explicit_bzero and free a secret. */
void		 conf_secret_free(char *, size_t);

#endif
