/* sockdir.c: the daemon socket's directory: created 0700, checked before any use. */
#include "sockdir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jshim_protocol.h"
#include "util.h"

const char *jshim_sockdir_problem(uid_t owner, mode_t mode, uid_t euid, bool is_default)
{
	if (owner != 0 && owner != euid)
		return "owned by another user (not root, not the launcher's uid)";
	if (mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (is_default && (mode & 07777) != 0700)
		return "the default directory must have mode 0700";
	return NULL;
}

int jshim_sockdir_check(const char *socket, char *why, size_t len)
{
	char dir[PATH_MAX], def[PATH_MAX];
	struct stat st;
	int r = jshim_dirname(socket, dir, sizeof dir);
	if (r < 0) {
		snprintf(why, len, "the daemon socket path %s is too long", socket);
		return r;
	}
	bool is_default = jshim_dirname(JSHIM_DEFAULT_SOCKET, def, sizeof def) == 0 && strcmp(dir, def) == 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, len, "create the daemon socket directory %s: %s", dir, strerror(-r));
		return r;
	}
	if (lstat(dir, &st) < 0) {
		r = -errno;
		snprintf(why, len, "lstat the daemon socket directory %s: %s", dir, strerror(-r));
		return r;
	}
	const char *problem = NULL;
	if (S_ISLNK(st.st_mode))
		problem = "a symbolic link";
	else if (!S_ISDIR(st.st_mode))
		problem = "not a directory";
	else
		problem = jshim_sockdir_problem(st.st_uid, st.st_mode, geteuid(), is_default);
	if (problem == NULL)
		return 0;
	snprintf(why, len, "unsafe daemon socket directory %s (owner uid %u, mode %04o): %s; refusing to use it",
		 dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), problem);
	return -EPERM;
}
