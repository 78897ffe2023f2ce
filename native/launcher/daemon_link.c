/* daemon_link.c: connect, start lock, and the detached start of jshimd. */
#include "daemon_link.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
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

void jshim_link_init(struct jshim_link *l, const struct jshim_config *cfg)
{
	memset(l, 0, sizeof *l);
	l->cfg = cfg;
	l->fd = -1;
	l->lock_fd = -1;
	jshim_link_begin(l);
}

void jshim_link_begin(struct jshim_link *l)
{
	int64_t now = jshim_now_ms();
	jshim_close(&l->lock_fd);
	l->spawned = false;
	l->spawns = 0;
	l->daemon_pid = 0;
	l->lock_busy = false;
	l->backoff_ms = 10;
	l->next_try = now;
	l->begun_at = now;
	l->deadline = now + l->cfg->daemon_timeout_ms;
}

void jshim_link_close(struct jshim_link *l)
{
	jshim_close(&l->fd);
	jshim_close(&l->lock_fd);
}

/* A daemon that dies within this long after accepting us is crash-looping: keep backing off. */
#define JSHIM_LINK_SHORT_MS 1000

void jshim_link_lost(struct jshim_link *l)
{
	int backoff = l->backoff_ms;
	int64_t now = jshim_now_ms();
	jshim_close(&l->fd);
	jshim_link_begin(l);
	if (now - l->connected_at < JSHIM_LINK_SHORT_MS) {
		l->backoff_ms = backoff * 2 > 250 ? 250 : backoff * 2;
		l->next_try = now + l->backoff_ms;
	}
}

/* How long a send to the daemon may block (a stuck daemon's full queue) before the launcher
 * treats the connection as lost. */
#define JSHIM_LINK_SEND_TIMEOUT_MS 2000

