/*
 * pdutool.c: encode a text as SMS-SUBMIT PDUs, for the python-gammu
 * cross-check (tests/pdu-gammu.py).
 *
 * usage: pdutool [-n] [-r] [-s] [-v MIN] [-R REF] [-16] NUMBER TEXT
 *	-n	national number (TOA 0xA1), else international
 *	-r	request a status report (TP-SRR)
 *	-s	put an SMSC address (+8613800571500) in front
 *	-v MIN	relative validity period in minutes
 *	-R REF	concatenation reference
 *	-16	16-bit concatenation reference
 * Prints one line per part: "<tpdu_len> <hex>".
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"

static void __dead
usage(void)
{
	fprintf(stderr, "usage: pdutool [-n] [-r] [-s] [-v MIN] [-R REF] "
	    "[-16] NUMBER TEXT\n");
	exit(2);
}

/* A number argument of option opt, or exit. */
static long long
number_arg(const char *opt, const char *s, long long max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, 0, max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "pdutool: %s %s: %s\n", opt, s, errstr);
		exit(2);
	}
	return (v);
}

int
main(int argc, char **argv)
{
	struct pdu_opts	 opts;
	struct pdu_part	 parts[PDU_MAX_PARTS];
	size_t		 n, i;
	char		*cause;
	int		 a;

	memset(&opts, 0, sizeof opts);
	opts.numtype = PDU_INTERNATIONAL;
	/* By hand: "-16" is not a getopt option. */
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "-n") == 0)
			opts.numtype = PDU_NATIONAL;
		else if (strcmp(argv[a], "-r") == 0)
			opts.srr = 1;
		else if (strcmp(argv[a], "-s") == 0)
			opts.smsc = "+8613800571500";
		else if (strcmp(argv[a], "-16") == 0)
			opts.ref16 = 1;
		else if (strcmp(argv[a], "-v") == 0 && a + 1 < argc)
			opts.vp_minutes = (int)number_arg("-v", argv[++a],
			    1000000);
		else if (strcmp(argv[a], "-R") == 0 && a + 1 < argc)
			opts.ref = (unsigned int)number_arg("-R", argv[++a],
			    65535);
		else if (strcmp(argv[a], "--") == 0) {
			a++;
			break;
		} else
			usage();
	}
	if (argc - a != 2)
		usage();
	if (pdu_encode_submit(argv[a], argv[a + 1], &opts, parts,
	    PDU_MAX_PARTS, &n, &cause) != 0) {
		fprintf(stderr, "pdutool: %s\n", cause);
		free(cause);
		return (1);
	}
	for (i = 0; i < n; i++)
		printf("%zu %s\n", parts[i].tpdu_len, parts[i].hex);
	return (0);
}
