/* daemonize.h: main -> (setsid) -> monitor, with the pidfile written by main. */
#ifndef JSHIM_DAEMONIZE_H
#define JSHIM_DAEMONIZE_H

/* Returns 0 in the monitor only, once main has written pidfile and said "go"; stdio is
 * /dev/null by then. Main exits 0 (or 1 if the pidfile cannot be written) inside. */
int jshim_daemonize(const char *pidfile);

#endif
