/* daemonize.c: the main process never returns from here; the monitor does. */
#include "daemonize.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* When we were started with a closed stdio fd, /dev/null lands on it with O_CLOEXEC, which
 * dup2 onto itself keeps: clear it, or the runtime would start with that fd closed. */
static int stdio_to_devnull(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -errno;
	if (fd <= 2)
		return fcntl(fd, F_SETFD, 0) < 0 ? -errno : 0;
	close(fd);
	return 0;
}

/* Passthrough: the runtime gets the original stdio, so keep copies above 2. */
static int keep_stdio(int *orig_stdio)
{
	for (int i = 0; i < 3; i++) {
		orig_stdio[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		if (orig_stdio[i] < 0)
			return -errno;
	}
	return 0;
}

/* The intermediate child: new session, fork the monitor, pass its pid up, exit. */
static void intermediate(int pid_w, int go_r, int *orig_stdio)
{
	if (setsid() < 0)
		_exit(1);
	pid_t mon = fork();
	if (mon < 0)
		_exit(1);
	if (mon > 0) {
		_exit(jshim_write_all(pid_w, &mon, sizeof mon) < 0 ? 1 : 0);
	}
	close(pid_w);
	if (orig_stdio != NULL && keep_stdio(orig_stdio) < 0)
		_exit(1);
	if (stdio_to_devnull() < 0)
		_exit(1);
	char c;
	if (read_full(go_r, &c, 1) < 0 || c != 'g')
		_exit(0); /* main could not write the pidfile: create nothing */
	close(go_r);
}

static int write_pidfile(const char *pidfile, const char *flag, pid_t pid)
{
	char digits[16];
	int n = snprintf(digits, sizeof digits, "%d", (int)pid);
	int r = jshim_write_file_atomic(pidfile, digits, (size_t)n, 0644);
	if (r < 0)
		fprintf(stderr, "jshim: write %s %s: %s\n", flag, pidfile, strerror(-r));
	return r;
}

/* --sync: this process is the monitor; the caller waits for the whole life. */
static int in_place(const char *pidfile, const char *flag, int *orig_stdio)
{
	if (pidfile != NULL && write_pidfile(pidfile, flag, getpid()) < 0)
		exit(1);
	if (orig_stdio != NULL && keep_stdio(orig_stdio) < 0) {
		fprintf(stderr, "jshim: fcntl F_DUPFD_CLOEXEC (stdio): %s\n", strerror(errno));
		exit(1);
	}
	if (stdio_to_devnull() < 0)
		exit(1);
	if (setsid() < 0) /* EPERM when the manager made us a group leader: stay in its session */
		errno = 0;
	return 0;
}

int jshim_daemonize(const char *pidfile, const char *flag, bool fork_it, int *orig_stdio)
{
	int pid_p[2], go_p[2];
	signal(SIGPIPE, SIG_IGN);
	if (!fork_it)
		return in_place(pidfile, flag, orig_stdio);
	if (pipe2(pid_p, O_CLOEXEC) < 0 || pipe2(go_p, O_CLOEXEC) < 0) {
		fprintf(stderr, "jshim: pipe2: %s\n", strerror(errno));
		exit(1);
	}
	pid_t mid = fork();
	if (mid < 0) {
		fprintf(stderr, "jshim: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (mid == 0) {
		close(pid_p[0]);
		close(go_p[1]);
		intermediate(pid_p[1], go_p[0], orig_stdio);
		return 0; /* the monitor */
	}
	close(pid_p[1]);
	close(go_p[0]);
	pid_t mon;
	int r = read_full(pid_p[0], &mon, sizeof mon);
	int st;
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		fprintf(stderr, "jshim: could not start the monitor process (setsid/fork failed)\n");
		exit(1);
	}
	if (pidfile != NULL && write_pidfile(pidfile, flag, mon) < 0)
		exit(1); /* closing go_p[1] tells the monitor to exit without creating anything */
	r = jshim_write_all(go_p[1], "g", 1);
	if (r < 0) {
		fprintf(stderr, "jshim: write go pipe: %s\n", strerror(-r));
		exit(1);
	}
	exit(0);
}
