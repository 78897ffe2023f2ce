/* launch.c: the main process's part, per dialect, up to the monitor. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"
#include "monitor.h"
#include "util.h"

static int cloexec(int fd, const char *what)
{
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "jshim: fcntl FD_CLOEXEC %s fd %d: %s\n", what, fd, strerror(errno));
		return -1;
	}
	return 0;
}

/* The manager writes one byte once it has moved us into our cgroup; EOF means go on too. */
static int read_start_byte(int fd)
{
	char buf[8192];
	ssize_t n;
	do
		n = read(fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "jshim: read the start pipe fd %d: %s\n", fd, strerror(errno));
		return -1;
	}
	return 0;
}

/* conmon's: the monitor should be the last thing the OOM killer picks (best effort: EACCES
 * in a sandbox is ignored); the runtime child sets 0 again, so the container does not inherit it. */
static void oom_score_adj(const char *value)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, value, strlen(value)) < 0)
		errno = 0;
	close(fd);
}

static int launch_conmon(struct jshim_config *cfg)
{
	int orig[3] = { -1, -1, -1 };
	bool pass = (cfg->log_drivers & JSHIM_LOGDRV_PASSTHROUGH) != 0;
	if (cloexec(cfg->sync_fd, "_OCI_SYNCPIPE") < 0 || cloexec(cfg->start_fd, "_OCI_STARTPIPE") < 0 ||
	    cloexec(cfg->attach_pipe_fd, "_OCI_ATTACHPIPE") < 0)
		return 1;
	jshim_inherited_record(cfg);
	oom_score_adj("-1000");
	if (cfg->start_fd >= 0) {
		if (read_start_byte(cfg->start_fd) < 0)
			return 1;
		if (!cfg->exec_attach) { /* exec: the runtime child waits for the second byte */
			close(cfg->start_fd);
			cfg->start_fd = -1;
		}
	}
	fflush(NULL);
	jshim_daemonize(cfg->conmon_pidfile, "--conmon-pidfile", !cfg->sync_mode, pass ? orig : NULL);
	int r = jshim_monitor_run(cfg, pass ? orig : NULL);
	for (int i = 0; i < 3; i++)
		jshim_close(&orig[i]);
	return r;
}

int jshim_launch(struct jshim_config *cfg)
{
	if (cfg->dialect == JSHIM_DIALECT_CONMON)
		return launch_conmon(cfg);
	fflush(NULL);
	jshim_daemonize(cfg->shim_pidfile, "--shimmy-pidfile", true, NULL); /* returns in the monitor */
	return jshim_monitor_run(cfg, NULL);
}
