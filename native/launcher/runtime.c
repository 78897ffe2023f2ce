/* runtime.c: the runtime child, phase 1, and what is read back after it. */
#include "runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jshim_protocol.h"
#include "log.h"
#include "util.h"

#define STDERR_MAX (1024 * 1024)
#define STDERR_MS 2000

static int make_pipe(int p[2], const char *what)
{
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		log_error("pipe2 (%s): %s", what, strerror(e));
		return -e;
	}
	return 0;
}

/* Output pipes hold this much, so the daemon wakes up less often and a container keeps
 * writing longer while no daemon is there. Best effort: the default 64 KiB works too. */
#define OUTPUT_PIPE_SIZE (1024 * 1024)

static void grow_pipe(int fd, const char *what)
{
	if (fcntl(fd, F_SETPIPE_SZ, OUTPUT_PIPE_SIZE) < 0)
		log_debug("fcntl F_SETPIPE_SZ %d (%s): %s", OUTPUT_PIPE_SIZE, what, strerror(errno));
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;
		log_error("fcntl O_NONBLOCK fd %d: %s", fd, strerror(e));
		return -e;
	}
	return 0;
}

/* An output pipe: the launcher keeps the non-blocking read end as f->fd[slot] (handed to the
 * daemon), the write end goes to the runtime (and so to the container) as *child. */
static int output_pipe(struct jshim_container_fds *f, int slot, int *child, const char *what)
{
	int p[2];
	int r = make_pipe(p, what);
	if (r < 0)
		return r;
	f->fd[slot] = p[0];
	*child = p[1];
	grow_pipe(p[0], what);
	return set_nonblock(p[0]);
}

/* Passthrough: the daemon still gets the output read ends, but they only ever see EOF. */
static int eof_pipe(struct jshim_container_fds *f, int slot, const char *what)
{
	int p[2];
	int r = make_pipe(p, what);
	if (r < 0)
		return r;
	f->fd[slot] = p[0];
	close(p[1]);
	return set_nonblock(p[0]);
}

static int dup_cloexec(int fd, int *out)
{
	*out = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (*out < 0) {
		int e = errno;
		log_error("fcntl F_DUPFD_CLOEXEC %d (passthrough stdio): %s", fd, strerror(e));
		return -e;
	}
	return 0;
}

int jshim_runtime_pipes(const struct jshim_config *cfg, struct jshim_container_fds *f,
			const int *orig_stdio, int child[3])
{
	int p[2], r;
	child[0] = child[1] = child[2] = -1;
	if (orig_stdio != NULL) {
		for (int i = 0; i < 3; i++)
			if ((r = dup_cloexec(orig_stdio[i], &child[i])) < 0)
				return r;
		if ((r = eof_pipe(f, JSHIM_FD_STDOUT, "stdout")) < 0)
			return r;
		return eof_pipe(f, JSHIM_FD_STDERR, "stderr");
	}
	if ((r = output_pipe(f, JSHIM_FD_STDOUT, &child[1], "stdout")) < 0)
		return r;
	if ((r = output_pipe(f, JSHIM_FD_STDERR, &child[2], "stderr")) < 0)
		return r;
	if (cfg->stdin_open) {
		if ((r = make_pipe(p, "stdin")) < 0)
			return r;
		child[0] = p[0];
		f->fd[JSHIM_CFD_STDIN] = p[1];
	}
	return 0;
}

/* conmon's rule: LISTEN_PID naming our parent (the monitor), or --replace-listen-pid, becomes
 * the runtime's own pid, so socket activation reaches the container. */
static void rewrite_listen_pid(const struct jshim_config *cfg, pid_t parent)
{
	const char *v = getenv("LISTEN_PID");
	int pid;
	if (v == NULL)
		return;
	if (!cfg->replace_listen_pid && (jshim_parse_int(v, &pid) < 0 || pid != parent))
		return;
	char buf[16];
	snprintf(buf, sizeof buf, "%d", (int)getpid());
	setenv("LISTEN_PID", buf, 1);
}

