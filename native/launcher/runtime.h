/* runtime.h: running the runtime (create, restore, exec) and waiting for it (phase 1). */
#ifndef JSHIM_RUNTIME_H
#define JSHIM_RUNTIME_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "container_fds.h"
#include "json.h"
#include "report.h"

struct jshim_runtime {
	pid_t pid;
	bool only_runtime; /* phase 1 reaps the runtime only (the container is checked after) */
	struct jshim_phase1 p1;
};

/* Creates the stdio pipes: our ends go into f (stdout/stderr read ends O_NONBLOCK, stdin
 * write end), the runtime's into child[0..2] (child[0] = -1 without --stdin/-i: the runtime
 * gets our /dev/null). Passthrough (orig_stdio != NULL): child[] are dups of orig_stdio and
 * the output pipes' write ends are closed at once (the daemon sees EOF). All CLOEXEC. */
int jshim_runtime_pipes(const struct jshim_config *cfg, struct jshim_container_fds *f,
			const int *orig_stdio, int child[3]);
/* Forks and execs the runtime (jshim_runtime_argv) with pdeathsig, the old signal mask and
 * child[] as stdio; LISTEN_PID rewritten by conmon's rule; with --exec-attach the child first
 * waits for the second start byte. console_socket: -t's --console-socket path, or NULL. */
int jshim_runtime_spawn(const struct jshim_config *cfg, const sigset_t *oldmask, const int child[3],
			const char *console_socket, pid_t *pid);
/* More fds for the phase-1 poll (conmon's ctl, -t's console socket and pty relay): fill(arg,
 * pfd) sets n entries (fd -1 = unused) before each poll, ready(arg, pfd) runs after it. */
#define JSHIM_P1_MAX_POLL 8
struct jshim_p1_poll {
	int n;
	void (*fill)(void *arg, struct pollfd *pfd);
	void (*ready)(void *arg, const struct pollfd *pfd);
	void *arg;
};
/* Phase 1: serve the signalfd until the runtime is reaped; SIGINT/QUIT/TERM go to the
 * runtime, others are ignored. extra (or NULL) adds fds to the poll. 0 or -errno. */
int jshim_runtime_wait(int sfd, struct jshim_runtime *rt, const struct jshim_p1_poll *extra);
/* Reads fd (non-blocking) to EOF, at most 1 MiB and 2 s. */
void jshim_read_stderr(int fd, struct jshim_buf *b);
/* Reads a pid file: whitespace trimmed, strict digits, > 0. 0 or -errno. */
int jshim_read_pidfile(const char *path, pid_t *pid);

/* runtime_argv.c. Entries argv needs for cfg (including the NULL). */
size_t jshim_runtime_argv_cap(const struct jshim_config *cfg);
/* Fills argv: create, restore or exec in conmon's order (conmon-protocol.md 3.2), NULL-ended.
 * The strings are cfg's. Returns argc or -E2BIG when cap < jshim_runtime_argv_cap(cfg). */
int jshim_runtime_argv(const struct jshim_config *cfg, const char *console_socket, char **argv, size_t cap);

#endif
