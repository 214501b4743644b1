/*
 * sig.c: event signatures (HMAC-SHA256, OpenSSL's libcrypto).
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "secret.h"
#include "sig.h"
#include "xmalloc.h"

/* Write the signature of data into hex. */
void
sig_compute(const void *key, size_t keylen, const void *data, size_t len,
    char hex[SIG_HEXLEN + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0, i;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen);
	for (i = 0; i < maclen && i < SIG_HEXLEN / 2; i++) {
		hex[i * 2] = digits[mac[i] >> 4];
		hex[i * 2 + 1] = digits[mac[i] & 0xf];
	}
	hex[i * 2] = '\0';
	explicit_bzero(mac, sizeof mac);
}

/* Sign data with the key in path; -1 with cause. */
int
sig_sign_file(const char *path, const void *data, size_t len,
    char hex[SIG_HEXLEN + 1], char **cause)
{
	char	*key;
	size_t	 keylen;

	if (conf_secret_read_raw(path, &key, &keylen, cause) != 0)
		return (-1);
	if (keylen < SIG_KEY_MIN) {
		xasprintf(cause, "%s: a key must hold at least %d bytes",
		    path, SIG_KEY_MIN);
		conf_secret_free(key, keylen);
		return (-1);
	}
	sig_compute(key, keylen, data, len, hex);
	conf_secret_free(key, keylen);
	return (0);
}
