/*
 * sign.c: event signatures (HMAC-SHA256, OpenSSL's libcrypto).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "secret.h"
#include "sign.h"
#include "xmalloc.h"

/* Write the signature of data into hex. */
void
sign_compute(const void *key, size_t keylen, const void *data, size_t len,
    char hex[SIGN_HEXLEN + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0, i;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen);
	for (i = 0; i < maclen && i < SIGN_HEXLEN / 2; i++) {
		hex[i * 2] = digits[mac[i] >> 4];
		hex[i * 2 + 1] = digits[mac[i] & 0xf];
	}
	hex[i * 2] = '\0';
	explicit_bzero(mac, sizeof mac);
}

/* Sign data with the key in path; -1 with cause. */
int
sign_file(const char *path, const void *data, size_t len,
    char hex[SIGN_HEXLEN + 1], char **cause)
{
	char	*key;
	size_t	 keylen;

	if (conf_secret_read_raw(path, &key, &keylen, cause) != 0)
		return (-1);
	if (keylen < SIGN_KEY_MIN) {
		xasprintf(cause, "%s: a key must hold at least %d bytes",
		    path, SIGN_KEY_MIN);
		conf_secret_free(key, keylen);
		return (-1);
	}
	sign_compute(key, keylen, data, len, hex);
	conf_secret_free(key, keylen);
	return (0);
}

/*
 * Check sig (siglen bytes, not NUL-terminated) against the signature of
 * data with the key in path: 0 when it matches, 1 when it does not, -1
 * with cause when the key cannot be used.
 */
int
sign_verify_file(const char *path, const void *data, size_t len,
    const char *sig, size_t siglen, char **cause)
{
	char	hex[SIGN_HEXLEN + 1];
	int	rc;

	if (sign_file(path, data, len, hex, cause) != 0)
		return (-1);
	/*
	 * Every one of the 64 characters, in constant time (no timing hint
	 * to a forger), and exactly 64 of them: lowercase hex only, so
	 * "AB" is not "ab".
	 */
	rc = siglen == SIGN_HEXLEN && CRYPTO_memcmp(hex, sig, SIGN_HEXLEN) == 0 ?
	    0 : 1;
	explicit_bzero(hex, sizeof hex);
	return (rc);
}
