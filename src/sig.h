/*
 * sig.h: event signatures: lowercase hex HMAC-SHA256 of the exact bytes
 * of an event field, keyed with the raw bytes of the department's key
 * file (docs/events.md).
 */
#ifndef CIVICAST_SIG_H
#define CIVICAST_SIG_H

#include <stddef.h>

#define SIG_HEXLEN	64
#define SIG_KEY_MIN	32	/* bytes a key file must hold */

/* Write the signature of data into hex (SIG_HEXLEN + 1 bytes). */
void	 sig_compute(const void *key, size_t keylen, const void *data,
	    size_t len, char hex[SIG_HEXLEN + 1]);
/*
 * Sign data with the key in path (refused unless mode 0600 or stricter
 * and at least SIG_KEY_MIN bytes); -1 with cause.
 */
int	 sig_sign_file(const char *path, const void *data, size_t len,
	    char hex[SIG_HEXLEN + 1], char **cause);
/*
 * Check sig (siglen bytes) against data signed with the key in path: 0
 * it matches, 1 it does not, -1 with cause when the key is unusable.
 */
int	 sig_verify_file(const char *path, const void *data, size_t len,
	    const char *sig, size_t siglen, char **cause);

#endif
