/* fds_open.h: what the launcher opens and binds for the daemon (protocol v2: fds, not paths). */
#ifndef JSHIM_FDS_OPEN_H
#define JSHIM_FDS_OPEN_H

#include <stddef.h>

#include "config.h"
#include "container_fds.h"

#define JSHIM_JOURNAL_SOCKET_ENV "JSHIM_JOURNAL_SOCKET"
#define JSHIM_JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"

/* Opens the exit file's directory, the log's directory (and creates the log: shimmy O_TRUNC
 * 0640, conmon append 0600; the fd is closed again, the daemon opens it by name), binds the
 * attach listener (shimmy SOCK_STREAM, conmon SOCK_SEQPACKET backlog 10, CRI-O mode through the
 * <socket-dir>/<cuuid> symlink) and connects the journald socket, as cfg asks. On failure the
 * fds opened so far stay in f (the caller closes f) and why says what failed. 0 or -errno. */
int jshim_fds_open(const struct jshim_config *cfg, struct jshim_container_fds *f, char *why, size_t len);
/* After DONE or the fallback exit file. conmon: unlinks the attach socket (and the CRI-O
 * symlink); shimmy leaves the socket file, as shimmy does. */
void jshim_fds_finish(const struct jshim_config *cfg, struct jshim_container_fds *f);

#endif
