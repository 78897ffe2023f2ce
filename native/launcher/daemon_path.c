/* daemon_path.c: the default jshimd, found relative to the launcher's own executable. */
#include "daemon_path.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef JSHIM_INSTALLED_JSHIMD
#define JSHIM_INSTALLED_JSHIMD "/usr/sbin/jshimd"
#endif
#ifndef JSHIM_JSHIMD_FROM_BINDIR
#define JSHIM_JSHIMD_FROM_BINDIR "../sbin/jshimd"
#endif

#define BUILD_TREE_SUFFIX "/native/launcher/jshim"

static int executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

void jshim_jshimd_next_to(const char *exe, char *out, size_t len)
{
	size_t n = strlen(exe), sfx = strlen(BUILD_TREE_SUFFIX);
	if (n > sfx && strcmp(exe + n - sfx, BUILD_TREE_SUFFIX) == 0 &&
	    snprintf(out, len, "%.*s/jshimd", (int)(n - sfx), exe) < (int)len && executable_file(out))
		return;
	const char *slash = strrchr(exe, '/');
	if (slash != NULL &&
	    snprintf(out, len, "%.*s/%s", (int)(slash - exe), exe, JSHIM_JSHIMD_FROM_BINDIR) < (int)len &&
	    executable_file(out))
		return;
	snprintf(out, len, "%s", JSHIM_INSTALLED_JSHIMD);
}

const char *jshim_default_jshimd(void)
{
	static char found[PATH_MAX + 32];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return JSHIM_INSTALLED_JSHIMD;
	exe[n] = '\0';
	jshim_jshimd_next_to(exe, found, sizeof found);
	return found;
}
