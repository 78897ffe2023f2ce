/* exit_file.c: the shimmy-format exit file, written by the launcher only as a fallback
 * when no daemon answered after the container exited. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "report.h"
#include "util.h"

int jshim_exit_file_format(char *buf, size_t len, const char *at, int wait_status)
{
	int n;
	if (WIFSIGNALED(wait_status))
		n = snprintf(buf, len, "{\"at\": \"%s\", \"reason\": \"signaled\", \"signal\": %d}", at,
			     WTERMSIG(wait_status));
	else
		n = snprintf(buf, len, "{\"at\": \"%s\", \"reason\": \"exited\", \"exitCode\": %d}", at,
			     WEXITSTATUS(wait_status));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

int jshim_exit_file_write(const char *path, int wait_status)
{
	char at[64], text[256];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int r = jshim_rfc3339(at, sizeof at, &now);
	if (r < 0)
		return r;
	r = jshim_exit_file_format(text, sizeof text, at, wait_status);
	if (r < 0)
		return r;
	return jshim_write_file_atomic(path, text, (size_t)r, 0644);
}
