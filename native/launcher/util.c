/* util.c: fd, time, path and file helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void jshim_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

void jshim_closep(int *fd)
{
	int saved = errno;
	jshim_close(fd);
	errno = saved;
}

int jshim_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int jshim_rfc3339(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	if (localtime_r(&ts->tv_sec, &tm) == NULL)
		return -errno;
	char base[32];
	if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -ENOSPC;
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n = snprintf(buf, len, "%s.%09ld%c%02ld:%02ld", base, (long)ts->tv_nsec, sign, off / 3600,
			 (off % 3600) / 60);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int64_t jshim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int jshim_dirname(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		if (len < 2)
			return -ENAMETOOLONG;
		strcpy(out, ".");
		return 0;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int jshim_ensure_dir(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int jshim_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	int r = jshim_dirname(path, dir, sizeof dir);
	if (r < 0)
		return r;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int n = snprintf(tmp, sizeof tmp, "%s/.%s.jshim-tmp.%d", dir, base, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -ENAMETOOLONG;
	cleanup_fd int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = jshim_write_all(fd, data, len);
	if (r == 0) {
		/* closed here, not by cleanup, because a failed close means the data may be lost */
		int c = close(fd);
		fd = -1;
		if (c < 0)
			r = -errno;
	}
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int jshim_parse_int(const char *s, int *out)
{
	if (s == NULL || *s == '\0')
		return -EINVAL;
	long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

int jshim_proc_stat(pid_t pid, char *state, long *cpu_ms)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* then: state ppid ... field 14 utime, 15 stime */
	unsigned long ut = 0, st = 0;
	if (p == NULL || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", state, &ut, &st) != 3)
		return -EPROTO;
	long hz = sysconf(_SC_CLK_TCK);
	*cpu_ms = hz > 0 ? (long)((ut + st) * 1000 / (unsigned long)hz) : 0;
	return 0;
}
