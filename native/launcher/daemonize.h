/* daemonize.h: main -> (setsid) -> monitor, with the pidfile written by main. */
#ifndef JSHIM_DAEMONIZE_H
#define JSHIM_DAEMONIZE_H

#include <stdbool.h>

/* Returns 0 in the monitor only, once main has written pidfile (if not NULL; flag names it in
 * messages) and said "go"; stdio is /dev/null by then. Main exits 0 (or 1 if the pidfile
 * cannot be written) inside. With fork_it false (conmon's --sync) nothing forks: the caller
 * becomes the monitor in place. orig_stdio (passthrough) receives close-on-exec dups of fds
 * 0..2 taken before they become /dev/null; the caller closes them. */
int jshim_daemonize(const char *pidfile, const char *flag, bool fork_it, int *orig_stdio);

#endif
