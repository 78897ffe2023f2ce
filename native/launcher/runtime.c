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

int jshim_runtime_pipes(const struct jshim_config *cfg, struct jshim_container_fds *f, int child[3])
{
	int p[2], r;
	child[0] = child[1] = child[2] = -1;
	if ((r = output_pipe(f, JSHIM_FD_STDOUT, &child[1], "stdout")) < 0)
		return r;
	if ((r = output_pipe(f, JSHIM_FD_STDERR, &child[2], "stderr")) < 0)
		return r;
	if (cfg->stdin_open) {
		if ((r = make_pipe(p, "stdin")) < 0)
			return r;
		child[0] = p[0];
		f->fd[JSHIM_FD_STDIN] = p[1];
	}
	return 0;
}

static __attribute__((noreturn)) void runtime_child(const struct jshim_config *cfg, const sigset_t *oldmask,
						   const int child[3], pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0 && dup2(child[i], i) < 0)
			_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	size_t n = 0;
	char **argv = calloc(cfg->n_runtime_args + 8, sizeof(char *));
	if (argv == NULL)
		_exit(127);
	argv[n++] = (char *)cfg->runtime;
	for (size_t i = 0; i < cfg->n_runtime_args; i++)
		argv[n++] = cfg->runtime_args[i];
	argv[n++] = "create";
	argv[n++] = "--bundle";
	argv[n++] = (char *)cfg->bundle;
	argv[n++] = "--pid-file";
	argv[n++] = (char *)cfg->container_pidfile;
	argv[n++] = (char *)cfg->container_id;
	argv[n] = NULL;
	execv(cfg->runtime, argv);
	dprintf(2, "jshim: execv %s: %s\n", cfg->runtime, strerror(errno));
	_exit(127);
}

int jshim_runtime_spawn(const struct jshim_config *cfg, const sigset_t *oldmask, const int child[3],
			pid_t *pid)
{
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		log_error("fork (runtime %s): %s", cfg->runtime, strerror(e));
		return -e;
	}
	if (p == 0)
		runtime_child(cfg, oldmask, child, parent);
	*pid = p;
	log_debug("runtime started: pid %d, %s create --bundle %s", (int)p, cfg->runtime, cfg->bundle);
	return 0;
}

static void reap_phase1(struct jshim_runtime *rt, int *runtime_done)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
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

int jshim_runtime_wait(int sfd, struct jshim_runtime *rt)
{
	int done = 0;
	while (!done) {
		struct pollfd pfd = { sfd, POLLIN, 0 };
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			log_error("poll signalfd: %s", strerror(e));
			return -e;
		}
		struct signalfd_siginfo si;
		ssize_t n;
		while ((n = read(sfd, &si, sizeof si)) == (ssize_t)sizeof si) {
			int sig = (int)si.ssi_signo;
			if (sig == SIGCHLD) {
				reap_phase1(rt, &done);
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
