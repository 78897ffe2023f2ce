/* daemon_spawn.h: starting jshimd detached, and whether a daemon so started has died. */
#ifndef JSHIM_DAEMON_SPAWN_H
#define JSHIM_DAEMON_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Starts jshimd for cfg->daemon_socket, whose directory is dir: through systemd where its
 * unit is installed (default socket only), else double-forked so that it is nobody's child.
 * The daemon's pid; 0 when systemd starts it (pid unknown); -1 when it could not be started
 * (logged). */
pid_t jshim_daemon_spawn(const struct jshim_config *cfg, const char *dir);

/* True when a daemon this launcher started has exited (gone, or a zombie nobody reaped), or
 * could not be started (pid -1); false for 0 (unknown: systemd starts it). */
bool jshim_daemon_died(pid_t pid);

#endif
