/* console.h: the console socket of -t. The runtime connects to it and sends the pty master
 * (conmon-protocol.md 3.3); the launcher relays that master (pty_relay.h). */
#ifndef JSHIM_CONSOLE_H
#define JSHIM_CONSOLE_H

#include <limits.h>
#include <sys/un.h>

struct jshim_console {
	int listen_fd;     /* -1 once closed */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* "" once unlinked */
};

/* A fresh listening AF_UNIX SOCK_STREAM socket, mode 0700, CLOEXEC|NONBLOCK, at
 * "<$TMPDIR or /tmp>/jshim-term.<random>" (/tmp when $TMPDIR is unusable or too long); bind
 * creates the name, so an existing file is never reused. 0 or -errno (nothing left behind). */
int jshim_console_listen(struct jshim_console *c);
/* Accepts one connection if there is one (-EAGAIN if not), then unlinks the path, closes the
 * listener and receives the pty master: one message, up to 4096 bytes of name, one SCM_RIGHTS
 * fd (waiting up to 5 s for it). The master comes back CLOEXEC|NONBLOCK with ONLCR set.
 * Returns the master fd or -errno; on any result but -EAGAIN the listener is gone. */
int jshim_console_accept(struct jshim_console *c);
/* Unlinks the path (if still there) and closes the listener. Idempotent. */
void jshim_console_close(struct jshim_console *c);

#endif
