/*
 * sign.h: event signatures: lowercase hex HMAC-SHA256 of the exact bytes
 * of an event field, keyed with the raw bytes of the department's key
 * file (docs/events.md).
 */
#ifndef CIVICAST_SIGN_H
#define CIVICAST_SIGN_H

#include <stddef.h>

#define SIGN_HEXLEN	64
#define SIGN_KEY_MIN	32	/* bytes a key file must hold */

/* Write the signature of data into hex (SIGN_HEXLEN + 1 bytes). */
void	 sign_compute(const void *key, size_t keylen, const void *data,
	    size_t len, char hex[SIGN_HEXLEN + 1]);
/*
 * Sign data with the key in path (refused unless mode 0600 or stricter
 * and at least SIGN_KEY_MIN bytes); -1 with cause.
 */
int	 sign_file(const char *path, const void *data, size_t len,
	    char hex[SIGN_HEXLEN + 1], char **cause);
/*
 * Check sig (siglen bytes) against data signed with the key in path: 0
 * it matches, 1 it does not, -1 with cause when the key is unusable.
 */
int	 sign_verify_file(const char *path, const void *data, size_t len,
	    const char *sig, size_t siglen, char **cause);

#endif
