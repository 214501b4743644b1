/*
 * fuzz-conf.c: the configuration loader on arbitrary files.
 *
 * Properties: a file loads or is refused with at least one message, and
 * nothing leaks or crashes either way.
 */
#include "compat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_errors	 errs;
	struct conf		*conf;
	char			 path[] = "/tmp/fuzz-conf.XXXXXX";
	int			 fd;

	log_init(1, LOG_LEVEL_ERROR, "fuzz-conf");
	if ((fd = mkstemp(path)) == -1)
		return (0);
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return (0);
	}
	close(fd);
	memset(&errs, 0, sizeof errs);
	conf = conf_load(path, &errs);
	unlink(path);
	if (conf == NULL && errs.n == 0)
		abort();
	if (conf != NULL)
		conf_free(conf);
	conf_errors_free(&errs);
	return (0);
}
