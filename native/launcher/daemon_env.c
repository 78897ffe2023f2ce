/* daemon_env.c: signals, resource limits, OOM score and fds of a daemon child, reset to
 * what a freshly booted service would have rather than what the launcher's caller had. */
#include "daemon_env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void jshim_reset_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* EINVAL for the C library's reserved real-time signals: nothing to reset there */
		sigaction(sig, &sa, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		log_warn("sigprocmask SIG_SETMASK (daemon start): %s", strerror(errno));
}

int jshim_rlimits_from_init(void)
{
	int failed = 0;
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit init, mine;
		if (prlimit(1, res, NULL, &init) < 0 || getrlimit(res, &mine) < 0) {
			log_warn("prlimit pid 1 resource %d: %s; the daemon keeps the launcher's limit",
				 res, strerror(errno));
			failed++;
			continue;
		}
		if (setrlimit(res, &init) == 0)
			continue;
		int e = errno, first = errno;
		/* Without CAP_SYS_RESOURCE a hard limit cannot be raised: get as close as we may. */
		struct rlimit near = init;
		if (e == EPERM && near.rlim_max > mine.rlim_max) {
			near.rlim_max = mine.rlim_max;
			if (near.rlim_cur > near.rlim_max)
				near.rlim_cur = near.rlim_max;
			if (setrlimit(res, &near) == 0)
				e = 0;
		}
		log_warn("setrlimit resource %d to pid 1's (%llu, %llu): %s%s", res,
			 (unsigned long long)init.rlim_cur, (unsigned long long)init.rlim_max, strerror(first),
			 e == 0 ? "; kept the launcher's hard limit" : "");
		if (e != 0)
			failed++;
	}
	return failed;
}

int jshim_reset_oom_score_adj(void)
{
	int fd cleanup_fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		log_warn("open /proc/self/oom_score_adj: %s", strerror(e));
		return -e;
	}
	int r = jshim_write_all(fd, "0\n", 2);
	if (r < 0)
		log_warn("write 0 to /proc/self/oom_score_adj: %s", strerror(-r));
	return r;
}

int jshim_close_fds_from(int lowfd)
{
	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL) {
		int e = errno;
		log_warn("close_range %d..: %s", lowfd, strerror(e));
		return -e;
	}
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL) {
		int e = errno;
		log_warn("opendir /proc/self/fd: %s", strerror(e));
		return -e;
	}
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int fd;
		if (jshim_parse_int(de->d_name, &fd) == 0 && fd >= lowfd && fd != self)
			close(fd);
	}
	closedir(d);
	return 0;
}
