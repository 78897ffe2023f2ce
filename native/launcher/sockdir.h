/* sockdir.h: the daemon socket's directory is checked before the launcher uses it. */
#ifndef JSHIM_SOCKDIR_H
#define JSHIM_SOCKDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Is a directory with this owner and mode safe for the daemon socket? Owner root or euid, no
 * group or other write; the default directory (/run/jshim) exactly 0700. NULL if safe, else
 * what is wrong (a static string). */
const char *jshim_sockdir_problem(uid_t owner, mode_t mode, uid_t euid, bool is_default);
/* The directory of socket: created 0700 if missing, then lstat'ed and checked (a directory,
 * not a symlink, see above). 0, or -errno with why naming the directory, its owner and mode. */
int jshim_sockdir_check(const char *socket, char *why, size_t len);

#endif
