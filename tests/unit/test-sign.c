/*
 * test-sign.c: event signatures: HMAC-SHA256 against the RFC 4231
 * vectors, and a check that refuses every signature but the exact one
 * (one character off at the start, middle or end, truncated, longer,
 * upper-case, another key's, empty).
 *
 * The expected values come from RFC 4231 and from Python's hmac module
 * (python3 -c 'import hmac, hashlib; ...'), never from civicast's code.
 */
#include "compat.h"

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sign.h"

/* RFC 4231 test case 2: key "Jefe". */
#define TC2_DATA	"what do ya want for nothing?"
#define TC2_SIG		\
	"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
/* RFC 4231 test case 6: key 0xaa x 131 (longer than a block). */
#define TC6_DATA	"Test Using Larger Than Block-Size Key - Hash Key First"
#define TC6_SIG		\
	"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
/* TC2_DATA under the test case 6 key (Python's hmac). */
#define TC2_AA_SIG	\
	"bbdac401abeea01d2e53972bc420224af5faf9b35f65738d35b1bae551738199"
#define AA_LEN		131

struct keys {
	char	dir[64];
	char	aa[96];		/* 0xaa x 131, mode 0600 */
	char	short_key[96];	/* 31 bytes, mode 0600 */
	char	open_key[96];	/* 0xaa x 131, mode 0644 */
};

