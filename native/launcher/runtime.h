/* runtime.h: running "<runtime> create" and waiting for it (phase 1). */
#ifndef JSHIM_RUNTIME_H
#define JSHIM_RUNTIME_H

#include <signal.h>
#include <sys/types.h>

#include "config.h"
#include "container_fds.h"
#include "json.h"
#include "report.h"

struct jshim_runtime {
	pid_t pid;
	struct jshim_phase1 p1;
};

/* Creates the stdio pipes: our ends go into f (stdout/stderr read ends O_NONBLOCK, stdin
 * write end), the runtime's into child[0..2] (child[0] = -1 without --stdin). All CLOEXEC. */
int jshim_runtime_pipes(const struct jshim_config *cfg, struct jshim_container_fds *f, int child[3]);
/* Forks and execs the runtime with pdeathsig, the old signal mask and child[] as stdio. */
int jshim_runtime_spawn(const struct jshim_config *cfg, const sigset_t *oldmask, const int child[3],
			pid_t *pid);
/* Phase 1: serve the signalfd until the runtime is reaped. 0 or -errno. */
int jshim_runtime_wait(int sfd, struct jshim_runtime *rt);
/* Reads fd (non-blocking) to EOF, at most 1 MiB and 2 s. */
void jshim_read_stderr(int fd, struct jshim_buf *b);
/* Reads a pid file: whitespace trimmed, strict digits, > 0. 0 or -errno. */
int jshim_read_pidfile(const char *path, pid_t *pid);

#endif