static __attribute__((noreturn)) void runtime_child(const struct jshim_config *cfg, const sigset_t *oldmask,
						   const int child[3], const char *console_socket,
						   pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0 && dup2(child[i], i) < 0)
			_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	rewrite_listen_pid(cfg, parent);
	if (cfg->dialect == JSHIM_DIALECT_CONMON) { /* undo the monitor's -1000 (launch.c) */
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "0", 1) < 0)
			errno = 0;
		if (fd >= 0)
			close(fd);
	}
	size_t cap = jshim_runtime_argv_cap(cfg);
	char **argv = calloc(cap, sizeof(char *));
	if (argv == NULL || jshim_runtime_argv(cfg, console_socket, argv, cap) < 0)
		_exit(127);
	if (cfg->exec_attach && cfg->start_fd >= 0) {
		/* the manager is attached once it writes the second start byte (EOF: go on) */
		char c;
		while (read(cfg->start_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	execv(cfg->runtime, argv);
	dprintf(2, "jshim: execv %s: %s\n", cfg->runtime, strerror(errno));
	_exit(127);
}

int jshim_runtime_spawn(const struct jshim_config *cfg, const sigset_t *oldmask, const int child[3],
			const char *console_socket, pid_t *pid)
{
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		log_error("fork (runtime %s): %s", cfg->runtime, strerror(e));
		return -e;
	}
	if (p == 0)
		runtime_child(cfg, oldmask, child, console_socket, parent);
	*pid = p;
	log_debug("runtime started: pid %d, %s %s --bundle %s", (int)p, cfg->runtime,
		  cfg->exec ? "exec" : cfg->restore_path ? "restore" : "create", cfg->bundle);
	return 0;
}

static void reap_phase1(struct jshim_runtime *rt, int *runtime_done)
{
	for (;;) {
		int st;
		/* only_runtime: the container (an exec'd process may be quick) stays a zombie for
		 * the serve loop, which reaps it as the container's exit */
		pid_t p = waitpid(rt->only_runtime ? rt->pid : -1, &st, WNOHANG);
		if (p <= 0)
			return;
		if (p == rt->pid) {
			rt->p1.runtime_status = st;
			*runtime_done = 1;
			log_debug("runtime %d reaped, wait status 0x%x", (int)p, st);
		} else {
			rt->p1.container_died = true;
			rt->p1.container_status = st;
			log_warn("child %d (the container) died during create, wait status 0x%x", (int)p, st);
		}
	}
}

int jshim_runtime_wait(int sfd, struct jshim_runtime *rt, const struct jshim_p1_poll *extra)
{
	int done = 0;
	int nx = extra != NULL && extra->n <= JSHIM_P1_MAX_POLL ? extra->n : 0;
	while (!done) {
		struct pollfd pfd[1 + JSHIM_P1_MAX_POLL] = { { sfd, POLLIN, 0 } };
		if (nx > 0)
			extra->fill(extra->arg, pfd + 1);
		if (poll(pfd, (nfds_t)(1 + nx), -1) < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			log_error("poll signalfd: %s", strerror(e));
			return -e;
		}
		if (nx > 0)
			extra->ready(extra->arg, pfd + 1);
		struct signalfd_siginfo si;
		ssize_t n;
		while ((n = read(sfd, &si, sizeof si)) == (ssize_t)sizeof si) {
			int sig = (int)si.ssi_signo;
			if (sig == SIGCHLD) {
				reap_phase1(rt, &done);
			} else if (sig != SIGINT && sig != SIGQUIT && sig != SIGTERM) {
				log_info("signal %d ignored", sig);
			} else if (kill(rt->pid, sig) < 0) {
				int e = errno;
				if (e == ESRCH)
					rt->p1.inflight_signal = sig;
				log_info("signal %d: kill runtime %d: %s%s", sig, (int)rt->pid, strerror(e),
					 e == ESRCH ? " (kept as inflight)" : "");
			} else {
				log_info("signal %d forwarded to the runtime %d", sig, (int)rt->pid);
			}
		}
		/* a SIGCHLD merged with one already read must not be missed */
		reap_phase1(rt, &done);
	}
	return 0;
}

void jshim_read_stderr(int fd, struct jshim_buf *b)
{
	int64_t deadline = jshim_now_ms() + STDERR_MS;
	char chunk[16384];
	while (b->len < STDERR_MAX && !b->oom) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n > 0) {
			size_t take = (size_t)n;
			if (take > STDERR_MAX - b->len)
				take = STDERR_MAX - b->len;
			jshim_buf_append(b, chunk, take);
			continue;
		}
		if (n == 0)
			return;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			log_warn("read runtime stderr: %s", strerror(errno));
			return;
		}
		int64_t left = deadline - jshim_now_ms();
		if (left <= 0) {
			log_warn("runtime stderr: no EOF within %d ms, reporting what arrived", STDERR_MS);
			return;
		}
		struct pollfd pfd = { fd, POLLIN, 0 };
		poll(&pfd, 1, (int)left);
	}
}

int jshim_read_pidfile(const char *path, pid_t *pid)
{
	char buf[64];
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	char *s = buf;
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	int v;
	if (jshim_parse_int(s, &v) < 0 || v <= 0)
		return -EINVAL;
	*pid = v;
	return 0;
}
