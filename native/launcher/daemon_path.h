/* daemon_path.h: which jshimd a launcher starts when neither --jshimd nor $JSHIMD says. */
#ifndef JSHIM_DAEMON_PATH_H
#define JSHIM_DAEMON_PATH_H

#include <stddef.h>

/* Without any environment (podman and CRI-O build the launcher's from scratch) the daemon is
 * found next to the launcher, by /proc/self/exe (symlinks such as /usr/libexec/jshim/conmon
 * resolved):
 *   1. a build tree: exe is <build>/native/launcher/jshim and <build>/jshimd is executable;
 *   2. a relocated install: <exe dir>/JSHIM_JSHIMD_FROM_BINDIR ("../sbin/jshimd") executable;
 *   3. JSHIM_INSTALLED_JSHIMD (<prefix>/sbin/jshimd, from CMake).
 * Returns a pointer to a static buffer (or to the constant), never NULL. */
const char *jshim_default_jshimd(void);
/* The same from a given executable path, result in out. Used by the above and by tests. */
void jshim_jshimd_next_to(const char *exe, char *out, size_t len);

#endif
