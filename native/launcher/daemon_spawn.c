/* daemon_spawn.c: starting jshimd detached (double fork, its own session, cgroup and
 * limits, stdio on jshimd.log, nothing else inherited), or asking systemd to; and telling
 * whether a daemon started so has died. */
#include "daemon_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_cgroup.h"
#include "daemon_env.h"
#include "daemon_path.h"
#include "jshim_protocol.h"
#include "log.h"
#include "sockdir.h"
#include "util.h"

extern char **environ;

/* PATH, and from our environment only what the daemon's start script reads: JAVA_HOME,
 * JSHIMD_JVM_OPTS (jshimd(8)) and JSHIM_* (the socket, timeouts). */
static void build_env(char **env, size_t cap, char *path_buf)
{
	size_t n = 0;
	strcpy(path_buf, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[n++] = path_buf;
	for (char **e = environ; *e && n + 1 < cap; e++)
		if (strncmp(*e, "JAVA_HOME=", 10) == 0 || strncmp(*e, "JSHIM_", 6) == 0 ||
		    strncmp(*e, "JSHIMD_JVM_OPTS=", 16) == 0)
			env[n++] = *e;
	env[n] = NULL;
}

/* The process state every started program gets: default signals, stdio on /dev/null (stdout
 * and stderr on out if >= 0), no other fd, cwd "/" (the caller's cwd may be a container's
 * bundle or storage; kept if a path we pass is relative). Logs; 0 or -errno. */
static int clean_child(const struct jshim_config *cfg, const char *prog, int out)
{
	jshim_reset_signals();
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0) {
		int e = errno;
		log_error("open /dev/null (daemon start): %s", strerror(e));
		return -e;
	}
	if (out < 0)
		out = nul;
	if (dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
		int e = errno;
		log_error("dup2 stdio (daemon start): %s", strerror(e));
		return -e;
	}
	if (prog[0] == '/' && cfg->daemon_socket[0] == '/' && chdir("/") < 0)
		log_warn("chdir / (daemon start): %s", strerror(errno));
	return 0;
}

/* In the grandchild: never returns. Leaves the launcher's cgroup, takes PID 1's resource
 * limits and OOM score 0, then executes jshimd with stdin /dev/null, stdout and stderr on
 * <dir>/jshimd.log and no other fd. Each step that fails is logged (launcher.log) and the
 * daemon starts anyway; only a failed stdio set-up or execve is fatal. */
static void exec_daemon(const struct jshim_config *cfg, const char *prog, const char *dir)
{
	char logpath[PATH_MAX + 16], pathvar[96];
	char *env[256];
	jshim_cgroup_move_own();
	jshim_rlimits_from_init();
	jshim_reset_oom_score_adj();
	snprintf(logpath, sizeof logpath, "%s/jshimd.log", dir);
	int out = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		log_error("open %s: %s", logpath, strerror(errno));
		_exit(126);
	}
	if (clean_child(cfg, prog, out) < 0)
		_exit(126);
	build_env(env, sizeof env / sizeof env[0], pathvar);
	char *argv[] = { (char *)prog, "--socket", (char *)cfg->daemon_socket, NULL };
	jshim_close_fds_from(3); /* last: launcher.log is one of them */
	execve(prog, argv, env);
	dprintf(2, "jshim: execve %s: %s\n", prog, strerror(errno));
	_exit(127);
}

/* Where systemd runs and jshimd.service is installed, systemd starts the daemon in its own
 * unit (the default socket only: the units know no other). `systemctl start --no-block`,
 * bounded to 2 s. 0 if systemctl said yes, else -errno (the caller forks the daemon). */
static int start_with_systemd(const struct jshim_config *cfg)
{
	static const char *const systemctl[] = { "/usr/bin/systemctl", "/bin/systemctl" };
	const char *prog = NULL;
	if (strcmp(cfg->daemon_socket, JSHIM_DEFAULT_SOCKET) != 0 ||
	    !jshim_systemd_unit_installed(JSHIM_DAEMON_UNIT))
		return -ENOENT;
	for (size_t i = 0; i < sizeof systemctl / sizeof systemctl[0] && prog == NULL; i++)
		if (access(systemctl[i], X_OK) == 0)
			prog = systemctl[i];
	if (prog == NULL)
		return -ENOENT;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		log_error("fork (systemctl start %s): %s", JSHIM_DAEMON_UNIT, strerror(e));
		return -e;
	}
	if (pid == 0) {
		char *argv[] = { (char *)prog, "start", "--no-block", "--no-ask-password",
				 (char *)JSHIM_DAEMON_UNIT, NULL };
		char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		if (clean_child(cfg, prog, -1) < 0)
			_exit(126);
		jshim_close_fds_from(3);
		execve(prog, argv, env);
		_exit(127);
	}
	int st = 0;
	pid_t w = 0;
	for (int64_t end = jshim_now_ms() + 2000; (w = waitpid(pid, &st, WNOHANG)) == 0;) {
		if (jshim_now_ms() >= end) {
			kill(pid, SIGKILL);
			while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(10000);
	}
	if (w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		log_info("asked systemd to start %s (%s start --no-block)", JSHIM_DAEMON_UNIT, prog);
		return 0;
	}
	log_warn("%s start %s failed (wait status %#x); starting jshimd in its own cgroup instead",
		 prog, JSHIM_DAEMON_UNIT, st);
	return -ECHILD;
}

/* Double fork: the daemon ends up detached, in its own session and cgroup, not our child. */
pid_t jshim_daemon_spawn(const struct jshim_config *cfg, const char *dir)
{
	const char *prog = cfg->jshimd ? cfg->jshimd : jshim_default_jshimd();
	if (start_with_systemd(cfg) == 0)
		return 0; /* systemd starts it: its pid is not known */
	/* While spawning, stop being a subreaper so the orphaned daemon goes to init. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) < 0)
		log_warn("prctl PR_SET_CHILD_SUBREAPER 0: %s", strerror(errno));
	int report[2]; /* the intermediate child tells us the daemon's pid */
	if (pipe2(report, O_CLOEXEC) < 0) {
		log_error("pipe2 (daemon start): %s", strerror(errno));
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork (daemon start): %s", strerror(errno));
		close(report[0]);
		close(report[1]);
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		return -1;
	}
	if (pid == 0) {
		jshim_reset_signals();
		if (setsid() < 0)
			_exit(125);
		pid_t d = fork();
		if (d < 0)
			_exit(124);
		if (d > 0)
			_exit(write(report[1], &d, sizeof d) == sizeof d ? 0 : 123);
		close(report[1]);
		exec_daemon(cfg, prog, dir);
	}
	close(report[1]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid_t d = 0;
	if (read(report[0], &d, sizeof d) != sizeof d || d <= 0)
		d = -1;
	close(report[0]);
	if (d < 0)
		log_error("daemon start: the intermediate child could not fork (wait status %#x)", st);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_error("prctl PR_SET_CHILD_SUBREAPER 1: %s", strerror(errno));
	if (d > 0)
		log_info("started the daemon: %s --socket %s (output in %s/jshimd.log)", prog,
			 cfg->daemon_socket, dir);
	return d;
}

/* True when the daemon this launcher started has exited (gone, or a zombie nobody reaped),
 * or could not be started (-1). Unknown (0, systemd): false. */
bool jshim_daemon_died(pid_t pid)
{
	if (pid < 0)
		return true;
	if (pid == 0)
		return false;
	char state = '?';
	long cpu_ms;
	int r = jshim_proc_stat(pid, &state, &cpu_ms);
	if (r < 0)
		return r == -ENOENT;
	return state == 'Z' || state == 'X';
}
