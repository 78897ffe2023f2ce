/* exit_file.c: the exit file in shimmy's or conmon's format, written by the launcher only as
 * a fallback when no daemon finished the exit, and conmon's status rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jshim_protocol.h"
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

int jshim_conmon_status(int wait_status, bool timed_out)
{
	if (timed_out)
		return -1;
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

int jshim_write_at_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[300];
	uint32_t rnd = 0;
	for (int attempt = 0; attempt < 16; attempt++) {
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
			rnd = (uint32_t)getpid() * 2654435761u + (uint32_t)attempt;
		int n = snprintf(tmp, sizeof tmp, ".%.200s.%08x.jshim-tmp", name, rnd);
		if (n < 0 || (size_t)n >= sizeof tmp)
			return -ENAMETOOLONG;
		int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		int r = jshim_write_all(fd, data, len);
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
			r = -errno;
		if (r < 0)
			unlinkat(dirfd, tmp, 0);
		return r;
	}
	return -EEXIST;
}

int jshim_rfc3339_utc(char *buf, size_t len, int64_t ns)
{
	struct tm tm;
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	if (gmtime_r(&sec, &tm) == NULL)
		return -errno;
	char base[32], f[16] = "";
	if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -ENOSPC;
	if (frac != 0 && frac % 1000000 == 0)
		snprintf(f, sizeof f, ".%03ld", frac / 1000000);
	else if (frac != 0 && frac % 1000 == 0)
		snprintf(f, sizeof f, ".%06ld", frac / 1000);
	else if (frac != 0)
		snprintf(f, sizeof f, ".%09ld", frac);
	int n = snprintf(buf, len, "%s%s+00:00", base, f);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int jshim_exit_file_write_at(int dirfd, const char *name, uint32_t format, int wait_status, bool timed_out)
{
	return jshim_exit_file_write_at_time(dirfd, name, format, wait_status, timed_out, 0);
}

int jshim_exit_file_write_at_time(int dirfd, const char *name, uint32_t format, int wait_status, bool timed_out,
				  int64_t exit_time_ns)
{
	char text[256];
	int n;
	if (format == JSHIM_EXIT_CONMON_CODE) {
		n = snprintf(text, sizeof text, "%d", jshim_conmon_status(wait_status, timed_out));
	} else {
		char at[64];
		if (exit_time_ns == 0) {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			exit_time_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		}
		int r = jshim_rfc3339_utc(at, sizeof at, exit_time_ns);
		if (r < 0)
			return r;
		n = jshim_exit_file_format(text, sizeof text, at, wait_status);
	}
	if (n < 0)
		return n;
	return jshim_write_at_atomic(dirfd, name, text, (size_t)n, 0644);
}
