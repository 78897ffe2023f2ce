/* tty.h: -t in the launcher's flow: the console socket while the runtime runs, the pty relay
 * from then on (console.h, pty_relay.h). Everything is a no-op without -t (m->tty == NULL). */
#ifndef JSHIM_TTY_H
#define JSHIM_TTY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "pty_relay.h"

struct jshim_mon;

#define JSHIM_TTY_NPOLL (1 + JSHIM_RELAY_NPOLL) /* console listener + relay */
#define JSHIM_TTY_EIO_MS 2000 /* after the reap: how long to wait for EIO from the master */

struct jshim_tty {
	struct jshim_console console;
	struct jshim_pty_relay relay;
	bool have_master;
};

/* With -t: allocates m->tty and binds the console socket (before the runtime runs). */
int jshim_tty_prepare(struct jshim_mon *m, char *why, size_t len);
/* The console socket path for --console-socket, or NULL without -t. */
const char *jshim_tty_console_path(const struct jshim_mon *m);
/* After jshim_runtime_pipes: the stdout pipe's write end and the stdin pipe's read end go to
 * the relay instead of the runtime (whose stdin/stdout become /dev/null); a stdin pipe is
 * created when there is none (attach input must reach the pty, with or without -i). */
int jshim_tty_take_pipes(struct jshim_mon *m, int child[3]);
/* Poll loops: fills pfd[0..JSHIM_TTY_NPOLL) (fd -1 = nothing), then handles what is ready. */
void jshim_tty_poll(const struct jshim_mon *m, struct pollfd *pfd);
void jshim_tty_ready(struct jshim_mon *m);
/* After the runtime exited 0: a master must have arrived (a connection may still wait in the
 * backlog). 0, or -ENOTTY with why filled ("Runtime did not set up terminal"). */
int jshim_tty_check_created(struct jshim_mon *m, char *why, size_t len);
/* ctl "1 r c". */
void jshim_tty_resize(struct jshim_mon *m, int rows, int cols);
/* The container's output is complete (always true without -t). After the reap the relay gets
 * JSHIM_TTY_EIO_MS for the master's EIO; then the master is no longer read (what was read is
 * still written). *wake (monotonic ms) is lowered to that deadline. */
bool jshim_tty_output_done(struct jshim_mon *m, int64_t now, int64_t *wake);
void jshim_tty_close(struct jshim_mon *m);

#endif
