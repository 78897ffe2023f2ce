/* exit_command.h: conmon's --exit-command, run once the container is gone. */
#ifndef JSHIM_EXIT_COMMAND_H
#define JSHIM_EXIT_COMMAND_H

#include "config.h"

/* Runs cfg->exit_command with argv [exit_command, exit_command_args...] after the container's
 * exit (or a failed create). In the child: every fd >= 3 closed (close_range or /proc/self/fd),
 * signal mask and dispositions reset, sleep(exit_delay_s) if > 0, execv. The parent turns its
 * own subreaper flag off first, waits for that child (reaping any other child meanwhile), and
 * returns its exit status (0..255, 128+N if killed by signal N), or -errno; no-op (0) without
 * exit_command. The environment is the launcher's own. */
int jshim_exit_command_run(const struct jshim_config *cfg);

#endif
