/* log.c: one O_APPEND write per line, so concurrent launchers never interleave. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static struct {
	enum jshim_log_level level;
	const char *id;
	char dir[PATH_MAX];
	int fd;
	int failed;
} lg = { JSHIM_LOG_OFF, "", "", -1, 0 };

static const char *const level_names[] = { "OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };

void jshim_log_init(enum jshim_log_level level, const char *container_id, const char *dir)
{
	lg.level = level;
	lg.id = container_id;
	snprintf(lg.dir, sizeof lg.dir, "%s", dir);
	jshim_close(&lg.fd);
	lg.failed = 0;
}

static int log_fd(void)
{
	if (lg.fd >= 0 || lg.failed)
		return lg.fd;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/launcher.log", lg.dir);
	if (jshim_ensure_dir(lg.dir, 0700) == 0)
		lg.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lg.fd < 0)
		lg.failed = 1; /* nowhere to report it: stderr is /dev/null by now */
	return lg.fd;
}

void jshim_log(enum jshim_log_level level, const char *fmt, ...)
{
	if (level == JSHIM_LOG_OFF || level > lg.level)
		return;
	int saved = errno;
	int fd = log_fd();
	if (fd < 0) {
		errno = saved;
		return;
	}
	char line[4096], ts[64];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (jshim_rfc3339(ts, sizeof ts, &now) < 0)
		ts[0] = '\0';
	int n = snprintf(line, sizeof line, "%s %s jshim[%d] %s: ", ts, level_names[level], (int)getpid(),
			 lg.id);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof line - 1) {
		va_list ap;
		va_start(ap, fmt);
		errno = saved;
		int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (jshim_write_all(fd, line, (size_t)n) < 0)
		lg.failed = 1;
	errno = saved;
}
