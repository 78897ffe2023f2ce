/* launch.h: everything after the command line is parsed and validated. */
#ifndef JSHIM_LAUNCH_H
#define JSHIM_LAUNCH_H

#include "config.h"

/* shimmy: daemonize (--shimmy-pidfile), then the monitor. conmon: CLOEXEC on the _OCI_ pipes,
 * the inherited fds recorded, one start byte read before anything forks, daemonize
 * (--conmon-pidfile; --sync stays in place), then the monitor. Returns the monitor's exit
 * code (main exits inside daemonize). */
int jshim_launch(struct jshim_config *cfg);

#endif