/* Only a daemon running as root or as the launcher's own uid gets the container's fds. */
static int check_peer(const struct jshim_link *l, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		int e = errno;
		log_error("getsockopt SO_PEERCRED %s: %s", l->cfg->daemon_socket, strerror(e));
		return -e;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_error("the daemon at %s runs as uid %u (pid %d), neither root nor uid %u: not handing it "
			  "any fd", l->cfg->daemon_socket, (unsigned)cred.uid, (int)cred.pid, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

/* Back to blocking sends, but bounded: a send that cannot complete within the timeout fails
 * with EAGAIN and the caller treats the link as lost. Receives use MSG_DONTWAIT. */
static int bound_sends(const struct jshim_link *l, int fd)
{
	struct timeval tv = { JSHIM_LINK_SEND_TIMEOUT_MS / 1000, (JSHIM_LINK_SEND_TIMEOUT_MS % 1000) * 1000 };
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
		int e = errno;
		log_error("set up the daemon socket %s (blocking, SO_SNDTIMEO): %s", l->cfg->daemon_socket,
			  strerror(e));
		return -e;
	}
	return 0;
}

/* 0 connected, -EAGAIN nobody answers, -EBUSY a daemon answers but its backlog is full,
 * other -errno (the socket directory is unsafe, the peer is not root or us, ...). The
 * connect never blocks: a Unix socket connect is immediate or fails with EAGAIN. */
static int try_connect(struct jshim_link *l)
{
	char why[PATH_MAX + 160];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = jshim_sockdir_check(l->cfg->daemon_socket, why, sizeof why);
	if (r < 0) {
		log_error("%s", why);
		return r;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", l->cfg->daemon_socket);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		log_error("socket AF_UNIX SOCK_SEQPACKET: %s", strerror(e));
		return -e;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return -EAGAIN;
		if (e == EAGAIN || e == EINPROGRESS) {
			log_debug("connect %s: the daemon's backlog is full; retrying", l->cfg->daemon_socket);
			return -EBUSY;
		}
		log_warn("connect %s: %s", l->cfg->daemon_socket, strerror(e));
		return -e;
	}
	r = check_peer(l, fd);
	if (r == 0)
		r = bound_sends(l, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	l->fd = fd;
	return 0;
}

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
static int spawn_daemon(struct jshim_link *l, const char *dir)
{
	const char *prog = l->cfg->jshimd ? l->cfg->jshimd : jshim_default_jshimd();
	l->daemon_pid = 0; /* systemd starts it: its pid is not known */
	if (start_with_systemd(l->cfg) == 0)
		return 0;
	l->daemon_pid = -1; /* until the intermediate child tells */
	/* While spawning, stop being a subreaper so the orphaned daemon goes to init. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) < 0)
		log_warn("prctl PR_SET_CHILD_SUBREAPER 0: %s", strerror(errno));
	int report[2]; /* the intermediate child tells us the daemon's pid */
	if (pipe2(report, O_CLOEXEC) < 0) {
		int e = errno;
		log_error("pipe2 (daemon start): %s", strerror(e));
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		return -e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		log_error("fork (daemon start): %s", strerror(e));
		close(report[0]);
		close(report[1]);
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		return -e;
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
		exec_daemon(l->cfg, prog, dir);
	}
	close(report[1]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid_t d = 0;
	l->daemon_pid = read(report[0], &d, sizeof d) == sizeof d && d > 0 ? d : -1;
	close(report[0]);
	if (l->daemon_pid < 0)
		log_error("daemon start: the intermediate child could not fork (wait status %#x)", st);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		int e = errno;
		log_error("prctl PR_SET_CHILD_SUBREAPER 1: %s", strerror(e));
		return -e;
	}
	log_info("started the daemon: %s --socket %s (output in %s/jshimd.log)", prog,
		 l->cfg->daemon_socket, dir);
	return 0;
}

static int take_start_lock(struct jshim_link *l, const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s.start-lock", l->cfg->daemon_socket);
	int r = jshim_ensure_dir(dir, 0700);
	if (r < 0) {
		log_error("mkdir %s: %s", dir, strerror(-r));
		return r;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		log_error("open %s: %s", path, strerror(-r));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		close(fd);
		if (r != -EWOULDBLOCK)
			log_error("flock %s: %s", path, strerror(-r));
		return r;
	}
	l->lock_fd = fd;
	return 0;
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


/* A daemon being started (by this launcher, or by the holder of the start lock) listens
 * within about 0.3 s: for the first JSHIM_LINK_STARTING_MS of an episode the retries come
 * every JSHIM_LINK_STARTING_RETRY_MS, so the first READY follows closely (with the backoff
 * alone it came up to 250 ms late); a daemon slower than that, or one that died, gets the
 * backoff. */
#define JSHIM_LINK_STARTING_RETRY_MS 20
#define JSHIM_LINK_STARTING_MS 2000

static bool daemon_starting(const struct jshim_link *l)
{
	if (l->lock_busy)
		return true;
	if (!l->spawned || l->daemon_pid < 0)
		return false;
	return l->daemon_pid == 0 || !jshim_daemon_died(l->daemon_pid);
}

static int schedule_retry(struct jshim_link *l)
{
	int64_t now = jshim_now_ms();
	int wait = l->backoff_ms;
	if (wait > JSHIM_LINK_STARTING_RETRY_MS && now - l->begun_at < JSHIM_LINK_STARTING_MS &&
	    daemon_starting(l))
		wait = JSHIM_LINK_STARTING_RETRY_MS;
	l->next_try = now + wait;
	log_debug("no daemon at %s yet; next attempt in %d ms", l->cfg->daemon_socket, wait);
	l->backoff_ms = l->backoff_ms * 2 > 250 ? 250 : l->backoff_ms * 2;
	return -EAGAIN;
}

int jshim_link_try(struct jshim_link *l)
{
	char dir[PATH_MAX];
	if (l->fd >= 0)
		return 0;
	if (jshim_now_ms() >= l->deadline) {
		/* before this attempt, so a launcher never starts a daemon and then lets go of the
		 * start lock in the same breath (another launcher would start a second one) */
		l->episodes++;
		log_warn("no daemon answered at %s within %d ms (episode %d); trying again",
			 l->cfg->daemon_socket, l->cfg->daemon_timeout_ms, l->episodes);
		jshim_link_begin(l);
	}
	int r = try_connect(l);
	if (r == 0)
		goto connected;
	if (r != -EAGAIN)
		return schedule_retry(l);
	if (jshim_dirname(l->cfg->daemon_socket, dir, sizeof dir) < 0)
		return schedule_retry(l);
	if (l->lock_fd < 0) {
		r = take_start_lock(l, dir);
		l->lock_busy = r == -EWOULDBLOCK;
		if (r < 0)
			return schedule_retry(l); /* someone else is starting it */
	}
	r = try_connect(l);
	if (r == 0)
		goto connected;
	if (r != -EAGAIN)
		return schedule_retry(l); /* busy, unsafe or not ours: never start a daemon for it */
	if (l->spawned && l->spawns < JSHIM_SPAWNS_PER_EPISODE && jshim_daemon_died(l->daemon_pid)) {
		log_warn("the daemon started as pid %d exited before it answered; starting another",
			 (int)l->daemon_pid);
		l->spawned = false;
	}
	if (!l->spawned) {
		l->spawned = true;
		l->spawns++;
		l->spawned_at = jshim_now_ms();
		spawn_daemon(l, dir);
	}
	return schedule_retry(l);
connected:
	jshim_close(&l->lock_fd);
	l->lock_busy = false;
	l->connected_at = jshim_now_ms();
	log_debug("connected to the daemon at %s", l->cfg->daemon_socket);
	return 0;
}

bool jshim_link_starting(const struct jshim_link *l)
{
	return l->fd >= 0 || l->spawned || l->lock_busy;
}