static void
write_key(const char *path, unsigned char byte, size_t len, mode_t mode)
{
	unsigned char	 buf[AA_LEN];
	FILE		*f;

	assert_true(len <= sizeof buf);
	memset(buf, byte, len);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	struct keys	*k;
	const char	*tmp = getenv("TMPDIR");

	k = calloc(1, sizeof *k);
	if (k == NULL)
		return (-1);
	snprintf(k->dir, sizeof k->dir, "%s/test-sign.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(k->dir) == NULL)
		return (-1);
	snprintf(k->aa, sizeof k->aa, "%s/aa.key", k->dir);
	snprintf(k->short_key, sizeof k->short_key, "%s/short.key", k->dir);
	snprintf(k->open_key, sizeof k->open_key, "%s/open.key", k->dir);
	write_key(k->aa, 0xaa, AA_LEN, 0600);
	write_key(k->short_key, 0xaa, SIGN_KEY_MIN - 1, 0600);
	write_key(k->open_key, 0xaa, AA_LEN, 0644);
	*state = k;
	return (0);
}

static int
teardown(void **state)
{
	struct keys	*k = *state;

	unlink(k->aa);
	unlink(k->short_key);
	unlink(k->open_key);
	rmdir(k->dir);
	free(k);
	return (0);
}

/* sign_verify_file over a NUL-terminated signature. */
static int
verify(struct keys *k, const char *data, const char *sig)
{
	char	*cause = NULL;
	int	 rc;

	rc = sign_verify_file(k->aa, data, strlen(data), sig, strlen(sig),
	    &cause);
	assert_null(cause);
	return (rc);
}

static void
test_compute_rfc4231(void **state)
{
	unsigned char	key[AA_LEN];
	char		hex[SIGN_HEXLEN + 1];

	(void)state;
	sign_compute("Jefe", 4, TC2_DATA, strlen(TC2_DATA), hex);
	assert_string_equal(hex, TC2_SIG);
	memset(key, 0xaa, sizeof key);
	sign_compute(key, sizeof key, TC6_DATA, strlen(TC6_DATA), hex);
	assert_string_equal(hex, TC6_SIG);
	assert_int_equal(strlen(hex), SIGN_HEXLEN);
}

static void
test_sign_file(void **state)
{
	struct keys	*k = *state;
	char		 hex[SIGN_HEXLEN + 1], *cause = NULL;

	assert_int_equal(sign_file(k->aa, TC6_DATA, strlen(TC6_DATA),
	    hex, &cause), 0);
	assert_string_equal(hex, TC6_SIG);
	assert_int_equal(sign_file(k->aa, TC2_DATA, strlen(TC2_DATA),
	    hex, &cause), 0);
	assert_string_equal(hex, TC2_AA_SIG);
}

static void
test_verify_exact(void **state)
{
	struct keys	*k = *state;

	assert_int_equal(verify(k, TC6_DATA, TC6_SIG), 0);
	assert_int_equal(verify(k, TC2_DATA, TC2_AA_SIG), 0);
}

/* The right signature with the character at i replaced by another hex digit. */
static void
one_off(struct keys *k, size_t i)
{
	char	sig[] = TC6_SIG;

	sig[i] = sig[i] == '0' ? '1' : '0';
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
	/* And a letter for a digit (or another letter). */
	sig[i] = TC6_SIG[i] == 'f' ? 'e' : 'f';
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
}

static void
test_verify_one_off(void **state)
{
	struct keys	*k = *state;
	size_t		 i;

	one_off(k, 0);			/* start */
	one_off(k, SIGN_HEXLEN / 2);	/* middle */
	one_off(k, SIGN_HEXLEN / 2 - 1);
	one_off(k, SIGN_HEXLEN - 1);	/* end */
	/* Every position: a check that skips any part of it fails here. */
	for (i = 0; i < SIGN_HEXLEN; i++)
		one_off(k, i);
}

static void
test_verify_length(void **state)
{
	struct keys	*k = *state;
	char		 sig[SIGN_HEXLEN + 2], *cause = NULL;

	/* Truncated: the right first 63, 32 and 1 characters. */
	strlcpy(sig, TC6_SIG, sizeof sig);
	sig[SIGN_HEXLEN - 1] = '\0';
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
	sig[SIGN_HEXLEN / 2] = '\0';
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
	sig[1] = '\0';
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
	/* Truncated, the length given as 64 (what follows is a NUL). */
	strlcpy(sig, TC6_SIG, sizeof sig);
	sig[SIGN_HEXLEN - 1] = '\0';
	assert_int_equal(sign_verify_file(k->aa, TC6_DATA, strlen(TC6_DATA),
	    sig, SIGN_HEXLEN, &cause), 1);
	/* Longer: the right 64 and one more. */
	strlcpy(sig, TC6_SIG, sizeof sig);
	strlcat(sig, "0", sizeof sig);
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
	/* Empty. */
	assert_int_equal(verify(k, TC6_DATA, ""), 1);
	assert_int_equal(sign_verify_file(k->aa, TC6_DATA, strlen(TC6_DATA),
	    NULL, 0, &cause), 1);
	assert_null(cause);
}

static void
test_verify_case(void **state)
{
	struct keys	*k = *state;
	char		 sig[] = TC6_SIG;
	size_t		 i;

	/* Upper-case hex: the same number, not the signature (lowercase). */
	for (i = 0; sig[i] != '\0'; i++)
		if (sig[i] >= 'a' && sig[i] <= 'f')
			sig[i] = sig[i] - 'a' + 'A';
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
	/* Only the last letter upper-case. */
	strlcpy(sig, TC6_SIG, sizeof sig);
	for (i = SIGN_HEXLEN; i-- > 0;)
		if (sig[i] >= 'a' && sig[i] <= 'f') {
			sig[i] = sig[i] - 'a' + 'A';
			break;
		}
	assert_int_equal(verify(k, TC6_DATA, sig), 1);
}

static void
test_verify_other_key_or_data(void **state)
{
	struct keys	*k = *state;
	char		*cause = NULL;

	/* The same bytes signed with another key (RFC 4231's "Jefe"). */
	assert_int_equal(verify(k, TC2_DATA, TC2_SIG), 1);
	/* Another event's signature; the event with one byte changed. */
	assert_int_equal(verify(k, TC2_DATA, TC6_SIG), 1);
	assert_int_equal(verify(k, "Test Using Larger Than Block-Size Key - "
	    "Hash Key first", TC6_SIG), 1);
	/* The data without its last byte. */
	assert_int_equal(sign_verify_file(k->aa, TC6_DATA,
	    strlen(TC6_DATA) - 1, TC6_SIG, SIGN_HEXLEN, &cause), 1);
	assert_null(cause);
}

static void
test_bad_keys(void **state)
{
	struct keys	*k = *state;
	char		*cause = NULL;

	assert_int_equal(sign_verify_file(k->short_key, TC6_DATA,
	    strlen(TC6_DATA), TC6_SIG, SIGN_HEXLEN, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "at least 32 bytes"));
	free(cause);
	cause = NULL;
	assert_int_equal(sign_verify_file(k->open_key, TC6_DATA,
	    strlen(TC6_DATA), TC6_SIG, SIGN_HEXLEN, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "mode 0644"));
	free(cause);
	cause = NULL;
	assert_int_equal(sign_verify_file("/nonexistent/key", TC6_DATA,
	    strlen(TC6_DATA), TC6_SIG, SIGN_HEXLEN, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_rfc4231),
		cmocka_unit_test(test_sign_file),
		cmocka_unit_test(test_verify_exact),
		cmocka_unit_test(test_verify_one_off),
		cmocka_unit_test(test_verify_length),
		cmocka_unit_test(test_verify_case),
		cmocka_unit_test(test_verify_other_key_or_data),
		cmocka_unit_test(test_bad_keys),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
