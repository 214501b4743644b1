/*
 * driver.c: replay fuzz inputs without libFuzzer.
 *
 * Linked into each fuzz target when the build is not --enable-fuzzing, so
 * `make check` runs every saved corpus file through the target under
 * whatever sanitizers the build has.  Arguments are files or directories.
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	char	*data, *cause;
	size_t	 len;

	if (util_read_file(path, 16 << 20, &data, &len, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return (-1);
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return (0);
}

int
main(int argc, char **argv)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*dir;
	char		 path[4096];
	int		 i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((dir = opendir(argv[i])) == NULL)
				continue;
			while ((de = readdir(dir)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof path, "%s/%s", argv[i],
				    de->d_name);
				bad += replay_file(path) != 0;
				n++;
			}
			closedir(dir);
		} else {
			bad += replay_file(argv[i]) != 0;
			n++;
		}
	}
	printf("%s: %d inputs replayed\n", argv[0], n);
	return (bad != 0 || n == 0);
}
