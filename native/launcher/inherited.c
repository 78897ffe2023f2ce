/* inherited.c: conmon closes every fd it was started with (preserved fds, reserved host ports,
 * strays) before the exit file, so the ports are free when the manager learns of the exit. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"

#define INHERITED_MAX 1024

static int inherited[INHERITED_MAX];
static size_t n_inherited;

void jshim_inherited_record(const struct jshim_config *cfg)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL) {
		log_warn("opendir /proc/self/fd: %s; inherited fds will not be closed at the exit",
			 strerror(errno));
		return;
	}
	int self = dirfd(d);
	struct dirent *e;
	n_inherited = 0;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (e->d_name[0] == '.' || *end != '\0' || fd <= 2 || fd == self)
			continue;
		if (fd == cfg->sync_fd || fd == cfg->start_fd || fd == cfg->attach_pipe_fd)
			continue;
		if (n_inherited < INHERITED_MAX)
			inherited[n_inherited++] = (int)fd;
	}
	closedir(d);
}

void jshim_inherited_close(void)
{
	for (size_t i = 0; i < n_inherited; i++)
		if (close(inherited[i]) < 0 && errno != EBADF)
			log_debug("close inherited fd %d: %s", inherited[i], strerror(errno));
	if (n_inherited > 0)
		log_debug("closed %zu inherited fds", n_inherited);
	n_inherited = 0;
}
