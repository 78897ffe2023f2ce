/* daemon_env.h: a clean process state for a jshimd forked from a launcher. */
#ifndef JSHIM_DAEMON_ENV_H
#define JSHIM_DAEMON_ENV_H

/* Every signal's disposition to SIG_DFL (SIGPIPE included) and an empty signal mask. */
void jshim_reset_signals(void);
/* Every resource limit copied from PID 1 (prlimit), so a restrictive scope or a manager's
 * limits do not reach the daemon. Failures are logged; returns how many limits failed. */
int jshim_rlimits_from_init(void);
/* Writes 0 to /proc/self/oom_score_adj (conmon runs with -1000 under podman and CRI-O).
 * 0 or -errno, logged. */
int jshim_reset_oom_score_adj(void);
/* Closes every fd >= lowfd: close_range(2), else a /proc/self/fd walk. 0 or -errno. */
int jshim_close_fds_from(int lowfd);

#endif
